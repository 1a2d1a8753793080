"""Whole answers, round three (issue 12 / 13.4, realdocs tuning rows): the sentence quoted comes
from the passage that answers — a row of the table the question names, a sentence in the
document's language for a question asked in another, a definition asked "어떻게 정의되나요?", a
value the question does not state itself."""

from __future__ import annotations

import numpy as np

from answer.extractive import (
    SentenceCandidate,
    answer_shape,
    answer_type,
    caption_match,
    holds_new_value,
    prefer_answer_type,
    score_sentences,
    select_sentences,
    stated_numbers,
    table_captions,
)
from answer.sentence_shapes import (
    defined_term,
    defines,
    focus_terms,
    is_code_line,
    names_table,
    table_name,
)
from answer.tuning import CAPTION_WEIGHT, CODE_FACTOR, OWN_LANGUAGE_OFFSET, TABLE_NAMED_WEIGHT
from reportqa.language import content_terms, split_sentences
from reportqa.types import Chunk, Hit


def _chunk(cid: str, text: str, context: str = "", table: bool = False) -> Chunk:
    return Chunk(cid, "doc", "guide", "guide.pdf", text, 0, len(text),
                 sentences=tuple(split_sentences(text)), context=context, table=table)


def _score(question: str, hits: list[Hit], cosines: list[list[float]] | None = None,
           own_language: str = "", code_asked: bool = False) -> list[SentenceCandidate]:
    """Score with given per-sentence cosines (default: all equal), unit idf."""
    qvec = np.array([1.0, 0.0])
    vectors = []
    for i, h in enumerate(hits):
        cs = cosines[i] if cosines else [0.85] * len(h.chunk.sentences)
        vectors.append(np.array([[c, np.sqrt(1 - c * c)] for c in cs]))
    return score_sentences(
        content_terms(question), qvec, hits, vectors, lambda t: 1.0,
        definition_of=defined_term(question), focus=focus_terms(question, content_terms),
        own_language=own_language, table_asked=table_name(question), code_asked=code_asked,
    )


def test_table_captions_are_the_title_lines_of_a_table_context() -> None:
    table = _chunk("t", "센서 — 부품: 온도계", context="작성 예시\n[측정 장비의 설치 환경]\n구분 | 부품 | 비고", table=True)
    assert table_captions(table) == ["작성 예시", "측정 장비의 설치 환경"]
    lead = _chunk("t", "센서 — 부품: 온도계", context="장비의 부품은 다음과 같이 명세한다.\n구분 | 부품", table=True)
    assert table_captions(lead) == []  # a lead-in sentence is no caption
    terms, idf = content_terms, (lambda t: 1.0)
    assert caption_match(content_terms("설치 환경 표에서 장비 파일은?"), table, idf, terms) > 0.5
    assert caption_match(content_terms("설치 환경 표에서 장비 파일은?"),
                         _chunk("p", "x", context="[측정 장비의 설치 환경]"), idf, terms) == 0.0


def test_a_row_of_the_table_the_question_names_answers() -> None:
    # The row of the named table against a record elsewhere whose label the question also names.
    assert CAPTION_WEIGHT > 0
    prose = _chunk("p", "설치 환경: 실내 - 상온 20도 - 습도 40퍼센트")
    rows = _chunk(
        "t",
        "센서 — 부품: 디지털 온도계; 비고: thermo20.bin 파일\n"
        "센서 — 부품: 아날로그 습도계; 비고: hygro.bin 파일",
        context="[설치 환경]\n구분 | 부품 | 비고",
        table=True,
    )
    question = "설치 환경 표에서 디지털 온도계 파일은?"
    cosines = [[0.85], [0.87, 0.85]]
    chosen = select_sentences(_score(question, [Hit(prose, 1.0), Hit(rows, 1.0)], cosines), 1)
    assert "thermo20.bin" in chosen[0].text, chosen
    # The caption's share: the same row under no caption scores CAPTION_WEIGHT less.
    bare = _chunk("t", rows.text, context="구분 | 부품 | 비고", table=True)
    with_caption = _score(question, [Hit(prose, 1.0), Hit(rows, 1.0)], cosines)
    without = _score(question, [Hit(prose, 1.0), Hit(bare, 1.0)], cosines)
    assert abs(with_caption[1].score - without[1].score - CAPTION_WEIGHT) < 1e-9


def test_across_languages_own_language_sentences_lose_their_language_lift() -> None:
    assert OWN_LANGUAGE_OFFSET > 0
    korean = _chunk("k", "최초 작성일: 2024년 3월 2일\n해당 수준: 1, 2")
    # an English line, not a reference-list entry (those lose REFERENCE_FACTOR besides)
    references = _chunk("r", "Date and time – Representations for exchange (ISO 8601:2019)")
    question = "When was the item first written?"
    hits = [Hit(korean, 1.0), Hit(references, 1.0)]
    cosines = [[0.77, 0.74], [0.80]]  # the English line matches the English question better
    plain = select_sentences(_score(question, hits, cosines), 1)
    assert plain[0].text.startswith("Date and time"), plain
    crossed = select_sentences(_score(question, hits, cosines, own_language="en"), 1)
    assert crossed[0].text.startswith("최초 작성일"), crossed


def test_a_definition_asked_how_a_term_is_defined() -> None:
    assert defined_term("보호 매개변수(PP)는 어떻게 정의되나요?") == "보호 매개변수(PP)"
    assert defined_term("How is a protected parameter defined?") == "protected parameter"
    entry = "보호 매개변수(protected parameter, PP): 바뀌면 장치의 안전을 해칠 수 있는 값"
    assert defines(entry, "보호 매개변수(PP)")  # the term without its abbreviation
    assert defines(entry, "protected parameter") and defines(entry, "PP")  # either gloss
    assert not defines("보호 매개변수는 세 종류로 나뉜다.", "보호 매개변수(PP)")


def test_a_number_the_question_states_is_no_answer_to_it() -> None:
    assert stated_numbers("With RSA-PSS 2,048 on Ubuntu 20.04, how big?") == {"2048", "20.04"}
    size = answer_shape("how big is the value?")
    assert size is not None
    assert not holds_new_value(size, "RSA-PSS 2048-bit 서명을 만든다.", {"2048"})
    assert holds_new_value(size, "서명값은 256바이트이다.", {"2048"})
    assert holds_new_value(size, "RSA-PSS 2048-bit 서명은 256바이트이다.", {"2048"})
    text = (
        "도구는 RSA-PSS 2048-bit 알고리즘으로 모듈파트 M에 대한 검증값 T를 생성한다.\n"
        "그림의 도구는 256바이트 검증값을 만들어 모듈 끝에 붙인다."
    )
    question = "When RSA-PSS 2048 is used, how big is the value appended to the module?"
    candidates = _score(question, [Hit(_chunk("c", text), 1.0)])
    selected = [c for c in candidates if c.text.startswith("도구는")]
    chosen = prefer_answer_type(question, candidates, selected, 1)
    assert "256바이트" in chosen[0].text, chosen


def test_questions_naming_a_table() -> None:
    assert table_name("측정 환경 표에서 습도 센서의 파일은?") == "측정 환경"
    assert table_name("상태천이표에서 대기 상태는 어디로 가?") == "상태천이"
    assert table_name("부품 목록 명세에서 전원 항목은?") == "부품 목록"
    assert table_name("In the sensor parts table, which one is digital?") == "sensor parts"
    assert not names_table("발표에서 무엇을 말했어?") and not names_table("대표에서 물러난 해는?")
    assert not names_table("목표는 무엇인가?")


def test_the_name_of_the_table_asked_is_no_field_label() -> None:
    # "설치 환경 표에서 …": the row of that table, not a record labelled "설치 환경" elsewhere.
    assert TABLE_NAMED_WEIGHT > 0
    box = _chunk("b", "설치 환경: 실내 - 상온 20도 - 습도 40퍼센트\n제조사: 가나다", table=True)
    rows = _chunk(
        "t",
        "센서 — 부품: 디지털 온도계; 비고: thermo20.bin 파일\n"
        "센서 — 부품: 아날로그 습도계; 비고: hygro.bin 파일",
        context="구분 | 부품 | 비고",
        table=True,
    )
    question = "설치 환경 표에서 디지털 온도계 파일은?"
    chosen = select_sentences(_score(question, [Hit(box, 1.0), Hit(rows, 1.0)]), 1)
    assert "thermo20.bin" in chosen[0].text, chosen
    asked = "설치 환경은 어떤가요?"  # no table named: the record labelled so answers
    chosen = select_sentences(_score(asked, [Hit(box, 1.0), Hit(rows, 1.0)]), 1)
    assert chosen[0].text.startswith("설치 환경"), chosen


def test_a_code_line_answers_only_a_question_about_code() -> None:
    assert is_code_line("Sensor_Reset(name, NAME_LEN);") and is_code_line("// B.2 버퍼 비우기")
    assert is_code_line("if (rv != 0) { // 실패") and is_code_line("goto end;")
    assert not is_code_line("장치는 매일 한 번 점검한다.")
    assert not is_code_line("함수 — 설명: int Sensor_Reset (u8 *name);")  # a table row about it
    assert CODE_FACTOR < 1
    text = "Reset_All(name, NAME_LEN);\n점검이 실패하면 장치는 센서를 다시 시작한다."
    question = "What does the device do with the sensor when a check fails?"
    cosines = [[0.85, 0.84]]
    chosen = select_sentences(_score(question, [Hit(_chunk("c", text), 1.0)], cosines), 1)
    assert chosen[0].text.startswith("점검이"), chosen
    coded = _score(question, [Hit(_chunk("c", text), 1.0)], cosines, code_asked=True)
    assert select_sentences(coded, 1)[0].text.startswith("Reset_All"), coded


def test_a_when_question_is_answered_by_an_occasion() -> None:
    wanted = answer_shape("센서가 없는 장치는 점검을 언제 해야 하죠?")
    assert wanted is not None
    assert wanted.search("이러한 장치는 매 재시작 시 마다 모든 점검을 한다.")
    assert wanted.search("점검은 설치 직후 한 번 한다.") and wanted.search("2024년 3월에 점검했다.")
    assert not wanted.search("센서가 없는 장치는 점검 범위가 좁다.")
    assert answer_type("센서가 없는 장치는 점검을 언제 해야 하죠?") is not None  # the gate's type
    text = (
        "예를 들어, 센서가 없는 장치도 점검 항목 중 일부는 생략할 수 있다.\n"
        "이러한 장치는 매 재시작 시 마다 모든 점검을 해야 한다."
    )
    chosen = _typed_choice_text("센서가 없는 장치는 점검을 언제 해야 하죠?", text, "예를 들어")
    assert chosen.startswith("이러한 장치는"), chosen


def _typed_choice_text(question: str, text: str, selected_start: str) -> str:
    candidates = _score(question, [Hit(_chunk("c", text), 1.0)])
    selected = [c for c in candidates if c.text.startswith(selected_start)]
    assert selected
    return prefer_answer_type(question, candidates, selected, 1)[0].text


def test_an_english_question_names_a_korean_table() -> None:
    assert table_name("What is the reseed interval in the algorithm test spec?") == "algorithm test"
    assert table_name("Which API is in the service list?") == "service"
    table = _chunk("t", "센서 — 부품: 온도계", context="[장치 시험 상세 명세]\n구분 | 수행 방법", table=True)
    question = content_terms("What is in the device test spec?")
    assert caption_match(question, table, lambda t: 1.0) == 0.0
    translated = [*question, *content_terms("장치 시험")]  # its glossary translation joins it
    assert caption_match(translated, table, lambda t: 1.0) >= 0.5


def test_the_first_passage_of_a_table_holds_its_caption_in_its_text() -> None:
    first = _chunk("t", "[측정 장비의 설치 환경]\n센서 — 부품: 온도계", context="구분 | 부품", table=True)
    assert table_captions(first) == ["측정 장비의 설치 환경"]
    later = _chunk("t", "센서 — 부품: 습도계\n[다른 표]", context="[측정 장비의 설치 환경]", table=True)
    assert table_captions(later) == ["측정 장비의 설치 환경"]  # nothing below its first row
