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


def test_confidence_fusion_lets_a_sure_bm25_lead_and_a_weak_one_defer() -> None:
    from answer.fusion import confidence_fusion

    dense = {1: 0.90, 2: 0.85}
    # BM25 matched every question term in row 2 (best score = ceiling): it leads
    sure = confidence_fusion(dense, {2: 10.0, 1: 2.0}, bm25_ceiling=10.0)
    assert sure[0][0] == 2
    # the same BM25 ranking with a weak best match (a paraphrase): the dense order stands
    weak = confidence_fusion(dense, {2: 1.0, 1: 0.2}, bm25_ceiling=10.0)
    assert weak[0][0] == 1
    # no BM25 match at all (a cross-lingual question): pure dense order, rows from dense only
    assert [r for r, _ in confidence_fusion(dense, {}, bm25_ceiling=5.0)] == [1, 2]
    # a row only BM25 found counts as cosine at the floor: it scores its BM25 part alone
    only_bm25 = dict(confidence_fusion({1: 0.7}, {3: 10.0}, bm25_ceiling=10.0))
    assert only_bm25[3] == pytest.approx(0.7) and only_bm25[1] == pytest.approx(0.0)


def test_a_fallback_lexical_run_counts_by_its_weight_and_only_where_the_question_was_unsure() -> None:
    from answer.fusion import confidence_fusion, lexical_confidence

    dense = {1: 0.80, 2: 0.80}
    # the question's own words found nothing (a cross-lingual question); its translation fully
    # matches row 2: row 2 leads, by the fallback weight
    fused = dict(confidence_fusion(dense, {}, 5.0, fallback_lexical=[({2: 4.0}, 4.0)], fallback_weight=0.5))
    d = (0.80 - 0.7) / 0.3 * 0.3
    assert fused[2] == pytest.approx(0.7 * 0.5 + d) and fused[1] == pytest.approx(d)
    # the own words matched row 1 at the ceiling (confidence 1): the translation adds nothing
    sure = dict(confidence_fusion(dense, {1: 5.0}, 5.0, fallback_lexical=[({2: 4.0}, 4.0)], fallback_weight=1.0))
    assert sure[2] == pytest.approx(d) and sure[1] == pytest.approx(0.7 + d)
    # half-sure own words: the translation counts × (1 − confidence)
    conf, view = lexical_confidence({1: 2.5}, 5.0, power=1.0)
    assert conf == pytest.approx(0.5) and view == {1: pytest.approx(0.5)}
    half = dict(confidence_fusion(dense, {1: 2.5}, 5.0, power=1.0, fallback_lexical=[({2: 4.0}, 4.0)], fallback_weight=1.0))
    assert half[2] == pytest.approx(0.7 * 0.5 + d)
    assert lexical_confidence({}, 5.0) == (0.0, {})


def test_passage_cosine_mixes_in_the_best_sentence() -> None:
    from answer.fusion import passage_cosine

    assert passage_cosine(0.78, [0.74, 0.86, 0.70], 0.4) == pytest.approx(0.6 * 0.78 + 0.4 * 0.86)
    # no sentence vectors (an empty passage) or share 0: the passage's own cosine
    assert passage_cosine(0.78, [], 0.4) == 0.78
    assert passage_cosine(0.78, [0.9], 0.0) == 0.78
    # a passage whose one sentence answers overtakes a uniformly close one
    diluted = passage_cosine(0.76, [0.72, 0.88], 0.4)
    uniform = passage_cosine(0.79, [0.79, 0.78], 0.4)
    assert diluted > uniform


def test_phrase_matches_add_a_held_compound_to_the_score_and_every_compound_to_the_ceiling() -> None:
    from answer.fusion import phrase_matches

    texts = {1: "[우분투리눅스20.04엔트로피잡음원]", 2: "음원파일과잡스케줄러", 3: "잡음원목록"}
    scores, ceiling = phrase_matches({2: 5.0, 3: 1.0}, texts, [("우분투", 4.0), ("잡음원", 3.0)], 1.5)
    assert scores == {1: (4.0 + 3.0) * 1.5, 2: 5.0, 3: 1.0 + 3.0 * 1.5}
    assert ceiling == (4.0 + 3.0) * 1.5
    assert phrase_matches({2: 5.0}, texts, [], 1.5) == ({2: 5.0}, 0.0)
