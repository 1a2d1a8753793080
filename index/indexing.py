"""Ingest files into an on-disk index: load, chunk, embed only what changed, save atomically."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from index.builder import build_index, passage_text, with_sentence_terms
from index.embedders import embedder_from_settings
from index.ingest_plan import (
    FileProgress,
    IngestSummary,
    StepProgress,
    build_changed,
    chunker_config,
    drop_passageless,
    no_passage_reason,
    plan_ingest,
    skip_passageless,
)
from index.keyword import BM25_B, BM25_K1, KiwiBm25Index
from index.lexicon import lexicon_terms, merge_lexicons
from index.lock import index_write_lock
from index.store import MILVUS_POINTER, ReportIndex, make_manifest, open_index, save_index
from index.vector_store import FaissVectorStore, VectorIndexSpec
from ingest.chunking import ChunkerConfig
from ingest.pipeline import load_documents
from reportqa.errors import (
    IndexMismatchError,
    IndexNotFoundError,
    IngestError,
)
from reportqa.language import TOKENIZER, add_user_words, load_user_dictionary
from reportqa.protocols import Embedder
from reportqa.settings import Settings
from reportqa.types import Document

log = logging.getLogger(__name__)


def ingest_paths(
    paths: Sequence[Path],
    settings: Settings,
    rebuild: bool = False,
    sync: bool = False,
    embedder: Embedder | None = None,
    on_file: FileProgress | None = None,
    on_step: StepProgress | None = None,
) -> IngestSummary:
    """Add ``paths`` (files or folders) to the index at ``settings.resolved_index_dir``.

    Documents whose content hash is unchanged keep their chunks and vectors (nothing is
    embedded again); ``rebuild`` starts from an empty index; ``sync`` also drops documents of
    the index that were not found under ``paths``.
    """
    t0 = time.perf_counter()
    report = load_documents(list(paths), settings, progress=on_file)
    parse_s = time.perf_counter() - t0
    summary = ingest_documents(
        report.documents, settings, rebuild, sync, embedder, on_step, skipped=report.skipped
    )
    summary.seconds = {"parse": parse_s, **summary.seconds}
    summary.seconds["total"] = time.perf_counter() - t0
    return summary


def ingest_documents(
    documents: Sequence[Document],
    settings: Settings,
    rebuild: bool = False,
    sync: bool = False,
    embedder: Embedder | None = None,
    on_step: StepProgress | None = None,
    skipped: Sequence[IngestError] = (),
) -> IngestSummary:
    """:func:`ingest_paths` for documents already loaded (``skipped``: files that were not).

    Holds the index's write lock (:mod:`index.lock`) from reading the index to saving it, so a
    concurrent ingest into the same index waits for this one instead of overwriting it.
    """
    t0 = time.perf_counter()
    summary = IngestSummary(settings.resolved_index_dir, skipped=list(skipped))
    user_terms = load_user_dictionary(settings.user_dict) if settings.user_dict else []
    add_user_words(user_terms)
    embedder = embedder or embedder_from_settings(settings)
    with index_write_lock(summary.index_dir, settings.ingest_lock_timeout_s):
        _update_index(summary, documents, settings, embedder, user_terms, rebuild, sync, on_step)
    summary.seconds["total"] = time.perf_counter() - t0
    return summary


def _update_index(
    summary: IngestSummary,
    loaded: Sequence[Document],
    settings: Settings,
    embedder: Embedder,
    user_terms: list[tuple[str, str]],
    rebuild: bool,
    sync: bool,
    on_step: StepProgress | None,
) -> None:
    """The load-modify-save of :func:`ingest_paths`, run under the index's write lock."""
    if uses_milvus(settings):
        from index.milvus_ingest import update_milvus_index

        update_milvus_index(summary, loaded, settings, embedder, user_terms, rebuild, sync, on_step)
        return
    index_dir = summary.index_dir
    base: ReportIndex | None = None
    if not rebuild:
        try:
            base = open_index(index_dir, embedder.name)
        except IndexNotFoundError:
            base = None
    config = chunker_config(settings, base.manifest.get("chunker") if base is not None else None)
    if base is not None and base.manifest.get("chunker") != asdict(config):
        raise IndexMismatchError(
            f"The index at {index_dir} was chunked with {base.manifest.get('chunker')}, but the "
            f"settings now say {asdict(config)}. Rebuild it with `--rebuild` (which chunks at "
            f"{asdict(chunker_config(settings))}), or leave the chunk sizes unset to keep the index's."
        )

    old_hashes = {d.id: d.content_hash for d in base.documents} if base else {}
    plan = plan_ingest(old_hashes, loaded, sync)
    plan.record(summary)
    keep_ids, to_embed = plan.keep, plan.to_embed

    if base is not None and not to_embed and not summary.removed:
        summary.documents, summary.chunks = len(base.documents), len(base.chunks)
        return

    spec = VectorIndexSpec.from_settings(settings)
    built = build_changed(summary, to_embed, embedder, config, settings, on_step, spec, settings.lexicon)
    if not skip_passageless(summary, built, loaded, old_hashes) and base is not None:
        summary.documents, summary.chunks = len(base.documents), len(base.chunks)
        return
    t1 = time.perf_counter()
    merged = merge_indexes(base, keep_ids, built, spec) if base is not None else built
    summary.seconds["index"] = summary.seconds.get("index", 0.0) + time.perf_counter() - t1
    t2 = time.perf_counter()
    previous = base.manifest["keyword"].get("user_terms", []) if base is not None else []
    merged.manifest["keyword"]["user_terms"] = sorted({tuple(t) for t in previous} | set(user_terms))
    save_index(merged, index_dir)
    summary.seconds["save"] = time.perf_counter() - t2
    summary.documents, summary.chunks = len(merged.documents), len(merged.chunks)


def merge_indexes(
    base: ReportIndex,
    keep_ids: Sequence[str],
    addition: ReportIndex,
    vector_index: VectorIndexSpec | None = None,
) -> ReportIndex:
    """The documents ``keep_ids`` of ``base`` (vectors reused, not re-embedded) plus ``addition``."""
    keep = set(keep_ids)
    rows = [i for i, c in enumerate(base.chunks) if c.doc_id in keep]
    # Chunks kept from an index built before sentence terms were stored, or stored with another
    # tokenizer, get them now (BM25 below is rebuilt from the texts anyway).
    kept_chunks = [base.chunks[i] for i in rows]
    retokenize = base.manifest.get("keyword", {}).get("tokenizer") != TOKENIZER
    kept_chunks = [
        with_sentence_terms(c) if c.sentences and (retokenize or not c.sentence_terms) else c
        for c in kept_chunks
    ]
    chunks = kept_chunks + list(addition.chunks)
    if rows == list(range(len(base.chunks))):
        # Nothing removed: extend the existing vector index (an HNSW graph is kept, not rebuilt).
        store = base.vectors.extended(addition.vectors.reconstruct_all(), vector_index)
    else:
        vectors = np.vstack(
            [base.vectors.reconstruct_all()[rows], addition.vectors.reconstruct_all()]
        ).astype(np.float32)
        store = FaissVectorStore.build(vectors, vector_index, dim=base.vectors.dim)
    dim = base.vectors.dim
    # Kept rows' sentence vectors gathered in one step, in their stored precision (float16 on
    # disk: a float32 copy of every sentence vector would need 5 GiB at a million chunks).
    keep_rows = np.asarray(rows, dtype=np.int64)
    starts, ends = base.sentence_offsets[keep_rows], base.sentence_offsets[keep_rows + 1]
    lengths = ends - starts
    gather = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    kept = np.asarray(base.sentence_vectors[gather]).reshape(-1, dim)
    added = np.asarray(addition.sentence_vectors, dtype=kept.dtype).reshape(-1, dim)
    sentence_vectors = np.vstack([kept, added])
    offsets = np.zeros(len(chunks) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(c.sentences) for c in chunks])
    documents = [d for d in base.documents if d.id in keep] + addition.documents
    manifest = make_manifest(
        base.embedder_name, dim, base.manifest["chunker"], documents, len(chunks)
    )
    return ReportIndex(
        manifest=manifest,
        documents=documents,
        chunks=chunks,
        vectors=store,
        keyword=KiwiBm25Index.build([passage_text(c) for c in chunks]),
        sentence_vectors=sentence_vectors,
        sentence_offsets=offsets,
        lexicon=merge_lexicons(lexicon_terms(documents), [base.lexicon, addition.lexicon]),
    )


def uses_milvus(settings: Settings) -> bool:
    """Whether the index of ``settings`` lives in Milvus: REPORTQA_STORE=milvus, or its
    directory already points at a Milvus collection (index/milvus_store.py)."""
    return settings.store == "milvus" or (settings.resolved_index_dir / MILVUS_POINTER).is_file()


def remove_documents(settings: Settings, doc_ids: Sequence[str]) -> list[str]:
    """Drop documents from the index; returns the ids that were found and removed."""
    if uses_milvus(settings):
        from index.milvus_ingest import remove_documents_milvus

        return remove_documents_milvus(settings, doc_ids)
    index_dir = settings.resolved_index_dir
    if not index_dir.is_dir():
        raise IndexNotFoundError(index_dir)
    with index_write_lock(index_dir, settings.ingest_lock_timeout_s):
        return _remove_locked(index_dir, settings, doc_ids)


def _remove_locked(index_dir: Path, settings: Settings, doc_ids: Sequence[str]) -> list[str]:
    base = open_index(index_dir)
    present = {d.id for d in base.documents}
    removed = [i for i in doc_ids if i in present]
    if removed:
        keep = [d.id for d in base.documents if d.id not in removed]
        empty, _ = build_index(
            [],
            _NoEmbedder(base.vectors.dim, base.embedder_name),
            ChunkerConfig(**base.manifest["chunker"]),
        )
        merged = merge_indexes(base, keep, empty, VectorIndexSpec.from_settings(settings))
        merged.manifest["keyword"]["user_terms"] = base.manifest["keyword"].get("user_terms", [])
        save_index(merged, index_dir)
    return removed


class _NoEmbedder:
    """Stands in for the embedder when nothing needs embedding (removing documents)."""

    def __init__(self, dim: int, name: str) -> None:
        self._dim = dim
        self.name = name

    @property
    def dim(self) -> int:
        return self._dim

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.zeros((len(texts), self._dim), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return np.zeros(self._dim, dtype=np.float32)


def outdated_features(index: ReportIndex, chunker: ChunkerConfig | None = None) -> list[str]:
    """What an index built by an older reportqa lacks (empty: up to date). It still works.

    ``chunker``: the chunking it should have (the bundled sample index follows the defaults)."""
    reasons = []
    built = index.manifest.get("chunker")
    if chunker is not None and built and built != asdict(chunker):
        reasons.append(
            f"chunked at {built.get('max_tokens')}/{built.get('overlap_tokens')} tokens "
            f"(now {chunker.max_tokens}/{chunker.overlap_tokens})"
        )
    if len(index.keyword) and index.keyword.params != (BM25_K1, BM25_B):
        k1, b = index.keyword.params
        reasons.append(f"BM25 built with k1={k1:g}, b={b:g} (now {BM25_K1:g}, {BM25_B:g})")
    tokenizer = index.manifest.get("keyword", {}).get("tokenizer")
    if tokenizer != TOKENIZER:
        reasons.append(f"its words were split by tokenizer {tokenizer!r} (now {TOKENIZER!r})")
    first = index.chunks[0] if len(index.chunks) else None
    if first is not None and first.sentences and not first.sentence_terms:
        reasons.append("no stored sentence terms, so answers tokenise passages at question time")
    return reasons


def holds_only(index: ReportIndex, corpus: Path) -> bool:
    """Whether every document of ``index`` is a file of the folder ``corpus`` (by its id, the
    path under the folder), i.e. nobody added documents of their own."""
    names = {p.relative_to(corpus).as_posix() for p in corpus.rglob("*") if p.is_file()}
    return all(d.id in names and Path(d.source).name == Path(d.id).name for d in index.documents)


def ensure_index(settings: Settings, corpus: Path | None = None) -> IngestSummary | None:
    """Build the index from ``corpus`` (default: the bundled sample) when none exists yet.

    The bundled sample index (no ``index_dir`` set, holding only the sample's documents) is
    also rebuilt when an older reportqa built it or the default chunk sizes changed (see
    :func:`outdated_features`; vectors come from the embedding cache). The default index with
    documents of the user's own is never rebuilt from the sample: it is served with a warning."""
    try:
        index = open_index(settings.resolved_index_dir)
        bundled = (
            settings.index_dir is None and corpus is None and holds_only(index, settings.corpus_dir)
        )
        outdated = outdated_features(index, chunker_config(settings) if bundled else None)
        if outdated and bundled:
            log.warning("rebuilding the sample index: %s", "; ".join(outdated))
            return ingest_paths([settings.corpus_dir], settings, rebuild=True)
        return None
    except IndexNotFoundError:
        log.info(
            "no index at %s; building it from %s",
            settings.resolved_index_dir,
            corpus or settings.corpus_dir,
        )
        return ingest_paths([corpus or settings.corpus_dir], settings)


# Defined in index.ingest_plan (shared with index.milvus_ingest); importable from here as before.
__all__ = [
    "FileProgress", "IngestSummary", "StepProgress", "chunker_config", "drop_passageless", "ensure_index",
    "ingest_documents", "ingest_paths", "no_passage_reason", "remove_documents", "uses_milvus",
]
