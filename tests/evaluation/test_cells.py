"""The table cell metric: labels and value together in one passage of the same document."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from evaluation.cells import (
    Passage,
    TableTruthError,
    TruthCell,
    TruthTable,
    cell_score,
    load_table_truth,
)
from ingest.layout.tables import Cell, Table, render_table

START_TIMES = TruthTable(
    id="t1",
    document="guide.pdf",
    page=3,
    cells=(
        TruthCell("3월", "토요일", "17:00"),
        TruthCell("3월", "평일", "18:30"),
        TruthCell("7월", "토요일", "18:00"),
    ),
)


def test_cell_kept_only_with_both_labels_and_value_in_one_passage() -> None:
    passages = [
        Passage("guide.pdf", 3, "구분 | 토요일 | 평일\n3월 — 토요일: 17:00; 평일: 18:30"),
        # 7월's value sits in another passage than its row label: not kept.
        Passage("guide.pdf", 3, "7월 — 토요일:"),
        Passage("guide.pdf", 3, "18:00"),
    ]
    score = cell_score([START_TIMES], passages)
    assert (score.kept, score.total) == (2, 3)
    assert score.share == pytest.approx(2 / 3)
    assert [cell.row for _, cell in score.missing] == ["7월"]
    assert score.by_table == {"t1": (2, 3)}


def test_whitespace_and_unicode_form_do_not_matter_but_the_document_does() -> None:
    month, day = (unicodedata.normalize("NFD", s) for s in ("3월", "토요일"))
    assert month != "3월"  # decomposed jamo
    passages = [Passage("/data/guide.pdf", None, f"{month}—{day}:17 : 00 평 일 18:30")]
    assert cell_score([START_TIMES], passages).kept == 2
    other_doc = [Passage("other.pdf", 3, "3월 토요일 17:00 평일 18:30 7월 18:00")]
    assert cell_score([START_TIMES], other_doc).kept == 0


def test_same_page_and_multi_level_labels() -> None:
    table = TruthTable("t2", "fin.pdf", 1, (TruthCell("현금", "2022년 > 금액", "1,000"),))
    assert cell_score([table], [Passage("fin.pdf", 1, "2022년 > 금액 | 현금 — 1,000")]).kept == 1
    # Every level of the column label is needed.
    assert cell_score([table], [Passage("fin.pdf", 1, "금액 | 현금 — 1,000")]).kept == 0
    on_page_2 = [Passage("fin.pdf", 2, "2022년 금액 현금 1,000")]
    assert cell_score([table], on_page_2).kept == 1
    assert cell_score([table], on_page_2, same_page=True).kept == 0


def test_rendered_rows_keep_every_cell_where_a_joined_grid_does_not() -> None:
    table = Table(
        bbox=(0, 0, 100, 100),
        cells=(
            Cell(0, 0, "구분"),
            Cell(0, 1, "토요일"),
            Cell(0, 2, "평일"),
            Cell(1, 0, "3월"),
            Cell(1, 1, "17:00"),
            Cell(1, 2, "18:30"),
            Cell(2, 0, "7월"),
            Cell(2, 1, "18:00"),
            Cell(2, 2, "18:30"),
        ),
        n_rows=3,
        n_cols=3,
    )
    rendered = render_table(table)
    passages = [Passage("guide.pdf", 3, rendered.context + "\n" + line) for line in rendered.lines]
    assert cell_score([START_TIMES], passages).share == 1.0
    # One line per row without the header in the passage loses the column labels.
    bare = [Passage("guide.pdf", 3, "3월 17:00 18:30"), Passage("guide.pdf", 3, "7월 18:00 18:30")]
    assert cell_score([START_TIMES], bare).kept == 0


def test_load_table_truth_reads_rows_and_names_the_bad_line(tmp_path: Path) -> None:
    good = {
        "id": "fin-1",
        "document": "fin.pdf",
        "page": 1,
        "caption": "연결재무상태표",
        "cells": [{"row": "현금", "col": "2022", "value": "1"}],
        "held_out": True,
    }
    path = tmp_path / "tables.jsonl"
    path.write_text(json.dumps(good, ensure_ascii=False) + "\n\n", encoding="utf-8")
    (table,) = load_table_truth(path)
    assert table.held_out and table.page == 1 and table.cells == (TruthCell("현금", "2022", "1"),)
    path.write_text(json.dumps(good) + '\n{"id": "x", "document": "d"}\n', encoding="utf-8")
    with pytest.raises(TableTruthError, match=r"tables\.jsonl:2: .*cells"):
        load_table_truth(path)
    with pytest.raises(TableTruthError, match="cannot read"):
        load_table_truth(tmp_path / "absent.jsonl")
