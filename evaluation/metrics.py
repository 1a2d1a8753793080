"""Retrieval and answer metrics. Pure functions over ranks, strings and flags."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence

_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_SPACE = re.compile(r"\s+")


def hit_at_k(relevant: Sequence[bool], k: int) -> float:
    """1.0 when any of the first ``k`` results is relevant."""
    return 1.0 if any(relevant[:k]) else 0.0


def recall_at_k(covered_by_rank: Sequence[set[int]], n_targets: int, k: int) -> float:
    """Share of ``n_targets`` gold targets (evidence pieces) covered by the first ``k`` results.

    ``covered_by_rank[i]`` holds the targets result ``i`` covers.
    """
    if n_targets <= 0:
        return 0.0
    covered: set[int] = set()
    for targets in covered_by_rank[:k]:
        covered |= targets
    return len(covered) / n_targets


def mrr_at_k(relevant: Sequence[bool], k: int = 10) -> float:
    """Reciprocal rank of the first relevant result within ``k`` (0 when none)."""
    for i, rel in enumerate(relevant[:k]):
        if rel:
            return 1.0 / (i + 1)
    return 0.0


def ndcg_at_k(relevant: Sequence[bool], n_relevant_total: int, k: int = 10) -> float:
    """Binary-relevance nDCG@k; the ideal ranking puts all relevant items (up to ``k``) first."""
    dcg = sum(1.0 / math.log2(i + 2) for i, rel in enumerate(relevant[:k]) if rel)
    ideal_n = min(max(n_relevant_total, sum(bool(r) for r in relevant[:k])), k)
    idcg = sum(1.0 / math.log2(i + 2) for i in range(ideal_n))
    return dcg / idcg if idcg else 0.0


def normalize_answer(text: str) -> str:
    """NFC, lower case, punctuation dropped, spaces collapsed (KorQuAD/SQuAD style)."""
    text = unicodedata.normalize("NFC", text).lower()
    text = _PUNCT.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    """Whether any gold answer occurs in ``text`` after normalisation (spaces ignored)."""
    hay = normalize_answer(text).replace(" ", "")
    return any(normalize_answer(a).replace(" ", "") in hay for a in answers if a.strip())


def token_f1(prediction: str, gold: str, tokenize: Callable[[str], Sequence[str]]) -> float:
    """Token-overlap F1 between ``prediction`` and ``gold`` under ``tokenize``."""
    pred = Counter(tokenize(prediction))
    ref = Counter(tokenize(gold))
    common = sum((pred & ref).values())
    if common == 0:
        return 0.0
    precision = common / sum(pred.values())
    recall = common / sum(ref.values())
    return 2 * precision * recall / (precision + recall)


def best_f1(
    prediction: str, answers: Sequence[str], tokenize: Callable[[str], Sequence[str]]
) -> float:
    """The best token F1 of ``prediction`` against any gold answer."""
    return max((token_f1(prediction, a, tokenize) for a in answers), default=0.0)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by linear interpolation; 0 for no values."""
    if not values:
        return 0.0
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)
