"""Uploads from the browser and the API: files become documents of a collection, in a job.

``POST /api/v1/collections/{name}/documents`` (multipart, admin key) saves the files under
``<home>/uploads/<collection>/<job id>/`` (at most ``max_file_mb`` each, ``MAX_UPLOAD_FILES`` per
request; names reduced to a plain file name) and starts a job that runs
``index.indexing.ingest_paths`` with its progress callbacks: ``GET /api/v1/jobs/{id}`` reports
the phase, counts and per-file results with the same reasons the CLI prints. The ingest saves a
new index version; the collection's ``ServedIndex`` serves it once loaded, without a restart.
Jobs of one collection run one after another (one writer per index).
"""

from __future__ import annotations

import hmac
import logging
import re
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from reportqa.errors import ReportQAError
from reportqa.settings import Settings

log = logging.getLogger(__name__)

MAX_UPLOAD_FILES = 20
KEEP_JOBS = 200
COPY_CHUNK = 1 << 20


class UploadError(ReportQAError):
    """An upload refused before any job: ``status`` and ``code`` say why (HTTP)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


def admin_refusal(settings: Settings, authorization: str | None) -> UploadError | None:
    """None when ``Authorization: Bearer <admin key>`` matches ``admin_key``; else why not."""
    key = getattr(settings, "admin_key", "") or ""
    if not key:
        return UploadError(
            403, "uploads_disabled",
            "Uploads are off on this server: set REPORTQA_ADMIN_KEY and send it as "
            "'Authorization: Bearer KEY'.",
        )
    sent = (authorization or "").removeprefix("Bearer ").strip()
    if not sent or not hmac.compare_digest(sent.encode(), key.encode()):
        return UploadError(401, "admin_key_required", "Send the admin key: 'Authorization: Bearer KEY'.")
    return None


def safe_file_name(name: str) -> str:
    """The uploaded name as a plain file name: no folders, no control characters, no leading
    dots, at most 150 characters (the extension kept). Pure. Raises UploadError when nothing is
    left."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip().lstrip(".")
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = stem[: 150 - len(ext) - 1] if ext else base[:150]
    cleaned = f"{stem}.{ext}" if ext else stem
    if not stem.strip():
        raise UploadError(400, "bad_file_name", f"The file name {name!r} is not usable; rename the file.")
    return cleaned


def save_upload(stream: BinaryIO, target: Path, limit_bytes: int) -> int:
    """Copy ``stream`` to ``target``, at most ``limit_bytes``; returns the size. Raises
    UploadError (413) and leaves no file when it is larger."""
    size = 0
    with target.open("wb") as out:
        while True:
            block = stream.read(COPY_CHUNK)
            if not block:
                break
            size += len(block)
            if size > limit_bytes:
                out.close()
                target.unlink(missing_ok=True)
                raise UploadError(
                    413, "file_too_large",
                    f"{target.name} is larger than the {limit_bytes // (1 << 20)} MB limit "
                    "(REPORTQA_MAX_FILE_MB).",
                )
            out.write(block)
    return size


@dataclass
class Job:
    """One upload's ingest: state, progress and per-file results (``to_dict`` is the API body)."""

    id: str
    collection: str
    files: list[str]
    state: str = "queued"  # queued → running → done | failed
    phase: str = "queued"
    done: int = 0
    total: int = 0
    results: list[dict[str, str]] = field(default_factory=list)
    message: str | None = None
    version: str | None = None
    current: str | None = None  # the file being read now
    created: float = field(default_factory=time.time)
    finished: float | None = None

    def to_dict(self, served_version: str | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "collection": self.collection,
            "state": self.state,
            "phase": self.phase,
            "progress": {"done": self.done, "total": self.total},
            "current": self.current,
            "files": list(self.files),
            "results": list(self.results),
            "message": self.message,
            "index_version": self.version,
            # the new version answers questions now (its load follows the ingest)
            "served": bool(self.version) and self.version == served_version,
            "seconds": round((self.finished or time.time()) - self.created, 2),
        }


def file_results(summary: Any, names: list[str]) -> list[dict[str, str]]:
    """Per-file outcome of an IngestSummary: added, changed, unchanged or skipped (with the
    reason the CLI prints). Pure."""
    skipped = {Path(e.path).name: e.reason for e in summary.skipped}
    out = []
    for name in names:
        if name in skipped:
            out.append({"file": name, "status": "skipped", "reason": skipped[name]})
        elif name in summary.added:
            out.append({"file": name, "status": "added"})
        elif name in summary.changed:
            out.append({"file": name, "status": "changed"})
        elif name in summary.unchanged:
            out.append({"file": name, "status": "unchanged"})
        else:
            out.append({"file": name, "status": "skipped", "reason": "no document was read from it"})
    return out


class Jobs:
    """The upload jobs of one server (the latest ``KEEP_JOBS``), one ingest per collection at a time."""

    def __init__(self) -> None:
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._index_locks: dict[str, threading.Lock] = {}

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def new(self, collection: str, upload_root: Path) -> tuple[Job, Path]:
        job = Job(uuid.uuid4().hex[:16], collection, [])
        folder = upload_root / collection / job.id
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP_JOBS:
                self._jobs.popitem(last=False)
        return job, folder

    def start(self, job: Job, folder: Path, settings: Settings) -> None:
        lock = self._index_locks.setdefault(job.collection, threading.Lock())
        thread = threading.Thread(
            target=self._run, args=(job, folder, settings, lock), name=f"reportqa-upload-{job.id}",
            daemon=True,
        )
        thread.start()

    def _run(self, job: Job, folder: Path, settings: Settings, lock: threading.Lock) -> None:
        from index.indexing import ingest_paths
        from server.served_index import current_name

        paths = [folder / name for name in job.files]
        job.total = len(paths)
        with lock:
            job.state, job.phase = "running", "reading"

            started = 0

            def on_file(path: Path) -> None:  # called as a file's reading starts
                nonlocal started
                job.phase, job.current = "reading", path.name
                job.done = min(job.total, started)  # files read so far
                started += 1

            def on_step(step: str, done: int, total: int) -> None:
                job.phase, job.done, job.total, job.current = step, done, total, None

            try:
                summary = ingest_paths(paths, settings, on_file=on_file, on_step=on_step)
            except ReportQAError as exc:
                job.state, job.phase, job.message = "failed", "failed", str(exc)
                job.results = [
                    {"file": n, "status": "skipped", "reason": str(exc)} for n in job.files
                ]
            except Exception as exc:  # a background thread: report, never crash the server
                log.exception("upload job %s failed", job.id)
                job.state, job.phase, job.message = "failed", "failed", f"Ingest failed: {type(exc).__name__}"
            else:
                job.results = file_results(summary, job.files)
                job.version = current_name(settings.resolved_index_dir)
                job.state, job.phase = "done", "done"
                job.done = job.total = len(paths)
                job.message = (
                    f"{len(summary.added)} added, {len(summary.changed)} changed, "
                    f"{len(summary.unchanged)} unchanged, {len(summary.skipped)} skipped; "
                    f"{summary.documents} documents in the collection."
                )
            finally:
                job.finished = time.time()
            # files that became no document are not kept
            for r in job.results:
                if r["status"] == "skipped":
                    (folder / r["file"]).unlink(missing_ok=True)
            if not any(folder.iterdir()):
                shutil.rmtree(folder, ignore_errors=True)
