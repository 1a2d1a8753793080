"""Words → lines → blocks in reading order → paragraphs. Pure functions over the page model.

- :func:`group_lines`: words on the same baseline become a line; a wide horizontal gap splits it
  (two columns, a label and a far-away value), so every :class:`Line` lies in one column.
- :func:`reading_order`: lines grouped into blocks (stacked, overlapping, close lines of one
  size), blocks ordered by a recursive XY-cut that takes the widest whitespace gap first, so a
  two-column page is read column by column and a boxed example as one piece.
- :func:`paragraphs`: a block's wrapped lines joined into one line per paragraph, list items and
  headings kept as their own lines.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from statistics import median

from ingest.layout.page import Word
from ingest.layout.wordbreaks import BREAK
from ingest.tuning import (
    BLOCK_GAP_LINES,
    FULL_LINE_EM,
    GUTTER_MIN_EM,
    GUTTER_RUN,
    LETTER_SPACED_MIN,
    LINE_SPLIT_EM,
    MIN_CUT_GAP,
    NEXT_WORD_MAX_EM,
    SAME_SIZE,
)

# A line starting like this opens a list item, never continues the previous line ("1.RSAES …",
# a number and its dot set close to the item's first word, is one too).
LIST_START = re.compile(
    r"""^(?:
        [•·ꞏ∙◦○●◎□■◇◆▪▫▶▷►▸‣⁃※★☆✓✔❍❏∎◼◻➢➤\-–—*+>]
      | \(?\d{1,3}(?:\.\d{1,3})*[.)](?:\s|$)
      | \d{1,3}(?:\.\d{1,3})+\.?\s
      | \d{1,2}\.(?=[A-Z\uac00-\ud7a3])
      | \(\d{1,3}\)
      | [①-⑳㉠-㉻㈀-㈜]
      | \(?[가-하A-Za-z][.)](?:\s|$)
      | [ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]+[.)]?(?:\s|$)
      | 제\s?\d+\s?[장절조관항편부]
      | [A-Z]\.\d
      | \d+장\s
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Line:
    """Words of one baseline within one column, left to right."""

    words: tuple[Word, ...]

    @cached_property
    def text(self) -> str:
        # Letter-spaced Hangul ("연 결 재 무 상 태 표", a spaced-out title) is one word.
        if len(self.words) >= LETTER_SPACED_MIN and all(
            len(w.text) == 1 and "가" <= w.text <= "힣" for w in self.words
        ):
            return "".join(w.text for w in self.words)
        return " ".join(w.text for w in self.words)

    @cached_property
    def x0(self) -> float:
        return self.words[0].x0

    @cached_property
    def x1(self) -> float:
        return max(w.x1 for w in self.words)

    @cached_property
    def y0(self) -> float:
        return min(w.y0 for w in self.words)

    @cached_property
    def y1(self) -> float:
        return max(w.y1 for w in self.words)

    @cached_property
    def size(self) -> float:
        """The size of most of the line's characters."""
        sizes: dict[float, int] = {}
        for w in self.words:
            key = round(w.size, 1)
            sizes[key] = sizes.get(key, 0) + len(w.text)
        return max(sizes.items(), key=lambda kv: kv[1])[0]

    @cached_property
    def bold(self) -> bool:
        """True when most characters are bold."""
        bold = sum(len(w.text) for w in self.words if w.bold)
        return bold * 2 > sum(len(w.text) for w in self.words)


@dataclass(frozen=True)
class Block:
    """Lines stacked closely in one column (a paragraph group, a heading, a table)."""

    lines: tuple[Line, ...]
    # A non-prose item placed in the reading order (a table's index), with its own box.
    item: int | None = None
    box: tuple[float, float, float, float] | None = None

    @cached_property
    def bbox(self) -> tuple[float, float, float, float]:
        if self.box is not None:
            return self.box
        return (
            min(line.x0 for line in self.lines),
            min(line.y0 for line in self.lines),
            max(line.x1 for line in self.lines),
            max(line.y1 for line in self.lines),
        )


def _hangul(ch: str) -> bool:
    return "가" <= ch <= "힣"


def _wordy(word: Word) -> bool:
    return not word.formula and sum(1 for ch in word.text if ch.isalnum()) >= 2


def row_texts(lines: Sequence[Line]) -> list[str]:
    """The texts of visual rows: lines overlapping vertically joined left to right (a TOC
    entry and its far-right page number, which :func:`group_lines` keeps apart)."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: (ln.y0, ln.x0)):
        if rows:
            last = rows[-1][-1]
            overlap = min(last.y1, line.y1) - max(last.y0, line.y0)
            # Against the taller line: a big letter beside two entries joins neither.
            if overlap > 0.5 * max(last.y1 - last.y0, line.y1 - line.y0):
                rows[-1].append(line)
                continue
        rows.append([line])
    return [" ".join(ln.text for ln in sorted(row, key=lambda ln: ln.x0)) for row in rows]


def _row_gaps(words: list[Word]) -> list[tuple[float, float]]:
    """The gaps between consecutive words of a row at least GUTTER_MIN_EM wide."""
    gaps = []
    for prev, word in itertools.pairwise(words):
        em = max(1.0, min(prev.size, word.size))
        if word.x0 - prev.x1 >= GUTTER_MIN_EM * em:
            gaps.append((prev.x1, word.x0))
    return gaps


def _gutters(rows: list[list[Word]]) -> list[set[int]]:
    """For each row, the indexes of its gaps that line up with gaps of neighbouring rows into a
    column gutter (GUTTER_RUN rows or more): narrow gutters that LINE_SPLIT_EM alone misses."""
    gaps = [_row_gaps(words) for words in rows]

    def meets(g: tuple[float, float], others: list[tuple[float, float]]) -> bool:
        return any(min(g[1], o[1]) - max(g[0], o[0]) >= 1.0 for o in others)

    out: list[set[int]] = []
    for i, row_gaps in enumerate(gaps):
        found: set[int] = set()
        for k, g in enumerate(row_gaps):
            run = 1
            j = i - 1
            while j >= 0 and meets(g, gaps[j]):
                run += 1
                j -= 1
            j = i + 1
            while j < len(gaps) and meets(g, gaps[j]):
                run += 1
                j += 1
            if run >= GUTTER_RUN:
                found.add(k)
        out.append(found)
    return out


def _split_line(words: list[Word], gutters: set[int]) -> list[Line]:
    out: list[list[Word]] = [[words[0]]]
    gap_index = -1
    for prev, word in itertools.pairwise(words):
        em = max(1.0, min(prev.size, word.size))
        gap = word.x0 - prev.x1
        if gap >= GUTTER_MIN_EM * em:
            gap_index += 1
        # A size change splits only between words (a bullet glyph is often set smaller).
        resized = not same_size(prev.size, word.size) and _wordy(prev) and _wordy(word)
        gutter = gap >= GUTTER_MIN_EM * em and gap_index in gutters
        if gap > LINE_SPLIT_EM * em or resized or gutter:
            out.append([word])
        else:
            out[-1].append(word)
    return [Line(tuple(ws)) for ws in out]


def _overlaps(y0: float, y1: float, word: Word) -> bool:
    """Whether ``word`` lies on the band y0..y1, measured against the taller of the two: a
    letter set large in the margin ("C O N T E N T S" down a TOC page) does not pull two
    entries beside it into one line."""
    overlap = min(y1, word.y1) - max(y0, word.y0)
    return overlap > 0.5 * max(y1 - y0, word.y1 - word.y0)


def _overlaps_beside(members: Sequence[Word], word: Word) -> bool:
    """Whether ``word`` lies on the band of the row's words beside it (where it has some): a
    row across a spread's pages sits a little lower on one page, and its whole band would pull
    the next line of a tightly set column on the other page into it."""
    reach = LINE_SPLIT_EM * word.size
    near = [m for m in members if m.x0 - reach <= word.x1 and word.x0 <= m.x1 + reach]
    if not near:
        return True
    return _overlaps(min(m.y0 for m in near), max(m.y1 for m in near), word)


def group_lines(words: Sequence[Word]) -> list[Line]:
    """Words grouped into lines by vertical overlap, split at wide gaps and at column gutters;
    top to bottom."""
    rows: list[tuple[float, float, list[Word]]] = []  # (y0, y1, words), current rows
    for word in sorted(words, key=lambda w: (w.cy, w.x0)):
        placed = False
        for i in range(len(rows) - 1, max(-1, len(rows) - 4), -1):
            y0, y1, members = rows[i]
            if _overlaps(y0, y1, word) and _overlaps_beside(members, word):
                members.append(word)
                rows[i] = (min(rows[i][0], word.y0), max(rows[i][1], word.y1), members)
                placed = True
                break
        if not placed:
            rows.append((word.y0, word.y1, [word]))
    ordered = [sorted(members, key=lambda w: w.x0) for _, _, members in rows]
    gutters = _gutters(ordered)
    lines = [
        line
        for members, found in zip(ordered, gutters, strict=True)
        for line in _split_line(members, found)
    ]
    lines.sort(key=lambda ln: (ln.y0, ln.x0))
    return lines


def same_size(a: float, b: float) -> bool:
    return max(a, b) <= SAME_SIZE * min(a, b)


def group_blocks(lines: Sequence[Line]) -> list[Block]:
    """Lines stacked closely, overlapping horizontally and of one size, as blocks."""
    open_blocks: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: (ln.y0, ln.x0)):
        target = None
        for members in reversed(open_blocks):
            last = members[-1]
            height = max(1.0, last.y1 - last.y0)
            gap = line.y0 - last.y1
            x_overlap = min(last.x1, line.x1) - max(last.x0, line.x0)
            if (
                -0.5 * height < gap < BLOCK_GAP_LINES * height
                and x_overlap > 0
                and same_size(last.size, line.size)
                and last.bold == line.bold
            ):
                target = members
                break
        if target is None:
            open_blocks.append([line])
        else:
            target.append(line)
    return [Block(tuple(members)) for members in open_blocks]


def _gaps(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Whitespace intervals between the union of ``spans`` (sorted by start)."""
    spans.sort()
    gaps: list[tuple[float, float]] = []
    end = spans[0][1]
    for start, stop in spans[1:]:
        if start > end:
            gaps.append((end, start))
        end = max(end, stop)
    return gaps


def _column_heads_down(first: list[Block], second: list[Block]) -> tuple[list[Block], list[Block]]:
    """Headings set side by side just above two columns ("무상서비스" over the left column,
    "유상서비스" over the right) move down from ``first`` to the columns of ``second`` they head,
    so each column is read after its own heading, not both headings before either column."""
    cuts = [
        (a + b) / 2
        for a, b in _gaps([(b.bbox[0], b.bbox[2]) for b in second])
        if b - a >= MIN_CUT_GAP
    ]
    if not cuts:
        return first, second
    low = max(first, key=lambda b: b.bbox[3])
    height = low.bbox[3] - low.bbox[1]
    row = [
        b
        for b in first
        if b.item is None and len(b.lines) == 1 and b.bbox[1] >= low.bbox[1] - 0.5 * height
    ]
    top = min(b.bbox[1] for b in second)

    def column(b: Block) -> int | None:
        sides = {sum(1 for c in cuts if x > c) for x in (b.bbox[0], b.bbox[2])}
        return sides.pop() if len(sides) == 1 else None

    columns = [column(b) for b in row]
    if (
        len(row) < 2
        or len(row) == len(first)
        or None in columns
        or len(set(columns)) < 2
        or not all(same_size(b.lines[0].size, low.lines[0].size) for b in row)
        or top - low.bbox[3] > height
    ):
        return first, second
    return [b for b in first if b not in row], row + second


def xy_cut(blocks: Sequence[Block]) -> list[Block]:
    """Blocks in reading order: cut at the widest whitespace gap (across or down), recursively."""
    if len(blocks) <= 1:
        return list(blocks)
    boxes = [b.bbox for b in blocks]
    x_gaps = _gaps([(b[0], b[2]) for b in boxes])
    y_gaps = _gaps([(b[1], b[3]) for b in boxes])
    best_x = max(x_gaps, key=lambda g: g[1] - g[0], default=None)
    best_y = max(y_gaps, key=lambda g: g[1] - g[0], default=None)
    wx = best_x[1] - best_x[0] if best_x else 0.0
    wy = best_y[1] - best_y[0] if best_y else 0.0
    if max(wx, wy) < MIN_CUT_GAP and not y_gaps:
        return sorted(blocks, key=lambda b: (b.bbox[1], b.bbox[0]))
    if best_x is not None and wx >= MIN_CUT_GAP and wx >= wy:
        cut = (best_x[0] + best_x[1]) / 2
        first = [b for b in blocks if b.bbox[2] <= cut]
        second = [b for b in blocks if b.bbox[2] > cut]
    elif best_y is not None:
        cut = (best_y[0] + best_y[1]) / 2
        first = [b for b in blocks if b.bbox[3] <= cut]
        second = [b for b in blocks if b.bbox[3] > cut]
        first, second = _column_heads_down(first, second)
    else:
        return sorted(blocks, key=lambda b: (b.bbox[1], b.bbox[0]))
    if not first or not second:
        return sorted(blocks, key=lambda b: (b.bbox[1], b.bbox[0]))
    return xy_cut(first) + xy_cut(second)


def reading_order(lines: Sequence[Line], items: Sequence[Block] = ()) -> list[Block]:
    """The page's lines as blocks in reading order; ``items`` (tables) take their place in it."""
    return xy_cut([*group_blocks(lines), *items])


_TERMINAL = re.compile(r"[.!?。:;][\"'”’)\]」』]*$")


def joins(prev: Line, line: Line, right_edge: float) -> bool:
    """Whether ``line`` continues the paragraph ``prev`` ends (a visual wrap)."""
    em = max(1.0, prev.size)
    if LIST_START.match(line.text):
        return False
    hanging = LIST_START.match(prev.text) and line.x0 > prev.x0 + 0.5 * em
    if hanging and not _TERMINAL.search(prev.text):
        return True  # the second line of a list item, set at the item's hanging indent
    # A line is full when the next line's first word would not have fitted after it.
    first = line.words[0]
    room = max(FULL_LINE_EM * em, min(NEXT_WORD_MAX_EM * em, first.x1 - first.x0 + em))
    if prev.x1 < right_edge - room:
        return False  # a short line ends its paragraph
    return not _TERMINAL.search(prev.text)  # a full line ending a sentence ends a paragraph


def paragraphs(block: Block, right_edge: float | None = None) -> list[str]:
    """The block's lines, wrapped ones joined: one paragraph or list item per string.

    A line is full when it reaches ``right_edge`` (default: the block's right edge; a block
    of a line or two cannot tell its own width, so the caller passes the column's)."""
    if not block.lines:
        return []
    right = max(line.x1 for line in block.lines)
    if right_edge is not None:
        right = max(right, right_edge)
    out: list[str] = [block.lines[0].text]
    for prev, line in zip(block.lines, block.lines[1:], strict=False):
        if joins(prev, line, right):
            if prev.text.endswith("-") and prev.text[-2:-1].isalpha():
                out[-1] = out[-1][:-1] + line.text
            elif prev.words[-1].glued and _hangul(prev.text[-1]) and _hangul(line.text[0]):
                # Between Hangul without a space mark: a word broken across the lines, or two
                # words; decided later (ingest.layout.wordbreaks), a space if never decided.
                out[-1] = out[-1] + BREAK + line.text
            else:
                out[-1] = out[-1] + " " + line.text
        else:
            out.append(line.text)
    return out


def body_size(lines: Sequence[Line]) -> float:
    """The size most characters are set in (the body text), 10 when there is no text."""
    weights: dict[float, int] = {}
    for line in lines:
        key = round(line.size, 0)
        weights[key] = weights.get(key, 0) + len(line.text)
    if not weights:
        return 10.0
    top = max(weights.items(), key=lambda kv: kv[1])[0]
    near = [line.size for line in lines if round(line.size, 0) == top]
    return float(median(near))
