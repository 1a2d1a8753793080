"""The table cell metric: how many hand-transcribed cells come out with their labels.

A cell counts as kept when its row label, its column label and its value all occur in one passage
(the passage's context, e.g. a table header repeated on it, plus its text) of the same document,
compared without whitespace after NFC normalisation. A label of several levels ("2022년 > 금액")
needs every level in that passage. ``same_page`` also asks for the table's page.

Ground truth is JSONL, one table a line::

    {"id": "fin-1", "document": "x.pdf", "page": 1, "caption": "…",
     "cells": [{"row": "현금및현금성자산", "col": "제 54 (당) 기", "value": "49,680,710"}],
     "held_out": false}
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reportqa.errors import ReportQAError

LEVEL_SEPARATOR = " > "


class TableTruthError(ReportQAError):
    """A transcribed-tables file cannot be read."""


@dataclass(frozen=True)
class TruthCell:
    row: str
    col: str
    value: str


@dataclass(frozen=True)
class TruthTable:
    id: str
    document: str
    page: int | None
    cells: tuple[TruthCell, ...]
    caption: str = ""
    held_out: bool = False


@dataclass(frozen=True)
class Passage:
    """What retrieval can return: ``text`` is the passage's context and text together."""

    document: str
    page: int | None
    text: str


@dataclass(frozen=True)
class CellScore:
    kept: int
    total: int
    missing: tuple[tuple[str, TruthCell], ...] = field(default=(), repr=False)  # (table id, cell)
    by_table: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False)

    @property
    def share(self) -> float:
        return self.kept / self.total if self.total else 0.0


def squeeze(text: str) -> str:
    """NFC without any whitespace: the form labels, values and passages are compared in."""
    return "".join(unicodedata.normalize("NFC", text).split())


def document_key(name: str) -> str:
    """A document named by path, file name or id, compared by file name (case-insensitive)."""
    return Path(name.strip()).name.casefold()


def _needles(cell: TruthCell) -> list[str]:
    parts = [cell.value]
    for label in (cell.row, cell.col):
        parts += label.split(LEVEL_SEPARATOR)
    return [n for n in (squeeze(p) for p in parts) if n]


def cell_score(
    tables: Iterable[TruthTable], passages: Sequence[Passage], *, same_page: bool = False
) -> CellScore:
    """The share of ``tables``' cells whose labels and value occur together in one passage."""
    by_doc: dict[str, list[tuple[int | None, str]]] = {}
    for p in passages:
        by_doc.setdefault(document_key(p.document), []).append((p.page, squeeze(p.text)))
    kept = total = 0
    missing: list[tuple[str, TruthCell]] = []
    by_table: dict[str, tuple[int, int]] = {}
    for table in tables:
        candidates = [
            text
            for page, text in by_doc.get(document_key(table.document), [])
            if not same_page or table.page is None or page == table.page
        ]
        table_kept = 0
        for cell in table.cells:
            needles = _needles(cell)
            if any(all(n in text for n in needles) for text in candidates):
                table_kept += 1
            else:
                missing.append((table.id, cell))
        kept += table_kept
        total += len(table.cells)
        by_table[table.id] = (table_kept, len(table.cells))
    return CellScore(kept, total, tuple(missing), by_table)


def load_table_truth(path: Path) -> list[TruthTable]:
    """Read transcribed tables (JSONL, one table a line; blank lines and ``//`` lines skipped)."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise TableTruthError(
            f"{path}: cannot read the tables file ({exc.strerror or exc})"
        ) from exc
    except UnicodeDecodeError as exc:
        raise TableTruthError(f"{path}: not UTF-8 text; save it as UTF-8") from exc
    tables = []
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            tables.append(_table(json.loads(line)))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise TableTruthError(
                f"{path}:{n}: not a table row ({exc}); each line needs id, document, page and "
                'cells: [{"row", "col", "value"}]'
            ) from exc
    return tables


def _table(raw: dict[str, object]) -> TruthTable:
    cells_raw = raw["cells"]
    if not isinstance(cells_raw, list) or not cells_raw:
        raise ValueError("cells must be a non-empty list")
    cells = tuple(
        TruthCell(str(c.get("row", "")), str(c.get("col", "")), str(c["value"])) for c in cells_raw
    )
    page = raw.get("page")
    return TruthTable(
        id=str(raw["id"]),
        document=str(raw["document"]),
        page=int(page) if isinstance(page, int | str) and str(page).strip() else None,
        cells=cells,
        caption=str(raw.get("caption") or ""),
        held_out=bool(raw.get("held_out", False)),
    )
