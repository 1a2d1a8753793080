"""The eval runner end to end on a small set, datasets, reports and `reportqa eval`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from answer.pipeline import QAPipeline
from evaluation.datasets import EvalSetError, load_eval_set
from evaluation.report import compare_table, markdown_report
from evaluation.runner import evaluate
from reportqa.settings import REPO_ROOT, Settings

SAMPLE_SET = REPO_ROOT / "data" / "eval" / "sample.jsonl"


def test_sample_eval_set_is_complete() -> None:
    items = load_eval_set(SAMPLE_SET)
    assert len(items) >= 40
    assert (
        sum(i.language == "ko" for i in items) >= 20
        and sum(i.language == "en" for i in items) >= 10
    )
    assert sum(not i.answerable for i in items) >= 6
    assert sum(len(i.answers) > 1 for i in items) >= 5
    corpus = "".join(
        p.read_text(encoding="utf-8") for p in (REPO_ROOT / "data" / "sample").glob("*.md")
    )
    for item in items:
        for s in (*item.answers, *item.evidence):
            assert s in corpus, (item.id, s)


def test_squad_format_is_read(tmp_path: Path) -> None:
    squad = {
        "version": "x",
        "data": [
            {
                "title": "문서",
                "paragraphs": [
                    {
                        "context": "c",
                        "qas": [
                            {
                                "id": "1",
                                "question": "언제?",
                                "answers": [{"text": "1989년", "answer_start": 0}],
                            }
                        ],
                    }
                ],
            }
        ],
    }
    path = tmp_path / "s.json"
    path.write_text(json.dumps(squad, ensure_ascii=False), encoding="utf-8")
    (item,) = load_eval_set(path)
    assert (item.id, item.answers, item.doc_id, item.language, item.answerable) == (
        "1",
        ("1989년",),
        "문서",
        "ko",
        True,
    )


def test_bad_eval_files_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "ok", "id": "a"}\n{not json}\n', encoding="utf-8")
    with pytest.raises(EvalSetError, match=r"bad.jsonl:2: not valid JSON"):
        load_eval_set(bad)
    dup = tmp_path / "dup.jsonl"
    dup.write_text('{"question": "a", "id": "x"}\n{"question": "b", "id": "x"}\n', encoding="utf-8")
    with pytest.raises(EvalSetError, match="duplicate id 'x'"):
        load_eval_set(dup)


@pytest.mark.integration
def test_runner_scores_a_small_set(sample_pipeline: QAPipeline) -> None:
    items = [
        i for i in load_eval_set(SAMPLE_SET) if i.id in {"ko-012", "en-005", "ko-034", "ko-001"}
    ]
    result = evaluate(sample_pipeline, items, sample_pipeline.index.chunks, name="t")
    m = result.metrics
    assert m["questions"] == 4
    assert m["hit@5"] == 1.0 and m["mrr@10"] > 0.5
    assert 0.0 <= m["ndcg@10"] <= 1.0
    assert m["containment"] > 0 and 0 <= m["abstention_accuracy"] <= 1
    assert set(result.by_language) == {"ko", "en"}
    strategies = next(r for r in result.items if r.id == "en-005")
    assert strategies.hit1 == 1.0 and strategies.containment == 1.0
    assert strategies.citation_precision == 1.0
    assert next(r for r in result.items if r.id == "ko-012").hit5 == 1.0
    unanswerable = next(r for r in result.items if r.id == "ko-034")
    assert unanswerable.scored is False and unanswerable.containment is None
    report = markdown_report(result.to_dict())
    assert "| hit@1 |" in report and "# Eval report: t" in report


def test_compare_prints_deltas() -> None:
    a = {"name": "a", "metrics": {"questions": 10.0, "hit@1": 0.5, "retrieve_p50_ms": 10.0}}
    b = {"name": "b", "metrics": {"questions": 10.0, "hit@1": 0.75, "retrieve_p50_ms": 8.0}}
    table = compare_table(a, b, "a", "b")
    assert "| hit@1 | 0.500 | 0.750 | +0.250 |" in table
    assert "| retrieve_p50_ms | 10.0 | 8.0 | -2.0 |" in table


@pytest.mark.integration
def test_reportqa_eval_command_writes_json_and_markdown(
    sample_settings: Settings, tmp_path: Path
) -> None:
    env = {**os.environ, "REPORTQA_HOME": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    args = [
        sys.executable,
        "-m",
        "reportqa",
        "eval",
        "--index",
        str(sample_settings.resolved_index_dir),
    ]
    proc = subprocess.run(
        [*args, "--out", str(tmp_path / "out"), "--limit", "6", "--name", "run1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "| hit@1 |" in proc.stdout and "run1.json" in proc.stdout
    data = json.loads((tmp_path / "out" / "run1.json").read_text(encoding="utf-8"))
    assert data["metrics"]["questions"] == 6 and len(data["items"]) == 6
    assert (
        (tmp_path / "out" / "run1.md").read_text(encoding="utf-8").startswith("# Eval report: run1")
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "reportqa",
            "eval",
            "--compare",
            str(tmp_path / "out" / "run1.json"),
            str(tmp_path / "out" / "run1.json"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0 and "Δ (B − A)" in proc.stdout
