"""The relevance gate's decision (pure): the logistic model, the former thresholds rule and the
typed evidence."""

from __future__ import annotations

import re

import pytest

from answer.extractive import answer_type
from answer.gate import (
    GateFeatures,
    answer_probability,
    judge,
    model_inputs,
    typed_coverage,
    typed_evidence,
)
from reportqa.errors import ConfigError
from reportqa.settings import Settings


def test_thresholds_per_language_and_across_languages() -> None:
    s = Settings(gate="thresholds", min_score_ko=0.84, min_score_with_terms=0.82, min_term_coverage=0.3)
    assert judge(GateFeatures("ko", False, 0.845, 0.0), s)
    assert not judge(GateFeatures("ko", False, 0.83, 0.0), s)
    assert judge(GateFeatures("ko", False, 0.83, 0.5), s)
    assert not judge(GateFeatures("ko", False, 0.81, 0.9), s)
    cross = s.replace(min_score_cross=0.8, min_score_cross_with_terms=0.755)
    assert judge(GateFeatures("en", True, 0.76, 0.5), cross)
    assert not judge(GateFeatures("en", True, 0.76, 0.1), cross)


def test_a_number_question_without_a_number_near_its_words_is_refused_below_the_override() -> None:
    s = Settings(gate="thresholds", min_score_ko=0.84, min_score_typed_override=0.9)
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


def _features(**kw: float) -> GateFeatures:
    base = dict(cosine=0.85, coverage=0.5, margin=0.01, sentence_cosine=0.86, sentence_coverage=0.5,
                bm25_sure=0.2, unseen=0.0, missing=0.5, salient_missing=0.5)
    base.update(kw)
    return GateFeatures("ko", False, **base)  # type: ignore[arg-type]


def test_the_model_answers_more_surely_with_more_evidence() -> None:
    weak = answer_probability(_features(sentence_cosine=0.83, coverage=0.2, sentence_coverage=0.2,
                                        missing=0.8, salient_missing=1.0, bm25_sure=0.05))
    strong = answer_probability(_features(sentence_cosine=0.92, coverage=1.0, sentence_coverage=1.0,
                                          missing=0.0, salient_missing=0.0, bm25_sure=0.5))
    assert 0.0 <= weak < strong <= 1.0
    s = Settings()
    assert s.gate == "model"
    assert judge(_features(sentence_cosine=0.92, coverage=1.0, sentence_coverage=1.0, missing=0.0,
                           salient_missing=0.0, bm25_sure=0.5), s)
    assert not judge(_features(sentence_cosine=0.80, cosine=0.80, coverage=0.0, sentence_coverage=0.0,
                               missing=1.0, salient_missing=1.0, bm25_sure=0.0), s)
    # The operating point is the setting: 0 answers everything, 1 nothing.
    assert judge(_features(), s.replace(gate_min_probability=0.0, gate_sure_probability=0.0))
    assert not judge(_features(), s.replace(gate_min_probability=1.0, gate_sure_probability=1.0))


def test_between_the_two_probabilities_the_thresholds_rule_decides() -> None:
    f = _features(cosine=0.83, coverage=0.0)  # the thresholds rule refuses it (ko needs 0.84)
    p = answer_probability(f)
    assert not judge(f, Settings(gate="thresholds"))
    assert not judge(f, Settings(gate_min_probability=p / 2, gate_sure_probability=min(1.0, p * 2)))
    assert judge(f, Settings(gate_min_probability=p / 2, gate_sure_probability=p))
    on_topic = _features(cosine=0.86, coverage=0.0)  # ...and answers this one
    q = answer_probability(on_topic)
    assert judge(on_topic, Settings(gate_min_probability=q / 2, gate_sure_probability=min(1.0, q * 2)))
    with pytest.raises(ConfigError, match="gate_min_probability"):
        Settings(gate_min_probability=0.5, gate_sure_probability=0.2)


def test_model_inputs_name_every_weighted_feature() -> None:
    from answer.gate import GATE_WEIGHTS

    assert set(GATE_WEIGHTS) == set(model_inputs(_features()))
    asked = model_inputs(GateFeatures("en", False, 0.8, 0.5, asks_type=True, typed_coverage=0.25))
    assert asked["asks_type"] == 1.0 and asked["typed_coverage"] == 0.25 and asked["english"] == 1.0
    # Typed evidence is not sought across languages: the question's type counts for nothing.
    across = model_inputs(GateFeatures("en", True, 0.8, 0.5, asks_type=True, typed_coverage=1.0))
    assert across["asks_type"] == 0.0 and across["typed_coverage"] == 0.0 and across["cross_lingual"] == 1.0


def test_typed_coverage_is_the_best_share_among_sentences_of_the_asked_type() -> None:
    idf = {"수수료": 3.0, "검증": 1.0}
    wanted = answer_type("검증 수수료는 얼마인가요?")
    sentences = [("검증은 2단계로 진행된다", {"검증", "단계"}), ("수수료는 별도 고지", {"수수료"})]
    assert typed_coverage(wanted, sentences, ["검증", "수수료"], lambda t: idf.get(t, 0.0)) == 0.25
    assert typed_coverage(wanted, sentences[1:], ["검증", "수수료"], lambda t: idf.get(t, 0.0)) == 0.0
    assert typed_coverage(None, [], ["검증"], lambda t: 1.0) == 1.0
