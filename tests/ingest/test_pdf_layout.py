"""The layout-aware PDF loader on PDFs built here with fpdf2 (headers and footers, two columns,
headings, TOC, glossary, an image-only page for OCR) and on the shared real documents."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from fpdf import FPDF

from ingest.loaders.pdf import PdfLoader
from ingest.ocr import unavailable_reason
from reportqa.types import Document

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_pdfs import load_real_pdf

NANUM = Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")
NANUM_BOLD = Path("/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf")
REALDOCS = Path(__file__).resolve().parents[2] / ".." / "shared" / "realdocs"
PART1 = REALDOCS / "kcmvp-implementation-guide-part1-2025.ko.pdf"
SUBMISSION = REALDOCS / "kcmvp-submission-writing-guide-2022.ko.pdf"
FINANCIAL = REALDOCS / "samsung-consolidated-financial-statements-2022.ko.pdf"
VACUUM = REALDOCS / "samsung-vacuum-quick-guide.ko.pdf"

BODY = (
    "The regional plan funds three programmes over five years and reports on each of them "
    "every spring, with the budget, the partners and the results measured against the targets "
    "that the council agreed when the plan was adopted in the first year."
)


def section_lines(doc: Document) -> list[tuple[int | None, tuple[str, ...], bool, str]]:
    """(page, heading path, toc, line) for every line of every section."""
    out = []
    for s in doc.sections:
        for line in doc.text[s.start : s.end].split("\n"):
            if line:
                out.append((s.page, s.heading_path, s.toc, line))
    return out


def english_pdf() -> FPDF:

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    return pdf


def write(pdf: FPDF, path: Path) -> Path:
    pdf.output(str(path))
    return path


def test_running_header_footer_and_page_numbers_are_furniture(tmp_path: Path) -> None:
    pdf = english_pdf()
    for n in range(1, 5):
        pdf.add_page()
        pdf.set_font("Helvetica", size=8)
        pdf.set_xy(10, 8)
        pdf.cell(0, 5, "Regional Battery Plan 2024 - Part 1: Overview")
        pdf.set_xy(10, 282)
        pdf.cell(0, 5, str(n), align="C")
        pdf.set_font("Helvetica", size=11)
        pdf.set_xy(10, 40)
        pdf.multi_cell(0, 6, f"Page {n} body. " + BODY)
    doc = PdfLoader().load(write(pdf, tmp_path / "furniture.pdf"))
    lines = [line for _, _, _, line in section_lines(doc)]
    assert all("Regional Battery Plan 2024" not in line for line in lines)
    assert not any(line.strip().isdigit() for line in lines)
    assert [s.page for s in doc.sections] == [1, 2, 3, 4]
    assert doc.meta["page_furniture"][3] == ["Regional Battery Plan 2024 - Part 1: Overview", "3"]
    assert lines[0] == "Page 1 body. " + BODY  # the wrapped paragraph is one line again


def test_two_columns_are_read_column_by_column(tmp_path: Path) -> None:
    pdf = english_pdf()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", size=16)
    pdf.set_xy(10, 15)
    pdf.cell(0, 8, "Annual Report on the Plan")
    pdf.set_font("Helvetica", size=10)
    left = "Left column text. " + BODY
    right = "Right column text. " + BODY
    pdf.set_xy(10, 40)
    pdf.multi_cell(90, 5, left)
    pdf.set_xy(108, 40)
    pdf.multi_cell(90, 5, right)
    doc = PdfLoader().load(write(pdf, tmp_path / "columns.pdf"))
    lines = [line for _, _, _, line in section_lines(doc)]
    assert lines == ["Annual Report on the Plan", left, right]
    assert doc.title == "Annual Report on the Plan"


def test_headings_give_every_paragraph_its_path_and_numbered_body_text_stays_body(
    tmp_path: Path,
) -> None:
    pdf = english_pdf()
    pdf.add_page()
    numbered_body = "1. " + BODY  # long, regular, body-sized: a list item, not a heading
    for style, size, text in [
        ("B", 18, "Plan Summary"),
        ("", 11, BODY),
        ("B", 14, "1. Budget"),
        ("", 11, numbered_body),
        ("B", 12, "1.1 Sources of funds"),
        ("", 11, BODY),
        ("B", 14, "2. Partners"),
        ("", 11, BODY),
    ]:
        pdf.set_font("Helvetica", style, size=size)
        pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    doc = PdfLoader().load(write(pdf, tmp_path / "headings.pdf"))
    paths = {line: path for _, path, _, line in section_lines(doc)}
    assert paths["1.1 Sources of funds"] == ("1. Budget", "1.1 Sources of funds")
    assert paths[numbered_body] == ("1. Budget",)
    assert paths["2. Partners"] == ("2. Partners",)
    assert doc.title == "Plan Summary"
    # The title page's display text heads nothing after it; each heading opens a section.
    heads = [s.heading_path for s in doc.sections]
    assert ("1. Budget", "1.1 Sources of funds") in heads


def test_toc_page_is_flagged_and_dot_leaders_parsed_away(tmp_path: Path) -> None:
    pdf = english_pdf()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", size=16)
    pdf.cell(0, 10, "Contents", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for title, page in [
        ("1. Overview", 2),
        ("2. Budget", 3),
        ("3. Partners", 5),
        ("4. Results", 9),
    ]:
        pdf.cell(150, 8, title + " " + "." * 60)
        pdf.cell(0, 8, str(page), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.multi_cell(0, 6, "Overview. " + BODY)
    doc = PdfLoader().load(write(pdf, tmp_path / "toc.pdf"))
    assert doc.meta["toc_pages"] == [1]
    toc = [line for page, _, toc, line in section_lines(doc) if toc]
    assert "2. Budget (p. 3)" in toc
    assert not any(".." in line for line in toc)
    assert all(not s.toc for s in doc.sections if s.page == 2)


def test_glossary_term_and_definition_are_one_line(tmp_path: Path) -> None:
    pdf = english_pdf()
    pdf.add_page()
    terms = [
        (
            "Tamper detection",
            "The automatic determination by a module that its security has been compromised.",
        ),
        (
            "Tamper response",
            "The automatic action taken by a module when tampering has been detected.",
        ),
        (
            "Zeroisation",
            "A method of erasing stored secret keys to prevent their retrieval and reuse.",
        ),
    ]
    for term, definition in terms:
        pdf.set_font("Helvetica", "B", size=11)
        pdf.cell(0, 6, term, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, definition, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    doc = PdfLoader().load(write(pdf, tmp_path / "glossary.pdf"))
    lines = [line for _, _, _, line in section_lines(doc)]
    assert lines == [f"{term}: {definition}" for term, definition in terms]


def test_rotated_page_reads_in_order_with_its_page_number_margins(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    pdf = english_pdf()
    for n in range(1, 4):
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        pdf.set_xy(10, 40)
        pdf.multi_cell(0, 6, f"Page {n} opens here. " + BODY, new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 6, f"Page {n} closes here.", new_x="LMARGIN", new_y="NEXT")
        pdf.set_xy(10, 282)
        pdf.cell(0, 5, str(n), align="C")
    writer = PdfWriter()
    for p in PdfReader(io.BytesIO(bytes(pdf.output()))).pages:
        p.rotate(90)  # /Rotate 90: PDFium keeps the text in the unrotated page space
        writer.add_page(p)
    path = tmp_path / "rotated.pdf"
    writer.write(str(path))
    doc = PdfLoader().load(path)
    assert [line for _, _, _, line in section_lines(doc)][:2] == [
        "Page 1 opens here. " + BODY,
        "Page 1 closes here.",
    ]
    assert doc.meta["page_furniture"][2] == ["2"]


@pytest.mark.slow
def test_image_only_page_is_ocred(tmp_path: Path) -> None:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    if not NANUM.exists():
        pytest.skip("OCR test needs fonts-nanum to draw the page image")
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (1240, 1754), "white")  # A4 at 150 dpi
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(NANUM), 44)
    draw.text((120, 200), "경기도 이차전지 산업 육성 계획", font=font, fill="black")
    draw.text((120, 300), "Battery industry plan 2024", font=font, fill="black")
    png = io.BytesIO()
    image.save(png, format="PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(png, x=0, y=0, w=210, h=297)
    doc = PdfLoader().load(write(pdf, tmp_path / "scan.pdf"))
    assert doc.meta["ocr_pages"] == [1]
    assert all(s.ocr for s in doc.sections)
    assert "이차전지" in doc.text
    assert "Battery industry plan 2024" in doc.text


def test_image_only_page_without_ocr_says_why(tmp_path: Path) -> None:
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (200, 280), "white").save(png, format="PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(png, x=0, y=0, w=210, h=297)
    path = write(pdf, tmp_path / "scan-off.pdf")
    from reportqa.errors import IngestError

    with pytest.raises(IngestError) as err:
        PdfLoader(ocr=False).load(path)
    assert "no extractable text (scanned PDF?)" in err.value.reason
    assert "OCR is off" in err.value.reason


# -- the shared real documents --------------------------------------------------------------


def _real(path: Path) -> Document:
    return load_real_pdf(path)  # one read per session for the modules of tests/ingest


@pytest.mark.slow
@pytest.mark.parametrize("path", [PART1, SUBMISSION, FINANCIAL, VACUUM], ids=lambda p: p.name[:12])
def test_real_pdfs_have_no_furniture_or_nul_in_sections(path: Path) -> None:
    doc = _real(path)
    assert "\x00" not in doc.text
    furniture = doc.meta["page_furniture"]
    for page, _, _, line in section_lines(doc):
        assert line not in furniture.get(page, []) or line in doc.title, (path.name, page, line)
    if path == PART1:  # no figure numbers in this guide: a lone number would be a page number
        assert not [line for *_, line in section_lines(doc) if line.strip().isdigit()]


@pytest.mark.slow
def test_real_running_header_and_footer_are_gone() -> None:
    doc = _real(PART1)
    # The guide's running header and its page numbers sit on most pages.
    assert (
        sum(1 for texts in doc.meta["page_furniture"].values() if "암호모듈 구현안내서" in texts)
        > 30
    )
    footers = [t for texts in doc.meta["page_furniture"].values() for t in texts if "Part1:" in t]
    assert len(footers) > 20
    # The cover (page 1) and the colophon (the last page) name the guide as text.
    lines = [line for page, _, _, line in section_lines(doc) if 1 < (page or 0) < 105]
    assert "암호모듈 구현안내서" not in lines
    assert not any(line.startswith("Part1:") for line in lines)


@pytest.mark.slow
def test_real_titles() -> None:
    assert _real(PART1).title == "암호모듈 구현안내서"
    assert _real(SUBMISSION).title == "암호모듈 제출물 작성 안내서"
    assert _real(FINANCIAL).title == "연결재무상태표"


@pytest.mark.slow
def test_real_toc_pages_are_flagged() -> None:
    part1 = _real(PART1)
    assert part1.meta["toc_pages"] == [4, 5]
    toc = [line for _, _, toc, line in section_lines(part1) if toc]
    assert "4.1 인가받은 역할 (p. 18)" in toc
    submission = _real(SUBMISSION)
    assert submission.meta["toc_pages"] == [2, 3]
    toc = [line for _, _, toc, line in section_lines(submission) if toc]
    assert "8. 중요 보안매개변수 관리 (p. 51)" in toc
    assert not any("···" in line for line in toc)
    # No TOC page among the prose and table pages.
    assert not _real(FINANCIAL).meta["toc_pages"]


@pytest.mark.slow
def test_real_heading_paths() -> None:
    part1 = _real(PART1)
    by_line = {(page, line): path for page, path, _, line in section_lines(part1)}
    assert by_line[(30, "질문")][-2:] == ("4.1 인가받은 역할", "질문")
    assert by_line[(30, "답변")][-2:] == ("4.1 인가받은 역할", "답변")
    submission = _real(SUBMISSION)
    by_line = {(page, line): path for page, path, _, line in section_lines(submission)}
    assert by_line[(6, "가. 구성")] == (
        "기본 및 상세설계서 작성 안내서",
        "2 문서의 구성 및 용어",
        "가. 구성",
    )
    assert by_line[(8, "나. 암호모듈 유형")][-2:] == ("3 암호모듈 명세", "나. 암호모듈 유형")
    # Past the front matter, (nearly) every section of the guides has a heading path.
    for doc in (part1, submission):
        body = [s for s in doc.sections if (s.page or 0) > 6 and not s.toc]
        assert sum(1 for s in body if s.heading_path) >= 0.95 * len(body)


@pytest.mark.slow
def test_real_korean_word_broken_across_lines_is_whole_again() -> None:
    # Hancom breaks lines inside words; PDFium shows no space before such a break.
    # Kiwi's spacing tells a word broken inside from two words broken between.
    text = _real(PART1).text
    assert "않 는" not in text
    assert "암호알 고리즘" not in text
    assert "정의와함께" not in text
    assert "정의와 함께" in text


@pytest.mark.slow
def test_real_glossary_keeps_each_definition_with_its_term() -> None:
    lines = [line for page, _, _, line in section_lines(_real(PART1)) if page == 9]
    glossary = [line for line in lines if "): " in line]
    assert len(glossary) >= 15
    assert any(line.startswith("기밀성(confidentiality): ") for line in glossary)
    assert any(line.startswith("무결성(integrity): ") for line in glossary)


@pytest.mark.slow
def test_real_brochure_columns_are_read_one_at_a_time() -> None:
    # The quick guide sets its safety notes in columns a little over an em apart.
    lines = _real(VACUUM).text.split("\n")
    # A note wrapped over three lines of one column is one line again ...
    assert any("콘센트 끝까지" in line and "느슨해진 콘센트는" in line for line in lines)
    assert any("잡아당기거나" in line and "밀어 넣지" in line for line in lines)
    # ... and no line runs on into the neighbouring column.
    assert not any("접촉" in line and "정격 전원" in line for line in lines)
