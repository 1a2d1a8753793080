"""The seams: small typed interfaces for the swappable parts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from reportqa.types import Document, Hit


@runtime_checkable
class Loader(Protocol):
    """Turns one file into a Document. ``sniff`` decides from the name and first bytes."""

    name: str

    def sniff(self, path: Path, head: bytes) -> bool: ...

    def load(self, path: Path) -> Document: ...


@runtime_checkable
class Embedder(Protocol):
    """Text → unit-length float32 vectors. Models load lazily on first use."""

    name: str

    @property
    def dim(self) -> int: ...

    def count_tokens(self, text: str) -> int: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


@runtime_checkable
class VectorStore(Protocol):
    """Inner-product search over row vectors; row i is chunk i of the index."""

    def add(self, vectors: np.ndarray) -> None: ...

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]: ...

    def save(self, directory: Path) -> None: ...

    def __len__(self) -> int: ...


@runtime_checkable
class KeywordIndex(Protocol):
    """Lexical search over the same rows as the vector store."""

    def search(self, query: str, k: int) -> list[tuple[int, float]]: ...

    def save(self, directory: Path) -> None: ...


@runtime_checkable
class Retriever(Protocol):
    def retrieve(self, question: str, k: int) -> list[Hit]: ...


@runtime_checkable
class Reranker(Protocol):
    def rerank(self, question: str, hits: list[Hit]) -> list[Hit]: ...


@runtime_checkable
class Generator(Protocol):
    """Writes an answer from numbered passages; ``[n]`` refers to ``hits[n-1]``.

    Streaming: yields pieces of text; an extractive generator yields once.
    """

    name: str

    def generate(
        self, question: str, hits: Sequence[Hit], history: Sequence[tuple[str, str]] = ()
    ) -> Iterator[str]: ...
