"""Rank fusion: pure functions over (row, score) rankings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

Ranking = Sequence[tuple[int, float]]


def weighted_rrf(
    rankings: Mapping[str, Ranking], weights: Mapping[str, float], k: int = 60
) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion: score(row) = Σ w_r / (k + rank_r(row)), rank from 1.

    Ties keep the order of first appearance, so fusion is deterministic.
    """
    fused: dict[int, float] = {}
    for name, ranking in rankings.items():
        weight = weights.get(name, 1.0)
        if weight == 0:
            continue
        for rank, (row, _score) in enumerate(ranking, start=1):
            fused[row] = fused.get(row, 0.0) + weight / (k + rank)
    return sorted(fused.items(), key=lambda item: -item[1])


def _minmax(values: Mapping[int, float]) -> dict[int, float]:
    if not values:
        return {}
    lo, hi = min(values.values()), max(values.values())
    span = hi - lo
    return {row: ((v - lo) / span if span > 0 else 1.0) for row, v in values.items()}


def score_fusion(
    dense: Mapping[int, float], bm25: Mapping[int, float], bm25_weight: float = 0.5
) -> list[tuple[int, float]]:
    """Convex combination of min-max normalised scores over the union of candidates.

    Rows missing from one mapping count as that retriever's minimum. Unlike RRF it keeps how
    far apart the scores are, so a retriever that is very sure of its top passage can outvote
    a flat ranking from the other.
    """
    rows = list(dict.fromkeys([*dense, *bm25]))
    d = _minmax(dense)
    b = _minmax(bm25)
    fused = {r: bm25_weight * b.get(r, 0.0) + (1 - bm25_weight) * d.get(r, 0.0) for r in rows}
    return sorted(fused.items(), key=lambda item: -item[1])


def passage_cosine(
    chunk_cosine: float, sentence_cosines: Sequence[float] | np.ndarray, sentence_share: float
) -> float:
    """A passage's dense evidence: its own cosine mixed with its best sentence's.

    One vector for a whole passage of a few hundred tokens dilutes the one sentence that answers
    a question; the stored sentence vectors recover it. ``sentence_share`` is the best sentence's part (0 →
    the passage vector alone); a passage without sentence vectors keeps its own cosine. Pure.
    """
    if not len(sentence_cosines) or sentence_share <= 0:
        return chunk_cosine
    best = float(np.max(sentence_cosines))
    return (1.0 - sentence_share) * chunk_cosine + sentence_share * best


def phrase_matches(
    bm25: Mapping[int, float], texts: Mapping[int, str], phrases: Sequence[tuple[str, float]], scale: float
) -> tuple[dict[int, float], float]:
    """BM25 scores with the question's compound nouns matched verbatim, and their ceiling part.

    ``phrases`` are (surface string, idf) pairs (``KiwiBm25Index.phrases``); ``texts`` the
    candidates' texts without whitespace, lower-cased. A candidate holding a phrase gains its
    idf × ``scale`` (one saturated term: idf·(k1 + 1)), and BM25's ceiling grows by as much per
    phrase, so a question whose compounds no candidate holds is no surer than before. Rows
    missing from ``bm25`` join it when they hold a phrase. Pure.
    """
    scores = dict(bm25)
    for phrase, idf in phrases:
        for row, text in texts.items():
            if phrase in text:
                scores[row] = scores.get(row, 0.0) + idf * scale
    return scores, sum(idf for _, idf in phrases) * scale


def lexical_confidence(bm25: Mapping[int, float], ceiling: float, power: float = 1.5) -> tuple[float, dict[int, float]]:
    """How sure BM25 is for this question, and each row's score over the best one times that.

    The sureness is the best score over ``ceiling`` (the score of a passage matching every
    question term at saturation), to ``power``. Pure.
    """
    best = max(bm25.values(), default=0.0)
    if best <= 0 or ceiling <= 0:
        return 0.0, {}
    confidence = min(1.0, best / ceiling) ** power
    return confidence, {r: (s / best) * confidence for r, s in bm25.items()}


def confidence_fusion(
    dense: Mapping[int, float],
    bm25: Mapping[int, float],
    bm25_ceiling: float,
    bm25_share: float = 0.7,
    cos_floor: float = 0.7,
    cos_span: float = 0.3,
    power: float = 1.5,
    fallback_lexical: Sequence[tuple[Mapping[int, float], float]] = (),
    fallback_weight: float = 0.5,
) -> list[tuple[int, float]]:
    """Dense and BM25 combined, BM25 weighted by how sure it is for this question.

    ``bm25_ceiling`` is the score a passage matching every question term at saturation would get
    (Σ idf·(k1+1)). The best BM25 score over that ceiling, to ``power``, scales the BM25 part: a
    question whose rare terms a passage matches (typical of Korean factoid questions) lets BM25
    lead; a paraphrase or a cross-lingual question, which BM25 matches weakly, leaves the order to
    the dense cosines (mapped from [cos_floor, cos_floor + cos_span] to [0, 1]). Rows missing
    from ``dense`` count as cosine ``cos_floor``.

    ``fallback_lexical``: (scores, ceiling) of BM25 runs of the question in other words (its
    glossary translation), weighted by ``fallback_weight`` (a translation is weaker evidence than
    the question's own words) and only as far as the question's own words were unsure
    (× (1 − their confidence)); a row keeps its best lexical part. Pure.
    """
    confidence, main = lexical_confidence(bm25, bm25_ceiling, power)
    views = [main]
    for scores, ceiling in fallback_lexical:
        _, view = lexical_confidence(scores, ceiling, power)
        views.append({r: v * fallback_weight * (1.0 - confidence) for r, v in view.items()})
    rows = list(dict.fromkeys([*dense, *(r for view in views for r in view)]))
    fused: dict[int, float] = {}
    for r in rows:
        cos = dense.get(r, cos_floor)
        d = min(1.0, max(0.0, (cos - cos_floor) / cos_span))
        b = max(view.get(r, 0.0) for view in views)
        fused[r] = bm25_share * b + (1 - bm25_share) * d
    return sorted(fused.items(), key=lambda item: -item[1])
