"""Insert passage rows into Milvus column by column: one InsertRequest built with numpy.

pymilvus's ``MilvusClient.insert`` takes row dicts and converts them to columns value by value in
Python (type checks, per-row sparse packing): at 20k synthetic 384-d rows half of an insert's time
was spent there (``benchmarks/bench_milvus_latency.py``, profiled with py-spy). Here the same
request is built per column: integers and strings as lists, the vectors as one flat float array,
the sparse term weights packed for all rows at once in the wire format pymilvus writes
(little-endian ``uint32`` index, ``float32`` value pairs, indices ascending). The server receives
the same message either way; :func:`insert_columns` falls back to ``client.insert`` when this
pymilvus lacks the calls it uses or a field is of a type encoded nowhere here.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

SPARSE_INDEX_LIMIT = int(np.iinfo(np.uint32).max)  # sparse indices are uint32 below this (as pymilvus checks)


class UnsupportedColumns(Exception):
    """This client or schema needs the row-by-row insert (a field type, a missing call)."""


def pack_sparse_rows(rows: Sequence[Mapping[int, float]]) -> tuple[list[bytes], int]:
    """Each row's sparse vector in Milvus's wire format, and the dimension (largest index + 1)."""
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    total = int(lengths.sum())
    keys = np.fromiter(itertools.chain.from_iterable(r.keys() for r in rows), dtype=np.int64, count=total)
    values = np.fromiter(itertools.chain.from_iterable(r.values() for r in rows), dtype=np.float64, count=total)
    if total and (keys.min() < 0 or keys.max() >= SPARSE_INDEX_LIMIT):
        bad = int(np.repeat(np.arange(len(rows)), lengths)[(keys < 0) | (keys >= SPARSE_INDEX_LIMIT)][0])
        raise ValueError(f"sparse row {bad}: an index outside 0..{SPARSE_INDEX_LIMIT - 1}")
    if total and bool(np.isnan(values).any()):
        bad = int(np.repeat(np.arange(len(rows)), lengths)[np.isnan(values)][0])
        raise ValueError(f"sparse row {bad}: a NaN weight")
    owner = np.repeat(np.arange(len(rows), dtype=np.int64), lengths)
    order = np.lexsort((keys, owner))  # rows in order, indices ascending within each
    pairs = np.empty(total, dtype=[("i", "<u4"), ("v", "<f4")])
    pairs["i"], pairs["v"] = keys[order], values[order]
    raw = pairs.tobytes()
    ends = np.cumsum(lengths) * pairs.itemsize
    starts = ends - lengths * pairs.itemsize
    return [raw[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)], int(keys.max()) + 1 if total else 0


def insert_request(collection: str, rows: Sequence[Mapping[str, Any]], fields: Sequence[Mapping[str, Any]]) -> Any:
    """The InsertRequest of ``rows`` for a collection of ``fields`` (describe_collection's)."""
    from pymilvus import DataType
    from pymilvus.grpc_gen import milvus_pb2

    request = milvus_pb2.InsertRequest(collection_name=collection, partition_name="", num_rows=len(rows))
    for info in fields:
        name, kind = str(info["name"]), info["type"]
        if info.get("auto_id") or info.get("is_function_output"):
            continue
        values = [r[name] for r in rows]
        data = request.fields_data.add(type=int(kind), field_name=name)
        if kind in (DataType.INT64, DataType.INT32, DataType.INT16, DataType.INT8):
            target = data.scalars.long_data if kind == DataType.INT64 else data.scalars.int_data
            target.data.extend(int(v) for v in values)
        elif kind == DataType.VARCHAR:
            data.scalars.string_data.data.extend(values)
        elif kind == DataType.FLOAT_VECTOR:
            matrix = np.asarray(values, dtype=np.float32)
            dim = int(info.get("params", {}).get("dim", matrix.shape[-1]))
            if matrix.ndim != 2 or matrix.shape[1] != dim:
                raise ValueError(f"field {name}: vectors of shape {matrix.shape}, the collection's dim is {dim}")
            data.vectors.dim = dim
            data.vectors.float_vector.data.extend(matrix.ravel().tolist())
        elif kind == DataType.SPARSE_FLOAT_VECTOR:
            contents, dim = pack_sparse_rows(values)
            data.vectors.dim = dim
            data.vectors.sparse_float_vector.dim = dim
            data.vectors.sparse_float_vector.contents.extend(contents)
        else:
            raise UnsupportedColumns(f"field {name} of type {kind!r}")
    return request


def as_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row in the shape ``MilvusClient.insert`` takes (lists, not numpy arrays)."""
    return {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in row.items()}


def insert_columns(client: Any, collection: str, rows: Sequence[Mapping[str, Any]], fields: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` in one column-built request (or row by row where that cannot be built)."""
    try:
        request = insert_request(collection, rows, fields)
        connection = client._get_connection()
        context = client._generate_call_context()
    except (UnsupportedColumns, ImportError, AttributeError) as exc:
        log.debug("row-by-row insert into %s: %s", collection, exc)
        client.insert(collection, [as_row(r) for r in rows])
        return
    connection.batch_insert(collection, [], insert_param=request, context=context)


__all__ = ["insert_columns", "insert_request", "pack_sparse_rows"]
