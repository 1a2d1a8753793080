"""Tables on a PDF page, found from ruling lines and column alignment (never from justified prose).

API used by the PDF loader (ingest/loaders/pdf.py):
- ``find_tables(page) -> list[Table]``: the tables of a page, each with its bounding box and cells;
- ``render_table(table) -> RenderedTable``: the header as context and one self-describing line per
  row (row label, column label and value together), so a row read alone says what its values mean.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.layout.page import PageLayout


@dataclass(frozen=True)
class Cell:
    """One cell of the grid; a merged cell appears once with its spans."""

    row: int
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1


@dataclass(frozen=True)
class Table:
    """A table: its area on the page (x0, y0, x1, y1) and its cells; ``header_rows`` leading rows
    are column labels."""

    bbox: tuple[float, float, float, float]
    cells: tuple[Cell, ...]
    n_rows: int
    n_cols: int
    header_rows: int = 1


@dataclass(frozen=True)
class RenderedTable:
    """A table as text: ``context`` (caption and header) and one line per row."""

    context: str
    lines: tuple[str, ...]


def find_tables(page: PageLayout) -> list[Table]:
    """The tables of ``page`` (none yet: the detector lands with the tables work)."""
    return []


def render_table(table: Table) -> RenderedTable:
    """``table`` as a header context and one line per row (placeholder rendering)."""
    grid: dict[int, dict[int, str]] = {}
    for cell in table.cells:
        grid.setdefault(cell.row, {})[cell.col] = cell.text
    rows = [" | ".join(t for _, t in sorted(grid[r].items()) if t) for r in sorted(grid)]
    header = rows[: table.header_rows]
    return RenderedTable(context="\n".join(header), lines=tuple(rows[table.header_rows :]))
