"""One answer over several collections (``collection: "*"``): their hits fused, then one generator.

Each collection's pipeline retrieves its own top passages and its own relevance gate judges them
(each index has its own idf and BM25 ceiling); the hits of the collections that pass are fused into
one ranked list (:func:`fuse_hits`) and one generator answers from that list, so the answer's
citations are numbered once and each names the collection its passage comes from.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from answer.citations import stream_generation
from answer.extractive import ExtractiveGenerator, with_list_continuations
from answer.fusion import weighted_rrf
from answer.generators import parse_generator_spec
from answer.messages import message
from answer.pipeline import QAPipeline, rank_tie_for
from answer.rewrite import rewrite_question
from reportqa.errors import EmptyQuestionError
from reportqa.language import content_terms, detect_language
from reportqa.protocols import Generator
from reportqa.settings import Settings
from reportqa.types import Answer, Chunk, Hit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Owned:
    """A hit and the collection whose index it comes from."""

    collection: str
    hit: Hit


def scores_comparable(settings: Settings) -> bool:
    """Whether hit scores mean the same in every index, so hits of several can be ranked by them.

    Confidence fusion maps cosines through a fixed window and BM25 through each question's own
    ceiling, dense scores are cosines, a cross-encoder scores (question, passage) pairs alone: all
    absolute. RRF, score fusion and BM25 alone normalise per index (the best hit of each is 1 or
    ranks first), so their hits are fused by rank instead. Pure.
    """
    if settings.reranker or settings.retrieval_mode == "dense":
        return True
    return settings.retrieval_mode == "hybrid" and settings.fusion == "confidence"


def fuse_hits(
    parts: Sequence[tuple[str, Sequence[Hit]]], k: int, by_score: bool, rrf_k: int = 60
) -> list[Owned]:
    """The hits of several collections as one ranked list of at most ``k``. Pure.

    ``by_score``: ordered by the hits' own scores (see :func:`scores_comparable`); else each
    collection's ranking counts alike in reciprocal-rank fusion (:func:`answer.fusion.weighted_rrf`).
    Ties keep the collections' order.
    """
    owned = [Owned(name, hit) for name, hits in parts for hit in hits]
    if by_score:
        ranked = sorted(range(len(owned)), key=lambda i: -owned[i].hit.score)
    else:
        rankings: dict[str, list[tuple[int, float]]] = {}
        start = 0
        for name, hits in parts:
            rankings[name] = [(start + r, h.score) for r, h in enumerate(hits)]
            start += len(hits)
        ranked = [row for row, _ in weighted_rrf(rankings, {}, rrf_k)]
    return [owned[i] for i in ranked[:k]]


class FusedPipeline:
    """The pipelines of several collections answering as one (module docstring).

    Offers what the front ends call on a pipeline (``ask``, ``ask_stream``, ``encode``,
    ``generator``); one instance answers one request, since :meth:`owners` reads its last hits.
    """

    def __init__(self, parts: Sequence[tuple[str, QAPipeline]]) -> None:
        if not parts:
            raise ValueError("FusedPipeline needs at least one (collection, pipeline)")
        self.parts = list(parts)
        self.first = parts[0][1]
        self.settings = self.first.settings
        self.hits: list[Owned] = []
        self._rows: dict[str, dict[str, int]] = {}

    @property
    def encode(self) -> Any:
        return self.first.encode

    @property
    def generator(self) -> Generator:
        return self.first.generator_for()

    def _pipeline(self, collection: str) -> QAPipeline:
        return next(p for name, p in self.parts if name == collection)

    def retrieve(self, question: str, top_k: int | None = None) -> list[Owned]:
        """Each collection's hits that its own gate finds relevant, fused (at most ``top_k``)."""
        k = top_k or self.settings.top_k
        found = []
        for name, pipeline in self.parts:
            hits = pipeline.retrieve(question, k)
            if pipeline.is_relevant(question, hits):
                found.append((name, hits))
        return fuse_hits(found, k, scores_comparable(self.settings), self.settings.rrf_k)

    def owners(self, answer: Answer) -> tuple[str, ...]:
        """The collection of each of ``answer``'s citations (from the hits it was written from)."""
        default = self.parts[0][0]
        return tuple(
            next((o.collection for o in self.hits if o.hit.chunk is c.chunk), default)
            for c in answer.citations
        )

    def _with_list_continuations(self, owned: list[Owned]) -> list[Owned]:
        """``owned`` plus the passage after each top hit that ends inside a list (from the hit's
        own index), each with its collection."""
        continued: dict[str, str] = {}

        def following(chunk: Chunk) -> Chunk | None:
            name = next(o.collection for o in owned if o.hit.chunk is chunk)
            nxt = self._pipeline(name).following(chunk)
            if nxt is not None:
                continued[nxt.id] = name
            return nxt

        hits = with_list_continuations([o.hit for o in owned], following)
        extra = [Owned(continued[h.chunk.id], h) for h in hits[len(owned):]]
        return [*owned, *extra]

    def _owner_of(self, hit: Hit) -> str:
        return next(o.collection for o in self.hits if o.hit is hit or o.hit.chunk is hit.chunk)

    def _sentence_vectors(self, hit: Hit) -> np.ndarray:
        name = self._owner_of(hit)
        index = self._pipeline(name).index
        if name not in self._rows:
            self._rows[name] = {c.id: i for i, c in enumerate(index.chunks)}
        return index.sentence_vectors_of(self._rows[name][hit.chunk.id])

    def _idf(self, term: str) -> float:
        """A term's idf: the mean over the collections the hits come from."""
        names = list(dict.fromkeys(o.collection for o in self.hits)) or [self.parts[0][0]]
        values = [self._pipeline(n).index.keyword.idf(term) for n in names]
        return float(sum(values) / len(values))

    def _generator(self) -> Generator:
        """The configured generator; the extractive one reads each hit's sentences from its own
        index (a pipeline's own extractive generator knows only its index's rows)."""
        kind, _ = parse_generator_spec(self.settings.generator)
        if kind != "extractive":
            return self.first.generator_for()
        return ExtractiveGenerator(
            self._sentence_vectors,
            self.first.encode,
            self._idf,
            self.settings.answer_max_sentences,
            self.first.translate,
            rank_tie_for(self.settings),
        )

    def ask(
        self, question: str, history: Sequence[tuple[str, str]] = (), top_k: int | None = None
    ) -> Answer:
        for event in self.ask_stream(question, history, top_k):
            if isinstance(event, Answer):
                return event
        raise AssertionError("ask_stream ended without an Answer")  # pragma: no cover

    def ask_stream(
        self, question: str, history: Sequence[tuple[str, str]] = (), top_k: int | None = None
    ) -> Iterator[str | Answer]:
        """As :meth:`QAPipeline.ask_stream`, over the fused hits of every collection."""
        question = (question or "").strip()
        if not question:
            raise EmptyQuestionError()
        language = detect_language(question)
        t0 = time.perf_counter()
        _ = self.first.index  # loads the first pipeline (its encoder, glossary, generator)
        gen = self._generator()
        standalone = question
        if history and self.settings.rewrite_questions:
            standalone = rewrite_question(
                question, history, content_terms, getattr(gen, "rewrite", None),
                lambda q: [o.hit.chunk.text for o in self.retrieve(q)],
            )
        t1 = time.perf_counter()
        self.hits = self.retrieve(standalone, top_k)
        timings = {"retrieve": (time.perf_counter() - t1) * 1000}
        if not self.hits:
            empty = all(not p.index.chunks for _, p in self.parts)
            timings["total"] = (time.perf_counter() - t0) * 1000
            key = "empty_index" if empty else "not_found"
            yield Answer(message(key, language), language, (), True, None, timings)
            return
        t2 = time.perf_counter()
        if gen.name == "extractive":  # as the pipeline does: a list may go on in the next passage
            self.hits = self._with_list_continuations(self.hits)
        hits = [o.hit for o in self.hits]
        raw = yield from stream_generation(gen, standalone, hits, history)
        timings["generate"] = (time.perf_counter() - t2) * 1000
        # Citation checks and grounding need no index but for a cross-language model answer's
        # cosine support, which the best hit's pipeline gives for its own passages.
        checker = self._pipeline(self.hits[0].collection)
        answer = checker.checked_answer(raw, hits, language, gen.name == "extractive")
        timings["total"] = (time.perf_counter() - t0) * 1000
        yield dataclasses.replace(answer, timings_ms=timings)
