"""Exact inner-product search with FAISS (vectors are unit length, so IP = cosine)."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

FILE_NAME = "vectors.faiss"


class FaissVectorStore:
    """Row i of the store is chunk i of the index."""

    def __init__(self, dim: int, index: faiss.Index | None = None) -> None:
        self.dim = dim
        self._index = index if index is not None else faiss.IndexFlatIP(dim)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise ValueError(f"expected vectors of shape (n, {self.dim}); got {vectors.shape}")
        self._index.add(vectors)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        k = min(k, len(self))
        if k <= 0:
            return []
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        scores, rows = self._index.search(query, k)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]

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
    def load(cls, directory: Path) -> FaissVectorStore:
        index = faiss.read_index(str(directory / FILE_NAME))
        return cls(index.d, index)
