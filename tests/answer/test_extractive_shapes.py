"""Whole answers (issue 13.4): the answering sentence, not a question or a neighbour; a list with
its lead-in, across passages; the record whose label the question names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from answer.extractive import (
    SentenceCandidate,
    complete_lists,
    ends_in_open_list,
    prefer_answer_type,
    prefer_organisation,
    score_sentences,
    select_sentences,
    with_list_continuations,
)
from answer.sentence_shapes import (
    asks_organisation,
    asks_reference,
    defined_term,
    defines,
    focus_terms,
    is_list_item,
    is_question,
    is_reference_entry,
    label_match,
    names_only_asked_value,
    names_organisation,
    promises_list,
    record_labels,
)
from reportqa.language import content_terms, split_sentences
from reportqa.types import Chunk, Hit

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
ARTICLE = SHARED / "corpus" / "gbsa-battery-plan-article.ko.txt"


def _chunks(text: str, *parts: str, heading: tuple[str, ...] = ("10.8 시험", "답변")) -> list[Chunk]:
    """Consecutive chunks of ``text``, one per part (each part a substring, in order)."""
    out, at = [], 0
    for n, part in enumerate(parts):
        start = text.index(part, at)
        end = start + len(part)
        spans = tuple((start + s, start + e) for s, e in split_sentences(part))
        out.append(Chunk(f"c{n}", "doc", "guide", "guide.pdf", part, start, end,
                         heading_path=heading, sentences=spans))
        at = end
    return out


def _hits(chunks: list[Chunk]) -> list[Hit]:
    return [Hit(c, 1.0 - 0.1 * i) for i, c in enumerate(chunks)]


def _one_idf(term: str) -> float:
    return 1.0


def _score(question: str, hits: list[Hit]) -> list[SentenceCandidate]:
    # Flat vectors: every sentence the same cosine, so the words and the shape decide.
    vectors = [np.ones((len(h.chunk.sentences), 2)) / np.sqrt(2) for h in hits]
    return score_sentences(
        content_terms(question), np.ones(2) / np.sqrt(2), hits, vectors, _one_idf,
        definition_of=defined_term(question), focus=focus_terms(question, content_terms),
        question=question,
    )


def test_question_and_list_shapes() -> None:
    assert is_question("∎ 조건부 수동 주입 시험은 언제 수행되어야 하는가?")
    assert is_question("What is the reseed interval?")
    assert not is_question("▪ 아래에 해당하는 경우, 조건부 수동 주입 시험이 수행되어야 한다.")
    assert promises_list("▪ 아래에 해당하는 경우, 조건부 수동 주입 시험이 수행되어야 한다.")
    assert promises_list("The module offers the following services:")
    assert promises_list("보고서는 3대 추진 전략을 제시했다.")
    assert not promises_list("시험은 시험자의 힘을 기준으로 수행한다.")
    assert is_list_item("① 키 요소가 수동으로 주입되는 경우")
    assert is_list_item("△이차전지 산업 거점 확보")
    assert is_list_item("2) 두 번째 방법")
    assert not is_list_item("2025년 12월 5일에 작성")
    assert is_list_item("3.ECDSA 공개키에 대한 제로화") and is_list_item("1.목적")
    assert not is_list_item("3.5배 늘었다")


def test_record_labels_of_boxes_and_table_rows() -> None:
    assert record_labels("최초 작성일: 2025년 12월 5일; 최종 수정일: 2025년 12월 5일") == [
        ("", "최초 작성일"), ("", "최종 수정일"),
    ]
    assert record_labels("RSA-PSS — 모듈러스 길이: 2048, 3072; 해시: SHA-256") == [
        ("RSA-PSS", "모듈러스 길이"), ("RSA-PSS", "해시"),
    ]
    # prose after a colon, a URL and a clock time are no records
    assert record_labels("• 형상항목 등록 : 형상관리자는 저장소를 생성한다.") == []
    assert record_labels("See https://example.org for details") == []
    assert record_labels("시작 시각 10:30 정각") == []


def test_label_match_needs_the_field_named() -> None:
    q = content_terms("보안수준 3 이상 코팅 시험 방법(7.3)의 해당 보안수준은?")
    assert label_match(q, "해당 보안수준 (Applicable Levels): ∎ 3, 4", _one_idf, content_terms) == 1.0
    assert label_match(q, "관련 키워드 (Keywords): ∎ 탬퍼 증거 코팅", _one_idf, content_terms) == 0.0
    # naming a table row without any of its fields asks for none of them
    q2 = content_terms("HMAC-SHA256 KAT를 돌리면 SHA256 KAT는 따로 해야 돼?")
    row = "HMAC SHA-256 — 수행 방법: 참조 표준의 암호키로 KAT 수행"
    assert label_match(q2, row, _one_idf, content_terms) == 0.0


def test_the_answer_is_quoted_not_the_question_of_the_faq() -> None:
    text = (
        "질문\n∎ 인증값 길이를 축약하는 경우 검증대상 동작모드에서 사용 가능한가?\n"
        "답변\n∎ 축약된 인증값 길이를 112비트 이상으로 설정하는 경우에만 검증대상 동작모드에서 "
        "사용할 수 있다."
    )
    chunks = _chunks(text, text[: text.index("답변")], text[text.index("답변"):])
    candidates = _score("인증값 길이를 축약하면 검증대상 동작모드에서 사용 가능해?", _hits(chunks))
    faq, answer = sorted((c for c in candidates if len(c.text) > 8), key=lambda c: c.span)
    assert faq.coverage > answer.coverage  # the FAQ's question repeats the user's words
    assert select_sentences(candidates, 1) == [answer]


def test_the_record_whose_label_is_asked_wins_over_the_heading_and_keywords() -> None:
    text = (
        "7.3 코팅 시험 방법\n해당 보안수준 (Applicable Levels): ∎ 3, 4\n"
        "관련 키워드 (Keywords): ∎ 코팅 시험 방법 보안수준\n"
        "최초 작성일: 2022년 5월 17일; 최종 수정일: 2022년 5월 17일"
    )
    chunks = _chunks(text, text, heading=("7장 물리적 보안", "7.3 코팅 시험 방법"))
    toc = "7장 물리적 보안\n7.3 코팅 시험 방법"
    hits = [*_hits(chunks), Hit(_chunks(toc, toc, heading=("7장 물리적 보안",))[0], 0.5)]
    chosen = select_sentences(_score("코팅 시험 방법의 해당 보안수준은?", hits), 1)
    assert chosen[0].text.startswith("해당 보안수준"), chosen  # not the TOC line nor the keywords


def test_a_date_question_takes_the_dated_record_of_the_same_box() -> None:
    text = "관련 항목 (Related items): ∎ DRBG ∎ Security Strength\n최초 작성일: 2025년 12월 5일"
    hits = _hits(_chunks(text, text))
    question = "When was the item on the DRBG security strength first written?"
    candidates = _score(question, hits)
    chosen = select_sentences(candidates, 1)
    assert chosen[0].text.startswith("관련 항목")  # the words alone pick the topics line
    typed = prefer_answer_type(question, candidates, chosen, 1)
    assert typed[0].text.startswith("최초 작성일"), typed


def test_a_list_lead_in_brings_its_items_from_the_next_passage() -> None:
    text = (
        "답변\n▪ 아래에 해당하는 경우, 조건부 수동 주입 시험이 수행되어야 한다.\n"
        "① 중요보안매개변수가 수동으로 직접 주입되는 경우\n"
        "② 수동 주입된 키 요소가 모듈 내부의 SSP를 대체하는 경우\n"
        "▪ 전자적인 수동 주입의 예시는 키 로더이다."
    )
    first = text[: text.index("①")]
    chunks = _chunks(text, first, text[len(first):])
    assert ends_in_open_list(chunks[0]) and not ends_in_open_list(chunks[1])
    by_id = {c.id: c for c in chunks}

    def following(chunk: Chunk) -> Chunk | None:
        return by_id.get(f"c{int(chunk.id[1:]) + 1}")

    hits = with_list_continuations(_hits(chunks[:1]), following)
    assert [h.chunk.id for h in hits] == ["c0", "c1"]
    lead = [c for c in _score("조건부 수동 주입 시험은 어떤 경우에 해야 돼?", hits) if "아래" in c.text]
    quoted = [c.text for c in complete_lists(lead, hits)]
    assert quoted[0].startswith("▪ 아래에") and len(quoted) == 3, quoted
    assert quoted[1].startswith("①") and quoted[2].startswith("②")  # the sibling ▪ ends the list
    assert {c.hit_no for c in complete_lists(lead, hits)[1:]} == {2}  # cited to their own passage


def test_a_lead_in_whose_paragraph_goes_on_brings_the_items_after_that_paragraph() -> None:
    # the lead-in is not its paragraph's last sentence; the list starts in the next passage
    text = (
        "운영적 제로화는 사용이 끝난 SSP를 지우는 API를 말한다. 제로화 API의 목록은 다음과 같다. "
        "기본 API는 바이트 배열을 지우는 Zeroize()이다.\n"
        "1.RSA 공개키에 대한 제로화: RSA_publicKey_Zeroize()\n"
        "2.DH 파라미터에 대한 제로화: DH_param_Zeroize()\n"
        "해설\n이 시험항목은 제로화 방법을 요구한다."
    )
    first = text[: text.index("1.RSA")]
    chunks = _chunks(text, first, text[len(first):])
    assert ends_in_open_list(chunks[0]) and not ends_in_open_list(chunks[1])
    by_id = {c.id: c for c in chunks}
    hits = with_list_continuations(_hits(chunks[:1]), lambda c: by_id.get(f"c{int(c.id[1:]) + 1}"))
    assert [h.chunk.id for h in hits] == ["c0", "c1"]
    lead = [c for c in _score("제로화 API 종류 알려줘", hits) if "목록은" in c.text]
    quoted = [c.text for c in complete_lists(lead, hits)]
    assert quoted == [lead[0].text, "1.RSA 공개키에 대한 제로화: RSA_publicKey_Zeroize()",
                      "2.DH 파라미터에 대한 제로화: DH_param_Zeroize()"], quoted
    # a paragraph without a lead-in does not open a list
    plain = _chunks(text.replace("목록은 다음과 같다", "목록은 부록에 있다"), first.replace("목록은 다음과 같다", "목록은 부록에 있다"))
    assert not ends_in_open_list(plain[0])


def test_no_items_are_added_after_a_sentence_that_promises_none() -> None:
    text = "시험은 시험자의 힘으로 수행한다.\n① 첫째 항목\n② 둘째 항목"
    hits = _hits(_chunks(text, text))
    first = [c for c in _score("시험은 어떻게 수행해?", hits) if c.text.startswith("시험은")]
    assert [c.text for c in complete_lists(first, hits)] == [first[0].text]


def test_definition_organisation_and_focus_shapes() -> None:
    assert defined_term("Non-reconfigurable 메모리란 어떤 메모리를 말해?") == "Non-reconfigurable 메모리"
    assert defined_term("What is a 'hybrid module' according to the glossary?") == "hybrid module"
    assert defined_term("메모리는 몇 년 써?") == ""
    term = "Non-reconfigurable 메모리"
    assert defines("∎ Non-reconfigurable 메모리는 제조된 후 바꿀 수 없는 메모리이다.", term)
    assert not defines("∎ Non-reconfigurable 메모리는 장기간 쓰는 데이터에만 쓸 수 있다.", term)
    assert defines("하이브리드 모듈(hybrid module): 구성 요소의 합성", "하이브리드 모듈")
    assert defines("하이브리드 모듈(hybrid module): 구성 요소의 합성", "hybrid module")
    assert not defines("모듈(hybrid module)의 시험은 다음과 같다.", "hybrid module")
    assert asks_organisation("이 구현안내서를 발행하고 관리하는 기관은?")
    assert asks_organisation("Which agency publishes the guide?")
    assert not asks_organisation("시험기관은 무엇을 제출해야 하나?")  # a subject, not the ask
    assert names_organisation("국가정보원과 한국인터넷진흥원이 발행한다.")
    assert names_organisation("산업통상자원부는 계획을 세웠다.")
    assert not names_organisation("내부 시험과 일부 항목을 관리한다.")
    assert focus_terms("…을 한꺼번에 하면 단점이 뭐야?", content_terms) == ("단점",)
    assert focus_terms("조건부 수동 주입 시험은 어떤 경우에 해야 돼?", content_terms) == ("경우",)
    assert focus_terms("부품은 몇 년 동안 보유해?", content_terms) == ()  # a number question


def test_the_definition_wins_over_other_sentences_on_the_term() -> None:
    text = (
        "∎ Non-reconfigurable 메모리는 장기간 변경되지 않는 데이터를 저장하는 목적으로만 사용된다.\n"
        "∎ Non-reconfigurable 메모리는 제조된 후 변경 불가능하게 데이터를 저장하는 메모리이다."
    )
    chosen = select_sentences(_score("Non-reconfigurable 메모리란 어떤 메모리를 말해?",
                                     _hits(_chunks(text, text))), 1)
    assert chosen[0].text.endswith("메모리이다."), chosen


def test_the_sentence_holding_the_asked_for_noun_wins() -> None:
    text = (
        "두 번째는 모든 알고리즘의 KAT 시험을 한 번에 하는 것이다.\n"
        "두 번째 방법은 시험이 느려진다는 단점이 있다."
    )
    question = "동작 전 시험에서 모든 알고리즘 KAT를 일괄 수행하면 단점이 뭐야?"
    candidates = _score(question, _hits(_chunks(text, text)))
    neighbour, answer = sorted(candidates, key=lambda c: c.span)
    assert neighbour.coverage > answer.coverage  # more of the question's words, but not the ask
    assert select_sentences(candidates, 1) == [answer]


def test_the_sentence_naming_the_agencies_answers_which_organisation() -> None:
    text = (
        "본 안내서는 국가정보원과 한국인터넷진흥원에 의해 발행 및 관리되는 보조 문서입니다.\n"
        "본 안내서는 발행 이후 관리 요구사항과 발행 절차를 함께 개선하는 데 목적이 있습니다."
    )
    question = "이 안내서를 발행하고 관리하는 기관은?"
    candidates = _score(question, _hits(_chunks(text, text)))
    worse = sorted(candidates, key=lambda c: c.score)
    chosen = prefer_organisation(question, candidates, [c for c in worse if "목적" in c.text], 3)
    assert "국가정보원" in chosen[0].text, chosen


def test_a_table_header_row_is_never_quoted() -> None:
    text = "Stream | BOD (mg/L) [1]\nHan River — BOD (mg/L): 2.1\nNakdong — BOD (mg/L): 3.4"
    chunk = Chunk("t", "doc", "water", "w.pdf", text, 0, len(text), table=True,
                  sentences=tuple(split_sentences(text)))
    assert len(chunk.sentences) == 3
    texts = [c.text for c in _score("What is the BOD of the Han River stream?", [Hit(chunk, 1.0)])]
    assert "Stream | BOD (mg/L) [1]" not in texts and len(texts) == 2


@pytest.mark.slow
@pytest.mark.integration
def test_the_article_strategies_are_quoted_with_their_items(tmp_path: Path, fixture_embed_cache: Path) -> None:
    if not ARTICLE.exists():
        pytest.skip(f"the shared article is not at {ARTICLE}")
    from answer.pipeline import QAPipeline
    from index.indexing import ingest_paths
    from reportqa.settings import Settings

    settings = Settings.load(
        {"home": tmp_path / "home", "index_dir": tmp_path / "index", "embed_cache_path": fixture_embed_cache},
        env={},
    )
    assert ingest_paths([ARTICLE], settings).documents == 1
    answer = QAPipeline(settings).ask("3대 추진 전략은 무엇인가요?")
    # The lead-in "…3대 추진 전략을 제시했다." alone names none; its △ items follow it.
    for strategy in ("산업 거점 확보", "기술 및 기업 경쟁력 강화", "산학연 협력 생태계 조성"):
        assert strategy in answer.text, answer.text


def test_a_record_naming_only_the_asked_item_answers_nothing() -> None:
    assert names_only_asked_value("항목: AS10.20", "What does test item AS10.20 require?")
    assert names_only_asked_value("알고리즘: SEED", "SEED의 키 길이는?")
    assert not names_only_asked_value("제품 보증기간: 1 년", "제품 보증기간은?")  # a new value
    assert not names_only_asked_value("ARIA — 키 길이: 128", "ARIA 키 길이는?")  # a table row
    assert not names_only_asked_value("AS10.20 항목을 본다", "AS10.20?")  # no record
    text = "항목: AS10.20\n보안요구사항 개요: 무결성 기술에 대한 자가시험 수행"
    hits = _hits(_chunks(text, text, heading=("9 자가시험",)))
    chosen = select_sentences(_score("AS10.20 항목은 무엇을 요구해?", hits), 1)
    assert chosen[0].text.startswith("보안요구사항 개요"), chosen


def test_a_reference_list_entry_is_no_answer_unless_a_reference_is_asked() -> None:
    assert is_reference_entry("[2] ISO/IEC 19790:2012, Information technology - Security techniques")
    assert not is_reference_entry("[1] 개요") and not is_reference_entry("1. ISO 표준을 따른다")
    assert asks_reference("Which ANSI standard on prime number generation is in the reference list?")
    assert not asks_reference("What is the security requirement overview of AS09.01?")
    refs = "[2] ISO/IEC 19790:2012, Security requirements for cryptographic modules"
    record = "보안요구사항 개요: 암호모듈 내의 보안 요구사항 보호"
    text = f"{record}\n{refs}"
    hits = _hits(_chunks(text, text, heading=("8 보안매개변수",)))
    asked = "security requirements for cryptographic modules 보안 요구사항?"
    assert select_sentences(_score(asked, hits), 1)[0].text == record
    # the same words, asked about the standard: the entry keeps its whole score
    vectors = [np.ones((len(h.chunk.sentences), 2)) / np.sqrt(2) for h in hits]

    def entry_score(question: str) -> float:
        scored = score_sentences(content_terms(asked), np.ones(2) / np.sqrt(2), hits, vectors,
                                 _one_idf, question=question)
        return next(c.score for c in scored if c.text == refs)

    assert entry_score("Which standard is it?") > entry_score(asked) * 1.2
