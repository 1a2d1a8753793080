"""Fragment sections (captions, lead-ins, labels) join the table or text they belong to."""

from __future__ import annotations

from ingest.sections import (
    captions_into_context,
    join_questions_to_answers,
    lead_ins_into_context,
    merge_fragment_sections,
)
from reportqa.types import Section


def words(text: str) -> int:
    return len(text.split())


def sections_of(text: str, parts: list[tuple[str, dict]]) -> tuple[str, tuple[Section, ...]]:
    out, pos = [], 0
    body = []
    for chunk, kw in parts:
        start = pos
        body.append(chunk)
        pos += len(chunk) + 1
        out.append(Section(start, pos, **kw))
    full = "\n".join(body) + "\n"
    return full, tuple(out)


PROSE = " ".join(["문장"] * 40)


def test_a_lead_in_joins_the_table_after_it_and_a_caption_the_table_before_it() -> None:
    text, secs = sections_of("", [
        ("답변 다음과 같이 구분된다.", {"page": 3, "heading_path": ("1장", "답변")}),
        ("A — 값: 1\nB — 값: 2", {"page": 3, "heading_path": ("1장", "답변"), "table": True, "context": "구분 | 값"}),
        ("[표 1 상태 목록]", {"page": 3, "heading_path": ("1장", "답변")}),
        (PROSE, {"page": 3, "heading_path": ("1장", "답변")}),
    ])
    merged = merge_fragment_sections(secs, text, words, 300)
    assert len(merged) == 2
    table = merged[0]
    assert table.table and table.context == "구분 | 값"
    assert text[table.start : table.end].startswith("답변 다음과")
    assert "[표 1 상태 목록]" in text[table.start : table.end]
    assert not merged[1].table and text[merged[1].start : merged[1].end].startswith("문장")
    # sections stay contiguous
    assert merged[0].end == merged[1].start and merged[-1].end == secs[-1].end


def test_fragments_never_cross_pages_headings_tocs_or_the_size_limit() -> None:
    text, secs = sections_of("", [
        ("라벨", {"page": 1, "heading_path": ("가",)}),
        (PROSE, {"page": 2, "heading_path": ("가",)}),
        ("목차 1", {"page": 2, "heading_path": ("가",), "toc": True}),
        ("짧은 줄", {"page": 2, "heading_path": ("나",)}),
        (PROSE, {"page": 2, "heading_path": ("다",)}),
    ])
    assert merge_fragment_sections(secs, text, words, 300) == secs
    text, secs = sections_of("", [("짧은 줄", {"page": 1}), (PROSE, {"page": 1})])
    assert merge_fragment_sections(secs, text, words, 30) == secs
    assert len(merge_fragment_sections(secs, text, words, 300)) == 1


def test_a_heading_section_joins_the_subsection_under_it() -> None:
    text, secs = sections_of("", [
        ("1.2 미적용 요구사항", {"page": 5, "heading_path": ("1장", "1.2 미적용 요구사항")}),
        (PROSE, {"page": 5, "heading_path": ("1장", "1.2 미적용 요구사항", "질문")}),
    ])
    (one,) = merge_fragment_sections(secs, text, words, 300)
    assert one.heading_path == ("1장", "1.2 미적용 요구사항", "질문")
    assert (one.start, one.end) == (secs[0].start, secs[1].end)


def test_a_lead_in_between_two_tables_goes_with_the_one_it_announces() -> None:
    text, secs = sections_of("", [
        ("A — 값: 1\nB — 값: 2", {"page": 3, "table": True, "context": "구분 | 값"}),
        ("오류 코드는 다음과 같다.", {"page": 3}),
        ("C — 코드: 3\nD — 코드: 4", {"page": 3, "table": True, "context": "구분 | 코드"}),
    ])
    first, second = merge_fragment_sections(secs, text, words, 300)
    assert text[second.start : second.end].startswith("오류 코드는 다음과 같다.")
    assert second.context == "구분 | 코드" and first == secs[0]


def test_a_question_section_joins_its_answer_under_their_common_heading() -> None:
    text, secs = sections_of("", [
        ("질문 이 값은 축약해도 되는가?", {"page": 9, "heading_path": ("C.3 길이", "질문")}),
        ("답변 112비트 이상이면 된다.", {"page": 9, "heading_path": ("C.3 길이", "답변")}),
        ("배경 다른 내용.", {"page": 9, "heading_path": ("C.3 길이", "배경")}),
    ])
    joined, background = join_questions_to_answers(secs, text, words, 300)
    assert joined.heading_path == ("C.3 길이",)
    assert text[joined.start : joined.end].startswith("질문") and "112비트" in text[joined.start : joined.end]
    assert background == secs[2]


def test_a_question_stays_alone_across_pages_tables_sizes_and_unrelated_headings() -> None:
    ask = ("질문 무엇인가?", {"page": 1, "heading_path": ("가", "질문")})
    for answer, limit in [
        (("답변 " + PROSE, {"page": 2, "heading_path": ("가", "답변")}), 300),  # next page
        (("A — 값: 1", {"page": 1, "heading_path": ("가", "답변"), "table": True}), 300),
        (("답변 " + PROSE, {"page": 1, "heading_path": ("나", "답변")}), 300),  # other parent
        (("답변 " + PROSE, {"page": 1, "heading_path": ("가", "답변")}), 20),  # too long
    ]:
        text, secs = sections_of("", [ask, answer])
        assert join_questions_to_answers(secs, text, words, limit) == secs
    # a statement (no question mark) is not joined to the next section
    text, secs = sections_of("", [("배경 설명이다.", {"page": 1, "heading_path": ("가", "배경")}),
                                  ("질문 무엇인가?", {"page": 1, "heading_path": ("가", "질문")})])
    assert join_questions_to_answers(secs, text, words, 300) == secs


def test_a_caption_above_a_table_becomes_context_of_every_row_passage() -> None:
    text, secs = sections_of("", [
        ("재무상태표\n제 54 기 : 2022년 12월 31일 현재", {"page": 1, "heading_path": ("재무상태표",)}),
        ("자산총계 — 제 54 기: 448", {"page": 1, "heading_path": ("재무상태표",), "table": True,
                                     "context": "과목 | 제 54 기"}),
        ("다음 문단.", {"page": 1, "heading_path": ("재무상태표",)}),
    ])
    table, after = captions_into_context(secs, text, words)
    assert table.table and table.start == secs[0].start and table.end == secs[1].end
    assert table.context == "재무상태표\n제 54 기 : 2022년 12월 31일 현재\n과목 | 제 54 기"
    assert after == secs[2]
    # A sentence pointing at what follows is the table's lead-in, joined like a caption.
    text, secs = sections_of("", [
        ("작성 예시\n상태별 처리 방법은 아래의 절차로 정해진다.", {"page": 1, "heading_path": ("가",)}),
        ("A — 값: 1", {"page": 1, "heading_path": ("가",), "table": True, "context": "구분 | 값"}),
    ])
    (joined,) = captions_into_context(secs, text, words)
    assert joined.context == "작성 예시\n상태별 처리 방법은 아래의 절차로 정해진다.\n구분 | 값"


def test_no_caption_joins_a_table_on_another_page_or_when_long_or_a_question() -> None:
    table = ("A — 값: 1", {"page": 2, "heading_path": ("가",), "table": True, "context": "구분 | 값"})
    for before in [
        ("캡션", {"page": 1, "heading_path": ("가",)}),  # previous page
        (PROSE + " " + PROSE, {"page": 2, "heading_path": ("가",)}),  # a paragraph, not a caption
        ("값은 무엇인가?", {"page": 2, "heading_path": ("가",)}),  # a question
        ("줄1\n줄2\n줄3\n줄4\n줄5", {"page": 2, "heading_path": ("가",)}),  # too many lines
        # the end of an explanation box about the item before: a sentence not pointing below
        ("해설\n위의 표와 같이 알고리즘명을 명세해야 한다.", {"page": 2, "heading_path": ("가",)}),
    ]:
        text, secs = sections_of("", [before, table])
        assert captions_into_context(secs, text, words) == secs


def test_a_paragraph_ending_in_a_lead_in_gives_the_table_after_it_that_sentence() -> None:
    # The implementation guide's component table has no header row: its rows say what they
    # are only with the sentence announcing the table ("… 구분은 아래 표와 같다.").
    lead = "관련된 간단한 구분은 아래 표와 같다."
    text, secs = sections_of("", [
        (PROSE + ". " + lead, {"page": 11, "heading_path": ("2.3", "답변")}),
        ("패키징: 핀 개수", {"page": 11, "heading_path": ("2.3", "답변"), "table": True}),
        (PROSE + " 다음과 같다.", {"page": 11, "heading_path": ("2.3", "답변")}),
        ("A — 값: 1", {"page": 12, "heading_path": ("2.3", "답변"), "table": True,
                       "context": "구분 | 값"}),
    ])
    out = lead_ins_into_context(secs, text, words)
    assert out[1].context == lead and (out[1].start, out[1].end) == (secs[1].start, secs[1].end)
    assert out[0] == secs[0]  # the paragraph keeps its sentence
    assert out[3] == secs[3]  # a table on the next page is announced by nothing on this one


def test_no_lead_in_from_a_paragraph_that_does_not_announce_or_is_already_joined() -> None:
    table = ("A — 값: 1", {"page": 2, "heading_path": ("가",), "table": True, "context": "구분 | 값"})
    for before in [
        (PROSE + ". 이 항목은 필수이다.", {"page": 2, "heading_path": ("가",)}),
        ("항목: AS11.05", {"page": 2, "heading_path": ("가",)}),  # a field, not a lead-in
    ]:
        text, secs = sections_of("", [before, table])
        assert lead_ins_into_context(secs, text, words) == secs
    # A table with its own lead-in already joined (captions_into_context) takes no second one
    # from the paragraph before (which announced a figure in between).
    text, secs = sections_of("", [
        (PROSE + ". 다음과 같은 동작구조를 가진다.", {"page": 2, "heading_path": ("가",)}),
        ("제약은 다음과 같다.", {"page": 2, "heading_path": ("가",)}),
        table,
    ])
    joined = captions_into_context(secs, text, words)
    assert joined[1].context == "제약은 다음과 같다.\n구분 | 값"
    assert lead_ins_into_context(joined, text, words) == joined


def test_a_lead_in_also_announces_the_tables_part_on_the_next_page() -> None:
    lead = "암호모듈의 동작은 다음의 상태천이표를 통해 설명될 수 있다."
    part = {"heading_path": ("라.",), "table": True, "context": "[상태천이표]\n번호 | 상태"}
    text, secs = sections_of("", [
        (PROSE + ". " + lead, {"page": 94, "heading_path": ("라.",)}),
        ("1 — 상태: 전원 꺼짐", {"page": 94, **part}),
        ("8 — 상태: 오류", {"page": 95, **part}),
        ("9 — 상태: 종료", {"page": 97, **part}),  # not the next page: another table
    ])
    out = lead_ins_into_context(secs, text, words)
    assert out[1].context == out[2].context == f"{lead}\n[상태천이표]\n번호 | 상태"
    assert out[3] == secs[3]
