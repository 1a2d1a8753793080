"""HWP 5.x loader: a compact reader of Hancom's binary format on ``olefile`` and ``zlib``.

Written from Hancom's published "HWP 5.0 file format" description. An HWP 5.x file is an OLE
compound file: ``FileHeader`` holds the signature, version and flags (compressed, password,
distribution, DRM); ``DocInfo`` the shared definitions (paragraph shapes tell which paragraphs
are outline headings); ``BodyText/Section0..N`` the body as a stream of records (a 32-bit
header: tag, nesting level, size) — raw-deflated when the file is compressed.

What comes out, in reading order:
- paragraphs (``HWPTAG_PARA_TEXT``: UTF-16LE with control characters, which are skipped: char
  controls take one code unit, inline and extended controls eight);
- outline paragraphs ("개요 1..7") open sections with a heading path; Hancom's automatic
  numbers (``HWPTAG_NUMBERING`` patterns such as "^1." with their number formats, the
  section's outline numbering from its ``secd`` control) and bullets are regenerated in front
  of the text, so paths read "Ⅲ. 추진 전략 > 1. 거점 조성";
- a page on every section: HWP stores no page numbers, so pages are counted from the paragraph
  headers' page/column break flags, new sections, and the line segments
  (``HWPTAG_PARA_LINE_SEG``), whose vertical positions restart at the top of each column and
  page (column counts from ``cold`` controls). A table longer than a page counts as one line;
- tables (``tbl `` controls) become ``table`` sections rendered like PDF tables
  (:func:`ingest.layout.tables.render_table`): caption and header row as the section's
  context, one self-describing line per row, merged cells carried over; a one-cell table is
  a text box, read as ordinary paragraphs;
- footnotes and endnotes follow the paragraph that references them; text boxes and drawing
  objects with text follow their paragraph too. Headers, footers and hidden comments are dropped.

The title is the summary information's when it is plausible (not empty, a page number or
"제목 없음"), else the largest text of the first page, else the first line.

Password-protected, distribution ("배포용") and DRM documents are refused with a clear message:
their body is encrypted and the plain streams hold only a placeholder.
"""

from __future__ import annotations

import logging
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ingest.cleaning import clean_line
from ingest.loaders.paragraph_reader import (
    NUMBER_FORMATS,
    AutoNumbers,
    HeadKind,
    Kind,
    NumberingLevel,
    ParagraphReader,
    ParaLayout,
    plausible_title,
)
from ingest.loaders.text import assemble, base_meta, choose_title, make_document
from ingest.safety import DEFAULT_LIMITS, Budget, Deadline, Limits, inflate
from reportqa.errors import IngestError
from reportqa.types import Document

logger = logging.getLogger(__name__)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HWP5_SIGNATURE = b"HWP Document File"
HWP3_MAGIC = b"HWP Document File V3"
HWP_SUFFIXES = frozenset({".hwp"})

# FileHeader property bits.
FLAG_COMPRESSED = 1 << 0
FLAG_PASSWORD = 1 << 1
FLAG_DISTRIBUTION = 1 << 2
FLAG_DRM = 1 << 4
FLAG_CERT_ENCRYPTED = 1 << 8
FLAG_CERT_DRM = 1 << 10

# Record tags (HWPTAG_BEGIN = 16).
TAG_CHAR_SHAPE = 16 + 5
TAG_NUMBERING = 16 + 7
TAG_BULLET = 16 + 8
TAG_PARA_SHAPE = 16 + 9
TAG_PARA_HEADER = 16 + 50
TAG_PARA_TEXT = 16 + 51
TAG_PARA_CHAR_SHAPE = 16 + 52
TAG_PARA_LINE_SEG = 16 + 53
TAG_CTRL_HEADER = 16 + 55
TAG_PAGE_DEF = 16 + 57
TAG_LIST_HEADER = 16 + 56
TAG_TABLE = 16 + 61

# Control characters in PARA_TEXT: one code unit ("char") or eight (inline / extended).
_CHAR_CONTROLS = frozenset({0, 10, 13, 24, 25, 26, 27, 28, 29, 30, 31})
_INLINE_CONTROLS = frozenset({4, 5, 6, 7, 8, 9, 19, 20})
_CHAR_MAP = {10: " ", 24: "-", 30: " ", 31: " "}

# PARA_HEADER break flags ("단 나누기 종류"), byte 11.
BREAK_SECTION = 0x01
BREAK_PAGE = 0x04
BREAK_COLUMN = 0x08
_LINE_SEG_SIZE = 36
_HEAD_KINDS: dict[int, HeadKind] = {1: "outline", 2: "number", 3: "bullet"}
# Bullet characters from symbol fonts (private use area) are written as a plain bullet.
_PLAIN_BULLET = "•"

_NOTES = frozenset({"fn  ", "en  "})
_DROPPED = frozenset({"head", "foot", "tcmt"})
_SECTION = re.compile(r"^BodyText/Section(\d+)$")

ENCRYPTED = (
    "the HWP document is password-protected (its body is encrypted); open it in Hangul, remove "
    "the password (or save a copy as HWPX/PDF) and ingest again"
)
DISTRIBUTION = (
    "the HWP document is a distribution document (배포용 문서: its body is encrypted and "
    "read-only); ask for the original, or save a copy as PDF, and ingest that"
)
DRM = "the HWP document is DRM-protected; export an unprotected copy (HWPX or PDF) and ingest that"
HWP3 = (
    "HWP 3.x (Hangul 97 and older) files are not supported; open it in Hangul and save it as "
    "HWP 5 (.hwp), HWPX or PDF"
)


@dataclass
class Record:
    tag: int
    level: int
    payload: bytes
    children: list[Record] = field(default_factory=list)


def parse_records(data: bytes, deadline: Deadline | None = None) -> list[Record]:
    """The record stream as a tree: a record's children are the following deeper records."""
    roots: list[Record] = []
    stack: list[Record] = []
    pos, end = 0, len(data)
    count = 0
    while pos + 4 <= end:
        (header,) = struct.unpack_from("<I", data, pos)
        pos += 4
        tag, level, size = header & 0x3FF, (header >> 10) & 0x3FF, header >> 20
        if size == 0xFFF:
            if pos + 4 > end:
                break
            (size,) = struct.unpack_from("<I", data, pos)
            pos += 4
        record = Record(tag, level, data[pos : pos + size])
        pos += size
        while stack and stack[-1].level >= level:
            stack.pop()
        (stack[-1].children if stack else roots).append(record)
        stack.append(record)
        count += 1
        if deadline is not None and count % 4096 == 0:
            deadline.check()
    return roots


def ctrl_id(record: Record) -> str:
    """A CTRL_HEADER's four-character id ("tbl ", "fn  "...), stored as a little-endian int."""
    return record.payload[:4][::-1].decode("latin-1")


def _u16(payload: bytes, offset: int) -> int:
    return struct.unpack_from("<H", payload, offset)[0] if len(payload) >= offset + 2 else 0


def para_pieces(para: Record) -> Iterator[str | Record]:
    """A paragraph's text runs and, where extended controls sit, their CTRL_HEADER records."""
    controls = iter([c for c in para.children if c.tag == TAG_CTRL_HEADER])
    for text_rec in (c for c in para.children if c.tag == TAG_PARA_TEXT):
        payload = text_rec.payload
        n = len(payload) // 2
        units = struct.unpack_from(f"<{n}H", payload)
        i, run_start = 0, 0
        buf: list[str] = []
        while i < n:
            code = units[i]
            if code >= 32:
                i += 1
                continue
            if run_start < i:
                buf.append(payload[2 * run_start : 2 * i].decode("utf-16le", errors="replace"))
            if code in _CHAR_CONTROLS:
                buf.append(_CHAR_MAP.get(code, ""))
                i += 1
            elif code in _INLINE_CONTROLS:
                buf.append("\t" if code == 9 else "")
                i += 8
            else:  # extended control: its object is the next CTRL_HEADER child
                if buf:
                    yield "".join(buf)
                    buf = []
                ctrl = next(controls, None)
                if ctrl is not None:
                    yield ctrl
                i += 8
            run_start = i
        if run_start < n:
            buf.append(payload[2 * run_start : 2 * n].decode("utf-16le", errors="replace"))
        if buf:
            yield "".join(buf)


@dataclass(frozen=True)
class DocInfo:
    """The shared definitions the body refers to by id."""

    outline: dict[int, int]  # paragraph shape id → outline level
    heads: dict[int, tuple[HeadKind, int, int]]  # shape id → (head kind, numbering id, level)
    numbers: AutoNumbers
    char_sizes: list[float]  # char shape id → base size in points


class _Reader(ParagraphReader[Record, Record]):
    """Walks the record trees of all sections into segments."""

    def __init__(self, info: DocInfo, deadline: Deadline) -> None:
        super().__init__(info.outline, deadline, info.numbers)
        self.info = info
        self.outline_numbering = "1"  # the section's outline numbering id (from "secd")
        self.body_height = 0  # the page's text area height (from "secd"'s PAGE_DEF), HWPUNIT

    def layout(self, para: Record) -> ParaLayout:
        flags = para.payload[11] if len(para.payload) > 11 else 0
        columns = None
        blocks = 0
        for child in para.children:
            if child.tag != TAG_CTRL_HEADER:
                continue
            cid = ctrl_id(child)
            if cid == "secd" and len(child.payload) >= 20:
                self.outline_numbering = str(_u16(child.payload, 18) or 1)
                self.body_height = _body_height(child) or self.body_height
            elif cid == "tbl " and len(child.payload) >= 24:
                blocks += struct.unpack_from("<I", child.payload, 20)[0]  # object height
            elif cid == "cold" and len(child.payload) >= 6:
                columns = (_u16(child.payload, 4) >> 2) & 0xFF or 1
        vpos: list[int] = []
        for child in para.children:
            if child.tag == TAG_PARA_LINE_SEG:
                for off in range(0, len(child.payload) - _LINE_SEG_SIZE + 1, _LINE_SEG_SIZE):
                    vpos.append(struct.unpack_from("<i", child.payload, off + 4)[0])
        return ParaLayout(
            page_break=bool(flags & BREAK_PAGE),
            column_break=bool(flags & BREAK_COLUMN),
            columns=columns,
            vpos=tuple(vpos),
            block_height=blocks,
            body_height=self.body_height,
        )

    def head(self, para: Record) -> tuple[HeadKind, str, int] | None:
        found = self.info.heads.get(_u16(para.payload, 8))
        if found is None:
            return None
        kind, ref, level = found
        return kind, self.outline_numbering if kind == "outline" else str(ref), level

    def font_size(self, para: Record) -> float:
        sizes = self.info.char_sizes
        best = 0.0
        for child in para.children:
            if child.tag == TAG_PARA_CHAR_SHAPE:
                for off in range(0, len(child.payload) - 7, 8):
                    (shape,) = struct.unpack_from("<I", child.payload, off + 4)
                    if shape < len(sizes):
                        best = max(best, sizes[shape])
        return best

    def pieces(self, para: Record) -> list[str | Record]:
        return [p for p in para_pieces(para) if isinstance(p, str) or ctrl_id(p) not in _DROPPED]

    def kind(self, obj: Record) -> Kind:
        cid = ctrl_id(obj)
        if cid == "tbl ":
            return "table"
        if cid in _NOTES:
            return "note"
        return "object" if cid == "gso " else "other"

    def level(self, para: Record) -> int | None:
        return self.outline.get(_u16(para.payload, 8))

    def inner_paragraphs(self, obj: Record) -> list[Record]:
        return _paragraphs_under(obj)

    def read_table(self, ctrl: Record) -> None:
        self._table(ctrl)

    def _table(self, ctrl: Record) -> None:
        caption: list[Record] = []
        cells: list[tuple[bytes, list[Record]]] = []
        rows = cols = 0
        current: list[Record] | None = None
        for child in ctrl.children:
            if child.tag == TAG_TABLE:
                rows, cols = _u16(child.payload, 4), _u16(child.payload, 6)
                current = None
            elif child.tag == TAG_LIST_HEADER:
                if rows == 0 and not cells:  # a list before the TABLE record: the caption
                    current = caption
                else:
                    current = []
                    cells.append((child.payload, current))
            elif child.tag == TAG_PARA_HEADER and current is not None:
                current.append(child)
        if len(cells) <= 1 and rows <= 1 and cols <= 1:
            # A one-cell table is a text box around ordinary paragraphs (common in reports).
            self.read_paragraphs(caption + [p for _, paras in cells for p in paras])
            return
        # Cell list header: col, row, colspan, rowspan at bytes 8, 10, 12, 14.
        self.table_out(
            [
                (_u16(h, 10), _u16(h, 8), _u16(h, 14), _u16(h, 12), self.flat_text(paras))
                for h, paras in cells
            ],
            self.flat_text(caption),
        )


def _body_height(secd: Record) -> int:
    """The text area's height from a section definition's PAGE_DEF (paper height less the top,
    bottom, header and footer margins), 0 when absent."""
    for child in secd.children:
        if child.tag == TAG_PAGE_DEF and len(child.payload) >= 32:
            _, height, _, _, top, bottom, head, foot = struct.unpack_from("<8I", child.payload)
            return max(0, height - top - bottom - head - foot)
    return 0


def _paragraphs_under(ctrl: Record) -> list[Record]:
    """Every paragraph inside a control (notes, text boxes), at any depth, in order."""
    found: list[Record] = []
    for child in ctrl.children:
        if child.tag == TAG_PARA_HEADER:
            found.append(child)
        elif child.tag != TAG_CTRL_HEADER:
            found.extend(_paragraphs_under(child))
    return found


def _walk(records: list[Record]) -> Iterator[Record]:
    for rec in records:
        yield rec
        yield from _walk(rec.children)


def outline_shapes(docinfo: list[Record]) -> dict[int, int]:
    """Paragraph shape id → outline level (1–7) for shapes whose head type is "outline"."""
    return {
        shape: level for shape, (kind, _, level) in para_heads(docinfo).items() if kind == "outline"
    }


def para_heads(docinfo: list[Record]) -> dict[int, tuple[HeadKind, int, int]]:
    """Paragraph shape id → (head kind, numbering/bullet id, level 1–7) for shapes with a head
    (property bits 23-24: outline, number or bullet; bits 25-27: level; id at byte 30)."""
    heads: dict[int, tuple[HeadKind, int, int]] = {}
    shape_id = 0
    for rec in _walk(docinfo):
        if rec.tag != TAG_PARA_SHAPE:
            continue
        if len(rec.payload) >= 4:
            (props,) = struct.unpack_from("<I", rec.payload, 0)
            kind = _HEAD_KINDS.get((props >> 23) & 0x3)
            if kind is not None:
                heads[shape_id] = (kind, _u16(rec.payload, 30), ((props >> 25) & 0x7) + 1)
        shape_id += 1
    return heads


def numberings(docinfo: list[Record]) -> dict[str, list[NumberingLevel]]:
    """Numbering id (1-based, as paragraph shapes and "secd" refer to it) → its seven levels:
    each a paragraph head (12 bytes: property with the number format in bits 5-8, ...) and a
    length-prefixed UTF-16 pattern; then the start number, and per-level starts from 5.0.2.5."""
    found: dict[str, list[NumberingLevel]] = {}
    index = 0
    for rec in _walk(docinfo):
        if rec.tag != TAG_NUMBERING:
            continue
        index += 1
        payload, off = rec.payload, 0
        heads: list[tuple[str, str]] = []
        try:
            for _ in range(7):
                (prop,) = struct.unpack_from("<I", payload, off)
                (n,) = struct.unpack_from("<H", payload, off + 12)
                pattern = payload[off + 14 : off + 14 + 2 * n].decode("utf-16le", errors="ignore")
                off += 14 + 2 * n
                code = (prop >> 5) & 0xF
                heads.append((pattern, NUMBER_FORMATS[code] if code < len(NUMBER_FORMATS) else ""))
        except struct.error:
            continue
        starts = [1] * 7
        if off + 2 <= len(payload):
            starts[0] = max(1, _u16(payload, off))
        if off + 2 + 28 <= len(payload):
            starts = [max(1, v) for v in struct.unpack_from("<7I", payload, off + 2)]
        found[str(index)] = [
            NumberingLevel(pattern, fmt or "DIGIT", start)
            for (pattern, fmt), start in zip(heads, starts, strict=True)
        ]
    return found


def bullets(docinfo: list[Record]) -> dict[str, str]:
    """Bullet id (1-based) → its character (a paragraph head, then one UTF-16 code unit)."""
    found: dict[str, str] = {}
    index = 0
    for rec in _walk(docinfo):
        if rec.tag != TAG_BULLET:
            continue
        index += 1
        char = (
            rec.payload[12:14].decode("utf-16le", errors="ignore") if len(rec.payload) >= 14 else ""
        )
        if not char or not char.isprintable() or "\ue000" <= char <= "\uf8ff":
            char = _PLAIN_BULLET
        found[str(index)] = char
    return found


def char_sizes(docinfo: list[Record]) -> list[float]:
    """Char shape id → base size in points (INT32 in 1/100 pt at byte 42)."""
    sizes: list[float] = []
    for rec in _walk(docinfo):
        if rec.tag == TAG_CHAR_SHAPE:
            size = struct.unpack_from("<i", rec.payload, 42)[0] if len(rec.payload) >= 46 else 0
            sizes.append(max(0, size) / 100)
    return sizes


def read_docinfo(docinfo: list[Record]) -> DocInfo:
    """The definitions the body refers to: paragraph heads, numberings, bullets, char sizes."""
    heads = para_heads(docinfo)
    return DocInfo(
        outline={shape: level for shape, (kind, _, level) in heads.items() if kind == "outline"},
        heads=heads,
        numbers=AutoNumbers(numberings(docinfo), bullets(docinfo)),
        char_sizes=char_sizes(docinfo),
    )


def _refuse_flags(path: Path, flags: int) -> None:
    if flags & FLAG_DISTRIBUTION:
        raise IngestError(path, DISTRIBUTION)
    if flags & (FLAG_PASSWORD | FLAG_CERT_ENCRYPTED):
        raise IngestError(path, ENCRYPTED)
    if flags & (FLAG_DRM | FLAG_CERT_DRM):
        raise IngestError(path, DRM)


def _corrupt(path: Path, detail: str) -> IngestError:
    return IngestError(
        path, f"cannot read the HWP file ({detail}); it looks truncated or corrupt — save it again"
    )


class HwpLoader:
    """HWP 5.x documents, recognised by the OLE magic (``D0 CF 11 E0``) whatever their name."""

    name: str = "hwp"

    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        self.limits = limits

    def sniff(self, path: Path, head: bytes) -> bool:
        """Any OLE compound file (``load`` tells HWP from legacy Office files) and HWP 3.x files
        (to refuse them with advice)."""
        return head.startswith(OLE_MAGIC) or head.startswith(HWP3_MAGIC)

    def load(self, path: Path) -> Document:
        """Read the body text, tables and notes; refuse encrypted and distribution documents."""
        import olefile

        raw = path.read_bytes()
        if raw.startswith(HWP3_MAGIC):
            raise IngestError(path, HWP3)
        deadline = Deadline(self.limits.time_budget_s)
        budget = Budget(path, self.limits)
        try:
            ole = olefile.OleFileIO(raw)
        except Exception as exc:  # olefile raises OSError and others on broken containers
            raise _corrupt(path, f"not a valid OLE compound file: {exc}") from exc
        with ole:
            if ole.exists("EncryptedPackage"):
                raise IngestError(
                    path,
                    "a password-protected Office document (DOCX/XLSX/PPTX encrypted inside an OLE "
                    "container); remove the password and ingest again",
                )
            if not ole.exists("FileHeader"):
                raise IngestError(
                    path,
                    "an OLE compound file, but not an HWP document (no FileHeader stream; a "
                    "legacy .doc/.xls/.ppt?) — export it as PDF or DOCX and ingest that",
                )
            try:
                header = ole.openstream("FileHeader").read(256)
                sections = sorted(
                    (int(m.group(1)), name)
                    for name in ("/".join(parts) for parts in ole.listdir())
                    if (m := _SECTION.match(name))
                )
                streams = {name: ole.openstream(name).read() for _, name in sections}
                docinfo_raw = ole.openstream("DocInfo").read() if ole.exists("DocInfo") else b""
            except Exception as exc:
                raise _corrupt(path, f"{type(exc).__name__}: {exc}") from exc
        if not header.startswith(HWP5_SIGNATURE) or len(header) < 40:
            raise _corrupt(path, "no HWP signature in FileHeader")
        version, flags = struct.unpack_from("<II", header, 32)
        _refuse_flags(path, flags)
        compressed = bool(flags & FLAG_COMPRESSED)
        if not sections:
            raise _corrupt(path, "no BodyText sections")

        def unpack(data: bytes, what: str) -> bytes:
            if not compressed:
                budget.spend(len(data), what)
                return data
            return inflate(data, budget, what)

        docinfo = parse_records(unpack(docinfo_raw, "DocInfo"), deadline) if docinfo_raw else []
        reader = _Reader(read_docinfo(docinfo), deadline)
        for number, (_, name) in enumerate(sections):
            deadline.check()
            reader.read_body(
                [
                    r
                    for r in parse_records(unpack(streams[name], name), deadline)
                    if r.tag == TAG_PARA_HEADER
                ],
                new_section=number > 0,  # a section (구역) starts on a new page
            )
        text, doc_sections = assemble(reader.out.segments)
        major, minor, build, rev = (
            (version >> 24) & 0xFF,
            (version >> 16) & 0xFF,
            (version >> 8) & 0xFF,
            version & 0xFF,
        )
        meta = base_meta(raw, "hwp") | {
            "hwp_version": f"{major}.{minor}.{build}.{rev}",
            "tables": reader.out.tables,
            "notes": reader.notes,
            "pages": reader.pages.page,
        }
        summary = _summary_title(raw)
        title = choose_title(
            (summary if summary and plausible_title(summary) else None, reader.title()), text, path
        )
        return make_document(path, title, text, doc_sections, meta)


def _summary_title(raw: bytes) -> str | None:
    """The title from the ``\\x05HwpSummaryInformation`` property set, if readable."""
    import olefile

    try:
        with olefile.OleFileIO(raw) as ole:
            if not ole.exists("\x05HwpSummaryInformation"):
                return None
            props = ole.getproperties("\x05HwpSummaryInformation", convert_time=False)
    except Exception:
        return None
    title = props.get(2)  # PIDSI_TITLE
    if isinstance(title, bytes):
        title = title.decode("utf-16le", errors="ignore")
    if not isinstance(title, str):
        return None
    # HWP writes the string's length in bytes where readers expect characters: cut at the NUL.
    title = clean_line(title.split("\x00", 1)[0])
    return title or None
