"""Ingest into an index on Milvus: a document's rows replaced as a unit, crash-safe, incremental.

The write path of :mod:`index.milvus_store`. Documents are parsed, chunked and embedded exactly as
for the FAISS index (``index.builder.build_index``, embedding cache included); then the new rows
are inserted under fresh primary keys, invisible until :meth:`MilvusIndexStore.write_state`
commits the manifest that names them. Unchanged documents keep their rows (nothing re-embedded).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from index.builder import passage_text
from index.embedders import embedder_from_settings
from index.ingest_plan import (
    IngestSummary,
    build_changed,
    chunker_config,
    plan_ingest,
    skip_passageless,
)
from index.keyword import BM25_B, BM25_K1
from index.milvus_store import (
    PLACEHOLDER,
    MilvusIndexStore,
    MilvusReportIndex,
    MilvusState,
    MilvusTarget,
    bm25_term_weights,
    index_from_state,
    now_stamp,
    passage_row,
)
from index.report_index import ReportIndex, check_compatible
from index.vector_store import VectorIndexSpec
from ingest.pipeline import load_documents
from reportqa.errors import IndexMismatchError
from reportqa.language import add_user_words, keyword_terms, load_user_dictionary
from reportqa.protocols import Embedder
from reportqa.settings import Settings
from reportqa.types import Chunk, Document

log = logging.getLogger(__name__)

DEFAULT_PARTITION = "default"  # the ``collection`` partition key of documents that name none


def passage_terms(chunk: Chunk) -> list[str]:
    """The BM25 tokens of a passage, as KiwiBm25Index.build makes them."""
    return list(keyword_terms(passage_text(chunk))) or [PLACEHOLDER]


def write_documents(
    store: MilvusIndexStore,
    state: MilvusState | None,
    keep_ids: Sequence[str],
    built: ReportIndex,
    meta: dict[str, Any],
    spec: VectorIndexSpec,
    terms: Sequence[Sequence[str]] | None = None,
    rebuild: bool = False,
) -> MilvusState:
    """Commit the manifest of ``state``'s documents ``keep_ids`` plus ``built``'s; returns it.

    ``meta``: embedder, chunker and keyword entries of the manifest. ``terms``: each new chunk's
    BM25 tokens when known (else tokenised here)."""
    dim = int(meta["embedder"]["dim"])
    if state is not None and int(state.embedder.get("dim", dim)) != dim:
        log.warning("dropping %s: its vectors have dim %s, the embedder's %d", store.passages, state.embedder.get("dim"), dim)
        store.drop()
        state = None
    store.create(dim, spec)
    store.recover(state)  # rows of an interrupted ingest, versions dropped before state
    keep = set() if rebuild else set(keep_ids)
    old_docs = state.documents if state is not None else []
    kept = [d for d in old_docs if d["id"] in keep]
    superseded = [int(d["version"]) for d in old_docs if d["id"] not in keep]
    vocab: dict[str, list[int]] = {} if state is None or rebuild else {t: list(v) for t, v in state.vocab.items()}
    next_term = state.next_term if state is not None else 0
    total = 0 if state is None or rebuild else state.total_length
    if superseded and vocab:  # take the dropped rows out of the document frequencies
        by_id = {v[0]: t for t, v in vocab.items()}
        for entity in store.scan(f"version in [{','.join(map(str, superseded))}]", ["terms", "length"]):
            total -= int(entity["length"])
            for term_id in _sparse_keys(entity["terms"]):
                term = by_id.get(term_id)
                if term is not None:
                    vocab[term][1] -= 1
        vocab = {t: v for t, v in vocab.items() if v[1] > 0}

    chunks = list(built.chunks)
    tokens = [list(t) for t in terms] if terms is not None else [passage_terms(c) for c in chunks]
    for toks in tokens:
        total += len(toks)
        for term in set(toks):
            entry = vocab.get(term)
            if entry is None:
                vocab[term] = [next_term, 1]
                next_term += 1
            else:
                entry[1] += 1
    n_rows = sum(int(d["chunks"]) for d in kept) + len(chunks)
    avgdl = total / n_rows if n_rows else 1.0
    ids = {t: v[0] for t, v in vocab.items()}
    k1, b = float(meta["keyword"].get("k1", BM25_K1)), float(meta["keyword"].get("b", BM25_B))

    next_row = state.next_row if state is not None else 0
    documents = list(kept)
    vectors = built.vectors.reconstruct_all()
    rows: list[dict[str, Any]] = []
    position = 0
    for record in built.documents:
        if record.chunks == 0:
            continue
        version = next_row
        for _ in range(record.chunks):
            chunk = chunks[position]
            sentence_rows = built.sentence_vectors_of(position)
            rows.append(
                passage_row(
                    next_row, version, chunk, vectors[position], sentence_rows,
                    bm25_term_weights(tokens[position], avgdl, ids, k1, b), len(tokens[position]),
                    str(record.meta.get("collection", DEFAULT_PARTITION)),
                )
            )
            next_row += 1
            position += 1
        documents.append({**asdict(record), "version": version, "row_start": version})
    if state is None and rows:  # no manifest yet: nobody reads, the index is built once at the end
        with store.bulk_load():
            store.insert_rows(rows)
    else:  # readers keep searching the live rows while the new ones go in
        store.insert_rows(rows)
    new_state = MilvusState(
        seq=(state.seq + 1) if state is not None else 1,
        embedder=meta["embedder"],
        chunker=meta["chunker"],
        keyword={**meta["keyword"], "k1": k1, "b": b},
        documents=documents,
        vocab=vocab,
        next_row=next_row,
        next_term=next_term,
        total_length=total,
        dead=sorted(set(superseded) | set(state.superseded if state is not None else [])),
        superseded=superseded,
        created_at=now_stamp(),
    )
    store.write_state(new_state)  # the commit point
    log.info("committed manifest %d of %s: %d documents, %d rows", new_state.seq, store.passages, len(documents), n_rows)
    return new_state


def _sparse_keys(value: Any) -> list[int]:
    if isinstance(value, dict):
        return [int(k) for k in value]
    if hasattr(value, "indices"):  # scipy sparse row
        return [int(k) for k in value.indices]
    return [int(k) for k, _ in value]


def ingest_paths_milvus(
    paths: Sequence[Path],
    settings: Settings,
    rebuild: bool = False,
    sync: bool = False,
    embedder: Embedder | None = None,
    on_file: Any = None,
    on_step: Any = None,
) -> IngestSummary:
    """``index.indexing.ingest_paths`` for an index on Milvus (same arguments and summary)."""
    t0 = time.perf_counter()
    report = load_documents(list(paths), settings, progress=on_file)
    summary = IngestSummary(settings.resolved_index_dir, skipped=list(report.skipped))
    summary.seconds["parse"] = time.perf_counter() - t0
    user_terms = load_user_dictionary(settings.user_dict) if settings.user_dict else []
    add_user_words(user_terms)
    embedder = embedder or embedder_from_settings(settings)
    update_milvus_index(summary, report.documents, settings, embedder, user_terms, rebuild, sync, on_step)
    summary.seconds["total"] = time.perf_counter() - t0
    return summary


def update_milvus_index(
    summary: IngestSummary,
    loaded: Sequence[Document],
    settings: Settings,
    embedder: Embedder,
    user_terms: Sequence[tuple[str, str]],
    rebuild: bool,
    sync: bool,
    on_step: Any,
) -> None:
    """The load-modify-commit of an ingest into Milvus; fills ``summary`` (an IngestSummary)."""
    index_dir = settings.resolved_index_dir
    target = MilvusTarget.from_settings(settings, index_dir)
    store = MilvusIndexStore(target)
    previous = store.read_state()
    state = None if rebuild else previous
    if state is not None:
        check_compatible(state.report_manifest(), index_dir, embedder.name)
    config = chunker_config(settings, state.chunker if state is not None else None)
    if state is not None and state.chunker != asdict(config):
        raise IndexMismatchError(
            f"The Milvus index of {index_dir} ({target.uri}, {store.passages}) was chunked with "
            f"{state.chunker}, but the settings now say {asdict(config)}. Rebuild it with `--rebuild`, "
            "or leave the chunk sizes unset to keep the index's."
        )
    old_hashes = {d["id"]: d["content_hash"] for d in state.documents} if state is not None else {}
    plan = plan_ingest(old_hashes, loaded, sync)
    plan.record(summary)
    keep_ids, to_embed = plan.keep, plan.to_embed
    if state is not None and not to_embed and not summary.removed:
        summary.documents, summary.chunks = len(state.documents), state.rows
        target.write_pointer(index_dir)
        return

    spec = VectorIndexSpec.from_settings(settings)
    # Exact (flat) vectors in memory: they only carry the new rows into Milvus.
    built = build_changed(summary, to_embed, embedder, config, settings, on_step, VectorIndexSpec(kind="flat"))
    if not skip_passageless(summary, built, loaded, old_hashes) and state is not None:
        summary.documents, summary.chunks = len(state.documents), state.rows
        target.write_pointer(index_dir)
        return
    t1 = time.perf_counter()
    previous_terms = state.keyword.get("user_terms", []) if state is not None else []
    keyword = dict(built.manifest["keyword"])
    keyword["user_terms"] = sorted({tuple(t) for t in previous_terms} | {tuple(t) for t in user_terms})
    meta = {"embedder": built.manifest["embedder"], "chunker": built.manifest["chunker"], "keyword": keyword}
    new_state = write_documents(store, previous, keep_ids, built, meta, spec, rebuild=rebuild)
    target.write_pointer(index_dir)
    summary.seconds["save"] = time.perf_counter() - t1
    summary.documents, summary.chunks = len(new_state.documents), new_state.rows


def remove_documents_milvus(settings: Settings, doc_ids: Sequence[str]) -> list[str]:
    """Drop documents from an index on Milvus; returns the ids that were found and removed."""
    index_dir = settings.resolved_index_dir
    target = MilvusTarget.from_settings(settings, index_dir)
    if (index_dir / "milvus.json").is_file():
        target = MilvusTarget.read_pointer(index_dir, settings.milvus_token)
    store = MilvusIndexStore(target)
    state = store.read_state()
    if state is None:
        return []
    present = {d["id"] for d in state.documents}
    removed = [i for i in doc_ids if i in present]
    if removed:
        keep = [d["id"] for d in state.documents if d["id"] not in removed]
        empty = _empty_index(state)
        meta = {"embedder": state.embedder, "chunker": state.chunker, "keyword": state.keyword}
        write_documents(store, state, keep, empty, meta, VectorIndexSpec.from_settings(settings), terms=[])
    return removed


def _empty_index(state: MilvusState) -> ReportIndex:
    from index.keyword import KiwiBm25Index
    from index.vector_store import FaissVectorStore

    dim = int(state.embedder["dim"])
    return ReportIndex(
        manifest={}, documents=[], chunks=[], vectors=FaissVectorStore(dim), keyword=KiwiBm25Index.build([]),
        sentence_vectors=np.zeros((0, dim), dtype=np.float32), sentence_offsets=np.zeros(1, dtype=np.int64),
    )


def import_index(
    index: ReportIndex, target: MilvusTarget, index_dir: Path, spec: VectorIndexSpec | None = None,
    retokenize: bool = True,
) -> MilvusReportIndex:
    """Copy a FAISS ``index`` (built once, e.g. by a benchmark) into Milvus, replacing what
    ``target`` held; ``index_dir`` gets the pointer. ``retokenize=False`` takes the BM25 weights
    from the bm25s matrix instead of tokenising every chunk again (for synthetic indexes whose
    tokens are not their text's); passage lengths are then estimated by their distinct terms."""
    spec = spec or VectorIndexSpec()
    store = MilvusIndexStore(target)
    store.drop()
    manifest = index.manifest
    meta = {"embedder": manifest["embedder"], "chunker": manifest["chunker"], "keyword": dict(manifest["keyword"])}
    if retokenize:
        state = write_documents(store, None, [], index, meta, spec)
    else:
        state = _import_bm25_matrix(store, index, meta, spec)
    target.write_pointer(index_dir)
    return index_from_state(store, state, index_dir, None, spec, check_compatible)


def _import_bm25_matrix(store: MilvusIndexStore, index: ReportIndex, meta: dict[str, Any], spec: VectorIndexSpec) -> MilvusState:
    """:func:`import_index` with bm25s's precomputed scores: weight = score / idf per term."""
    retriever: Any = index.keyword._retriever
    scores = retriever.scores
    indptr, indices, data = (np.asarray(scores[k]) for k in ("indptr", "indices", "data"))
    n = len(index.chunks)
    df = np.diff(indptr)
    idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
    cols = np.repeat(np.arange(len(df)), df)
    weights = data / idf[cols]
    order = np.argsort(indices, kind="stable")
    doc_of, col_of, w_of = indices[order], cols[order], weights[order]
    row_ptr = np.searchsorted(doc_of, np.arange(n + 1))
    dim = int(meta["embedder"]["dim"])
    store.create(dim, spec)
    # bm25s's vocabulary may hold a term without a column (its empty-string token).
    vocab = {t: [int(c), int(df[c])] for t, c in retriever.vocab_dict.items() if c < len(df) and df[c] > 0}
    docs: list[dict[str, Any]] = []
    start = 0
    for record in index.documents:
        docs.append({**asdict(record), "version": start, "row_start": start})
        start += record.chunks
    version_of = np.repeat([d["version"] for d in docs], [d["chunks"] for d in docs])
    total = len(doc_of)
    with store.bulk_load():
        _insert_imported_rows(store, index, row_ptr, col_of, w_of, version_of)
    k1, b = index.keyword.params
    state = MilvusState(
        seq=1, embedder=meta["embedder"], chunker=meta["chunker"],
        keyword={**meta["keyword"], "k1": k1, "b": b, "lengths": "distinct terms (imported)"},
        documents=docs, vocab=vocab, next_row=n, next_term=len(df), total_length=total, created_at=now_stamp(),
    )
    store.write_state(state)
    return state


def _insert_imported_rows(
    store: MilvusIndexStore, index: ReportIndex, row_ptr: np.ndarray, col_of: np.ndarray, w_of: np.ndarray,
    version_of: np.ndarray, batch: int = 20_000,
) -> None:
    """The rows of :func:`_import_bm25_matrix`, ``batch`` chunks at a time."""
    n = len(index.chunks)
    for s in range(0, n, batch):
        e = min(n, s + batch)
        vectors = np.asarray(index.vectors._index.reconstruct_n(s, e - s), dtype=np.float32)
        rows = []
        for i in range(s, e):
            a, z = row_ptr[i], row_ptr[i + 1]
            rows.append(
                passage_row(
                    i, int(version_of[i]), index.chunks[i], vectors[i - s], index.sentence_vectors_of(i),
                    {int(c): float(w) for c, w in zip(col_of[a:z], w_of[a:z], strict=True)} or {0: 1e-9},
                    int(z - a), DEFAULT_PARTITION,
                )
            )
        store.insert_rows(rows)


__all__ = ["import_index", "ingest_paths_milvus", "remove_documents_milvus", "update_milvus_index", "write_documents"]
