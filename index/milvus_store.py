"""The index on Milvus: passages, vectors, sentence vectors and BM25 weights in one collection.

An index directory whose ``milvus.json`` names a Milvus collection (``REPORTQA_STORE=milvus``)
opens as a :class:`MilvusReportIndex`: the same ``ReportIndex`` interface as the on-disk FAISS
index, so fusion, the relevance gate and the extractive answer run unchanged; only storage and
the two searches (dense HNSW, BM25 as sparse inner product) happen in Milvus. The URI is a file
for Milvus Lite (embedded, one process per file) or ``http://host:19530`` for Milvus standalone
or a cluster, shared by every replica.

Two collections per index, ``<name>_passages`` and ``<name>_meta``:

- a passage row: ``row`` (int64 primary key), ``version`` (its document version), ``doc_id``,
  ``collection`` (partition key), ``page``, ``length`` (BM25 tokens), ``chunk`` (the Chunk as
  JSON: text, headings, offsets, sentence spans and terms), ``sentences`` (its sentence vectors,
  float16, base64), ``vector`` (the passage vector) and ``terms`` (BM25 term weights, sparse).
- the manifest: documents (with the row range of each), the BM25 vocabulary with document
  frequencies and the index settings, as numbered parts of one compressed JSON text; a header
  row, written after its parts, makes a manifest live (the highest complete ``seq`` wins).

BM25 as a sparse inner product: a passage stores ``tf / (k1·(1 − b + b·dl/avgdl) + tf)`` per term
(bm25s's Lucene term part, avgdl as of the ingest that wrote it), the question sends
``count·idf`` per term with idf from the live manifest, so a score is the bm25s score.

Safe updates without transactions: new rows get primary keys from ``next_row`` up, invisible
to readers (every search filters ``row < next_row`` and the versions the manifest dropped) until
the new manifest's header is written. A crash before that leaves rows no manifest names; the
next writer deletes them first (:meth:`MilvusIndexStore.recover`). Rows a commit supersedes stay
until the next ingest, so a reader that opened the previous manifest keeps answering.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import zlib
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast, overload

import numpy as np

from index.keyword import BM25_B, BM25_K1, KiwiBm25Index
from index.milvus_insert import insert_columns
from index.milvus_lite_speedups import install as install_lite_speedups
from index.milvus_lite_speedups import settle_lite_collection
from index.report_index import (
    MILVUS_POINTER,
    SCHEMA_VERSION,
    DocumentRecord,
    ReportIndex,
    check_compatible,
    chunk_from_json,
    chunk_to_json,
)
from index.vector_store import FaissVectorStore, VectorIndexSpec
from reportqa.errors import IndexCorruptError, IndexNotFoundError
from reportqa.types import Chunk

log = logging.getLogger(__name__)

POINTER = MILVUS_POINTER  # in an index directory: which Milvus collection holds the index
LITE_FILE = "milvus.db"  # Milvus Lite's file when no URI is set: inside the index directory
PASSAGES, META = "_passages", "_meta"
VARCHAR_MAX = 65_535  # Milvus's longest VARCHAR, in bytes
PART_CHARS = 60_000  # manifest text per meta row (under VARCHAR_MAX)
INSERT_BATCH = 1_000  # rows per insert call: ~6 MB of gRPC message at 384-d
FETCH_FIELDS = ["chunk", "sentences", "vector"]
# Every hit brings its vector too: fusion needs each BM25 candidate's cosine and MMR (on by
# default) every hit's vector; fetching them one row at a time cost 11 s a question at 100k rows
# on Milvus Lite (bench_query --store milvus), where each query walks every row.
DENSE_FIELDS = FETCH_FIELDS
ROW_CACHE = 8_192  # fetched rows kept per index (a question's candidates, many times over)
PLACEHOLDER = "\u2205"  # the token of a passage without terms (as KiwiBm25Index.build)
QUERY_PAGE = 4_096


@dataclass(frozen=True)
class MilvusTarget:
    """Where an index lives in Milvus. ``uri``: a file (Milvus Lite) or ``http://host:19530``."""

    uri: str
    collection: str = "reportqa"
    db: str = ""
    token: str = field(default="", repr=False)  # never written to milvus.json

    @property
    def lite(self) -> bool:
        return "://" not in self.uri

    @classmethod
    def from_settings(cls, settings: Any, index_dir: Path) -> MilvusTarget:
        uri = settings.milvus_uri or str(index_dir / LITE_FILE)
        return cls(uri, settings.milvus_collection, settings.milvus_db, settings.milvus_token)

    def write_pointer(self, index_dir: Path) -> None:
        index_dir.mkdir(parents=True, exist_ok=True)
        data = {"uri": self.uri, "collection": self.collection, "db": self.db}
        tmp = index_dir / f".{POINTER}.tmp"
        tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        tmp.replace(index_dir / POINTER)

    @classmethod
    def read_pointer(cls, index_dir: Path, token: str = "") -> MilvusTarget:
        try:
            data = json.loads((index_dir / POINTER).read_text(encoding="utf-8"))
            return cls(str(data["uri"]), str(data["collection"]), str(data.get("db", "")), token)
        except (OSError, ValueError, KeyError) as exc:
            raise IndexCorruptError(index_dir, f"unreadable {POINTER}: {exc}") from exc


def is_milvus_index(index_dir: Path) -> bool:
    """Whether ``index_dir`` points at an index in Milvus (has a ``milvus.json``)."""
    return (index_dir / POINTER).is_file()


_clients: dict[tuple[str, str, str], Any] = {}
_clients_lock = threading.Lock()


def client_for(target: MilvusTarget) -> Any:
    """One MilvusClient per (uri, db, token) in a process (Milvus Lite allows one per file)."""
    from pymilvus import MilvusClient

    key = (target.uri, target.db, target.token)
    with _clients_lock:
        if key not in _clients:
            kwargs: dict[str, Any] = {"uri": target.uri}
            if target.token:
                kwargs["token"] = target.token
            if target.db and not target.lite:
                kwargs["db_name"] = target.db
            if target.lite:
                Path(target.uri).parent.mkdir(parents=True, exist_ok=True)
                install_lite_speedups()  # the embedded engine runs in this process
            _clients[key] = MilvusClient(**kwargs)
        return _clients[key]


def close_client(target: MilvusTarget) -> None:
    """Close this process's client of ``target`` (releases a Milvus Lite file)."""
    with _clients_lock:
        client = _clients.pop((target.uri, target.db, target.token), None)
    if client is not None:
        client.close()
    if target.lite:  # the embedded engine outlives its clients; stop it to free the file
        try:
            from milvus_lite.server_manager import server_manager_instance
        except ImportError:  # pragma: no cover - other milvus-lite layouts
            return
        server_manager_instance.release_server(target.uri)


# ---------------------------------------------------------------------------- encoding


def encode_sentences(vectors: np.ndarray) -> str:
    """A chunk's sentence vectors as base64 float16 (Milvus has no blob field)."""
    return base64.b64encode(np.ascontiguousarray(vectors, dtype=np.float16).tobytes()).decode("ascii")


def decode_sentences(text: str, dim: int) -> np.ndarray:
    raw = base64.b64decode(text) if text else b""
    return np.frombuffer(raw, dtype=np.float16).reshape(-1, dim).astype(np.float32)


def bm25_term_weights(
    terms: Sequence[str], avgdl: float, vocab: Mapping[str, int], k1: float = BM25_K1, b: float = BM25_B
) -> dict[int, float]:
    """A passage's sparse vector: bm25s's Lucene term-frequency part per term id."""
    norm = k1 * ((1.0 - b) + b * len(terms) / (avgdl or 1.0))
    return {vocab[t]: float(tf / (norm + tf)) for t, tf in Counter(terms).items()}


def bm25_idf(df: int, n: int) -> float:
    return float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))


def _encode_manifest(state: dict[str, Any]) -> list[str]:
    text = base64.b64encode(zlib.compress(json.dumps(state, ensure_ascii=False).encode("utf-8"), 6)).decode("ascii")
    return [text[i : i + PART_CHARS] for i in range(0, len(text), PART_CHARS)] or [""]


def _decode_manifest(parts: Sequence[str]) -> dict[str, Any]:
    state: dict[str, Any] = json.loads(zlib.decompress(base64.b64decode("".join(parts))).decode("utf-8"))
    return state


def _in_list(values: Iterable[int]) -> str:
    return "[" + ",".join(str(int(v)) for v in values) + "]"


# ---------------------------------------------------------------------------- state


@dataclass
class MilvusState:
    """One manifest of an index in Milvus (what a reader's snapshot is made of)."""

    seq: int
    embedder: dict[str, Any]
    chunker: dict[str, Any]
    keyword: dict[str, Any]
    documents: list[dict[str, Any]]  # DocumentRecord fields + version, row_start
    vocab: dict[str, list[int]]  # term -> [id, df]
    next_row: int = 0
    next_term: int = 0
    total_length: int = 0
    dead: list[int] = field(default_factory=list)  # versions dropped by the last two commits
    superseded: list[int] = field(default_factory=list)  # versions dropped by this commit
    created_at: str = ""

    @property
    def rows(self) -> int:
        return sum(int(d["chunks"]) for d in self.documents)

    def live_filter(self) -> str:
        """What every search and scan filters on: this manifest's rows only."""
        expr = f"row < {self.next_row}"
        if self.dead:
            expr += f" and version not in {_in_list(self.dead)}"
        return expr

    def report_manifest(self) -> dict[str, Any]:
        """The manifest in the on-disk index's shape (what ReportIndex.manifest holds)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "created_at": self.created_at,
            "embedder": self.embedder,
            "chunker": self.chunker,
            "keyword": self.keyword,
            "documents": [asdict(record_of(d)) for d in self.documents],
            "chunk_count": self.rows,
            "vectors": {"kind": "milvus-hnsw", "count": self.rows, "dim": self.embedder.get("dim")},
            "store": "milvus",
        }


def record_of(doc: Mapping[str, Any]) -> DocumentRecord:
    names = DocumentRecord.__dataclass_fields__
    return DocumentRecord(**{k: v for k, v in doc.items() if k in names})


# ---------------------------------------------------------------------------- the store


class MilvusIndexStore:
    """Reads and writes one index's two collections."""

    def __init__(self, target: MilvusTarget) -> None:
        self.target = target
        self.client = client_for(target)
        self.passages = target.collection + PASSAGES
        self.meta = target.collection + META
        self._fields: list[dict[str, Any]] | None = None  # the passages' schema, for column inserts

    def exists(self) -> bool:
        return bool(self.client.has_collection(self.meta)) and bool(self.client.has_collection(self.passages))

    def create(self, dim: int, spec: VectorIndexSpec) -> None:
        """Create both collections (if missing) for vectors of ``dim``."""
        from pymilvus import DataType

        c = self.client
        if not c.has_collection(self.passages):
            s = c.create_schema(auto_id=False, enable_dynamic_field=False)
            s.add_field("row", DataType.INT64, is_primary=True)
            s.add_field("version", DataType.INT64)
            s.add_field("doc_id", DataType.VARCHAR, max_length=2048)
            s.add_field("chunk_id", DataType.VARCHAR, max_length=4096)
            s.add_field("collection", DataType.VARCHAR, max_length=256, is_partition_key=True)
            s.add_field("page", DataType.INT64)
            s.add_field("length", DataType.INT64)
            s.add_field("chunk", DataType.VARCHAR, max_length=VARCHAR_MAX)
            s.add_field("sentences", DataType.VARCHAR, max_length=VARCHAR_MAX)
            s.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
            s.add_field("terms", DataType.SPARSE_FLOAT_VECTOR)
            ip = c.prepare_index_params()
            ip.add_index(
                "vector", index_type="HNSW", metric_type="IP",
                params={"M": spec.hnsw_m, "efConstruction": spec.hnsw_ef_construction},
            )
            ip.add_index("terms", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
            ip.add_index("version", index_type="INVERTED")
            c.create_collection(self.passages, schema=s, index_params=ip, consistency_level="Strong")
        if not c.has_collection(self.meta):
            s = c.create_schema(auto_id=False, enable_dynamic_field=False)
            s.add_field("key", DataType.VARCHAR, is_primary=True, max_length=64)
            s.add_field("seq", DataType.INT64)
            s.add_field("part", DataType.INT64)  # -1: the header, written last
            s.add_field("body", DataType.VARCHAR, max_length=VARCHAR_MAX)
            s.add_field("dummy", DataType.FLOAT_VECTOR, dim=2)  # Milvus needs a vector field
            ip = c.prepare_index_params()
            ip.add_index("dummy", index_type="FLAT", metric_type="L2")
            c.create_collection(self.meta, schema=s, index_params=ip, consistency_level="Strong")

    def drop(self) -> None:
        for name in (self.passages, self.meta):
            if self.client.has_collection(name):
                self.client.drop_collection(name)
        self._fields = None

    # -- manifest

    def read_state(self) -> MilvusState | None:
        """The live manifest (the highest ``seq`` whose parts are all there), or None."""
        if not self.exists():
            return None
        for name in (self.meta, self.passages):  # released when a client closed it
            if "NotLoad" in str(self.client.get_load_state(name).get("state", "")):
                self.client.load_collection(name)
        headers = self.client.query(self.meta, filter="part == -1", output_fields=["seq", "body"])
        for head in sorted(headers, key=lambda h: -int(h["seq"])):
            seq, count = int(head["seq"]), int(json.loads(head["body"])["parts"])
            parts = self.client.query(
                self.meta, filter=f"seq == {seq} and part >= 0", output_fields=["part", "body"], limit=count + 1
            )
            if len(parts) != count:
                log.warning("manifest %d of %s has %d of %d parts; skipped", seq, self.meta, len(parts), count)
                continue
            data = _decode_manifest([p["body"] for p in sorted(parts, key=lambda p: int(p["part"]))])
            data["seq"] = seq
            return MilvusState(**data)
        return None

    def write_state(self, state: MilvusState) -> None:
        """Make ``state`` the live manifest: its parts, then its header (the commit point)."""
        data = asdict(state)
        data.pop("seq")
        parts = _encode_manifest(data)
        rows = [
            {"key": f"m{state.seq:012d}.{i:06d}", "seq": state.seq, "part": i, "body": p, "dummy": [0.0, 0.0]}
            for i, p in enumerate(parts)
        ]
        for i in range(0, len(rows), 64):
            self.client.insert(self.meta, rows[i : i + 64])
        header = {"parts": len(parts), "created_at": state.created_at}
        self.client.insert(
            self.meta,
            [{"key": f"h{state.seq:012d}", "seq": state.seq, "part": -1, "body": json.dumps(header), "dummy": [0.0, 0.0]}],
        )

    # -- rows

    def recover(self, state: MilvusState | None) -> int:
        """Delete what no reader of ``state`` can see: rows of an interrupted ingest, rows of
        documents ``state`` does not hold, other manifests. Returns the rows deleted."""
        if not self.exists():
            return 0
        if state is None:  # an ingest that never committed its first manifest
            before = self.count_rows()
            self.client.delete(self.passages, filter="row >= 0")
            self.client.delete(self.meta, filter="seq >= 0")
            return before
        # Rows ``state`` superseded go too: only readers of the manifest before it used them.
        keep = [int(d["version"]) for d in state.documents]
        before = self.count_rows()
        self.client.delete(self.passages, filter=f"row >= {state.next_row}")
        self.client.delete(self.passages, filter=f"version not in {_in_list(keep)}" if keep else "row >= 0")
        self.client.delete(self.meta, filter=f"seq > {state.seq} or seq < {state.seq}")
        deleted = before - self.count_rows()
        if deleted:
            log.info("removed %d rows no manifest of %s names", deleted, self.passages)
        return deleted

    def count_rows(self, expr: str = "") -> int:
        res = self.client.query(self.passages, filter=expr, output_fields=["count(*)"])
        return int(res[0]["count(*)"])

    def insert_rows(self, rows: list[dict[str, Any]]) -> None:
        """Insert passage rows (``passage_row``'s), column by column, ``INSERT_BATCH`` a request."""
        if not rows:
            return
        if self._fields is None:
            self._fields = list(self.client.describe_collection(self.passages)["fields"])
        for i in range(0, len(rows), INSERT_BATCH):
            insert_columns(self.client, self.passages, rows[i : i + INSERT_BATCH], self._fields)
            log.info("inserted %d/%d rows into %s", min(i + INSERT_BATCH, len(rows)), len(rows), self.passages)

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Insert into a collection no manifest names yet, its ANN index built once at the end.

        A loaded Milvus Lite collection builds the HNSW graph of every segment a flush writes, then
        again for each segment compaction merges them into; released, it builds none until
        ``load``. So the passages are released for the inserts (no reader can be searching rows
        no manifest names), flushed, compacted (Milvus Lite) and loaded: one graph per final
        segment. Leaves the collection loaded whatever happens inside."""
        c = self.client
        c.release_collection(self.passages)
        try:
            yield
            c.flush(self.passages)
            if self.target.lite:
                settle_lite_collection(self.target.uri, self.passages)
        finally:
            t0 = time.perf_counter()
            c.load_collection(self.passages)
            log.info("loaded %s (index built) in %.1fs", self.passages, time.perf_counter() - t0)

    def scan(self, expr: str, fields: list[str], batch: int = QUERY_PAGE) -> Iterator[dict[str, Any]]:
        """Every row matching ``expr``, in primary-key order, ``batch`` at a time."""
        last = -1
        while True:
            page = self.client.query(
                self.passages, filter=f"({expr}) and row > {last}" if expr else f"row > {last}",
                output_fields=["row", *fields], limit=batch,
            )
            if not page:
                return
            page.sort(key=lambda r: int(r["row"]))
            yield from page
            last = int(page[-1]["row"])
            if len(page) < batch:
                return


# ---------------------------------------------------------------------------- reading


class _Rows:
    """A snapshot's row map (position i ↔ primary key) and its cache of fetched rows."""

    def __init__(self, store: MilvusIndexStore, state: MilvusState, dim: int) -> None:
        self.store = store
        self.state = state
        self.dim = dim
        self.filter = state.live_filter()
        self.starts = np.asarray([int(d["row_start"]) for d in state.documents], dtype=np.int64)
        counts = np.asarray([int(d["chunks"]) for d in state.documents], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._cache: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def pk(self, position: int) -> int:
        if not 0 <= position < len(self):
            raise IndexError(f"chunk row {position} out of range (0..{len(self) - 1})")
        doc = int(np.searchsorted(self.offsets, position, side="right")) - 1
        return int(self.starts[doc] + (position - self.offsets[doc]))

    def position(self, pk: int) -> int:
        doc = int(np.searchsorted(self.starts, pk, side="right")) - 1
        return int(self.offsets[doc] + (pk - self.starts[doc]))

    def remember(self, pk: int, entity: Mapping[str, Any]) -> None:
        with self._lock:
            self._cache.setdefault(pk, {}).update(entity)
            self._cache.move_to_end(pk)
            while len(self._cache) > ROW_CACHE:
                self._cache.popitem(last=False)

    def get(self, position: int, fields: Sequence[str] = DENSE_FIELDS) -> dict[str, Any]:
        """Row ``position``'s ``fields`` (and whatever else is cached of it)."""
        pk = self.pk(position)
        with self._lock:
            hit = self._cache.get(pk)
            if hit is not None and all(f in hit for f in fields):
                self._cache.move_to_end(pk)
                return hit
        found = self.store.client.query(self.store.passages, filter=f"row == {pk}", output_fields=FETCH_FIELDS)
        if not found:
            raise IndexCorruptError(Path(self.store.target.uri), f"row {pk} of the manifest is missing from {self.store.passages}")
        self.remember(pk, found[0])
        return self.get(position, fields)

    def chunk(self, position: int) -> Chunk:
        entity = self.get(position)
        chunk = entity.get("_chunk")
        if chunk is None:
            chunk = chunk_from_json(json.loads(entity["chunk"]))
            entity["_chunk"] = chunk
        return cast(Chunk, chunk)

    def search(
        self, field_name: str, data: list[Any], k: int, params: dict[str, Any], fields: Sequence[str] = FETCH_FIELDS
    ) -> list[list[tuple[int, float]]]:
        """Search ``field_name`` (live rows only); the hits' ``fields`` are cached for what follows."""
        k = min(k, len(self))
        if k <= 0:
            return [[] for _ in data]
        results = self.store.client.search(
            self.store.passages, data=data, anns_field=field_name, limit=k, filter=self.filter,
            output_fields=list(fields), search_params={"metric_type": "IP", "params": params},
        )
        out = []
        for hits in results:
            ranked = []
            for hit in hits:
                pk = int(hit["row"] if "row" in hit else hit["id"])
                if fields:
                    self.remember(pk, hit["entity"])
                ranked.append((self.position(pk), float(hit["distance"])))
            out.append(ranked)
        return out


class MilvusVectorStore(FaissVectorStore):
    """Dense search in Milvus (HNSW, inner product), behind the FAISS store's interface."""

    def __init__(self, rows: _Rows, spec: VectorIndexSpec) -> None:
        self.dim = rows.dim
        self.rows = rows
        self.spec = spec
        self.mmapped = True  # read-only: writes go through milvus_ingest
        self.source = None

    @property
    def kind(self) -> str:
        return "milvus-hnsw"

    @property
    def ef_search(self) -> int | None:
        # Milvus Lite searches each segment's graph on its own, then merges: the breadth a graph
        # needs goes by a segment's rows, not the collection's (200k rows in two segments: recall@10
        # 1.00 at ef 96, benchmarks/bench_milvus_latency.py; ef by the 200k rows would be 241).
        n = len(self)
        if self.rows.store.target.lite:
            from milvus_lite.constants import MAX_SEGMENT_ROWS  # the largest graph a search walks

            n = min(n, int(MAX_SEGMENT_ROWS))
        return self.spec.ef_search_for(n)

    @ef_search.setter
    def ef_search(self, value: int) -> None:
        object.__setattr__(self, "spec", VectorIndexSpec(**{**asdict(self.spec), "hnsw_ef_search": int(value)}))

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "count": len(self), "dim": self.dim, "ef_search": self.ef_search,
                "collection": self.rows.store.passages}

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, vectors: np.ndarray) -> None:
        raise ValueError("a Milvus index is changed by ingesting documents (reportqa ingest), not by add()")

    def _params(self, k: int) -> dict[str, Any]:
        return {"ef": max(k, int(self.ef_search or 0))}

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        return self.rows.search("vector", [query.tolist()], k, self._params(k), DENSE_FIELDS)[0]

    def search_many(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.asarray(queries, dtype=np.float32).reshape(-1, self.dim)
        k = max(1, min(k, len(self)))
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        rows = np.full((len(queries), k), -1, dtype=np.int64)
        for s in range(0, len(queries), 100):
            batch = queries[s : s + 100].tolist()
            for i, ranked in enumerate(self.rows.search("vector", batch, k, self._params(k), fields=())):
                for j, (row, score) in enumerate(ranked):
                    rows[s + i, j], scores[s + i, j] = row, score
        return scores, rows

    def reconstruct(self, row: int) -> np.ndarray:
        return np.asarray(self.rows.get(int(row), ("vector",))["vector"], dtype=np.float32)

    def reconstruct_all(self) -> np.ndarray:
        out = np.zeros((len(self), self.dim), dtype=np.float32)
        for entity in self.rows.store.scan(self.rows.filter, ["vector"]):
            out[self.rows.position(int(entity["row"]))] = entity["vector"]
        return out

    def save(self, directory: Path) -> None:
        raise ValueError("a Milvus index is saved by ingesting into it; it has no files to save")


class _Bm25Params:
    """Stands in for bm25s's retriever where KiwiBm25Index reads k1 and b."""

    def __init__(self, k1: float, b: float) -> None:
        self.k1 = k1
        self.b = b


class MilvusKeywordIndex(KiwiBm25Index):
    """BM25 in Milvus: sparse term weights per passage, idf from the manifest's vocabulary.

    Scores are bm25s's (same tokenizer, k1, b, idf); the ceilings and idf the answer step reads
    come from :class:`KiwiBm25Index` over this vocabulary."""

    def __init__(self, rows: _Rows, vocab: Mapping[str, Sequence[int]], k1: float, b: float) -> None:
        from reportqa.language import keyword_terms

        super().__init__(cast(Any, _Bm25Params(k1, b)), len(rows), keyword_terms)
        self.rows = rows
        self.vocab = vocab

    @property
    def params(self) -> tuple[float, float]:
        p = cast(_Bm25Params, self._retriever)
        return p.k1, p.b

    def search_terms(self, terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        counts = Counter(t for t in terms if t in self.vocab)
        k = min(k, self._size)
        if not counts or k <= 0:
            return []
        query = {int(self.vocab[t][0]): c * bm25_idf(int(self.vocab[t][1]), self._size) for t, c in counts.items()}
        ranked = self.rows.search("terms", [query], k, {"drop_ratio_search": 0.0})[0]
        return [(row, score) for row, score in ranked if score > 0]

    def idf(self, term: str) -> float:
        entry = self.vocab.get(term)
        return bm25_idf(int(entry[1]) if entry else 0, self._size)

    def contains(self, term: str) -> bool:
        entry = self.vocab.get(term)
        return entry is not None and int(entry[1]) > 0

    def save(self, directory: Path) -> None:
        raise ValueError("a Milvus index has no BM25 files to save")


class MilvusChunks(Sequence[Chunk]):
    """The chunks of a Milvus index: row ``i`` fetched on ``[i]`` (cached), iteration scans."""

    def __init__(self, rows: _Rows) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, row: int) -> Chunk: ...

    @overload
    def __getitem__(self, row: slice) -> list[Chunk]: ...

    def __getitem__(self, row: int | slice) -> Chunk | list[Chunk]:
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        return self.rows.chunk(row + len(self) if row < 0 else row)

    def __iter__(self) -> Iterator[Chunk]:
        for entity in self.rows.store.scan(self.rows.filter, ["chunk"]):
            yield chunk_from_json(json.loads(entity["chunk"]))

    def index(self, value: Any, start: int = 0, stop: int | None = None) -> int:
        chunk_id = json.dumps(getattr(value, "id", ""), ensure_ascii=False)
        found = self.rows.store.client.query(
            self.rows.store.passages, filter=f"({self.rows.filter}) and chunk_id == {chunk_id}", output_fields=["row"]
        )
        if not found:
            raise ValueError(f"{value!r} is not a chunk of this index")
        return self.rows.position(int(found[0]["row"]))

    def __repr__(self) -> str:
        return f"MilvusChunks({self.rows.store.passages}, {len(self)} chunks)"


@dataclass
class MilvusReportIndex(ReportIndex):
    """A ReportIndex whose rows live in Milvus (see the module docstring)."""

    store: MilvusIndexStore | None = None
    state: MilvusState | None = None
    rows: _Rows | None = None

    def sentence_vectors_of(self, row: int) -> np.ndarray:
        assert self.rows is not None
        return decode_sentences(self.rows.get(row)["sentences"], self.rows.dim)

    def describe(self) -> str:
        assert self.store is not None
        return (
            f"{len(self.documents)} documents, {len(self.chunks)} passages · embedder {self.embedder_name} · "
            f"Milvus {self.store.target.uri} ({self.store.passages})"
        )


def open_milvus_index(
    index_dir: Path, embedder_name: str | None = None, token: str = "", spec: VectorIndexSpec | None = None
) -> MilvusReportIndex:
    """Open the index that ``index_dir/milvus.json`` points at (a snapshot of its manifest)."""
    target = MilvusTarget.read_pointer(index_dir, token)
    store = MilvusIndexStore(target)
    state = store.read_state()
    if state is None:
        raise IndexNotFoundError(index_dir)
    return index_from_state(store, state, index_dir, embedder_name, spec, check_compatible)


def index_from_state(
    store: MilvusIndexStore,
    state: MilvusState,
    index_dir: Path,
    embedder_name: str | None,
    spec: VectorIndexSpec | None,
    check: Any,
) -> MilvusReportIndex:
    manifest = state.report_manifest()
    check(manifest, index_dir, embedder_name)
    dim = int(state.embedder["dim"])
    rows = _Rows(store, state, dim)
    k1, b = float(state.keyword.get("k1", BM25_K1)), float(state.keyword.get("b", BM25_B))
    return MilvusReportIndex(
        manifest=manifest,
        documents=[record_of(d) for d in state.documents],
        chunks=MilvusChunks(rows),
        vectors=MilvusVectorStore(rows, spec or VectorIndexSpec()),
        keyword=MilvusKeywordIndex(rows, state.vocab, k1, b),
        sentence_vectors=np.zeros((0, dim), dtype=np.float16),
        sentence_offsets=np.zeros(1, dtype=np.int64),
        path=index_dir,
        store=store,
        state=state,
        rows=rows,
    )


def passage_row(
    row: int, version: int, chunk: Chunk, vector: np.ndarray, sentences: np.ndarray,
    weights: dict[int, float], length: int, collection: str,
) -> dict[str, Any]:
    """One passages row; refuses what Milvus cannot store, saying which chunk and why."""
    body = json.dumps(chunk_to_json(chunk), ensure_ascii=False)
    packed = encode_sentences(sentences)
    for name, text in (("chunk", body), ("sentence vectors", packed)):
        if len(text.encode("utf-8")) > VARCHAR_MAX:
            raise ValueError(
                f"chunk {chunk.id} of {chunk.source}: its {name} take {len(text.encode('utf-8'))} bytes, more "
                f"than a Milvus VARCHAR holds ({VARCHAR_MAX}); ingest with smaller chunks "
                "(REPORTQA_CHUNK_MAX_TOKENS) or use the FAISS store"
            )
    return {
        "row": row, "version": version, "doc_id": chunk.doc_id[:2048], "chunk_id": chunk.id[:4096],
        "collection": collection, "page": chunk.page if chunk.page is not None else -1, "length": length,
        "chunk": body, "sentences": packed, "vector": np.asarray(vector, dtype=np.float32).reshape(-1),
        "terms": weights,
    }


def now_stamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


__all__ = [
    "MilvusIndexStore", "MilvusReportIndex", "MilvusState", "MilvusTarget", "bm25_term_weights",
    "is_milvus_index", "open_milvus_index",
]
