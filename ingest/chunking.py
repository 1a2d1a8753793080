"""Split a Document into Chunks: sentence-aligned, token-limited, with a small overlap.

Pure: the sentence splitter and the token counter are passed in, so tests and other embedders
can supply their own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reportqa.types import Chunk, Document, Section

Span = tuple[int, int]
SentenceSplitter = Callable[[str], list[Span]]
TokenCounter = Callable[[str], int]


@dataclass(frozen=True)
class ChunkerConfig:
    """How documents are cut; recorded in the index manifest.

    300/60 tokens: measured against 200/40 on KorQuAD (held-out) and the sample sets (README,
    "Retrieval and evaluation"); most rank-1 misses at 200 were another chunk of the right text."""

    max_tokens: int = 300
    overlap_tokens: int = 60

    def __post_init__(self) -> None:
        if self.max_tokens <= 0:
            raise ValueError(f"max_tokens must be greater than 0; got {self.max_tokens}")
        if not 0 <= self.overlap_tokens < self.max_tokens:
            raise ValueError(
                f"overlap_tokens must be in [0, max_tokens); got {self.overlap_tokens}"
            )


def chunk_document(
    doc: Document,
    split: SentenceSplitter,
    count_tokens: TokenCounter,
    config: ChunkerConfig = ChunkerConfig(),
) -> list[Chunk]:
    """Cut ``doc`` into chunks that never cross a section (page/heading) boundary.

    Sentences are packed greedily up to ``config.max_tokens``; a new chunk repeats the previous
    chunk's last sentences up to ``config.overlap_tokens``. A sentence longer than the limit is
    cut at spaces (or characters) into pieces that fit.
    """
    sections = doc.sections or (Section(0, len(doc.text)),)
    chunks: list[Chunk] = []
    for section in sections:
        if section.toc:
            continue
        body = doc.text[section.start : section.end]
        spans: list[Span] = []
        for s, e in split(body):
            spans.extend(
                _fit_long_sentence(
                    doc.text, section.start + s, section.start + e, count_tokens, config.max_tokens
                )
            )
        for group in _pack(spans, [count_tokens(doc.text[s:e]) for s, e in spans], config):
            start, end = group[0][0], group[-1][1]
            if _is_heading_only(doc.text[start:end], section, doc.title):
                # A section holding only its heading (a title above subsections): the heading
                # reaches every later chunk through heading_path, and a chunk of a few words
                # would outrank real passages on vague questions.
                continue
            chunks.append(
                Chunk(
                    id=f"{doc.id}#{len(chunks)}",
                    doc_id=doc.id,
                    title=doc.title,
                    source=doc.source,
                    text=doc.text[start:end],
                    start=start,
                    end=end,
                    page=section.page,
                    heading_path=section.heading_path,
                    table=section.table,
                    sentences=tuple(group),
                    context=section.context,
                    ocr=section.ocr,
                )
            )
    return chunks


def _is_heading_only(text: str, section: Section, title: str) -> bool:
    bare = text.strip().lstrip("#").strip()
    return bool(bare) and (
        bare == title.strip() or (bool(section.heading_path) and bare == section.heading_path[-1])
    )


def _pack(spans: Sequence[Span], tokens: Sequence[int], config: ChunkerConfig) -> list[list[Span]]:
    groups: list[list[Span]] = []
    i = 0
    n = len(spans)
    while i < n:
        j, used = i, 0
        while j < n and (j == i or used + tokens[j] <= config.max_tokens):
            used += tokens[j]
            j += 1
        groups.append(list(spans[i:j]))
        if j >= n:
            break
        # Next chunk starts with the tail of this one, up to overlap_tokens, never the whole chunk.
        back, overlap = j, 0
        while back - 1 > i and overlap + tokens[back - 1] <= config.overlap_tokens:
            back -= 1
            overlap += tokens[back]
        i = back
    return groups


def _fit_long_sentence(
    text: str, start: int, end: int, count_tokens: TokenCounter, max_tokens: int
) -> list[Span]:
    if count_tokens(text[start:end]) <= max_tokens:
        return [(start, end)]
    pieces: list[Span] = []
    s = start
    while s < end:
        # Largest cut point (at a space when possible) whose piece fits; binary search on length.
        lo, hi = s + 1, end
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count_tokens(text[s:mid]) <= max_tokens:
                lo = mid
            else:
                hi = mid - 1
        cut = lo
        if cut < end:
            space = text.rfind(" ", s + 1, cut)
            if space > s + (cut - s) // 2:
                cut = space
        e = cut
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            pieces.append((s, e))
        s = cut
        while s < end and text[s].isspace():
            s += 1
    return pieces
