"""HWPX, DOCX and PDF tables from generated files: heading paths, table rows, notes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.loaders.docx import DocxLoader
from ingest.loaders.hwpx import HwpxLoader
from ingest.loaders.pdf import PdfLoader
from ingest.pipeline import load_documents
from reportqa.settings import Settings
from reportqa.types import Document

REPORT_TITLE = "경기도 이차전지산업 육성계획"

BUDGET_LINES = [
    "항목 | 2025년 예산 | 비고",
    "R&D 특화 클러스터 | 1,250억 원 | 신규",
    "테스트베드 플랫폼 | 430억 원 | 계속",
    "사용 후 배터리 사업화 | 85억 원 | 신규",
]
STRATEGY = ("Ⅱ. 추진 전략", "1. 핵심과제 예산")


def sections(doc: Document) -> list[tuple[tuple[str, ...], int | None, bool, str]]:
    assert doc.sections[0].start == 0 and doc.sections[-1].end == len(doc.text)
    for before, after in zip(doc.sections, doc.sections[1:], strict=False):
        assert before.end == after.start
    return [(s.heading_path, s.page, s.table, doc.text[s.start : s.end]) for s in doc.sections]


def assert_self_describing(lines: list[str], header: list[str]) -> None:
    """Each body row is one line naming its row label, and each value with its column label."""
    for body, line in zip(BUDGET_LINES[1:], lines, strict=True):
        label, *values = body.split(" | ")
        assert line.startswith(label), line
        for column, value in zip(header[1:], values, strict=True):
            assert f"{column}: {value}" in line, line


def test_hwpx_headings_tables_notes(tmp_path: Path, docs) -> None:  # type: ignore[no-untyped-def]
    doc = HwpxLoader().load(docs.report_hwpx(tmp_path / "report.hwpx"))
    got = sections(doc)
    table = got[4]
    assert got[:4] + got[5:] == [
        ((), 1, False, f"{REPORT_TITLE}\n"),
        (
            ("Ⅰ. 추진 배경",),
            1,
            False,
            "Ⅰ. 추진 배경\n전기차 전환으로 배터리 수요가 늘고 있다.\n"
            "각주: 2024년 전기차 등록 통계 기준.\n",
        ),
        (("Ⅱ. 추진 전략",), 1, False, "Ⅱ. 추진 전략\n"),
        (STRATEGY, 1, False, "1. 핵심과제 예산\n핵심과제별 예산은 다음 표와 같다.\n"),
        (STRATEGY, 1, False, "상자 안의 글은 본문으로 읽는다.\n표 다음 문단이다.\n"),
        # A new section (구역) starts a new page.
        (("Ⅲ. 기대 효과",), 2, False, "Ⅲ. 기대 효과\n일자리가 늘어난다."),
    ]
    # The table: caption and header row as the context of its passages, one line per row.
    assert table[:3] == (STRATEGY, 1, True)
    header = BUDGET_LINES[0].split(" | ")
    assert doc.sections[4].context.split("\n") == ["표 1. 핵심과제별 예산", BUDGET_LINES[0]]
    assert_self_describing(table[3].strip().split("\n"), header)
    assert "머리말" not in doc.text  # the running header is dropped
    assert doc.title == REPORT_TITLE
    assert doc.meta["format"] == "hwpx"
    assert doc.meta["tables"] == 1
    assert doc.meta["notes"] == 1


def test_hwpx_row_span_repeats_the_label(tmp_path: Path, docs) -> None:  # type: ignore[no-untyped-def]
    rows = [["구분", "과제"], ["거점", "클러스터 조성"], [None, "테스트베드 구축"]]
    doc = HwpxLoader().load(docs.write_hwpx(tmp_path / "span.hwpx", [docs.hwpx_table(rows)]))
    assert doc.sections[0].table and doc.sections[0].context == "구분 | 과제"
    lines = doc.text.split("\n")
    assert len(lines) == 2
    for line, value in zip(lines, ("클러스터 조성", "테스트베드 구축"), strict=True):
        assert line.startswith("거점") and f"과제: {value}" in line


def test_docx_headings_tables_merged_cells(tmp_path: Path, docs) -> None:  # type: ignore[no-untyped-def]
    doc = DocxLoader().load(docs.report_docx(tmp_path / "report.docx"))
    got = sections(doc)
    budget, spans = got[4], got[6]
    assert [*got[:4], got[5], got[7]] == [
        ((), None, False, f"{REPORT_TITLE}\n"),
        (
            ("Ⅰ. 추진 배경",),
            None,
            False,
            "Ⅰ. 추진 배경\n전기차 전환으로 배터리 수요가 늘고 있다.\n",
        ),
        (("Ⅱ. 추진 전략",), None, False, "Ⅱ. 추진 전략\n"),
        (STRATEGY, None, False, "1. 핵심과제 예산\n핵심과제별 예산은 다음 표와 같다.\n"),
        (STRATEGY, None, False, "상자 안의 글은 본문으로 읽는다.\n표 다음 문단이다.\n"),
        (("Ⅲ. 기대 효과",), None, False, "Ⅲ. 기대 효과\n일자리가 늘어난다."),
    ]
    # Tables as in HWP/HWPX/PDF: the header row as context, one self-describing row per line,
    # a vertically merged label repeated on each of its rows.
    assert budget[:3] == (STRATEGY, None, True) and doc.sections[4].context == BUDGET_LINES[0]
    assert_self_describing(budget[3].strip().split("\n"), BUDGET_LINES[0].split(" | "))
    assert spans[:3] == (STRATEGY, None, True) and doc.sections[6].context == "구분 | 과제"
    for line, value in zip(
        spans[3].strip().split("\n"), ("클러스터 조성", "테스트베드 구축"), strict=True
    ):
        assert line.startswith("거점") and f"과제: {value}" in line
    assert doc.title == REPORT_TITLE
    assert doc.meta["format"] == "docx"
    assert doc.meta["tables"] == 2


def test_docx_footnotes_follow_their_paragraph(tmp_path: Path, docs) -> None:  # type: ignore[no-untyped-def]
    """python-docx cannot write footnotes: patch the parts in by hand."""
    import zipfile

    src = docs.report_docx(tmp_path / "plain.docx")
    out = tmp_path / "notes.docx"
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(
                    "늘고 있다.</w:t></w:r>".encode(),
                    '늘고 있다.</w:t></w:r><w:r><w:footnoteReference w:id="1"/></w:r>'.encode(),
                )
            zout.writestr(item, data)
        zout.writestr(
            "word/footnotes.xml",
            f'<w:footnotes xmlns:w="{w}"><w:footnote w:type="separator" w:id="-1"><w:p><w:r>'
            '<w:separator/></w:r></w:p></w:footnote><w:footnote w:id="1"><w:p><w:r><w:t>'
            "2024년 전기차 등록 통계 기준.</w:t></w:r></w:p></w:footnote></w:footnotes>",
        )
    doc = DocxLoader().load(out)
    assert "전기차 전환으로 배터리 수요가 늘고 있다.\n2024년 전기차 등록 통계 기준.\nⅡ." in doc.text
    assert doc.meta["notes"] == 1


def test_pdf_table_rows_keep_values_next_to_labels(tmp_path: Path, docs) -> None:  # type: ignore[no-untyped-def]
    long = (
        "핵심과제별 예산은 다음 표와 같다. 이 문단은 여러 줄에 걸쳐 양쪽 정렬로 배치되어 단어 "
        "사이가 넓어지기도 하지만, 표로 오인되어서는 안 되며 한 문단으로 다시 이어져야 한다."
    )
    path = docs.table_pdf(
        tmp_path / "budget.pdf",
        [[REPORT_TITLE, long, docs.BUDGET_ROWS, "표 다음 문단이다."], ["둘째 쪽 본문이다."]],
    )
    doc = PdfLoader().load(path)
    got = sections(doc)
    # No heading on the pages: the title read on page 1 heads every section.
    top = (REPORT_TITLE,)
    assert [g for i, g in enumerate(got) if i != 1] == [
        (top, 1, False, f"{REPORT_TITLE}\n{long}\n"),
        (top, 1, False, "표 다음 문단이다.\n"),
        (top, 2, False, "둘째 쪽 본문이다."),
    ]
    # The table: its header row as the section's context, each body row naming its label and
    # every value's column (the justified paragraph above it is not a table).
    assert got[1][:3] == (top, 1, True)
    assert doc.sections[1].context == BUDGET_LINES[0]
    assert_self_describing(got[1][3].strip().split("\n"), BUDGET_LINES[0].split(" | "))
    assert doc.meta["tables"] == 1


def test_batch_picks_loaders_by_content_not_name(tmp_path: Path, docs) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "in"
    folder.mkdir()
    docs.report_hwpx(folder / "a.hwpx")
    docs.report_docx(folder / "b.docx")
    (folder / "c.bin").write_bytes((folder / "a.hwpx").read_bytes())  # HWPX under another name
    (folder / "d.zip").write_bytes((folder / "b.docx").read_bytes())  # DOCX under another name
    report = load_documents([folder], Settings.load(env={}))
    assert [(d.id, d.meta["format"]) for d in report.documents] == [
        ("a.hwpx", "hwpx"),
        ("b.docx", "docx"),
        ("c.bin", "hwpx"),
        ("d.zip", "docx"),
    ]
    assert report.skipped == ()


@pytest.mark.parametrize("name", ["x.docx", "x.hwpx"])
def test_zip_without_document_parts_says_so(tmp_path: Path, name: str) -> None:
    import zipfile

    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("data.csv", "a,b\n1,2\n")
    report = load_documents([path], Settings.load(env={}))
    (err,) = report.skipped
    assert "a ZIP file, but not" in err.reason
