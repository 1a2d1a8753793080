"""PDF reading defects found on the shared real documents (issue 12), each on a PDF built here
with fpdf2 and on the real document that showed it: overprinted text read twice, a page
heading over a column label, a document without headings, Q&A metadata boxes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fpdf import FPDF

from ingest.layout.overprint import drop_overprint
from ingest.layout.page import Word
from ingest.layout.reading import Block, Line, group_lines, paragraphs
from ingest.loaders.pdf import PdfLoader
from reportqa.types import Document

NANUM = Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")
NANUM_BOLD = Path("/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf")
REALDOCS = Path(__file__).resolve().parents[2] / ".." / "shared" / "realdocs"
PART1 = REALDOCS / "kcmvp-implementation-guide-part1-2025.ko.pdf"
FINANCIAL = REALDOCS / "samsung-consolidated-financial-statements-2022.ko.pdf"
VACUUM = REALDOCS / "samsung-vacuum-quick-guide.ko.pdf"

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_pdfs import load_real_pdf as real  # noqa: E402  (one read per session for tests/ingest)


def korean_pdf() -> FPDF:
    if not NANUM.exists() or not NANUM_BOLD.exists():
        pytest.skip("Korean PDF tests need fonts-nanum (`make system-deps`)")
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.add_font("Nanum", fname=str(NANUM))
    pdf.add_font("Nanum", style="B", fname=str(NANUM_BOLD))
    return pdf


def section_lines(doc: Document) -> list[tuple[int | None, tuple[str, ...], str]]:
    return [
        (s.page, s.heading_path, line)
        for s in doc.sections
        for line in doc.text[s.start : s.end].split("\n")
        if line
    ]


# -- overprinted text --------------------------------------------------------------------------


def w(text: str, x0: float, y0: float, size: float = 16.0) -> Word:
    return Word(text, x0, y0, x0 + size * len(text) * 0.6, y0 + size, size, True)


def test_a_run_drawn_again_half_a_point_off_is_kept_once() -> None:
    first = [w("10장", 390, 470, 31), w("자가시험", 457, 470, 31)]
    shadow = [w("10장", 390.6, 469.7, 31), w("자가시험", 457.6, 469.7, 31)]
    assert drop_overprint([*first, *shadow]) == tuple(first)


def test_a_copy_with_other_letter_spacing_is_dropped_but_repeated_cells_are_not() -> None:
    line = [w("10.5", 186, 627), w("Non-reconfigurable", 219, 627), w("메모리", 318, 627)]
    wider = [w("10.5", 117, 627.4), w("Non-reconfigurable", 151, 627.4), w("메모리", 283, 627.4)]
    assert drop_overprint([*line, *wider]) == tuple(line)
    # The same value in two cells of a row, or in the next row, is text, not a shadow.
    cells = [w("O", 100, 200), w("O", 160, 200), w("O", 100, 216)]
    assert drop_overprint(cells) == tuple(cells)


def test_overprinted_heading_pdf_reads_once(tmp_path: Path) -> None:
    pdf = korean_pdf()
    pdf.add_page()
    for dx, dy in ((0.0, 0.0), (0.35, -0.25)):  # the text, then its shadow
        pdf.set_font("Nanum", style="B", size=24)
        pdf.text(20 + dx, 30 + dy, "제3장 자가시험")
        pdf.set_font("Nanum", size=11)
        pdf.text(20 + dx, 45 + dy, "3.1 조건부 암호알고리즘 시험 방법")
    pdf.set_font("Nanum", size=11)
    pdf.set_xy(20, 55)
    pdf.multi_cell(170, 7, "자가시험은 암호모듈이 스스로 올바르게 동작하는지 확인하는 시험이다. " * 3)
    path = tmp_path / "shadow.pdf"
    pdf.output(str(path))
    doc = PdfLoader().load(path)
    assert "제3장 제3장" not in doc.text and "자가시험 자가시험" not in doc.text
    assert doc.text.count("3.1 조건부 암호알고리즘 시험 방법") == 1


@pytest.mark.slow
def test_real_chapter_divider_is_read_once() -> None:
    doc = real(PART1)
    divider = [(path, line) for page, path, line in section_lines(doc) if page == 61]
    assert divider[0] == (("10장 자가시험",), "10장 자가시험")
    assert divider[1][0] == ("10장 자가시험",)
    assert any(line == "10.1 조건부 암호알고리즘 시험 방법(KAT)" for _, line in divider)
    assert "자가시험 자가시험" not in doc.text
    # Every heading path below the chapter starts with it, once.
    paths = {s.heading_path for s in doc.sections if s.page in range(62, 70)}
    assert paths and all(p[0] == "10장 자가시험" for p in paths)


# -- a page heading over a column label --------------------------------------------------------


def test_page_heading_over_a_column_label_heads_the_glossary(tmp_path: Path) -> None:
    pdf = korean_pdf()
    for heading, terms in (("변경 이력", 0), ("용어와 정의", 8)):
        pdf.add_page()
        pdf.set_font("Nanum", style="B", size=20)
        pdf.text(20, 25, heading)
        y = 38.0
        if not terms:
            pdf.set_font("Nanum", size=11)
            pdf.text(20, y, "2024년 11월 18일: 내용 개정 및 신규 항목 추가, 용어 정리와 예시 보완")
            continue
        pdf.set_font("Nanum", style="B", size=14)
        pdf.text(100, y, "설명")  # the label over the definitions' column
        for k in range(terms):
            y += 12
            pdf.set_font("Nanum", style="B", size=11)
            pdf.text(20, y, f"검증용어{k + 1}(glossary term number {k + 1})")
            pdf.set_font("Nanum", size=11)
            pdf.text(20, y + 5, f"용어{k + 1}의 뜻을 풀어 쓴 정의 문장으로 한 줄이 넘지 않는다")
    path = tmp_path / "glossary.pdf"
    pdf.output(str(path))
    doc = PdfLoader().load(path)
    glossary = [(p, line) for page, p, line in section_lines(doc) if page == 2]
    assert glossary and all(p == ("용어와 정의",) for p, _ in glossary), glossary


@pytest.mark.slow
def test_real_glossary_pages_carry_their_own_heading() -> None:
    doc = real(PART1)
    for page in (9, 10, 11):
        paths = {s.heading_path for s in doc.sections if s.page == page}
        assert paths == {("용어와 정의",)}, (page, paths)


# -- a document without headings ---------------------------------------------------------------


def test_a_statement_without_headings_has_its_title_on_every_section(tmp_path: Path) -> None:
    pdf = korean_pdf()
    pdf.add_page()
    pdf.set_font("Nanum", size=11)
    pdf.set_xy(20, 20)
    pdf.cell(170, 8, "연결손익계산서", align="C", new_x="LMARGIN", new_y="NEXT")
    with pdf.table() as table:
        for row in (("과목", "2023년", "2022년"), ("매출액", "1,200", "1,100"),
                    ("영업이익", "300", "250"), ("당기순이익", "200", "180")):
            cells = table.row()
            for text in row:
                cells.cell(text)
    path = tmp_path / "statement.pdf"
    pdf.output(str(path))
    doc = PdfLoader().load(path)
    assert doc.title == "연결손익계산서"
    assert doc.sections and all(s.heading_path == ("연결손익계산서",) for s in doc.sections)


def test_a_document_whose_first_line_is_a_sentence_gets_no_heading(tmp_path: Path) -> None:
    pdf = korean_pdf()
    pdf.add_page()
    pdf.set_font("Nanum", size=11)
    pdf.set_xy(20, 20)
    pdf.multi_cell(170, 7, "이 문서는 제목 없이 바로 본문으로 시작하는 짧은 안내문이다.")
    path = tmp_path / "note.pdf"
    pdf.output(str(path))
    doc = PdfLoader().load(path)
    assert all(s.heading_path == () for s in doc.sections)


@pytest.mark.slow
def test_real_financial_statement_rows_carry_the_statement_title() -> None:
    doc = real(FINANCIAL)
    assert doc.title == "연결재무상태표"
    assert all(s.heading_path == ("연결재무상태표",) for s in doc.sections)
    tables = [s for s in doc.sections if s.table]
    assert len(tables) >= 2


# -- key-value boxes -----------------------------------------------------------------------------


def test_key_value_box_writes_one_field_a_line_without_item_bullets() -> None:
    from ingest.layout.tables import Cell, Table, render_table

    cells = (
        Cell(0, 0, "해당 보안수준", bold=True),
        Cell(0, 1, "∎ 1, 2, 3, 4", colspan=3),
        Cell(1, 0, "최초 작성일", bold=True),
        Cell(1, 1, "2022년 5월 17일"),
        Cell(1, 2, "최종 수정일", bold=True),
        Cell(1, 3, "2024년 11월 18일"),
        Cell(2, 0, "비고", bold=True),
        Cell(2, 1, "∎ 첫째 ∎ 둘째", colspan=3),
    )
    rendered = render_table(Table((0, 0, 400, 60), cells, 3, 4, header_rows=0))
    assert rendered.lines == (
        "해당 보안수준: 1, 2, 3, 4",
        "최초 작성일: 2022년 5월 17일",
        "최종 수정일: 2024년 11월 18일",
        "비고: ∎ 첫째 ∎ 둘째",  # two items keep their bullets
    )


@pytest.mark.slow
def test_real_qa_item_box_fields_are_lines_under_the_item_heading() -> None:
    doc = real(PART1)
    box = [(path, line) for page, path, line in section_lines(doc) if page == 62][:5]
    heading = "10.1 조건부 암호알고리즘 시험 방법(KAT)"
    assert box[0][1] == heading
    lines = [line for _, line in box[1:]]
    assert lines == [
        "해당 보안수준 (Applicable Levels): 1, 2, 3, 4",
        "관련 키워드 (Keywords): 암호알고리즘의 기지답안검사(KAT), 조건부 암호알고리즘 시험",
        "최초 작성일: 2022년 5월 17일",
        "최종 수정일: 2024년 11월 18일",
    ]
    assert all(path[-1] == heading for path, _ in box)


# -- a brochure spread: tight columns, bullet rows ---------------------------------------------


def _run(texts: list[str], x: float, y0: float, y1: float) -> list[Word]:
    out = []
    for text in texts:
        width = 4.5 * len(text)
        out.append(Word(text, x, y0, x + width, y1, y1 - y0))
        x += width + 1.0
    return out


def test_a_spread_row_does_not_pull_the_next_line_of_a_tight_column() -> None:
    # The brochure's geometry: a column set 7.5 pt apart in 8.5 pt glyph boxes (they overlap),
    # the spread's other page a little lower. Matched against the whole row's band, the far
    # line stretched it down over the column's next line, and the two lines interleaved.
    words = [
        *_run(["가나", "다라마", "바사"], 311.1, 233.4, 241.9),
        *_run(["오른쪽", "면의", "문구"], 576.3, 236.4, 246.9),
        *_run(["ꞏ"], 306.6, 240.0, 249.7),
        *_run(["다음", "항목의", "문장"], 310.7, 240.9, 249.4),
    ]
    assert [line.text for line in group_lines(words)] == [
        "가나 다라마 바사",
        "오른쪽 면의 문구",
        "ꞏ 다음 항목의 문장",
    ]


def test_middle_dot_bullets_open_list_items() -> None:
    lines = [
        Line(tuple(_run(["ꞏ", "첫째", "항목은", "여기까지"], 80, 100 + 9 * k, 108 + 9 * k)))
        for k in range(3)
    ]
    # Full-width lines without a full stop: only the bullet keeps them apart.
    assert paragraphs(Block(tuple(lines))) == [line.text for line in lines]


@pytest.mark.slow
def test_real_brochure_bullet_runs_and_warranty_rows_stay_apart() -> None:
    doc = real(VACUUM)
    lines = doc.text.split("\n")
    # Each bullet of the paid-service column is its own line ...
    assert "ꞏ 사용설명 및 분해하지 않고 간단한 조정 시" in lines
    assert "ꞏ 인터넷, 안테나, 유선신호등 외부환경 문제 시" in lines
    assert "ꞏ 천재지변(낙뢰, 화재, 염해, 수해 등)에 의한 고장 발생 시" in lines
    assert any(line.startswith("※ 고장이 아닌 경우 서비스를 요청하면") for line in lines)
    assert not any("※ ※" in line or " ꞏ 수리가 가능한" in line for line in lines)
    # ... and the two rows of the wilful-damage table, with no rule between them, are two.
    rows = [line for line in lines if line.startswith("ꞏ 수리가 ")]
    assert rows == [
        "ꞏ 수리가 불가능한 경우 — 제품 보증기간 이내: 유상수리에 해당하는 금액징수 후 제품교환 "
        "또는 구입가 환급; 제품 보증기간 이후: 정액 감가상각한 잔여 금액에 구입가의 10%를 "
        "가산하여 환급",
        "ꞏ 수리가 가능한 경우 — 제품 보증기간 이내: 유상수리; 제품 보증기간 이후: 유상수리",
    ]


def test_two_bullet_rows_between_one_pair_of_rules_are_two_rows() -> None:
    from ingest.layout.page import PageLayout, Rule
    from ingest.layout.tables import find_tables, render_table

    def cell(text: str, x: float, y: float) -> list[Word]:
        return _run(text.split(" "), x, y, y + 8.5)

    words = [
        *cell("피해 유형", 82, 104), *cell("보증기간 이내", 200, 104), *cell("보증기간 이후", 300, 104),
        *cell("ꞏ 첫째 경우", 82, 124), *cell("무상 수리", 200, 124), *cell("유상 수리", 300, 124),
        # Two rows with no rule between them: each label led by a bullet, values beside each.
        *cell("ꞏ 둘째 경우", 82, 144), *cell("제품 교환", 200, 144), *cell("감가 환급", 300, 144),
        *cell("금액 징수 후", 200, 153),
        *cell("ꞏ 셋째 경우", 82, 164), *cell("유상 수리", 200, 164), *cell("유상 수리", 300, 164),
    ]
    rules = tuple(Rule(78, y, 380, y + 0.5) for y in (100, 118, 138, 178))
    (table,) = find_tables(PageLayout(1, 600, 800, tuple(words), rules))
    assert table.source == "rows"
    assert render_table(table).lines == (
        "ꞏ 첫째 경우 — 보증기간 이내: 무상 수리; 보증기간 이후: 유상 수리",
        "ꞏ 둘째 경우 — 보증기간 이내: 제품 교환 금액 징수 후; 보증기간 이후: 감가 환급",
        "ꞏ 셋째 경우 — 보증기간 이내: 유상 수리; 보증기간 이후: 유상 수리",
    )
