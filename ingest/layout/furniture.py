"""Running headers, footers, side tabs and page numbers: found across pages, taken out of the text.

A line is page furniture when the same text (digits allowed to vary: "Part1: … 7" and "… 8")
sits at about the same place on several pages, or when it is a lone page number ("7", "- 7 -",
"7 / 120", "p. 7") in the top or bottom margin, or a printer's slug ("x.indd 1", a print time). Large text (a chapter title repeated at the top
of each of its pages) is kept: it is a heading, not furniture, unless it repeats on most pages.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from ingest.layout.reading import Line
from ingest.tuning import (
    BODY_REPEAT_SHARE,
    FURNITURE_DISPLAY_RATIO,
    FURNITURE_HEADING_RATIO,
    MARGIN_SHARE,
    MIN_REPEATS,
    POSITION_GRID,
    SIDE_SHARE,
    SMALL_RATIO,
    TINY_MAX_CHARS,
    TINY_RATIO,
)

_PAGE_NUMBER = re.compile(
    r"^(?:[-–—·]?\s*\d{1,4}\s*[-–—·]?|\d{1,4}\s*/\s*\d{1,4}|p(?:age|\.)?\s*\d{1,4}"
    r"|[ivxlc]{1,6}|\d{1,4}\s*쪽|-\s*[ivx]+\s*-)$",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+")
# A DTP printer's slug: the layout file's name and page, the print time (InDesign, QuarkXPress).
_SLUG = re.compile(
    r"\.(?:indd|qxp|qxd)\b.*\d\s*$|^\d{4}[-./]\d{1,2}[-./]\d{1,2}\.?\s*(?:오[전후]|[AP]M)?\s*"
    r"\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AP]M)?$",
    re.IGNORECASE,
)


def _key(line: Line) -> str:
    return _DIGITS.sub("#", "".join(line.text.split())).lower()


def _place(line: Line, height: float) -> tuple[int, int]:
    """A coarse position: the line's top (from the nearer page edge) and left edge."""
    top = line.y0 if line.y0 < height / 2 else line.y0 - height
    return round(top / POSITION_GRID), round(line.x0 / (4 * POSITION_GRID))


def in_margin(line: Line, height: float) -> bool:
    """True for a line in the top or bottom margin band."""
    return line.y1 <= height * MARGIN_SHARE or line.y0 >= height * (1 - MARGIN_SHARE)


def _at_side(line: Line, width: float) -> bool:
    """True for a line in the left or right page margin (a side tab), outside the text column."""
    return line.x1 <= width * SIDE_SHARE or line.x0 >= width * (1 - SIDE_SHARE)


def find_furniture(
    pages: Sequence[Sequence[Line]],
    heights: Sequence[float],
    widths: Sequence[float],
    body: float,
) -> list[set[int]]:
    """For each page, the indexes of its lines that are page furniture."""
    seen: dict[tuple[str, tuple[int, int]], set[int]] = defaultdict(set)
    for p, lines in enumerate(pages):
        for line in lines:
            seen[(_key(line), _place(line, heights[p]))].add(p)
    # Alternating layouts (odd and even pages mirrored) repeat on every other page: also count
    # the text alone, at any place within the margins.
    margin_text: dict[str, set[int]] = defaultdict(set)
    for p, lines in enumerate(pages):
        for line in lines:
            if in_margin(line, heights[p]):
                margin_text[_key(line)].add(p)
    n_pages = len(pages)
    out: list[set[int]] = []
    for p, lines in enumerate(pages):
        found: set[int] = set()
        for i, line in enumerate(lines):
            key = _key(line)
            same_place = len(seen[(key, _place(line, heights[p]))])
            margin = in_margin(line, heights[p])
            large = line.size >= FURNITURE_HEADING_RATIO * body
            page_number = margin and bool(_PAGE_NUMBER.match(line.text.strip()))
            running = margin and not large and max(same_place, len(margin_text[key])) >= MIN_REPEATS
            # Display type repeated in place (a series logo on every divider page) is decoration.
            display = line.size >= FURNITURE_DISPLAY_RATIO * body and same_place >= MIN_REPEATS
            aside = line.size <= SMALL_RATIO * body or _at_side(line, widths[p])
            everywhere = aside and same_place >= max(MIN_REPEATS, BODY_REPEAT_SHARE * n_pages)
            tiny = (
                line.size < TINY_RATIO * body and len(line.text.replace(" ", "")) <= TINY_MAX_CHARS
            )
            slug = bool(_SLUG.search(line.text))
            if page_number or running or everywhere or tiny or display or slug:
                found.add(i)
        out.append(found)
    return out
