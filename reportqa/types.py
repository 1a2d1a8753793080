"""The shared vocabulary: what flows between ingest, index, answer and the front ends."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Section:
    """A span of a document's text with its page and heading path.

    Loaders describe structure as consecutive sections; the chunker never lets a chunk cross a
    section boundary, so every chunk has exactly one page and one heading path.
    """

    start: int
    end: int
    page: int | None = None
    heading_path: tuple[str, ...] = ()
    table: bool = False
    # Text that belongs with every passage of the section without being part of its span: a
    # table's caption and header row(s), repeated on each passage of a table split by rows.
    context: str = ""
    # A table-of-contents section: kept in the document text (offsets stay exact) but never
    # made into passages, so TOC lines cannot answer.
    toc: bool = False
    # The section's text came from OCR of a page image (cited as such).
    ocr: bool = False


@dataclass(frozen=True)
class Document:
    """One file's cleaned text. ``sections`` cover ``text`` in order (may be empty: one section)."""

    id: str
    title: str
    source: str
    text: str
    sections: tuple[Section, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: ``text == document.text[start:end]``.

    ``sentences`` holds (start, end) offsets into the document text of each sentence in the chunk,
    so answers can quote and highlight whole sentences without re-splitting at query time.
    """

    id: str
    doc_id: str
    title: str
    source: str
    text: str
    start: int
    end: int
    page: int | None = None
    heading_path: tuple[str, ...] = ()
    table: bool = False
    sentences: tuple[tuple[int, int], ...] = ()
    # Each sentence's lexical terms (Kiwi content morphemes, stemmed English words), computed once
    # at ingest so answering does not re-tokenise candidate passages; () in older indexes.
    sentence_terms: tuple[tuple[str, ...], ...] = ()
    # See Section.context / Section.ocr.
    context: str = ""
    ocr: bool = False

    def sentence_texts(self) -> list[str]:
        """The chunk's sentences as strings, in order."""
        return [self.text[s - self.start : e - self.start] for s, e in self.sentences]

    @property
    def location(self) -> str:
        """A short human label for where the passage is: "p. 3", "Ⅲ. 전략 > 1. 거점", "표"."""
        parts: list[str] = []
        if self.page is not None:
            parts.append(f"p. {self.page}")
        if self.heading_path:
            parts.append(" > ".join(self.heading_path))
        if self.table:
            parts.append("표")
        if self.ocr:
            parts.append("OCR")
        return " · ".join(parts)


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score and each retriever's own score."""

    chunk: Chunk
    score: float
    scores_by_retriever: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Citation:
    """Answer marker ``[n]`` → the passage it points at and the supporting sentence spans.

    ``sentence_spans`` are (start, end) offsets into ``chunk.text``.
    """

    n: int
    chunk: Chunk
    score: float
    sentence_spans: tuple[tuple[int, int], ...] = ()
    # What the passage shows besides information (answer/safety.py): "instructions" (it gives
    # orders to a model or reader), "url", "markup". Front ends warn and never render it as links.
    flags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape shared by the CLI's ``--json`` and the HTTP API."""
        return {
            "n": self.n,
            "document": self.chunk.doc_id,
            "title": self.chunk.title,
            "source": self.chunk.source,
            "page": self.chunk.page,
            "heading": " > ".join(self.chunk.heading_path) or None,
            "table": self.chunk.table,
            "ocr": self.chunk.ocr,
            "context": self.chunk.context or None,
            "text": self.chunk.text,
            "highlights": [list(s) for s in self.sentence_spans],
            "score": round(float(self.score), 4),
            "flags": list(self.flags),
        }


@dataclass(frozen=True)
class Answer:
    """What every front end renders: text with ``[n]`` markers and the citations they point at."""

    text: str
    language: str
    citations: tuple[Citation, ...] = ()
    abstained: bool = False
    grounded: float | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    # (start, end) offsets into ``text`` of sentences their citations do not support (or that
    # cite nothing); ``grounded`` is the mean support of the answer's sentences (0..1).
    unsupported: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """``{answer, language, abstained, citations, timings_ms}`` (plus ``grounded``)."""
        return {
            "answer": self.text,
            "language": self.language,
            "abstained": self.abstained,
            "grounded": self.grounded,
            "unsupported": [list(s) for s in self.unsupported],
            "citations": [c.to_dict() for c in self.citations],
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }
