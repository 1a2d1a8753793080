"""Build a ReportIndex from Documents: chunk, embed passages and sentences, index."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace

import numpy as np

from index.embedding_cache import EmbeddingCache, embedder_fingerprint
from index.keyword import KiwiBm25Index
from index.lexicon import VOCABULARY, build_lexicon, lexicon_terms
from index.store import DocumentRecord, ReportIndex, make_manifest
from index.vector_store import FaissVectorStore, VectorIndexSpec
from ingest.chunking import ChunkerConfig, chunk_document
from ingest.safety import Deadline
from ingest.sections import (
    captions_into_context,
    join_questions_to_answers,
    lead_ins_into_context,
    merge_fragment_sections,
)
from ingest.terms import korean_vocabulary, mine_terms
from reportqa.errors import IngestError
from reportqa.language import content_terms, get_kiwi, split_sentences
from reportqa.protocols import Embedder
from reportqa.types import Chunk, Document

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


def passage_text(chunk: Chunk) -> str:
    """The text embedded and keyword-indexed for a chunk: its title and headings, then its text.

    The context line lets a passage deep in a section match questions about the section's topic.
    """
    context: list[str] = []
    for part in (chunk.title, *chunk.heading_path):
        if part and part not in context:
            context.append(part)
    head = " > ".join(context)
    if chunk.context:
        head = f"{head}\n{chunk.context}" if head else chunk.context
    return (head + "\n" + chunk.text) if head else chunk.text


def with_joined_fragments(
    doc: Document, count_tokens: Callable[[str], int], max_tokens: int
) -> Document:
    """``doc`` with its lead-ins, captions and labels joined to the section they belong to, and
    each question section to its answer (ingest/sections.py), so none becomes a passage of a few
    words and no question is a passage without its answer."""
    if len(doc.sections) < 2:
        return doc
    sections = merge_fragment_sections(doc.sections, doc.text, count_tokens, max_tokens)
    sections = join_questions_to_answers(sections, doc.text, count_tokens, max_tokens)
    sections = captions_into_context(sections, doc.text, count_tokens)
    sections = lead_ins_into_context(sections, doc.text, count_tokens)
    return replace(doc, sections=sections)


def with_sentence_terms(chunk: Chunk) -> Chunk:
    """``chunk`` with the lexical terms of each of its sentences (see ``Chunk.sentence_terms``)."""
    return replace(chunk, sentence_terms=tuple(content_terms(t) for t in chunk.sentence_texts()))


def _mined_terms(doc: Document) -> dict[str, list[list[str]]]:
    """The bilingual terms ``doc`` glosses (ingest/terms.py), kept with its record so they
    survive incremental ingests; the answer step merges every document's into its glossary."""
    pairs = mine_terms(doc.text)
    return {"terms": [[p.korean, p.english] for p in pairs]} if pairs else {}


def _vocabulary(doc: Document) -> dict[str, list[str]]:
    """The Korean nouns and compounds of ``doc`` (ingest/terms.py), kept with its record so an
    incremental ingest rebuilds the lexicon without reading the document again."""
    vocabulary = korean_vocabulary(doc.text)
    return {VOCABULARY: vocabulary} if vocabulary else {}


def build_index(
    documents: Sequence[Document],
    embedder: Embedder,
    config: ChunkerConfig,
    progress: Progress | None = None,
    cache: EmbeddingCache | None = None,
    vector_index: VectorIndexSpec | None = None,
    chunk_budget_s: float | None = None,
    lexicon: bool = False,
) -> tuple[ReportIndex, dict[str, float]]:
    """Chunk and embed ``documents``; returns the index and seconds spent per stage.

    ``cache``: texts embedded before (same embedder) are looked up instead of embedded again.
    ``vector_index``: which FAISS index to build (default: chosen by size).
    ``chunk_budget_s``: seconds each document may take to chunk; one over it gets no chunk and
    its record says why (``meta["skip_reason"]``), the others go on.
    ``lexicon``: also keep each document's Korean vocabulary and embed it (index/lexicon.py).
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    chunks: list[Chunk] = []
    records: list[DocumentRecord] = []
    if chunk_budget_s and documents:
        get_kiwi()  # loaded once here, not inside the first document's chunking budget
    for doc in documents:
        skip_reason = ""
        try:
            doc_chunks = [
                with_sentence_terms(c)
                for c in chunk_document(
                    with_joined_fragments(doc, embedder.count_tokens, config.max_tokens),
                    split_sentences,
                    embedder.count_tokens,
                    config,
                    deadline=Deadline(chunk_budget_s) if chunk_budget_s else None,
                )
            ]
        except IngestError as exc:
            doc_chunks, skip_reason = [], exc.reason
        chunks.extend(doc_chunks)
        records.append(
            DocumentRecord(
                id=doc.id,
                title=doc.title,
                source=doc.source,
                content_hash=str(doc.meta.get("content_hash", "")),
                format=str(doc.meta.get("format", "")),
                chunks=len(doc_chunks),
                meta={
                    k: v
                    for k, v in doc.meta.items()
                    if k in ("pages", "encoding", "empty_pages", "size")
                }
                | _mined_terms(doc)
                | (_vocabulary(doc) if lexicon else {})
                | ({"skip_reason": skip_reason} if skip_reason else {}),
            )
        )
    timings["chunk"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    texts = [passage_text(c) for c in chunks]
    vectors = _embed_in_batches(embedder, texts, "embed passages", progress, cache=cache)
    sentences = [s for c in chunks for s in c.sentence_texts()]
    sentence_vectors = _embed_in_batches(
        embedder, sentences, "embed sentences", progress, cache=cache
    )
    offsets = np.zeros(len(chunks) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(c.sentences) for c in chunks])
    timings["embed"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    lexicon_ = build_lexicon(lexicon_terms(records), embedder, cache) if lexicon else None
    timings["lexicon"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    store = FaissVectorStore.build(vectors, vector_index, dim=embedder.dim)
    keyword = KiwiBm25Index.build(texts)
    timings["index"] = time.perf_counter() - t0

    manifest = make_manifest(embedder.name, embedder.dim, asdict(config), records, len(chunks))
    index = ReportIndex(
        manifest=manifest,
        documents=records,
        chunks=chunks,
        vectors=store,
        keyword=keyword,
        sentence_vectors=sentence_vectors,
        sentence_offsets=offsets,
        lexicon=lexicon_,
    )
    return index, timings


def _embed_in_batches(
    embedder: Embedder,
    texts: Sequence[str],
    label: str,
    progress: Progress | None,
    batch: int = 32,
    cache: EmbeddingCache | None = None,
) -> np.ndarray:
    parts: list[np.ndarray] = []
    fingerprint = embedder_fingerprint(embedder) if cache is not None else ""
    for i in range(0, len(texts), batch):
        part = texts[i : i + batch]
        if cache is not None:
            parts.append(cache.embed(part, fingerprint, embedder.embed_passages))
        else:
            parts.append(embedder.embed_passages(part))
        if progress:
            progress(label, min(i + batch, len(texts)), len(texts))
    if not parts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.vstack(parts).astype(np.float32)
