"""What every index store shares: the loaded-index shape, document records, chunk JSON and the
compatibility check. The on-disk store (:mod:`index.store`) and the Milvus store
(:mod:`index.milvus_store`) both build on this module, so neither imports the other back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.keyword import KiwiBm25Index
from index.lexicon import Lexicon
from index.vector_store import FaissVectorStore
from reportqa.errors import IndexMismatchError
from reportqa.types import Chunk

SCHEMA_VERSION = 1
MILVUS_POINTER = "milvus.json"  # an index directory holding this opens from Milvus instead


@dataclass(frozen=True)
class DocumentRecord:
    """What the manifest keeps of each document."""

    id: str
    title: str
    source: str
    content_hash: str
    format: str
    chunks: int
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReportIndex:
    """A loaded (or freshly built) index. Row i of ``vectors``/``keyword`` is ``chunks[i]``.

    ``sentence_vectors[sentence_offsets[i]:sentence_offsets[i+1]]`` embed ``chunks[i].sentences``.
    """

    manifest: dict[str, Any]
    documents: list[DocumentRecord]
    chunks: Sequence[Chunk]  # a list, or LazyChunks for a large loaded index
    vectors: FaissVectorStore
    keyword: KiwiBm25Index
    sentence_vectors: np.ndarray
    sentence_offsets: np.ndarray
    path: Path | None = None
    lexicon: Lexicon | None = None  # the documents' Korean terms, embedded (index/lexicon.py)

    @property
    def embedder_name(self) -> str:
        return str(self.manifest["embedder"]["name"])

    def sentence_vectors_of(self, row: int) -> np.ndarray:
        # float32 copy: a loaded index keeps its sentence vectors as memory-mapped float16.
        rows = self.sentence_vectors[self.sentence_offsets[row] : self.sentence_offsets[row + 1]]
        return np.asarray(rows, dtype=np.float32)

    def describe(self) -> str:
        """One line for the UI and CLI: what is loaded."""
        where = str(self.path) if self.path else "memory"
        return (
            f"{len(self.documents)} documents, {len(self.chunks)} passages · "
            f"embedder {self.embedder_name} · {where}"
        )


def check_compatible(manifest: dict[str, Any], directory: Path, embedder_name: str | None) -> None:
    """Refuse an index of another schema version or embedder, with what to do about it."""
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        raise IndexMismatchError(
            f"The index at {directory} has schema version {version}; this reportqa reads version "
            f"{SCHEMA_VERSION}. Rebuild it: `reportqa ingest PATH... --index {directory} --rebuild`."
        )
    built_with = manifest.get("embedder", {}).get("name")
    if embedder_name is not None and built_with != embedder_name:
        raise IndexMismatchError(
            f"The index at {directory} was built with embedder {built_with!r} "
            f"(dim {manifest.get('embedder', {}).get('dim')}), but the configured embedder is "
            f"{embedder_name!r}. Vectors from different embedders cannot be mixed. Either set "
            f"REPORTQA_EMBEDDER={built_with} (or --embedder {built_with}), or rebuild the index: "
            f"`reportqa ingest PATH... --index {directory} --rebuild --embedder {embedder_name}`."
        )


def chunk_to_json(chunk: Chunk) -> dict[str, Any]:
    data = asdict(chunk)
    data["heading_path"] = list(chunk.heading_path)
    data["sentences"] = [list(s) for s in chunk.sentences]
    data["sentence_terms"] = [list(t) for t in chunk.sentence_terms]
    return data


def chunk_from_json(data: dict[str, Any]) -> Chunk:
    data["heading_path"] = tuple(data.get("heading_path") or ())
    data["sentences"] = tuple(tuple(s) for s in data.get("sentences") or ())
    data["sentence_terms"] = tuple(tuple(t) for t in data.get("sentence_terms") or ())
    return Chunk(**data)
