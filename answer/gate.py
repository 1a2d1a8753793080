"""The relevance gate: answer, or say the documents do not hold it. Pure functions.

The gate sees a few features of a question and its retrieved passages (:class:`GateFeatures`) and
decides with thresholds from ``Settings`` (calibrated by ``benchmarks/calibrate_gate.py``):

- ``cosine``: the best passage's dense cosine. e5 cosines of unrelated text sit high (0.75–0.83),
  so it separates off-topic questions, not on-topic ones the documents cannot answer;
- ``coverage``: the idf-weighted share of the question's content terms held by one of the top
  passages — an on-topic question usually shares the topic's words but misses the asked-for one
  (수수료, 매출액, 배당금);
- ``typed``: when the question asks for a date or a number, whether a sentence of the top passages
  that shares the question's words holds one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from answer.tuning import GATE_BIAS, GATE_WEIGHTS
from reportqa.settings import Settings


@dataclass(frozen=True)
class GateFeatures:
    """What the gate knows about a question and its best passages."""

    language: str
    cross_lingual: bool  # the best passage is in another language than the question
    cosine: float
    coverage: float
    asks_type: bool = False  # the question asks for a date or a number
    typed: bool = True  # ...and a sentence near its words holds one (True when it asks neither)
    # Richer evidence (benchmarks/calibrate_gate.py weighs them; defaults: no evidence either way).
    margin: float = 0.0  # best passage cosine minus the second best
    sentence_cosine: float = 0.0  # the best stored sentence's cosine among the top passages
    sentence_coverage: float = 0.0  # the most of the question's weighted terms one sentence holds
    bm25_sure: float = 0.0  # the best BM25 score over the most any passage could score
    unseen: float = 0.0  # idf-weighted share of the question's terms no passage holds at all
    missing: float = 0.0  # idf-weighted share of its terms none of the top passages holds
    salient_missing: float = 0.0  # the rarest term none of them holds, over the rarest term's idf
    typed_coverage: float = 1.0  # the most of its terms a sentence of the asked-for type holds


# "몇 개", "몇 년", "몇 명": the unit a count question asks in belongs to the answer ("10대 과제",
# "7 년"), not to the topic, so the text need not hold it for the question to be on topic.
_ASKED_UNIT = re.compile(r"몇\s?([가-힣]{1,2})")


def topic_terms(question: str, terms: Sequence[str]) -> list[str]:
    """``terms`` without the unit a count question asks in ("몇 개인가" → no "개"). Pure."""
    units = {m.group(1)[:1] for m in _ASKED_UNIT.finditer(question)} | {
        m.group(1) for m in _ASKED_UNIT.finditer(question)
    }
    kept = [t for t in terms if t not in units]
    return kept or list(terms)


def typed_coverage(
    wanted: re.Pattern[str] | None,
    sentences: Sequence[tuple[str, set[str]]],
    question_terms: Sequence[str],
    idf: Callable[[str], float],
) -> float:
    """The most of the question's idf-weighted terms a sentence holding the asked-for type
    (``wanted``) holds: 0 when none holds it, 1 when the question asks for no type. Pure."""
    if wanted is None:
        return 1.0
    unique = list(dict.fromkeys(question_terms))
    total = sum(idf(t) for t in unique)
    best = 0.0
    for text, terms in sentences:
        if wanted.search(text):
            best = max(best, 1.0 if total <= 0 else sum(idf(t) for t in unique if t in terms) / total)
    return best


def typed_evidence(
    wanted: re.Pattern[str] | None,
    sentences: Sequence[tuple[str, set[str]]],
    question_terms: Sequence[str],
    idf: Callable[[str], float],
    min_share: float,
) -> bool:
    """Whether some sentence holds the asked-for type (``wanted``) and at least ``min_share`` of
    the question's idf-weighted terms; True when the question asks for no type. Pure."""
    if wanted is None:
        return True
    unique = list(dict.fromkeys(question_terms))
    total = sum(idf(t) for t in unique)
    for text, terms in sentences:
        if not wanted.search(text):
            continue
        if total <= 0 or sum(idf(t) for t in unique if t in terms) / total >= min_share:
            return True
    return False


def model_inputs(f: GateFeatures) -> dict[str, float]:
    """The logistic gate's inputs (names as in :data:`GATE_WEIGHTS`). Pure."""
    asked = float(f.asks_type and not f.cross_lingual)  # typed evidence is not sought across languages
    return {
        "cosine": f.cosine,
        "sentence_cosine": f.sentence_cosine,
        "coverage": f.coverage,
        "sentence_coverage": f.sentence_coverage,
        "margin": f.margin,
        "bm25_sure": f.bm25_sure,
        "unseen": f.unseen,
        "missing": f.missing,
        "salient_missing": f.salient_missing,
        "asks_type": asked,
        "typed_coverage": asked * f.typed_coverage,
        "english": float(f.language == "en"),
        "cross_lingual": float(f.cross_lingual),
    }


def answer_probability(
    features: GateFeatures,
    weights: Mapping[str, float] | None = None,
    bias: float = GATE_BIAS,
) -> float:
    """The logistic gate's probability that the passages answer the question. Pure."""
    weights = GATE_WEIGHTS if weights is None else weights
    z = bias + sum(weights.get(k, 0.0) * v for k, v in model_inputs(features).items())
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def judge(features: GateFeatures, settings: Settings) -> bool:
    """True when the question should be answered from its passages. Pure.

    ``settings.gate`` "model" (the default): within a language :func:`answer_probability` must
    reach ``gate_min_probability``, and below ``gate_sure_probability`` the thresholds rule must
    agree; across languages the thresholds rule decides. "thresholds" (the former rule alone):
    within a language: the cosine must reach ``min_score_<lang>``, or ``min_score_with_terms``
    with ``min_term_coverage``; across languages the ``_cross`` thresholds apply (coverage then
    counts the question's translation). A question asking for a date or number with no sentence
    holding one near its words is refused unless its cosine reaches ``min_score_typed_override``.
    """
    if settings.gate == "model" and not features.cross_lingual:
        # Across languages the thresholds rule alone decides: the model saw 26 such answerable
        # rows, and refused 0.60 of Korean questions on an English-only index (rule: 0.13).
        p = answer_probability(features)
        if p < settings.gate_min_probability:
            return False
        if p >= settings.gate_sure_probability:
            return True
        # Below it the model cannot tell an off-topic question from a chatty on-topic one (both
        # share few words with the passages); the thresholds rule decides.
    return _thresholds(features, settings)


def _thresholds(features: GateFeatures, settings: Settings) -> bool:
    f = features
    if f.cross_lingual:
        ok = f.cosine >= settings.min_score_cross or (
            f.cosine >= settings.min_score_cross_with_terms
            and f.coverage >= settings.min_term_coverage
        )
    else:
        threshold = settings.min_score_ko if f.language == "ko" else settings.min_score_en
        ok = f.cosine >= threshold or (
            f.cosine >= settings.min_score_with_terms and f.coverage >= settings.min_term_coverage
        )
    if ok and f.asks_type and not f.typed:
        ok = f.cosine >= settings.min_score_typed_override
    return ok
