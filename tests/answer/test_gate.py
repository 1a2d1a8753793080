"""The relevance gate's decision (pure) and its typed-evidence rule."""

from __future__ import annotations

import re

from answer.extractive import answer_type
from answer.gate import GateFeatures, judge, typed_evidence
from reportqa.settings import Settings


def test_thresholds_per_language_and_across_languages() -> None:
    s = Settings(min_score_ko=0.84, min_score_with_terms=0.82, min_term_coverage=0.3)
    assert judge(GateFeatures("ko", False, 0.845, 0.0), s)
    assert not judge(GateFeatures("ko", False, 0.83, 0.0), s)
    assert judge(GateFeatures("ko", False, 0.83, 0.5), s)
    assert not judge(GateFeatures("ko", False, 0.81, 0.9), s)
    cross = s.replace(min_score_cross=0.8, min_score_cross_with_terms=0.755)
    assert judge(GateFeatures("en", True, 0.76, 0.5), cross)
    assert not judge(GateFeatures("en", True, 0.76, 0.1), cross)


def test_a_number_question_without_a_number_near_its_words_is_refused_below_the_override() -> None:
    s = Settings(min_score_ko=0.84, min_score_typed_override=0.9)
    asks = GateFeatures("ko", False, 0.86, 0.6, asks_type=True, typed=False)
    assert not judge(asks, s)
    assert judge(GateFeatures("ko", False, 0.91, 0.6, asks_type=True, typed=False), s)
    assert judge(GateFeatures("ko", False, 0.86, 0.6, asks_type=True, typed=True), s)


def test_typed_evidence_needs_the_type_and_the_question_words_in_one_sentence() -> None:
    idf = {"수수료": 3.0, "검증": 1.0}.get
    wanted = answer_type("검증 수수료는 얼마인가요?")
    assert wanted is not None
    terms = ["검증", "수수료"]
    sentences = [("검증은 2단계로 진행된다", {"검증", "단계"}), ("수수료는 별도 고지", {"수수료"})]
    assert not typed_evidence(wanted, sentences, terms, lambda t: idf(t) or 0.0, 0.5)
    sentences.append(("검증 수수료는 100만 원이다", {"검증", "수수료"}))
    assert typed_evidence(wanted, sentences, terms, lambda t: idf(t) or 0.0, 0.5)
    assert typed_evidence(None, [], terms, lambda t: 1.0, 0.5)
    assert typed_evidence(re.compile(r"\d"), [("3개", set())], [], lambda t: 1.0, 0.5)
