"""HWPX loader (OWPML: a ZIP of XML parts, Hangul 2010 and later; KS X 6101).

The archive is opened through :class:`ingest.safety.SafeZip` (member count, size and ratio caps)
and every XML part is parsed with ``defusedxml`` (no entities, no external references).

Read: ``Contents/section*.xml`` in order. Paragraphs (``hp:p``) become lines; paragraphs whose
paragraph shape (``hh:paraPr`` in ``Contents/header.xml``) has an outline heading
(``hh:heading type="OUTLINE" level="n"``) open sections with a heading path. Automatic numbers
(``hh:numbering``/``hh:paraHead`` patterns and ``numFormat``; the section's outline numbering
from ``hp:secPr outlineShapeIDRef``) and bullets are regenerated in front of the text. Pages
are counted from ``pageBreak``/``columnBreak``, new sections and the line segments'
``vertpos`` (``hp:linesegarray``), which restart at the top of each column and page. Tables
(``hp:tbl``) become ``table`` sections rendered like PDF tables (header row(s), from
``hp:tc header`` where set, as context; one self-describing line per row; one-cell tables are
text boxes and read as paragraphs); footnotes and endnotes follow their paragraph; text boxes
in drawing objects follow their paragraph; headers and footers are dropped. The title is
``opf:title`` when plausible, else the first page's largest text, else the first line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.cleaning import clean_line
from ingest.loaders.paragraph_reader import (
    AutoNumbers,
    HeadKind,
    Kind,
    NumberingLevel,
    ParagraphReader,
    ParaLayout,
    plausible_title,
)
from ingest.loaders.text import assemble, base_meta, choose_title, make_document
from ingest.safety import DEFAULT_LIMITS, Deadline, Limits, SafeZip, parse_xml
from reportqa.errors import IngestError
from reportqa.types import Document

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

ZIP_MAGIC = b"PK\x03\x04"
HWPX_MIMETYPE = b"application/hwp+zip"
HWPX_SUFFIXES = frozenset({".hwpx"})

_SECTION = re.compile(r"^Contents/section(\d+)\.xml$", re.IGNORECASE)
_NOTES = frozenset({"footNote", "endNote"})
_DROPPED = frozenset(
    {
        "header",
        "footer",
        "hiddenComment",
        "secPr",
        "colPr",
        "pageNum",
        "fieldBegin",
        "fieldEnd",
        "equation",
        "script",
    }
)
_TEXT_CHARS = {"tab": "\t", "lineBreak": " ", "nbSpace": " ", "fwSpace": " ", "hyphen": "-"}


def local(tag: str) -> str:
    """An element's tag without its namespace."""
    return tag.rsplit("}", 1)[-1]


def _children(el: Element, name: str) -> list[Element]:
    return [c for c in el if local(c.tag) == name]


def _find(el: Element, name: str) -> Element | None:
    for c in el.iter():
        if local(c.tag) == name:
            return c
    return None


def _int(el: Element | None, attr: str, default: int = 0) -> int:
    if el is None:
        return default
    try:
        return int(el.get(attr, default))
    except ValueError:
        return default


_HEAD_KINDS: dict[str, HeadKind] = {"OUTLINE": "outline", "NUMBER": "number", "BULLET": "bullet"}
_PLAIN_BULLET = "•"


def para_heads(header: Element | None) -> dict[str, tuple[HeadKind, str, int]]:
    """``paraPr`` id → (head kind, numbering/bullet id, level 1-7) for shapes with a heading."""
    heads: dict[str, tuple[HeadKind, str, int]] = {}
    if header is None:
        return heads
    for el in header.iter():
        if local(el.tag) != "paraPr":
            continue
        heading = next((c for c in el.iter() if local(c.tag) == "heading"), None)
        if heading is None:
            continue
        kind = _HEAD_KINDS.get(heading.get("type", "").upper())
        if kind is not None:
            heads[el.get("id", "")] = (kind, heading.get("idRef", "0"), _int(heading, "level") + 1)
    return heads


def auto_numbers(header: Element | None) -> AutoNumbers:
    """The numbering definitions (``hh:numbering`` with ``hh:paraHead`` levels: pattern text,
    ``numFormat``, ``start``) and bullets (``hh:bullet char``) of ``header.xml``."""
    numbers = AutoNumbers()
    if header is None:
        return numbers
    for el in header.iter():
        name = local(el.tag)
        if name == "numbering":
            levels: dict[int, NumberingLevel] = {}
            for head in el:
                if local(head.tag) != "paraHead":
                    continue
                level = _int(head, "level", 0)
                levels[level] = NumberingLevel(
                    pattern=head.text or "",
                    fmt=head.get("numFormat", "DIGIT").upper(),
                    start=max(1, _int(head, "start", 1)),
                )
            if levels:
                first = min(levels)  # levels are 1-based in Hancom's files; 0-based tolerated
                numbers.numberings[el.get("id", "")] = [
                    levels.get(first + i, NumberingLevel(""))
                    for i in range(max(levels) - first + 1)
                ]
        elif name == "bullet":
            char = el.get("char", "")
            if not char or not char.isprintable() or "\ue000" <= char <= "\uf8ff":
                char = _PLAIN_BULLET
            numbers.bullets[el.get("id", "")] = char
    return numbers


def char_sizes(header: Element | None) -> dict[str, float]:
    """``charPr`` id → size in points (``height`` is in 1/100 pt)."""
    sizes: dict[str, float] = {}
    if header is None:
        return sizes
    for el in header.iter():
        if local(el.tag) == "charPr":
            sizes[el.get("id", "")] = _int(el, "height", 0) / 100
    return sizes


def _body_height(sec_pr: Element) -> int:
    """The text area's height: ``hp:pagePr height`` less its margin's top, bottom, header and
    footer (0 when absent)."""
    page = next((c for c in sec_pr if local(c.tag) == "pagePr"), None)
    if page is None:
        return 0
    margin = next((c for c in page if local(c.tag) == "margin"), None)
    used = sum(_int(margin, side, 0) for side in ("top", "bottom", "header", "footer"))
    return max(0, _int(page, "height", 0) - used)


def outline_levels(header: Element | None) -> dict[str, int]:
    """``paraPr`` id → outline level (1 = top) for shapes with an OUTLINE heading."""
    levels: dict[str, int] = {}
    if header is None:
        return levels
    for el in header.iter():
        if local(el.tag) != "paraPr":
            continue
        heading = next((c for c in el if local(c.tag) == "heading"), None)
        if heading is not None and heading.get("type", "").upper() == "OUTLINE":
            levels[el.get("id", "")] = _int(heading, "level") + 1
    return levels


def _t_text(t: Element) -> str:
    parts = [t.text or ""]
    for c in t:
        parts.append(_TEXT_CHARS.get(local(c.tag), ""))
        parts.append(c.tail or "")
    return "".join(parts)


class _Reader(ParagraphReader["Element", "Element"]):
    """Walks the section XML into segments."""

    def __init__(self, header: Element | None, deadline: Deadline) -> None:
        super().__init__(outline_levels(header), deadline, auto_numbers(header))
        self.heads = para_heads(header)
        self.sizes = char_sizes(header)
        self.outline_numbering = "1"  # the section's outline numbering (secPr outlineShapeIDRef)
        self.body_height = 0  # the page's text area height (secPr's pagePr), HWPUNIT

    def layout(self, p: Element) -> ParaLayout:
        columns = None
        blocks = 0
        for run in p:
            if local(run.tag) != "run":
                continue
            for item in run:
                name = local(item.tag)
                if name == "secPr":
                    self.outline_numbering = item.get("outlineShapeIDRef", self.outline_numbering)
                    self.body_height = _body_height(item) or self.body_height
                elif name == "tbl":
                    size = next((c for c in item if local(c.tag) == "sz"), None)
                    blocks += _int(size, "height", 0)
                elif name == "ctrl":
                    for c in item:
                        if local(c.tag) == "colPr":
                            columns = max(1, _int(c, "colCount", 1))
        vpos = tuple(
            _int(seg, "vertpos", 0)
            for arr in p
            if local(arr.tag) == "linesegarray"
            for seg in arr
            if local(seg.tag) == "lineseg"
        )
        return ParaLayout(
            page_break=p.get("pageBreak", "0") in ("1", "true"),
            column_break=p.get("columnBreak", "0") in ("1", "true"),
            columns=columns,
            vpos=vpos,
            block_height=blocks,
            body_height=self.body_height,
        )

    def head(self, p: Element) -> tuple[HeadKind, str, int] | None:
        found = self.heads.get(p.get("paraPrIDRef", ""))
        if found is None:
            return None
        kind, ref, level = found
        return kind, self.outline_numbering if kind == "outline" else ref, level

    def font_size(self, p: Element) -> float:
        return max(
            (
                self.sizes.get(run.get("charPrIDRef", ""), 0.0)
                for run in p
                if local(run.tag) == "run"
            ),
            default=0.0,
        )

    def pieces(self, p: Element) -> list[str | Element]:
        """A paragraph's text runs and its objects (tables, notes, drawings) in order."""
        out: list[str | Element] = []
        for run in p:
            if local(run.tag) != "run":
                continue
            for item in run:
                name = local(item.tag)
                if name == "t":
                    out.append(_t_text(item))
                elif name == "ctrl":
                    out.extend(c for c in item if local(c.tag) in _NOTES)
                elif name not in _DROPPED:
                    out.append(item)  # tbl, pic, rect, container, drawing objects...
        return out

    def kind(self, obj: Element) -> Kind:
        name = local(obj.tag)
        return "table" if name == "tbl" else "note" if name in _NOTES else "object"

    def level(self, p: Element) -> int | None:
        return self.outline.get(p.get("paraPrIDRef", ""))

    def inner_paragraphs(self, obj: Element) -> list[Element]:
        return _object_paragraphs(obj)

    def read_table(self, tbl: Element) -> None:
        self._table(tbl)

    def _table(self, tbl: Element) -> None:
        cells = [tc for tr in _children(tbl, "tr") for tc in _children(tr, "tc")]
        caption = next((c for c in tbl if local(c.tag) == "caption"), None)
        caption_paras = _paragraphs_in(caption) if caption is not None else []
        if len(cells) <= 1:
            self.read_paragraphs(caption_paras + [p for tc in cells for p in _paragraphs_in(tc)])
            return
        entries = []
        header_flags = []
        for index, tc in enumerate(cells):
            addr = next((c for c in tc if local(c.tag) == "cellAddr"), None)
            span = next((c for c in tc if local(c.tag) == "cellSpan"), None)
            row = _int(addr, "rowAddr", index)
            col = _int(addr, "colAddr", 0)
            entries.append(
                (
                    row,
                    col,
                    _int(span, "rowSpan", 1),
                    _int(span, "colSpan", 1),
                    self.flat_text(_paragraphs_in(tc)),
                )
            )
            header_flags.append(tc.get("header", "0") in ("1", "true"))
        self.table_out(entries, self.flat_text(caption_paras), header_flags)


def _object_paragraphs(obj: Element) -> list[Element]:
    """All paragraphs of an object in reading order: a table's caption and cells, or a note's
    or text box's sub-list."""
    if local(obj.tag) != "tbl":
        return _paragraphs_in(obj)
    caption = next((c for c in obj if local(c.tag) == "caption"), None)
    paras = _paragraphs_in(caption) if caption is not None else []
    for tr in _children(obj, "tr"):
        for tc in _children(tr, "tc"):
            paras.extend(_paragraphs_in(tc))
    return paras


def _paragraphs_in(el: Element) -> list[Element]:
    """The paragraphs directly inside an object's sub-lists (not those of nested objects)."""
    found: list[Element] = []
    for c in el:
        name = local(c.tag)
        if name == "p":
            found.append(c)
        elif name not in ("tbl", "tr"):
            found.extend(_paragraphs_in(c))
    return found


class HwpxLoader:
    """HWPX documents: a ZIP whose ``mimetype`` member says ``application/hwp+zip``."""

    name: str = "hwpx"

    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        self.limits = limits

    def sniff(self, path: Path, head: bytes) -> bool:
        """A ZIP with the HWPX mimetype up front, or any ZIP named ``.hwpx``."""
        if not head.startswith(ZIP_MAGIC):
            return False
        return HWPX_MIMETYPE in head[:256] or path.suffix.lower() in HWPX_SUFFIXES

    def load(self, path: Path) -> Document:
        """Read sections in order with heading paths, tables and notes."""
        raw = path.read_bytes()
        deadline = Deadline(self.limits.time_budget_s)
        with SafeZip(path, self.limits, "HWPX file") as archive:
            if archive.has("mimetype") and archive.read("mimetype").strip() != HWPX_MIMETYPE:
                raise IngestError(
                    path, "a ZIP file, but not an HWPX document (its mimetype says otherwise)"
                )
            if archive.has("META-INF/manifest.xml") and (
                b"encryption-data" in archive.read("META-INF/manifest.xml")
            ):
                raise IngestError(
                    path,
                    "the HWPX document is password-protected (its sections are encrypted); "
                    "remove the password in Hangul and ingest again",
                )
            sections = sorted(
                (int(m.group(1)), name) for name in archive.names if (m := _SECTION.match(name))
            )
            if not sections:
                raise IngestError(
                    path,
                    "a ZIP file, but not a readable HWPX document (no Contents/section*.xml); "
                    "save it again from Hangul, or export it as PDF",
                )
            header_name = next(
                (n for n in archive.names if n.lower() == "contents/header.xml"), None
            )
            header = (
                parse_xml(archive.read(header_name), path, header_name) if header_name else None
            )
            reader = _Reader(header, deadline)
            for number, (_, name) in enumerate(sections):
                deadline.check()
                root = parse_xml(archive.read(name), path, name)
                # A section (구역) starts on a new page.
                reader.read_body([p for p in root if local(p.tag) == "p"], new_section=number > 0)
            title = _metadata_title(archive, path)
        text, doc_sections = assemble(reader.out.segments)
        meta = base_meta(raw, "hwpx") | {
            "tables": reader.out.tables,
            "notes": reader.notes,
            "pages": reader.pages.page,
        }
        title = choose_title(
            (title if title and plausible_title(title) else None, reader.title()), text, path
        )
        return make_document(path, title, text, doc_sections, meta)


def _metadata_title(archive: SafeZip, path: Path) -> str | None:
    """``opf:title`` from ``Contents/content.hpf``, if present and not empty."""
    name = next((n for n in archive.names if n.lower() == "contents/content.hpf"), None)
    if name is None:
        return None
    root = parse_xml(archive.read(name), path, name)
    title = _find(root, "title")
    return clean_line(title.text or "") or None if title is not None else None
