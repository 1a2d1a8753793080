"""find_tables / render_table on synthetic pages: drawn grids with merged cells, tables ruled by
horizontal lines only, aligned number columns; never justified prose, a framed note or a TOC."""

from __future__ import annotations

import time
from collections.abc import Sequence

from ingest.layout.page import PageLayout, Rule, Word
from ingest.layout.tables import Cell, Table, find_tables, render_table

SIZE = 10.0
CHAR = 6.0  # points per character of the synthetic font
SPACE = 3.0


def words_at(x: float, y: float, text: str, bold: bool = False) -> list[Word]:
    """``text`` set from (x, y) on: one Word per space-separated token."""
    out = []
    for token in text.split():
        width = CHAR * len(token)
        out.append(Word(token, x, y, x + width, y + SIZE, SIZE, bold))
        x += width + SPACE
    return out


def grid_rules(xs: Sequence[float], ys: Sequence[float], skip: Sequence[Rule] = ()) -> list[Rule]:
    """Every cell border of the grid drawn as its own segment, minus ``skip``."""
    rules = []
    for i in range(len(ys)):
        for j in range(len(xs) - 1):
            rules.append(Rule(xs[j], ys[i], xs[j + 1], ys[i]))
    for j in range(len(xs)):
        for i in range(len(ys) - 1):
            rules.append(Rule(xs[j], ys[i], xs[j], ys[i + 1]))
    return [r for r in rules if r not in skip]


def page(words: Sequence[Word], rules: Sequence[Rule] = ()) -> PageLayout:
    return PageLayout(1, 595.0, 842.0, tuple(words), tuple(rules))


def cell_texts(table: object) -> dict[tuple[int, int], str]:
    return {(c.row, c.col): c.text for c in table.cells}  # type: ignore[attr-defined]


def test_grid_with_two_level_header_and_merged_cells() -> None:
    # 구분 spans the two header rows; 2022년 spans 금액 | 비율; 2023년 likewise.
    xs = [50, 150, 230, 310, 390, 470]
    ys = [100, 120, 140, 160, 180]
    skip = [
        Rule(50, 120, 150, 120),  # no rule under 구분: it spans both header rows
        Rule(230, 100, 230, 120),  # no rule between the two halves of 2022년
        Rule(390, 100, 390, 120),
    ]
    words = (
        words_at(55, 105, "구분", True)
        + words_at(160, 105, "2022년", True)
        + words_at(320, 105, "2023년", True)
        + words_at(160, 125, "금액", True)
        + words_at(240, 125, "비율", True)
        + words_at(320, 125, "금액", True)
        + words_at(400, 125, "비율", True)
        + words_at(55, 145, "매출")
        + words_at(160, 145, "1,200")
        + words_at(240, 145, "60%")
        + words_at(320, 145, "1,500")
        + words_at(400, 145, "62%")
        + words_at(55, 165, "영업이익")
        + words_at(160, 165, "300")
        + words_at(240, 165, "15%")
        + words_at(320, 165, "450")
        + words_at(400, 165, "19%")
        + words_at(60, 300, "표 아래의 본문 문장은 표에 들지 않는다.")
    )
    (table,) = find_tables(page(words, grid_rules(xs, ys, skip)))
    assert (table.n_rows, table.n_cols, table.header_rows) == (4, 5, 2)
    assert table.bbox == (50, 100, 470, 180)
    by_pos = {(c.row, c.col): c for c in table.cells}
    assert by_pos[0, 0].rowspan == 2 and by_pos[0, 1].colspan == 2
    assert by_pos[3, 4].text == "19%"
    rendered = render_table(table)
    assert (
        rendered.context == "구분 | 2022년 > 금액 | 2022년 > 비율 | 2023년 > 금액 | 2023년 > 비율"
    )
    assert rendered.lines == (
        "매출 — 2022년 > 금액: 1,200; 2022년 > 비율: 60%; 2023년 > 금액: 1,500; 2023년 > 비율: 62%",
        "영업이익 — 2022년 > 금액: 300; 2022년 > 비율: 15%; 2023년 > 금액: 450; 2023년 > 비율: 19%",
    )


def test_merged_body_cells_are_carried_into_every_row_and_section_rows_label_the_rows_below() -> (
    None
):
    xs = [50, 150, 250, 350]
    ys = [100, 120, 140, 160, 180, 200]
    skip = [
        Rule(150, 140, 150, 160),  # row 2 is one cell across the table: a section label
        Rule(250, 140, 250, 160),
        Rule(250, 180, 350, 180),  # 해당없음 spans rows 3 and 4 of the last column
    ]
    words = (
        words_at(55, 105, "구분", True)
        + words_at(160, 105, "보증기간 내", True)
        + words_at(260, 105, "보증기간 후", True)
        + words_at(55, 125, "분실")
        + words_at(160, 125, "제품교환")
        + words_at(260, 125, "유상수리")
        + words_at(120, 145, "소비자 과실")
        + words_at(55, 165, "파손")
        + words_at(160, 165, "유상수리")
        + words_at(260, 175, "해당없음")
        + words_at(55, 185, "침수")
        + words_at(160, 185, "유상수리")
    )
    (table,) = find_tables(page(words, grid_rules(xs, ys, skip)))
    rendered = render_table(table)
    assert rendered.context == "구분 | 보증기간 내 | 보증기간 후"
    assert rendered.lines == (
        "분실 — 보증기간 내: 제품교환; 보증기간 후: 유상수리",
        "소비자 과실",
        "소비자 과실 > 파손 — 보증기간 내: 유상수리; 보증기간 후: 해당없음",
        "소비자 과실 > 침수 — 보증기간 내: 유상수리; 보증기간 후: 해당없음",
    )


def test_columns_aligned_without_rules_make_a_table() -> None:
    rows = [
        ("과목", "2022", "2021"),
        ("현금및현금성자산", "49,680,710", "39,031,415"),
        ("단기금융상품", "65,102,886", "81,708,986"),
        ("매출채권", "35,721,563", "40,713,415"),
        ("재고자산", "52,187,866", "41,384,404"),
    ]
    words = words_at(50, 60, "연결재무상태표의 주요 항목은 다음과 같다.")
    for i, (label, a, b) in enumerate(rows):
        y = 100 + 16 * i
        # Numbers right-aligned at x = 330 and x = 450.
        words += words_at(50, y, label, i == 0)
        words += words_at(330 - CHAR * len(a), y, a, i == 0)
        words += words_at(450 - CHAR * len(b), y, b, i == 0)
    (table,) = find_tables(page(words))
    assert table.source == "alignment"
    assert (table.n_rows, table.n_cols, table.header_rows) == (5, 3, 1)
    assert render_table(table).lines[0] == "현금및현금성자산 — 2022: 49,680,710; 2021: 39,031,415"
    assert not any("연결재무상태표" in c.text for c in table.cells)  # the lead-in line stays prose


def test_a_part_continued_from_the_page_before_goes_on_under_its_group_row() -> None:
    # Rows of a table's second part (next page) sit under the group row the first part ended
    # in ("부채"), until a group row of their own ("자본").
    header = [Cell(0, 0, "과목"), Cell(0, 1, "2022")]
    first = Table(
        (0, 0, 100, 100),
        (*header, Cell(1, 0, "부채", colspan=2), Cell(2, 0, "매입채무"), Cell(2, 1, "10")),
        3,
        2,
    )
    second = Table(
        (0, 0, 100, 100),
        (*header, Cell(1, 0, "사채"), Cell(1, 1, "5"), Cell(2, 0, "자본", colspan=2),
         Cell(3, 0, "자본금"), Cell(3, 1, "8")),
        4,
        2,
    )
    before = render_table(first)
    assert before.section == "부채" and "부채 > 매입채무 — 2022: 10" in before.lines
    after = render_table(second, before.section)
    assert after.lines == ("부채 > 사채 — 2022: 5", "자본", "자본 > 자본금 — 2022: 8")
    assert render_table(second).lines[0] == "사채 — 2022: 5"


def test_horizontal_rules_only_table_with_multi_line_cells() -> None:
    rules = [Rule(50, y, 400, y) for y in (100, 118, 150, 168, 186)]
    words = (
        words_at(55, 104, "소비자 피해유형", True)
        + words_at(210, 104, "보증기간 이내", True)
        + words_at(310, 104, "보증기간 이후", True)
        + words_at(55, 122, "구입 후 10일 이내")
        + words_at(55, 136, "중요한 수리를 요할 때")
        + words_at(210, 122, "제품교환")
        + words_at(310, 122, "해당없음")
        + words_at(55, 154, "교환 불가능시")
        + words_at(210, 154, "구입가 환급")
        + words_at(310, 154, "해당없음")
        + words_at(55, 172, "동일 하자로 2회")
        + words_at(210, 172, "무상수리")
        + words_at(310, 172, "유상수리")
    )
    (table,) = find_tables(page(words, rules))
    assert table.source == "rows" and (table.n_rows, table.n_cols) == (4, 3)
    assert render_table(table).lines[0] == (
        "구입 후 10일 이내 중요한 수리를 요할 때 — 보증기간 이내: 제품교환; 보증기간 이후: 해당없음"
    )


def justified_paragraph(top: float, n_lines: int, spread: float) -> list[Word]:
    """Lines of 1-6 syllable words spread over the full text width (gaps up to ``spread``)."""
    tokens = [
        "정부는",
        "올해",
        "암호모듈",
        "검증",
        "제도를",
        "개편하고",
        "시험",
        "기관의",
        "역할을",
    ]
    words: list[Word] = []
    for i in range(n_lines):
        y = top + 16 * i
        line = [tokens[(i * 3 + k) % len(tokens)] for k in range(9)]
        natural = sum(CHAR * len(t) for t in line)
        gap = min((500 - natural) / (len(line) - 1), spread)
        x = 50.0
        for token in line:
            words.append(Word(token, x, y, x + CHAR * len(token), y + SIZE, SIZE))
            x += CHAR * len(token) + gap
    return words


def test_justified_prose_is_no_table() -> None:
    # Word gaps up to 0.9 of the line height, the widest the shared guides' prose shows.
    prose = justified_paragraph(100, 8, 9.0)
    assert find_tables(page(prose)) == []
    # Nor between horizontal rules (every second line ruled, as on lined forms).
    rules = [Rule(40, 98 + 32 * i, 560, 98 + 32 * i) for i in range(5)]
    assert find_tables(page(prose, rules)) == []
    # Nor when a sparse line spreads its words wider than a column gap: all its gaps are equal.
    assert find_tables(page(justified_paragraph(100, 8, 20.0))) == []


def test_a_framed_note_is_no_table() -> None:
    box = [
        Rule(40, 90, 560, 90),
        Rule(40, 200, 560, 200),
        Rule(40, 90, 40, 200),
        Rule(560, 90, 560, 200),
    ]
    words = words_at(50, 100, "※ 참고") + justified_paragraph(120, 4, 8.0)
    assert find_tables(page(words, box)) == []


def test_a_table_of_contents_is_no_table() -> None:
    words: list[Word] = []
    for i, (entry, number) in enumerate(
        [
            ("1.1 암호모듈 재검증 시험 종류 및 방법", "2"),
            ("1.2 미적용 가능 보안요구사항", "3"),
            ("1.3 에뮬레이터를 활용한 시험방법", "4"),
            ("2.1 암호모듈 경계", "6"),
        ]
    ):
        words += words_at(50, 100 + 16 * i, entry) + words_at(520, 100 + 16 * i, number)
    assert find_tables(page(words)) == []


def test_caption_above_a_table_goes_into_its_context() -> None:
    xs = [50, 200, 350]
    ys = [100, 120, 140, 160]
    words = (
        words_at(50, 84, "<표 3> 월별 경기 개시 시간")
        + words_at(55, 105, "구분", True)
        + words_at(205, 105, "토요일", True)
        + words_at(55, 125, "3월")
        + words_at(205, 125, "17:00")
        + words_at(55, 145, "7월")
        + words_at(205, 145, "18:00")
    )
    (table,) = find_tables(page(words, grid_rules(xs, ys)))
    rendered = render_table(table)
    assert rendered.context == "<표 3> 월별 경기 개시 시간\n구분 | 토요일"
    assert rendered.lines == ("3월 — 토요일: 17:00", "7월 — 토요일: 18:00")


def test_numbers_scattered_in_a_diagram_are_no_table() -> None:
    # State boxes of a diagram: a name and a state number per line, the numbers strewn across a
    # band instead of lined up on an edge as a table column's are.
    words: list[Word] = []
    for i, (name, number, x) in enumerate(
        [
            ("전원 꺼짐", "1", 300),
            ("초기화", "12", 338),
            ("자가시험", "3", 371),
            ("오류", "104", 316),
        ]
    ):
        words += words_at(50, 100 + 16 * i, name) + words_at(x, 100 + 16 * i, number)
    assert find_tables(page(words)) == []
    # The same numbers right-aligned make a column.
    aligned: list[Word] = []
    for i, (name, number) in enumerate(
        [("전원 꺼짐", "1"), ("초기화", "12"), ("자가시험", "3"), ("오류", "104")]
    ):
        aligned += words_at(50, 100 + 16 * i, name) + words_at(
            400 - CHAR * len(number), 100 + 16 * i, number
        )
    assert len(find_tables(page(aligned))) == 1


def test_state_numbers_of_a_diagram_in_lined_up_boxes_are_no_table() -> None:
    # Boxes laid out in a grid, each labelled with a state number: numbers in every column,
    # no row labels down the left (the state diagram of the submission guide, p94).
    words: list[Word] = []
    for i, (left, right) in enumerate([("6", "7"), ("10", "9"), ("8", "12"), ("11", "13")]):
        words += words_at(240, 100 + 16 * i, left) + words_at(330, 100 + 16 * i, right)
    assert find_tables(page(words)) == []


def test_a_page_of_hatching_is_skipped_quickly() -> None:
    # Crossing lines 6 pt apart (hatching, graph paper, or a hostile file): no grid is built.
    # Uncapped, these took 0.15 s and 9 s of CPU.
    words = words_at(50, 100, "1,200 2,400 3,600")
    for n in (150, 1100):  # past the grid-size cap, past the rule-pairs cap
        hatch = [Rule(0, y * 6.0, 6 * n, y * 6.0) for y in range(n)]
        hatch += [Rule(x * 6.0, 0, x * 6.0, 6 * n) for x in range(n)]
        start = time.process_time()
        assert find_tables(page(words, hatch)) == []
        assert time.process_time() - start < 0.1
