"""Retrievers over a ReportIndex: dense (FAISS), BM25 (Kiwi) and their weighted fusion."""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

import numpy as np

from answer.fusion import confidence_fusion, score_fusion, weighted_rrf
from answer.rerank import CrossEncoderReranker, mmr_select
from index.store import ReportIndex
from reportqa.protocols import Embedder, Reranker, Retriever
from reportqa.settings import Settings
from reportqa.types import Hit


class QueryEncoder:
    """Embeds questions once: a small LRU cache in front of ``embedder.embed_query``."""

    def __init__(self, embedder: Embedder, size: int = 256) -> None:
        self.embedder = embedder
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def __call__(self, question: str) -> np.ndarray:
        with self._lock:
            if question in self._cache:
                self._cache.move_to_end(question)
                return self._cache[question]
        vector = self.embedder.embed_query(question)
        with self._lock:
            self._cache[question] = vector
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return vector


class DenseRetriever:
    """Cosine similarity of the question's vector to every passage (exact FAISS search)."""

    name = "dense"

    def __init__(self, index: ReportIndex, encode: QueryEncoder) -> None:
        self.index = index
        self.encode = encode

    def rank(self, question: str, k: int) -> list[tuple[int, float]]:
        return self.index.vectors.search(self.encode(question), k)

    def retrieve(self, question: str, k: int) -> list[Hit]:
        return [
            Hit(self.index.chunks[row], score, {"dense": score})
            for row, score in self.rank(question, k)
        ]


class Bm25Retriever:
    """BM25 over Kiwi morphemes."""

    name = "bm25"

    def __init__(self, index: ReportIndex) -> None:
        self.index = index

    def rank(self, question: str, k: int) -> list[tuple[int, float]]:
        return self.index.keyword.search(question, k)

    def retrieve(self, question: str, k: int) -> list[Hit]:
        return [
            Hit(self.index.chunks[row], score, {"bm25": score})
            for row, score in self.rank(question, k)
        ]


class HybridRetriever:
    """Weighted RRF of dense and BM25 rankings over ``candidates`` each.

    Every hit carries both retrievers' scores when known (the dense cosine of a BM25-only hit is
    computed from its stored vector), since the answer step uses the cosine to decide relevance.
    """

    name = "hybrid"

    def __init__(
        self,
        dense: DenseRetriever,
        bm25: Bm25Retriever,
        dense_weight: float = 1.0,
        bm25_weight: float = 1.0,
        rrf_k: int = 60,
        candidates: int = 30,
        fusion: str = "confidence",
        confidence: tuple[float, float, float, float] = (0.7, 0.7, 0.3, 1.5),
    ) -> None:
        self.dense = dense
        self.bm25 = bm25
        self.weights = {"dense": dense_weight, "bm25": bm25_weight}
        self.rrf_k = rrf_k
        self.candidates = candidates
        self.fusion = fusion
        self.confidence = confidence  # bm25 share, cos floor, cos span, power

    def retrieve(self, question: str, k: int) -> list[Hit]:
        n = max(k, self.candidates)
        dense = self.dense.rank(question, n)
        bm25 = self.bm25.rank(question, n)
        index = self.dense.index
        qvec = self.dense.encode(question)
        # Every candidate gets its exact cosine (also those only BM25 found): fusion and the
        # relevance gate downstream both use it.
        cosines = dict(dense)
        for row, _ in bm25:
            if row not in cosines:
                cosines[row] = float(index.vectors.reconstruct(row) @ qvec)
        bm25_scores = dict(bm25)
        if self.fusion == "confidence":
            share, floor, span, power = self.confidence
            ceiling = index.keyword.ceiling(question)
            fused = confidence_fusion(cosines, bm25_scores, ceiling, share, floor, span, power)[:k]
        elif self.fusion == "score":
            share = self.weights["bm25"] / ((self.weights["bm25"] + self.weights["dense"]) or 1.0)
            fused = score_fusion(dict(dense), bm25_scores, share)[:k]
        else:
            fused = weighted_rrf({"dense": dense, "bm25": bm25}, self.weights, self.rrf_k)[:k]
        return [
            Hit(index.chunks[row], score, {"dense": cosines[row], "bm25": bm25_scores.get(row, 0.0), "fused": score})
            for row, score in fused
        ]


class RerankingRetriever:
    """Retrieves ``candidates`` passages with ``base`` and reorders them with ``reranker``."""

    def __init__(self, base: Retriever, reranker: Reranker, candidates: int = 20) -> None:
        self.base = base
        self.reranker = reranker
        self.candidates = candidates

    def retrieve(self, question: str, k: int) -> list[Hit]:
        hits = self.base.retrieve(question, max(k, self.candidates))
        return self.reranker.rerank(question, hits)[:k]


class MmrRetriever:
    """Drops near-identical passages and, with ``lambda_ < 1``, trades relevance for novelty."""

    def __init__(self, base: Retriever, index: ReportIndex, lambda_: float = 1.0, duplicate: float = 0.97) -> None:
        self.base = base
        self.index = index
        self.lambda_ = lambda_
        self.duplicate = duplicate
        self._rows = {c.id: i for i, c in enumerate(index.chunks)}

    def retrieve(self, question: str, k: int) -> list[Hit]:
        hits = self.base.retrieve(question, k * 2)
        if len(hits) <= 1:
            return hits[:k]
        vectors = np.vstack([self.index.vectors.reconstruct(self._rows[h.chunk.id]) for h in hits])
        scores = [h.score for h in hits]
        lo, hi = min(scores), max(scores)
        relevance = [(s - lo) / (hi - lo) if hi > lo else 1.0 for s in scores]
        return [hits[i] for i in mmr_select(relevance, vectors, k, self.lambda_, self.duplicate)]


def make_retriever(index: ReportIndex, encode: QueryEncoder, settings: Settings) -> Retriever:
    """The retrieval chain ``settings`` ask for: base mode, then reranker, then MMR."""
    dense = DenseRetriever(index, encode)
    retriever: Retriever
    if settings.retrieval_mode == "dense":
        retriever = dense
    elif settings.retrieval_mode == "bm25":
        retriever = Bm25Retriever(index)
    else:
        retriever = HybridRetriever(
            dense,
            Bm25Retriever(index),
            settings.dense_weight,
            settings.bm25_weight,
            settings.rrf_k,
            settings.candidates,
            settings.fusion,
            (settings.fusion_bm25_share, settings.fusion_cos_floor, settings.fusion_cos_span, settings.fusion_power),
        )
    if settings.reranker:
        retriever = RerankingRetriever(retriever, CrossEncoderReranker(settings.reranker), settings.rerank_candidates)
    if settings.mmr_lambda < 1.0 or settings.mmr_duplicate < 1.0:
        retriever = MmrRetriever(retriever, index, settings.mmr_lambda, settings.mmr_duplicate)
    return retriever
