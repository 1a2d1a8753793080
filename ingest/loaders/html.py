"""HTML loader on the standard library's ``html.parser``.

Dropped: script, style, noscript, nav, aside, form, template, svg, iframe and other non-content
elements; elements that are ``hidden`` or ``aria-hidden``; page-level chrome (a ``header`` or
``footer`` outside article/main/section, or anything with role navigation/banner/contentinfo/
search); lists of 3+ items that are (almost) all links — related headlines, "most read", link
farms — wherever they sit. Block elements become lines, ``h1``–``h6`` open sections with heading paths, and data
tables become ``table`` sections with one row per line (cells joined with " | ").
"""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser
from pathlib import Path

from ingest.cleaning import clean_line
from ingest.loaders.text import (
    HeadingPath,
    Segment,
    assemble,
    base_meta,
    bom_encoding,
    choose_title,
    decode_text,
    head_text,
    looks_binary,
    make_document,
    utf16_encoding,
)
from reportqa.types import Document

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})

_HTML_START = re.compile(
    r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html[\s>])",
    re.IGNORECASE | re.DOTALL,
)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.-]+)", re.IGNORECASE)
_KOREAN_CHARSETS = frozenset(
    {
        "euc-kr",
        "euc_kr",
        "euckr",
        "ks_c_5601-1987",
        "ksc5601",
        "windows-949",
        "x-windows-949",
        "cp949",
        "uhc",
    }
)

_SKIP = frozenset(
    {
        "script",
        "style",
        "noscript",
        "nav",
        "aside",
        "form",
        "template",
        "svg",
        "iframe",
        "object",
        "embed",
        "canvas",
        "button",
        "select",
        "dialog",
        "map",
    }
)
_CHROME = frozenset({"header", "footer"})
_CHROME_SCOPES = frozenset({"article", "main", "section"})
_SKIP_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "menu", "menubar"})
_VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
_BLOCK = frozenset(
    {
        "address",
        "article",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "hr",
        "li",
        "main",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "ul",
        "br",
        "legend",
        "header",
        "footer",
        "html",
        "head",
    }
)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_CELLS = frozenset({"td", "th"})


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.segments: list[Segment] = [Segment()]
        self.headings = HeadingPath()
        self.title: str | None = None
        self.first_h1: str | None = None
        self._stack: list[tuple[str, bool]] = []  # (tag, skipping) of open elements
        self._buf: list[str] = []
        self._title_buf: list[str] | None = None
        self._heading: tuple[int, list[str]] | None = None
        self._pre = 0
        self._table = 0
        self._cells: list[str] = []
        # Open <ul>/<ol> lists: (segment, line count at the start, items as [text, link text]).
        self._lists: list[tuple[Segment, int, list[list[int]]]] = []
        self._links = 0
        self.link_lists_dropped = 0

    # -- state -------------------------------------------------------------------------------
    @property
    def _skipping(self) -> bool:
        return bool(self._stack) and self._stack[-1][1]

    def _in_scope(self) -> bool:
        return any(tag in _CHROME_SCOPES for tag, _ in self._stack)

    def _should_skip(self, tag: str, attrs: dict[str, str | None]) -> bool:
        if tag in _SKIP or (tag in _CHROME and not self._in_scope()):
            return True
        if "hidden" in attrs or (attrs.get("aria-hidden") or "").lower() == "true":
            return True
        role = (attrs.get("role") or "").lower()
        return role in _SKIP_ROLES

    # -- output ------------------------------------------------------------------------------
    def _flush(self) -> None:
        if not self._buf:
            return
        text = "".join(self._buf)
        self._buf = []
        if self._table:
            cell = clean_line(text)
            if cell:
                self._cells.append(cell)
        else:
            self.segments[-1].lines.append(text)

    def _block_break(self) -> None:
        if self._heading is not None:
            self._heading[1].append(" ")
        else:
            self._flush()

    def _flush_row(self) -> None:
        self._flush()
        if self._cells:
            self.segments[-1].lines.append(" | ".join(self._cells))
            self._cells = []

    def _finish_heading(self) -> None:
        if self._heading is None:
            return
        level, parts = self._heading
        self._heading = None
        text = clean_line("".join(parts))
        if not text:
            return
        if level == 1 and self.first_h1 is None:
            self.first_h1 = text
        self.segments.append(Segment([text], self.headings.push(level, text)))

    # -- parser callbacks --------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        parent_skipping = self._skipping
        skipping = parent_skipping or self._should_skip(tag, dict(attrs))
        if tag not in _VOID:
            self._stack.append((tag, skipping))
        if skipping:
            return
        if tag == "a":
            self._links += 1
        elif tag in ("ul", "ol") and not self._table:
            self._flush()
            self._lists.append((self.segments[-1], len(self.segments[-1].lines), []))
        elif tag == "li" and self._lists:
            self._lists[-1][2].append([0, 0])
        if tag == "title":
            self._title_buf = []
        elif tag in _HEADINGS and not self._table:
            self._finish_heading()
            self._flush()
            self._heading = (_HEADINGS[tag], [])
        elif tag == "table":
            self._table += 1
            if self._table == 1:
                self._flush()
                self.segments.append(Segment(heading_path=self.headings.path, table=True))
            else:
                self._buf.append(" ")
        elif self._table:
            self._table_boundary(tag)
        elif tag in _BLOCK:
            self._block_break()
        if tag == "pre":
            self._pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or all(t != tag for t, _ in self._stack):
            return
        # Close everything opened after ``tag`` too (unclosed <p>, <li>, <td>...), innermost first.
        while self._stack:
            popped, skipping = self._stack.pop()
            if not skipping:
                self._close(popped)
            if popped == tag:
                break

    def _close(self, tag: str) -> None:
        if tag == "a" and self._links:
            self._links -= 1
        elif tag in ("ul", "ol") and self._lists and not self._table:
            self._flush()
            self._close_list()
        if tag == "title" and self._title_buf is not None:
            self.title = clean_line("".join(self._title_buf)) or None
            self._title_buf = None
        elif tag in _HEADINGS and self._heading is not None:
            self._finish_heading()
        elif tag == "table" and self._table:
            self._table -= 1
            if self._table == 0:
                self._flush_row()
                self.segments.append(Segment(heading_path=self.headings.path))
            else:
                self._buf.append(" ")
        elif self._table:
            self._table_boundary(tag)
        elif tag in _BLOCK:
            self._block_break()
        if tag == "pre" and self._pre:
            self._pre -= 1

    def _table_boundary(self, tag: str) -> None:
        """A tag opening or closing inside a table: rows and cells of the outermost table end
        what was being collected; anything else (nested tables too) is a word break."""
        if self._table == 1 and tag == "tr":
            self._flush_row()
        elif self._table == 1 and tag in _CELLS:
            self._flush()
        elif tag == "caption":
            self._flush_row()
        else:
            self._buf.append(" ")

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if self._lists and self._lists[-1][2]:
            n = len(data.strip())
            item = self._lists[-1][2][-1]
            item[0] += n
            if self._links:
                item[1] += n
        if self._title_buf is not None:
            self._title_buf.append(data)
        elif self._heading is not None:
            self._heading[1].append(data)
        elif self._pre and not self._table and "\n" in data:
            first, *rest = data.split("\n")
            self._buf.append(first)
            for piece in rest:
                self._flush()
                self._buf.append(piece)
        else:
            self._buf.append(data)

    def _close_list(self) -> None:
        """Drop a closed list made of links only (related headlines, link farms, menus)."""
        segment, start, items = self._lists.pop()
        texts = [item for item in items if item[0]]
        link_only = sum(1 for total, linked in texts if linked >= 0.9 * total)
        if len(texts) >= 3 and link_only >= 0.8 * len(texts) and segment is self.segments[-1]:
            del segment.lines[start:]
            self.link_lists_dropped += 1

    def close(self) -> None:
        super().close()
        self._finish_heading()
        if self._table:
            self._flush_row()
        else:
            self._flush()


def _declared_charset(raw: bytes) -> str | None:
    m = _META_CHARSET.search(raw[:4096])
    if not m:
        return None
    name = m.group(1).decode("ascii", errors="ignore").lower()
    if name in _KOREAN_CHARSETS:
        return "cp949"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_html(raw: bytes, path: Path) -> tuple[str, str]:
    """Decode HTML bytes: BOM or valid UTF-8, then the ``<meta charset>``, then detection
    (UTF-16 without a BOM is valid UTF-8 with NULs: decode_text recognises it first)."""
    if bom_encoding(raw) is None and utf16_encoding(raw) is None:
        try:
            return raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
        declared = _declared_charset(raw)
        if declared is not None:
            try:
                return raw.decode(declared), declared
            except UnicodeDecodeError:
                pass
    return decode_text(raw, path)


def parse_html(source: str) -> tuple[list[Segment], str | None, str | None]:
    """HTML source → (segments, first h1, <title>)."""
    parser = _Parser()
    parser.feed(source)
    parser.close()
    return parser.segments, parser.first_h1, parser.title


class HtmlLoader:
    """HTML pages (by ``.html``/``.htm`` extension or an ``<html``/doctype start)."""

    name: str = "html"

    def sniff(self, path: Path, head: bytes) -> bool:
        """HTML by extension or by how the first bytes start."""
        if looks_binary(head):
            return False
        return path.suffix.lower() in HTML_SUFFIXES or bool(_HTML_START.match(head_text(head)))

    def load(self, path: Path) -> Document:
        """Read an HTML page into a Document with one section per heading."""
        raw = path.read_bytes()
        source, encoding = decode_html(raw, path)
        segments, h1, title = parse_html(source)
        text, sections = assemble(segments)
        meta = base_meta(raw, "html") | {"encoding": encoding}
        return make_document(path, choose_title((h1, title), text, path), text, sections, meta)
