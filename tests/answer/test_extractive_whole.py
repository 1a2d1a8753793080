"""Whole answers, round two (issue 13.4, realdocs tuning rows): an abbreviation's long form, no
keyword record for an answer, a sentence cut inside a parenthesis, a lead-in with its table."""

from __future__ import annotations

import numpy as np

from answer.extractive import (
    SentenceCandidate,
    answer_shape,
    complete_lists,
    prefer_answer_type,
    prefer_expansion,
    score_sentences,
    select_sentences,
    sentence_units,
)
from answer.sentence_shapes import (
    asks_expansion,
    asks_keywords,
    defined_term,
    expands,
    focus_terms,
    is_keyword_record,
    promises_list,
)
from reportqa.language import content_terms, split_sentences
from reportqa.types import Chunk, Hit


def _chunk(text: str, spans: tuple[tuple[int, int], ...] | None = None, **kw: object) -> Chunk:
    sentences = spans if spans is not None else tuple(split_sentences(text))
    return Chunk("c0", "doc", "guide", "guide.pdf", text, 0, len(text),
                 heading_path=("2.4 가속 기능",), sentences=sentences, **kw)  # type: ignore[arg-type]


def _score(question: str, hits: list[Hit]) -> list[SentenceCandidate]:
    # Flat vectors: every sentence the same cosine, so the words and the shape decide.
    vectors = [np.ones((len(h.chunk.sentences), 2)) / np.sqrt(2) for h in hits]
    return score_sentences(
        content_terms(question), np.ones(2) / np.sqrt(2), hits, vectors, lambda t: 1.0,
        definition_of=defined_term(question), focus=focus_terms(question, content_terms),
        keywords_asked=asks_keywords(question),
    )


def test_abbreviation_questions_and_their_long_forms() -> None:
    assert asks_expansion("ECU는 무엇의 약자인가요?") == "ECU"
    assert asks_expansion("문서 번호 앞의 VE는 무슨 뜻이야?") == "VE"
    assert asks_expansion("What does KEK stand for?") == "KEK"
    assert asks_expansion("What is the full form of CSP?") == "CSP"
    assert asks_expansion("ECU는 어디에 쓰여?") == ""
    assert asks_expansion("what does the report mean by safety?") == ""  # no abbreviation
    assert expands("이 장치는 ECU(Engine Control Unit)로 분류된다.", "ECU")
    assert expands("문서 번호(VE: Vendor Evidence)로 적는다.", "VE")
    assert expands("Key Encryption Key (KEK) 로만 쓴다.", "KEK")
    assert not expands("ECU는 문서(설계서 및 소스코드)의 제출이 필요하다.", "ECU")
    assert not expands("ECUS(Extended Control Unit Set)는 다르다.", "ECU")  # another word


def test_the_sentence_spelling_the_abbreviation_out_answers_what_it_stands_for() -> None:
    text = (
        "ECU는 설계 문서 전체의 제출이 요구된다. ECU와 ECA는 구현 범위로 구분된다. "
        "전체 알고리즘을 구현한 장치는 ECU(Engine Control Unit)로 취급된다."
    )
    question = "ECU는 무엇의 약자인가요?"
    candidates = _score(question, [Hit(_chunk(text), 1.0)])
    worse = [c for c in candidates if c.text.startswith("ECU와")]
    chosen = prefer_expansion(question, candidates, worse, 3)
    assert "Engine Control Unit" in chosen[0].text, chosen
    assert prefer_expansion("ECU는 어디에 쓰여?", candidates, worse, 3) == worse


def test_a_keyword_record_is_no_answer_unless_keywords_are_asked() -> None:
    text = "관련 키워드 (Keywords): 패스워드 기반 키 유도, PBKDF 운용환경\n패스워드 최소 길이는 9자리이다."
    assert is_keyword_record(text.splitlines()[0]) and not is_keyword_record("작성일: 2022년")
    hits = [Hit(_chunk(text), 1.0)]
    texts = [c.text for c in _score("PBKDF 패스워드 키 유도 운용환경의 최소 길이는?", hits)]
    assert texts == ["패스워드 최소 길이는 9자리이다."]
    asked = [c.text for c in _score("PBKDF 항목의 관련 키워드는?", hits)]
    assert any(t.startswith("관련 키워드") for t in asked)


def test_a_sentence_cut_inside_a_parenthesis_is_scored_whole() -> None:
    text = "서명 생성 KAT는 필요하다. 그러나 내부 해시 함수(예: SHA256)에 대한 KAT는 필요 없음"
    cut = text.index("SHA256")
    spans = ((0, text.index("그러나") - 1), (text.index("그러나"), cut), (cut, len(text)))
    chunk = _chunk(text, spans)
    assert [parts for _, parts in sentence_units(chunk)] == [[0], [1, 2]]
    texts = [c.text for c in _score("내부 해시 함수의 KAT도 해야 돼?", [Hit(chunk, 1.0)])]
    assert texts[1] == text[text.index("그러나"):], texts
    # A parenthesis that never closes leaves the sentences as they were.
    open_only = _chunk("표(계속 두 번째. 다음 문장이다.")
    assert [parts for _, parts in sentence_units(open_only)] == [[0], [1]]


def test_a_lead_in_brings_the_table_rows_below_it() -> None:
    lead = "▪ PBKDF의 입력 변수 제약은 다음과 같다."
    text = (
        f"{lead}\n분류 | PRF | 최소 길이\n"
        "필수 — PRF: HMAC; 최소 길이: 9자리\n권고 — PRF: HMAC; 최소 길이: 10자리"
    )
    chunk = _chunk(text, table=True, context=lead)
    candidates = _score("PBKDF 입력 변수 제약은?", [Hit(chunk, 1.0)])
    first = [c for c in select_sentences(candidates, 1)]
    assert first[0].text == lead
    quoted = [c.text for c in complete_lists(first, [Hit(chunk, 1.0)])]
    assert quoted == [lead, "필수 — PRF: HMAC; 최소 길이: 9자리", "권고 — PRF: HMAC; 최소 길이: 10자리"]
    assert promises_list("∘ 보안정책서가 각 모드에 대해 다음 정보들을 포함해야 한다.")


def _typed_choice(question: str, text: str, selected_start: str, max_sentences: int) -> str:
    """The first sentence prefer_answer_type quotes when the sentences of ``text`` starting with
    ``selected_start`` were selected."""
    candidates = _score(question, [Hit(_chunk(text), 1.0)])
    selected = [c for c in candidates if c.text.startswith(selected_start)]
    assert selected
    return prefer_answer_type(question, candidates, selected, max_sentences)[0].text


def test_a_question_for_a_name_in_code_takes_the_sentence_holding_one() -> None:
    assert answer_shape("오류 상태를 나타내는 상태 변수 이름은?") is not None
    assert answer_shape("Which error code comes back when the self-test fails?") is not None
    assert answer_shape("What function does the module have?") is None  # a capability
    assert answer_shape("이 제품의 이름은?") is None
    text = (
        "오류의 경우 단순한 오류인지 심각한 오류인지를 상태로 나타내는 것이 바람직하다.\n"
        "STATE_FATAL — 설명: 심각한 오류 상태; 값: 0x000005"
    )
    chosen = _typed_choice("심각한 오류 상태를 나타내는 상태 변수 이름은?", text, "오류의", 3)
    assert chosen.startswith("STATE_FATAL"), chosen


def test_a_size_question_takes_the_number_with_a_unit() -> None:
    assert answer_shape("How long does the warranty last?") is not None
    text = (
        "예시에서 RSAES 3072 공개키로 세션 키를 암호화하여 전송한다.\n"
        "세션 키는 16바이트의 랜덤한 값으로 생성한다."
    )
    chosen = _typed_choice("In the RSAES 3072 example, how long is the session key?", text, "예시에서", 1)
    assert chosen.startswith("세션 키는 16바이트"), chosen
