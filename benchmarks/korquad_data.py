"""KorQuAD 1.0 dev as a retrieval corpus: 140 articles as Documents, questions as eval items."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

from evaluation.datasets import EvalItem
from reportqa.types import Document

DEFAULT_PATH = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "benchmarks"
    / "korquad"
    / "KorQuAD_v1.0_dev.json"
)


def load_articles(path: Path = DEFAULT_PATH) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return list(json.load(fh)["data"])


def article_documents(articles: list[dict]) -> list[Document]:
    """One Document per article: its paragraphs, one per line, in order."""
    docs = []
    for art in articles:
        text = "\n".join(p["context"].strip() for p in art["paragraphs"])
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        docs.append(
            Document(
                id=art["title"],
                title=art["title"],
                source=f"korquad:{art['title']}",
                text=text,
                meta={"format": "korquad", "content_hash": digest},
            )
        )
    return docs


BENCHMARK_SEED = 13  # benchmarks/korquad.py's questions: the test set
TUNING_SEED = 7  # the tune_*.py scripts' questions, drawn apart from the test set


def tuning_questions(articles: list[dict], n: int = 1000) -> list[dict]:
    """``n`` questions for choosing settings: none of the benchmark's 1,000 (seed 13)."""
    benchmark = {q["id"] for q in sample_questions(articles, 1000, BENCHMARK_SEED)}
    return [q for q in sample_questions(articles, 2 * n, TUNING_SEED) if q["id"] not in benchmark][:n]


def eval_items(questions: list[dict]) -> list[EvalItem]:
    """The questions as eval items (answers restricted to their article)."""
    return [EvalItem(q["id"], q["question"], "ko", tuple(q["answers"]), (), True, q["doc_id"]) for q in questions]


def sample_questions(articles: list[dict], n: int = 1000, seed: int = BENCHMARK_SEED) -> list[dict]:
    """``n`` questions drawn with a fixed seed, each with its article title and gold answers."""
    qas = [
        {
            "id": qa["id"],
            "question": qa["question"],
            "language": "ko",
            "answers": sorted({a["text"] for a in qa["answers"]}),
            "evidence": [],
            "answerable": True,
            "doc_id": art["title"],
        }
        for art in articles
        for para in art["paragraphs"]
        for qa in para["qas"]
    ]
    rng = random.Random(seed)
    return rng.sample(qas, min(n, len(qas)))
