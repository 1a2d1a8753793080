"""The index a running server answers from, following new versions without a restart.

An ingest saves a new version directory and swaps the index's ``CURRENT`` pointer (index/store.py).
``ServedIndex`` notices the swap (a stat of ``CURRENT``, at most every ``POLL_S``), loads the new
version in a background thread while requests keep using the old one, and then replaces one
reference. A request takes ``current()`` once and uses that ``Served`` for everything it does
(answer, health, documents), so it never mixes two versions and never sees a half-loaded one.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from answer.pipeline import QAPipeline
from index.embedders import embedder_from_settings
from index.store import CURRENT, open_index, read_manifest
from reportqa.errors import ReportQAError
from reportqa.settings import Settings

log = logging.getLogger(__name__)

# How often a request may stat CURRENT: a new version is picked up within about this long
# (plus its load time); a stat is a few microseconds, so this only bounds the syscall rate.
POLL_S = 1.0
# A load that saw CURRENT move under it (another ingest saved meanwhile) is retried this often.
LOAD_ATTEMPTS = 3


def current_name(index_dir: Path) -> str | None:
    """The version ``CURRENT`` names, or None when there is none (yet) or it cannot be read."""
    try:
        return (index_dir / CURRENT).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _stamp(index_dir: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(index_dir / CURRENT)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


@dataclass
class Served:
    """One loaded version: its name (None when not known) and the pipelines over it."""

    version: str | None
    pipeline: QAPipeline
    settings: Settings
    _pipelines: dict[str, QAPipeline] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def loaded(self) -> bool:
        # QAPipeline loads lazily and keeps no public flag; _ready is set once loaded.
        return bool(getattr(self.pipeline, "_ready", False))

    def manifest(self) -> dict[str, Any]:
        """The manifest of this version: from memory once loaded, else read from disk (the first
        question loads the live version)."""
        if self.loaded:
            manifest: dict[str, Any] = self.pipeline.index.manifest
            return manifest
        return read_manifest(self.settings.resolved_index_dir)

    def pipeline_for(self, generator: str) -> QAPipeline:
        """The pipeline for ``generator`` over this version (sharing its index and embedder)."""
        if generator == self.settings.generator:
            return self.pipeline
        with self._lock:
            if generator not in self._pipelines:
                self._pipelines[generator] = QAPipeline(
                    self.settings.replace(generator=generator),
                    index=self.pipeline.index,
                    embedder=getattr(self.pipeline, "_embedder", None),
                )
            return self._pipelines[generator]


class ServedIndex:
    """Holds the ``Served`` version every request uses and swaps in new ones (module docstring)."""

    def __init__(
        self, settings: Settings, pipeline: QAPipeline | None = None, poll_s: float = POLL_S
    ) -> None:
        self.settings = settings
        self.index_dir = settings.resolved_index_dir
        self.poll_s = poll_s
        self._stamp = _stamp(self.index_dir)
        # A pipeline handed in (maybe loaded already) serves the version live now.
        self._served = Served(current_name(self.index_dir), pipeline or QAPipeline(settings), settings)
        self._checked = time.monotonic()
        self._lock = threading.Lock()
        self._loading: str | None = None
        self.swaps = 0

    def current(self) -> Served:
        """The version to use for one whole request (never a half-loaded one)."""
        now = time.monotonic()
        if now - self._checked >= self.poll_s:
            self._checked = now
            self._poll()
        return self._served

    def _poll(self) -> None:
        stamp = _stamp(self.index_dir)
        if stamp is None or stamp == self._stamp:
            return
        name = current_name(self.index_dir)
        if name is None or name == self._served.version:
            self._stamp = stamp
            return
        with self._lock:
            if self._loading is not None:
                return  # the loader re-checks CURRENT when it is done
            self._stamp = stamp
            self._loading = name
        threading.Thread(target=self._load, args=(name,), name="reportqa-reload", daemon=True).start()

    def _load(self, name: str) -> None:
        try:
            served = self.load_version()
        except ReportQAError as exc:
            log.warning(
                "a new version of the index at %s (%s) could not be loaded; still answering "
                "from %s: %s", self.index_dir, name, self._served.version, exc,
            )
            served = None
        except Exception:  # a background thread: log, keep serving the old version
            log.exception("loading the new version %s of the index at %s failed", name, self.index_dir)
            served = None
        with self._lock:
            if served is not None:
                self._served = served  # the one swap: requests from now on use the new version
                self.swaps += 1
                log.info("now answering from %s (version %s)", self.index_dir, served.version)
                # The pointer may have moved again while loading: look once more. (After a
                # failure the stamp stays: the same broken version is not retried every second,
                # but the next save is picked up.)
                self._stamp = None
            self._loading = None

    def load_version(self) -> Served:
        """Load the live version completely (index, retriever, generator) and return it."""
        old = self._served.pipeline
        embedder = getattr(old, "_embedder", None) or embedder_from_settings(self.settings)
        for _ in range(LOAD_ATTEMPTS):
            before = current_name(self.index_dir)
            index = open_index(self.index_dir, embedder.name)
            after = current_name(self.index_dir)
            if before == after:
                break
        pipeline = QAPipeline(self.settings, index=index, embedder=embedder)
        _ = pipeline.index  # loads the retriever and the generator now, not on a question
        return Served(after, pipeline, self.settings)

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Until no load is in flight (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        while self._loading is not None and time.monotonic() < deadline:
            time.sleep(0.02)
