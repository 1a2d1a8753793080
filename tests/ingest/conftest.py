"""Document factories for loader tests: HWPX written as ZIP + XML, DOCX with python-docx, PDFs
with tables drawn by fpdf2 (Korean text needs Debian's fonts-nanum), plus the shared fixtures."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
HWP_FIXTURES = SHARED / "fixtures" / "hwp"
ARTICLE = SHARED / "corpus" / "gbsa-battery-plan-article.ko.txt"
NANUM = Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")

HS = "http://www.hancom.co.kr/hwpml/2011/section"
HP = "http://www.hancom.co.kr/hwpml/2011/paragraph"
HH = "http://www.hancom.co.kr/hwpml/2011/head"
OPF = "http://www.idpf.org/2007/opf/"

# A small budget report in the shape Korean public reports take: numbered headings, a table whose
# values must stay next to their labels, a footnote, a running header.
REPORT_TITLE = "경기도 이차전지산업 육성계획"
BUDGET_ROWS = [
    ("항목", "2025년 예산", "비고"),
    ("R&D 특화 클러스터", "1,250억 원", "신규"),
    ("테스트베드 플랫폼", "430억 원", "계속"),
    ("사용 후 배터리 사업화", "85억 원", "신규"),
]


@pytest.fixture(scope="session")
def hwp_fixtures() -> Path:
    if not HWP_FIXTURES.is_dir():
        pytest.skip(f"HWP fixtures not found at {HWP_FIXTURES} (../shared is absent)")
    return HWP_FIXTURES


# -- HWPX --------------------------------------------------------------------------------------


def hwpx_run(text: str) -> str:
    return f'<hp:run charPrIDRef="0"><hp:t>{escape(text)}</hp:t></hp:run>'


def hwpx_para(body: str, para_pr: int = 0) -> str:
    """A paragraph; ``body`` is plain text or ready-made run XML (starting with '<')."""
    runs = body if body.startswith("<") else hwpx_run(body)
    return f'<hp:p id="0" paraPrIDRef="{para_pr}" styleIDRef="0">{runs}</hp:p>'


def hwpx_table(rows: Sequence[Sequence[str]], caption: str | None = None) -> str:
    """A table paragraph; rows of cell texts (cell (1, 0) may span two rows when it is None)."""
    parts = [f'<hp:tbl rowCnt="{len(rows)}" colCnt="{len(rows[0])}">']
    if caption:
        parts.append(f"<hp:caption><hp:subList>{hwpx_para(caption)}</hp:subList></hp:caption>")
    for r, row in enumerate(rows):
        parts.append("<hp:tr>")
        for c, text in enumerate(row):
            if text is None:
                continue  # covered by a row span from above
            span = 2 if r + 1 < len(rows) and rows[r + 1][c] is None else 1
            parts.append(
                f"<hp:tc><hp:subList>{hwpx_para(text)}</hp:subList>"
                f'<hp:cellAddr colAddr="{c}" rowAddr="{r}"/>'
                f'<hp:cellSpan colSpan="1" rowSpan="{span}"/></hp:tc>'
            )
        parts.append("</hp:tr>")
    parts.append("</hp:tbl>")
    return hwpx_para(f'<hp:run charPrIDRef="0">{"".join(parts)}</hp:run>')


def hwpx_ctrl(kind: str, text: str) -> str:
    """A run holding a footNote/endNote/header/footer control with one paragraph."""
    return (
        f'<hp:run charPrIDRef="0"><hp:ctrl><hp:{kind}><hp:subList>{hwpx_para(text)}'
        f"</hp:subList></hp:{kind}></hp:ctrl></hp:run>"
    )


HWPX_HEADER = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<hh:head xmlns:hh="{HH}" version="1.4" secCnt="1"><hh:refList><hh:paraProperties itemCnt="3">
<hh:paraPr id="0"><hh:heading type="NONE" idRef="0" level="0"/></hh:paraPr>
<hh:paraPr id="1"><hh:heading type="OUTLINE" idRef="0" level="0"/></hh:paraPr>
<hh:paraPr id="2"><hh:heading type="OUTLINE" idRef="0" level="1"/></hh:paraPr>
</hh:paraProperties></hh:refList></hh:head>"""


def write_hwpx(
    path: Path, sections: Sequence[str], title: str = "", header: str = HWPX_HEADER
) -> Path:
    """An HWPX file: ``sections`` are the inner XML (paragraphs) of each section."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/hwp+zip")  # stored, first
        z.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0"?><ocf:container xmlns:ocf="urn:oasis:names:tc:opendocument:'
            'xmlns:container"><ocf:rootfiles><ocf:rootfile full-path="Contents/content.hpf" '
            'media-type="application/hwpml-package+xml"/></ocf:rootfiles></ocf:container>',
        )
        z.writestr(
            "Contents/content.hpf",
            f'<?xml version="1.0"?><opf:package xmlns:opf="{OPF}"><opf:metadata>'
            f"<opf:title>{escape(title)}</opf:title></opf:metadata></opf:package>",
        )
        z.writestr("Contents/header.xml", header)
        for i, body in enumerate(sections):
            z.writestr(
                f"Contents/section{i}.xml",
                f'<?xml version="1.0" encoding="UTF-8"?><hs:sec xmlns:hs="{HS}" xmlns:hp="{HP}">'
                f"{body}</hs:sec>",
            )
    return path


def report_hwpx(path: Path) -> Path:
    """The budget report as HWPX: two outline levels, a captioned table, a footnote, a header."""
    section = "".join(
        [
            hwpx_para(
                '<hp:run charPrIDRef="0"><hp:secPr/></hp:run>'
                + hwpx_ctrl("header", "머리말: 경기도경제과학진흥원 연구보고서")
                + hwpx_run(REPORT_TITLE)
            ),
            hwpx_para("Ⅰ. 추진 배경", para_pr=1),
            hwpx_para(
                hwpx_run("전기차 전환으로 배터리 수요가 늘고 있다.")
                + hwpx_ctrl("footNote", "각주: 2024년 전기차 등록 통계 기준.")
            ),
            hwpx_para("Ⅱ. 추진 전략", para_pr=1),
            hwpx_para("1. 핵심과제 예산", para_pr=2),
            hwpx_para("핵심과제별 예산은 다음 표와 같다."),
            hwpx_table(BUDGET_ROWS, caption="표 1. 핵심과제별 예산"),
            hwpx_table([["상자 안의 글은 본문으로 읽는다."]]),
            hwpx_para("표 다음 문단이다."),
        ]
    )
    return write_hwpx(
        path,
        [section, hwpx_para("Ⅲ. 기대 효과", para_pr=1) + hwpx_para("일자리가 늘어난다.")],
        title=REPORT_TITLE,
    )


# -- DOCX --------------------------------------------------------------------------------------


def report_docx(path: Path) -> Path:
    """The budget report as DOCX: Heading 1/2 styles, a table with a vertically merged label."""
    import docx

    d = docx.Document()
    d.core_properties.title = REPORT_TITLE
    d.add_paragraph(REPORT_TITLE, style="Title")
    d.add_heading("Ⅰ. 추진 배경", level=1)
    d.add_paragraph("전기차 전환으로 배터리 수요가 늘고 있다.")
    d.add_heading("Ⅱ. 추진 전략", level=1)
    d.add_heading("1. 핵심과제 예산", level=2)
    d.add_paragraph("핵심과제별 예산은 다음 표와 같다.")
    table = d.add_table(rows=len(BUDGET_ROWS), cols=3)
    for r, row in enumerate(BUDGET_ROWS):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    box = d.add_table(rows=1, cols=1)
    box.cell(0, 0).text = "상자 안의 글은 본문으로 읽는다."
    d.add_paragraph("표 다음 문단이다.")
    merged = d.add_table(rows=3, cols=2)
    merged.cell(0, 0).text = "구분"
    merged.cell(0, 1).text = "과제"
    top = merged.cell(1, 0).merge(merged.cell(2, 0))
    top.text = "거점"
    merged.cell(1, 1).text = "클러스터 조성"
    merged.cell(2, 1).text = "테스트베드 구축"
    d.add_heading("Ⅲ. 기대 효과", level=1)
    d.add_paragraph("일자리가 늘어난다.")
    d.save(str(path))
    return path


# -- PDF ---------------------------------------------------------------------------------------


def table_pdf(path: Path, pages: Sequence[Sequence[object]]) -> Path:
    """A Korean PDF; each page is a list of paragraphs (str) and tables (list of row tuples)."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    if not NANUM.exists():
        pytest.skip("Korean PDF tests need fonts-nanum (`make system-deps`)")
    pdf = FPDF()
    pdf.add_font("Nanum", fname=str(NANUM))
    pdf.set_font("Nanum", size=11)
    for items in pages:
        pdf.add_page()
        for item in items:
            if isinstance(item, str):
                pdf.multi_cell(0, 8, item, new_x="LMARGIN", new_y="NEXT")
            else:
                with pdf.table(headings_style=FontFace()) as t:
                    for row in item:  # type: ignore[attr-defined]
                        cells = t.row()
                        for text in row:
                            cells.cell(text)
                pdf.ln(4)
    pdf.output(str(path))
    return path


class DocFactory:
    """What the ``docs`` fixture hands a test: the factories and constants above."""

    REPORT_TITLE = REPORT_TITLE
    BUDGET_ROWS = BUDGET_ROWS
    NANUM = NANUM
    write_hwpx = staticmethod(write_hwpx)
    hwpx_para = staticmethod(hwpx_para)
    hwpx_run = staticmethod(hwpx_run)
    hwpx_table = staticmethod(hwpx_table)
    hwpx_ctrl = staticmethod(hwpx_ctrl)
    report_hwpx = staticmethod(report_hwpx)
    report_docx = staticmethod(report_docx)
    table_pdf = staticmethod(table_pdf)


@pytest.fixture
def docs() -> type[DocFactory]:
    return DocFactory
