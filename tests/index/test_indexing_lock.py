"""The index write lock (issue 15): one writer per index, a clear message naming the other one,
and loads that stay consistent while a save swaps versions."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from index.indexing import ingest_documents
from index.lock import LOCK_FILE, index_write_lock
from index.store import open_index, save_index
from reportqa.errors import IndexLockedError
from reportqa.settings import Settings
from reportqa.types import Document

sys.path.insert(0, str(Path(__file__).parent))
from index_helpers import CountingHashEmbedder, tiny_index


def hold_lock(directory: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process holding the index's write lock for ``seconds``; returns once it holds it."""
    code = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from index.lock import index_write_lock
        with index_write_lock(Path({str(directory)!r}), 0):
            print("held", flush=True)
            time.sleep({seconds})
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_writer_fails_with_the_holders_pid(tmp_path: Path) -> None:
    holder = hold_lock(tmp_path / "idx", 30)
    try:
        started = time.monotonic()
        with pytest.raises(IndexLockedError) as err, index_write_lock(tmp_path / "idx", 0.3):
            pass
        assert 0.3 <= time.monotonic() - started < 3
        assert err.value.pid == holder.pid
        message = str(err.value)
        assert f"another ingest is running on the index at {tmp_path / 'idx'} (pid {holder.pid})" in message
        assert "REPORTQA_INGEST_LOCK_TIMEOUT_S" in message
    finally:
        holder.kill()
        holder.wait()


def test_a_second_writer_waits_with_a_message_then_proceeds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    holder = hold_lock(tmp_path / "idx", 0.8)
    caplog.set_level(logging.WARNING, logger="index.lock")
    started = time.monotonic()
    with index_write_lock(tmp_path / "idx", 30):
        waited = time.monotonic() - started
        assert (tmp_path / "idx" / LOCK_FILE).read_text().strip() == str(os.getpid())
    holder.wait()
    assert 0.3 < waited < 10
    (record,) = caplog.records
    assert record.getMessage().startswith("waiting for another ingest on the index at")
    assert f"(pid {holder.pid})" in record.getMessage()


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    holder = hold_lock(tmp_path / "idx", 60)
    holder.kill()  # kill -9 mid-ingest: the kernel drops the flock with the process
    holder.wait()
    with index_write_lock(tmp_path / "idx", 0):
        pass


def test_ingest_documents_holds_the_lock_for_its_load_modify_save(tmp_path: Path) -> None:
    settings = Settings.load(
        {"home": tmp_path / "h", "index_dir": tmp_path / "idx", "ingest_lock_timeout_s": 0},
        env={},
    )
    doc = Document("a.txt", "A", "/a.txt", "Wind farms. Solar panels.", meta={"content_hash": "1"})
    holder = hold_lock(tmp_path / "idx", 30)
    try:
        with pytest.raises(IndexLockedError):
            ingest_documents([doc], settings, embedder=CountingHashEmbedder())
    finally:
        holder.kill()
        holder.wait()
    summary = ingest_documents([doc], settings, embedder=CountingHashEmbedder())
    assert summary.added == ["a.txt"]


def test_loads_stay_consistent_while_saves_swap_versions(tmp_path: Path) -> None:
    """Before: 57 of 1,298 loads raised IndexCorruptError (the old version's files deleted
    under the reader, or its manifest read with the next version's files)."""
    directory = tmp_path / "idx"
    small = tiny_index()
    save_index(small, directory)
    stop = time.monotonic() + 3
    errors: list[str] = []
    loads = 0

    def saver() -> None:
        while time.monotonic() < stop:
            save_index(tiny_index(), directory)

    thread = threading.Thread(target=saver)
    thread.start()
    try:
        while time.monotonic() < stop:
            try:
                index = open_index(directory)
            except Exception as exc:  # every failure counts
                errors.append(repr(exc))
                continue
            assert len(index.chunks) == len(small.chunks)
            assert index.manifest["chunk_count"] == len(index.chunks)
            loads += 1
    finally:
        thread.join()
    assert loads > 50
    assert errors == []
