"""index.milvus_lite_speedups: Milvus Lite's dense and sparse searches give the same hits with the
vectorized masks as with milvus-lite's own per-row loops, through upserts across segments,
deletes (flushed and pending) and filters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index import milvus_lite_speedups as speedups
from index.milvus_lite_speedups import deleted_mask, newest_version_masks
from tests.index.index_helpers import milvus_lite_or_skip

DIM = 16
# ef above every segment's size makes HNSW exact here, so a segment whose index a background
# thread builds between the two searches (brute force before, HNSW after) ranks the same.
EXACT_EF = 1024


def test_newest_version_masks_keep_each_keys_highest_seq_and_ties() -> None:
    masks = newest_version_masks(
        [np.array([1, 2, 3]), np.array([2, 4]), np.array([3])],
        [np.array([10, 11, 12]), np.array([20, 21]), np.array([12])],
    )
    assert [m.tolist() for m in masks] == [[True, False, True], [True, True], [True]]
    assert [m.tolist() for m in newest_version_masks([np.array([5, 6])], [np.array([1, 2])])] == [[True, True]]


def test_deleted_mask_needs_a_later_delete() -> None:
    got = deleted_mask(np.array([1, 2, 3, 4]), np.array([5, 5, 5, 5]), np.array([4, 2, 9]), np.array([5, 6, 1]))
    assert got.tolist() == [False, True, False, False]
    assert not deleted_mask(np.array([1]), np.array([1]), np.zeros(0, np.int64), np.zeros(0, np.int64)).any()


@pytest.fixture()
def client(tmp_path: Path) -> Iterator[Any]:
    c, target = milvus_lite_or_skip(tmp_path / "speed.db")
    from index.milvus_store import close_client

    if not speedups.install():
        pytest.skip("this milvus-lite version runs its own search code")
    yield c
    speedups.install()
    close_client(target)


def _rows(rng: np.random.Generator, ids: range, page: int) -> list[dict[str, Any]]:
    vectors = rng.standard_normal((len(ids), DIM)).astype(np.float32)
    return [
        {
            "row": i, "page": page, "vector": v.tolist(),
            "terms": {int(t): float(w) for t, w in zip(rng.integers(0, 40, 4), rng.random(4), strict=True)},
        }
        for i, v in zip(ids, vectors, strict=True)
    ]


def _search(c: Any, queries: np.ndarray, sparse: list[dict[int, float]], filt: str) -> list[Any]:
    out = []
    for q, s in zip(queries, sparse, strict=True):
        for field, data, params in (("vector", q.tolist(), {"ef": EXACT_EF}), ("terms", s, {"drop_ratio_search": 0.0})):
            hits = c.search("t", data=[data], anns_field=field, limit=20, filter=filt, output_fields=["row", "page"],
                            search_params={"metric_type": "IP", "params": params})[0]
            out.append([(h["row"], h["page"], round(float(h["distance"]), 5)) for h in hits])
    return out


def _both(c: Any, queries: np.ndarray, sparse: list[dict[int, float]], filt: str = "") -> list[Any]:
    fast = _search(c, queries, sparse, filt)
    speedups.uninstall()
    try:
        own = _search(c, queries, sparse, filt)
    finally:
        speedups.install()
    # The same hits in the same order; scores equal up to float32 summation order (a score of
    # 11.497425 rounds to 11.49742 one way and 11.49743 the other).
    assert [[hit[:2] for hit in hits] for hits in fast] == [[hit[:2] for hit in hits] for hits in own]
    for a, b in zip(fast, own, strict=True):
        assert np.allclose([h[2] for h in a], [h[2] for h in b], atol=1e-4)
    return fast


def test_same_hits_as_milvus_lite_through_upserts_and_deletes(client: Any) -> None:
    from pymilvus import DataType

    c = client
    schema = c.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("row", DataType.INT64, is_primary=True)
    schema.add_field("page", DataType.INT64)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=DIM)
    schema.add_field("terms", DataType.SPARSE_FLOAT_VECTOR)
    ip = c.prepare_index_params()
    ip.add_index("vector", index_type="HNSW", metric_type="IP", params={"M": 8, "efConstruction": 40})
    ip.add_index("terms", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    c.create_collection("t", schema=schema, index_params=ip, consistency_level="Strong")
    rng = np.random.default_rng(3)
    queries = rng.standard_normal((6, DIM)).astype(np.float32)
    sparse = [{int(t): 1.0 for t in rng.integers(0, 40, 3)} for _ in range(6)]

    for s in range(0, 900, 300):  # three flushed segments
        c.insert("t", _rows(rng, range(s, s + 300), page=0))
        c.flush("t")
    first = _both(c, queries, sparse)
    assert all(len(hits) == 20 for hits in first)

    c.upsert("t", _rows(rng, range(250, 350), page=1))  # rows of two segments, newer in the memtable
    c.delete("t", filter="row < 40")  # pending deletes
    pending = _both(c, queries, sparse, "row < 800")
    c.flush("t")  # upserts now in a segment of their own, deletes in the delta index
    flushed = _both(c, queries, sparse, "page >= 0")
    for hits in (pending, flushed):
        rows = [r for q in hits for r, _, _ in q]
        assert not [r for r in rows if r < 40]
        assert all(page == 1 for q in hits for r, page, _ in q if 250 <= r < 350)
    for q in flushed:  # each key once per query: old versions of upserted rows are masked
        assert len({r for r, _, _ in q}) == len(q)


def test_sparse_scores_and_ties_as_milvus_lite() -> None:
    pytest.importorskip("milvus_lite")
    from milvus_lite.index.sparse_ip import SparseIpIndex

    rng = np.random.default_rng(8)
    vectors = [{int(t): float(w) for t, w in zip(rng.integers(0, 12, 3), rng.choice([0.5, 1.0], 3), strict=True)}
               for _ in range(300)]
    index = SparseIpIndex()
    index.build(vectors)
    current = SparseIpIndex._search_prepared
    own = getattr(current, "__wrapped__", current)  # milvus-lite's own, installed or not
    fast = speedups._fast_sparse_ip_search(own)
    mask = rng.random(300) > 0.3
    queries = [{int(t): 1.0 for t in rng.integers(0, 14, 3)} for _ in range(20)]  # many tied scores
    for valid in (None, mask):
        a_ids, a_d = own(index, queries, 25, valid_mask=valid)
        b_ids, b_d = fast(index, queries, 25, valid_mask=valid)
        assert a_ids.tolist() == b_ids.tolist()
        assert a_d.tolist() == b_d.tolist()


def test_sparse_index_built_from_packed_rows_as_milvus_lite_builds_it() -> None:
    pytest.importorskip("milvus_lite")
    import pyarrow as pa
    from milvus_lite.analyzer.sparse import sparse_to_bytes
    from milvus_lite.index.sparse_ip import SparseIpIndex

    rng = np.random.default_rng(9)
    vectors: list[dict[int, float]] = [
        {int(t): float(w) for t, w in zip(rng.integers(0, 30, 4), rng.choice([0.0, 0.25, 0.7], 4), strict=True)}
        for _ in range(200)
    ]
    vectors[5] = {}
    column = pa.chunked_array([pa.array([sparse_to_bytes(v) for v in vectors[:120]], type=pa.binary()),
                               pa.array([sparse_to_bytes(v) for v in vectors[120:]], type=pa.binary())])
    own = SparseIpIndex()
    own.build(vectors)
    fast = speedups.build_sparse_ip_index(column)
    assert isinstance(fast, SparseIpIndex) and fast.num_rows == own.num_rows == 200
    assert fast._posting_lists == own._posting_lists  # zero weights dropped, rows ascending
    assert speedups.build_sparse_ip_index(pa.chunked_array([pa.array([b"\x01\x02\x03"], type=pa.binary())])) is None
