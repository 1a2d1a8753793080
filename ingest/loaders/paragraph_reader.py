"""The paragraph walk HWP and HWPX share: headings by outline level, tables, notes, text boxes.

Both formats store a document as paragraphs of text runs with objects in between (tables,
foot/endnotes, drawing objects holding paragraphs of their own); only how they are stored differs
(binary records against XML). A format's reader says how to take its paragraphs apart; this
class turns them into an outline.
"""

from __future__ import annotations

import itertools
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from ingest.cleaning import clean_line
from ingest.layout.tables import Cell, Table, render_table
from ingest.loaders.text import OutlineBuilder
from ingest.safety import Deadline
from ingest.tuning import (
    PARAGRAPH_HEADING_MAX_CHARS,
    PARAGRAPH_TITLE_MAX_CHARS,
    TITLE_SCAN_PARAGRAPHS,
)

Para = TypeVar("Para")
Obj = TypeVar("Obj")
Kind = Literal["table", "note", "object", "other"]
HeadKind = Literal["outline", "number", "bullet"]

_NOT_A_TITLE = re.compile(
    r"^(?:[-–—\s]*\d+[-–—\s]*|page\s*\d+|\d+\s*/\s*\d+|제목\s*없음|untitled|무제|"
    r"[ivxlc]+|[\W_]+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ParaLayout:
    """What a paragraph says about where it sits: breaks before it, column count from here on,
    and the vertical positions of its lines (which restart at the top of each column/page)."""

    page_break: bool = False
    column_break: bool = False
    columns: int | None = None
    vpos: tuple[int, ...] = ()
    # Tables in the paragraph: their total height, and the page's body height (same unit; 0 when
    # unknown). A table longer than a page has one line segment for all its pages.
    block_height: int = 0
    body_height: int = 0


@dataclass
class PageCounter:
    """Pages counted from paragraph layout: explicit page/section breaks, and line positions
    that restart at the top (a new column, or a new page once every column is used)."""

    page: int = 1
    column: int = 0
    columns: int = 1
    last_vpos: int | None = None
    started: bool = False

    def paragraph(self, layout: ParaLayout, new_section: bool = False) -> int:
        """The page the paragraph starts on."""
        if self.started and (layout.page_break or new_section):
            self.page += 1
            self.column = 0
            self.last_vpos = None
        elif self.started and layout.column_break:
            self._next_column()
            self.last_vpos = None
        # A column definition opens a new column area: its first column again, and lines that
        # restart at the top right away put the area on a new page.
        new_area = bool(layout.columns) and self.started
        if layout.columns:
            self.columns = max(1, layout.columns)
            self.column = 0
        first: int | None = None
        for v in layout.vpos:
            if self.last_vpos is not None and v < self.last_vpos:
                if new_area and first is None:
                    self.page += 1
                    self.column = 0
                else:
                    self._next_column()
            self.last_vpos = v
            if first is None:
                first = self.page
        self._tall_blocks(layout)
        self.started = True
        return first if first is not None else self.page

    def _tall_blocks(self, layout: ParaLayout) -> None:
        """Pages turned inside a table taller than what is left of its page (one column)."""
        if not (layout.block_height and layout.body_height and layout.vpos) or self.columns > 1:
            return
        if any(b < a for a, b in itertools.pairwise(layout.vpos)):
            return  # the line segments already show the page turns
        bottom = layout.vpos[0] + layout.block_height
        if bottom > layout.body_height:
            turns = bottom // layout.body_height
            self.page += turns
            self.column = 0
            self.last_vpos = bottom - turns * layout.body_height

    def _next_column(self) -> None:
        self.column += 1
        if self.column >= self.columns:
            self.column = 0
            self.page += 1


# Hancom number formats, by their HWP 5 code (paragraph head property bits 5-8) and HWPX name.
NUMBER_FORMATS = (
    "DIGIT",
    "CIRCLED_DIGIT",
    "ROMAN_CAPITAL",
    "ROMAN_SMALL",
    "LATIN_CAPITAL",
    "LATIN_SMALL",
    "CIRCLED_LATIN_CAPITAL",
    "CIRCLED_LATIN_SMALL",
    "HANGUL_SYLLABLE",
    "CIRCLED_HANGUL_SYLLABLE",
    "HANGUL_JAMO",
    "CIRCLED_HANGUL_JAMO",
    "HANGUL_PHONETIC",
    "IDEOGRAPH",
    "CIRCLED_IDEOGRAPH",
)
_SERIES = {
    "CIRCLED_DIGIT": "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳",
    "LATIN_CAPITAL": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "LATIN_SMALL": "abcdefghijklmnopqrstuvwxyz",
    "CIRCLED_LATIN_CAPITAL": "ⒶⒷⒸⒹⒺⒻⒼⒽⒾⒿⓀⓁⓂⓃⓄⓅⓆⓇⓈⓉⓊⓋⓌⓍⓎⓏ",
    "CIRCLED_LATIN_SMALL": "ⓐⓑⓒⓓⓔⓕⓖⓗⓘⓙⓚⓛⓜⓝⓞⓟⓠⓡⓢⓣⓤⓥⓦⓧⓨⓩ",
    "HANGUL_SYLLABLE": "가나다라마바사아자차카타파하",
    "CIRCLED_HANGUL_SYLLABLE": "㉮㉯㉰㉱㉲㉳㉴㉵㉶㉷㉸㉹㉺㉻",
    "HANGUL_JAMO": "ㄱㄴㄷㄹㅁㅂㅅㅇㅈㅊㅋㅌㅍㅎ",
    "CIRCLED_HANGUL_JAMO": "㉠㉡㉢㉣㉤㉥㉦㉧㉨㉩㉪㉫㉬㉭",
    "HANGUL_PHONETIC": "일이삼사오육칠팔구십",
    "IDEOGRAPH": "一二三四五六七八九十",
    "CIRCLED_IDEOGRAPH": "㊀㊁㊂㊃㊄㊅㊆㊇㊈㊉",
}
_ROMAN = (
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
)
_ROMAN_CHARS = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ"
_PLACEHOLDER = re.compile(r"\^([1-9]|n|N)")


def format_number(n: int, fmt: str) -> str:
    """``n`` written in a Hancom number format ("ROMAN_CAPITAL", 3 → "Ⅲ")."""
    if n <= 0:
        return str(n)
    if fmt in ("ROMAN_CAPITAL", "ROMAN_SMALL"):
        if n <= len(_ROMAN_CHARS):
            roman = _ROMAN_CHARS[n - 1]
        else:
            parts = []
            for value, letters in _ROMAN:
                while n >= value:
                    parts.append(letters)
                    n -= value
            roman = "".join(parts)
        return roman if fmt == "ROMAN_CAPITAL" else roman.lower()
    series = _SERIES.get(fmt)
    if series and n <= len(series):
        return series[n - 1]
    return str(n)


@dataclass(frozen=True)
class NumberingLevel:
    """One level of a numbering definition: its pattern ("^1.", "제^1장"), format and start."""

    pattern: str
    fmt: str = "DIGIT"
    start: int = 1


@dataclass
class AutoNumbers:
    """Regenerates Hancom's automatic paragraph numbers ("Ⅲ.", "1.", "가.") and bullets.

    ``numberings``: numbering id → its levels; ``bullets``: bullet id → its character.
    Counters are kept per numbering id; numbering a level resets the levels below it.
    """

    numberings: dict[str, list[NumberingLevel]] = field(default_factory=dict)
    bullets: dict[str, str] = field(default_factory=dict)
    _counters: dict[str, list[int]] = field(default_factory=dict)

    def prefix(self, kind: HeadKind, ref: str, level: int) -> str:
        """The number (or bullet) of the next paragraph with this head; "" when undefined."""
        if kind == "bullet":
            return self.bullets.get(ref, "")
        levels = self.numberings.get(ref)
        if not levels or not 1 <= level <= len(levels):
            return ""
        counts = self._counters.setdefault(ref, [lv.start - 1 for lv in levels])
        counts[level - 1] += 1
        for deeper in range(level, len(levels)):
            counts[deeper] = levels[deeper].start - 1
        pattern = levels[level - 1].pattern

        def number(m: re.Match[str]) -> str:
            key = m.group(1)
            if key in ("n", "N"):
                path = ".".join(
                    format_number(max(counts[i], levels[i].start), levels[i].fmt)
                    for i in range(level)
                )
                return path + ("." if key == "N" else "")
            i = int(key) - 1
            if i >= len(levels):
                return ""
            return format_number(max(counts[i], levels[i].start), levels[i].fmt)

        return clean_line(_PLACEHOLDER.sub(number, pattern))


def with_prefix(prefix: str, text: str) -> str:
    """``text`` with its regenerated number in front, unless the text already starts with it."""
    text = clean_line(text)
    if not prefix or not text or text.startswith(prefix):
        return text
    return f"{prefix} {text}"


def word_table(
    cells: Sequence[tuple[int, int, int, int, str]],
    caption: str = "",
    header_flags: Sequence[bool] | None = None,
) -> tuple[str, list[str]]:
    """A word-processor table as ``(context, lines)`` through the PDF tables' rendering: the
    caption and header row(s) as context, one self-describing line per body row (row label,
    column label and value together; merged cells carried over).

    ``cells``: ``(row, col, rowspan, colspan, text)``; ``header_flags``: per cell, whether the
    format marks it as a header cell (HWPX ``header="1"``), else the header is guessed.
    """
    if not cells:
        return "", []
    n_rows = max(r + max(1, rs) for r, _, rs, _, _ in cells)
    n_cols = max(c + max(1, cs) for _, c, _, cs, _ in cells)
    table_cells = tuple(
        Cell(row=r, col=c, text=clean_line(t), rowspan=max(1, rs), colspan=max(1, cs))
        for r, c, rs, cs, t in cells
    )
    header = _header_rows(table_cells, n_rows, n_cols, header_flags)
    table = Table(
        bbox=(0.0, 0.0, 0.0, 0.0),
        cells=table_cells,
        n_rows=n_rows,
        n_cols=n_cols,
        header_rows=header,
    )
    rendered = render_table(table)
    context = "\n".join(t for t in (clean_line(caption), rendered.context) if t)
    return context, [line for line in rendered.lines if clean_line(line)]


_AMOUNT = re.compile(
    r"^[\s\d,.%()+\-△▲▽원억만천백조개명건년월일]*\d[\s\d,.%()+\-△▲▽원억만천백조개명건]*$"
)


_YEAR = re.compile(r"^(?:19|20)\d\d(?:년도?)?$")  # a year over a column is a label


def _header_rows(
    cells: Sequence[Cell], n_rows: int, n_cols: int, flags: Sequence[bool] | None
) -> int:
    """Leading rows that are column labels: the format's header flags where set; else the first
    row (deeper when its cells span rows), none when it already holds amounts or the table is one
    row or one column."""
    if flags is not None and any(flags):
        flagged = {c.row for c, f in zip(cells, flags, strict=True) if f}
        rows = 0
        while rows in flagged and rows < n_rows - 1:
            rows += 1
        if rows:
            return rows
    if n_rows < 2 or n_cols < 2:
        return 0
    first = [c for c in cells if c.row == 0]
    if any(
        c.col > 0 and c.text and _AMOUNT.match(c.text) and not _YEAR.match(c.text) for c in first
    ):
        return 0
    deep = max((c.rowspan for c in first), default=1)
    return deep if 1 < deep < n_rows else 1


def plausible_title(text: str) -> bool:
    """A line that can be a document's title: not empty, not too long, not a page number or a
    placeholder ("제목 없음")."""
    text = clean_line(text)
    return bool(text) and len(text) <= PARAGRAPH_TITLE_MAX_CHARS and not _NOT_A_TITLE.match(text)


class ParagraphReader(ABC, Generic[Para, Obj]):
    """Reads paragraphs into ``self.out`` (an :class:`OutlineBuilder`), counting notes and pages,
    numbering paragraphs and collecting title candidates from the first page."""

    def __init__(
        self, outline: dict, deadline: Deadline, numbers: AutoNumbers | None = None
    ) -> None:
        self.outline = outline  # a paragraph's style/shape id → outline level (1 = top)
        self.deadline = deadline
        self.numbers = numbers or AutoNumbers()
        self.out = OutlineBuilder()
        self.pages = PageCounter()
        self.notes = 0
        # (font size, order, text) of paragraphs on page 1, for the title.
        self.title_candidates: list[tuple[float, int, str]] = []

    @abstractmethod
    def pieces(self, para: Para) -> list[str | Obj]:
        """The paragraph's text runs and objects in order (objects carrying no text left out)."""

    @abstractmethod
    def kind(self, obj: Obj) -> Kind:
        """table; note (foot/endnote, header/footer); object (a text box or drawing whose
        paragraphs follow the paragraph's own); other (read only inside flat text)."""

    @abstractmethod
    def level(self, para: Para) -> int | None:
        """The paragraph's outline level, None for body text."""

    @abstractmethod
    def inner_paragraphs(self, obj: Obj) -> list[Para]:
        """All paragraphs inside ``obj`` in reading order (a table's caption, then its cells)."""

    @abstractmethod
    def read_table(self, obj: Obj) -> None:
        """Write the table ``obj`` to ``self.out``."""

    def layout(self, para: Para) -> ParaLayout:
        """Breaks, columns and line positions of a body paragraph (none known by default)."""
        return ParaLayout()

    def head(self, para: Para) -> tuple[HeadKind, str, int] | None:
        """The paragraph's automatic head: (outline/number/bullet, numbering or bullet id,
        level 1-7), None when it has none."""
        return None

    def font_size(self, para: Para) -> float:
        """The paragraph's largest character size (points; 0 when unknown)."""
        return 0.0

    def flat_text(self, paras: list[Para]) -> str:
        """Paragraphs as one line (table cells, notes, captions), nested objects included."""
        parts: list[str] = []
        for para in paras:
            for piece in self.pieces(para):
                if isinstance(piece, str):
                    parts.append(piece)
                else:
                    parts.append(" " + self.flat_text(self.inner_paragraphs(piece)) + " ")
            parts.append(" ")
        return clean_line("".join(parts))

    def read_body(self, paras: list[Para], new_section: bool = False) -> None:
        """Read a section's top-level paragraphs, counting pages from their layout."""
        for i, para in enumerate(paras):
            self.deadline.check()
            self.out.set_page(self.pages.paragraph(self.layout(para), new_section and i == 0))
            self.read_paragraph(para)

    def read_paragraphs(self, paras: list[Para]) -> None:
        for para in paras:
            self.deadline.check()
            self.read_paragraph(para)

    def read_paragraph(self, para: Para) -> None:
        pieces = self.pieces(para)
        objects = [p for p in pieces if not isinstance(p, str)]
        head = self.head(para)
        prefix = self.numbers.prefix(*head) if head else ""
        own_text = clean_line("".join(p for p in pieces if isinstance(p, str)))
        self._title_candidate(para, own_text)
        level = self.level(para)
        boxed = any(self.kind(o) in ("table", "object") for o in objects)
        short = len(own_text) <= PARAGRAPH_HEADING_MAX_CHARS
        if level is not None and not boxed and own_text and short:
            self.out.heading(level, with_prefix(prefix, own_text))
            for obj in objects:
                if self.kind(obj) == "note":
                    self.read_note(obj)
            return
        buf: list[str] = []
        after: list[Obj] = []
        for piece in pieces:
            if isinstance(piece, str):
                buf.append(piece)
            elif self.kind(piece) == "table":
                self.out.line(with_prefix(prefix, "".join(buf)))
                prefix, buf = "", []
                self.read_table(piece)
            elif self.kind(piece) in ("note", "object"):
                after.append(piece)
        self.out.line(with_prefix(prefix, "".join(buf)))
        for obj in after:
            if self.kind(obj) == "note":
                self.read_note(obj)
            else:  # a text box or drawing object: its paragraphs follow
                self.read_paragraphs(self.inner_paragraphs(obj))

    def read_note(self, obj: Obj) -> None:
        text = self.flat_text(self.inner_paragraphs(obj))
        if text:
            self.notes += 1
            self.out.line(text)

    def _title_candidate(self, para: Para, text: str) -> None:
        if self.pages.page != 1 or len(self.title_candidates) >= TITLE_SCAN_PARAGRAPHS:
            return
        if plausible_title(text):
            order = len(self.title_candidates)
            self.title_candidates.append((self.font_size(para), order, text))

    def title(self) -> str | None:
        """The first page's largest paragraph (the earliest of equals) when it is set larger
        than the body, else the first page's first plausible line (never a page number)."""
        candidates = self.title_candidates
        if not candidates:
            return None
        sized = [c for c in candidates if c[0] > 0]
        if sized:
            best = max(sized, key=lambda c: (c[0], -c[1]))
            body = sorted(c[0] for c in sized)[(len(sized) - 1) // 2]
            if best[0] > body:
                return best[2]
        return candidates[0][2]

    def table_out(
        self,
        cells: Sequence[tuple[int, int, int, int, str]],
        caption: str = "",
        header_flags: Sequence[bool] | None = None,
    ) -> None:
        """Write a table of ``(row, col, rowspan, colspan, text)`` cells to ``self.out``."""
        context, lines = word_table(cells, caption, header_flags)
        self.out.table(lines, context)
