"""The paragraph walk HWP and HWPX share: headings by outline level, tables, notes, text boxes.

Both formats store a document as paragraphs of text runs with objects in between (tables,
foot/endnotes, drawing objects holding paragraphs of their own); only how they are stored differs
(binary records against XML). A format's reader says how to take its paragraphs apart; this
class turns them into an outline.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Generic, Literal, TypeVar

from ingest.cleaning import clean_line
from ingest.loaders.text import OutlineBuilder
from ingest.safety import Deadline

Para = TypeVar("Para")
Obj = TypeVar("Obj")
Kind = Literal["table", "note", "object", "other"]

HEADING_MAX_CHARS = 80  # a longer outline-level paragraph is body text styled as a heading


class ParagraphReader(ABC, Generic[Para, Obj]):
    """Reads paragraphs into ``self.out`` (an :class:`OutlineBuilder`), counting notes."""

    def __init__(self, outline: dict, deadline: Deadline) -> None:
        self.outline = outline  # a paragraph's style/shape id → outline level (1 = top)
        self.deadline = deadline
        self.out = OutlineBuilder()
        self.notes = 0

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

    def read_paragraphs(self, paras: list[Para]) -> None:
        for para in paras:
            self.deadline.check()
            self.read_paragraph(para)

    def read_paragraph(self, para: Para) -> None:
        pieces = self.pieces(para)
        objects = [p for p in pieces if not isinstance(p, str)]
        level = self.level(para)
        if level is not None and not any(self.kind(o) in ("table", "object") for o in objects):
            text = clean_line("".join(p for p in pieces if isinstance(p, str)))
            if text and len(text) <= HEADING_MAX_CHARS:
                self.out.heading(level, text)
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
                self.out.line("".join(buf))
                buf = []
                self.read_table(piece)
            elif self.kind(piece) in ("note", "object"):
                after.append(piece)
        self.out.line("".join(buf))
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
