"""Run an eval set against a pipeline: retrieval ranks, answers, metrics, latencies."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from evaluation.datasets import EvalItem
from evaluation.metrics import (
    best_f1,
    contains_answer,
    hit_at_k,
    mrr_at_k,
    ndcg_at_k,
    percentile,
    recall_at_k,
)
from reportqa.language import get_kiwi
from reportqa.types import Answer, Chunk, Hit

log = logging.getLogger(__name__)

RANK_DEPTH = 10


class AnswersQuestions(Protocol):
    """What the runner needs of a pipeline (``answer.pipeline.QAPipeline`` fits)."""

    def retrieve(self, question: str, top_k: int | None = None) -> list[Hit]: ...

    def ask(
        self, question: str, history: Sequence[tuple[str, str]] = (), top_k: int | None = None
    ) -> Answer: ...


@dataclass
class ItemResult:
    """One question's outcome."""

    id: str
    question: str
    language: str
    answerable: bool
    ranked: list[str]
    relevant: list[bool]
    hit1: float = 0.0
    hit5: float = 0.0
    hit10: float = 0.0
    recall5: float = 0.0
    recall10: float = 0.0
    mrr10: float = 0.0
    ndcg10: float = 0.0
    answer: str = ""
    abstained: bool = False
    containment: float | None = None
    f1: float | None = None
    citation_precision: float | None = None
    retrieve_ms: float = 0.0
    answer_ms: float = 0.0
    scored: bool = False  # answerable with gold targets: counts for retrieval metrics


@dataclass
class EvalResult:
    """Aggregate metrics plus every item, as written to the JSON result file."""

    name: str
    settings: dict[str, Any]
    metrics: dict[str, float]
    by_language: dict[str, dict[str, float]]
    items: list[ItemResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "settings": self.settings,
            "metrics": self.metrics,
            "by_language": self.by_language,
            "items": [asdict(i) for i in self.items],
        }


def _squash(text: str) -> str:
    return "".join(text.split())


def chunk_matches(chunk: Chunk, item: EvalItem) -> set[int]:
    """Indexes of ``item.targets`` that ``chunk`` contains (spaces ignored; doc id checked)."""
    if item.doc_id is not None and chunk.doc_id != item.doc_id:
        return set()
    hay = _squash(chunk.text)
    return {i for i, t in enumerate(item.targets) if t.strip() and _squash(t) in hay}


def count_relevant_chunks(chunks: Sequence[Chunk], item: EvalItem) -> int:
    return sum(1 for c in chunks if chunk_matches(c, item))


def evaluate(
    pipeline: AnswersQuestions,
    items: Sequence[EvalItem],
    all_chunks: Sequence[Chunk],
    answers: bool = True,
    name: str = "eval",
    settings: dict[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EvalResult:
    """Score retrieval (and, with ``answers``, the answers) of ``pipeline`` on ``items``."""
    results: list[ItemResult] = []
    for n, item in enumerate(items, start=1):
        t0 = time.perf_counter()
        hits = pipeline.retrieve(item.question, RANK_DEPTH)
        retrieve_ms = (time.perf_counter() - t0) * 1000
        covered = [chunk_matches(h.chunk, item) for h in hits]
        relevant = [bool(c) for c in covered]
        r = ItemResult(
            id=item.id,
            question=item.question,
            language=item.language,
            answerable=item.answerable,
            ranked=[h.chunk.id for h in hits],
            relevant=relevant,
            retrieve_ms=retrieve_ms,
        )
        if item.answerable and item.targets:
            r.scored = True
            r.hit1, r.hit5, r.hit10 = (hit_at_k(relevant, k) for k in (1, 5, 10))
            r.recall5 = recall_at_k(covered, len(item.targets), 5)
            r.recall10 = recall_at_k(covered, len(item.targets), 10)
            r.mrr10 = mrr_at_k(relevant, 10)
            r.ndcg10 = ndcg_at_k(relevant, count_relevant_chunks(all_chunks, item), 10)
        if answers:
            t1 = time.perf_counter()
            answer = pipeline.ask(item.question)
            r.answer_ms = (time.perf_counter() - t1) * 1000
            r.answer = answer.text
            r.abstained = answer.abstained
            if item.answerable and item.answers:
                r.containment = (
                    1.0 if all(contains_answer(answer.text, [a]) for a in item.answers) else 0.0
                )
                r.f1 = best_f1(_body(answer.text), list(item.answers), answer_tokens)
            if answer.citations and item.targets:
                good = sum(1 for c in answer.citations if chunk_matches(c.chunk, item))
                r.citation_precision = good / len(answer.citations)
        results.append(r)
        if progress:
            progress(n, len(items))
    return EvalResult(
        name=name,
        settings=settings or {},
        metrics=aggregate(results, answers),
        by_language={
            lang: aggregate([r for r in results if r.language == lang], answers)
            for lang in sorted({r.language for r in results})
        },
        items=results,
    )


def answer_tokens(text: str) -> list[str]:
    """Korean-aware F1 tokens: Kiwi morphemes without particles, endings and punctuation."""
    return [
        t.form.lower()
        for t in get_kiwi().tokenize(text)
        if not t.tag.startswith(("J", "E", "SF", "SP", "SS", "SE", "SO", "SW", "XS"))
    ]


def _body(text: str) -> str:
    """The answer without its framing line and markers (for token F1)."""
    parts = text.split("\n\n", 1)
    body = parts[1] if len(parts) == 2 else text
    return "".join(ch for ch in body if ch not in "[]")


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def aggregate(results: Sequence[ItemResult], answers: bool = True) -> dict[str, float]:
    """Mean metrics over items (retrieval metrics over answerable items with targets)."""
    scored = [r for r in results if r.scored]
    out: dict[str, float] = {
        "questions": float(len(results)),
        "hit@1": _mean([r.hit1 for r in scored]),
        "hit@5": _mean([r.hit5 for r in scored]),
        "hit@10": _mean([r.hit10 for r in scored]),
        "recall@5": _mean([r.recall5 for r in scored]),
        "recall@10": _mean([r.recall10 for r in scored]),
        "mrr@10": _mean([r.mrr10 for r in scored]),
        "ndcg@10": _mean([r.ndcg10 for r in scored]),
        "retrieve_p50_ms": percentile([r.retrieve_ms for r in results], 50),
        "retrieve_p95_ms": percentile([r.retrieve_ms for r in results], 95),
    }
    if answers:
        contain = [r.containment for r in results if r.containment is not None]
        f1 = [r.f1 for r in results if r.f1 is not None]
        cite = [r.citation_precision for r in results if r.citation_precision is not None]
        out.update(
            {
                "containment": _mean(contain),
                "token_f1": _mean(f1),
                "citation_precision": _mean(cite),
                "abstention_accuracy": _mean(
                    [1.0 if r.abstained != r.answerable else 0.0 for r in results]
                ),
                "answer_p50_ms": percentile([r.answer_ms for r in results], 50),
                "answer_p95_ms": percentile([r.answer_ms for r in results], 95),
            }
        )
    return out
