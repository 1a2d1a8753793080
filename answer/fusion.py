"""Rank fusion: pure functions over (row, score) rankings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
