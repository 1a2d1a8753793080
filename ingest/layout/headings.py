"""Headings from font size, weight and Korean outline numbering; the title; glossary pairs.

Size and weight decide whether a block is a heading; numbering only hints at its level. Body
text that starts with "1." stays body text when it is body-sized, regular and long.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.layout.reading import Block, Line, paragraphs
from ingest.tuning import (
    DISPLAY_RATIO,
    HEADING_MAX_CHARS,
    HEADING_MAX_LINES,
    HEADING_RATIO,
    LEAD_MIN_CHARS,
    LEFT_SLACK_EM,
    MIN_GLOSSARY_PAIRS,
    NUMBERED_MAX_CHARS,
    SAME_SIZE,
    SIZE_BUCKET,
    SPARSE_LINES,
    TERM_MAX_CHARS,
    TITLE_MAX_CHARS,
    TITLE_MAX_LINES,
    TITLE_RATIO,
)

# Outline numbering, highest first: the index is the level hint within one size.
_OUTLINE: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"^(?:part\s*\d+|제\s?\d+\s?[편부]|[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]+\.?\s|[IVX]{1,5}\.\s)",
        r"^(?:제\s?\d+\s?장|\d+\s?장\s|chapter\s+\d+|[A-Z]\.\s)",
        r"^(?:제\s?\d+\s?절|\d{1,2}\.?\s(?=\D)|[A-Z]\.\d+\s)",
        r"^(?:\d{1,2}\.\d{1,2}\.?\s)",
        r"^(?:\d{1,2}\.\d{1,2}\.\d{1,2}\.?\s|[가-하]\.\s|제\s?\d+\s?조)",
        r"^(?:\(\d{1,2}\)|\d{1,2}\)\s|\([가-하]\))",
        r"^(?:[①-⑳]|[가-하]\)\s)",
        r"^(?:[□■])",
        r"^(?:[○●◦])",
        r"^(?:[-–]\s)",
    )
)
_SENTENCE_END = re.compile(r"(?:다|요|음|함|됨|임)\s*[.。]\s*$|[.。]\s*$")


def outline_level(text: str) -> int | None:
    """The outline numbering level of ``text`` (0 = Ⅰ./Part, 1 = 제N장, …), None if unnumbered."""
    for level, pattern in enumerate(_OUTLINE):
        if pattern.match(text.strip()):
            return level
    return None


@dataclass(frozen=True)
class Heading:
    """A heading block's text and its sort key (smaller = higher level)."""

    text: str
    size: float
    bold: bool
    outline: int | None


def heading_of(block: Block, body: float, left: float | None = None) -> Heading | None:
    """The block as a heading, or None when it is body text.

    ``left`` is the page's text column edge: a heading starts near it (labels scattered over a
    diagram do not); None on sparse pages (a chapter divider sets its title anywhere)."""
    if block.item is not None or not block.lines or len(block.lines) > HEADING_MAX_LINES:
        return None
    parts = paragraphs(block)
    if len(parts) != 1:
        return None  # a heading is one paragraph (a divider page's list is not one heading)
    text = parts[0]
    if len(text) > HEADING_MAX_CHARS or not any(ch.isalpha() for ch in text):
        return None
    first = block.lines[0]
    size, bold = first.size, first.bold
    if left is not None and first.x0 > left + LEFT_SLACK_EM * body:
        return None
    plain = not bold and outline_level(first.text) is None
    if plain and left is not None and first.x0 > left + body:
        return None  # unnumbered regular text set large off the column edge: a figure label
    outline = outline_level(text)
    large = size >= HEADING_RATIO * body
    if size > DISPLAY_RATIO * body:
        return None
    if outline is not None and outline >= 5 and not large and not (bold and len(text) <= 40):
        return None  # (1), ①, □, ○, - items of body size are list items unless short and bold
    if _SENTENCE_END.search(text) and not (large and len(text) < 40):
        return None
    if large:
        return Heading(text, size, bold, outline)
    if len(text) <= NUMBERED_MAX_CHARS and outline is not None:
        chapter = bool(re.match(r"^제\s?\d+\s?[장절편]", text))
        if bold or chapter:
            return Heading(text, size, bold, outline)
    return None


def side_by_side(
    blocks: Sequence[Block], found: dict[int, Heading], body: float
) -> dict[int, Heading]:
    """Blocks set like a heading on that heading's row, beside it (one line each, same size and
    weight): the headings of their own columns ("무상서비스" | "유상서비스"), though they start
    off the page's left text edge."""
    out: dict[int, Heading] = {}
    for i, block in enumerate(blocks):
        if i in found or block.item is not None or len(block.lines) != 1:
            continue
        candidate = heading_of(block, body)
        if candidate is None:
            continue
        x0, y0, x1, y1 = block.bbox
        for j, heading in found.items():
            ox0, oy0, ox1, oy1 = blocks[j].bbox
            beside = ox1 < x0 or x1 < ox0
            same_row = min(y1, oy1) - max(y0, oy0) > 0.5 * max(y1 - y0, oy1 - oy0)
            if (
                beside
                and same_row
                and len(blocks[j].lines) == 1
                and heading.bold == candidate.bold
                and max(heading.size, candidate.size)
                <= SAME_SIZE * min(heading.size, candidate.size)
            ):
                out[i] = candidate
                break
    return out


class HeadingLevels:
    """Levels for a document's headings: size rank first (larger is higher), then outline
    numbering, then boldness."""

    def __init__(self, headings: Sequence[Heading]) -> None:
        sizes = sorted({self._bucket(h.size) for h in headings}, reverse=True)
        self._rank = {s: i for i, s in enumerate(sizes)}

    @staticmethod
    def _bucket(size: float) -> float:
        return round(size / SIZE_BUCKET) * SIZE_BUCKET

    def level(self, heading: Heading) -> int:
        rank = self._rank.get(self._bucket(heading.size), len(self._rank))
        outline = heading.outline if heading.outline is not None else len(_OUTLINE)
        return rank * 100 + outline * 2 + (0 if heading.bold else 1)


def leads_text(
    blocks: Sequence[Block], found: dict[int, Heading], body: float
) -> dict[int, Heading]:
    """The heading candidates that lead something: body text, a table or another heading that
    does. Labels of a diagram are followed by more labels and are dropped."""
    kept: dict[int, Heading] = {}
    for i in range(len(blocks) - 1, -1, -1):
        if i not in found:
            continue
        if i + 1 == len(blocks):
            if found[i].bold or found[i].outline is not None:
                kept[i] = found[i]  # a heading at the foot of a page leads the next page
            continue
        plain = found[i].outline is None and not found[i].bold
        j = i + 1
        if not plain and _column_label(blocks[j]) and j + 1 < len(blocks) and j not in found:
            j += 1  # a page heading over a column label ("설명") leads the text below the label
        nxt = blocks[j]
        if nxt.item is not None or j in kept:
            kept[i] = found[i]
        elif j not in found:
            # Unnumbered regular-weight headings need a real paragraph after them.
            need = 2 * LEAD_MIN_CHARS if plain else LEAD_MIN_CHARS
            if any(len(p) >= need for p in paragraphs(nxt)):
                kept[i] = found[i]
    return kept


def _column_label(block: Block) -> bool:
    """A lone short bold line: the label over a column (a glossary's "설명"), not a paragraph."""
    if block.item is not None or len(block.lines) != 1:
        return False
    line = block.lines[0]
    return line.bold and len(line.text) < LEAD_MIN_CHARS // 2 and outline_level(line.text) is None


def text_left(lines: Sequence[Line], body: float) -> float | None:
    """The left edge of a page's body text (None on a sparse page)."""
    if len(lines) < SPARSE_LINES:
        return None
    edges = sorted(line.x0 for line in lines if line.size <= HEADING_RATIO * body)
    if len(edges) < 3:
        return None
    return edges[len(edges) // 10]


def first_page_title(lines: Sequence[Line], body: float) -> str | None:
    """The first page's largest text (up to three consecutive lines), when it stands out."""
    if not lines:
        return None
    largest = max(line.size for line in lines)
    if largest < TITLE_RATIO * body:
        return None
    picked: list[str] = []
    started = False
    for line in lines:
        if line.size >= 0.85 * largest and any(ch.isalpha() for ch in line.text):
            picked.append(line.text)
            started = True
            if len(picked) >= TITLE_MAX_LINES:
                break
        elif started:
            break
    title = " ".join(picked).strip()
    if not title or len(title) > TITLE_MAX_CHARS:
        return None
    return title


def glossary_pairs(blocks: Sequence[Block]) -> dict[int, int]:
    """Term blocks followed by their definition: {term block index: definition block index}.

    A term is one short bold line that does not end a sentence; its definition is the next
    regular block. Only runs of at least three pairs count (a glossary page, not a bold label).
    """
    pairs: dict[int, int] = {}
    run: list[tuple[int, int]] = []

    def close() -> None:
        if len(run) >= MIN_GLOSSARY_PAIRS:
            pairs.update(run)
        run.clear()

    i = 0
    while i < len(blocks) - 1:
        term, definition = blocks[i], blocks[i + 1]
        if (
            term.item is None
            and definition.item is None
            and len(term.lines) == 1
            and term.lines[0].bold
            and len(term.lines[0].text) <= TERM_MAX_CHARS
            and not _SENTENCE_END.search(term.lines[0].text)
            and not definition.lines[0].bold
            and term.lines[0].size <= SAME_SIZE * definition.lines[0].size
            and outline_level(term.lines[0].text) is None  # "1 개요" then its text: a heading
            and abs(definition.lines[0].x0 - term.lines[0].x0) < 3 * term.lines[0].size
        ):
            run.append((i, i + 1))
            i += 2
        else:
            close()
            i += 1
    close()
    return pairs
