"""Sentence terms computed at ingest are stored with the chunks and used when answering."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np

from answer.extractive import chunk_terms, score_sentences
from index.store import open_index, save_index
from reportqa.language import content_terms
from reportqa.types import Chunk, Hit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "index"))
from index_helpers import tiny_index


def test_ingest_stores_each_sentences_terms_and_they_survive_save_and_load(tmp_path: Path) -> None:
    index = tiny_index()
    for chunk in index.chunks:
        assert chunk.sentence_terms == tuple(content_terms(t) for t in chunk.sentence_texts())
    assert any("이차전지" in terms for c in index.chunks for terms in c.sentence_terms)
    save_index(index, tmp_path)
    loaded = open_index(tmp_path, "hash-test")
    assert [c.sentence_terms for c in loaded.chunks] == [c.sentence_terms for c in index.chunks]


def _chunk(terms: tuple[tuple[str, ...], ...] = ()) -> Chunk:
    text = "경기도는 이차전지 거점이다. 평택에 클러스터를 조성한다."
    return Chunk("d#0", "d", "D", "/d", text, 0, len(text), sentences=((0, 15), (16, len(text))), sentence_terms=terms)


def test_answer_scoring_uses_the_stored_terms_and_falls_back_to_tokenising() -> None:
    def coverage(chunk: Chunk) -> list[float]:
        vectors = np.zeros((2, 4), dtype=np.float32)
        hit = Hit(chunk, 1.0, {"dense": 0.9})
        found = score_sentences(["평택"], np.zeros(4, dtype=np.float32), [hit], [vectors], lambda t: 1.0)
        return [c.coverage for c in found]

    assert coverage(_chunk()) == [0.0, 1.0]  # no stored terms (an older index): tokenised now
    # stored terms win over the text (here deliberately different, to see which is used)
    assert coverage(_chunk((("평택",), ("클러스터",)))) == [1.0, 0.0]


def test_chunk_terms_is_the_union_of_stored_sentence_terms_else_the_texts_terms() -> None:
    assert chunk_terms(_chunk((("a", "b"), ("b", "c")))) == {"a", "b", "c"}
    plain = _chunk()
    assert chunk_terms(plain) == set(content_terms(plain.text))
    assert chunk_terms(dataclasses.replace(plain, sentence_terms=())) == set(content_terms(plain.text))


def test_near_ties_in_retrieval_share_a_rank_for_the_rank_prior() -> None:
    from answer.extractive import tie_aware_ranks

    assert tie_aware_ranks([0.104, 0.103, 0.09, 0.089, 0.05]) == [0, 0, 2, 2, 4]
    assert tie_aware_ranks([0.5, 0.4, 0.3], tie=0.0) == [0, 1, 2]
    assert tie_aware_ranks([]) == []
    # order is retrieval order: a later hit scoring more (MMR, a reranker) does not outrank
    assert tie_aware_ranks([0.3, 0.5]) == [0, 0]


def test_the_better_sentence_of_a_near_tied_passage_answers() -> None:
    from answer.extractive import select_sentences

    def chunk(doc: str, text: str) -> Chunk:
        return Chunk(f"{doc}#0", doc, doc, f"/{doc}", text, 0, len(text), sentences=((0, len(text)),), sentence_terms=(("인력",),))

    question = np.array([1.0, 0.0], dtype=np.float32)
    weaker = np.array([[0.80, 0.6]], dtype=np.float32)  # cosine 0.80
    better = np.array([[0.82, 0.57]], dtype=np.float32)  # cosine 0.82

    from answer.extractive import RANK_TIE

    def best(first_score: float, tie: float = RANK_TIE) -> str:
        hits = [Hit(chunk("a", "전문인력 수급 여건이 좋다."), first_score, {}), Hit(chunk("b", "전문인력 양성 프로그램을 운영한다."), 0.103, {})]
        found = score_sentences(["인력"], question, hits, [weaker, better], lambda t: 1.0, rank_tie=tie)
        return select_sentences(found, max_sentences=1)[0].text

    assert best(0.104) == "전문인력 양성 프로그램을 운영한다."  # a near-tie: the better sentence wins
    assert best(0.200) == "전문인력 수급 여건이 좋다."  # a clear first passage keeps its prior
    assert best(0.104, tie=0.0) == "전문인력 수급 여건이 좋다."  # plain ranks (other score scales)


def test_near_ties_count_only_for_confidence_fusion_scores() -> None:
    from answer.extractive import RANK_TIE
    from answer.pipeline import rank_tie_for
    from reportqa.settings import Settings

    def tie(**overrides: object) -> float:
        return rank_tie_for(Settings.load(overrides, env={}))

    assert tie() == RANK_TIE
    # cosines (dense), BM25 scores, RRF scores and reranker logits are other scales: plain ranks
    assert tie(retrieval_mode="dense") == tie(retrieval_mode="bm25") == tie(fusion="rrf") == 0.0
    assert tie(reranker="some/cross-encoder") == 0.0


def test_questions_asking_for_a_date_or_number_are_recognised() -> None:
    from answer.extractive import _DATE, _NUMBER, answer_type

    assert answer_type("보고서는 언제 발표되었나요?") is _DATE
    assert answer_type("On what date did the report come out?") is _DATE
    assert answer_type("핵심과제는 전부 몇 개인가요?") is _NUMBER
    assert answer_type("총 예산은 얼마인가요?") is _NUMBER
    assert answer_type("How many core tasks are there?") is _NUMBER
    assert answer_type("얼마를 투입하나요?") is _NUMBER and answer_type("Which year does it start?") is _DATE
    assert answer_type("몇 년 동안 추진하나요?") is _NUMBER  # a duration: "5년" answers it
    # "which few aspects", "how stable", "who", "what happens when", "by year": none asked for
    assert answer_type("어떤 몇 가지 관점으로 나눠 봤나요?") is None
    assert answer_type("생태계는 얼마나 안정적인가요?") is None
    assert answer_type("Who heads GBSA?") is None
    assert answer_type("What happens when demand falls?") is None
    assert answer_type("연도별 추이는 어떤가요?") is None
    assert _NUMBER.search("발표된 것은 여섯 가지이며") and _NUMBER.search("the six main ones")
    assert _NUMBER.search("세 가지 전략") and _NUMBER.search("5년")
    for words in ("세계 배터리 시장", "미래 세대를 위한 투자", "열대 지역", "one of the tasks"):
        assert not _NUMBER.search(words), words
    assert _DATE.search("22 December 2025") and _DATE.search("2025년 12월 22일")
    assert not _DATE.search("The plan may help") and not _DATE.search("in March the plan")


def test_a_date_question_is_answered_by_a_dated_sentence_when_one_is_close() -> None:
    from answer.extractive import SentenceCandidate, prefer_answer_type, select_sentences

    def cand(text: str, score: float) -> SentenceCandidate:
        return SentenceCandidate(1, (0, len(text)), text, 0.8, 0.5, score)

    wordy = cand("이 자료는 발표된 내용을 바탕으로 요약한 것이다.", 0.70)
    dated = cand("보고서는 2025년 12월 22일에 공개되었다.", 0.55)
    question = "보고서는 언제 발표되었나요?"
    chosen = select_sentences([wordy, dated])
    assert chosen == [wordy]  # word overlap alone picks the wrong sentence
    assert prefer_answer_type(question, [wordy, dated], chosen) == [dated]
    # a dated sentence scoring far below the best does not displace it; other questions untouched
    weak = cand("2019년에 다른 일이 있었다.", 0.30)
    assert prefer_answer_type(question, [wordy, weak], [wordy]) == [wordy]
    assert prefer_answer_type("보고서를 만든 기관은?", [wordy, dated], chosen) == [wordy]
    # a chosen sentence that already holds a date stays, even if another scores close
    also_dated = cand("2026년에 후속 보고서가 나올 예정이다.", 0.75)
    assert prefer_answer_type(question, [also_dated, dated], [also_dated]) == [also_dated]
