"""HWPX to the real-report standard: pages from line positions and breaks, Hancom numbering in
headings, self-describing table rows, the real title. Files are built here as ZIP + XML."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from ingest.chunking import ChunkerConfig, chunk_document
from ingest.loaders.hwpx import HwpxLoader
from ingest.loaders.paragraph_reader import AutoNumbers, NumberingLevel, format_number, word_table
from reportqa.language import split_sentences

HH = "http://www.hancom.co.kr/hwpml/2011/head"

# Hancom's default outline numbering (Ⅰ./1./가. as many Korean public reports set it), a bullet,
# and a large title character shape (20 pt) beside the 10 pt body.
HEADER = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<hh:head xmlns:hh="{HH}" version="1.4" secCnt="1"><hh:refList>
<hh:charProperties itemCnt="2">
<hh:charPr id="0" height="1000"/><hh:charPr id="1" height="2000"/>
</hh:charProperties>
<hh:numberings itemCnt="1"><hh:numbering id="1" start="0">
<hh:paraHead start="1" level="1" numFormat="ROMAN_CAPITAL">^1.</hh:paraHead>
<hh:paraHead start="1" level="2" numFormat="DIGIT">^2.</hh:paraHead>
<hh:paraHead start="1" level="3" numFormat="HANGUL_SYLLABLE">^3.</hh:paraHead>
</hh:numbering></hh:numberings>
<hh:bullets itemCnt="1"><hh:bullet id="1" char="&#xF06C;"/></hh:bullets>
<hh:paraProperties itemCnt="5">
<hh:paraPr id="0"><hh:heading type="NONE" idRef="0" level="0"/></hh:paraPr>
<hh:paraPr id="1"><hh:heading type="OUTLINE" idRef="0" level="0"/></hh:paraPr>
<hh:paraPr id="2"><hh:heading type="OUTLINE" idRef="0" level="1"/></hh:paraPr>
<hh:paraPr id="3"><hh:heading type="OUTLINE" idRef="0" level="2"/></hh:paraPr>
<hh:paraPr id="4"><hh:heading type="BULLET" idRef="1" level="0"/></hh:paraPr>
</hh:paraProperties></hh:refList></hh:head>"""


def para(
    text: str,
    pr: int = 0,
    vpos: tuple[int, ...] = (0,),
    page_break: bool = False,
    char: int = 0,
    runs: str = "",
) -> str:
    """A paragraph with its line segments at ``vpos`` (HWPUNIT from the top of the page)."""
    segs = "".join(f'<hp:lineseg textpos="0" vertpos="{v}" vertsize="1000"/>' for v in vpos)
    body = runs or f'<hp:run charPrIDRef="{char}"><hp:t>{escape(text)}</hp:t></hp:run>'
    return (
        f'<hp:p id="0" paraPrIDRef="{pr}" styleIDRef="0" pageBreak="{int(page_break)}" '
        f'columnBreak="0">{body}<hp:linesegarray>{segs}</hp:linesegarray></hp:p>'
    )


def table(rows: list[list[str]], header_row: bool = True) -> str:
    cells = []
    for r, row in enumerate(rows):
        cells.append("<hp:tr>")
        for c, text in enumerate(row):
            flag = int(header_row and r == 0)
            cells.append(
                f'<hp:tc header="{flag}"><hp:subList>{para(text)}</hp:subList>'
                f'<hp:cellAddr colAddr="{c}" rowAddr="{r}"/>'
                f'<hp:cellSpan colSpan="1" rowSpan="1"/></hp:tc>'
            )
        cells.append("</hp:tr>")
    tbl = f'<hp:tbl rowCnt="{len(rows)}" colCnt="{len(rows[0])}">{"".join(cells)}</hp:tbl>'
    return para("", runs=f'<hp:run charPrIDRef="0">{tbl}</hp:run>', vpos=(20000,))


def plan_hwpx(path: Path, docs, title: str = "") -> Path:  # type: ignore[no-untyped-def]
    """A four-page plan: a cover with a large title (and a page number line), a page break,
    body pages whose line positions restart at the top, a table, and a second section."""
    cover = "".join(
        [
            para(
                "",
                runs='<hp:run charPrIDRef="0"><hp:secPr outlineShapeIDRef="1"/></hp:run>'
                '<hp:run charPrIDRef="0"><hp:t>- 1 -</hp:t></hp:run>',
                vpos=(0,),
            ),
            para("2026 경기도 배터리 산업 기본계획", char=1, vpos=(12000,)),
            para("경기도 경제실", vpos=(30000,)),
        ]
    )
    body = "".join(
        [
            para("추진 배경", pr=1, vpos=(0,), page_break=True),  # page 2
            para("배터리 수요가 빠르게 늘고 있다.", vpos=(1600, 3200, 4800)),
            para("추진 전략", pr=1, vpos=(60000,)),
            para("거점 조성", pr=2, vpos=(0,)),  # line positions restart: page 3
            para("도내 세 곳에 거점을 만든다.", vpos=(1600,)),
            para("지원 대상", pr=3, vpos=(3200,)),
            para("중소기업", pr=4, vpos=(4800,)),
            para("연구소", pr=4, vpos=(6400,)),
            table([["구분", "2025년", "2026년"], ["예산", "100억 원", "120억 원"]]),
            para("인력 양성", pr=2, vpos=(30000,)),
        ]
    )
    closing = para("기대 효과", pr=1, vpos=(0,)) + para("일자리가 는다.", vpos=(1600,))
    return docs.write_hwpx(path, [cover + body, closing], title=title, header=HEADER)


def test_every_section_has_its_page(tmp_path: Path, docs) -> None:  # type: ignore[no-untyped-def]
    doc = HwpxLoader().load(plan_hwpx(tmp_path / "plan.hwpx", docs))
    pages = {doc.text[s.start : s.end].split("\n")[0]: s.page for s in doc.sections}
    assert pages["- 1 -"] == 1
    assert pages["Ⅰ. 추진 배경"] == 2  # page break
    assert pages["Ⅱ. 추진 전략"] == 2
    assert pages["1. 거점 조성"] == 3  # line positions restarted at the top
    assert pages["2. 인력 양성"] == 3
    assert pages["Ⅲ. 기대 효과"] == 4  # a new section starts a new page
    assert all(s.page is not None for s in doc.sections)
    assert doc.meta["pages"] == 4
    chunks = chunk_document(doc, split_sentences, lambda t: len(t.split()), ChunkerConfig(50, 0))
    # The cover (a page number, the title, the office: no sentence) makes no passage.
    assert {c.page for c in chunks} == {2, 3, 4}


def test_outline_numbering_is_regenerated_into_headings(
    tmp_path: Path,
    docs,  # type: ignore[no-untyped-def]
) -> None:
    doc = HwpxLoader().load(plan_hwpx(tmp_path / "plan.hwpx", docs))
    paths = {s.heading_path for s in doc.sections}
    assert ("Ⅱ. 추진 전략", "1. 거점 조성", "가. 지원 대상") in paths
    assert ("Ⅱ. 추진 전략", "2. 인력 양성") in paths  # level 2 counts on; level 3 resets
    assert ("Ⅲ. 기대 효과",) in paths  # numbering carries on into the second section
    # Bullets from a symbol font come out as a plain bullet.
    assert "가. 지원 대상\n• 중소기업\n• 연구소" in doc.text


def test_a_table_has_its_header_as_context_and_self_describing_rows(
    tmp_path: Path,
    docs,  # type: ignore[no-untyped-def]
) -> None:
    doc = HwpxLoader().load(plan_hwpx(tmp_path / "plan.hwpx", docs))
    (tbl,) = [s for s in doc.sections if s.table]
    assert tbl.context == "구분 | 2025년 | 2026년"
    assert tbl.heading_path == ("Ⅱ. 추진 전략", "1. 거점 조성", "가. 지원 대상")
    assert tbl.page == 3
    row = doc.text[tbl.start : tbl.end].strip()
    assert row.startswith("예산") and "2025년: 100억 원" in row and "2026년: 120억 원" in row


def test_the_title_is_the_large_cover_line_not_metadata_noise(
    tmp_path: Path,
    docs,  # type: ignore[no-untyped-def]
) -> None:
    for meta_title in ("", "제목 없음", "1"):
        path = plan_hwpx(tmp_path / f"plan{len(meta_title)}.hwpx", docs, title=meta_title)
        assert HwpxLoader().load(path).title == "2026 경기도 배터리 산업 기본계획"
    path = plan_hwpx(tmp_path / "named.hwpx", docs, title="경기도 배터리 기본계획(안)")
    assert HwpxLoader().load(path).title == "경기도 배터리 기본계획(안)"
    # Without sizes the first page's first line that is no page number is the title.
    path = docs.write_hwpx(tmp_path / "plain.hwpx", [para("- 1 -") + para("배터리 산업 현황")])
    assert HwpxLoader().load(path).title == "배터리 산업 현황"


def test_number_formats_and_level_patterns() -> None:
    assert [format_number(n, "ROMAN_CAPITAL") for n in (1, 3, 13)] == ["Ⅰ", "Ⅲ", "XIII"]
    assert [format_number(n, "HANGUL_SYLLABLE") for n in (1, 3, 15)] == ["가", "다", "15"]
    assert format_number(2, "CIRCLED_DIGIT") == "②"
    numbers = AutoNumbers(
        {"1": [NumberingLevel("제^1장"), NumberingLevel("^1.^2"), NumberingLevel("(^3)")]}
    )
    got = [numbers.prefix("number", "1", level) for level in (1, 2, 2, 3, 1, 2)]
    assert got == ["제1장", "1.1", "1.2", "(1)", "제2장", "2.1"]
    assert numbers.prefix("number", "9", 1) == ""  # an undefined numbering adds nothing


def test_a_word_table_header_is_guessed_when_the_format_marks_none() -> None:
    years = [(0, 0, 1, 1, "구분"), (0, 1, 1, 1, "2024"), (0, 2, 1, 1, "2025")]
    body = [(1, 0, 1, 1, "예산"), (1, 1, 1, 1, "100"), (1, 2, 1, 1, "120")]
    context, lines = word_table(years + body)
    assert context == "구분 | 2024 | 2025"  # years over columns are labels
    assert len(lines) == 1 and "2024: 100" in lines[0] and "2025: 120" in lines[0]
    # A first row that already holds amounts is a key-value table without a header.
    pairs = [
        (0, 0, 1, 1, "예산"),
        (0, 1, 1, 1, "100억 원"),
        (1, 0, 1, 1, "인원"),
        (1, 1, 1, 1, "20명"),
    ]
    context, lines = word_table(pairs)
    assert context == "" and len(lines) == 2 and "100억 원" in lines[0] and "20명" in lines[1]


def test_a_table_longer_than_a_page_turns_the_pages_it_fills(
    tmp_path: Path,
    docs,  # type: ignore[no-untyped-def]
) -> None:
    # A4 with Hancom's default margins: a text area 65,764 HWPUNIT high. A table starting at
    # 20,000 and 120,000 high ends on the third page, though it has one line segment.
    sec_pr = (
        '<hp:run charPrIDRef="0"><hp:secPr outlineShapeIDRef="1"><hp:pagePr width="59528" '
        'height="84188"><hp:margin top="5668" bottom="4252" header="4252" footer="4252" '
        'left="8504" right="8504"/></hp:pagePr></hp:secPr></hp:run>'
    )
    rows = "".join(
        f'<hp:tr><hp:tc><hp:subList>{para(f"항목{r}")}</hp:subList><hp:cellAddr colAddr="0" '
        f'rowAddr="{r}"/></hp:tc><hp:tc><hp:subList>{para(f"값{r}")}</hp:subList>'
        f'<hp:cellAddr colAddr="1" rowAddr="{r}"/></hp:tc></hp:tr>'
        for r in range(3)
    )
    tall = f'<hp:tbl rowCnt="3" colCnt="2"><hp:sz width="40000" height="120000"/>{rows}</hp:tbl>'
    body = (
        para("", runs=sec_pr + '<hp:run charPrIDRef="0"><hp:t>첫 쪽 글이다.</hp:t></hp:run>')
        + para("", runs=f'<hp:run charPrIDRef="0">{tall}</hp:run>', vpos=(20000,))
        + para("표 다음 글이다.", vpos=(10000,))
    )
    doc = HwpxLoader().load(docs.write_hwpx(tmp_path / "tall.hwpx", [body], header=HEADER))
    pages = [(s.page, doc.text[s.start : s.end].split("\n")[0]) for s in doc.sections]
    assert pages[0] == (1, "첫 쪽 글이다.")
    assert pages[1][0] == 1 and doc.sections[1].table  # the table starts on page 1
    assert pages[-1] == (3, "표 다음 글이다.")
