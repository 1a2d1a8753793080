from __future__ import annotations

import math

import pytest

from evaluation.metrics import (
    best_f1,
    contains_answer,
    hit_at_k,
    mrr_at_k,
    ndcg_at_k,
    normalize_answer,
    percentile,
    recall_at_k,
    token_f1,
)
from evaluation.runner import answer_tokens

RANKS = [False, True, False, True]


def test_hit_mrr_ndcg_by_hand() -> None:
    assert hit_at_k(RANKS, 1) == 0.0 and hit_at_k(RANKS, 2) == 1.0
    assert mrr_at_k(RANKS, 10) == 0.5
    assert mrr_at_k(RANKS, 1) == 0.0
    # DCG = 1/log2(3) + 1/log2(5); ideal with 2 relevant = 1 + 1/log2(3)
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(RANKS, n_relevant_total=2, k=10) == pytest.approx(expected)
    # a third relevant passage exists in the index but was not retrieved: ideal grows
    assert ndcg_at_k(RANKS, n_relevant_total=3, k=10) < expected
    assert ndcg_at_k([False, False], 0, 10) == 0.0


def test_recall_counts_distinct_evidence_pieces() -> None:
    covered = [{0}, set(), {0, 1}, {2}]
    assert recall_at_k(covered, 3, 1) == pytest.approx(1 / 3)
    assert recall_at_k(covered, 3, 3) == pytest.approx(2 / 3)
    assert recall_at_k(covered, 3, 4) == 1.0
    assert recall_at_k(covered, 0, 4) == 0.0


def test_containment_ignores_spaces_punctuation_and_case() -> None:
    assert normalize_answer("  Hello,   WORLD! ") == "hello world"
    assert contains_answer("전략은 ‘이차전지 산업 거점 확보’이다.", ["이차전지산업 거점확보"])
    assert contains_answer("It was 1989.", ["1989"])
    assert not contains_answer("It was 1990.", ["1989"])
    assert not contains_answer("anything", [" "])


def test_token_f1_korean_aware() -> None:
    # particles and endings do not count: "경과원이" vs "경과원은"
    assert best_f1("경과원이 발간했다", ["경과원은 발간했다"], answer_tokens) == pytest.approx(1.0)
    f1 = token_f1("경과원이 2025년에 발간", "경과원", answer_tokens)
    assert 0 < f1 < 1
    assert token_f1("비트코인", "경과원", answer_tokens) == 0.0


def test_percentile_interpolates() -> None:
    assert percentile([10, 20, 30, 40], 50) == 25
    assert percentile([5], 95) == 5
    assert percentile([], 50) == 0.0
