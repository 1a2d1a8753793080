"""The ``reportqa`` command as a user runs it: real processes, real model, clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reportqa.settings import SAMPLE_CORPUS_DIR

pytestmark = pytest.mark.integration


def run(*args: str, home: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    # the caller's REPORTQA_* settings (an index directory, a generator) must not leak in
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update({"REPORTQA_HOME": str(home), "HF_HUB_OFFLINE": "1"})
    proc = subprocess.run(
        [sys.executable, "-m", "reportqa", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_ingest_reports_skipped_files_and_ask_json(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for src in sorted(SAMPLE_CORPUS_DIR.glob("0[13]*.md")):
        (corpus / src.name).write_bytes(src.read_bytes())
    (corpus / "garbage.pdf").write_bytes(os.urandom(2048))
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    index = tmp_path / "idx"

    proc = run("ingest", str(corpus), "--index", str(index), home=tmp_path)
    out = proc.stdout
    assert "Documents: 2 in the index (2 added" in out
    assert "Skipped 3 file(s)" in out
    for name in ("garbage.pdf", "empty.txt", "image.png"):
        assert any(name in line and ": " in line for line in out.splitlines()), out
    assert "Time:" in out and "embed" in out

    again = run("ingest", str(corpus), "--index", str(index), home=tmp_path).stdout
    assert "(0 added, 0 changed, 2 unchanged" in again

    proc = run(
        "ask", "보고서가 제시한 3대 추진 전략은?", "--index", str(index), "--json", home=tmp_path
    )
    data = json.loads(proc.stdout)
    assert data["language"] == "ko" and data["abstained"] is False
    assert "산학연 협력 생태계 조성" in data["answer"]
    assert data["citations"][0]["document"] == "03-strategies-and-tasks.ko.md"
    assert set(data["citations"][0]) >= {
        "n",
        "document",
        "title",
        "page",
        "heading",
        "text",
        "score",
    }

    listing = run("docs", "list", "--index", str(index), home=tmp_path).stdout
    assert "01-overview.ko.md" in listing and "2 documents" in listing
    run("docs", "remove", "01-overview.ko.md", "--index", str(index), home=tmp_path)
    listing = run("docs", "list", "--index", str(index), home=tmp_path).stdout
    assert "01-overview.ko.md" not in listing and "1 documents" in listing


def test_user_errors_are_one_line_messages_not_tracebacks(tmp_path: Path) -> None:
    proc = run("ask", "질문", "--index", str(tmp_path / "missing"), home=tmp_path, check=False)
    assert proc.returncode == 2
    assert "No index found" in proc.stderr and "reportqa ingest" in proc.stderr
    assert "Traceback" not in proc.stderr

    proc = run("ask", "   ", "--index", str(tmp_path / "missing"), home=tmp_path, check=False)
    assert proc.returncode == 2 and "question is empty" in proc.stderr

    proc = run(
        "ingest",
        str(tmp_path / "nope.md"),
        "--index",
        str(tmp_path / "i2"),
        home=tmp_path,
        check=False,
    )
    assert proc.returncode == 1
    assert "nope.md" in proc.stderr and "Traceback" not in proc.stderr

    env_bad = {**os.environ, "REPORTQA_HOME": str(tmp_path), "REPORTQA_TOP_K": "lots"}
    proc = subprocess.run(
        [sys.executable, "-m", "reportqa", "ask", "x"], capture_output=True, text=True, env=env_bad
    )
    assert proc.returncode == 2 and "REPORTQA_TOP_K" in proc.stderr


def test_ask_without_an_index_builds_the_bundled_sample_first(tmp_path: Path) -> None:
    first = run("ask", "경과원장은 누구인가요?", home=tmp_path)
    assert "Built the sample index" in first.stderr and "김현곤" in first.stdout
    again = run("ask", "Who heads GBSA?", home=tmp_path)
    assert "Built" not in again.stderr and "Kim Hyun-gon" in again.stdout
