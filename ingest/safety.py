"""Limits that keep hostile or broken files from hurting an ingest: size, time, ZIP and XML.

Every loader that unpacks something (ZIP members, HWP streams, PDF streams) counts the bytes it
produces against :class:`Limits` and gives up with an :class:`~reportqa.errors.IngestError` that
says which limit was hit and which setting raises it. Nothing here reads the environment: the
limits come from :class:`~reportqa.settings.Settings` through :meth:`Limits.from_settings`.
"""

from __future__ import annotations

import signal
import threading
import time
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportqa.errors import IngestError

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    from reportqa.settings import Settings

MB = 1024 * 1024
# A member must expand past this before its compression ratio counts: small files that compress
# well (a 2 KB XML of repeated tags) are harmless.
_RATIO_FLOOR_BYTES = 1 * MB
_MAX_ZIP_MEMBERS = 10_000
_READ_CHUNK = 256 * 1024


@dataclass(frozen=True)
class Limits:
    """Per-document resource limits (see the ``max_unpacked_mb``, ``max_compression_ratio`` and
    ``parse_timeout_s`` settings)."""

    max_unpacked_bytes: int = 200 * MB
    max_ratio: float = 200.0
    time_budget_s: float = 120.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_unpacked_bytes=int(settings.max_unpacked_mb * MB),
            max_ratio=settings.max_compression_ratio,
            time_budget_s=settings.parse_timeout_s,
        )

    def unpacked_reason(self, what: str) -> str:
        return (
            f"{what} expands to more than {self.max_unpacked_bytes / MB:g} MB (a decompression "
            "bomb, or a very large document); refused. Raise REPORTQA_MAX_UNPACKED_MB "
            "(setting max_unpacked_mb) if the file is genuine"
        )

    def ratio_reason(self, what: str, ratio: float) -> str:
        return (
            f"{what} is compressed {ratio:.0f}:1, over the {self.max_ratio:g}:1 limit (looks like "
            "a ZIP bomb); refused. Raise REPORTQA_MAX_COMPRESSION_RATIO "
            "(setting max_compression_ratio) if the file is genuine"
        )

    def timeout_reason(self) -> str:
        return (
            f"reading took longer than the {self.time_budget_s:g} s budget per document "
            "(pathological or very large file); skipped. Raise REPORTQA_PARSE_TIMEOUT_S "
            "(setting parse_timeout_s) if the file is genuine"
        )


DEFAULT_LIMITS = Limits()


class ParseTimeout(BaseException):
    """Raised inside a parser when its document's time budget is spent.

    A BaseException, so that parsers' broad ``except Exception`` blocks cannot swallow it.
    """


class Deadline:
    """A per-document time budget that loops check cooperatively (between pages, records...)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def expired(self) -> bool:
        return time.monotonic() > self._end

    def check(self) -> None:
        """Raise :class:`ParseTimeout` once the budget is spent."""
        if self.expired():
            raise ParseTimeout(self.seconds)


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block with :class:`ParseTimeout` after ``seconds`` (hard stop).

    Uses ``SIGALRM``, so it only arms in the main thread of a POSIX process; elsewhere the block
    runs unguarded and relies on the loaders' cooperative :class:`Deadline` checks. Pure-Python
    parsers (pypdf, XML, the HWP reader) are interrupted between bytecodes.
    """
    usable = (
        seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise ParseTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if old_delay:  # someone else's timer was running: give it back what is left
            signal.setitimer(signal.ITIMER_REAL, old_delay, old_interval)


class Budget:
    """Counts bytes unpacked from one document against ``limits.max_unpacked_bytes``."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path = path
        self.limits = limits
        self.used = 0

    @property
    def left(self) -> int:
        return max(0, self.limits.max_unpacked_bytes - self.used)

    def spend(self, n: int, what: str) -> None:
        self.used += n
        if self.used > self.limits.max_unpacked_bytes:
            raise IngestError(self.path, self.limits.unpacked_reason(what))


def inflate(
    data: bytes, budget: Budget, what: str, wbits: int = -zlib.MAX_WBITS, truncated_ok: bool = False
) -> bytes:
    """Decompress a deflate stream without ever producing more than the budget allows."""
    decomp = zlib.decompressobj(wbits)
    out: list[bytes] = []
    total = 0
    try:
        piece = decomp.decompress(data, min(_READ_CHUNK, budget.left + 1))
        while True:
            budget.spend(len(piece), what)
            out.append(piece)
            total += len(piece)
            if decomp.eof:
                break
            tail = decomp.unconsumed_tail
            if not tail and not piece:
                break
            piece = decomp.decompress(tail, min(_READ_CHUNK, budget.left + 1))
    except zlib.error as exc:
        raise IngestError(
            budget.path,
            f"{what} cannot be decompressed ({exc}); the file looks truncated or corrupt",
        ) from exc
    if not decomp.eof and not truncated_ok:
        raise IngestError(budget.path, f"{what} is truncated or corrupt; save the file again")
    ratio = total / max(1, len(data))
    if total > _RATIO_FLOOR_BYTES and ratio > budget.limits.max_ratio:
        raise IngestError(budget.path, budget.limits.ratio_reason(what, ratio))
    return b"".join(out)


class SafeZip:
    """A ZIP archive opened with bomb checks: member count, declared sizes and ratios, and a
    hard cap on the bytes actually read (declared sizes can lie)."""

    def __init__(self, path: Path, limits: Limits, kind: str) -> None:
        self.path = path
        self.kind = kind
        self.budget = Budget(path, limits)
        try:
            self.zip = zipfile.ZipFile(path)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, ValueError, EOFError, OSError) as exc:
            raise IngestError(
                path,
                f"cannot open the {kind} (not a valid ZIP: {exc}); the file looks truncated "
                "or corrupt — save or download it again",
            ) from exc
        if len(infos) > _MAX_ZIP_MEMBERS:
            raise IngestError(
                path,
                f"the {kind} holds {len(infos)} files, over the {_MAX_ZIP_MEMBERS} limit; refused",
            )
        declared = sum(i.file_size for i in infos)
        if declared > limits.max_unpacked_bytes:
            raise IngestError(path, limits.unpacked_reason(f"the {kind}"))
        for info in infos:
            if info.file_size > _RATIO_FLOOR_BYTES and info.compress_size:
                ratio = info.file_size / info.compress_size
                if ratio > limits.max_ratio:
                    raise IngestError(
                        path, limits.ratio_reason(f"{info.filename!r} in the {kind}", ratio)
                    )
        self.names = [i.filename for i in infos]

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.zip.close()

    def has(self, name: str) -> bool:
        return name in self.names

    def read(self, name: str) -> bytes:
        """A member's bytes, read in chunks and counted against the budget."""
        info = self.zip.getinfo(name)
        if info.flag_bits & 0x1:
            raise IngestError(
                self.path,
                f"the {self.kind} is encrypted (password-protected); remove the password and "
                "ingest again",
            )
        out: list[bytes] = []
        try:
            with self.zip.open(info) as fh:
                while True:
                    piece = fh.read(min(_READ_CHUNK, self.budget.left + 1))
                    if not piece:
                        break
                    self.budget.spend(len(piece), f"{name!r} in the {self.kind}")
                    out.append(piece)
        except NotImplementedError as exc:  # deflate64, bzip2 variants, AES...
            raise IngestError(
                self.path,
                f"{name!r} in the {self.kind} uses an unsupported compression ({exc}); save the "
                "file again with standard settings",
            ) from exc
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
            raise IngestError(
                self.path,
                f"cannot read {name!r} in the {self.kind} ({type(exc).__name__}: {exc}); the file "
                "looks truncated or corrupt — save or download it again",
            ) from exc
        return b"".join(out)


def parse_xml(data: bytes, path: Path, what: str) -> Element:
    """Parse untrusted XML with ``defusedxml``: no DTD entities, no external references."""
    from xml.etree.ElementTree import ParseError

    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException

    try:
        return DET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise IngestError(
            path,
            f"{what} declares XML entities or external references ({type(exc).__name__}); "
            "refused as a possible XML entity attack (billion laughs, XXE)",
        ) from exc
    except ParseError as exc:
        raise IngestError(
            path, f"{what} is not well-formed XML ({exc}); the file looks truncated or corrupt"
        ) from exc


# -- Reasons for PDFs that are hostile or broken rather than scanned ----------------------------
# (ingest/loaders/pdf.py raises them; before, a 150,000-page PDF was called a decompression
# bomb and a PDF whose objects nest thousands deep was told to run OCR.)

# The fastest pace a PDF's pages are assumed to read at: the shared real reports read at 15-19
# pages/s through the layout-aware loader (4 PDFs in /work/shared/realdocs, 2026-12-02), so
# 100 pages/s leaves five times the room. A PDF with more pages than the time budget allows at
# that pace is refused before any page is read (120 s: 12,000 pages).
PDF_PAGES_PER_S = 100


def pdf_page_limit(budget_s: float) -> int:
    """The most pages a PDF may have to be read within ``budget_s`` seconds."""
    return int(budget_s * PDF_PAGES_PER_S)


def pdf_too_many_pages_reason(pages: int, budget_s: float) -> str | None:
    """Why a PDF of ``pages`` pages is refused before reading (more than the time budget
    allows at :data:`PDF_PAGES_PER_S`), or None."""
    limit = pdf_page_limit(budget_s)
    if pages <= limit:
        return None
    return (
        f"the PDF has {pages:,} pages, more than can be read within the {budget_s:g} s budget "
        f"per document (at most {limit:,} pages); skipped. Split it "
        "into smaller files, or raise REPORTQA_PARSE_TIMEOUT_S (setting parse_timeout_s) if "
        "it is genuine"
    )


# Pages read before the time of the whole document is projected from their pace, and the
# least time spent first: the first pages of a PDF load its fonts and are the slowest, so a
# projection this early errs on the side of reading on.
PROJECT_AFTER_PAGES = 20
PROJECT_AFTER_S = 1.0


def pdf_pages_overrun_reason(
    pages_read: int, total_pages: int, elapsed_s: float, budget_s: float
) -> str | None:
    """Why a PDF is refused early because reading all its pages at the pace of the first ones
    would overrun the time budget, or None (too early to tell, or it fits)."""
    if pages_read < PROJECT_AFTER_PAGES or elapsed_s < PROJECT_AFTER_S or pages_read >= total_pages:
        return None
    projected = elapsed_s / pages_read * total_pages
    if projected <= budget_s:
        return None
    pace = pages_read / elapsed_s
    return (
        f"the PDF has {total_pages:,} pages; at {pace:,.0f} pages/s reading them all would take "
        f"about {_duration(projected)}, past the {budget_s:g} s budget per document; skipped. "
        "Split it into smaller files, or raise REPORTQA_PARSE_TIMEOUT_S (setting "
        "parse_timeout_s) if it is genuine"
    )


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def pdf_unreadable_page_reason(page: int, error: str, pages: int) -> str:
    """Why a PDF whose page ``page`` PDFium cannot load at all (``error``: its message) is
    refused: its page tree or objects are broken or nested past what a reader follows."""
    where = f"page {page} of {pages}" if pages > 1 else "its only page"
    return (
        f"PDFium cannot load {where} ({error}): its page tree or objects are broken or nested "
        "too deeply (a malformed or hostile PDF), not a scan. Repair it (e.g. `qpdf in.pdf "
        "out.pdf`) or print it to a new PDF, and ingest that"
    )


def pdf_no_body_text_reason(pages_with_words: int, pages: int) -> str | None:
    """Why a PDF with words on its pages still has no body text (every line repeats on each
    page and was taken for running headers and footers), or None when no page had words
    (a scan: then OCR is the advice)."""
    if not pages_with_words:
        return None
    return (
        f"{pages_with_words} of {pages} pages have text, but every line of it repeats from page "
        "to page, so it was all taken for running headers and footers and no body text is left; "
        "not a scan (OCR would not help). Check the file (a template or a form?) or report this "
        "with it"
    )
