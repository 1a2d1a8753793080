"""One writer per index directory: an ``fcntl.flock`` on ``DIR/.ingest.lock``.

An ingest (or a removal) holds the lock for its whole load-modify-save, so two of them into one
index run one after the other and neither loses the other's documents (before, both read the
same old version and the last save won). Readers never take it: a save swaps ``CURRENT``
atomically (see :mod:`index.store`). The kernel drops a flock when its holder dies, so a
``kill -9`` leaves no stale lock behind; the pid written into the file only names the holder
in messages.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from reportqa.errors import IndexLockedError, printable

log = logging.getLogger(__name__)

LOCK_FILE = ".ingest.lock"
# How often a waiting ingest retries the lock: short next to any ingest, cheap to poll.
_POLL_S = 0.1

WaitNotice = Callable[[int | None], None]


def _holder(fd: int) -> int | None:
    """The pid the lock's holder wrote into the file, if readable."""
    try:
        raw = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
    except OSError:
        return None
    return int(raw) if raw.isdigit() else None


def _warn_waiting(directory: Path) -> WaitNotice:
    def notice(pid: int | None) -> None:
        who = f"pid {pid}" if pid else "pid unknown"
        log.warning(
            "waiting for another ingest on the index at %s (%s)…", printable(directory), who
        )

    return notice


@contextlib.contextmanager
def index_write_lock(
    directory: Path, timeout_s: float, on_wait: WaitNotice | None = None
) -> Iterator[None]:
    """Hold the write lock of the index at ``directory`` (created if missing) for the block.

    When another process holds it, ``on_wait`` is told its pid once (default: a warning
    "waiting for another ingest on this index (pid N)…") and the lock is retried for up to
    ``timeout_s`` seconds (0: not at all), then :class:`IndexLockedError` says who holds it.
    """
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        started = time.monotonic()
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if waited >= timeout_s:
                    raise IndexLockedError(directory, _holder(fd), waited) from None
                if not told:
                    (on_wait or _warn_waiting(directory))(_holder(fd))
                    told = True
                time.sleep(min(_POLL_S, max(0.0, timeout_s - waited)))
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
