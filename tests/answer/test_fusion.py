from __future__ import annotations

import pytest

from answer.fusion import weighted_rrf


def test_rrf_rewards_agreement_between_retrievers() -> None:
    fused = weighted_rrf({"dense": [(1, 0.9), (2, 0.8)], "bm25": [(2, 9.0), (3, 5.0)]}, {}, k=60)
    assert [row for row, _ in fused] == [2, 1, 3]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)


def test_weights_shift_the_order_and_zero_weight_ignores_a_retriever() -> None:
    rankings = {"dense": [(1, 0.9)], "bm25": [(2, 3.0)]}
    assert weighted_rrf(rankings, {"dense": 1.0, "bm25": 2.0})[0][0] == 2
    assert weighted_rrf(rankings, {"dense": 2.0, "bm25": 1.0})[0][0] == 1
    assert weighted_rrf(rankings, {"dense": 1.0, "bm25": 0.0}) == [(1, pytest.approx(1 / 61))]
