"""BM25 over Kiwi morphemes: parameters, saturation, term runs, ceilings, and persistence."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.keyword import BM25_B, BM25_K1, KiwiBm25Index

PASSAGES = [
    "경기도는 이차전지 산업을 육성한다.",
    "이차전지 이차전지 이차전지 연구 클러스터와 테스트베드 플랫폼을 구축한다.",
    "사용 후 배터리 재활용 기술을 지원한다.",
]


def test_the_tuned_parameters_are_used_and_survive_save_and_load(tmp_path: Path) -> None:
    index = KiwiBm25Index.build(PASSAGES)
    index.save(tmp_path)
    loaded = KiwiBm25Index.load(tmp_path, len(PASSAGES))
    for bm25 in (index, loaded):
        assert (bm25._retriever.k1, bm25._retriever.b) == (BM25_K1, BM25_B)
    assert loaded.search("테스트베드 구축", 3) == index.search("테스트베드 구축", 3)
    # an index built with other values keeps them
    other = KiwiBm25Index.build(PASSAGES, k1=1.5, b=0.75)
    other.save(tmp_path / "other")
    assert KiwiBm25Index.load(tmp_path / "other", 3)._retriever.k1 == pytest.approx(1.5)


def test_low_k1_saturates_repeated_terms() -> None:
    # With k1 0.7 a passage repeating a term three times gains less over one mention than at 1.5.
    def ratio(k1: float) -> float:
        scores = dict(KiwiBm25Index.build(PASSAGES, k1=k1, b=0.0).search("이차전지", 3))
        return scores[1] / scores[0]

    assert 1.0 < ratio(0.7) < ratio(1.5)


def test_term_runs_and_ceilings_of_alternatives() -> None:
    index = KiwiBm25Index.build(PASSAGES)
    assert index.search_terms([], 3) == [] and index.search_terms(["없는말"], 3) == []
    assert index.search_terms(["테스트베드"], 3)[0][0] == 1
    one = index.ceiling_terms(["테스트베드"])
    both = index.ceiling_terms(["테스트베드", "이차전지"])
    assert both > one > 0
    # one group of two alternatives: the best alternative's ceiling, not their sum
    assert index.ceiling_groups([[("테스트베드",), ("이차전지",)]]) == pytest.approx(one)
    assert index.ceiling("테스트베드") == pytest.approx(one)


def test_terms_no_passage_contains_count_partly_in_the_ceiling() -> None:
    index = KiwiBm25Index.build(PASSAGES)
    assert index.contains("테스트베드") and not index.contains("궁금하다")
    seen = index.ceiling_terms(["테스트베드"])
    unseen = index.ceiling_terms(["궁금하다"])
    assert unseen > 0
    both = ["테스트베드", "궁금하다"]
    assert index.ceiling_terms(both) == pytest.approx(seen + unseen)
    assert index.ceiling_terms(both, unseen_weight=0.25) == pytest.approx(seen + 0.25 * unseen)
    assert index.ceiling_terms(both, unseen_weight=0.0) == pytest.approx(seen)
    assert index.ceiling("테스트베드가 궁금하다", 0.0) == pytest.approx(seen)


def test_a_repeated_question_term_counts_once_as_in_the_ceiling() -> None:
    # "상태 … 상태" once weighed 상태 twice in the search but once in the ceiling, so a passage
    # matching only the repeated term outranked one matching the question's other terms.
    index = KiwiBm25Index.build(PASSAGES)
    once = index.search("이차전지 연구", 3)
    assert index.search("이차전지 이차전지 연구", 3) == once
    assert index.ceiling("이차전지 이차전지 연구") == pytest.approx(index.ceiling("이차전지 연구"))
    assert index.search_terms(["이차전지", "이차전지"], 3)[0][1] > index.search_terms(["이차전지"], 3)[0][1]


def test_compound_nouns_are_runs_of_nominal_morphemes_without_a_space() -> None:
    from index.keyword import compound_nouns

    assert compound_nouns("우분투 잡음원 목록 10번은 뭐야?") == [("우분투", ("우분", "투")), ("잡음원", ("잡", "음원"))]
    assert [s for s, _ in compound_nouns("SEED 테스트벡터의 비밀키 값")] == ["테스트벡터", "비밀키"]
    assert compound_nouns("목록 10번은 뭐야?") == []  # single nouns and numbers are no compounds


def test_a_phrase_takes_the_joined_forms_idf_where_a_passage_holds_it_as_one_term() -> None:
    index = KiwiBm25Index.build(["[리눅스 엔트로피 잡음원]", "음원 파일과 잡 스케줄러", "목록"])
    assert index.contains("잡음원") and not index.contains("우분투")
    question = "우분투 잡음원 목록 10번은 뭐야?"  # Kiwi reads 우분 + 투 and 잡 + 음원 here
    # 잡음원: the joined form's idf; 우분투, which no passage holds whole: its rarest part's
    rarest = max(index.idf("우분"), index.idf("투"))
    assert dict(index.phrases(question, 3)) == {
        "잡음원": pytest.approx(index.idf("잡음원")), "우분투": pytest.approx(rarest)
    }
    assert index.phrases(question, 4) == []  # shorter than min_chars
