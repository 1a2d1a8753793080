"""Helpers of the chunking tests (test_chunking*.py): a stand-in token counter, and a document
cut into sections at its Markdown headings."""

from __future__ import annotations

import re
from collections.abc import Sequence

from reportqa.types import Document, Section

_HEADING = re.compile(r"^(#+) (.+)$", re.MULTILINE)


def words(text: str) -> int:
    """A stand-in token counter: one token per whitespace word."""
    return len(text.split())


def headed_document(text: str, title: str = "보고서", pages: Sequence[int] = ()) -> Document:
    """A document of ``text`` whose sections start at its Markdown headings ("# 보고서",
    "## 전략") and end before the newline ahead of the next, each with the heading path the
    levels make (("보고서",), ("보고서", "전략")); ``pages``: each section's page, if any."""
    heads = list(_HEADING.finditer(text))
    path: list[str] = []
    sections = []
    for i, head in enumerate(heads):
        path = [*path[: len(head.group(1)) - 1], head.group(2)]
        end = heads[i + 1].start() - 1 if i + 1 < len(heads) else len(text)
        page = pages[i] if pages else None
        sections.append(Section(head.start(), end, page=page, heading_path=tuple(path)))
    return Document("d", title, "/x", text, sections=tuple(sections))
