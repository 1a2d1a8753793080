"""find_tables / render_table on the shared real PDFs (skipped where ../shared is absent).

The expected cells were read off the rendered page images (``pdftoppm -r 70``), not off our output.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from evaluation.cells import Passage, cell_score, load_table_truth
from ingest.layout.page import PageLayout
from ingest.layout.tables import Table, find_tables, render_table
from ingest.loaders.pdf import PdfLoader

PageOf = Callable[[str, int], PageLayout]
REPO = Path(__file__).resolve().parents[3]
FINANCIAL = "samsung-consolidated-financial-statements-2022.ko.pdf"
VACUUM = "samsung-vacuum-quick-guide.ko.pdf"
GUIDE_PART1 = "kcmvp-implementation-guide-part1-2025.ko.pdf"
SUBMISSION = "kcmvp-submission-writing-guide-2022.ko.pdf"

# Pages of running text (some with bullet lists, boxed headings or figures, no table), picked by
# looking at them.
PROSE_PAGES = {
    GUIDE_PART1: (19, 31, 43, 63, 67, 87),
    SUBMISSION: (7, 18, 28, 46, 51, 73, 90),
}


def only_table(tables: list[Table], header_has: str) -> Table:
    matching = [t for t in tables if header_has in render_table(t).context]
    assert len(matching) == 1, [render_table(t).context for t in tables]
    return matching[0]


def lines_of(table: Table) -> list[str]:
    return list(render_table(table).lines)


def test_financial_statement_line_items_with_their_year_columns(pdf_page: PageOf) -> None:
    tables = find_tables(pdf_page(FINANCIAL, 1))
    table = only_table(tables, "제 54 (당) 기")
    context = render_table(table).context
    assert context == "과목 | 주석 | 제 54 (당) 기 | 제 53 (전) 기"
    lines = lines_of(table)
    assert "자산" in lines  # the section row
    assert (
        "자산 > 1. 현금및현금성자산 — 주석: 4, 28; 제 54 (당) 기: 49,680,710; 제 53 (전) 기: 39,031,415"
        in lines
    )
    assert (
        "자산 > 8. 재고자산 — 주석: 8; 제 54 (당) 기: 52,187,866; 제 53 (전) 기: 41,384,404"
        in lines
    )
    assert "자산 > 자산총계 — 제 54 (당) 기: 448,424,507; 제 53 (전) 기: 426,621,158" in lines
    # The letter-spaced title block above the table is not part of it.
    assert table.bbox[1] > 160 and not any("연결재무상태표" in c.text for c in table.cells)
    # Page 2 continues the statement with the same columns.
    (second,) = find_tables(pdf_page(FINANCIAL, 2))
    assert "부채총계 — 제 54 (당) 기: 93,674,903; 제 53 (전) 기: 121,721,227" in lines_of(second)


def test_statement_rows_on_page_two_stay_under_their_group(realdoc: Callable[[str], Path]) -> None:
    # The liabilities go on over the page break: their rows there still say "부채".
    text = PdfLoader().load(realdoc(FINANCIAL)).text
    assert "부채 > 2. 장기차입금 — 주석: 4, 12, 28; 제 54 (당) 기: 3,560,672" in text
    assert "부채 > 부채총계 — 제 54 (당) 기: 93,674,903; 제 53 (전) 기: 121,721,227" in text
    assert "자본 > Ⅰ. 자본금 — 주석: 18" in text


def test_vacuum_warranty_tables_ruled_by_horizontal_lines(pdf_page: PageOf) -> None:
    tables = find_tables(pdf_page(VACUUM, 1))
    header = "소비자 피해유형 | 제품 보증기간 이내 | 제품 보증기간 이후"
    first, second = (t for t in tables if header in render_table(t).context)
    assert first.source == "rows" and first.n_cols == 3
    assert (
        "ꞏ 동일 하자로 2회까지 고장 발생시 — 제품 보증기간 이내: 무상수리; 제품 보증기간 이후: 유상수리"
        in lines_of(first)
    )
    assert (
        "ꞏ 교환 불가능시 — 제품 보증기간 이내: 구입가 환급; 제품 보증기간 이후: 해당없음"
        in lines_of(first)
    )
    assert second.caption == "2. 소비자의 고의, 과실로 인한 고장인 경우"
    assert any(
        "유상수리에 해당하는 금액징수 후 제품교환 또는 구입가 환급" in line
        for line in lines_of(second)
    )
    # The warranty periods box: labels down its first column.
    (periods,) = (t for t in tables if any("배터리 보증기간" in c.text for c in t.cells))
    assert periods.header_rows == 0 and "배터리 보증기간: 2 년" in lines_of(periods)


def test_implementation_guide_ruled_tables(pdf_page: PageOf) -> None:
    info, kinds = find_tables(pdf_page(GUIDE_PART1, 14))
    # The box every item opens with: labels down the first column.
    assert info.header_rows == 0
    # One field a line, so the creation or the revision date can be quoted alone.
    assert "최초 작성일: 2022년 5월 17일" in lines_of(info)
    assert "최종 수정일: 2022년 5월 17일" in lines_of(info)
    assert render_table(kinds).context == "구분 | 내용"
    assert [line.split(" — ")[0] for line in lines_of(kinds)] == [
        "보안기능 변경 재검증",
        "비보안기능 변경 재검증",
        "검증 유효기간 만료 재검증",
        "취약점 보완 재검증",
    ]
    (history,) = find_tables(pdf_page(GUIDE_PART1, 7))
    assert lines_of(history)[0] == "2022. 5. 17. — 주요 변경 내용: 최초 작성"


def test_submission_guide_ruled_table_with_merged_rows(pdf_page: PageOf) -> None:
    tables = find_tables(pdf_page(SUBMISSION, 21))
    api = only_table(tables, "API 명칭")
    assert render_table(api).context == "서비스 분류 | API 명칭 | 동작 내용 | 입력 | 출력"
    lines = lines_of(api)
    assert (
        "버전확인 > KISA_Crypto_getVersion() — 동작 내용: 암호모듈 이름 및 버전 확인; "
        "입력: -; 출력: 암호모듈 버전값" in lines
    )
    # 블록암호 spans two rows: both carry it, each with its own API names as the row's key.
    assert [line.split(" — ")[0] for line in lines if line.startswith("블록암호")] == [
        "블록암호 > KISA_Crypto_encryptInit(); KISA_Crypto_encryptUpdate(); "
        "KISA_Crypto_encryptFinal(); KISA_Crypto_encrypt();",
        "블록암호 > KISA_Crypto_decryptInit(); KISA_Crypto_decryptUpdate(); "
        "KISA_Crypto_decryptFinal(); KISA_Crypto_decrypt();",
    ]
    spec = find_tables(pdf_page(SUBMISSION, 9))[0]
    assert lines_of(spec)[0] == "항목: AS02.07"
    # The diagram below the component table on page 9 is no table.
    assert [t.n_cols for t in find_tables(pdf_page(SUBMISSION, 9))] == [2, 4]


@pytest.mark.parametrize(
    ("name", "number"), [(name, n) for name, pages in PROSE_PAGES.items() for n in pages]
)
def test_no_table_on_prose_pages(pdf_page: PageOf, name: str, number: int) -> None:
    assert find_tables(pdf_page(name, number)) == []


def test_no_table_in_the_table_of_contents(pdf_page: PageOf) -> None:
    for number in (3, 4, 5):
        assert find_tables(pdf_page(GUIDE_PART1, number)) == []


@pytest.mark.slow
def test_tables_per_page_and_time_per_page(
    pdf_page: PageOf, pdf_page_count: Callable[[str], int]
) -> None:
    """Every page of the four PDFs: tables found and CPU time per page (the loader's whole
    budget is 0.1 s a page)."""
    total_pages = 0
    cpu = 0.0
    found: dict[str, int] = {}
    for name in (GUIDE_PART1, SUBMISSION, FINANCIAL, VACUUM):
        for number in range(1, pdf_page_count(name) + 1):
            layout = pdf_page(name, number)
            start = time.process_time()
            tables = find_tables(layout)
            for table in tables:
                render_table(table)
            cpu += time.process_time() - start
            found[name] = found.get(name, 0) + len(tables)
            total_pages += 1
    per_page_ms = 1000 * cpu / total_pages
    print(f"tables found: {found}; {per_page_ms:.1f} ms CPU per page over {total_pages} pages")
    assert per_page_ms < 20
    assert found[FINANCIAL] == 2 and found[VACUUM] >= 4
    assert 50 <= found[GUIDE_PART1] <= 90 and 120 <= found[SUBMISSION] <= 220


def test_cell_metric_on_the_transcribed_tables(pdf_page: PageOf) -> None:
    """data/eval/realdocs-tables.jsonl (the tuning part): each rendered row with its table's
    context as one passage keeps every cell's row label, column label and value together."""
    truth = [
        t
        for t in load_table_truth(REPO / "data" / "eval" / "realdocs-tables.jsonl")
        if not t.held_out
    ]
    assert len(truth) >= 10
    passages = []
    for document, number in sorted({(t.document, t.page or 0) for t in truth}):
        for table in find_tables(pdf_page(document, number)):
            rendered = render_table(table)
            passages += [
                Passage(document, number, f"{rendered.context}\n{line}") for line in rendered.lines
            ]
    score = cell_score(truth, passages, same_page=True)
    assert score.share >= 0.95, score.missing[:10]


def test_text_above_a_banded_tables_first_row_stays_out_of_its_box(pdf_page: PageOf) -> None:
    # The free-service column's note and numbered heading sit between the first rule and the
    # table's header row: the table's box starts below them, so the prose keeps them.
    page = pdf_page(VACUUM, 1)
    table = next(t for t in find_tables(page) if "소비자 피해유형" in render_table(t).context)
    note = [w for w in page.words if w.text in ("영업용도로", "단축적용됩니다.", "성능,")]
    assert len(note) == 3
    assert all(w.cy < table.bbox[1] for w in note)


def test_every_word_in_a_tables_box_is_in_one_of_its_cells(pdf_page: PageOf) -> None:
    for name, number in ((VACUUM, 1), (SUBMISSION, 19), (SUBMISSION, 13), (FINANCIAL, 1)):
        page = pdf_page(name, number)
        for table in find_tables(page):
            cells = " ".join(c.text for c in table.cells) + " " + table.caption
            x0, y0, x1, y1 = table.bbox
            inside = [w.text for w in page.words if x0 <= w.cx <= x1 and y0 <= w.cy <= y1]
            assert [t for t in inside if t not in cells] == [], (name, number)


def test_a_row_label_merged_down_the_body_is_no_second_header_row(pdf_page: PageOf) -> None:
    # 구분 | 구성요소 (over two columns) | 비고, then 하드웨어 merged down eight rows: one header
    # row, and the two columns under 구성요소 read as one value with its levels.
    first, second = find_tables(pdf_page(SUBMISSION, 13))
    assert first.header_rows == 1
    assert render_table(first).context == "[암호모듈의 운영환경]\n구분 | 구성요소 | 비고"
    lines = lines_of(first)
    assert "하드웨어 — 구성요소: 저장장치 > Main Memory" in lines
    assert "소프트웨어 — 구성요소: 운영체제 > Windows 10 (64-bit); 비고: KISACrypto64.dll" in lines
    # The title under the first table is not the second one's too.
    assert second.caption == ""


def test_a_long_label_merged_down_every_row_is_said_once(pdf_page: PageOf) -> None:
    # The test-vector tables: the API names fill one cell beside every row; each row is named
    # by its own label, the API names go to the context.
    table = find_tables(pdf_page(SUBMISSION, 114))[0]
    rendered = render_table(table)
    assert rendered.context.startswith("테스트를 위한 API명: KISA_Crypto_encryptInit()")
    assert "비밀키 (128비트) — 값: F51F7233331B99AD36006711E3A99836" in rendered.lines
    assert not any("KISA_Crypto" in line for line in rendered.lines)


def test_a_bar_across_a_key_value_box_does_not_make_its_first_row_a_header(
    pdf_page: PageOf,
) -> None:
    # 항목 | AS04.13 over 보안요구사항 개요 and VE04.13.01, then a "작성 예시" bar across the box.
    box = find_tables(pdf_page(SUBMISSION, 33))[0]
    assert box.header_rows == 0
    assert lines_of(box)[:3] == [
        "항목: AS04.13",
        "보안요구사항 개요: 버전 출력 서비스 명세",
        "VE04.13.01: 암호모듈 명칭과 버전 정보를 출력하는 서비스 명세",
    ]
