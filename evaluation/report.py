"""Eval results as tables: Markdown reports, the printed table, and run comparisons."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evaluation.datasets import EvalSetError

RETRIEVAL_KEYS = ("hit@1", "hit@5", "hit@10", "recall@5", "recall@10", "mrr@10", "ndcg@10")
ANSWER_KEYS = ("containment", "token_f1", "citation_precision", "abstention_accuracy")
LATENCY_KEYS = ("retrieve_p50_ms", "retrieve_p95_ms", "answer_p50_ms", "answer_p95_ms")


def _fmt(key: str, value: float | None) -> str:
    if value is None:
        return "–"
    if key.endswith("_ms"):
        return f"{value:.1f}"
    if key == "questions":
        return str(int(value))
    return f"{value:.3f}"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def metrics_table(columns: Mapping[str, Mapping[str, float]]) -> str:
    """One row per metric, one column per run or language."""
    keys = [
        k
        for k in ("questions", *RETRIEVAL_KEYS, *ANSWER_KEYS, *LATENCY_KEYS)
        if any(k in c for c in columns.values())
    ]
    rows = [[k, *(_fmt(k, c.get(k)) for c in columns.values())] for k in keys]
    return markdown_table(["metric", *columns.keys()], rows)


def markdown_report(result: Mapping[str, Any]) -> str:
    """A Markdown report of one run: settings, metrics overall and by language, misses."""
    columns = {"all": result["metrics"], **result.get("by_language", {})}
    misses = [i for i in result.get("items", []) if i.get("scored") and not i.get("hit5")][:20]
    wrong_abstain = [
        i for i in result.get("items", []) if i.get("abstained") == i.get("answerable")
    ][:20]
    parts = [
        f"# Eval report: {result['name']}",
        "",
        "Settings: "
        + ", ".join(f"`{k}={v}`" for k, v in sorted(result.get("settings", {}).items())),
        "",
        metrics_table(columns),
    ]
    if misses:
        parts += ["", "## Retrieval misses (no relevant passage in the top 5)", ""]
        parts += [f"- `{i['id']}` {i['question']}" for i in misses]
    if wrong_abstain:
        parts += ["", "## Wrong abstention decisions", ""]
        parts += [
            f"- `{i['id']}` {'abstained on an answerable' if i['answerable'] else 'answered an unanswerable'} question: {i['question']}"
            for i in wrong_abstain
        ]
    return "\n".join(parts) + "\n"


def load_result(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EvalSetError(f"{path}: not a readable eval result JSON ({exc})") from exc
    if "metrics" not in data:
        raise EvalSetError(
            f'{path}: not an eval result (no "metrics"); pass files written by `reportqa eval`'
        )
    return data


def compare_table(
    a: Mapping[str, Any], b: Mapping[str, Any], name_a: str = "A", name_b: str = "B"
) -> str:
    """Two runs side by side with the delta B − A for every shared metric."""
    ma, mb = a["metrics"], b["metrics"]
    keys = [
        k
        for k in ("questions", *RETRIEVAL_KEYS, *ANSWER_KEYS, *LATENCY_KEYS)
        if k in ma and k in mb
    ]
    rows = []
    for k in keys:
        delta = mb[k] - ma[k]
        sign = "+" if delta > 0 else ""
        rows.append(
            [
                k,
                _fmt(k, ma[k]),
                _fmt(k, mb[k]),
                f"{sign}{_fmt(k, delta)}" if k != "questions" else "",
            ]
        )
    return markdown_table(["metric", name_a, name_b, "Δ (B − A)"], rows)
