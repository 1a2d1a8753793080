"""The pure layout steps on hand-made pages: lines and columns, reading order, paragraphs,
page furniture, TOC entries, headings and their levels, and which metadata titles are kept."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ingest.layout.document import analyse
from ingest.layout.furniture import find_furniture
from ingest.layout.headings import outline_level
from ingest.layout.page import PageLayout, Word
from ingest.layout.reading import Block, group_lines, paragraphs, reading_order
from ingest.layout.toc import is_toc_page, parse_entry, toc_lines
from ingest.loaders.pdf import _usable_title

SIZE = 10.0


def words(text: str, x: float, y: float, size: float = SIZE, bold: bool = False) -> list[Word]:
    """The words of ``text`` set left to right from (x, y), 0.5 em per character."""
    out = []
    for token in text.split():
        width = 0.5 * size * len(token)
        out.append(Word(token, x, y, x + width, y + size, size, bold))
        x += width + 0.3 * size
    return out


def column(lines: list[str], x: float, y: float, pitch: float = 12.0) -> list[Word]:
    return [w for i, text in enumerate(lines) for w in words(text, x, y + i * pitch)]


def page(number: int, ws: list[Word], width: float = 600, height: float = 800) -> PageLayout:
    return PageLayout(number, width, height, tuple(ws))


def texts(doc_lines: list[Block]) -> list[str]:
    return [p for block in doc_lines for p in paragraphs(block)]


def test_two_columns_with_a_narrow_gutter_are_read_one_after_the_other() -> None:
    # A 12-point gutter (1.2 em) is narrower than LINE_SPLIT_EM but lines up down the page.
    left = [f"left line {i} of the first column" for i in range(6)]
    right = [f"right line {i} of the other column" for i in range(6)]
    ws = column(left, 50, 100) + column(right, 50 + 0.5 * SIZE * 33 + 12, 100)
    lines = group_lines(ws)
    assert all(not ln.text.startswith("left") or "right" not in ln.text for ln in lines)
    order = [ln.text for block in reading_order(lines) for ln in block.lines]
    assert order == left + right


def test_a_heading_across_both_columns_comes_first() -> None:
    head = words("Chapter one across the page", 50, 60, size=16, bold=True)
    ws = head + column(["alpha text here"] * 4, 50, 100) + column(["omega text here"] * 4, 320, 100)
    order = [ln.text for block in reading_order(group_lines(ws)) for ln in block.lines]
    assert order[0] == "Chapter one across the page"
    assert order[1:5] == ["alpha text here"] * 4
    assert order[5:] == ["omega text here"] * 4


def test_wrapped_lines_join_but_list_items_and_short_lines_do_not() -> None:
    full = "a line of prose that runs to the right edge of the column"
    lines = group_lines(
        column(
            [full, "and goes on here.", "- a list item", "1. a numbered item", full, "end",
             "2.RSAES an item, its number set close, to the right edge",
             "3.ECDSA the next one"], 50, 100
        )
    )
    block = Block(tuple(lines))
    assert paragraphs(block) == [
        f"{full} and goes on here.",
        "- a list item",
        "1. a numbered item",
        f"{full} end",
        "2.RSAES an item, its number set close, to the right edge",
        "3.ECDSA the next one",
    ]


def test_furniture_repeats_with_varying_digits_and_lone_page_numbers() -> None:
    pages = []
    for n in range(1, 5):
        ws = (
            words(f"Part1: Implementation guide {n}", 50, 20, size=8)
            + column([f"Body text of page {n} that is different on each page."], 50, 200)
            + words(str(n + 6), 300, 770, size=8)
        )
        pages.append(group_lines(ws))
    found = find_furniture(pages, [800] * 4, [600] * 4, body=SIZE)
    for lines, drop in zip(pages, found, strict=True):
        kept = [ln.text for i, ln in enumerate(lines) if i not in drop]
        assert len(kept) == 1 and kept[0].startswith("Body text of page")


def test_a_printers_slug_is_furniture_on_a_single_page() -> None:
    lines = group_lines(
        column(["A note about the product and its warranty terms for the buyer."], 50, 200)
        + words("QG_VS9500_manual.indd 1", 50, 700, size=6)
        + words("2023-04-12 오후 3:34:24", 400, 700, size=6)
    )
    (drop,) = find_furniture([lines], [800], [600], body=SIZE)
    assert [ln.text for i, ln in enumerate(lines) if i not in drop] == [
        "A note about the product and its warranty terms for the buyer."
    ]


def test_a_large_repeated_section_title_is_not_furniture() -> None:
    pages = [
        group_lines(words("4.1 Authorised roles", 50, 30, size=16) + column(["body"] * 3, 50, 200))
        for _ in range(4)
    ]
    found = find_furniture(pages, [800] * 4, [600] * 4, body=SIZE)
    assert all(0 not in drop for drop in found)


def test_toc_entries_and_dot_leaders() -> None:
    assert parse_entry("1. 개요················6", 120) == ("1. 개요", 6)
    assert parse_entry("12-2-16 Horse-collar tackle …… 15", 120) == (
        "12-2-16 Horse-collar tackle",
        15,
    )
    assert parse_entry("2.4 프로세서 가속 기능(PAA/PAI) 13", 105) == (
        "2.4 프로세서 가속 기능(PAA/PAI)",
        13,
    )
    assert parse_entry("5. 매출채권 4, 5, 7, 28 35,721,563 40,713,415", 2) is None
    toc = [
        "Contents",
        "1. Overview ..... 2",
        "2. Budget ..... 3",
        "3. Partners ..... 5",
        "4. Results ..... 9",
    ]
    assert is_toc_page(toc, 20)
    assert toc_lines(toc, 20)[1:3] == ["1. Overview (p. 2)", "2. Budget (p. 3)"]
    # Two TOC columns read as one row come apart again.
    assert toc_lines(["1. 개요 104 1. 개요 112"], 120) == ["1. 개요 (p. 104)", "1. 개요 (p. 112)"]


def test_financial_rows_and_numbered_prose_are_not_a_toc() -> None:
    rows = [
        "1. 현금및현금성자산 4, 28 49,680,710 39,031,415",
        "2. 단기금융상품 4, 28 65,102,886 81,708,986",
        "3. 단기상각후원가금융자산 4, 28 414,610 3,369,034",
        "4. 매출채권 4, 5, 7, 28 35,721,563 40,713,415",
    ]
    assert not is_toc_page(rows, 2)
    prose = [
        "The plan was adopted in 2021 and revised in 2023.",
        "It funds three programmes with 450 million in total.",
        "Each programme reports every spring.",
        "The council reviews the results.",
    ]
    assert not is_toc_page(prose, 20)


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("Ⅰ. 추진 배경", 0),
        ("제1장 총칙", 1),
        ("1. 개요", 2),
        ("1.1 암호모듈 경계", 3),
        ("가. 구성", 4),
        ("제3조(정의)", 4),
        ("(1) 범위", 5),
        ("① 첫째", 6),
        ("□ 추진 과제", 7),
        ("○ 세부 내용", 8),
        ("본문 문장이다.", None),
    ],
)
def test_outline_levels(text: str, level: int | None) -> None:
    assert outline_level(text) == level


def test_headings_by_size_give_paths_and_sections_never_cross_pages() -> None:
    body = [f"body sentence number {i} of this page is here." for i in range(12)]
    p1 = (
        words("1. Budget", 50, 60, size=16, bold=True)
        + column(body, 50, 90)
        + words("1.1 Sources", 50, 260, size=13, bold=True)
        + column(body, 50, 285)
    )
    p2 = (
        column(body, 50, 90)
        + words("2. Partners", 50, 260, size=16, bold=True)
        + column(body, 50, 285)
    )
    analysis = analyse([page(1, p1), page(2, p2)])
    paths = [(s.page, s.heading_path) for s in analysis.segments if s.lines]
    assert paths == [
        (1, ("1. Budget",)),
        (1, ("1. Budget", "1.1 Sources")),
        (2, ("1. Budget", "1.1 Sources")),
        (2, ("2. Partners",)),
    ]


def test_glossary_pairs_become_term_definition_lines() -> None:
    ws: list[Word] = []
    y = 60.0
    for term in ("Alpha term", "Beta term", "Gamma term"):
        ws += words(term, 50, y, bold=True)
        ws += words(f"the definition of the {term.lower()} in plain words.", 50, y + 13)
        y += 40
    lines = [line for s in analyse([page(1, ws)]).segments for line in s.lines]
    assert lines == [
        "Alpha term: the definition of the alpha term in plain words.",
        "Beta term: the definition of the beta term in plain words.",
        "Gamma term: the definition of the gamma term in plain words.",
    ]


@pytest.mark.parametrize(
    "title",
    [
        "about:blank",
        "슬라이드 1",
        "12",
        "RULE",
        "Microsoft Word - plan.docx",
        "삼성_202212_vF.dsd",
        "ì‡¼ì—±ì€—",
    ],
)
def test_meaningless_metadata_titles_are_dropped(title: str) -> None:
    assert _usable_title(title) is None


def test_meaningful_metadata_title_is_kept() -> None:
    assert _usable_title("Battery Plan 2024") == "Battery Plan 2024"
    assert _usable_title("경기도 이차전지산업 육성계획") == "경기도 이차전지산업 육성계획"


def test_two_column_glossary_rows_keep_each_definition_with_its_term() -> None:
    ws: list[Word] = []
    y = 60.0
    for term in ("Alpha", "Beta", "Gamma"):
        ws += words(term, 50, y, bold=True)
        ws += words(f"what {term.lower()} means, said in a few plain words.", 200, y)
        y += 20
    lines = [line for s in analyse([page(1, ws)]).segments for line in s.lines]
    assert lines == [
        "Alpha: what alpha means, said in a few plain words.",
        "Beta: what beta means, said in a few plain words.",
        "Gamma: what gamma means, said in a few plain words.",
    ]


def test_bold_box_item_is_a_heading_and_regular_circle_items_are_its_list() -> None:
    body = [f"본문 문장 {i}번은 여기에서 이 쪽의 내용을 설명하고 있다." for i in range(12)]
    ws = (
        words("□ 추진 배경", 50, 60, bold=True)
        + words("○ 세부 내용은 다음과 같이 정리하여 여기에 적는다", 50, 80)
        + column(body, 50, 100)
    )
    segments = [s for s in analyse([page(1, ws)]).segments if s.lines]
    assert [(s.heading_path, s.lines[:2]) for s in segments] == [
        (("□ 추진 배경",), ["□ 추진 배경", "○ 세부 내용은 다음과 같이 정리하여 여기에 적는다"])
    ]


def test_headings_side_by_side_each_head_their_own_column() -> None:
    # The vacuum guide's spread: a note across both columns runs into a row of two headings
    # ("무상서비스" | "유상서비스"), each over its own column. Each column is read after its own
    # heading, and the right-hand one is a heading too though it starts off the left edge.
    title = words("Warranty card", 50, 20, size=20)
    note = column(
        [f"note line {i} across the whole width of the page here" for i in range(3)], 50, 60
    )
    left_head = words("Free service", 50, 97, size=13)
    right_head = words("Paid service", 320, 97, size=13)
    left = column([f"free item {i} is covered in full by the warranty" for i in range(8)], 50, 114)
    right = column([f"paid item {i} is charged to the customer always" for i in range(8)], 320, 114)
    analysis = analyse([page(1, title + note + left_head + right_head + left + right)])
    paths = {s.lines[-1][:9]: s.heading_path for s in analysis.segments if s.lines}
    assert paths["free item"] == ("Free service",)
    assert paths["paid item"] == ("Paid service",)
    blocks = reading_order(group_lines(note + left_head + right_head + left + right))
    order = [line.text for block in blocks for line in block.lines]
    assert (
        order.index("Paid service")
        == order.index("free item 7 is covered in full by the warranty") + 1
    )


def test_a_table_split_over_a_page_break_carries_its_caption_on_both_parts(
    pdf_page: Callable[[str, int], PageLayout],
) -> None:
    # The submission guide's state table: rows 1-3 end page 93, rows 4-8 open page 94 under the
    # same header, and its title "[암호모듈 상태 설명]" is under the second part only.
    name = "kcmvp-submission-writing-guide-2022.ko.pdf"
    # Pages around them, so the running header and the side tab are seen as page furniture.
    analysis = analyse([pdf_page(name, n) for n in range(89, 97)])
    tables = [s for s in analysis.segments if s.table and s.lines]
    (first,) = [s for s in tables if s.lines[0].startswith("1 — 상태: 전원 꺼짐")]
    (second,) = [s for s in tables if s.lines[0].startswith("4 — 상태: 동작 전 자가시험")]
    assert (first.page, second.page) == (93, 94)
    assert first.context == second.context == "[암호모듈 상태 설명]\n번호 | 상태 | 입력"
    # The transition table that follows on page 94 goes on to page 95: its title is not the
    # state table's.
    transition = [s.context for s in tables if "현재 상태" in s.context]
    assert transition == ["[상태천이표]\n번호 | 현재 상태 | 입력 | 출력 | 다음 상태"] * 2


def test_text_under_the_contents_on_a_toc_page_is_indexed_text(
    pdf_page: Callable[[str, int], PageLayout],
) -> None:
    # The submission guide's page 2: the contents, then the revision history under them.
    name = "kcmvp-submission-writing-guide-2022.ko.pdf"
    analysis = analyse([pdf_page(name, n) for n in range(1, 6)])
    assert 2 in analysis.toc_pages
    toc = [s for s in analysis.segments if s.toc and s.page == 2]
    rest = [s for s in analysis.segments if not s.toc and s.page == 2]
    assert len(toc) == 1 and any("1. 개요 (p. 6)" in line for line in toc[0].lines)
    assert not any("제·개정" in line for line in toc[0].lines)
    (history,) = rest
    assert history.heading_path[-1] == "제·개정 이력"
    assert "2022. 8. “암호모듈 제출물 작성 안내서“ 발간" in history.lines
