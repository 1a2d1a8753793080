"""Optional second-stage ranking: a cross-encoder reranker, and MMR de-duplication. """

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from reportqa.errors import ModelUnavailableError
from reportqa.types import Hit


class CrossEncoderReranker:
    """Re-scores (question, passage) pairs with a sentence-transformers ``CrossEncoder``.

    Off by default: no reranker weights install offline. The model loads on first use, from a
    local folder or the Hugging Face cache only.
    """

    def __init__(self, model: str, batch_size: int = 16, device: str | None = None) -> None:
        self.model_id = model
        self.batch_size = batch_size
        self.device = device
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from sentence_transformers import CrossEncoder

                path = Path(self.model_id).expanduser()
                try:
                    self._model = CrossEncoder(
                        str(path) if path.exists() else self.model_id,
                        device=self.device,
                        local_files_only=True,
                    )
                except Exception as exc:
                    raise ModelUnavailableError(
                        f"Cannot load reranker {self.model_id!r}: {exc.__class__.__name__}: {str(exc)[:200]}. "
                        f"Download it where a network is available (`huggingface-cli download {self.model_id}`) "
                        "or set REPORTQA_RERANKER to a local folder; REPORTQA_RERANKER= (empty) turns reranking off."
                    ) from exc
            return self._model

    def rerank(self, question: str, hits: list[Hit]) -> list[Hit]:
        if not hits:
            return hits
        scores = self._load().predict(
            [(question, h.chunk.text) for h in hits], batch_size=self.batch_size, show_progress_bar=False
        )
        scored = [
            Hit(h.chunk, float(s), {**h.scores_by_retriever, "rerank": float(s)})
            for h, s in zip(hits, np.asarray(scores, dtype=np.float32).reshape(-1), strict=True)
        ]
        return sorted(scored, key=lambda h: -h.score)


def mmr_select(
    relevance: Sequence[float], vectors: np.ndarray, k: int, lambda_: float = 0.7, duplicate: float = 0.97
) -> list[int]:
    """Maximal marginal relevance: pick ``k`` indices balancing relevance and novelty.

    ``relevance`` must be on a comparable scale to cosine (e.g. min-max normalised). A candidate
    whose cosine to an already picked one is at least ``duplicate`` is never picked (a
    near-identical chunk). Pure.
    """
    n = len(relevance)
    if n == 0 or k <= 0:
        return []
    rel = np.asarray(relevance, dtype=np.float32)
    sims = vectors @ vectors.T if len(vectors) else np.zeros((n, n), dtype=np.float32)
    chosen: list[int] = []
    remaining = list(range(n))
    while remaining and len(chosen) < k:
        if chosen:
            max_sim = sims[np.ix_(remaining, chosen)].max(axis=1)
        else:
            max_sim = np.zeros(len(remaining), dtype=np.float32)
        scores = lambda_ * rel[remaining] - (1 - lambda_) * max_sim
        order = np.argsort(-scores, kind="stable")
        picked = None
        for pos in order:
            if max_sim[pos] < duplicate:
                picked = remaining[int(pos)]
                break
        if picked is None:
            break
        chosen.append(picked)
        remaining.remove(picked)
    return chosen
