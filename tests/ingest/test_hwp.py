"""HWP 5.x: the real fixtures in ../shared/fixtures/hwp, plus records built by hand."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from ingest.loaders.hwp import (
    TAG_CTRL_HEADER,
    TAG_PARA_HEADER,
    TAG_PARA_TEXT,
    HwpLoader,
    Record,
    para_pieces,
    parse_records,
)
from ingest.pipeline import load_documents
from reportqa.errors import IngestError
from reportqa.settings import Settings
from reportqa.types import Document


def sections(doc: Document) -> list[tuple[tuple[str, ...], bool, str]]:
    return [(s.heading_path, s.table, doc.text[s.start : s.end]) for s in doc.sections]


def load(fixtures: Path, name: str) -> Document:
    return HwpLoader().load(fixtures / name)


def test_ordinary_document_with_tables_in_reading_order(hwp_fixtures: Path) -> None:
    doc = load(hwp_fixtures, "sample-5017.hwp")
    assert doc.title == "제목입니다."  # from HwpSummaryInformation
    assert doc.meta["format"] == "hwp"
    assert doc.meta["hwp_version"] == "5.0.1.7"
    assert doc.meta["tables"] == 2
    got = sections(doc)
    assert got[0][2].startswith("한글 2005 예제 파일입니다.\n머리말입니다\n본문 내용입니다.")
    # Text before the table, the table (its header row as context, a body row naming its
    # labels; a cell of two paragraphs joined), text after it.
    assert got[0][2].endswith("\n표\n")
    assert got[1][:2] == ((), True)
    assert doc.sections[1].context == "A0 | B0"
    row = got[1][2].strip()
    assert "\n" not in row and row.startswith("A1") and "B0" in row and row.endswith("B10 B11")
    assert got[2] == ((), False, "표끝\ntable2\n")  # a one-cell table reads as body text
    assert got[3] == ((), True, "표 2x2짜리표 가나다\n")  # caption of a table with empty cells
    assert "다음 문단\n본 문서는 먼저" in got[4][2]
    for control in ("\x0b", "\x02", "tbl", "捤獥"):
        assert control not in doc.text


def test_footnotes_and_endnotes_follow_their_paragraph(hwp_fixtures: Path) -> None:
    doc = load(hwp_fixtures, "footnote-endnote.hwp")
    assert doc.text == (
        "각주참조\n각주입니다.\n각주 두 번째입니다.\n미주참조\n미주입니다.\n미주 두 번째입니다."
    )
    assert doc.meta["notes"] == 4


def test_headers_and_footers_are_dropped(hwp_fixtures: Path) -> None:
    doc = load(hwp_fixtures, "headerfooter.hwp")
    assert doc.text == "첫 페이지"


def test_outline_paragraphs_become_heading_paths(hwp_fixtures: Path) -> None:
    doc = load(hwp_fixtures, "lists.hwp")
    got = sections(doc)
    # Bullets and numbered paragraphs are body text; "개요" (outline) paragraphs are headings.
    # Hancom's automatic numbers and bullets are regenerated in front of the text (the fixture's
    # paragraphs themselves read "1", "2-1"...).
    assert got[0][0] == ()
    assert got[0][2].startswith("글머리표\n• 1\n• 2\n• 3\n글머리표 두 번째\n")
    assert "\n문단번호\n1. 1\n2. 2\n가. 2-1\n3. 3\n가. 3-1\n나. 3-2\n1) 3-2-1\n" in got[0][2]
    assert "번호 이어짐)\n5. 5\n가. 5-1\n" in got[0][2]  # numbering continues
    paths = [path for path, _, _ in got]
    assert ("2. 2", "가. 2-1") in paths
    assert ("3. 3", "나. 3-2", "3) 3-2-3") in paths
    # The second section's outline numbering is "제^1장 / 제^2절 / 제^3항".
    assert ("제3장 3", "제2절 3-2", "제3항 3-2-3") in paths
    assert paths[-1] == ("제4장 4",)


def test_multicolumn_and_caption_documents(hwp_fixtures: Path) -> None:
    assert load(hwp_fixtures, "multicolumns.hwp").text.startswith("다단 다단")
    doc = load(hwp_fixtures, "table-caption.hwp")
    assert doc.text.split("\n")[:3] == ["표 위 캡션", "표 아래 캡션", "표 왼쪽"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("password-12345.hwp", "password-protected"),
        ("viewtext.hwp", "distribution document"),
    ],
)
def test_encrypted_documents_are_refused(hwp_fixtures: Path, name: str, expected: str) -> None:
    with pytest.raises(IngestError) as err:
        load(hwp_fixtures, name)
    assert expected in err.value.reason
    assert err.value.path == str(hwp_fixtures / name)


def test_batch_of_all_fixtures(hwp_fixtures: Path, tmp_path: Path) -> None:
    report = load_documents([hwp_fixtures], Settings.load(env={}))
    loaded = {d.id for d in report.documents}
    assert {"sample-5017.hwp", "lists.hwp", "footnote-endnote.hwp"} <= loaded
    reasons = {Path(e.path).name: e.reason for e in report.skipped}
    assert "password-protected" in reasons["password-12345.hwp"]
    assert "distribution document" in reasons["viewtext.hwp"]
    assert reasons["table.hwp"] == "no text after cleaning"  # its table cells are all empty
    assert "README.md" in loaded  # the README is plain text and loads too


def test_truncated_hwp_is_an_ingest_error(hwp_fixtures: Path, tmp_path: Path) -> None:
    data = (hwp_fixtures / "sample-5017.hwp").read_bytes()
    for cut in (600, len(data) // 2, len(data) - 700):
        path = tmp_path / f"cut-{cut}.hwp"
        path.write_bytes(data[:cut])
        with pytest.raises(IngestError) as err:
            HwpLoader().load(path)
        assert "truncated or corrupt" in err.value.reason


def test_renamed_hwp_is_found_by_its_content(hwp_fixtures: Path, tmp_path: Path) -> None:
    path = tmp_path / "report.dat"
    path.write_bytes((hwp_fixtures / "lists.hwp").read_bytes())
    report = load_documents([path], Settings.load(env={}))
    assert [d.meta["format"] for d in report.documents] == ["hwp"]
    assert report.documents[0].text.startswith("글머리표")


def test_hwp3_files_are_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "old.hwp"
    path.write_bytes(b"HWP Document File V3.00 \x1a\x01\x02\x03\x04\x05" + b"\x00" * 200)
    with pytest.raises(IngestError) as err:
        HwpLoader().load(path)
    assert "HWP 3.x" in err.value.reason


# -- records built by hand -----------------------------------------------------------------


def record(tag: int, level: int, payload: bytes) -> bytes:
    size = len(payload)
    if size >= 0xFFF:
        return struct.pack("<II", tag | level << 10 | 0xFFF << 20, size) + payload
    return struct.pack("<I", tag | level << 10 | size << 20) + payload


def test_record_tree_follows_levels_and_long_sizes() -> None:
    long_text = "가".encode("utf-16le") * 3000  # 6000 bytes: needs the extended size field
    data = (
        record(TAG_PARA_HEADER, 0, b"\x00" * 22)
        + record(TAG_PARA_TEXT, 1, long_text)
        + record(TAG_CTRL_HEADER, 1, b" lbt")
        + record(TAG_PARA_HEADER, 2, b"\x00" * 22)
        + record(TAG_PARA_HEADER, 0, b"\x00" * 22)
    )
    roots = parse_records(data)
    assert [r.tag for r in roots] == [TAG_PARA_HEADER, TAG_PARA_HEADER]
    assert [c.tag for c in roots[0].children] == [TAG_PARA_TEXT, TAG_CTRL_HEADER]
    assert len(roots[0].children[0].payload) == 6000
    assert [c.tag for c in roots[0].children[1].children] == [TAG_PARA_HEADER]


def test_paragraph_text_skips_control_characters() -> None:
    def units(*codes: int) -> bytes:
        return struct.pack(f"<{len(codes)}H", *codes)

    ext = units(11, *b" lbt", 0, 0, 0, 11)[:16]  # an extended control: 8 code units
    tab = units(9, 0, 0, 0, 0, 0, 0, 9)  # tab is an inline control: 8 code units too
    payload = (
        "앞".encode("utf-16le")
        + tab
        + "뒤".encode("utf-16le")
        + ext
        + "표 뒤".encode("utf-16le")
        + units(24)  # hyphen
        + "😀".encode("utf-16le")  # a surrogate pair survives
        + units(13)
    )
    ctrl = Record(TAG_CTRL_HEADER, 1, b" lbt")
    para = Record(TAG_PARA_HEADER, 0, b"\x00" * 22, [Record(TAG_PARA_TEXT, 1, payload), ctrl])
    pieces = list(para_pieces(para))
    assert pieces == ["앞\t뒤", ctrl, "표 뒤-😀"]


# -- pages, titles ---------------------------------------------------------------------------


def pages_of(doc: Document) -> list[tuple[int | None, str]]:
    return [(s.page, doc.text[s.start : s.end].split("\n")[0]) for s in doc.sections]


def test_every_section_has_a_page_counted_from_breaks_and_line_positions(
    hwp_fixtures: Path,
) -> None:
    # sample-5017: a page break before its last paragraph.
    doc = load(hwp_fixtures, "sample-5017.hwp")
    assert pages_of(doc)[-1] == (2, "다음 페이지")
    assert {page for page, _ in pages_of(doc)[:-1]} == {1}
    assert doc.meta["pages"] == 2
    # lists.hwp: a page break before "개요", then a second section (구역), on a new page.
    got = pages_of(load(hwp_fixtures, "lists.hwp"))
    assert got[0] == (1, "글머리표")
    assert (2, "개요") in got and (3, "제1장 1") in got
    assert [page for page, _ in got] == sorted(page for page, _ in got)
    # multicolumns.hwp: two columns filled (lines restart at the top once, same page), then a
    # new three-column area whose lines restart at the top: the next page.
    doc = load(hwp_fixtures, "multicolumns.hwp")
    assert [s.page for s in doc.sections] == [2, 3]
    for name in ("footnote-endnote.hwp", "headerfooter.hwp", "table-caption.hwp"):
        assert {s.page for s in load(hwp_fixtures, name).sections} == {1}, name


def test_the_title_is_the_summary_title_or_the_first_line(hwp_fixtures: Path) -> None:
    assert load(hwp_fixtures, "sample-5017.hwp").title == "제목입니다."
    assert load(hwp_fixtures, "lists.hwp").title == "글머리표"
    assert load(hwp_fixtures, "table-caption.hwp").title == "표 위 캡션"
