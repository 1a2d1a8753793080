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
    score_sentences,
    select_sentences,
    with_list_continuations,
)
from answer.sentence_shapes import (
    is_list_item,
    is_question,
    label_match,
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
        content_terms(question), np.ones(2) / np.sqrt(2), hits, vectors, _one_idf
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
        "질문\n∎ Non-reconfigurable 메모리란 어떤 메모리인가?\n"
        "답변\n∎ Non-reconfigurable 메모리는 제조된 후 변경할 수 없는 메모리이다."
    )
    chunks = _chunks(text, text[: text.index("답변")], text[text.index("답변"):])
    chosen = select_sentences(_score("Non-reconfigurable 메모리란 어떤 메모리야?", _hits(chunks)), 1)
    assert chosen[0].text.endswith("변경할 수 없는 메모리이다."), chosen


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
    text = "관련 키워드 (Keywords): ∎ DRBG ∎ Security Strength\n최초 작성일: 2025년 12월 5일"
    hits = _hits(_chunks(text, text))
    question = "When was the item on the DRBG security strength first written?"
    candidates = _score(question, hits)
    chosen = select_sentences(candidates, 1)
    assert chosen[0].text.startswith("관련 키워드")  # the words alone pick the keywords line
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


def test_no_items_are_added_after_a_sentence_that_promises_none() -> None:
    text = "시험은 시험자의 힘으로 수행한다.\n① 첫째 항목\n② 둘째 항목"
    hits = _hits(_chunks(text, text))
    first = [c for c in _score("시험은 어떻게 수행해?", hits) if c.text.startswith("시험은")]
    assert [c.text for c in complete_lists(first, hits)] == [first[0].text]


@pytest.mark.slow
@pytest.mark.integration
def test_the_article_strategies_are_quoted_with_their_items(tmp_path: Path) -> None:
    if not ARTICLE.exists():
        pytest.skip(f"the shared article is not at {ARTICLE}")
    from answer.pipeline import QAPipeline
    from index.indexing import ingest_paths
    from reportqa.settings import Settings

    settings = Settings.load({"home": tmp_path / "home", "index_dir": tmp_path / "index"}, env={})
    assert ingest_paths([ARTICLE], settings).documents == 1
    answer = QAPipeline(settings).ask("3대 추진 전략은 무엇인가요?")
    # The lead-in "…3대 추진 전략을 제시했다." alone names none; its △ items follow it.
    for strategy in ("산업 거점 확보", "기술 및 기업 경쟁력 강화", "산학연 협력 생태계 조성"):
        assert strategy in answer.text, answer.text
