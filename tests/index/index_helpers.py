"""Helpers shared by the vector-store and embedding-cache tests (no model needed)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from index.builder import build_index
from index.store import ReportIndex
from index.vector_store import VectorIndexSpec
from ingest.chunking import ChunkerConfig
from reportqa.types import Document

if TYPE_CHECKING:
    from index.milvus_store import MilvusTarget


class CountingHashEmbedder:
    """A deterministic bag-of-words embedder that records every text it embeds."""

    name = "hash-test"
    dim = 32

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for w in text.split():
            v[int(hashlib.md5(w.encode()).hexdigest(), 16) % self.dim] += 1
        v[0] += 0.01  # never the zero vector
        return v / np.linalg.norm(v)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded.extend(texts)
        return np.array([self._vec(t) for t in texts], dtype=np.float32).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vec(text)


DOCS = [
    Document(
        "a.md",
        "A",
        "/a.md",
        "보고서는 3대 전략을 제시했다. 경기도는 이차전지 거점이다. 평택에 클러스터를 조성한다. "
        "예산은 430억 원이다. 재활용 센터는 화성에 들어선다.",
        meta={"content_hash": "h1"},
    ),
    Document(
        "b.md",
        "B",
        "/b.md",
        "Batteries matter. Recycling is a core task. The plan runs to 2030. Funding grows each year.",
        meta={"content_hash": "h2"},
    ),
]


def tiny_index(spec: VectorIndexSpec | None = None, embedder: CountingHashEmbedder | None = None) -> ReportIndex:
    index, _ = build_index(
        DOCS,
        embedder or CountingHashEmbedder(),
        ChunkerConfig(max_tokens=8, overlap_tokens=2),
        vector_index=spec,
    )
    return index


def milvus_lite_or_skip(path: Path) -> tuple[Any, MilvusTarget]:
    """A started Milvus Lite client on the file ``path`` and its target; the test is skipped
    where pymilvus is missing or the embedded engine cannot start."""
    pytest.importorskip("pymilvus")
    from index.milvus_store import MilvusTarget, client_for

    target = MilvusTarget(str(path))
    try:
        client = client_for(target)
        client.list_collections()
    except Exception as exc:  # any failure to start the embedded engine
        pytest.skip(f"Milvus Lite cannot start here: {exc}")
    return client, target
