"""The question-answering pipeline: question → retrieve → generate → cited Answer.

The one public entry point for every front end (CLI, Gradio UI, HTTP API, evaluation).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from answer.citations import claims_by_marker, renumber_citations, support_spans
from answer.extractive import ExtractiveGenerator, term_coverage
from answer.messages import message
from answer.retrieval import QueryEncoder, make_retriever
from index.embedders import embedder_from_settings
from index.store import ReportIndex, open_index
from ingest.korean import add_user_words, content_terms
from reportqa.errors import ConfigError, EmptyQuestionError
from reportqa.language import detect_language
from reportqa.protocols import Embedder, Generator
from reportqa.settings import Settings
from reportqa.types import Answer, Citation, Hit

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000


class QAPipeline:
    """Answers questions over one index. Cheap to construct; the index and models load on first use."""

    def __init__(
        self,
        settings: Settings,
        index: ReportIndex | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.settings = settings
        self._index = index
        self._embedder = embedder
        self._lock = threading.Lock()
        self._ready = False

    def _load(self) -> None:
        with self._lock:
            if self._ready:
                return
            if self._embedder is None:
                self._embedder = embedder_from_settings(self.settings)
            if self._index is None:
                self._index = open_index(self.settings.resolved_index_dir, self._embedder.name)
            index, embedder = self._index, self._embedder
            # Questions must be tokenised with the dictionary the BM25 index was built with.
            add_user_words([tuple(t) for t in index.manifest["keyword"].get("user_terms", [])])
            self.encode = QueryEncoder(embedder)
            self.retriever = make_retriever(index, self.encode, self.settings)
            self.generator: Generator = self._make_generator(index)
            self._ready = True

    def _make_generator(self, index: ReportIndex) -> Generator:
        spec = self.settings.generator
        if spec == "extractive":
            rows = {c.id: i for i, c in enumerate(index.chunks)}
            return ExtractiveGenerator(
                lambda hit: index.sentence_vectors_of(rows[hit.chunk.id]),
                self.encode,
                index.keyword.idf,
                self.settings.answer_max_sentences,
            )
        raise ConfigError(f"unknown generator {spec!r}; available: extractive")

    @property
    def index(self) -> ReportIndex:
        self._load()
        assert self._index is not None
        return self._index

    def retrieve(self, question: str, top_k: int | None = None) -> list[Hit]:
        """The top passages for ``question`` (after validation)."""
        self._load()
        return self.retriever.retrieve(_validate(question), top_k or self.settings.top_k)

    def is_relevant(self, question: str, hits: Sequence[Hit]) -> bool:
        """Whether the best hits plausibly answer ``question`` (else: say "not found")."""
        if not hits:
            return False
        best_cos = max(h.scores_by_retriever.get("dense", -1.0) for h in hits)
        if best_cos < 0:  # bm25-only mode: compute the cosine of the top passage
            row = self.index.chunks.index(hits[0].chunk)
            best_cos = float(self.index.vectors.reconstruct(row) @ self.encode(question))
        terms = content_terms(question)
        coverage = max(
            term_coverage(terms, set(content_terms(h.chunk.text)), self.index.keyword.idf)
            for h in hits[:3]
        )
        return judge_relevance(best_cos, coverage, detect_language(question), self.settings)

    def ask(
        self, question: str, history: Sequence[tuple[str, str]] = (), top_k: int | None = None
    ) -> Answer:
        """Answer ``question`` with ``[n]`` markers and the citations they point at."""
        question = _validate(question)
        language = detect_language(question)
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        self._load()
        timings["load"] = (time.perf_counter() - t0) * 1000

        t1 = time.perf_counter()
        hits = self.retriever.retrieve(question, top_k or self.settings.top_k)
        relevant = self.is_relevant(question, hits)
        timings["retrieve"] = (time.perf_counter() - t1) * 1000
        if not relevant:
            timings["total"] = (time.perf_counter() - t0) * 1000
            key = "empty_index" if not self.index.chunks else "not_found"
            return Answer(message(key, language), language, (), True, None, timings)

        t2 = time.perf_counter()
        raw = "".join(self.generator.generate(question, hits, history))
        text, order = renumber_citations(raw, len(hits))
        claims = claims_by_marker(text)
        citations = tuple(
            Citation(
                n=n,
                chunk=hits[old - 1].chunk,
                score=hits[old - 1].scores_by_retriever.get("dense", hits[old - 1].score),
                sentence_spans=support_spans(hits[old - 1].chunk, claims.get(n, []), content_terms),
            )
            for n, old in enumerate(order, start=1)
        )
        timings["answer"] = (time.perf_counter() - t2) * 1000
        timings["total"] = (time.perf_counter() - t0) * 1000
        return Answer(text, language, citations, not citations, None, timings)


def judge_relevance(cosine: float, coverage: float, language: str, settings: Settings) -> bool:
    """The calibrated relevance gate (see ``Settings.min_score_*``). Pure."""
    threshold = settings.min_score_ko if language == "ko" else settings.min_score_en
    if cosine >= threshold:
        return True
    return cosine >= settings.min_score_with_terms and coverage >= settings.min_term_coverage


def _validate(question: str) -> str:
    question = (question or "").strip()
    if not question:
        raise EmptyQuestionError()
    if len(question) > MAX_QUESTION_CHARS:
        raise ConfigError(
            f"The question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}. "
            "Ask a shorter question."
        )
    return question
