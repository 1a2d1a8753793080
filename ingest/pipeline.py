"""Load many files into Documents. One bad file never aborts the batch: it becomes a skip."""

from __future__ import annotations

import dataclasses
import errno
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.loaders import HEAD_BYTES, make_loaders, pick_loader
from ingest.safety import Limits, ParseTimeout, time_limit
from reportqa.errors import IngestError, printable
from reportqa.settings import Settings
from reportqa.types import Document

logger = logging.getLogger(__name__)

_MB = 1024 * 1024
SUPPORTED = "PDF, HWP, HWPX, DOCX, HTML, Markdown and plain text"
UNSUPPORTED = (
    f"binary or unsupported file type; supported are {SUPPORTED} — "
    "convert it (e.g. export it as PDF) and ingest again"
)
# Extensions whose content was not found where the name promised it.
_NAMED = {".pdf": "PDF", ".hwp": "HWP", ".hwpx": "HWPX", ".docx": "DOCX"}
_ZIP_MAGIC = b"PK\x03\x04"


def unsupported_reason(path: Path, head: bytes) -> str:
    """Why no loader took the file, as specific as the name and first bytes allow."""
    named = _NAMED.get(path.suffix.lower())
    if named is not None:
        return (
            f"named {path.suffix} but the content is not a {named} file (wrong extension, or a "
            "truncated or corrupt download); check the file and ingest again"
        )
    if head.startswith(_ZIP_MAGIC):
        return f"a ZIP archive that is neither DOCX nor HWPX; unpack it and ingest its files ({SUPPORTED})"
    return UNSUPPORTED


@dataclass(frozen=True)
class LoadReport:
    """The documents loaded and the files skipped (each with a reason), in input order."""

    documents: tuple[Document, ...]
    skipped: tuple[IngestError, ...]


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied; make the file readable and ingest again"
    if isinstance(exc, FileNotFoundError):
        return "no such file or directory"
    return f"cannot read the file ({exc.strerror or type(exc).__name__})"


SYMLINK_LOOP = "a symlink loop (the link leads back to itself); remove or fix the link"


def _resolved(path: Path) -> Path | str:
    """``path`` with every symlink followed, or why that is impossible (a loop, a dangling link)."""
    try:
        return path.resolve(strict=True)
    except RuntimeError:  # Python before 3.13 reports a loop this way
        return SYMLINK_LOOP
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return SYMLINK_LOOP
        if isinstance(exc, FileNotFoundError) and path.is_symlink():
            return "a broken symlink (its target does not exist); fix or remove the link"
        return _os_reason(exc)


def symlink_problem(path: Path, root: Path) -> str | None:
    """Why the symlink ``path`` found under the folder ``root`` (resolved) is not followed.

    A link that leaves the folder is not followed: ingesting a folder must not read files
    elsewhere on the machine (``data -> /etc``) without being asked to.
    """
    target = _resolved(path)
    if isinstance(target, str):
        return target
    if not target.is_relative_to(root):
        return (
            f"a symlink that points outside {printable(root)} (to {printable(target)}); it is not "
            "followed — ingest its target directly if you mean it"
        )
    return None


def _walk(root: Path, skipped: list[IngestError]) -> Iterator[tuple[Path, str]]:
    """(path, id) of every non-hidden file under ``root``, sorted by relative path (links last).

    Symlinks are followed only to files inside ``root`` (a linked folder inside it is read
    under its own path anyway); loops, broken links and links leaving ``root`` become skips.
    """

    def on_error(exc: OSError) -> None:
        skipped.append(IngestError(exc.filename or root, _os_reason(exc)))

    real_root = _resolved(root)
    if isinstance(real_root, str):
        skipped.append(IngestError(root, real_root))
        return
    found: list[tuple[bool, str, Path]] = []  # (is a link, relative path, path)
    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error):
        visible = sorted(d for d in dirnames if not d.startswith("."))
        dirnames[:] = []
        for name in visible:
            sub = Path(dirpath) / name
            if not sub.is_symlink():
                dirnames.append(name)
                continue
            problem = symlink_problem(sub, real_root)  # os.walk never descends into a link
            if problem is not None:
                skipped.append(IngestError(sub, problem))
            else:
                logger.info("%s: a symlink inside the folder; its files are read there", sub)
        for name in filenames:
            if not name.startswith("."):
                path = Path(dirpath) / name
                link = path.is_symlink()
                problem = symlink_problem(path, real_root) if link else None
                if problem is not None:
                    skipped.append(IngestError(path, problem))
                    continue
                found.append((link, path.relative_to(root).as_posix(), path))
    # Real files first: a file reached both directly and through a link keeps its own name.
    for _, rel, path in sorted(found):
        yield path, rel


def _candidates(paths: Sequence[Path], skipped: list[IngestError]) -> Iterator[tuple[Path, str]]:
    for arg in paths:
        arg = Path(arg)
        if arg.is_dir():
            yield from _walk(arg, skipped)
        elif arg.exists() or arg.is_symlink():
            yield arg, arg.name
        else:
            skipped.append(IngestError(arg, "no such file or directory"))


def load_file(path: Path, settings: Settings) -> Document:
    """Load one file with the loader its content calls for. Raises IngestError only."""
    try:
        if not path.is_file():
            raise IngestError(
                path, "not a regular file" if path.exists() else "no such file or directory"
            )
        size = path.stat().st_size
        if size == 0:
            raise IngestError(path, "empty file")
        if size > settings.max_file_mb * _MB:
            raise IngestError(
                path,
                f"file is {size / _MB:.1f} MB, over the {settings.max_file_mb:g} MB limit; "
                "raise the limit with REPORTQA_MAX_FILE_MB (setting max_file_mb) or split the file",
            )
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise IngestError(path, _os_reason(exc)) from exc
    limits = Limits.from_settings(settings)
    loader = pick_loader(path, head, make_loaders(limits))
    if loader is None:
        raise IngestError(path, unsupported_reason(path, head))
    try:
        with time_limit(limits.time_budget_s):
            doc = loader.load(path)
    except ParseTimeout as exc:
        raise IngestError(path, limits.timeout_reason()) from exc
    except MemoryError as exc:
        raise IngestError(
            path, "ran out of memory while reading it (pathological file?); skipped"
        ) from exc
    except IngestError as exc:
        if exc.path != str(path):
            raise IngestError(path, exc.reason) from exc
        raise
    except OSError as exc:
        raise IngestError(path, _os_reason(exc)) from exc
    except RecursionError as exc:
        logger.debug("%s: recursion limit in the %s loader", path, loader.name, exc_info=True)
        raise IngestError(
            path,
            f"its structure is nested too deeply to read as {loader.name} (past Python's "
            f"recursion limit of {sys.getrecursionlimit()}: a malformed or hostile file); "
            "skipped. Save it again from its editor with a flatter structure",
        ) from exc
    except Exception as exc:  # a loader bug or a file no parser expected: skip, never abort
        # One line at the default level; the traceback (thousands of lines for some files)
        # only with --log-level DEBUG.
        logger.warning(
            "%s: unexpected %s in the %s loader (details with --log-level DEBUG)",
            path,
            type(exc).__name__,
            loader.name,
        )
        logger.debug("%s: traceback of the %s loader", path, loader.name, exc_info=True)
        raise IngestError(
            path,
            f"unexpected error while reading it as {loader.name} "
            f"({type(exc).__name__}: {str(exc)[:200]}); check the file, or report this with it",
        ) from exc
    if not doc.text.strip():
        raise IngestError(path, "no text after cleaning")
    return doc


def _utf8_safe(name: str) -> str:
    """A file name's undecodable bytes (kept by Python as lone surrogates, which no UTF-8 file
    of the index can hold) written as ``\\xNN``; other names unchanged."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def load_documents(
    paths: Sequence[Path],
    settings: Settings,
    progress: Callable[[Path], None] | None = None,
) -> LoadReport:
    """Load files and directories (walked recursively, hidden names skipped) into Documents.

    Document ids are paths relative to the directory argument they were found under ("/"
    separators), or the file name for a file argument; colliding ids get "~2", "~3"...
    ``source`` is the absolute path. A file reached twice (same absolute path) loads once.
    ``progress`` is called with each file's path before it is loaded. Problems with single files
    end up in ``skipped``; this function does not raise for them.
    """
    documents: list[Document] = []
    skipped: list[IngestError] = []
    seen_sources: set[str] = set()
    used_ids: set[str] = set()
    for path, doc_id in _candidates(paths, skipped):
        resolved = _resolved(path)
        if isinstance(resolved, str):
            skipped.append(IngestError(path, resolved))
            continue
        source = str(resolved)
        if source in seen_sources:
            logger.info("%s: already loaded, skipping the duplicate", path)
            continue
        seen_sources.add(source)
        if progress is not None:
            progress(path)
        try:
            doc = load_file(path, settings)
        except IngestError as exc:
            logger.info("skipped %s", exc)
            skipped.append(exc)
            continue
        doc_id = _utf8_safe(doc_id)
        unique = doc_id
        n = 1
        while unique in used_ids:
            n += 1
            unique = f"{doc_id}~{n}"
        used_ids.add(unique)
        documents.append(
            dataclasses.replace(
                doc, id=unique, source=_utf8_safe(source), title=_utf8_safe(doc.title)
            )
        )
    return LoadReport(documents=tuple(documents), skipped=tuple(skipped))
