"""PDF loader on ``pypdf``: one section per page (1-based ``page``), text layer only (no OCR).

Wrapped lines are joined back into paragraphs (see :func:`ingest.cleaning.unwrap_lines`), never
across a page boundary. Pages without extractable text are listed in ``meta["empty_pages"]``.
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

from ingest.cleaning import clean_line, clean_lines, line_width, unwrap_lines
from ingest.loaders.text import Segment, assemble, base_meta, choose_title, make_document
from reportqa.errors import IngestError
from reportqa.types import Document

logger = logging.getLogger(__name__)

PASSWORD_PROTECTED = "the PDF is password-protected; remove the password and ingest again"
NO_TEXT = (
    "no extractable text (scanned PDF?) — run OCR first (e.g. `ocrmypdf in.pdf out.pdf`) "
    "and ingest the result"
)
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


def _usable_title(title: object) -> str | None:
    """The metadata title unless it is empty or a placeholder/file name ("Microsoft Word - x")."""
    if not isinstance(title, str):
        return None
    cleaned = clean_line(title)
    if not cleaned or _JUNK_TITLE.search(cleaned):
        return None
    return cleaned


class PdfLoader:
    """PDF files, recognised by the ``%PDF-`` header in the first kilobyte."""

    name: str = "pdf"

    def sniff(self, path: Path, head: bytes) -> bool:
        """True when the first kilobyte holds the ``%PDF-`` magic."""
        return b"%PDF-" in head[:1024]

    def load(self, path: Path) -> Document:
        """Extract each page's text; raise IngestError for encrypted, corrupt or image-only PDFs."""
        from pypdf import PasswordType, PdfReader
        from pypdf.errors import DependencyError

        raw = path.read_bytes()
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
        except Exception as exc:  # pypdf raises many types (PdfReadError, ValueError, KeyError...)
            raise IngestError(path, _corrupt(exc)) from exc
        if not pages:
            raise IngestError(path, "the PDF has no pages (truncated or corrupt?); export it again")

        page_lines: list[list[str]] = []
        for number, page in enumerate(pages, start=1):
            try:
                extracted = page.extract_text() or ""
            except Exception as exc:  # one broken page must not lose the others
                logger.warning(
                    "%s: page %d: text extraction failed (%s)", path, number, _summary(exc)
                )
                extracted = ""
            page_lines.append(clean_lines(extracted.splitlines()))

        width = line_width([line for lines in page_lines for line in lines])
        segments = [
            Segment(unwrap_lines(lines, width), page=number)
            for number, lines in enumerate(page_lines, start=1)
        ]
        empty_pages = [number for number, lines in enumerate(page_lines, start=1) if not lines]
        text, sections = assemble(segments)
        if not text:
            raise IngestError(path, NO_TEXT)

        try:
            metadata_title = reader.metadata.title if reader.metadata else None
        except Exception:  # broken Info dictionary: fall back to the first line
            metadata_title = None
        title = choose_title((_usable_title(metadata_title),), text, path)
        meta = base_meta(raw, "pdf") | {"pages": len(pages), "empty_pages": empty_pages}
        return make_document(path, title, text, sections, meta)
