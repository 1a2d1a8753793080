"""The question-answering pipeline: question → retrieve → generate → cited Answer.

The one public entry point for every front end (CLI, Gradio UI, HTTP API, evaluation).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Iterator, Sequence

import numpy as np

from answer.citations import (
    claims_by_marker,
    renumber_citations,
    stream_generation,
    support_spans,
)
from answer.extractive import (
    RANK_TIE,
    ExtractiveGenerator,
    answer_type,
    chunk_terms,
    group_coverage,
    stored_sentence_terms,
    term_coverage,
    with_list_continuations,
)
from answer.gate import (
    GateFeatures,
    asked_value_evidence,
    judge,
    topic_terms,
    typed_coverage,
    typed_evidence,
)
from answer.generators import make_llm_generator, parse_generator_spec
from answer.generators.prompting import no_answer_text
from answer.grounding import check_grounding, repair_citations
from answer.lexicon import with_induced_lexicon
from answer.messages import message
from answer.retrieval import ChunkRows, QueryEncoder, glossary_groups, load_glossary, make_retriever
from answer.rewrite import rewrite_question
from answer.safety import passage_flags
from answer.translation import with_model_translation
from answer.tuning import GATE_PASSAGES, SUPPORT_COS_FLOOR, SUPPORT_COS_SPAN
from index.embedders import embedder_from_settings
from index.indexing import outdated_features
from index.store import ReportIndex, open_index
from reportqa.errors import ConfigError, EmptyQuestionError
from reportqa.language import add_user_words, content_terms, detect_language
from reportqa.protocols import Embedder, Generator
from reportqa.settings import Settings
from reportqa.types import Answer, Chunk, Citation, Hit

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
        self._generators: dict[str, Generator] = {}
        self._chunk_rows: dict[str, int] | None = None
        self._row_map: ChunkRows | None = None

    def _load(self) -> None:
        with self._lock:
            if self._ready:
                return
            if self._embedder is None:
                self._embedder = embedder_from_settings(self.settings)
            if self._index is None:
                self._index = open_index(self.settings.resolved_index_dir, self._embedder.name)
            index, embedder = self._index, self._embedder
            outdated = outdated_features(index)
            if outdated:
                log.warning(
                    "The index at %s was built by an older reportqa (%s); it works, but rebuild "
                    "it for the current retrieval: `reportqa ingest PATH... --index %s --rebuild` "
                    "(texts already in the embedding cache are not embedded again).",
                    index.path, "; ".join(outdated), index.path,
                )
            # Questions must be tokenised with the dictionary the BM25 index was built with.
            add_user_words([tuple(t) for t in index.manifest["keyword"].get("user_terms", [])])
            self.encode = QueryEncoder(embedder)
            # One chunk id -> row map for the retrieval chain, the extractive answer and here.
            self._row_map = ChunkRows(index)
            self.generator: Generator = self._make_generator(index)
            # With a language model configured it also translates questions (answer/translation.py).
            self.glossary = with_model_translation(
                with_induced_lexicon(load_glossary(self.settings, index), index, self.encode, embedder, self.settings),
                getattr(self.generator, "backend", None), index, self.encode,
            )
            self.retriever = make_retriever(index, self.encode, self.settings, self.glossary, self._row_map)
            self._ready = True

    def _make_generator(self, index: ReportIndex, spec: str | None = None) -> Generator:
        spec = spec or self.settings.generator
        kind, _ = parse_generator_spec(spec)
        if kind == "extractive":
            # First called inside _load (which holds the lock) once the map is set: no self.index.
            rows = self._row_map
            assert rows is not None
            return ExtractiveGenerator(
                lambda hit: index.sentence_vectors_of(rows[hit.chunk.id]),
                self.encode,
                index.keyword.idf,
                self.settings.answer_max_sentences,
                self.translate,
                rank_tie_for(self.settings),
            )
        return make_llm_generator(spec, self.settings)

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
        return judge(self.gate_features(question, hits), self.settings)

    def gate_features(self, question: str, hits: Sequence[Hit]) -> GateFeatures:
        """What the relevance gate weighs for ``question`` and its (non-empty) ``hits``."""
        self._load()
        index = self.index
        by_cos = sorted(hits, key=lambda h: h.scores_by_retriever.get("dense", -1.0), reverse=True)
        top = by_cos[0]
        qvec = self.encode(question)
        best_cos = top.scores_by_retriever.get("dense", -1.0)
        if best_cos < 0:  # bm25-only mode (top is hits[0]): compute the top passage's cosine
            best_cos = float(index.vectors.reconstruct(self._rows()[top.chunk.id]) @ qvec)
        second = by_cos[1].scores_by_retriever.get("dense", best_cos) if len(by_cos) > 1 else 0.0
        language = detect_language(question)
        cross = detect_language(top.chunk.text) != language
        terms = topic_terms(question, content_terms(question))
        groups = self.translate(question) if cross else []
        idf = index.keyword.idf
        coverage = sentence_coverage = sentence_cos = 0.0
        held: set[str] = set()
        sentences: list[tuple[str, set[str]]] = []
        nearby: list[tuple[str, set[str]]] = []
        for h in hits[: GATE_PASSAGES]:
            text_terms = chunk_terms(h.chunk)
            held |= text_terms
            coverage = max(coverage, term_coverage(terms, text_terms, idf))
            if groups:
                coverage = max(coverage, group_coverage(groups, text_terms, idf))
            stored = stored_sentence_terms(h.chunk) or ()
            mine = [(t, set(st)) for t, st in zip(h.chunk.sentence_texts(), stored, strict=False)]
            sentences += mine
            # What stands before each sentence: the one before it and the passage's headings.
            head = " ".join((h.chunk.title, *h.chunk.heading_path, h.chunk.context))
            head_terms = set(content_terms(head))
            nearby += [
                (f"{mine[i - 1][0] if i else ''} {head}", (mine[i - 1][1] if i else set()) | head_terms)
                for i in range(len(mine))
            ]
            for _, st in mine:
                sentence_coverage = max(sentence_coverage, term_coverage(terms, st, idf))
            vectors = index.sentence_vectors_of(self._rows()[h.chunk.id])
            if len(vectors):
                sentence_cos = max(sentence_cos, float(np.max(vectors @ qvec)))
        wanted = answer_type(question)
        typed = typed_evidence(
            wanted, sentences, terms, idf, self.settings.typed_min_coverage
        ) if not cross else True
        keyword = index.keyword
        ceiling = keyword.ceiling(question)
        best_bm25 = max(h.scores_by_retriever.get("bm25", 0.0) for h in hits)
        unique = list(dict.fromkeys(terms))
        weight = sum(idf(t) for t in unique) or 1.0
        rarest = max((idf(t) for t in unique), default=0.0) or 1.0
        return GateFeatures(
            language, cross, best_cos, coverage, wanted is not None, typed,
            margin=best_cos - second,
            sentence_cosine=sentence_cos,
            sentence_coverage=sentence_coverage,
            bm25_sure=min(1.0, best_bm25 / ceiling) if ceiling > 0 else 0.0,
            unseen=sum(idf(t) for t in unique if not keyword.contains(t)) / weight,
            missing=sum(idf(t) for t in unique if t not in held) / weight,
            salient_missing=max((idf(t) for t in unique if t not in held), default=0.0) / rarest,
            typed_coverage=typed_coverage(wanted, sentences, terms, idf) if not cross else 1.0,
            **asked_value_evidence(question, sentences, cross, nearby),
        )

    def _list_passages(self, question: str) -> list[str]:
        """The passages answering ``question``, each followed by the next one of its document
        (a list often starts in the passage after its lead-in): where an ordinal follow-up
        looks for its item (answer/rewrite.py)."""
        chunks = self.index.chunks
        rows = self._rows()
        texts = []
        for hit in self.retriever.retrieve(question, self.settings.top_k):
            row = rows[hit.chunk.id]
            after = chunks[row + 1] if row + 1 < len(chunks) else None
            tail = after.text if after is not None and after.doc_id == hit.chunk.doc_id else ""
            texts.append(f"{hit.chunk.text}\n{tail}" if tail else hit.chunk.text)
        return texts

    def following(self, chunk: Chunk) -> Chunk | None:
        """The passage after ``chunk`` in its document and section (the index keeps document
        order), or None."""
        chunks = self.index.chunks
        row = self._rows().get(chunk.id)
        if row is None or row + 1 >= len(chunks):
            return None
        nxt = chunks[row + 1]
        same = nxt.doc_id == chunk.doc_id and nxt.heading_path == chunk.heading_path
        return nxt if same else None

    def _rows(self) -> ChunkRows:
        _ = self.index  # loads it (and the map) if not yet
        assert self._row_map is not None
        return self._row_map

    def translate(self, question: str) -> list[list[tuple[str, ...]]]:
        """The question's glossary groups in the other language (see answer/glossary.py)."""
        return glossary_groups(self.glossary, question)

    def generator_for(self, spec: str | None = None) -> Generator:
        """The generator for ``spec`` (default: ``Settings.generator``); built once per spec."""
        self._load()
        if not spec or spec == self.settings.generator:
            return self.generator
        index = self.index
        with self._lock:
            if spec not in self._generators:
                self._generators[spec] = self._make_generator(index, spec)
            return self._generators[spec]

    def ask(
        self,
        question: str,
        history: Sequence[tuple[str, str]] = (),
        top_k: int | None = None,
        generator: str | None = None,
    ) -> Answer:
        """Answer ``question`` with ``[n]`` markers and the citations they point at."""
        for event in self.ask_stream(question, history, top_k, generator):
            if isinstance(event, Answer):
                return event
        raise AssertionError("ask_stream ended without an Answer")  # pragma: no cover

    def ask_stream(
        self,
        question: str,
        history: Sequence[tuple[str, str]] = (),
        top_k: int | None = None,
        generator: str | None = None,
    ) -> Iterator[str | Answer]:
        """Answer ``question`` as a stream: pieces of text as they are written, then the Answer.

        A follow-up question is first rewritten into a standalone one (``history`` holds the
        earlier (question, answer) turns). When retrieval finds nothing relevant no generator is
        called. The pieces have their markers renumbered the way the final text has; the final
        Answer (citations checked, maybe repaired, groundedness scored) replaces them.
        """
        question = _validate(question)
        language = detect_language(question)
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        self._load()
        gen = self.generator_for(generator)
        timings["load"] = (time.perf_counter() - t0) * 1000

        standalone = question
        if history and self.settings.rewrite_questions:
            tr = time.perf_counter()
            llm = getattr(gen, "rewrite", None)
            standalone = rewrite_question(question, history, content_terms, llm, self._list_passages)
            timings["rewrite"] = (time.perf_counter() - tr) * 1000
            if standalone != question:
                log.info("rewrote %r as %r", question, standalone)

        t1 = time.perf_counter()
        hits = self.retriever.retrieve(standalone, top_k or self.settings.top_k)
        relevant = self.is_relevant(standalone, hits)
        timings["retrieve"] = (time.perf_counter() - t1) * 1000
        if not relevant:
            timings["total"] = (time.perf_counter() - t0) * 1000
            key = "empty_index" if not self.index.chunks else "not_found"
            yield Answer(message(key, language), language, (), True, None, timings)
            return

        t2 = time.perf_counter()
        if gen.name == "extractive":  # a list's items may start in the passage after its lead-in
            hits = with_list_continuations(hits, self.following)

        def first_piece() -> None:
            timings["first_token"] = (time.perf_counter() - t2) * 1000

        raw = yield from stream_generation(gen, standalone, hits, history, first_piece)
        timings["generate"] = (time.perf_counter() - t2) * 1000
        answer = self.checked_answer(raw, hits, language, gen.name == "extractive")
        timings["answer"] = (time.perf_counter() - t2) * 1000
        timings["total"] = (time.perf_counter() - t0) * 1000
        yield dataclasses.replace(answer, timings_ms=timings)

    def _framing(self, language: str) -> set[str]:
        """Fixed sentences that are not claims (intro lines, not-found messages)."""
        keys = ("intro", "intro_cross", "not_found")
        return {message(k, lang) for k in keys for lang in ("ko", "en")} | {
            no_answer_text(lang) for lang in ("ko", "en")
        }

    def _similarity(self, claim: str, passage: str) -> float:
        """Cross-language support: the e5 cosine of a claim to a passage, mapped to 0..1."""
        index = self.index
        if self._chunk_rows is None:
            self._chunk_rows = {c.text: i for i, c in enumerate(index.chunks)}
        row = self._chunk_rows.get(passage)
        if row is None:
            return 0.0
        cos = float(np.asarray(index.vectors.reconstruct(row)) @ self.encode(claim))
        return min(1.0, max(0.0, (cos - SUPPORT_COS_FLOOR) / SUPPORT_COS_SPAN))

    def checked_answer(
        self, raw: str, hits: Sequence[Hit], language: str, extractive: bool
    ) -> Answer:
        """Markers checked and renumbered, citations with their supporting sentences, grounding."""
        framing = self._framing(language)
        min_support = self.settings.min_support
        if not extractive:  # small models forget markers: cite the passage that clearly supports
            raw = repair_citations(
                raw, [h.chunk.text for h in hits], content_terms, min_support, framing,
                self._similarity,
            )
        text, order = renumber_citations(raw, len(hits))
        if not text:
            return Answer(message("not_found", language), language, (), True, None)
        claims = claims_by_marker(text)
        citations = tuple(
            Citation(
                n=n,
                chunk=hits[old - 1].chunk,
                score=hits[old - 1].scores_by_retriever.get("dense", hits[old - 1].score),
                sentence_spans=support_spans(hits[old - 1].chunk, claims.get(n, []), content_terms),
                flags=passage_flags(hits[old - 1].chunk.text),
            )
            for n, old in enumerate(order, start=1)
        )
        grounding = check_grounding(
            text, [c.chunk.text for c in citations], content_terms, min_support, framing,
            self._similarity,
        )
        grounded = grounding.grounded
        abstained = not citations and (extractive or grounded is None)
        return Answer(
            text,
            language,
            citations,
            abstained,
            None if grounded is None else round(grounded, 3),
            unsupported=grounding.unsupported_spans,
        )


def rank_tie_for(settings: Settings) -> float:
    """:data:`answer.extractive.RANK_TIE` when hits carry confidence-fusion scores, else 0. Pure."""
    confidence = settings.retrieval_mode == "hybrid" and settings.fusion == "confidence"
    return RANK_TIE if confidence and not settings.reranker else 0.0


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
