"""index.milvus_insert and the insert-side speedups: rows inserted column by column read back as
inserted; the sparse packing is pymilvus's byte for byte; Milvus Lite's record validation and
flush give the same results with the speedups as with its own code; a bulk load ends loaded."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index import milvus_lite_speedups as speedups
from index.milvus_insert import insert_columns, pack_sparse_rows
from tests.index.index_helpers import milvus_lite_or_skip

DIM = 8


@pytest.fixture()
def lite(tmp_path: Path) -> Iterator[tuple[Any, str]]:
    c, target = milvus_lite_or_skip(tmp_path / "insert.db")
    from index.milvus_store import close_client

    yield c, target.uri
    speedups.install()
    close_client(target)


def _collection(c: Any, name: str) -> list[dict[str, Any]]:
    from pymilvus import DataType

    s = c.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("row", DataType.INT64, is_primary=True)
    s.add_field("label", DataType.VARCHAR, max_length=64)
    s.add_field("vector", DataType.FLOAT_VECTOR, dim=DIM)
    s.add_field("terms", DataType.SPARSE_FLOAT_VECTOR)
    ip = c.prepare_index_params()
    ip.add_index("vector", index_type="HNSW", metric_type="IP", params={"M": 8, "efConstruction": 40})
    ip.add_index("terms", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    c.create_collection(name, schema=s, index_params=ip, consistency_level="Strong")
    return list(c.describe_collection(name)["fields"])


def _rows(rng: np.random.Generator, ids: range) -> list[dict[str, Any]]:
    vectors = rng.standard_normal((len(ids), DIM)).astype(np.float32)
    return [
        {"row": i, "label": f"행 {i}", "vector": v,
         # keys out of order, as a Counter of terms makes them
         "terms": {int(t): float(w) for t, w in zip(rng.permutation(50)[:5], rng.random(5), strict=True)}}
        for i, v in zip(ids, vectors, strict=True)
    ]


def test_sparse_packing_is_pymilvus_byte_for_byte() -> None:
    pytest.importorskip("pymilvus")
    from pymilvus.client.entity_helper import sparse_rows_to_proto

    rng = np.random.default_rng(1)
    rows = [{int(k): float(v) for k, v in zip(rng.permutation(1000)[: n], rng.random(n), strict=True)}
            for n in rng.integers(1, 30, 200)]
    contents, dim = pack_sparse_rows(rows)
    assert contents == list(sparse_rows_to_proto(rows).contents)
    assert dim == max(max(r) for r in rows) + 1
    with pytest.raises(ValueError, match="sparse row 1: a NaN"):
        pack_sparse_rows([{1: 0.5}, {2: float("nan")}])
    with pytest.raises(ValueError, match="sparse row 0: an index outside"):
        pack_sparse_rows([{-3: 0.5}])


def test_column_insert_reads_back_as_the_row_insert(lite: tuple[Any, str]) -> None:
    c, _ = lite
    fields = _collection(c, "cols")
    _collection(c, "rows")
    rng = np.random.default_rng(2)
    rows = _rows(rng, range(300))
    insert_columns(c, "cols", rows, fields)
    c.insert("rows", [{**r, "vector": r["vector"].tolist()} for r in rows])

    def read(name: str) -> list[tuple[Any, ...]]:
        got = c.query(name, filter="row >= 0", output_fields=["row", "label", "vector", "terms"], limit=1000)
        return sorted((g["row"], g["label"], np.round(g["vector"], 6).tolist(), sorted(dict(g["terms"]).items()))
                      for g in got)

    cols, by_rows = read("cols"), read("rows")
    assert len(cols) == 300 and cols == by_rows
    assert cols[7][1] == "행 7" and np.allclose(cols[7][2], rows[7]["vector"], atol=1e-6)
    query = rows[11]["vector"]
    hits = c.search("cols", data=[query.tolist()], anns_field="vector", limit=1,
                    search_params={"metric_type": "IP", "params": {"ef": 300}})[0]
    assert int(hits[0]["row"]) == int(np.argmax(np.stack([r["vector"] for r in rows]) @ query))


def test_validation_accepts_and_refuses_as_milvus_lite(lite: tuple[Any, str]) -> None:
    pytest.importorskip("milvus_lite")
    from milvus_lite.schema.validation import validate_record as own
    from milvus_lite.server_manager import server_manager_instance

    c, uri = lite
    _collection(c, "v")
    schema = server_manager_instance._servers[os.path.abspath(uri)][1].get_collection("v").schema
    fast = speedups._fast_validate_record(own)
    good = {"row": 1, "label": "a", "vector": [0.5] * (DIM - 1) + [1], "terms": {1: 0.5}}
    bad = [
        {**good, "vector": [0.5] * (DIM - 1) + [True]},  # bool is not a number here
        {**good, "vector": [0.5] * (DIM - 1) + ["x"]},
        {**good, "vector": [0.5] * (DIM + 1)},
        {**good, "label": 3},
        {k: v for k, v in good.items() if k != "row"},
    ]
    record = dict(good)
    vector = record["vector"]
    fast(record, schema)
    assert record["vector"] is vector  # the record is left as it came
    for case in bad:
        with pytest.raises(Exception) as theirs:
            own(dict(case), schema)
        with pytest.raises(type(theirs.value)) as ours:
            fast(dict(case), schema)
        assert str(ours.value) == str(theirs.value)


def test_flush_table_as_milvus_lite_builds_it(lite: tuple[Any, str]) -> None:
    pytest.importorskip("milvus_lite")
    from milvus_lite.server_manager import server_manager_instance

    c, uri = lite
    fields = _collection(c, "f")
    rng = np.random.default_rng(4)
    for s in range(0, 600, 200):  # three memtable batches, then upserts of some of their rows
        insert_columns(c, "f", _rows(rng, range(s, s + 200)), fields)
    c.upsert("f", [{**r, "vector": r["vector"].tolist()} for r in _rows(rng, range(150, 250))])
    memtable = server_manager_instance._servers[os.path.abspath(uri)][1].get_collection("f")._memtable
    from milvus_lite.storage.memtable import MemTable

    own = getattr(MemTable._build_data_table, "__wrapped__", MemTable._build_data_table)
    fast = speedups._fast_build_data_table(own)
    sizes = [b.num_rows for b in memtable._insert_batches]
    picks = [(b, r) for b, n in enumerate(sizes) for r in range(n)]
    order = rng.permutation(len(picks))[: len(picks) // 2]
    rows = [picks[i] for i in order]  # any subset, any order
    assert fast(memtable, rows).equals(own(memtable, rows))
    assert fast(memtable, picks).num_rows == sum(sizes) == 700


def test_bulk_load_ends_loaded_with_every_row(lite: tuple[Any, str], tmp_path: Path) -> None:
    from index.milvus_store import MilvusIndexStore, MilvusTarget, passage_row
    from index.vector_store import VectorIndexSpec
    from reportqa.types import Chunk

    c, uri = lite
    store = MilvusIndexStore(MilvusTarget(uri, "bulk"))
    store.create(DIM, VectorIndexSpec())
    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((500, DIM)).astype(np.float32)
    rows = [
        passage_row(i, 0, Chunk(f"c{i}", "d", "t", "s.txt", f"문단 {i}", 0, 4), vectors[i],
                    np.zeros((1, DIM), np.float32), {i % 7: 0.5}, 1, "default")
        for i in range(500)
    ]
    with store.bulk_load():
        store.insert_rows(rows)
        assert "NotLoad" in str(c.get_load_state(store.passages)["state"])  # no graph built meanwhile
    assert "Loaded" in str(c.get_load_state(store.passages)["state"])
    assert store.count_rows() == 500
    hits = c.search(store.passages, data=[vectors[42].tolist()], anns_field="vector", limit=3,
                    search_params={"metric_type": "IP", "params": {"ef": 500}}, output_fields=["row"])[0]
    best = int(np.argmax(vectors @ vectors[42]))
    assert int(hits[0]["row"]) == best
