"""Milvus Lite's search and insert without their per-row Python loops (for milvus-lite 3.2.x).

milvus-lite 3.x is an engine written in Python over FAISS, run in the client's own process.
Before each search it walks every row of the collection in Python twice (the newest version of
each primary key across segments, then a per-row "valid" mask of that dedup and the tombstones),
so a dense or sparse search costs ~4 µs a row however small the answer: 0.3–0.9 s at 100k
passages while the HNSW search itself takes under a millisecond (profiled in
``benchmarks/bench_milvus_latency.py``). :func:`install` replaces the two search entry points of
``milvus_lite.engine.collection`` with copies that compute the same masks with numpy and keep
them per segment snapshot; the rest of each function (per-segment recall, merge, projection) is
milvus-lite's own code (Apache-2.0), kept line for line so results are identical
(``tests/index/test_milvus_speedups.py`` compares both on collections with upserts and deletes).

Only integer primary keys and searches without ``partition_names`` take the fast path; any other
call, and any milvus-lite version other than the one copied, runs milvus-lite's own code.

On the insert side (a bulk insert of 384-d rows, profiled with py-spy): ``validate_record``'s
per-element type check of each vector and the flush's per-cell ``as_py()`` copy of the memtable
are replaced by checks and an arrow ``take`` that accept, refuse and produce the same
(``tests/index/test_milvus_insert.py``); :func:`settle_lite_collection` runs pending compactions
before a bulk-loaded collection builds its graphs.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

log = logging.getLogger(__name__)

SUPPORTED_VERSIONS = ("3.2.",)  # the milvus-lite series whose search code this copies
_installed = False
_install_lock = threading.Lock()


# ---------------------------------------------------------------------------- masks (pure)


def newest_version_masks(pks: Sequence[np.ndarray], seqs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Per source, which rows hold their primary key's highest sequence number across all sources
    (ties all win, as milvus-lite's ``global_max_seqs.get(pk) != seq`` test)."""
    sizes = [len(p) for p in pks]
    if not sizes or sum(sizes) == 0:
        return [np.zeros(0, dtype=bool) for _ in sizes]
    all_pk = np.concatenate([np.asarray(p, dtype=np.int64) for p in pks])
    all_seq = np.concatenate([np.asarray(s, dtype=np.int64) for s in seqs])
    order = np.lexsort((all_seq, all_pk))
    sorted_pk = all_pk[order]
    if len(sorted_pk) < 2 or bool(np.all(sorted_pk[1:] != sorted_pk[:-1])):
        win = np.ones(len(all_pk), dtype=bool)  # every key once: nothing shadowed
    else:
        last = np.ones(len(sorted_pk), dtype=bool)  # the last of each key's run holds its max seq
        last[:-1] = sorted_pk[1:] != sorted_pk[:-1]
        group = np.cumsum(_run_starts(sorted_pk)) - 1
        sorted_seq = all_seq[order]
        win_sorted = sorted_seq == sorted_seq[last][group]
        win = np.empty(len(all_pk), dtype=bool)
        win[order] = win_sorted
    return np.split(win, np.cumsum(sizes)[:-1])


def _run_starts(sorted_values: np.ndarray) -> np.ndarray:
    starts = np.ones(len(sorted_values), dtype=bool)
    starts[1:] = sorted_values[1:] != sorted_values[:-1]
    return starts


def deleted_mask(pks: np.ndarray, seqs: np.ndarray, delete_pks: np.ndarray, delete_seqs: np.ndarray) -> np.ndarray:
    """Rows a delete with a higher sequence number shadows (``DeltaIndex.is_deleted``)."""
    if len(delete_pks) == 0 or len(pks) == 0:
        return np.zeros(len(pks), dtype=bool)
    order = np.argsort(delete_pks, kind="stable")
    dpk, dseq = delete_pks[order], delete_seqs[order]
    at = np.searchsorted(dpk, pks)
    at_c = np.minimum(at, len(dpk) - 1)
    found = dpk[at_c] == pks
    return found & (dseq[at_c] > seqs)


def _int_keys(mapping: dict[Any, Any]) -> tuple[np.ndarray, np.ndarray] | None:
    """(keys, first values) of a pk-keyed map as int64 arrays; None when a key is not an int."""
    if not mapping:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    try:
        keys = np.fromiter(mapping.keys(), dtype=np.int64, count=len(mapping))
        values = np.fromiter(
            (v[0] if isinstance(v, tuple) else v for v in mapping.values()), dtype=np.int64, count=len(mapping)
        )
    except (TypeError, ValueError, OverflowError):
        return None
    return keys, values


class _Lru:
    """A small map from objects (by identity, a reference kept so ids are not reused) to values."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict[tuple[int, ...], tuple[tuple[Any, ...], Any]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, objects: tuple[Any, ...]) -> Any:
        key = tuple(id(o) for o in objects)
        with self._lock:
            entry = self._items.get(key)
            if entry is None or not all(a is b for a, b in zip(entry[0], objects, strict=True)):
                return None
            self._items.move_to_end(key)
            return entry[1]

    def put(self, objects: tuple[Any, ...], value: Any) -> None:
        with self._lock:
            self._items[tuple(id(o) for o in objects)] = (objects, value)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


SEGMENTS_KEPT = 256  # segments whose key arrays stay cached: 1M rows are ~50 segments
SNAPSHOTS_KEPT = 8  # segment snapshots whose newest-version masks stay cached
_ARRAYS = _Lru(SEGMENTS_KEPT)
_ARRAY_SPARSE_IP: list[Any] = []  # the SparseIpIndex subclass, made once milvus-lite is imported
_NEWEST = _Lru(SNAPSHOTS_KEPT)


def segment_arrays(segment: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """A segment's primary keys and sequence numbers as int64 arrays (None: keys not integers)."""
    cached = _ARRAYS.get((segment,))
    if cached is not None:
        return cast(tuple[np.ndarray, np.ndarray], cached)
    pks = segment.pks
    if len(pks) and not isinstance(pks[0], (int, np.integer)):
        return None
    arrays = (np.asarray(pks, dtype=np.int64), np.asarray(segment.seqs, dtype=np.int64))
    _ARRAYS.put((segment,), arrays)
    return arrays


def segment_valid_masks(
    segments: Sequence[Any],
    memtable_pk_seqs: dict[Any, int],
    delta_map: dict[Any, int],
    pending_deletes: dict[Any, Any],
    partition_aware_pending: bool = False,
    all_partitions: str = "",
) -> list[np.ndarray] | None:
    """Per segment, the rows milvus-lite's loops would keep: the newest version of their key
    (segments and the memtable's ``pk -> seq`` together), not shadowed by a later delete
    (``delta_map``: pk -> delete seq; ``pending_deletes``: the memtable's pk -> (seq, partition)).
    None when a key is not an integer (the caller then runs milvus-lite's own code)."""
    arrays = []
    for seg in segments:
        a = segment_arrays(seg)
        if a is None:
            return None
        arrays.append(a)
    snapshot = tuple(segments)
    newest = _NEWEST.get(snapshot)
    if newest is None:
        newest = newest_version_masks([a[0] for a in arrays], [a[1] for a in arrays])
        _NEWEST.put(snapshot, newest)
    mt = _int_keys(memtable_pk_seqs)
    deltas = _int_keys(delta_map)
    pending = _int_keys(pending_deletes)
    if mt is None or deltas is None or pending is None:
        return None
    pending_parts = np.asarray(
        [e[1] if isinstance(e, tuple) and len(e) > 1 else all_partitions for e in pending_deletes.values()],
        dtype=object,
    )
    masks = []
    for seg, (pks, seqs), mask in zip(segments, arrays, newest, strict=True):
        mask = mask.copy()
        mask &= ~deleted_mask(pks, seqs, *mt)  # a newer version in the memtable (an equal one ties)
        mask &= ~deleted_mask(pks, seqs, *deltas)
        if len(pending[0]):
            sel = np.ones(len(pending[0]), dtype=bool)
            if partition_aware_pending:
                sel = (pending_parts == all_partitions) | (pending_parts == seg.partition)
            mask &= ~deleted_mask(pks, seqs, pending[0][sel], pending[1][sel])
        masks.append(mask)
    return masks


# ---------------------------------------------------------------------------- dense search


def _fast_execute_search_with_index(original: Any) -> Any:
    """``milvus_lite.search.executor_indexed.execute_search_with_index`` with vectorized masks."""
    from milvus_lite.index.brute_force import BruteForceIndex

    def execute_search_with_index(
        query_vectors: np.ndarray,
        segments: Any,
        memtable: Any,
        delta_index: Any,
        top_k: int,
        metric_type: str,
        pk_field: str,
        vector_field: str,
        partition_names: list[str] | None = None,
        compiled_filter: Any = None,
        output_fields: list[str] | None = None,
        indexed_filter_plan: Any = None,
        project_record_fn: Any = None,
        search_params: dict[str, Any] | None = None,
    ) -> list[list[dict[str, Any]]]:
        segments = tuple(segments)
        args = (query_vectors, segments, memtable, delta_index, top_k, metric_type, pk_field, vector_field)
        kwargs = {
            "partition_names": partition_names, "compiled_filter": compiled_filter, "output_fields": output_fields,
            "indexed_filter_plan": indexed_filter_plan, "project_record_fn": project_record_fn,
            "search_params": search_params,
        }
        if partition_names:
            return original(*args, **kwargs)
        if query_vectors.ndim == 1:
            query_vectors = query_vectors.reshape(1, -1)
        if query_vectors.dtype != np.float32:
            query_vectors = query_vectors.astype(np.float32, copy=False)
        nq = int(query_vectors.shape[0])
        if nq == 0 or top_k <= 0:
            return [[] for _ in range(nq)]
        in_scope = [s for s in segments if s.num_rows > 0]
        mt_pks, mt_seqs, mt_vecs, mt_row_refs, mt_table = memtable.to_search_snapshot(
            vector_field=vector_field, partition_names=None, include_table=compiled_filter is not None,
        )
        if not in_scope and not mt_pks:
            return [[] for _ in range(nq)]
        mt_deletes = memtable.delete_index_snapshot()
        mt_pk_seq: dict[Any, int] = {}
        for pk, seq in zip(mt_pks, np.asarray(mt_seqs).tolist(), strict=True):
            if mt_pk_seq.get(pk, -1) < int(seq):
                mt_pk_seq[pk] = int(seq)
        masks = segment_valid_masks(in_scope, mt_pk_seq, delta_index._map, mt_deletes)
        if masks is None:
            return original(*args, **kwargs)

        # From here on milvus-lite 3.2.2's own code, the masks given.
        seg_max: dict[Any, int] = {}
        if mt_pks:  # the memtable rows' own newest-version test needs the segments' seqs of their keys
            want = set(mt_pk_seq)
            for seg in in_scope:
                pks_arr, seqs_arr = segment_arrays(seg) or (np.zeros(0, np.int64), np.zeros(0, np.int64))
                sel = np.isin(pks_arr, np.fromiter(want, dtype=np.int64, count=len(want)))
                for pk, seq in zip(pks_arr[sel].tolist(), seqs_arr[sel].tolist(), strict=True):
                    if seg_max.get(pk, -1) < seq:
                        seg_max[pk] = seq
        Candidate = tuple[float, int, int]
        per_query: list[list[Candidate]] = [[] for _ in range(nq)]
        sources: list[tuple[list[Any], np.ndarray, np.ndarray]] = []

        def recall(source_idx: int, vectors: np.ndarray, local_mask: np.ndarray, index: Any) -> None:
            if len(local_mask) == 0 or not local_mask.any():
                return
            if index is None:
                index = BruteForceIndex.build(vectors, metric_type)
            local_ids, dists = index.search(
                query_vectors, top_k, valid_mask=None if local_mask.all() else local_mask, params=search_params,
            )
            for q in range(nq):
                for j in range(top_k):
                    lid = int(local_ids[q, j])
                    if lid < 0:
                        break
                    per_query[q].append((float(dists[q, j]), source_idx, lid))

        if compiled_filter is not None:
            from milvus_lite.search.filter import evaluate_mask
            from milvus_lite.search.indexed_filter import evaluate_segment_filter
        for seg, mask in zip(in_scope, masks, strict=True):
            seg_vectors, null_mask = seg.vector_data(vector_field)
            sources.append((seg.pks, seg.seqs, seg_vectors))
            if compiled_filter is not None:
                mask = mask & evaluate_segment_filter(seg, compiled_filter, indexed_filter_plan).astype(bool)
            if null_mask is not None:
                mask = mask & null_mask
            recall(len(sources) - 1, seg_vectors, mask, seg.indexes.get(vector_field))
        if mt_pks:
            sources.append((mt_pks, mt_seqs, mt_vecs))
            mt_mask = np.zeros(len(mt_pks), dtype=bool)
            for i, (pk, seq) in enumerate(zip(mt_pks, np.asarray(mt_seqs).tolist(), strict=True)):
                seq = int(seq)
                if max(mt_pk_seq.get(pk, -1), seg_max.get(pk, -1)) != seq:
                    continue
                if delta_index.is_deleted(pk, seq):
                    continue
                entry = mt_deletes.get(pk)
                if entry is not None and entry[0] > seq:
                    continue
                mt_mask[i] = True
            if compiled_filter is not None and mt_table is not None:
                mt_mask &= evaluate_mask(compiled_filter, mt_table).astype(bool)
            recall(len(sources) - 1, mt_vecs, mt_mask, None)

        n_segments = len(in_scope)
        if project_record_fn is not None:
            project = project_record_fn
        elif output_fields is None:
            def project(record: dict[str, Any]) -> dict[str, Any]:
                return {k: v for k, v in record.items() if k != pk_field and k != vector_field}
        else:
            keep = set(output_fields)
            keep.discard(pk_field)

            def project(record: dict[str, Any]) -> dict[str, Any]:
                return {k: record[k] for k in keep if k in record}

        results: list[list[dict[str, Any]]] = []
        for q in range(nq):
            candidates = per_query[q]
            candidates.sort(key=lambda c: (c[0], c[1], c[2]))
            hits: list[dict[str, Any]] = []
            for dist, source_idx, local_id in candidates[:top_k]:
                if source_idx < n_segments:
                    record = in_scope[source_idx].row_to_dict(local_id)
                else:
                    batch_idx, row_idx = mt_row_refs[local_id]
                    record = memtable.materialize_row(batch_idx, row_idx)
                pk = record.get(pk_field) if pk_field in record else sources[source_idx][0][local_id]
                hits.append({"id": pk, "distance": dist, "entity": project(record)})
            results.append(hits)
        return results

    execute_search_with_index.__wrapped__ = original  # type: ignore[attr-defined]
    return execute_search_with_index


# ---------------------------------------------------------------------------- sparse search


def _fast_search_sparse(original: Any) -> Any:
    """``Collection._search_sparse`` with vectorized masks (its merge and projection unchanged)."""
    from milvus_lite.analyzer.sparse import bytes_to_sparse
    from milvus_lite.constants import ALL_PARTITIONS
    from milvus_lite.engine.projection import build_projection_plan, project_record
    from milvus_lite.index.sparse_factory import (
        _search_prepared_sparse_index,
        create_sparse_index,
        sparse_index_matches,
    )

    def _search_sparse(
        self: Any,
        query_vectors: list[Any],
        vector_field: str,
        top_k: int,
        metric_type: str,
        partition_names: list[str] | None,
        expr: str | None,
        output_fields: list[str] | None,
        timezone: str | None = None,
    ) -> list[list[dict[str, Any]]]:
        if partition_names:
            return original(self, query_vectors, vector_field, top_k, metric_type, partition_names, expr,
                            output_fields, timezone)
        seg_snapshot, delta_snap = self._read_snapshot()
        mt_deletes = self._memtable.delete_index_snapshot()
        mt_pk_seq = {pk: int(seq) for pk, (_, _, seq) in self._memtable.pk_index_snapshot()}
        live = [s for s in seg_snapshot if s.table is not None and len(s.table) > 0]
        masks = segment_valid_masks(
            seg_snapshot, mt_pk_seq, delta_snap._map, mt_deletes,
            partition_aware_pending=True, all_partitions=ALL_PARTITIONS,
        )
        if masks is None:
            return original(self, query_vectors, vector_field, top_k, metric_type, partition_names, expr,
                            output_fields, timezone)
        mask_of = {id(s): m for s, m in zip(seg_snapshot, masks, strict=True)}
        projection_plan = build_projection_plan(output_fields, self._schema, api_kind="search")
        sparse_spec = self._index_specs.get(vector_field)
        index_params = sparse_spec.build_params if sparse_spec else {}
        query_sparse = self._prepare_sparse_queries(query_vectors, vector_field)
        nq = len(query_sparse)
        compiled_filter = self._compile_filter(expr, timezone=timezone) if expr else None
        indexed_filter_plan = self._indexed_filter_plan(compiled_filter)
        per_query: list[list[tuple[float, Any, Any]]] = [[] for _ in range(nq)]
        global_pk_seq: dict[Any, int] = {}  # only the memtable's keys need it below
        if mt_pk_seq:
            want = np.fromiter(mt_pk_seq, dtype=np.int64, count=len(mt_pk_seq))
            for seg in seg_snapshot:
                pks_arr, seqs_arr = segment_arrays(seg) or (np.zeros(0, np.int64), np.zeros(0, np.int64))
                sel = np.isin(pks_arr, want)
                for pk, seq in zip(pks_arr[sel].tolist(), seqs_arr[sel].tolist(), strict=True):
                    global_pk_seq[pk] = max(seq, global_pk_seq.get(pk, -1))
            for pk, seq in mt_pk_seq.items():
                global_pk_seq[pk] = max(seq, global_pk_seq.get(pk, -1))

        # From here on milvus-lite 3.2.2's own code, the masks given.
        for seg in live:
            table = seg.table
            cached_idx = seg.sparse_indexes.get(vector_field)
            if not sparse_index_matches(cached_idx, metric_type, index_params):
                cached_idx = build_sparse_ip_index(table.column(vector_field)) if metric_type == "IP" else None
                if cached_idx is None:
                    sparse_vecs = [
                        bytes_to_sparse(r) if isinstance(r, bytes) else (r or {})
                        for r in table.column(vector_field).to_pylist()
                    ]
                    cached_idx = create_sparse_index(metric_type, index_params)
                    cached_idx.build(sparse_vecs)
                seg.sparse_indexes[vector_field] = cached_idx
            valid_mask = mask_of[id(seg)]
            if compiled_filter is not None:
                from milvus_lite.search.indexed_filter import evaluate_segment_filter

                valid_mask = valid_mask & evaluate_segment_filter(seg, compiled_filter, indexed_filter_plan)
            if not valid_mask.any():
                continue
            local_ids, dists = _search_prepared_sparse_index(cached_idx, query_sparse, top_k, valid_mask=valid_mask)
            pks = seg.pks
            for qi in range(nq):
                for j in range(top_k):
                    lid = int(local_ids[qi, j])
                    if lid < 0:
                        break
                    per_query[qi].append((float(dists[qi, j]), pks[lid], (table, lid)))

        mt = self._memtable
        mt_pks: list[Any] = []
        mt_sparse: list[Any] = []
        mt_refs: list[Any] = []
        for pk, seq, record in mt.active_record_snapshots(partition_names=None):
            if delta_snap.is_deleted(pk, seq) or global_pk_seq.get(pk, -1) > seq:
                continue
            raw = record.get(vector_field)
            mt_pks.append(pk)
            mt_sparse.append(bytes_to_sparse(raw) if isinstance(raw, bytes) else (raw or {}))
            mt_refs.append((record, seq))
        if mt_pks:
            mt_valid = np.ones(len(mt_pks), dtype=bool)
            if compiled_filter is not None:
                from milvus_lite.search.filter.eval.python_backend import _eval_row

                for i in range(len(mt_pks)):
                    if not _eval_row(compiled_filter.ast, mt_refs[i][0]):
                        mt_valid[i] = False
            mt_idx = create_sparse_index(metric_type, index_params)
            mt_idx.build(mt_sparse, valid_mask=mt_valid)
            local_ids, dists = _search_prepared_sparse_index(mt_idx, query_sparse, top_k)
            for qi in range(nq):
                for j in range(top_k):
                    lid = int(local_ids[qi, j])
                    if lid < 0:
                        break
                    per_query[qi].append((float(dists[qi, j]), mt_pks[lid], mt_refs[lid]))

        def is_memtable_ref(source: Any) -> bool:
            return isinstance(source, tuple) and bool(source) and isinstance(source[0], dict)

        results: list[list[dict[str, Any]]] = []
        for qi in range(nq):
            best: dict[Any, tuple[int, tuple[float, Any, Any]]] = {}
            for cand in per_query[qi]:
                _, pk, source = cand
                if is_memtable_ref(source):
                    seq = int(source[1])
                else:
                    tbl, row_i = source
                    seq = int(tbl.column("_seq")[row_i].as_py())
                if pk not in best or seq > best[pk][0]:
                    best[pk] = (seq, cand)
            deduped = [v[1] for v in best.values()]
            deduped.sort(key=lambda c: c[0])
            hits: list[dict[str, Any]] = []
            for dist, pk, source in deduped:
                if is_memtable_ref(source):
                    entity = project_record(source[0], self._schema, projection_plan)
                else:
                    tbl, row_i = source
                    record = {
                        name: tbl.column(name)[row_i].as_py()
                        for name in tbl.column_names
                        if name not in ("_seq", "_partition")
                    }
                    entity = project_record(record, self._schema, projection_plan)
                hits.append({"id": pk, "distance": dist, "entity": entity})
                if len(hits) >= top_k:
                    break
            results.append(hits)
        return results

    _search_sparse.__wrapped__ = original  # type: ignore[attr-defined]
    return _search_sparse


# ---------------------------------------------------------------------------- sparse scoring


def _posting_arrays(index: Any) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """A SparseIpIndex's posting lists as (row ids, weights) arrays, built once per index."""
    arrays = index.__dict__.get("_reportqa_arrays")
    if arrays is None:
        arrays = {
            dim: (np.fromiter((p[0] for p in plist), dtype=np.int64, count=len(plist)),
                  np.fromiter((p[1] for p in plist), dtype=np.float64, count=len(plist)))
            for dim, plist in index._posting_lists.items()
        }
        index.__dict__["_reportqa_arrays"] = arrays
    return cast(dict[int, tuple[np.ndarray, np.ndarray]], arrays)


def sparse_ip_top_k(
    postings: dict[int, tuple[np.ndarray, np.ndarray]], num_rows: int, query: dict[int, float], top_k: int,
    mask: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """(rows, scores) of the ``top_k`` best inner products, as ``SparseIpIndex._search_prepared``
    ranks them: every row a query term touches, summed in the query's term order, ties in the
    order the rows were first touched (query term, then row id)."""
    parts = [(i, postings[d], float(w)) for i, (d, w) in enumerate(query.items()) if d in postings]
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    ids = np.concatenate([rows for _, (rows, _), _ in parts])
    weights = np.concatenate([w * qw for _, (_, w), qw in parts])
    term = np.concatenate([np.full(len(rows), i, dtype=np.int64) for i, (rows, _), _ in parts])
    scores = np.bincount(ids, weights=weights, minlength=num_rows)
    first = np.full(num_rows, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, ids, term)
    touched = first < np.iinfo(np.int64).max
    if mask is not None:
        touched &= mask
    rows = np.flatnonzero(touched)
    order = np.lexsort((rows, first[rows], -scores[rows]))[:top_k]
    return rows[order], scores[rows][order]


def packed_sparse_postings(offsets: np.ndarray, data: bytes | memoryview) -> dict[int, tuple[np.ndarray, np.ndarray]] | None:
    """Posting arrays of rows stored as milvus-lite packs them (per row, pairs of uint32 index and
    float32 weight; ``offsets``: each row's byte range in ``data``), as ``SparseIpIndex.build``
    makes them: zero weights dropped, each dimension's rows ascending. None on a malformed row."""
    lengths = np.diff(offsets)
    if bool(np.any(lengths % 8)) or bool(np.any(lengths < 0)):
        return None
    if len(lengths) == 0:
        return {}
    start, end = int(offsets[0]), int(offsets[-1])
    pairs = np.frombuffer(data, dtype=np.dtype([("i", "<u4"), ("v", "<f4")]), count=(end - start) // 8, offset=start)
    rows = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths // 8)
    dims = pairs["i"].astype(np.int64)
    weights = pairs["v"].astype(np.float64)
    if not np.all(np.isfinite(weights)) or bool(np.any(weights < 0)) or bool(np.any(dims >= 2**32 - 1)):
        return None  # milvus-lite's own build raises on these: let it
    keep = weights != 0
    rows, dims, weights = rows[keep], dims[keep], weights[keep]
    order = np.lexsort((rows, dims))
    rows, dims, weights = rows[order], dims[order], weights[order]
    cuts = np.flatnonzero(np.diff(dims)) + 1
    return {
        int(d[0]): (r, w)
        for d, r, w in zip(np.split(dims, cuts), np.split(rows, cuts), np.split(weights, cuts), strict=True)
        if len(d)
    }


def build_sparse_ip_index(column: Any) -> Any:
    """A segment's ``SparseIpIndex`` from its packed Arrow column without decoding row by row
    (milvus-lite's build takes ~4 s per 10k rows, at each process's first BM25 search); None when
    the column is not plain packed binary (milvus-lite's own build then runs)."""
    import pyarrow as pa

    array = column.combine_chunks() if hasattr(column, "combine_chunks") else column
    if not pa.types.is_binary(array.type) or array.null_count:
        return None
    width = np.int32
    offsets = np.frombuffer(array.buffers()[1], dtype=width)[array.offset : array.offset + len(array) + 1]
    data = array.buffers()[2]
    postings = packed_sparse_postings(offsets, memoryview(data) if data is not None else b"")
    if postings is None:
        return None
    if not _ARRAY_SPARSE_IP:
        _ARRAY_SPARSE_IP.append(_array_sparse_ip_class())
    index = _ARRAY_SPARSE_IP[0]()
    index.num_rows = len(array)
    index.__dict__.pop("_lists", None)  # SparseIpIndex.__init__'s empty lists: made from the arrays instead
    index.__dict__["_reportqa_arrays"] = postings
    return index


def _array_sparse_ip_class() -> Any:
    from milvus_lite.index.sparse_ip import SparseIpIndex

    class ArraySparseIpIndex(SparseIpIndex):
        """A SparseIpIndex whose postings are arrays; the lists milvus-lite's code reads are made on
        first access (only when its own code runs: saving, or the speedups uninstalled)."""

        @property
        def _posting_lists(self) -> dict[int, list[tuple[int, float]]]:
            arrays = self.__dict__.get("_reportqa_arrays") or {}
            lists = self.__dict__.get("_lists")
            if lists is None:
                lists = {d: list(zip(r.tolist(), w.tolist(), strict=True)) for d, (r, w) in arrays.items()}
                self.__dict__["_lists"] = lists
            return cast(dict[int, list[tuple[int, float]]], lists)

        @_posting_lists.setter
        def _posting_lists(self, value: dict[int, list[tuple[int, float]]]) -> None:
            self.__dict__["_lists"] = value
            self.__dict__.pop("_reportqa_arrays", None)

    return ArraySparseIpIndex


def _fast_sparse_ip_search(original: Any) -> Any:
    """``SparseIpIndex._search_prepared`` scored with numpy instead of a loop over postings."""
    from milvus_lite.index.sparse_common import empty_results, validate_mask

    def _search_prepared(self: Any, queries: list[dict[int, float]], top_k: int, valid_mask: Any = None) -> Any:
        mask = validate_mask(valid_mask, self.num_rows)
        ids, distances = empty_results(len(queries), top_k)
        if top_k == 0:
            return ids, distances
        postings = _posting_arrays(self)
        for qi, query in enumerate(queries):
            rows, scores = sparse_ip_top_k(postings, self.num_rows, query, top_k, mask)
            ids[qi, : len(rows)] = rows
            distances[qi, : len(rows)] = -scores
        return ids, distances

    _search_prepared.__wrapped__ = original  # type: ignore[attr-defined]
    return _search_prepared



# ---------------------------------------------------------------------------- inserts and flushes


class _CheckedVector(list[float]):
    """Stands in for a vector whose elements are known to be numbers: a list of ``dim`` length
    with nothing to iterate, so ``validate_record``'s per-element loop has no work left."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self._dim = dim

    def __len__(self) -> int:
        return self._dim


def _fast_validate_record(original: Any) -> Any:
    """``validate_record`` without its per-element check of a vector that is all ints and floats.

    The check skipped is ``isinstance(x, (int, float)) and not isinstance(x, bool)`` per element
    (4 µs a 384-d row, 60% of the validation); ``set(map(type, v)) <= {float, int}`` proves it
    in C. Any other vector, and every other rule, goes through milvus-lite's own code."""
    from milvus_lite.schema.validation import _find_float_vector

    def validate_record(record: Any, schema: Any, *args: Any, **kwargs: Any) -> Any:
        field = _find_float_vector(schema) if isinstance(record, dict) else None
        vector = record.get(field.name) if field is not None else None
        if field is None or type(vector) is not list or len(vector) != field.dim or not set(map(type, vector)) <= {float, int}:
            return original(record, schema, *args, **kwargs)
        record[field.name] = _CheckedVector(len(vector))
        try:
            return original(record, schema, *args, **kwargs)
        finally:
            record[field.name] = vector

    validate_record.__wrapped__ = original  # type: ignore[attr-defined]
    return validate_record


def _fast_build_data_table(original: Any) -> Any:
    """``MemTable._build_data_table`` with one arrow ``take`` instead of a Python ``as_py()`` per
    cell (a flush of 50k 384-d rows: seconds of per-value conversion, 80% of a flush)."""
    import pyarrow as pa

    def _build_data_table(self: Any, rows: list[tuple[int, int]]) -> Any:
        names = self._data_schema.names
        batches = self._insert_batches
        if not rows or not batches or any(b.schema.field(n).type != self._data_schema.field(n).type
                                          for b in batches for n in names):
            return original(self, rows)
        sizes = np.fromiter((b.num_rows for b in batches), dtype=np.int64, count=len(batches))
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        pairs = np.asarray(rows, dtype=np.int64).reshape(-1, 2)
        table = pa.Table.from_batches([b.select(names) for b in batches])
        taken = table.take(pa.array(starts[pairs[:, 0]] + pairs[:, 1])).combine_chunks()
        return pa.Table.from_arrays(taken.columns, schema=self._data_schema)

    _build_data_table.__wrapped__ = original  # type: ignore[attr-defined]
    return _build_data_table


def settle_lite_collection(uri: str, collection: str) -> int:
    """Run Milvus Lite's pending compactions of ``collection`` now, in this thread; how many ran.

    For a released collection after a bulk insert (``MilvusIndexStore.bulk_load``): its segments
    then reach their merged sizes before ``load`` builds one HNSW graph per segment, instead of
    graphs built for segments a background compaction merges minutes later (and builds again).
    Best effort: nothing happens where milvus-lite's internals are not the ones this copies."""
    import os

    try:
        from milvus_lite import __version__ as version
        from milvus_lite.server_manager import server_manager_instance

        if not str(version).startswith(SUPPORTED_VERSIONS):
            return 0
        entry = server_manager_instance._servers.get(os.path.abspath(uri))
        if entry is None:
            return 0
        col = entry[1].get_collection(collection)
        col._wait_for_bg()
        ran = 0
        while True:
            with col._maintenance_lock:
                merged = [col._compaction_mgr.maybe_compact(p, col._manifest, col._delta_index)
                          for p in col._manifest.list_partitions()]
                col._refresh_segment_cache()
                col._cleanup_orphan_index_files()
            if not any(merged):
                return ran
            ran += sum(merged)
    except Exception as exc:  # internals of another layout: the background thread compacts later
        log.info("could not settle Milvus Lite collection %s of %s: %s", collection, uri, exc)
        return 0


def install() -> bool:
    """Patch Milvus Lite's search paths, record validation and flush (once per process); whether patched."""
    global _installed
    with _install_lock:
        if _installed:
            return True
        try:
            from milvus_lite import __version__ as version
            from milvus_lite.engine import collection as engine
            from milvus_lite.index import sparse_ip
            from milvus_lite.storage import memtable
        except ImportError:
            return False
        if not str(version).startswith(SUPPORTED_VERSIONS):
            log.info("milvus-lite %s: its own search code runs (speedups are for %s)", version, SUPPORTED_VERSIONS)
            return False
        engine.execute_search_with_index = _fast_execute_search_with_index(engine.execute_search_with_index)
        engine.Collection._search_sparse = _fast_search_sparse(engine.Collection._search_sparse)
        sparse_ip.SparseIpIndex._search_prepared = _fast_sparse_ip_search(sparse_ip.SparseIpIndex._search_prepared)
        engine.validate_record = _fast_validate_record(engine.validate_record)
        memtable.MemTable._build_data_table = _fast_build_data_table(memtable.MemTable._build_data_table)
        _installed = True
        log.debug("milvus-lite %s: vectorized search masks installed", version)
        return True


def uninstall() -> None:
    """Restore milvus-lite's own search code (for the tests that compare both)."""
    global _installed
    with _install_lock:
        if not _installed:
            return
        from milvus_lite.engine import collection as engine
        from milvus_lite.index import sparse_ip
        from milvus_lite.storage import memtable

        engine.validate_record = engine.validate_record.__wrapped__
        memtable.MemTable._build_data_table = memtable.MemTable._build_data_table.__wrapped__
        engine.execute_search_with_index = engine.execute_search_with_index.__wrapped__
        engine.Collection._search_sparse = engine.Collection._search_sparse.__wrapped__
        sparse_ip.SparseIpIndex._search_prepared = sparse_ip.SparseIpIndex._search_prepared.__wrapped__
        _installed = False
