"""Follow-up questions become standalone questions before retrieval. Fixed inputs."""

from __future__ import annotations

import pytest

from answer.rewrite import (
    acceptable_rewrite,
    heuristic_rewrite,
    is_follow_up,
    ko_topic,
    rewrite_question,
)
from reportqa.language import content_terms

KO = [("보고서가 제시한 3대 추진 전략은?", "3대 추진 전략은 거점 확보, 경쟁력 강화, 생태계 조성이다 [1].")]
EN = [("What are the three strategies?", "Securing a hub, competitiveness and an ecosystem [1].")]


@pytest.mark.parametrize(
    ("question", "history", "expected"),
    [
        ("그럼 두 번째 전략은?", KO, "보고서가 제시한 3대 추진 전략 중 두 번째 전략은?"),
        ("세 번째는?", KO, "보고서가 제시한 3대 추진 전략 중 세 번째는?"),
        ("그 중 마지막 전략은 무엇인가요?", KO, "보고서가 제시한 3대 추진 전략 중 마지막 전략은 무엇인가요?"),
        ("그건 누가 만들었어?", KO, "보고서가 제시한 3대 추진 전략은 누가 만들었어?"),
        ("그곳은 어디에 있어?", [("보고서를 펴낸 곳은 어디야?", "경과원")], "보고서를 펴낸 곳은 어디에 있어?"),
        ("왜?", KO, "보고서가 제시한 3대 추진 전략에 관해, 왜?"),
        ("What about the second one?", EN, "What about the second one of the three strategies?"),
        ("And the third?", EN, "What about the third of the three strategies?"),
        ("Who wrote it?", EN, "Who wrote it (about the three strategies)?"),
    ],
)
def test_follow_ups_are_rewritten_with_the_last_standalone_question(
    question: str, history: list[tuple[str, str]], expected: str
) -> None:
    assert heuristic_rewrite(question, history, content_terms) == expected


@pytest.mark.parametrize(
    "question", ["경기도의 비전은 무엇인가요?", "Who published the report?", "핵심과제는 모두 몇 개인가요?"]
)
def test_standalone_questions_are_left_alone(question: str) -> None:
    assert not is_follow_up(question, content_terms)
    assert rewrite_question(question, KO, content_terms) == question


def test_no_history_no_rewrite() -> None:
    assert rewrite_question("그럼 두 번째 전략은?", [], content_terms) == "그럼 두 번째 전략은?"


def test_the_topic_skips_earlier_follow_ups() -> None:
    history = [*KO, ("그럼 두 번째 전략은?", "…")]
    assert heuristic_rewrite("세 번째는?", history, content_terms) == "보고서가 제시한 3대 추진 전략 중 세 번째는?"
    assert ko_topic("보고서를 펴낸 곳은 어디인가요?") == "보고서를 펴낸 곳"


def test_a_model_rewrite_is_used_when_it_fits_the_conversation() -> None:
    calls: list[str] = []

    def llm(question: str, history: object) -> str:
        calls.append(question)
        return " 보고서가 제시한 두 번째 추진 전략은 무엇인가? "

    out = rewrite_question("그럼 두 번째 전략은?", KO, content_terms, llm)
    assert out == "보고서가 제시한 두 번째 추진 전략은 무엇인가?" and calls == ["그럼 두 번째 전략은?"]


@pytest.mark.parametrize(
    "bad", ["", "What is the second strategy?", "오늘 날씨와 주식 시장 전망은?", "두 번째\n전략", "가" * 400]
)
def test_a_bad_model_rewrite_falls_back_to_the_heuristic(bad: str) -> None:
    assert not acceptable_rewrite(bad, "그럼 두 번째 전략은?", KO, content_terms)
    out = rewrite_question("그럼 두 번째 전략은?", KO, content_terms, lambda q, h: bad)
    assert out == "보고서가 제시한 3대 추진 전략 중 두 번째 전략은?"


def test_a_failing_model_falls_back_to_the_heuristic() -> None:
    def broken(question: str, history: object) -> str:
        raise RuntimeError("server down")

    out = rewrite_question("그럼 두 번째 전략은?", KO, content_terms, broken)
    assert out == "보고서가 제시한 3대 추진 전략 중 두 번째 전략은?"
