"""Table-of-contents pages: recognised from their lines, dot leaders parsed away.

A TOC line is an entry title followed by a page number, often through a dot leader
("1. 개요······6", "12-2-16 Horse-collar tackle …… 15"). A page is a TOC page when most of its
lines are such entries whose page numbers mostly run upwards, or when it has a "목차" /
"Contents" heading and a few entries. Rows of a financial table also end in numbers, but with
several number columns, thousands separators or numbers far beyond the page count: not entries.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from ingest.tuning import (
    ENTRY_SHARE,
    MIN_ENTRIES,
    MIN_ENTRIES_WITH_HEADING,
    PAGE_SLACK,
    RISING_SHARE,
)

_LEADER = re.compile(r"\s*(?:[.·․‥…⋯_\-－]\s?){3,}\s*")
_ENTRY = re.compile(r"^(?P<title>.*?\D)\s*(?:[.·․‥…⋯_]\s?){0,}\s*(?P<page>\d{1,4})$")
_TOC_HEADING = re.compile(
    r"^(?:목\s*차|차\s*례|contents|c\s?o\s?n\s?t\s?e\s?n\s?t\s?s|table of contents|index)$",
    re.IGNORECASE,
)


def parse_entry(line: str, n_pages: int) -> tuple[str, int] | None:
    """``(title, page)`` of a TOC entry line, or None when the line is not one."""
    text = line.strip()
    match = _ENTRY.match(text)
    if not match:
        return None
    title = _LEADER.sub(" ", match.group("title")).strip(" .·…")
    page = int(match.group("page"))
    if not title or not any(ch.isalpha() for ch in title) or page > 2 * n_pages + PAGE_SLACK:
        return None
    # A financial row: several numbers or thousands separators before the last one.
    if re.search(r"\d[\d,]{3,}", title) or len(re.findall(r"\d+(?:[.,]\d+)?", title)) > 3:
        return None
    return title, page


def is_toc_page(lines: Sequence[str], n_pages: int) -> bool:
    """Whether a page's lines are a table of contents."""
    if not lines:
        return False
    heading = any(_TOC_HEADING.match("".join(line.split()).lower()) for line in lines[:6])
    entries = [e for e in (parse_entry(line, n_pages) for line in lines) if e is not None]
    leaders = sum(1 for line in lines if _LEADER.search(line))
    if heading and len(entries) >= MIN_ENTRIES_WITH_HEADING:
        return True
    if leaders >= MIN_ENTRIES and len(entries) >= MIN_ENTRIES:
        return True
    # Letters set one per line ("C O N T E N T S" down the margin) do not count as lines.
    counted = sum(1 for line in lines if len(line.strip()) > 2)
    if len(entries) < MIN_ENTRIES or len(entries) < ENTRY_SHARE * counted:
        return False
    pages = [p for _, p in entries]
    rising = sum(1 for a, b in itertools.pairwise(pages) if b >= a)
    return rising >= RISING_SHARE * (len(pages) - 1)


# Two TOC columns read as one row: an entry's page number followed by the next entry's number.
_NEXT_ENTRY = re.compile(r"(?:(?<=\D\s\d)|(?<=\D\s\d\d)|(?<=\D\s\d\d\d))\s+(?=\d{1,2}\.\s)")


def toc_lines(lines: Sequence[str], n_pages: int) -> list[str]:
    """A TOC page's lines with dot leaders parsed away: "1. 개요 (p. 6)"."""
    out = []
    split = [part for line in lines for part in _NEXT_ENTRY.split(_LEADER.sub(" ", line))]
    for line in split:
        entry = parse_entry(line, n_pages)
        out.append(f"{entry[0]} (p. {entry[1]})" if entry else _LEADER.sub(" ", line).strip())
    return out
