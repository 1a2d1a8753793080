"""PDF loader on ``pypdf``: one section per page (1-based ``page``), text layer only (no OCR).

Wrapped lines are joined back into paragraphs (see :func:`ingest.cleaning.unwrap_lines`), never
across a page boundary. Pages without extractable text are listed in ``meta["empty_pages"]``.

Tables: a run of two or more lines that pypdf's layout mode shows as cells apart (three or
more spaces between them) becomes a ``table`` section of that page, one row per line with cells
joined by " | ", so numbers stay next to their labels.

Safety: every stream pypdf decodes is capped at the ``max_unpacked_mb`` limit (declared lengths
and decoded output), and pages are read against the per-document time budget.
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

from ingest.cleaning import clean_line, clean_lines, line_width, unwrap_lines
from ingest.loaders.text import Segment, assemble, base_meta, choose_title, make_document
from ingest.safety import DEFAULT_LIMITS, Deadline, Limits, ParseTimeout
from reportqa.errors import IngestError
from reportqa.types import Document

logger = logging.getLogger(__name__)

PASSWORD_PROTECTED = "the PDF is password-protected; remove the password and ingest again"
NO_TEXT = (
    "no extractable text (scanned PDF?) — run OCR first (e.g. `ocrmypdf in.pdf out.pdf`) "
    "and ingest the result"
)
_CELL_GAP = re.compile(r"\s{3,}")
_DECLARED_LENGTH = re.compile(rb"/Length\s+(\d{1,20})(?!\s+\d+\s+R)")
_JUNK_TITLE = re.compile(
    r"^(?:untitled|제목\s*없음|title|document|microsoft word\b.*)$"
    r"|\.(?:pdf|docx?|hwpx?|pptx?|xlsx?|txt|indd|ai|qxd|rtf)$",
    re.IGNORECASE,
)


def _summary(exc: BaseException) -> str:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    message = message[:200]
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _corrupt(exc: BaseException) -> str:
    return (
        f"cannot read the PDF ({_summary(exc)}); the file looks truncated or corrupt — "
        "download or export it again"
    )


def _too_big(exc: BaseException, limits: Limits) -> str:
    return limits.unpacked_reason(f"a PDF stream ({_summary(exc)})")


def _usable_title(title: object) -> str | None:
    """The metadata title unless it is empty or a placeholder/file name ("Microsoft Word - x")."""
    if not isinstance(title, str):
        return None
    cleaned = clean_line(title)
    if not cleaned or _JUNK_TITLE.search(cleaned):
        return None
    return cleaned


def _limit_overrides(limits: Limits) -> dict[str, int]:
    """pypdf resource limits (``pypdf.Configuration``) derived from ours."""
    cap = limits.max_unpacked_bytes
    return {
        "maximum_declared_stream_length": cap,
        "array_based_stream_maximum_output_length": cap,
        "zlib_maximum_output_length": cap,
        "lzw_maximum_output_length": cap,
        "run_length_maximum_output_length": cap,
        "jbig2_maximum_output_length": cap,
        "brotli_maximum_output_length": cap,
        "image_maximum_buffer_size": cap,
        "stream_decoding_work_maximum_length": 4 * cap,
    }


def table_cells(layout_lines: list[str]) -> dict[str, list[str]]:
    """Layout-mode lines split into cells: {the line's words joined by single spaces: cells}."""
    rows: dict[str, list[str]] = {}
    for line in layout_lines:
        cells = [clean_line(c) for c in _CELL_GAP.split(line.strip())]
        cells = [c for c in cells if c]
        if len(cells) >= 2:
            rows.setdefault(" ".join(" ".join(cells).split()), cells)
    return rows


def page_segments(
    lines: list[str], rows: dict[str, list[str]], page: int, width: int
) -> list[Segment]:
    """A page's lines as segments: runs of 2+ lines that are table rows become table segments."""
    segments: list[Segment] = []
    body: list[str] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and " ".join(lines[j].split()) in rows:
            j += 1
        if j - i >= 2:
            if body:
                segments.append(Segment(unwrap_lines(body, width), page=page))
                body = []
            table = [" | ".join(rows[" ".join(line.split())]) for line in lines[i:j]]
            segments.append(Segment(table, page=page, table=True))
            i = j
        else:
            body.append(lines[i])
            i += 1
    if body or not segments:
        segments.append(Segment(unwrap_lines(body, width), page=page))
    return segments


class PdfLoader:
    """PDF files, recognised by the ``%PDF-`` header in the first kilobyte."""

    name: str = "pdf"

    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        self.limits = limits

    def sniff(self, path: Path, head: bytes) -> bool:
        """True when the first kilobyte holds the ``%PDF-`` magic."""
        return b"%PDF-" in head[:1024]

    def load(self, path: Path) -> Document:
        """Extract each page's text; raise IngestError for encrypted, corrupt or image-only PDFs."""
        from pypdf import apply_configuration

        with apply_configuration(None, **_limit_overrides(self.limits)):
            return self._load(path)

    def _load(self, path: Path) -> Document:
        from pypdf import PasswordType, PdfReader
        from pypdf.errors import DependencyError, LimitReachedError

        raw = path.read_bytes()
        deadline = Deadline(self.limits.time_budget_s)
        # pypdf recovers from a lying /Length by scanning for "endstream"; a stream declared far
        # larger than anything we would unpack is refused outright instead.
        declared = max((int(m.group(1)) for m in _DECLARED_LENGTH.finditer(raw)), default=0)
        if declared > self.limits.max_unpacked_bytes:
            raise IngestError(
                path, self.limits.unpacked_reason(f"a PDF stream (declared as {declared:,} bytes)")
            )
        try:
            reader = PdfReader(io.BytesIO(raw))
            if reader.is_encrypted:
                try:
                    # Many PDFs are encrypted with an empty user password (only an owner
                    # password restricting printing or copying): those open fine.
                    opened = reader.decrypt("")
                except DependencyError:
                    raise IngestError(
                        path,
                        "the PDF is encrypted with AES and reading it needs the `cryptography` "
                        "package; install it (pip install cryptography) or save an unencrypted "
                        "copy",
                    ) from None
                if opened == PasswordType.NOT_DECRYPTED:
                    raise IngestError(path, PASSWORD_PROTECTED)
            pages = list(reader.pages)
        except IngestError:
            raise
        except LimitReachedError as exc:
            raise IngestError(path, _too_big(exc, self.limits)) from exc
        except Exception as exc:  # pypdf raises many types (PdfReadError, ValueError, KeyError...)
            raise IngestError(path, _corrupt(exc)) from exc
        if not pages:
            raise IngestError(path, "the PDF has no pages (truncated or corrupt?); export it again")

        page_lines: list[list[str]] = []
        page_rows: list[dict[str, list[str]]] = []
        for number, page in enumerate(pages, start=1):
            deadline.check()
            try:
                # Decode the content stream first: extract_text swallows pypdf's limit errors
                # and would report a decompression bomb as an empty page.
                contents = page.get_contents()
                if contents is not None:
                    contents.get_data()
                extracted = page.extract_text() or ""
            except LimitReachedError as exc:  # a decompression bomb in this page: refuse the file
                raise IngestError(path, _too_big(exc, self.limits)) from exc
            except Exception as exc:  # one broken page must not lose the others
                logger.warning(
                    "%s: page %d: text extraction failed (%s)", path, number, _summary(exc)
                )
                extracted = ""
            lines = clean_lines(extracted.splitlines())
            page_lines.append(lines)
            page_rows.append(self._layout_rows(page, lines, deadline))

        width = line_width([line for lines in page_lines for line in lines])
        segments = [
            segment
            for number, (lines, rows) in enumerate(zip(page_lines, page_rows, strict=True), start=1)
            for segment in page_segments(lines, rows, number, width)
        ]
        empty_pages = [number for number, lines in enumerate(page_lines, start=1) if not lines]
        text, sections = assemble(segments)
        if not text:
            raise IngestError(path, NO_TEXT)
        if empty_pages:
            shown = ", ".join(map(str, empty_pages[:20])) + (" …" if len(empty_pages) > 20 else "")
            logger.warning(
                "%s: %d of %d pages have no extractable text (scanned?): %s — their content is "
                "not searchable; OCR the file (e.g. `ocrmypdf`) to include it",
                path,
                len(empty_pages),
                len(pages),
                shown,
            )

        try:
            metadata_title = reader.metadata.title if reader.metadata else None
        except Exception:  # broken Info dictionary: fall back to the first line
            metadata_title = None
        title = choose_title((_usable_title(metadata_title),), text, path)
        tables = sum(1 for seg in segments if seg.table)
        meta = base_meta(raw, "pdf") | {
            "pages": len(pages),
            "empty_pages": empty_pages,
            "tables": tables,
        }
        return make_document(path, title, text, sections, meta)

    @staticmethod
    def _layout_rows(page: object, lines: list[str], deadline: Deadline) -> dict[str, list[str]]:
        """Table rows of a page (see :func:`table_cells`); only tried when a line could be one."""
        if sum(1 for line in lines if " " in line) < 2:
            return {}
        deadline.check()
        try:
            layout = page.extract_text(extraction_mode="layout") or ""  # type: ignore[attr-defined]
        except ParseTimeout:
            raise
        except Exception:  # layout mode is best effort: fall back to plain lines
            return {}
        return table_cells(layout.splitlines())
