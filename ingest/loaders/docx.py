"""DOCX loader (Office Open XML): ZIP + XML read directly, through the same safety checks as
HWPX (:class:`ingest.safety.SafeZip`, ``defusedxml``).

Read: ``word/document.xml`` body in order. Paragraphs become lines; headings — paragraphs whose
style is a heading ("Heading 1".."Heading 9", "제목 1".., or any style or paragraph with an
outline level) — open sections with a heading path; tables become ``table`` sections, one row
per line with cells joined by " | " (vertically merged cells repeat their value, so each row
keeps its label; a one-cell table is a text box, read as paragraphs); footnotes and endnotes
follow the paragraph that references them. Headers, footers and comments are not read.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.cleaning import clean_line
from ingest.loaders.paragraph_reader import word_table
from ingest.loaders.text import (
    OutlineBuilder,
    assemble,
    base_meta,
    choose_title,
    make_document,
)
from ingest.safety import DEFAULT_LIMITS, Deadline, Limits, SafeZip, parse_xml
from ingest.tuning import DOCX_HEADING_MAX_CHARS
from reportqa.errors import IngestError
from reportqa.types import Document

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

ZIP_MAGIC = b"PK\x03\x04"
DOCX_SUFFIXES = frozenset({".docx", ".docm", ".dotx"})
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_NAME = re.compile(r"^(?:heading|제목)\s*([1-9])$", re.IGNORECASE)
# Tables inside tables: real documents nest a few levels (a form in a layout table); hostile
# ones thousands, past Python's recursion limit. Far below that limit, far above real use.
MAX_TABLE_NESTING = 64
_TEXT = {
    f"{W}tab": "\t",
    f"{W}br": " ",
    f"{W}cr": " ",
    f"{W}noBreakHyphen": "-",
    f"{W}softHyphen": "",
}


def _val(el: Element | None, child: str) -> str | None:
    if el is None:
        return None
    c = el.find(f"{W}{child}")
    return c.get(f"{W}val") if c is not None else None


def style_levels(styles: Element | None) -> dict[str, int]:
    """Paragraph style id → heading level (1 = top), following ``basedOn`` chains."""
    if styles is None:
        return {}
    own: dict[str, int | None] = {}
    based: dict[str, str] = {}
    for st in styles.iter(f"{W}style"):
        if st.get(f"{W}type") != "paragraph":
            continue
        sid = st.get(f"{W}styleId", "")
        name = _val(st, "name") or ""
        level: int | None = None
        m = _HEADING_NAME.match(name.strip())
        if m:
            level = int(m.group(1))
        outline = _val(st.find(f"{W}pPr"), "outlineLvl")
        if outline is not None and outline.isdigit() and int(outline) < 9:
            level = int(outline) + 1
        own[sid] = level
        parent = _val(st, "basedOn")
        if parent:
            based[sid] = parent
    levels: dict[str, int] = {}
    for sid in own:
        cur: str | None = sid
        for _ in range(20):  # basedOn chains are short; a cycle must not hang us
            if cur is None:
                break
            if own.get(cur) is not None:
                levels[sid] = own[cur]  # type: ignore[assignment]
                break
            cur = based.get(cur)
    return levels


def _run_text(r: Element, refs: list[tuple[str, str]]) -> str:
    parts: list[str] = []
    for c in r:
        if c.tag == f"{W}t":
            parts.append(c.text or "")
        elif c.tag in _TEXT:
            parts.append(_TEXT[c.tag])
        elif c.tag in (f"{W}footnoteReference", f"{W}endnoteReference"):
            kind = "footnote" if c.tag == f"{W}footnoteReference" else "endnote"
            refs.append((kind, c.get(f"{W}id", "")))
    return "".join(parts)


def paragraph_text(p: Element, refs: list[tuple[str, str]] | None = None) -> str:
    """A paragraph's visible text (runs, hyperlinks, inserted text; not deleted text)."""
    refs = [] if refs is None else refs
    parts: list[str] = []
    for el in p.iter():
        if el.tag == f"{W}r":
            parts.append(_run_text(el, refs))
    return "".join(parts)


def notes_text(root: Element | None, tag: str) -> dict[str, str]:
    """Footnote or endnote id → its text (separators and continuation notes skipped)."""
    notes: dict[str, str] = {}
    if root is None:
        return notes
    for note in root.iter(f"{W}{tag}"):
        if note.get(f"{W}type") in ("separator", "continuationSeparator", "continuationNotice"):
            continue
        text = clean_line(" ".join(paragraph_text(p) for p in note.iter(f"{W}p")))
        if text:
            notes[note.get(f"{W}id", "")] = text
    return notes


class _Reader:
    def __init__(
        self,
        path: Path,
        levels: dict[str, int],
        notes: dict[tuple[str, str], str],
        deadline: Deadline,
    ) -> None:
        self.path = path
        self.levels = levels
        self.notes = notes
        self.deadline = deadline
        self.depth = 0  # tables entered and not yet left
        self.out = OutlineBuilder()
        self.notes_used = 0

    def read_blocks(self, parent: Element) -> None:
        for el in parent:
            self.deadline.check()
            if el.tag == f"{W}p":
                self.read_paragraph(el)
            elif el.tag == f"{W}tbl":
                self.read_table(el)
            elif el.tag == f"{W}sdt":  # content controls wrap ordinary blocks
                content = el.find(f"{W}sdtContent")
                if content is not None:
                    self.read_blocks(content)

    def _level(self, p: Element) -> int | None:
        ppr = p.find(f"{W}pPr")
        outline = _val(ppr, "outlineLvl")
        if outline is not None and outline.isdigit():
            return int(outline) + 1 if int(outline) < 9 else None
        style = _val(ppr, "pStyle")
        return self.levels.get(style) if style else None

    def read_paragraph(self, p: Element) -> None:
        refs: list[tuple[str, str]] = []
        text = paragraph_text(p, refs)
        level = self._level(p)
        cleaned = clean_line(text)
        if level is not None and cleaned and len(cleaned) <= DOCX_HEADING_MAX_CHARS:
            self.out.heading(level, cleaned)
        else:
            self.out.line(text)
        for ref in refs:
            note = self.notes.get(ref)
            if note:
                self.notes_used += 1
                self.out.line(note)

    def enter(self) -> None:
        """Count one more level of table nesting; refuse past :data:`MAX_TABLE_NESTING`."""
        self.depth += 1
        if self.depth > MAX_TABLE_NESTING:
            raise IngestError(
                self.path,
                f"tables are nested more than {MAX_TABLE_NESTING} deep (a malformed or hostile "
                "file); refused. Save it again from Word with the nested tables flattened",
            )

    def cell_text(self, tc: Element) -> str:
        parts: list[str] = []
        for el in tc:
            self.deadline.check()
            if el.tag == f"{W}p":
                parts.append(paragraph_text(el))
            elif el.tag == f"{W}tbl":  # a nested table: its own cells' text, in order
                self.enter()
                for tr in el.findall(f"{W}tr"):
                    parts.extend(self.cell_text(c) for c in tr.findall(f"{W}tc"))
                self.depth -= 1
        return clean_line(" ".join(parts))

    def read_table(self, tbl: Element) -> None:
        self.enter()
        self._read_table(tbl)
        self.depth -= 1

    def _read_table(self, tbl: Element) -> None:
        rows = tbl.findall(f"{W}tr")
        cells_per_row = [r.findall(f"{W}tc") for r in rows]
        if sum(len(c) for c in cells_per_row) <= 1:  # a text box: read its blocks as body
            for cells in cells_per_row:
                for tc in cells:
                    self.read_blocks(tc)
            return
        entries: list[tuple[int, int, int, int, str]] = []
        header_flags: list[bool] = []
        above: dict[int, str] = {}  # grid column → text of the cell a vMerge continues
        for r, cells in enumerate(cells_per_row):
            col = 0
            trpr = rows[r].find(f"{W}trPr")
            header_row = trpr is not None and trpr.find(f"{W}tblHeader") is not None
            for tc in cells:
                tcpr = tc.find(f"{W}tcPr")
                span = _val(tcpr, "gridSpan")
                width = int(span) if span and span.isdigit() else 1
                merge = tcpr.find(f"{W}vMerge") if tcpr is not None else None
                if merge is not None and merge.get(f"{W}val", "continue") != "restart":
                    text = above.get(col, "")
                else:
                    text = self.cell_text(tc)
                above[col] = text
                entries.append((r, col, 1, width, text))
                header_flags.append(header_row)
                col += width
        # The same rendering as HWP, HWPX and PDF tables: header row(s) as context, one
        # self-describing line per row.
        context, lines = word_table(entries, header_flags=header_flags)
        self.out.table(lines, context)


class DocxLoader:
    """Word documents: a ZIP holding ``word/document.xml``."""

    name: str = "docx"

    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        self.limits = limits

    def sniff(self, path: Path, head: bytes) -> bool:
        """A ZIP named ``.docx``, or one whose first entries name ``word/`` parts."""
        if not head.startswith(ZIP_MAGIC):
            return False
        return path.suffix.lower() in DOCX_SUFFIXES or b"word/" in head

    def load(self, path: Path) -> Document:
        """Read the body with heading paths, tables and notes."""
        raw = path.read_bytes()
        deadline = Deadline(self.limits.time_budget_s)
        with SafeZip(path, self.limits, "DOCX file") as archive:
            if not archive.has("word/document.xml"):
                raise IngestError(
                    path,
                    "a ZIP file, but not a Word document (no word/document.xml); "
                    "supported ZIP-based formats are DOCX and HWPX",
                )

            def part(name: str) -> Element | None:
                return parse_xml(archive.read(name), path, name) if archive.has(name) else None

            document = part("word/document.xml")
            levels = style_levels(part("word/styles.xml"))
            notes = {
                ("footnote", k): v
                for k, v in notes_text(part("word/footnotes.xml"), "footnote").items()
            }
            notes |= {
                ("endnote", k): v
                for k, v in notes_text(part("word/endnotes.xml"), "endnote").items()
            }
            core = part("docProps/core.xml")
        assert document is not None
        body = document.find(f"{W}body")
        reader = _Reader(path, levels, notes, deadline)
        if body is not None:
            reader.read_blocks(body)
        text, sections = assemble(reader.out.segments)
        title = None
        if core is not None:
            el = next((e for e in core.iter() if e.tag.endswith("}title")), None)
            title = clean_line(el.text or "") if el is not None else None
        meta = base_meta(raw, "docx") | {"tables": reader.out.tables, "notes": reader.notes_used}
        return make_document(path, choose_title((title,), text, path), text, sections, meta)
