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

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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


def judge(features: GateFeatures, settings: Settings) -> bool:
    """True when the question should be answered from its passages. Pure.

    Within a language: the cosine must reach ``min_score_<lang>``, or ``min_score_with_terms``
    with ``min_term_coverage``; across languages the ``_cross`` thresholds apply (coverage then
    counts the question's translation). A question asking for a date or number with no sentence
    holding one near its words is refused unless its cosine reaches ``min_score_typed_override``.
    """
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
