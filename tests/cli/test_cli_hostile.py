"""``reportqa`` on hostile names and broken setups (issue 15): every path printed escaped, one
line and exit code 2 instead of a traceback, a clear message when another ingest holds the index."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

NEWLINE_NAME = "evil\nDocuments: 999 in the index.txt"
ANSI_NAME = "\x1b[2J\x1b[31mred\x1b[0m.txt"


def run(
    *args: str, home: Path, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update({"REPORTQA_HOME": str(home), "HF_HUB_OFFLINE": "1", **(extra_env or {})})
    return subprocess.run(
        [sys.executable, "-m", "reportqa", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_file_names_with_newlines_and_ansi_codes_are_printed_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / NEWLINE_NAME).write_text("The Vardo wind farm has 31 turbines.\n", encoding="utf-8")
    (folder / ANSI_NAME).write_text("Solar panels cover the roof of the depot.\n", encoding="utf-8")
    (folder / "bad\x1b[5m.pdf").write_bytes(bytes(range(256)) * 8)  # binary, not a PDF
    index = tmp_path / "idx"
    proc = run("ingest", str(folder), "--index", str(index), "--no-progress", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for stream in (proc.stdout, proc.stderr):
        assert "\x1b" not in stream
    assert "Documents: 2 in the index" in proc.stdout
    lines = proc.stdout.splitlines()
    assert sum(line.startswith("Documents:") for line in lines) == 1  # no forged summary line
    assert "evil\\nDocuments: 999 in the index.txt" in proc.stdout
    assert "\\x1b[2J\\x1b[31mred\\x1b[0m.txt" in proc.stdout
    assert "bad\\x1b[5m.pdf: named .pdf but the content is not a PDF" in proc.stdout

    listing = run("docs", "list", "--index", str(index), home=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert "\x1b" not in listing.stdout
    assert "evil\\nDocuments" in listing.stdout
    assert len(listing.stdout.strip().splitlines()) == 3  # the header and one line per document


def test_an_unwritable_index_location_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    doc = tmp_path / "wind.txt"
    doc.write_text("The Vardo wind farm has 31 turbines.\n", encoding="utf-8")
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    proc = run("ingest", str(doc), "--index", str(blocker / "idx"), home=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("reportqa: error: ") and "a-file" in line
    assert "Not a directory" in line and "check the path" in line


def test_a_second_ingest_into_a_busy_index_names_the_other_one(tmp_path: Path) -> None:
    index = tmp_path / "idx"
    code = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from index.lock import index_write_lock
        with index_write_lock(Path({str(index)!r}), 0):
            print("held", flush=True)
            time.sleep(120)
        """
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        doc = tmp_path / "wind.txt"
        doc.write_text("The Vardo wind farm has 31 turbines.\n", encoding="utf-8")
        proc = run(
            "ingest",
            str(doc),
            "--index",
            str(index),
            home=tmp_path,
            extra_env={"REPORTQA_INGEST_LOCK_TIMEOUT_S": "1"},
        )
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"waiting for another ingest on the index at {index} (pid {holder.pid})" in proc.stderr
    assert f"another ingest is running on the index at {index} (pid {holder.pid})" in proc.stderr
    assert "wait for it to finish" in proc.stderr


def test_a_feedback_export_from_a_file_that_is_not_a_database_is_one_line(tmp_path: Path) -> None:
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("not sqlite\n" * 100, encoding="utf-8")
    proc = run("feedback", "export", "--db", str(not_a_db), home=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert f"{not_a_db} is not a feedback database" in line and "--db" in line
