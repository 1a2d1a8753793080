"""The induced lexicon: every Korean term of the indexed documents with its embedding.

An English question about a Korean report shares no words with it, and most reports gloss only
a few of their terms in English (ingest/terms.py). The multilingual embedder places "query:
battery" near "query: 배터리", so the documents' own vocabulary (ingest/terms.py's
``korean_vocabulary``, kept per document in ``DocumentRecord.meta["vocabulary"]``), embedded
once at ingest, lets the answer step look up Korean search terms for an English question's
words (answer/lexicon.py). Stored beside the index as ``lexicon.npy``: the vectors (float16,
unit rows) and then the terms.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.embedding_cache import EmbeddingCache, embedder_fingerprint
from reportqa.protocols import Embedder

log = logging.getLogger(__name__)

LEXICON = "lexicon.npy"
VOCABULARY = "vocabulary"  # the DocumentRecord.meta key of a document's terms
# Cache keys of term vectors: a term is embedded as a query, a passage of the same text is not.
_CACHE_PREFIX = "query: "


@dataclass(frozen=True)
class Lexicon:
    """Terms and their query embeddings (row i embeds ``terms[i]``)."""

    terms: tuple[str, ...]
    vectors: np.ndarray

    def __len__(self) -> int:
        return len(self.terms)


def lexicon_terms(records: Iterable[object]) -> list[str]:
    """Every document's vocabulary (``meta["vocabulary"]``), once each, in document order."""
    terms: dict[str, None] = {}
    for record in records:
        for term in getattr(record, "meta", {}).get(VOCABULARY, ()):
            terms[str(term)] = None
    return list(terms)


def query_embedder(embedder: Embedder) -> Callable[[Sequence[str]], np.ndarray]:
    """Embeds many texts as queries: the embedder's batch call where it has one."""
    batch = getattr(embedder, "embed_queries", None)
    if callable(batch):
        return lambda texts: np.asarray(batch(list(texts)), dtype=np.float32)

    def one_by_one(texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, embedder.dim), dtype=np.float32)
        return np.vstack([embedder.embed_query(t) for t in texts]).astype(np.float32)

    return one_by_one


def build_lexicon(
    terms: Sequence[str], embedder: Embedder, cache: EmbeddingCache | None = None, batch: int = 64
) -> Lexicon:
    """A lexicon of ``terms``, each embedded as a query (through ``cache`` when given)."""
    embed = query_embedder(embedder)
    fingerprint = embedder_fingerprint(embedder) if cache is not None else ""
    terms = list(terms)
    parts: list[np.ndarray] = []
    for i in range(0, len(terms), batch):
        part = terms[i : i + batch]
        if cache is not None:
            keyed = [_CACHE_PREFIX + t for t in part]
            parts.append(cache.embed(keyed, fingerprint, lambda ts: embed([t[len(_CACHE_PREFIX) :] for t in ts])))
        else:
            parts.append(embed(part))
    vectors = np.vstack(parts).astype(np.float32) if parts else np.zeros((0, embedder.dim), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return Lexicon(tuple(terms), (vectors / norms).astype(np.float16))


def merge_lexicons(terms: Sequence[str], sources: Sequence[Lexicon | None]) -> Lexicon | None:
    """The lexicon of ``terms`` from the vectors of ``sources`` (a later source wins); a term
    none of them holds is left out; None when no source has a lexicon. Pure."""
    present = [s for s in sources if s is not None]
    if not present:
        return None
    rows: dict[str, np.ndarray] = {}
    for source in present:
        rows.update({t: source.vectors[i] for i, t in enumerate(source.terms)})
    kept = [t for t in dict.fromkeys(terms) if t in rows]
    dim = present[0].vectors.shape[1] if present[0].vectors.ndim == 2 else 0
    vectors = np.vstack([rows[t] for t in kept]) if kept else np.zeros((0, dim), dtype=np.float16)
    return Lexicon(tuple(kept), vectors.astype(np.float16))


def save_lexicon(lexicon: Lexicon, target: Path) -> None:
    """Write ``lexicon.npy`` into the index version directory ``target``."""
    with open(target / LEXICON, "wb") as fh:
        np.save(fh, np.asarray(lexicon.vectors, dtype=np.float16))
        np.save(fh, np.asarray(lexicon.terms, dtype=np.str_))


def load_lexicon(version: Path) -> Lexicon | None:
    """The lexicon saved in ``version``, or None for an index built without one."""
    path = version / LEXICON
    if not path.is_file():
        return None
    with open(path, "rb") as fh:
        vectors = np.load(fh)
        terms = np.load(fh)
    if len(terms) != len(vectors):
        raise ValueError(f"{path}: {len(terms)} terms but {len(vectors)} vectors")
    return Lexicon(tuple(str(t) for t in terms), vectors)
