"""Citation markers ``[n]``: parsing, renumbering, and locating the supporting sentences.

Pure but for :func:`stream_generation`, which drives a generator.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from collections.abc import Generator as PyGenerator

from reportqa.protocols import Generator
from reportqa.types import Chunk, Hit

MARKER = re.compile(r"\[(\d{1,3})\]")
# A claim is the text up to a run of markers: "claim one [1][2] claim two [3]".
_CLAIM = re.compile(r"([^\[]*?)((?:\s*\[\d{1,3}\])+)")

Terms = Callable[[str], Sequence[str]]


def parse_markers(text: str) -> list[int]:
    """The marker numbers in ``text`` in order of appearance (repeats kept)."""
    return [int(m) for m in MARKER.findall(text)]


def renumber_citations(text: str, n_passages: int) -> tuple[str, list[int]]:
    """Renumber markers 1..m by first appearance; drop markers that point at no passage.

    Returns the new text and ``order`` where new marker ``i+1`` means passage ``order[i]``
    (1-based numbering into the passages the generator saw).
    """
    order: list[int] = []

    def replace(match: re.Match[str]) -> str:
        old = int(match.group(1))
        if not 1 <= old <= n_passages:
            return ""
        if old not in order:
            order.append(old)
        return f"[{order.index(old) + 1}]"

    new_text = MARKER.sub(replace, text)
    new_text = re.sub(r"[ \t]+([.,!?])", r"\1", re.sub(r"[ \t]{2,}", " ", new_text))
    return new_text.strip(), order


def claims_by_marker(text: str) -> dict[int, list[str]]:
    """Map each marker number to the claim texts it is attached to."""
    claims: dict[int, list[str]] = {}
    for match in _CLAIM.finditer(text):
        claim = match.group(1).strip()
        for n in parse_markers(match.group(2)):
            if claim:
                claims.setdefault(n, []).append(claim)
    return claims


def _core(sentence: str) -> str:
    return sentence.strip().rstrip(".!?。…").rstrip()


def support_spans(chunk: Chunk, claims: Sequence[str], terms: Terms) -> tuple[tuple[int, int], ...]:
    """Offsets (into ``chunk.text``) of the chunk sentences that support ``claims``.

    A sentence quoted verbatim in a claim is its support; otherwise the sentence sharing the most
    content terms with the claim (at least a fifth of them) is.
    """
    sentences = [(s - chunk.start, e - chunk.start) for s, e in chunk.sentences]
    spans: list[tuple[int, int]] = []
    for claim in claims:
        # Quoted verbatim, up to its final punctuation (a model may put the marker before it).
        quoted = [
            sp for sp in sentences if (body := _core(chunk.text[sp[0] : sp[1]])) and body in claim
        ]
        # A heading like "3대 추진 전략" also occurs inside the quoted sentence: keep the longest.
        quoted = [
            sp
            for sp in quoted
            if not any(
                o != sp and _core(chunk.text[sp[0] : sp[1]]) in chunk.text[o[0] : o[1]]
                for o in quoted
            )
        ]
        if quoted:
            spans.extend(sp for sp in quoted if sp not in spans)
            continue
        claim_terms = set(terms(claim))
        if not claim_terms:
            continue
        best, best_overlap = None, 0.0
        for sp in sentences:
            overlap = len(claim_terms & set(terms(chunk.text[sp[0] : sp[1]]))) / len(claim_terms)
            if overlap > best_overlap:
                best, best_overlap = sp, overlap
        if best is not None and best_overlap >= 0.2 and best not in spans:
            spans.append(best)
    return tuple(sorted(spans))


def invalid_markers(text: str, n_passages: int) -> list[int]:
    """The marker numbers in ``text`` that point at no passage (outside 1..n_passages)."""
    return [n for n in parse_markers(text) if not 1 <= n <= n_passages]


_OPEN_MARKER = re.compile(r"\[\d{0,3}$")


class MarkerRenumberer:
    """``renumber_citations`` for a stream: renumbers markers piece by piece, as they arrive.

    A piece that ends inside a marker (``"… [1"``) is held back until the marker closes. Markers
    get the same numbers ``renumber_citations`` gives the whole text; invalid ones are dropped.
    """

    def __init__(self, n_passages: int) -> None:
        self.n_passages = n_passages
        self.order: list[int] = []
        self.buffer = ""

    def _replace(self, match: re.Match[str]) -> str:
        old = int(match.group(1))
        if not 1 <= old <= self.n_passages:
            return ""
        if old not in self.order:
            self.order.append(old)
        return f"[{self.order.index(old) + 1}]"

    def feed(self, piece: str) -> str:
        self.buffer += piece
        held = _OPEN_MARKER.search(self.buffer)
        cut = held.start() if held else len(self.buffer)
        ready, self.buffer = self.buffer[:cut], self.buffer[cut:]
        return MARKER.sub(self._replace, ready)

    def flush(self) -> str:
        ready, self.buffer = self.buffer, ""
        return MARKER.sub(self._replace, ready)


def stream_generation(
    gen: Generator,
    question: str,
    hits: Sequence[Hit],
    history: Sequence[tuple[str, str]] = (),
    on_first_piece: Callable[[], None] | None = None,
) -> PyGenerator[str, None, str]:
    """Run ``gen`` over ``hits``: yield its pieces with markers renumbered as they arrive, and
    return the raw text (``raw = yield from stream_generation(...)``) for the citation check.

    ``on_first_piece`` is called when the first piece arrives (time to first token).
    """
    renumber = MarkerRenumberer(len(hits))
    pieces: list[str] = []
    for piece in gen.generate(question, list(hits), history):
        if not pieces and on_first_piece is not None:
            on_first_piece()
        pieces.append(piece)
        shown = renumber.feed(piece)
        if shown:
            yield shown
    tail = renumber.flush()
    if tail:
        yield tail
    return "".join(pieces)
