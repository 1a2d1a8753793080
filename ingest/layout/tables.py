"""Tables on a PDF page, found from ruling lines and column alignment (never from justified prose).

API used by the PDF loader (ingest/loaders/pdf.py):
- ``find_tables(page) -> list[Table]``: the tables of a page, each with its bounding box and cells;
- ``render_table(table) -> RenderedTable``: the header as context and one self-describing line per
  row (row label, column label and value together), so a row read alone says what its values mean.

Two detectors:
- **ruled**: horizontal and vertical rules that touch form a component; its rule coordinates,
  clustered, give the grid lines, and a grid boundary with no rule drawn along it joins the cells
  on either side (a merged cell). A component whose cells hold text in fewer than two rows of two
  cells (a framed note, a heading bar, a title block) is not a table.
- **aligned**: outside ruled tables, runs of at least three lines whose words leave the same
  vertical gaps (at least two columns, gaps wider than any word space of justified prose) are a
  table when some column holds short cells (numbers, labels); dot-leader lines (a table of
  contents) never are.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ingest.layout.page import PageLayout, Rule, Word
from ingest.tuning import (
    ALIGN_TOLERANCE,
    BAND_EDGE,
    BAND_JOIN,
    BAND_SNAP,
    COL_GAP,
    MAX_BAND,
    MAX_PROSE_CELL,
    MAX_SECTION_LABEL,
    MIN_ALIGNED_ROWS,
    MIN_BAND_RULE,
    MIN_CELL,
    MIN_CELL_DENSITY,
    MIN_RULE,
    MIN_SPACES_FOR_MEDIAN,
    NUMBER_COLUMN_SHARE,
    ROW_GAP,
    SNAP,
    SPREAD_FACTOR,
)

logger = logging.getLogger(__name__)

# Safety caps, not tuned (the tuned numbers of this module are in ingest/tuning.py).
# Bounds on the work per page (the loader's budget is 0.1 s a page): the shared PDFs' busiest
# page has 104 x 107 merged rules and a 13 x 18 grid; a 150 x 150 grid costs 0.15 s of CPU, so
# a grid stops at 12,000 cells (a 400-row, 30-column table still passes).
MAX_RULE_PAIRS = 1_000_000
MAX_GRID_CELLS = 12_000
LEVEL_JOIN = " > "  # between the levels of a label: "2022년 > 금액", "유동자산 > 현금"

_DOT_LEADER = re.compile(r"(?:\.\s?){4,}|(?:·\s?){3,}|…{2,}|(?:ㆍ\s?){3,}|(?:‥\s?){2,}")
_NUMBER = re.compile(r"^[(△▲▽△-]?[\d,.]+%?\)?$|^[\d,.]+\s*(?:원|건|개|명|%|년|월|일)$")
_CAPTION = re.compile(
    r"^\s*(?:[<〈《\[［【]\s*(?:표|table)\b|(?:표|table)\s*[\dⅠ-Ⅹ]+[.:)\s])", re.I
)
_BRACKETED = re.compile(r"^\s*[\[［【〈<][^\]］】〉>]{1,40}[\]］】〉>]\s*$")
_SENTENCE_END = re.compile(r"(?:다|요|음|함|임)\.\s*$|[.!?]\s*$")
_YEAR = re.compile(r"^(?:19|20)\d\d(?:년|년도)?$")
_HANGUL_SYLLABLE = re.compile(r"^[\uac00-\ud7a3]$")
_ROW_BULLET = re.compile(r"^[•·ꞏ∙◦○●▪■□◆◇-]$|^[•ꞏ▪■□◆◇]\S")
_ITEM_BULLET = re.compile(r"^[∎■□▪▫•◦ꞏ]\s+")
_ITEM_BULLET_ANYWHERE = re.compile(r"(?:^|\s)[∎■□▪▫•◦ꞏ]\s")


@dataclass(frozen=True)
class Cell:
    """One cell of the grid; a merged cell appears once with its spans."""

    row: int
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1
    bold: bool = False  # most of its words are bold


@dataclass(frozen=True)
class Table:
    """A table: its area on the page (x0, y0, x1, y1) and its cells; ``header_rows`` leading rows
    are column labels (0: none, e.g. a key-value box whose first column holds the labels)."""

    bbox: tuple[float, float, float, float]
    cells: tuple[Cell, ...]
    n_rows: int
    n_cols: int
    header_rows: int = 1
    caption: str = ""  # a caption line found right above or below the table
    source: str = "rules"  # "rules" (a drawn grid) or "alignment" (column gaps)


@dataclass(frozen=True)
class RenderedTable:
    """A table as text: ``context`` (caption and header) and one line per row; ``section``: the
    group row (a label across the table) in effect after the last row, for a part on the next
    page to go on under."""

    context: str
    lines: tuple[str, ...]
    section: str = ""


# -- shared helpers ----------------------------------------------------------------------------


def _cluster(values: Iterable[float], tol: float) -> list[float]:
    """Sorted values grouped where neighbours are within ``tol``; each group's mean."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(g) / len(g) for g in out]


def _lines(words: Sequence[Word]) -> list[list[Word]]:
    """Words grouped into text lines (by vertical centre), each sorted left to right."""
    lines: list[list[Word]] = []
    top = bottom = 0.0
    for w in sorted(words, key=lambda w: (w.cy, w.x0)):
        # A word belongs to the line its centre falls in (a full stop's tiny box included).
        if lines and top <= w.cy <= bottom:
            lines[-1].append(w)
            if w.y1 - w.y0 > bottom - top:
                top, bottom = min(top, w.y0), max(bottom, w.y1)
        else:
            lines.append([w])
            top, bottom = w.y0, w.y1
    return [sorted(line, key=lambda w: w.x0) for line in lines]


def _is_hangul(char: str) -> bool:
    return "\uac00" <= char <= "\ud7a3"


def _line_text(line: Sequence[Word]) -> str:
    """A line's words joined by spaces; letter-spaced Hangul ("자 산 총 계") closed up."""
    parts: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= 2 and sum(bool(_HANGUL_SYLLABLE.match(t)) for t in run) >= 2:
            parts.append("".join(run))
        else:
            parts.extend(run)
        run.clear()

    for w in line:
        if len(w.text) == 1:
            run.append(w.text)
        else:
            flush()
            parts.append(w.text)
    flush()
    return " ".join(parts)


def _cell_text(words: Sequence[Word]) -> str:
    """A cell's words in reading order; its lines joined by a space."""
    return " ".join(_line_text(line) for line in _lines(words)).strip()


def _bold(words: Sequence[Word]) -> bool:
    return bool(words) and sum(w.bold for w in words) * 2 > len(words)


def _is_amount(text: str) -> bool:
    """A number that is a value, not a label: a year ("2022", "2022년") is a column label."""
    plain = text.replace(" ", "")
    return _is_number(plain) and not _YEAR.match(plain)


def _is_number(text: str) -> bool:
    return bool(_NUMBER.match(text.replace(" ", "")))


def _inside(w: Word, box: tuple[float, float, float, float]) -> bool:
    return box[0] <= w.cx <= box[2] and box[1] <= w.cy <= box[3]


def _outside(
    words: Sequence[Word], boxes: Sequence[tuple[float, float, float, float]]
) -> list[Word]:
    """The words whose centre lies in none of ``boxes``."""
    if not boxes:
        return list(words)
    out = []
    for w in words:
        cx, cy = (w.x0 + w.x1) / 2, (w.y0 + w.y1) / 2
        if not any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in boxes):
            out.append(w)
    return out


# -- ruled tables ------------------------------------------------------------------------------


class _Union:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def _join_collinear(
    segments: Iterable[tuple[float, float, float]], snap: float, join: float
) -> list[tuple[float, float, float]]:
    """(position, from, to) segments whose positions lie within ``snap`` of the previous one as
    one line at their mean position, its pieces joined across gaps up to ``join``."""
    out: list[tuple[float, float, float]] = []
    rows: list[list[tuple[float, float, float]]] = []
    for seg in sorted(segments):
        if rows and seg[0] - rows[-1][-1][0] <= snap:
            rows[-1].append(seg)
        else:
            rows.append([seg])
    for row in rows:
        pos = sum(s[0] for s in row) / len(row)
        spans = sorted((s[1], s[2]) for s in row)
        lo, hi = spans[0]
        for a, b in spans[1:]:
            if a <= hi + join:
                hi = max(hi, b)
            else:
                out.append((pos, lo, hi))
                lo, hi = a, b
        out.append((pos, lo, hi))
    return out


def _merge_segments(
    segments: Iterable[tuple[float, float, float]],
) -> list[tuple[float, float, float]]:
    """Collinear overlapping or touching segments joined; cell borders drawn once per cell
    become one rule per grid line, so later steps see few rules."""
    return _join_collinear(segments, SNAP / 2, SNAP)


_Seg = tuple[float, float, float]  # (position across, from, to along) of a rule


def _rule_components(rules: Sequence[Rule]) -> list[tuple[list[_Seg], list[_Seg]]]:
    """Groups of touching rules: (horizontal, vertical) of each group with both kinds."""
    hs = _merge_segments(
        ((r.y0 + r.y1) / 2, r.x0, r.x1) for r in rules if r.horizontal and r.x1 - r.x0 >= MIN_RULE
    )
    vs = _merge_segments(
        ((r.x0 + r.x1) / 2, r.y0, r.y1)
        for r in rules
        if not r.horizontal and r.y1 - r.y0 >= MIN_RULE
    )
    if len(hs) < 2 or len(vs) < 2:
        return []
    if len(hs) * len(vs) > MAX_RULE_PAIRS:
        # Hatching, a chart's grid or a hostile file: no table is drawn with that many lines.
        logger.debug("page skipped for ruled tables: %d x %d rules", len(hs), len(vs))
        return []
    h = np.array(hs)
    v = np.array(vs)
    union = _Union(len(hs) + len(vs))
    # A horizontal and a vertical rule touch where they cross or one ends on the other.
    cross = (
        (v[None, :, 0] >= h[:, None, 1] - SNAP)
        & (v[None, :, 0] <= h[:, None, 2] + SNAP)
        & (h[:, None, 0] >= v[None, :, 1] - SNAP)
        & (h[:, None, 0] <= v[None, :, 2] + SNAP)
    )
    for i, j in zip(*np.nonzero(cross), strict=True):
        union.join(int(i), len(hs) + int(j))
    groups: dict[int, tuple[list[_Seg], list[_Seg]]] = {}
    for i, seg in enumerate(hs):
        groups.setdefault(union.find(i), ([], []))[0].append(seg)
    for j, seg in enumerate(vs):
        groups.setdefault(union.find(len(hs) + j), ([], []))[1].append(seg)
    return [g for g in groups.values() if len(g[0]) >= 2 and len(g[1]) >= 2]


def _covers(lo: float, hi: float, at: float) -> bool:
    return lo - SNAP <= at <= hi + SNAP


def _grid_table(hs: list[_Seg], vs: list[_Seg], words: Sequence[Word]) -> Table | None:
    """The table a group of touching rules draws, or None where it is no table."""
    # Outer borders are sometimes not drawn (a form whose label column has no left rule): the
    # rules' own extents close the grid.
    ys = _cluster([seg[0] for seg in hs] + [min(s[1] for s in vs), max(s[2] for s in vs)], MIN_CELL)
    xs = _cluster([seg[0] for seg in vs] + [min(s[1] for s in hs), max(s[2] for s in hs)], MIN_CELL)
    if len(ys) < 2 or len(xs) < 2:
        return None
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    if n_rows * n_cols > MAX_GRID_CELLS:
        return None  # graph paper, not a table
    # Rules along each grid line, as (position, from, to), for the boundary tests below.
    h_at: list[list[tuple[float, float]]] = [[] for _ in ys]
    for pos, lo, hi in hs:
        h_at[min(range(len(ys)), key=lambda k: abs(ys[k] - pos))].append((lo, hi))
    v_at: list[list[tuple[float, float]]] = [[] for _ in xs]
    for pos, lo, hi in vs:
        v_at[min(range(len(xs)), key=lambda k: abs(xs[k] - pos))].append((lo, hi))
    union = _Union(n_rows * n_cols)
    for r in range(n_rows):
        mid = (ys[r] + ys[r + 1]) / 2
        for j in range(1, n_cols):
            if not any(_covers(a, b, mid) for a, b in v_at[j]):
                union.join(r * n_cols + j - 1, r * n_cols + j)
    for i in range(1, n_rows):
        for c in range(n_cols):
            mid = (xs[c] + xs[c + 1]) / 2
            if not any(_covers(a, b, mid) for a, b in h_at[i]):
                union.join((i - 1) * n_cols + c, i * n_cols + c)
    spans: dict[int, list[int]] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            s = spans.setdefault(union.find(r * n_cols + c), [r, c, r, c])
            s[0], s[1] = min(s[0], r), min(s[1], c)
            s[2], s[3] = max(s[2], r), max(s[3], c)
    bbox = (xs[0], ys[0], xs[-1], ys[-1])
    by_region: dict[int, list[Word]] = {}
    for w in words:
        cx, cy = w.cx, w.cy
        if not (bbox[0] <= cx <= bbox[2] and bbox[1] <= cy <= bbox[3]):
            continue
        r = _index(ys, cy)
        c = _index(xs, cx)
        by_region.setdefault(union.find(r * n_cols + c), []).append(w)
    cells = []
    for root, (r0, c0, r1, c1) in spans.items():
        region_words = by_region.get(root, [])
        cells.append(
            Cell(r0, c0, _cell_text(region_words), r1 - r0 + 1, c1 - c0 + 1, _bold(region_words))
        )
    cut = _prose_cut(cells, n_rows, n_cols)
    if cut < n_rows:
        cells = [
            Cell(c.row, c.col, c.text, min(c.rowspan, cut - c.row), c.colspan, c.bold)
            for c in cells
            if c.row < cut
        ]
        bbox = (bbox[0], bbox[1], bbox[2], ys[cut])
        n_rows = cut
    return _finish(bbox, cells, n_rows, n_cols, "rules")


def _running_text(text: str) -> bool:
    """Sentences rather than a label: long, or ending like a sentence ("…다.", "….")."""
    return len(text) > MAX_PROSE_CELL or (
        len(text) > MAX_SECTION_LABEL and bool(_SENTENCE_END.search(text))
    )


def _prose_cut(cells: Sequence[Cell], n_rows: int, n_cols: int) -> int:
    """Where a frame's table part ends: before the first row that is one cell of running text
    across the table (a worked example boxed with its spec table), and before the short bars
    ("작성 예시") right above it."""
    full = {c.row: c for c in cells if c.col == 0 and c.colspan == n_cols and c.rowspan == 1}
    for r in range(1, n_rows):
        if r in full and _running_text(full[r].text):
            while r - 1 in full and len(full[r - 1].text) <= MAX_SECTION_LABEL and r > 1:
                r -= 1
            return r
    return n_rows


def _index(edges: Sequence[float], at: float) -> int:
    """The interval of sorted ``edges`` holding ``at`` (clamped to the first and last)."""
    return min(max(bisect.bisect_right(edges, at) - 1, 0), len(edges) - 2)


def _finish(
    bbox: tuple[float, float, float, float],
    cells: list[Cell],
    n_rows: int,
    n_cols: int,
    source: str,
) -> Table | None:
    """Drop empty grid rows and columns; None unless two rows hold two or more filled cells."""
    filled = [c for c in cells if c.text]
    rows_used = sorted({r for c in filled for r in range(c.row, c.row + c.rowspan)})
    cols_used = sorted({k for c in filled for k in range(c.col, c.col + c.colspan)})
    if len(rows_used) < 2 or len(cols_used) < 2:
        return None
    per_row: dict[int, int] = {}
    for c in filled:
        per_row[c.row] = per_row.get(c.row, 0) + 1
    if sum(1 for n in per_row.values() if n >= 2) < 2:
        return None
    row_map = {r: k for k, r in enumerate(rows_used)}
    col_map = {c: k for k, c in enumerate(cols_used)}
    kept: list[Cell] = []
    for c in filled:
        rows = [row_map[r] for r in range(c.row, c.row + c.rowspan) if r in row_map]
        cols = [col_map[k] for k in range(c.col, c.col + c.colspan) if k in col_map]
        kept.append(
            Cell(rows[0], cols[0], c.text, rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1, c.bold)
        )
    kept.sort(key=lambda c: (c.row, c.col))
    n_rows, n_cols = len(rows_used), len(cols_used)
    title = ""
    top_row = [c for c in kept if c.row == 0]
    if n_rows >= 3 and len(top_row) == 1 and top_row[0].colspan == n_cols:
        # A title row across the whole table: its caption, not its header.
        title = top_row[0].text
        kept = [
            Cell(c.row - 1, c.col, c.text, c.rowspan, c.colspan, c.bold) for c in kept if c.row > 0
        ]
        n_rows -= 1
    if len(kept) < MIN_CELL_DENSITY * n_rows * n_cols:
        return None  # boxes and arrows of a diagram: a sparse grid of a few merged regions
    header = _header_rows(kept, n_rows, n_cols)
    return Table(bbox, tuple(kept), n_rows, n_cols, header, title, source)


def _labels_down(first: Sequence[Cell], body: Sequence[Cell], n_cols: int) -> bool:
    """A key-value box: bold labels down the first column, plain values beside them, and a first
    row that is one more such pair (its value plain, or a code like "AS02.07" in a 2-column box)."""
    # A bar or note across the whole box ("작성 예시" over a worked example) labels nothing.
    label_col = [c for c in [*first, *body] if c.col == 0 and c.colspan < n_cols]
    if not label_col or not all(c.bold for c in label_col):
        return False
    if any(c.bold for c in body if c.col > 0 and c.colspan < n_cols):
        return False
    values = [c for c in first if c.col > 0]
    return bool(values) and (
        not any(c.bold for c in values)
        or (n_cols == 2 and all(_value_like(c.text) for c in values))
    )


def _value_like(text: str) -> bool:
    """A code or name rather than a Korean column label: digits in it, or no Hangul at all."""
    return any(ch.isdigit() for ch in text) or not any(_is_hangul(ch) for ch in text)


def _header_rows(cells: Sequence[Cell], n_rows: int, n_cols: int) -> int:
    """How many leading rows are column labels.

    A first row whose cells span several rows (or a merged cell over sub-columns) is a two-level
    header; a first row that holds numbers, or whose first cell alone is bold (a key-value box),
    is no header.
    """
    first = [c for c in cells if c.row == 0]
    body = [c for c in cells if c.row > 0]
    if not first or not body:
        return 0
    if _labels_down(first, body, n_cols):
        return 0
    if (
        n_cols == 2
        and not any(c.bold for c in cells)
        and all(_value_like(c.text) for c in first if c.col > 0)
    ):
        return 0  # an unstyled two-column box whose first row is already a name and its value
    values = [c for c in first if c.col > 0]
    lead = [c for c in first if c.col == 0]
    if (
        lead
        and lead[0].bold
        and values
        and not any(c.bold for c in values)
        and any(c.bold for c in body if c.col == 0)
    ):
        return 0  # labels down the first column (and beside values), not across the first row
    styled = all(c.bold for c in first) and not all(c.bold for c in body)
    if not styled and any(_is_amount(c.text) for c in values):
        return 0  # the first row already holds values
    if any(len(c.text) > MAX_SECTION_LABEL for c in first):
        return 0  # running text is a value, never a column label
    deep = max(c.rowspan for c in first)
    merged_top = any(c.rowspan == 1 and c.colspan > 1 for c in values)
    if 1 < deep < n_rows:
        # A corner cell over a two-level header has merged top cells beside it; without them,
        # a first column merged down several rows is the body's (the table has no header).
        return deep if merged_top else 0
    label_cols = lead[0].colspan if lead else 1
    if n_rows > 2 and any(c.col >= label_cols and c.colspan > 1 for c in first):
        # A second header row sits only under the merged top cells; a row with a cell of its
        # own elsewhere (a row label merged down the body, "하드웨어") is the body's first row.
        under = {k for c in first if c.colspan > 1 for k in range(c.col, c.col + c.colspan)}
        second = [c for c in cells if c.row == 1 and c.col > 0]
        own = [c for c in cells if c.row == 1 and c.col not in under]
        if second and not own and not any(_is_number(c.text) for c in second):
            return 2
    return 1


def _ruled_tables(page: PageLayout) -> list[Table]:
    tables = []
    for hs, vs in _rule_components(page.rules):
        table = _grid_table(hs, vs, page.words)
        if table is not None:
            tables.append(table)
    return tables


def _horizontal_rules(page: PageLayout) -> list[_Seg]:
    return _merge_segments(
        ((r.y0 + r.y1) / 2, r.x0, r.x1)
        for r in page.rules
        if r.horizontal and r.x1 - r.x0 >= MIN_RULE
    )


# -- tables ruled by horizontal lines only -------------------------------------------------------


def _row_separators(segments: Sequence[_Seg]) -> list[_Seg]:
    """Horizontal rules at (nearly) one height joined across the small breaks between columns."""
    return _join_collinear(segments, BAND_SNAP, BAND_JOIN)


def _stacks(separators: Sequence[_Seg]) -> list[list[_Seg]]:
    """Separators starting at one left edge, each at most MAX_BAND below the one before (a
    column may draw its own separators a little lower or not at all: the left edge holds)."""
    stacks: list[list[_Seg]] = []
    for sep in sorted(separators):
        for stack in stacks:
            last = stack[-1]
            if sep[0] - last[0] <= MAX_BAND and abs(sep[1] - last[1]) <= BAND_EDGE:
                stack.append(sep)
                break
        else:
            stacks.append([sep])
    return [s for s in stacks if len(s) >= 3]


def _free(
    lines: Sequence[Sequence[Word]], lo: float, hi: float, width: float
) -> list[tuple[float, float]]:
    """Interior intervals of [lo, hi] that no word of any of ``lines`` covers."""
    free = [(lo, hi)]
    for line in lines:
        segments = _segments(line, width)
        free = _intersect(free, _gaps(segments, lo, hi), width)
        if not free:
            break
    return [(a, b) for a, b in free if a > lo and b < hi]


def _band_cells(
    lines: Sequence[Sequence[Word]], free: Sequence[tuple[float, float]], edges: Sequence[float]
) -> list[Cell]:
    """One band's cells (row 0): its words by column, or one cell across all where it has no gap."""
    words = [w for line in lines for w in line]
    if not free:
        return [Cell(0, 0, _cell_text(words), 1, len(edges) - 1, _bold(words))]
    by_col: dict[int, list[Word]] = {}
    for w in words:
        by_col.setdefault(_index(edges, w.cx), []).append(w)
    return [Cell(0, c, _cell_text(ws), 1, 1, _bold(ws)) for c, ws in sorted(by_col.items())]


def _bullet_row_starts(lines: Sequence[Sequence[Word]], edges: Sequence[float]) -> list[int]:
    """Lines of a band that open a row of their own: led by a bullet in the first column, with
    values beside it in another column (two rows whose separator is not drawn)."""
    return [
        k
        for k, line in enumerate(lines)
        if _ROW_BULLET.match(line[0].text)
        and _index(edges, line[0].cx) == 0
        and any(_index(edges, w.cx) > 0 for w in line)
    ]


def _split_bullet_rows(
    bands: Sequence[list[list[Word]]],
    frees: Sequence[list[tuple[float, float]]],
    edges: Sequence[float],
) -> tuple[list[list[list[Word]]], list[list[tuple[float, float]]]]:
    """Bands holding two or more bullet-led rows ("ꞏ 수리가 불가능한 경우 …" over "ꞏ 수리가
    가능한 경우 …" with no rule between them) cut into one band per row."""
    out_bands: list[list[list[Word]]] = []
    out_frees: list[list[tuple[float, float]]] = []
    for lines, free in zip(bands, frees, strict=True):
        starts = _bullet_row_starts(lines, edges) if free else []
        if len(starts) < 2:
            out_bands.append(lines)
            out_frees.append(free)
            continue
        cuts = [0, *(k for k in starts if k > 0), len(lines)]
        for a, b in itertools.pairwise(cuts):
            out_bands.append(lines[a:b])
            out_frees.append(free)
    return out_bands, out_frees


def _texts(row: Sequence[Cell]) -> list[str]:
    return [c.text for c in row]


def _banded_tables(
    page: PageLayout, hrules: Sequence[_Seg], taken: Sequence[tuple[float, float, float, float]]
) -> list[Table]:
    seps = [
        s
        for s in hrules
        if s[2] - s[1] >= MIN_BAND_RULE
        and not any(
            s[1] < box[2] and box[0] < s[2] and box[1] - SNAP <= s[0] <= box[3] + SNAP
            for box in taken
        )
    ]
    tables: list[Table] = []
    prev_caption = ""
    for stack in _stacks(_row_separators(seps)):
        x0 = min(s[1] for s in stack)
        x1 = max(s[2] for s in stack)
        words = [
            w
            for w in page.words
            if x0 <= w.cx <= x1
            and stack[0][0] < w.cy < stack[-1][0]
            and not any(_inside(w, box) for box in taken)
        ]
        if not words:
            continue
        bands: list[list[list[Word]]] = []
        for top, bottom in itertools.pairwise(stack):
            band_words = [w for w in words if top[0] < w.cy < bottom[0]]
            if band_words:
                bands.append(_lines(band_words))
        if len(bands) < MIN_ALIGNED_ROWS:
            continue
        height = sorted(w.y1 - w.y0 for w in words)[len(words) // 2]
        frees = [_free(lines, x0, x1, height * COL_GAP * 0.5) for lines in bands]
        # Text above the first row or below the last (a heading, a note) crosses the columns:
        # it is left out of the table and its area, so it stays in the page's prose.
        upper, bottom_edge = stack[0][0], stack[-1][0]
        while frees and not frees[0]:
            upper = max(w.y1 for line in bands[0] for w in line)
            frees, bands = frees[1:], bands[1:]
        while frees and not frees[-1]:
            bottom_edge = min(w.y0 for line in bands[-1] for w in line)
            frees, bands = frees[:-1], bands[:-1]
        gutters: list[tuple[float, float]] | None = None
        for free in frees:
            if free:
                gutters = free if gutters is None else _intersect(gutters, free, height * 0.5)
        if not gutters or sum(1 for f in frees if f) < MIN_ALIGNED_ROWS:
            continue
        edges = [x0] + [(a + b) / 2 for a, b in gutters] + [x1]
        bands, frees = _split_bullet_rows(bands, frees, edges)
        rows = [_band_cells(lines, free, edges) for lines, free in zip(bands, frees, strict=True)]
        tops = [upper] + [min(w.y0 for line in lines for w in line) for lines in bands[1:]]
        # A row repeating the header starts the next table; the full-width row before it (if any)
        # is that table's caption.
        starts = [0] + [r for r in range(2, len(rows)) if _texts(rows[r]) == _texts(rows[0])]
        for k, start in enumerate(starts):
            end = starts[k + 1] if k + 1 < len(starts) else len(rows)
            caption = ""
            if k + 1 < len(starts) and len(rows[end - 1]) == 1 and rows[end - 1][0].colspan > 1:
                caption = rows[end - 1][0].text
                end -= 1
            part = rows[start:end]
            cells = [
                Cell(r, c.col, c.text, 1, c.colspan, c.bold)
                for r, row in enumerate(part)
                for c in row
            ]
            lower = tops[end] if end < len(rows) else bottom_edge
            table = _finish((x0, tops[start], x1, lower), cells, len(part), len(edges) - 1, "rows")
            if table is not None:
                if k > 0 and not table.caption:
                    table = _with_caption(table, prev_caption)
                tables.append(table)
            prev_caption = caption
    return tables


# -- aligned tables ----------------------------------------------------------------------------


def _column_gap(line: Sequence[Word], gap: float) -> float:
    """The least space between two words of ``line`` that separates columns: ``gap``, or more
    where the line's own word spaces are wide (justified prose spreads all of them evenly; a
    table row keeps narrow spaces inside its cells)."""
    spaces = sorted(b.x0 - a.x1 for a, b in itertools.pairwise(line))
    if len(spaces) < MIN_SPACES_FOR_MEDIAN:
        return gap
    # The lower quartile: a row of two-word cells has as many gutters as in-cell spaces.
    return max(gap, spaces[(len(spaces) - 1) // 4] * SPREAD_FACTOR)


def _segments(line: Sequence[Word], gap: float) -> list[list[Word]]:
    """A line cut where the space between two words is a column gap (see _column_gap)."""
    gap = _column_gap(line, gap)
    out: list[list[Word]] = [[line[0]]]
    for w in line[1:]:
        if w.x0 - out[-1][-1].x1 >= gap:
            out.append([w])
        else:
            out[-1].append(w)
    return out


def _gaps(segments: Sequence[Sequence[Word]], lo: float, hi: float) -> list[tuple[float, float]]:
    """The free horizontal intervals between ``lo`` and ``hi`` that no segment covers."""
    out = []
    edge = lo
    for seg in segments:
        if seg[0].x0 > edge:
            out.append((edge, seg[0].x0))
        edge = max(edge, seg[-1].x1)
    if hi > edge:
        out.append((edge, hi))
    return out


def _intersect(
    a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]], min_width: float
) -> list[tuple[float, float]]:
    out = []
    for a0, a1 in a:
        for b0, b1 in b:
            lo, hi = max(a0, b0), min(a1, b1)
            if hi - lo >= min_width:
                out.append((lo, hi))
    return out


@dataclass
class _Block:
    lines: list[list[list[Word]]]  # each line as its segments
    gaps: list[tuple[float, float]]  # inner column gaps shared by every line
    x0: float
    x1: float
    bottom: float
    height: float


def _aligned_tables(
    page: PageLayout, taken: Sequence[tuple[float, float, float, float]]
) -> list[Table]:
    words = _outside(page.words, taken)
    if sum(1 for w in words if _NUMBER.match(w.text)) < MIN_ALIGNED_ROWS:
        return []  # no column of numbers possible
    tables: list[Table] = []
    block: _Block | None = None
    for line in _lines(words):
        heights = sorted(w.y1 - w.y0 for w in line)
        height = heights[len(heights) // 2]
        text = " ".join(w.text for w in line)
        segments = _segments(line, height * COL_GAP)
        joined = False
        if block is not None and line[0].y0 - block.bottom <= block.height * ROW_GAP:
            x0, x1 = min(block.x0, line[0].x0), max(block.x1, line[-1].x1)
            inner = [(a, b) for a, b in _gaps(segments, x0, x1) if a > x0 and b < x1]
            gaps = _intersect(
                block.gaps,
                inner if len(segments) > 1 else _gaps(segments, x0, x1),
                block.height * COL_GAP * 0.5,
            )
            if gaps and not _DOT_LEADER.search(text):
                block.lines.append(segments)
                block.gaps, block.x0, block.x1 = gaps, x0, x1
                block.bottom = max(w.y1 for w in line)
                joined = True
        if joined:
            continue
        if block is not None:
            table = _block_table(block)
            if table is not None:
                tables.append(table)
            block = None
        if len(segments) >= 2 and not _DOT_LEADER.search(text):
            x0, x1 = line[0].x0, line[-1].x1
            inner = [(a, b) for a, b in _gaps(segments, x0, x1) if a > x0 and b < x1]
            block = _Block([segments], inner, x0, x1, max(w.y1 for w in line), height)
    if block is not None:
        table = _block_table(block)
        if table is not None:
            tables.append(table)
    return tables


def _block_table(block: _Block) -> Table | None:
    """The table a run of aligned lines forms, or None where it is not one."""
    lines = block.lines
    while lines and len(lines[-1]) < 2:
        lines = lines[:-1]  # a trailing one-cell line is the prose after the table
    if sum(1 for segs in lines if len(segs) >= 2) < MIN_ALIGNED_ROWS:
        return None
    edges = [block.x0] + [(a + b) / 2 for a, b in block.gaps] + [block.x1]
    n_cols = len(edges) - 1
    rows: list[dict[int, list[Word]]] = []
    column_texts: list[list[str]] = [[] for _ in range(n_cols)]
    column_edges: list[list[tuple[float, float]]] = [[] for _ in range(n_cols)]
    for segs in lines:
        by_col: dict[int, list[Word]] = {}
        for seg in segs:
            for w in seg:
                by_col.setdefault(_index(edges, w.cx), []).append(w)
        rows.append(by_col)
        if len(segs) > 1:
            for c, ws in by_col.items():
                column_texts[c].append(" ".join(w.text for w in ws))
                column_edges[c].append((ws[0].x0, ws[-1].x1))
    # Prose set in columns (a brochure's panels) leaves gaps as straight as a table's; without
    # rules, only a column of numbers, aligned on one edge, tells a table (not the numbered
    # boxes of a diagram).
    if not any(
        len(texts) >= MIN_ALIGNED_ROWS
        and sum(_is_number(t) for t in texts) >= NUMBER_COLUMN_SHARE * len(texts)
        and _aligned(column_edges[c])
        for c, texts in enumerate(column_texts)
        if c > 0
    ):
        return None
    labels = column_texts[0]
    if sum(not _is_number(t) for t in labels) < NUMBER_COLUMN_SHARE * len(labels):
        return None  # no row labels down the left: numbers strewn over a figure
    if n_cols == 2 and _page_numbers(column_texts[1]):
        return None  # a table of contents: entries and their page numbers
    cells: list[Cell] = []
    for r, (segs, by_col) in enumerate(zip(lines, rows, strict=True)):
        if len(segs) == 1:
            seg_words = segs[0]
            c0 = _index(edges, seg_words[0].cx)
            c1 = _index(edges, seg_words[-1].cx)
            cells.append(Cell(r, c0, _cell_text(seg_words), 1, c1 - c0 + 1, _bold(seg_words)))
            continue
        for c, ws in sorted(by_col.items()):
            cells.append(Cell(r, c, _cell_text(ws), 1, 1, _bold(ws)))
    top = min(w.y0 for segs in lines for seg in segs for w in seg)
    bottom = max(w.y1 for segs in lines for seg in segs for w in seg)
    return _finish((block.x0, top, block.x1, bottom), cells, len(lines), n_cols, "alignment")


def _aligned(spans: Sequence[tuple[float, float]]) -> bool:
    """Whether most cells of a column share their left, right or centre line."""
    for key in (lambda s: s[0], lambda s: s[1], lambda s: (s[0] + s[1]) / 2):
        xs = sorted(key(s) for s in spans)
        middle = xs[len(xs) // 2]
        if sum(abs(x - middle) <= ALIGN_TOLERANCE for x in xs) >= NUMBER_COLUMN_SHARE * len(xs):
            return True
    return False


def _page_numbers(texts: Sequence[str]) -> bool:
    """Whether ``texts`` are (nearly all) small whole numbers that never go down."""
    numbers = [int(t) for t in texts if t.isdigit() and len(t) <= 4]
    return len(numbers) >= 0.8 * len(texts) and numbers == sorted(numbers)


# -- captions ----------------------------------------------------------------------------------


def _caption(table: Table, page: PageLayout) -> tuple[str, bool]:
    """A caption line next to the table: "<표 3> …" / "표 3." right above it, else a bracketed
    title ("[암호모듈의 구성요소]") right below it (where the submission guide puts them) or above;
    and whether it is a bracketed title found above."""
    x0, y0, x1, y1 = table.bbox
    near = [
        w
        for w in page.words
        if y0 - 40 <= w.y1 and w.y0 <= y1 + 30 and x0 - 20 <= w.x1 and w.x0 <= x1 + 20
    ]
    outside = [w for w in _outside(near, [table.bbox]) if x0 - 20 <= w.cx <= x1 + 20]
    above = _lines([w for w in outside if y0 - 40 <= w.cy < y0])
    below = _lines([w for w in outside if y1 < w.cy <= y1 + 30])
    above_text = _line_text(above[-1]) if above else ""
    below_text = _line_text(below[0]) if below else ""
    if _CAPTION.match(above_text):
        return above_text, False
    for text in (below_text, above_text):
        if _CAPTION.match(text) or _BRACKETED.match(text):
            return text, text is above_text and text != below_text
    return "", False


def find_tables(page: PageLayout) -> list[Table]:
    """The tables of ``page``: drawn grids first, then column-aligned runs outside them."""
    ruled = _ruled_tables(page)
    # A ruled table nested in another's cell (a frame around a table) keeps the inner one.
    ruled = [
        t
        for t in ruled
        if not any(o is not t and _contains(t.bbox, o.bbox) and o.n_rows >= 2 for o in ruled)
    ]
    banded = _banded_tables(page, _horizontal_rules(page), [t.bbox for t in ruled])
    aligned = _aligned_tables(page, [t.bbox for t in ruled + banded])
    tables = sorted(ruled + banded + aligned, key=lambda t: (t.bbox[1], t.bbox[0]))
    found = [_caption(t, page) for t in tables]
    # A bracketed title right below one table is that table's, not the next one's above it.
    below = {text for text, above in found if text and not above}
    return [
        _with_caption(t, "" if above and text in below else text)
        for t, (text, above) in zip(tables, found, strict=True)
    ]


def _contains(outer: tuple[float, ...], inner: tuple[float, ...]) -> bool:
    return (
        outer[0] - SNAP <= inner[0]
        and inner[2] <= outer[2] + SNAP
        and outer[1] - SNAP <= inner[1]
        and inner[3] <= outer[3] + SNAP
        and outer != inner
    )


def _with_caption(table: Table, caption: str) -> Table:
    if not caption or table.caption:
        return table  # a title row inside the table wins over a line near it
    return Table(
        table.bbox,
        table.cells,
        table.n_rows,
        table.n_cols,
        table.header_rows,
        caption,
        table.source,
    )


def continues(before: Table, after: Table) -> bool:
    """Whether ``after`` (first on its page) continues ``before`` (last on the page before): the
    same columns across the same width, under the same header repeated."""
    return (
        before.header_rows > 0
        and after.header_rows == before.header_rows
        and before.n_cols == after.n_cols
        and abs(before.bbox[0] - after.bbox[0]) <= BAND_EDGE
        and abs(before.bbox[2] - after.bbox[2]) <= BAND_EDGE
        and column_labels(before) == column_labels(after)
    )


def shared_caption(before: Table, after: Table) -> tuple[Table, Table]:
    """A table split over a page break has one caption (often under its last part): both parts
    carry it, so the first part's rows say which table they belong to."""
    return _with_caption(before, after.caption), _with_caption(after, before.caption)


# -- rendering ---------------------------------------------------------------------------------


def _grid(table: Table) -> list[list[Cell | None]]:
    """Every grid position with the cell covering it (merged cells repeated over their span)."""
    grid: list[list[Cell | None]] = [[None] * table.n_cols for _ in range(table.n_rows)]
    for cell in table.cells:
        for r in range(cell.row, min(cell.row + cell.rowspan, table.n_rows)):
            for c in range(cell.col, min(cell.col + cell.colspan, table.n_cols)):
                grid[r][c] = cell
    return grid


def _distinct(texts: Iterable[str]) -> list[str]:
    out: list[str] = []
    for t in texts:
        if t and (not out or out[-1] != t):
            out.append(t)
    return out


def column_labels(table: Table) -> list[str]:
    """Each column's label: its header cells top-down, a merged top cell over a sub-column's
    own label as "2022년 > 금액"."""
    grid = _grid(table)
    labels = []
    for c in range(table.n_cols):
        cells = [grid[r][c] for r in range(table.header_rows)]
        labels.append(LEVEL_JOIN.join(_distinct(cell.text if cell else "" for cell in cells)))
    return labels


def _label_columns(table: Table, grid: list[list[Cell | None]]) -> int:
    """How many leading columns name the row: the header's first cell's span; or two where the
    first column groups rows (merged down several) and the second names each row of a group
    ("블록 암호 > BLOCK_PADDING_ERROR"); else one."""
    if not table.header_rows or grid[0][0] is None:
        return 1
    span = max(1, min(grid[0][0].colspan, table.n_cols - 1))
    if span > 1 or table.n_cols < 3:
        return span
    body = grid[table.header_rows :]
    first = [row[0] for row in body if row[0] is not None]
    second = [row[1] for row in body if row[1] is not None]
    grouped = any(c.rowspan > 1 for c in first)
    if grouped and second and all(c.rowspan == 1 and c.colspan == 1 for c in second):
        return 2
    return 1


def _common_labels(table: Table, grid: list[list[Cell | None]], lead: int) -> dict[int, str]:
    """Label columns whose one long cell spans every body row (the API names beside a test
    vector's rows): the same for every row, so said once in the context, not on every row; at
    least one label column stays."""
    first = table.header_rows
    body_rows = table.n_rows - first
    if not table.header_rows or body_rows < 2 or lead < 2:
        return {}
    out: dict[int, str] = {}
    for c in range(lead - 1):
        cell = grid[first][c]
        if (
            cell is not None
            and cell.row == first
            and cell.rowspan >= body_rows
            and len(cell.text) > MAX_SECTION_LABEL
        ):
            out[c] = cell.text
    return out


def render_table(table: Table, section: str = "") -> RenderedTable:
    """``table`` as a header context and one self-describing line per body row; ``section``: the
    group label its first rows are under (the last one of its part on the page before).

    A row reads "row label — column label: value; column label: value"; a row that is one merged
    cell across the table is a section label, written on its own line and put in front of the
    labels of the rows below it ("유동자산 > 현금및현금성자산 — …"). A table without a header row
    (labels down its first column) reads "label: value; label: value".
    """
    grid = _grid(table)
    labels = column_labels(table)
    lead = _label_columns(table, grid)
    context_lines = [table.caption] if table.caption else []
    common = _common_labels(table, grid, lead)
    context_lines.extend(f"{labels[c]}: {text}" for c, text in common.items())
    if table.header_rows:
        context_lines.append(" | ".join(_distinct(labels)).strip(" |"))
    lines: list[str] = []
    low = grid[table.header_rows - 1] if table.header_rows else [None] * table.n_cols
    shared = [c > 0 and low[c] is not None and low[c] is low[c - 1] for c in range(table.n_cols)]
    for r in range(table.header_rows, table.n_rows):
        row = grid[r]
        filled = [cell for cell in row if cell is not None and cell.text]
        if not filled:
            continue
        unique = {id(cell) for cell in filled}
        if (
            len(unique) == 1
            and table.n_cols > 1
            # One merged cell across the row, or a label alone with every value cell empty (the
            # financial statement's "자 산" / "부 채" rows).
            and (filled[0].colspan == table.n_cols or (len(filled) == 1 and filled[0].col == 0))
        ):
            text = filled[0].text
            if len(text) <= MAX_SECTION_LABEL:
                section = text
            lines.append(text)
            continue
        if not table.header_rows:
            lines.extend(_pairs(row))
            continue
        row_label = LEVEL_JOIN.join(
            _distinct(
                cell.text if cell else "" for c, cell in enumerate(row[:lead]) if c not in common
            )
        )
        parts: list[str] = []
        for c in range(lead, table.n_cols):
            cell = row[c]
            if cell is None or not cell.text or (lead and cell is row[lead - 1]):
                continue
            if (
                parts
                and c > lead
                and shared[c]
                and row[c - 1] is not None
                and row[c - 1] is not cell
            ):
                # Columns under one merged header cell with no sub-labels: one value, its levels
                # joined ("구성요소: 저장장치 > HDD"), not the label twice.
                parts[-1] = f"{parts[-1]}{LEVEL_JOIN}{cell.text}"
                continue
            parts.append(f"{labels[c]}: {cell.text}" if labels[c] else cell.text)
        name = LEVEL_JOIN.join(t for t in (section, row_label) if t)
        if parts:
            lines.append(f"{name} — {'; '.join(parts)}" if name else "; ".join(parts))
        elif name:
            lines.append(name)
    return RenderedTable(context="\n".join(context_lines), lines=tuple(lines), section=section)


def _pairs(row: Sequence[Cell | None]) -> list[str]:
    """A row of a table without a header: one "label: value" line per pair (labels in even
    columns), so a key-value box's "최초 작성일" and "최종 수정일" can each be quoted alone."""
    # Identity-distinct cells, so a merged value is not repeated within its own row.
    cells: list[Cell] = []
    for cell in row:
        if cell is not None and cell.text and (not cells or cells[-1] is not cell):
            cells.append(cell)
    texts = [c.text for c in cells]
    if len(texts) == 2 or len(texts) % 2 == 0:
        return [f"{texts[i]}: {_one_item(texts[i + 1])}" for i in range(0, len(texts), 2)]
    return [f"{texts[0]} — {'; '.join(texts[1:])}"]


def _one_item(value: str) -> str:
    """A value that is one bulleted item ("∎ 1, 2, 3, 4") without its bullet."""
    match = _ITEM_BULLET.match(value)
    if match and not _ITEM_BULLET_ANYWHERE.search(value, match.end()):
        return value[match.end() :]
    return value
