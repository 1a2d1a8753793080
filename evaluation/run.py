"""`reportqa eval`: run an eval set against an index, write JSON + Markdown, print the table."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from answer.pipeline import QAPipeline
from evaluation.datasets import load_eval_set
from evaluation.report import markdown_report, metrics_table
from evaluation.runner import EvalResult, evaluate
from reportqa.settings import Settings


def run_eval_set(
    eval_path: Path,
    settings: Settings,
    out_dir: Path,
    answers: bool = True,
    limit: int | None = None,
    name: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    pipeline: QAPipeline | None = None,
) -> tuple[EvalResult, Path, Path]:
    """Evaluate ``settings``' index on ``eval_path`` (with ``pipeline``, one already loaded over
    it); returns the result and the files written."""
    items = load_eval_set(eval_path)
    if limit:
        items = items[:limit]
    pipeline = pipeline or QAPipeline(settings)
    index = pipeline.index  # load once, outside the timed questions
    pipeline.retrieve(items[0].question, 1)  # warm caches (Kiwi, model) before timing
    run_name = (
        name or f"{eval_path.stem}-{settings.retrieval_mode}-{time.strftime('%Y%m%d-%H%M%S')}"
    )
    result = evaluate(
        pipeline,
        items,
        index.chunks,
        answers=answers,
        name=run_name,
        settings={
            "eval_set": str(eval_path),
            "index": str(settings.resolved_index_dir),
            "embedder": index.embedder_name,
            "retrieval_mode": settings.retrieval_mode,
            "top_k": settings.top_k,
            "dense_weight": settings.dense_weight,
            "bm25_weight": settings.bm25_weight,
            "generator": settings.generator,
        },
        progress=progress,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{run_name}.json"
    md_path = out_dir / f"{run_name}.md"
    data = result.to_dict()
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    md_path.write_text(markdown_report(data), encoding="utf-8")
    return result, json_path, md_path


def summary_table(result: EvalResult) -> str:
    return metrics_table({"all": result.metrics, **result.by_language})
