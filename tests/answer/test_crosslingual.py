"""Cross-lingual questions: the language vote, sentence candidates and dense-first fusion."""

from __future__ import annotations

import numpy as np

from answer.crosslingual import best_sentence_rows, dense_first, passages_language
from answer.glossary import Glossary
from answer.retrieval import (
    Bm25Retriever,
    DenseRetriever,
    HybridRetriever,
    QueryEncoder,
    load_glossary,
)
from index.builder import build_index
from ingest.chunking import ChunkerConfig
from reportqa.settings import Settings
from reportqa.types import Document
from tests.answer.test_glossary_mined import HashEmbedder

LANG = {0: "en", 1: "ko", 2: "ko", 3: "ko", 4: "ko", 5: "en"}


def test_one_english_best_match_is_outvoted_by_korean_ones() -> None:
    ranking = [(r, 0.9 - r / 100) for r in range(5)]
    assert passages_language("What does the guide say?", ranking, LANG.__getitem__) == "ko"
    # The best match alone would have said English.
    assert passages_language("What does the guide say?", ranking, LANG.__getitem__, votes=1) == "en"


def test_two_own_language_passages_among_five_keep_the_question_in_its_language() -> None:
    # A bilingual collection: the English summary gives two of the best five (sample en-005).
    ranking = [(0, 0.83), (1, 0.83), (2, 0.82), (5, 0.81), (3, 0.80)]
    assert passages_language("List the three strategies.", ranking, LANG.__getitem__) == "en"
    one = [(0, 0.83), (1, 0.83), (2, 0.82), (3, 0.81), (4, 0.80)]  # a single English passage
    assert passages_language("List the three strategies.", one, LANG.__getitem__) == "ko"


def test_a_split_vote_keeps_the_questions_language_and_no_ranking_too() -> None:
    ranking = [(0, 0.9), (1, 0.8), (5, 0.7), (2, 0.6)]  # two English, two Korean
    assert passages_language("What does the guide say?", ranking, LANG.__getitem__) == "en"
    assert passages_language("지침은 무엇인가?", ranking, LANG.__getitem__) == "ko"
    assert passages_language("What does the guide say?", [], LANG.__getitem__) == "en"


def test_passages_rank_by_their_best_sentence() -> None:
    # Passage 0: two middling sentences; passage 1: one sentence right on the query; passage 2: none.
    vectors = np.array([[0.6, 0.8], [0.8, 0.6], [1.0, 0.0]], dtype=np.float16)
    offsets = np.array([0, 2, 3, 3])
    rows = best_sentence_rows(vectors, offsets, np.array([1.0, 0.0], dtype=np.float32), 5)
    assert [r for r, _ in rows] == [1, 0]
    assert rows[0][1] > 0.99 and abs(rows[1][1] - 0.8) < 1e-2
    assert best_sentence_rows(np.zeros((0, 2)), np.zeros(1), np.ones(2), 5) == []
    assert best_sentence_rows(vectors, offsets, np.ones(2), 0) == []


DOCS = [
    Document(
        "terms.md", "용어", "/terms.md",
        "용어 정의. 탬퍼 대응(tamper response)은 물리적 침입에 반응하는 기능이다.",
        meta={"content_hash": "x1"},
    ),
    Document(
        "body.md", "본문", "/body.md",
        "덮개가 열리면 탬퍼 대응 기능이 모든 키를 즉시 지운다. 이 절차는 매년 점검한다.",
        meta={"content_hash": "x2"},
    ),
    Document(
        "manual.en.md", "Manual", "/manual.en.md",
        "What does the product erase when the cover opens? The product manual answers in English.",
        meta={"content_hash": "x3"},
    ),
    *(
        Document(f"k{i}.md", f"기타 {i}", f"/k{i}.md", f"예산은 해마다 늘어난다. 인력 양성 과정 {i}번은 운영된다.",
                 meta={"content_hash": f"k{i}"})
        for i in range(4)
    ),
]


def test_the_translated_route_runs_when_an_english_passage_of_another_document_wins_the_dense_match() -> None:
    index, _ = build_index(DOCS, HashEmbedder(), ChunkerConfig())
    settings = Settings(bundled_glossary=False)
    glossary = load_glossary(settings, index)  # the term mined from terms.md
    encode = QueryEncoder(HashEmbedder())
    dense = DenseRetriever(index, encode)
    question = "What does the tamper response erase when the cover opens?"
    top = dense.rank(question, 5)
    assert index.chunks[top[0][0]].doc_id == "manual.en.md"  # the English manual wins the dense match
    retriever = HybridRetriever(dense, Bm25Retriever(index, glossary), candidates=10)
    assert retriever.is_cross_lingual(question, top)
    def fused(r: HybridRetriever) -> dict[str, float]:
        return {h.chunk.doc_id: h.score for h in r.retrieve(question, 5)}

    # The passage that writes the Korean term only (no English, no shared words) is reached
    # through the mined term: it ranks above every unrelated Korean passage.
    scores = fused(retriever)
    assert scores["body.md"] > 0
    assert all(scores["body.md"] > v for d, v in scores.items() if d.startswith("k"))
    # With the best match's language deciding (one vote), the English question counts as asked
    # in the corpus's language, its translation is weighted glossary_weight_own (0), and the
    # Korean passage gets nothing from it.
    one_vote = HybridRetriever(dense, Bm25Retriever(index, glossary), candidates=10, language_votes=1)
    assert not one_vote.is_cross_lingual(question, top)
    assert fused(one_vote).get("body.md", 0.0) == 0.0


def test_a_translation_covering_little_of_the_question_leans_dense_first() -> None:
    glossary = Glossary()
    glossary.add_terms([("탬퍼 대응", "tamper response"), ("암호 경계", "cryptographic boundary")])
    # Two content words of five ("what", "does", "the", "when" are no content); then the Korean
    # side, two index terms of three.
    assert glossary.coverage("What does the tamper response erase when the cover opens?") == 2 / 5
    assert glossary.coverage("Where is the cryptographic boundary?") == 1.0
    assert glossary.coverage("What is it?") == 0.0
    assert glossary.coverage("탬퍼 대응은 언제 동작하나요?") == 2 / 3
    assert glossary.coverage("예산은 얼마인가요?") == 0.0
    assert dense_first(0.0, 0.15, 0.3) == 1.0 and dense_first(0.4, 0.15, 0.3) == 0.0
    assert abs(dense_first(0.225, 0.15, 0.3) - 0.5) < 1e-9


def test_a_size_length_or_duration_question_asks_for_a_number() -> None:
    from answer.extractive import _NUMBER, answer_type

    assert answer_type("In the example, how long is the session key that gets generated?") is _NUMBER
    assert answer_type("How big is the integrity value appended to the module?") is _NUMBER
    assert answer_type("What size of RAM is required?") is _NUMBER
    assert answer_type("Who distributes the configuration?") is None
