"""PDF loader on PDFium (``pypdfium2``), layout-aware: reads a page the way a reader does.

Each page becomes a :class:`~ingest.layout.page.PageLayout` (words with boxes, sizes and weight;
ruling lines; image cover) and the pure analysis in :mod:`ingest.layout.document` turns the
pages into segments: reading order across columns and boxes, running headers / footers / page
numbers kept as ``meta["page_furniture"]`` instead of text, TOC pages flagged ``toc``, headings
from size, weight and outline numbering (a heading path on every section), glossary pairs as
"term: definition" lines, and tables from :mod:`ingest.layout.tables`. Sections never cross a
page (1-based ``page``). Pages with no text but an image covering them are OCRed with tesseract
(:mod:`ingest.ocr`) and marked ``ocr``; without tesseract they are listed in
``meta["empty_pages"]`` with a warning saying why. The library was chosen by
``benchmarks/pdf_readers.py`` (fastest of pypdfium2, pdfplumber, pdfminer.six, docling-parse).

Safety: the raw bytes are checked before PDFium sees them (a stream declared, or a Flate stream
inflating, past ``max_unpacked_mb``; a missing end marker), and pages are read against the
per-document time budget.
"""

from __future__ import annotations

import logging
import re
import tempfile
import time
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

from ingest.cleaning import clean_line
from ingest.loaders.text import assemble, base_meta, choose_title, make_document
from ingest.safety import (
    DEFAULT_LIMITS,
    Deadline,
    Limits,
    pdf_no_body_text_reason,
    pdf_pages_overrun_reason,
    pdf_too_many_pages_reason,
    pdf_unreadable_page_reason,
)
from ingest.tuning import FIRST_LINE_TITLE_MAX, OCR_MAX_WORDS, OCR_MIN_IMAGE_COVER
from reportqa.errors import IngestError
from reportqa.types import Document, Section

logger = logging.getLogger(__name__)

PASSWORD_PROTECTED = "the PDF is password-protected; remove the password and ingest again"
NO_TEXT = (
    "no extractable text (scanned PDF?) — run OCR first (e.g. `ocrmypdf in.pdf out.pdf`) "
    "and ingest the result"
)
_DECLARED_LENGTH = re.compile(rb"/Length\s+(\d{1,20})(?!\s+\d+\s+R)")
_JUNK_TITLE = re.compile(
    r"^(?:untitled|제목\s*없음|title|document|microsoft word\b.*|about:blank|(?:슬라이드|slide)\s*\d*"
    r"|[\d\s.\-/]+|\S+_\S+)$"
    r"|\.[a-z]{2,4}$",
    re.IGNORECASE,
)
# Mojibake (UTF-8 read as Latin-1/CP1252) in a metadata title: Ã, ì‡ ...
_MOJIBAKE = re.compile(r"[\u00c0-\u00ff][\u0080-\u00bf\u2018-\u203a\u0152-\u0178]")
_STREAM = re.compile(rb"stream\r?\n")
# Deflate cannot expand data more than about 1032:1, so shorter streams cannot pass the cap.
_DEFLATE_MAX_RATIO = 1032
_EOF_TAIL = 4096
# Render scale for OCR: 300 dpi, tesseract's sweet spot for body text.
OCR_SCALE = 300 / 72


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
    """The metadata title unless it is a placeholder ("Microsoft Word - x", "about:blank",
    "슬라이드 1"), a page number, a file name, mojibake or a single word."""
    if not isinstance(title, str):
        return None
    cleaned = clean_line(title)
    if not cleaned or _JUNK_TITLE.search(cleaned) or _MOJIBAKE.search(cleaned):
        return None
    if len(cleaned.split()) < 2 and len(cleaned) < 8:
        return None  # one word ("RULE", "암호모듈"): the first word of a heading, not a title
    return cleaned


def check_streams(raw: bytes, limits: Limits) -> str | None:
    """Why the raw PDF is refused before parsing (a stream declared or inflating past the
    unpacked limit), or None. Flate streams are inflated in pieces and thrown away."""
    declared = max((int(m.group(1)) for m in _DECLARED_LENGTH.finditer(raw)), default=0)
    if declared > limits.max_unpacked_bytes:
        return limits.unpacked_reason(f"a PDF stream (declared as {declared:,} bytes)")
    cap = limits.max_unpacked_bytes
    for match in _STREAM.finditer(raw):
        start = match.end()
        if raw[start : start + 1] != b"\x78":  # not a zlib stream
            continue
        end = raw.find(b"endstream", start)
        data = raw[start : end if end >= 0 else len(raw)]
        if len(data) * _DEFLATE_MAX_RATIO <= cap:
            continue  # too small to inflate past the cap
        inflater = zlib.decompressobj()
        produced = 0
        try:
            chunk = inflater.decompress(data, 1 << 22)
            while chunk:
                produced += len(chunk)
                if produced > cap:
                    return limits.unpacked_reason("a PDF stream (a decompression bomb?)")
                chunk = inflater.decompress(inflater.unconsumed_tail, 1 << 22)
        except zlib.error:
            continue  # PDFium reports the broken stream (or recovers) itself
    return None


def _open(raw: bytes, path: Path) -> Any:
    """The PDFium document; IngestError for password-protected or unreadable files."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    if b"%%EOF" not in raw[-_EOF_TAIL:]:
        raise IngestError(path, _corrupt(ValueError("no %%EOF end marker")))
    try:
        # An empty user password (only an owner password restricting printing or copying)
        # opens without one.
        return pdfium.PdfDocument(raw)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            raise IngestError(path, PASSWORD_PROTECTED) from None
        raise IngestError(path, _corrupt(exc)) from exc


def first_line_title(title: str, text: str) -> bool:
    """Whether the fallback title (the text's first line) reads as a title: short, no sentence
    (a statement's "연결재무상태표" above its table, not a clause cut at 80 characters)."""
    first = text.split("\n", 1)[0].strip()
    return (
        title == first
        and len(title) <= FIRST_LINE_TITLE_MAX
        and not title.endswith((".", "。", ":", "다"))
    )


def title_as_heading(sections: tuple[Section, ...], title: str) -> tuple[Section, ...]:
    """A document without any heading (a one-page statement or table) gets its title as the
    heading path of every section, so each passage (a table row) says what it belongs to."""
    if any(s.heading_path for s in sections):
        return sections
    return tuple(s if s.toc else replace(s, heading_path=(title,)) for s in sections)


def needs_ocr(words: int, image_cover: float) -> bool:
    """Whether a page is an image to OCR: (almost) no words and mostly covered by images."""
    return words < OCR_MAX_WORDS and image_cover >= OCR_MIN_IMAGE_COVER


class PdfLoader:
    """PDF files, recognised by the ``%PDF-`` header in the first kilobyte."""

    name: str = "pdf"

    def __init__(self, limits: Limits = DEFAULT_LIMITS, ocr: bool = True) -> None:
        self.limits = limits
        self.ocr = ocr

    def sniff(self, path: Path, head: bytes) -> bool:
        """True when the first kilobyte holds the ``%PDF-`` magic."""
        return b"%PDF-" in head[:1024]

    def load(self, path: Path) -> Document:
        """Read the pages' layout into a Document; IngestError for encrypted, corrupt, too
        large or image-only (without OCR) PDFs."""
        from ingest.layout.document import analyse
        from ingest.layout.pdfium import page_layout
        from ingest.layout.wordbreaks import kiwi_joins

        raw = path.read_bytes()
        deadline = Deadline(self.limits.time_budget_s)
        refused = check_streams(raw, self.limits)
        if refused:
            raise IngestError(path, refused)
        doc = _open(raw, path)
        try:
            n_pages = len(doc)
            if not n_pages:
                raise IngestError(
                    path, "the PDF has no pages (truncated or corrupt?); export it again"
                )
            too_many = pdf_too_many_pages_reason(n_pages, self.limits.time_budget_s)
            if too_many:
                raise IngestError(path, too_many)
            started = time.monotonic()
            unloadable: dict[int, str] = {}  # pages PDFium cannot load at all → its message
            layouts = []
            ocr_pages: set[int] = set()
            ocr_failed: dict[int, str] = {}
            for index in range(n_pages):
                deadline.check()
                number = index + 1
                overrun = pdf_pages_overrun_reason(
                    index, n_pages, time.monotonic() - started, self.limits.time_budget_s
                )
                if overrun:
                    raise IngestError(path, overrun)
                try:
                    page = doc[index]
                except Exception as exc:  # PdfiumError: a broken or absurdly nested page tree
                    from ingest.layout.page import PageLayout

                    unloadable[number] = str(exc) or type(exc).__name__
                    layouts.append(PageLayout(number, 1.0, 1.0, ()))
                    continue
                try:
                    layout = page_layout(page, number)
                except Exception as exc:  # one broken page must not lose the others
                    logger.warning(
                        "%s: page %d: text extraction failed (%s)", path, number, _summary(exc)
                    )
                    from ingest.layout.page import PageLayout

                    layout = PageLayout(number, 1.0, 1.0, ())
                if needs_ocr(len(layout.words), layout.image_cover):
                    if not self.ocr:
                        ocr_failed[number] = "OCR is off"
                    else:
                        deadline.check()
                        try:
                            read = self._ocr(page, layout, self.limits.time_budget_s)
                        except RuntimeError as exc:
                            ocr_failed[number] = str(exc)
                        else:
                            if len(read.words) > len(layout.words):
                                layout = read
                                ocr_pages.add(number)
                layouts.append(layout)
                page.close()
            metadata_title = self._metadata_title(doc)
        finally:
            doc.close()

        analysis = analyse(layouts, frozenset(ocr_pages), kiwi_joins)
        text, sections = assemble(analysis.segments)
        # Pages with no words at all (a page of running header and decoration only is not one).
        empty_pages = [layout.number for layout in layouts if not layout.words]
        if not text and unloadable:
            first = min(unloadable)
            raise IngestError(path, pdf_unreadable_page_reason(first, unloadable[first], n_pages))
        if not text:
            # Pages with more words than a scan's text layer (a page number) has.
            with_words = sum(1 for layout in layouts if len(layout.words) >= OCR_MAX_WORDS)
            furniture = None if ocr_failed else pdf_no_body_text_reason(with_words, n_pages)
            reason = furniture or NO_TEXT
            if ocr_failed:
                reason += f" (OCR could not run: {next(iter(ocr_failed.values()))})"
            raise IngestError(path, reason)
        if empty_pages:
            shown = ", ".join(map(str, empty_pages[:20])) + (" …" if len(empty_pages) > 20 else "")
            why = next(iter(ocr_failed.values()), None)
            logger.warning(
                "%s: %d of %d pages have no extractable text (scanned?): %s — their content is "
                "not searchable; %s",
                path,
                len(empty_pages),
                n_pages,
                shown,
                f"OCR did not run ({why})" if why else "OCR the file (e.g. `ocrmypdf`)",
            )
        title = choose_title((analysis.title, metadata_title), text, path)
        if title == clean_line(analysis.title or "") or first_line_title(title, text):
            sections = title_as_heading(sections, title)  # a title read on the first page
        meta = base_meta(raw, "pdf") | {
            "pages": n_pages,
            "empty_pages": empty_pages,
            "tables": analysis.tables,
            "toc_pages": analysis.toc_pages,
            "ocr_pages": sorted(ocr_pages),
            "page_furniture": analysis.furniture,
        }
        return make_document(path, title, text, sections, meta)

    @staticmethod
    def _metadata_title(doc: Any) -> str | None:
        try:
            return _usable_title(doc.get_metadata_value("Title"))
        except Exception:  # a broken Info dictionary: fall back to the page text
            return None

    @staticmethod
    def _ocr(page: Any, layout: Any, budget_s: float) -> Any:
        """The page rendered at 300 dpi and OCRed: its layout with tesseract's words."""
        from ingest.ocr import PAGE_TIMEOUT_S, ocr_words, unavailable_reason

        reason = unavailable_reason()
        if reason is not None:
            raise RuntimeError(reason)
        bitmap = page.render(scale=OCR_SCALE)
        try:
            image = bitmap.to_pil()
            with tempfile.TemporaryDirectory(prefix="reportqa-ocr-") as tmp:
                png = Path(tmp) / "page.png"
                image.save(png)
                words = ocr_words(png, OCR_SCALE, min(PAGE_TIMEOUT_S, budget_s))
        finally:
            bitmap.close()
        return replace(layout, words=words)
