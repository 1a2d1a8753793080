"""Second-stage ranking: evidence rescoring of the top passages, an optional cross-encoder
reranker, and MMR de-duplication."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from answer.crosslingual import passages_language
from answer.labels import item_named, label_named
from answer.sentence_shapes import asks_expansion, defined_term, defines, expands, is_question
from answer.tuning import (
    MIN_EVIDENCE_LETTERS,
    RESCORE_DEFINITION_WEIGHT,
    RESCORE_ITEM_WEIGHT,
    RESCORE_LABEL_WEIGHT,
    RESCORE_SENTENCE_WEIGHT,
    RESCORE_SENTENCE_WEIGHT_CROSS,
)
from reportqa.errors import ModelUnavailableError
from reportqa.language import detect_language
from reportqa.types import Chunk, Hit


def is_question_sentence(sentence: str) -> bool:
    """Whether ``sentence`` is itself a question (ends with a question mark, perhaps before a
    closing bracket or quote: :func:`answer.sentence_shapes.is_question`; pure)."""
    return is_question(sentence)


def defines_asked(question: str, chunk: Chunk) -> bool:
    """Whether one of ``chunk``'s sentences defines the term a definition question asks about
    ("X란 어떤 …을 말해?" → "X는 …인 메모리이다.") or spells out the abbreviation it asks about
    ("PAI는 무엇의 약자인가요?" → "PAI(Processor Algorithm Implementation)"), by the sentence
    shapes the extractive answer uses (:mod:`answer.sentence_shapes`); False for other
    questions (pure)."""
    term, acronym = defined_term(question), asks_expansion(question)
    if not term and not acronym:
        return False
    return any(
        (term and defines(s, term)) or (acronym and expands(s, acronym)) for s in chunk.sentence_texts()
    )


# A letter of any script (not a digit, not punctuation).
_LETTER = re.compile(r"[^\W\d_]")


def is_evidence_sentence(sentence: str) -> bool:
    """Whether ``sentence`` can be evidence for a question by its vector: it holds at least
    :data:`MIN_EVIDENCE_LETTERS` letters (pure).

    A PDF leaves pieces such as ")." or "2022. 8." as sentences of their own; their vectors sit
    near the middle of the embedding space, so they are close to every question (0.82 to an
    English question about a balance sheet, above any real sentence of the report) and make
    their passage a hub that tops unrelated questions."""
    return len(_LETTER.findall(sentence)) >= MIN_EVIDENCE_LETTERS


def evidence_mask(chunk: Chunk) -> np.ndarray:
    """Which of ``chunk``'s sentences are evidence (:func:`is_evidence_sentence`), as booleans
    in sentence order (pure)."""
    return np.array([is_evidence_sentence(s) for s in chunk.sentence_texts()], dtype=bool)


def answer_cosine(chunk: Chunk, sentence_cosines: Sequence[float] | np.ndarray, passage_cosine: float) -> float:
    """The best cosine to the question among ``chunk``'s sentences that are not questions;
    ``passage_cosine`` when it has none (or its sentence vectors do not line up). Pure.

    An FAQ's "질문" passage restates the question in its own sentences, so its best sentence
    matches well and answers nothing; the passage beside it that answers should not lose to it."""
    sentences = chunk.sentence_texts()
    if len(sentences) != len(sentence_cosines):
        return passage_cosine
    answering = [
        float(c)
        for s, c in zip(sentences, sentence_cosines, strict=True)
        if not is_question_sentence(s) and is_evidence_sentence(s)
    ]
    return max(answering, default=passage_cosine)


def _text_language(hit: Hit) -> str:
    return detect_language(hit.chunk.text)


class EvidenceReranker:
    """Rescores the first ``candidates`` hits by evidence the fused score blurs (a Reranker).

    Siblings of one section or table often score within 0.01–0.02 of each other; four
    explainable features, weighted in answer/tuning.py, break those near-ties:

    - the best non-question sentence's cosine to the question (:func:`answer_cosine`), counted
      against the best candidate's, so the scores stay on the fused scale;
    - a line label the question spells out verbatim (:func:`answer.labels.label_named`);
    - a numbered row or item the question names (:func:`answer.labels.item_named`);
    - a sentence defining the term or spelling out the abbreviation asked about
      (:func:`defines_asked`).

    For a question in another language than most of its candidates (an English question about
    a Korean report: :func:`answer.crosslingual.passages_language`), whose lexical scores come
    from a partial translation, the answer cosine weighs ``sentence_cross`` instead.

    ``sentence_cosines(question, hit)`` gives the cosines of the hit's stored sentence vectors
    to the question (an empty array when the index has none); ``language_of(hit)`` the language
    of its passage (default: detected from its text; the retrieval chain passes its memo,
    answer/retrieval.py PassageLanguages). Hits past ``candidates`` keep their order below the
    rescored ones."""

    def __init__(
        self,
        sentence_cosines: Callable[[str, Hit], np.ndarray],
        candidates: int = 10,
        weights: tuple[float, float, float, float] = (
            RESCORE_SENTENCE_WEIGHT, RESCORE_LABEL_WEIGHT, RESCORE_ITEM_WEIGHT, RESCORE_DEFINITION_WEIGHT
        ),
        sentence_cross: float = RESCORE_SENTENCE_WEIGHT_CROSS,
        language_of: Callable[[Hit], str] | None = None,
    ) -> None:
        self.sentence_cosines = sentence_cosines
        self.language_of = language_of or _text_language
        self.candidates = candidates
        self.weights = weights  # sentence, label named, item named, definition
        self.sentence_cross = sentence_cross

    def features(self, question: str, hit: Hit) -> tuple[float, float, float, float]:
        """(answer cosine, label named, item named, defines the asked term) of one hit."""
        cosine = hit.scores_by_retriever.get("dense", 0.0)
        sentence = answer_cosine(hit.chunk, self.sentence_cosines(question, hit), cosine)
        text = hit.chunk.text
        return (
            sentence,
            label_named(question, text),
            float(item_named(question, text)),
            float(defines_asked(question, hit.chunk)),
        )

    def rerank(self, question: str, hits: list[Hit]) -> list[Hit]:
        head, tail = hits[: self.candidates], hits[self.candidates :]
        if len(head) < 2:
            return hits
        features = [self.features(question, h) for h in head]
        best_sentence = max(f[0] for f in features)
        w_sentence, w_label, w_item, w_definition = self.weights
        language = passages_language(question, [(i, h.score) for i, h in enumerate(head)],
                                     lambda i: self.language_of(head[i]))
        if language != detect_language(question):
            w_sentence = self.sentence_cross
        scored = [
            replace(
                h,
                score=h.score + w_sentence * (s - best_sentence) + w_label * named + w_item * item
                + w_definition * definition,
            )
            for h, (s, named, item, definition) in zip(head, features, strict=True)
        ]
        return sorted(scored, key=lambda h: -h.score) + tail


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
