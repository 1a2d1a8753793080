"""Plain-text loader, plus the helpers every loader shares.

Shared here (so the loader modules do not import the registry): byte sniffing, text decoding,
assembling cleaned lines into text + sections, titles and the common ``meta`` fields.

Text convention of every loader: one paragraph (or list item, heading, table row) per line,
lines joined with a single ``"\\n"``, no blank lines. Sections are contiguous: each section
except the last ends with the ``"\\n"`` that separates it from the next one.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.boilerplate import strip_page_boilerplate
from ingest.cleaning import clean_line, clean_lines, line_width, unwrap_lines
from ingest.tuning import (
    BINARY_CONTROL_RATIO,
    HARD_WRAP_MAX_WIDTH,
    TEXT_TITLE_MAX,
    UTF16_NUL_SHARE,
    UTF16_PLAUSIBLE,
    UTF16_SAMPLE,
)
from reportqa.errors import IngestError
from reportqa.types import Document, Section

logger = logging.getLogger(__name__)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Bytes that never occur in real text: C0 controls except \t \n \v \f \r and ESC, plus DEL.
_CONTROL_BYTES = frozenset([*range(0, 9), 14, 15, *range(16, 27), 28, 29, 30, 31, 127])

# charset_normalizer guesses accepted as a last resort: Korean legacy and Western single-byte
# encodings. Anything else (EBCDIC, Big5... for a garbled file) is more likely wrong than right.
_DETECTABLE = {
    "cp949": "cp949",
    "euc_kr": "cp949",
    "cp1252": "cp1252",
    "latin_1": "latin_1",
    "iso8859_15": "iso8859_15",
    "cp1250": "cp1250",
    "iso8859_2": "iso8859_2",
}
UNDECODABLE = "cannot decode text (not UTF-8 or CP949); save it as UTF-8 and ingest again"


def bom_encoding(data: bytes) -> str | None:
    """The encoding named by a byte-order mark at the start of ``data``, if any."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def _plausible_text(text: str) -> bool:
    """Whether decoded ``text`` reads as writing: letters of common scripts, digits,
    punctuation, spaces (random bytes decoded as UTF-16 are scattered over all of Unicode)."""
    if not text:
        return False
    good = sum(
        1
        for ch in text
        if ch in "\t\n\r\f"
        or (" " <= ch <= "~")
        or ("\u00a0" <= ch <= "\u024f")  # Latin-1 and Latin Extended letters
        or ("\u2000" <= ch <= "\u206f")  # general punctuation
        or ("\u3000" <= ch <= "\u303f")  # CJK punctuation
        or ("\u3130" <= ch <= "\u318f")  # Hangul compatibility jamo
        or ("\uac00" <= ch <= "\ud7a3")  # Hangul syllables
        or ("\uff00" <= ch <= "\uffef")  # full-width forms
    )
    return good / len(text) >= UTF16_PLAUSIBLE


def utf16_encoding(data: bytes) -> str | None:
    """``"utf-16-le"`` / ``"utf-16-be"`` for UTF-16 text without a byte-order mark, else None.

    Every ASCII character (space, digit, Latin letter, newline) of UTF-16 text puts a NUL in
    the same byte position of its pair; the byte order that NULs favour is tried first, and
    either is taken when its decode reads as writing
    (:func:`_plausible_text`) and either the NUL pattern is clear or the text is mostly Hangul.
    """
    sample = data[:UTF16_SAMPLE]
    sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    # Hangul syllables ending in 00 (가 U+AC00) put NULs in the other position: try both.
    candidates = ["utf-16-be", "utf-16-le"] if even > odd else ["utf-16-le", "utf-16-be"]
    for encoding in candidates:
        # U+FFFD (a bad byte pair, or a surrogate pair cut at the sample's end) counts as noise.
        text = sample.decode(encoding, errors="replace")
        if not _plausible_text(text):
            continue
        if max(even, odd) >= UTF16_NUL_SHARE * half or _hangul_share(text) >= 0.5:
            return encoding
    return None


def looks_binary(head: bytes) -> bool:
    """True when the first bytes of a file are not text (NUL bytes or many control bytes)."""
    if not head or bom_encoding(head) is not None:
        return False
    if utf16_encoding(head) is not None:
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b in _CONTROL_BYTES)
    return controls / len(head) > BINARY_CONTROL_RATIO


def head_text(head: bytes) -> str:
    """The first bytes of a file decoded leniently, for content sniffing only."""
    encoding = bom_encoding(head) or utf16_encoding(head) or "utf-8"
    return head.decode(encoding, errors="replace").lstrip("\ufeff")


def _hangul_share(text: str) -> float:
    non_ascii = [ch for ch in text if ord(ch) > 127]
    if not non_ascii:
        return 0.0
    hangul = sum(1 for ch in non_ascii if "\uac00" <= ch <= "\ud7a3" or "\u3131" <= ch <= "\u318e")
    return hangul / len(non_ascii)


def decode_text(raw: bytes, path: Path) -> tuple[str, str]:
    """Decode file bytes to ``(text, encoding)``.

    Order: byte-order mark (UTF-8/16/32), UTF-16 without one, strict UTF-8, strict CP949 (a superset of EUC-KR) when
    the result is mostly Hangul, nearly-valid UTF-8, then ``charset_normalizer``'s guess if it is
    a Korean or Western single-byte encoding. Raises IngestError when nothing fits.
    """
    bom = bom_encoding(raw)
    if bom is not None:
        try:
            return raw.decode(bom), bom
        except UnicodeDecodeError:
            raise IngestError(
                path,
                f"the file starts with a {bom} byte-order mark but is not "
                f"valid {bom}; save it as UTF-8 and ingest again",
            ) from None
    utf16 = utf16_encoding(raw)  # before UTF-8: "H\0e\0" is valid UTF-8 too
    if utf16 is not None:
        text = raw.decode(utf16, errors="replace")
        if text.count("\ufffd") <= max(1, len(text) // 1000):  # e.g. a truncated last byte
            return text, utf16
        logger.info("%s: starts like %s without a byte-order mark, but is not", path, utf16)
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp949")
    except UnicodeDecodeError:
        pass
    else:
        if _hangul_share(text) >= 0.5:
            return text, "cp949"
    lenient = raw.decode("utf-8", errors="replace")
    if lenient.count("\ufffd") <= max(1, len(lenient) // 1000):
        logger.warning("%s: a few invalid UTF-8 bytes were replaced", path)
        return lenient, "utf-8"
    from charset_normalizer import from_bytes

    matches = [m for m in from_bytes(raw) if m.encoding in _DETECTABLE]
    if not matches:
        raise IngestError(path, UNDECODABLE)
    best = matches[0]
    for m in matches:  # on a tie, the far more common Windows-1252 wins over e.g. Windows-1250
        if m.encoding == "cp1252" and m.chaos <= best.chaos and m.coherence >= best.coherence:
            best = m
    encoding = _DETECTABLE[best.encoding]
    logger.info("%s: decoded as %s (detected)", path, encoding)
    return raw.decode(encoding, errors="replace"), encoding


@dataclass
class Segment:
    """Raw lines that will become one section (cleaned and joined by :func:`assemble`)."""

    lines: list[str] = field(default_factory=list)
    heading_path: tuple[str, ...] = ()
    page: int | None = None
    table: bool = False
    context: str = ""
    toc: bool = False
    ocr: bool = False


def assemble(segments: Iterable[Segment]) -> tuple[str, tuple[Section, ...]]:
    """Clean the segments' lines and join them into ``(text, sections)``.

    Lines are joined with ``"\\n"``; segments left with no lines are dropped; sections are
    contiguous and cover the whole text.
    """
    parts: list[str] = []
    spans: list[tuple[int, int, Segment]] = []
    pos = 0
    for seg in segments:
        lines = clean_lines(seg.lines)
        if not lines:
            continue
        body = "\n".join(lines)
        if parts:
            pos += 1  # the "\n" between segments
        spans.append((pos, pos + len(body), seg))
        parts.append(body)
        pos += len(body)
    text = "\n".join(parts)
    sections = tuple(
        Section(
            start=start,
            end=spans[i + 1][0] if i + 1 < len(spans) else end,
            page=seg.page,
            heading_path=seg.heading_path,
            table=seg.table,
            context=seg.context,
            toc=seg.toc,
            ocr=seg.ocr,
        )
        for i, (start, end, seg) in enumerate(spans)
    )
    return text, sections


class HeadingPath:
    """The current heading path while walking a document's headings in order."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, str]] = []

    def push(self, level: int, text: str) -> tuple[str, ...]:
        """Enter a heading of ``level`` (1 = top) and return the new path."""
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, text))
        return self.path

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(text for _, text in self._stack)


class OutlineBuilder:
    """Segments for word-processor formats (HWP, HWPX, DOCX): body lines, headings, tables.

    A heading opens a new section whose path ends with it; a table gets its own ``table``
    section (one row per line, its header as ``context``) under the current path, and the text
    after it a new one. :meth:`set_page` starts a new section (same path) where the page changes,
    so every section has one page.
    """

    def __init__(self) -> None:
        self.headings = HeadingPath()
        self.page: int | None = None
        self.segments: list[Segment] = [Segment()]
        self.tables = 0

    def set_page(self, page: int) -> None:
        """The page the following lines are on."""
        if page == self.page:
            return
        self.page = page
        last = self.segments[-1]
        if not last.lines:
            last.page = page
        else:
            self.segments.append(Segment(heading_path=last.heading_path, page=page))

    def line(self, text: str) -> None:
        if clean_line(text):
            self.segments[-1].lines.append(text)

    def heading(self, level: int, text: str) -> None:
        text = clean_line(text)
        if text:
            self.segments.append(Segment([text], self.headings.push(level, text), page=self.page))

    def table(self, lines: Sequence[str], context: str = "") -> None:
        lines = [line for line in lines if clean_line(line)]
        if not lines:
            if context.strip():  # a table of header cells only: its labels are its text
                lines = [line for line in context.split("\n") if clean_line(line)]
                context = ""
            if not lines:
                return
        self.tables += 1
        path = self.headings.path
        self.segments.append(
            Segment(list(lines), path, page=self.page, table=True, context=context.strip())
        )
        self.segments.append(Segment(heading_path=path, page=self.page))


def table_rows(cells: Iterable[tuple[int, int, int, str]], max_span: int = 1000) -> list[str]:
    """Rows of a table as lines, cells joined with " | ".

    ``cells`` are ``(row, col, rowspan, text)``. A cell spanning several rows is repeated in each
    of them, so every value keeps its label on its line; empty cells are left out.
    """
    grid: dict[int, dict[int, str]] = {}
    for row, col, rowspan, text in cells:
        for r in range(row, row + max(1, min(rowspan, max_span))):
            grid.setdefault(r, {}).setdefault(col, text)
    lines = []
    for r in sorted(grid):
        texts = [clean_line(t) for _, t in sorted(grid[r].items())]
        texts = [t for t in texts if t]
        if texts:
            lines.append(" | ".join(texts))
    return lines


def choose_title(candidates: Sequence[str | None], text: str, path: Path) -> str:
    """The first usable candidate, else the text's first line (at most 80 chars), else the stem."""
    for candidate in candidates:
        if candidate:
            cleaned = clean_line(candidate)
            if cleaned:
                return cleaned
    first = text.split("\n", 1)[0].strip()
    if first:
        return first if len(first) <= TEXT_TITLE_MAX else first[: TEXT_TITLE_MAX - 1].rstrip() + "…"
    return path.stem


def base_meta(raw: bytes, fmt: str) -> dict[str, Any]:
    """The ``meta`` fields every document has: format, sha256 of the raw bytes, size."""
    return {"format": fmt, "content_hash": hashlib.sha256(raw).hexdigest(), "size": len(raw)}


def make_document(
    path: Path, title: str, text: str, sections: tuple[Section, ...], meta: dict[str, Any]
) -> Document:
    """A Document with the default id (file name) and source (absolute path)."""
    return Document(
        id=path.name,
        title=title,
        source=str(path.resolve()),
        text=text,
        sections=sections,
        meta=meta,
    )


def text_lines(text: str) -> list[str]:
    """Cleaned lines of plain text, hard-wrapped paragraphs joined (blank lines end paragraphs)."""
    blocks: list[list[str]] = [[]]
    for raw_line in text.splitlines():
        line = clean_line(raw_line)
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    all_lines = [line for block in blocks for line in block]
    width = line_width(all_lines)
    if width > HARD_WRAP_MAX_WIDTH:
        return all_lines
    return [line for block in blocks for line in unwrap_lines(block, width)]


class TextLoader:
    """Plain text in UTF-8, UTF-16 (with or without BOM), CP949/EUC-KR or another detectable
    encoding."""

    name: str = "text"

    def sniff(self, path: Path, head: bytes) -> bool:
        """Any file whose first bytes look like text."""
        return not looks_binary(head)

    def load(self, path: Path) -> Document:
        """Read, decode and clean a text file into a one-section Document."""
        raw = path.read_bytes()
        decoded, encoding = decode_text(raw, path)
        raw_lines = decoded.splitlines()
        kept = strip_page_boilerplate(raw_lines)
        text, sections = assemble([Segment(text_lines("\n".join(kept)))])
        meta = base_meta(raw, "text") | {"encoding": encoding}
        if len(kept) < len(raw_lines):
            meta["page_dump"] = True  # page chrome (menus, headline lists, tickers) was dropped
        return make_document(path, choose_title((), text, path), text, sections, meta)
