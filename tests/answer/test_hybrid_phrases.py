"""Hybrid retrieval matches a question's compound nouns verbatim, whatever way Kiwi split them."""

from __future__ import annotations

from answer.retrieval import Bm25Retriever, DenseRetriever, HybridRetriever, QueryEncoder
from index.builder import build_index
from ingest.chunking import ChunkerConfig
from reportqa.language import content_terms
from reportqa.types import Document
from tests.index.index_helpers import CountingHashEmbedder

# A table caption where Kiwi reads 우분투 and 잡음원 as one noun each, and a passage that holds the
# pieces Kiwi cuts them into in the question (잡, 음원), with the question's other words.
TARGET = "[우분투 리눅스 20.04 64-bit 엔트로피 잡음원]\n10 — 설명: /dev/urandom"
DECOY = "음원 파일과 잡 스케줄러의 목록: 10번 항목을 등록한다."
QUESTION = "우분투 잡음원 목록 10번은 뭐야?"


def _top(phrase_weight: float) -> str:
    docs = [Document(f"{n}.md", f"문서{n}", f"/{n}.md", text, meta={"content_hash": str(n)})
            for n, text in enumerate([TARGET, DECOY])]
    embedder = CountingHashEmbedder()
    index, _ = build_index(docs, embedder, ChunkerConfig(max_tokens=200, overlap_tokens=0))
    retriever = HybridRetriever(
        DenseRetriever(index, QueryEncoder(embedder)), Bm25Retriever(index), phrase_weight=phrase_weight
    )
    return retriever.retrieve(QUESTION, 2)[0].chunk.text


def test_kiwi_splits_the_compounds_differently_in_the_question_and_the_caption() -> None:
    # the premise: the question's morphemes miss the caption's nouns, and the decoy holds them
    assert {"잡", "음원"} <= set(content_terms(QUESTION)) <= set(content_terms(DECOY)) | {"우분", "투", "뭐"}
    assert not {"잡", "음원", "우분", "투"} & set(content_terms(TARGET))


def test_the_caption_holding_the_compounds_verbatim_ranks_first_only_with_phrases() -> None:
    assert _top(0.0) == DECOY
    assert _top(1.0) == TARGET
