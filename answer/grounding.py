"""Citation checking after generation: is each answer sentence supported by the passages it cites?

Pure functions over text. An answer is split into sentences (a marker run after the full stop
belongs to the sentence before it). Each claim sentence is scored by the share of its content
terms (Kiwi morphemes and Latin words, see ``reportqa.language.content_terms``; numbers weigh triple)
found in the passages it cites; a sentence in another language than its passages is scored by an optional embedding
similarity instead. A sentence takes the markers of the next marked sentence on its line ("A. B
[1]." cites passage 1 for both); one without any valid marker scores 0. The answer's groundedness is the
mean score of its claim sentences; sentences under ``min_support`` are reported as unsupported.

``repair_citations`` adds a marker to an uncited sentence when one passage clearly supports it
(small models often forget to cite); it never changes a marker the model wrote.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from answer.citations import MARKER, parse_markers
from answer.tuning import NUMBER_WEIGHT
from reportqa.language import detect_language

Terms = Callable[[str], Sequence[str]]
# similarity(claim, passage_text) in 0..1, used when the claim and passage languages differ.
Similarity = Callable[[str, str], float]

# A sentence ends at . ! ? 。 (or a line break), followed by any markers, then space or the end.
_SENTENCE_END = re.compile(r"[.!?。](?:\s*\[\d{1,3}\])*(?=\s|$)")


@dataclass(frozen=True)
class SentenceSupport:
    """One answer sentence: where it is, what it cites, how well its citations support it."""

    start: int  # offsets into the answer text
    end: int
    text: str
    markers: tuple[int, ...]
    score: float | None  # 0..1; None for framing or term-less sentences (not claims)
    supported: bool


@dataclass(frozen=True)
class Grounding:
    sentences: tuple[SentenceSupport, ...]
    invalid_markers: tuple[int, ...] = ()

    @property
    def claims(self) -> list[SentenceSupport]:
        return [s for s in self.sentences if s.score is not None]

    @property
    def grounded(self) -> float | None:
        """Mean support of the claim sentences (None when the answer makes no claim)."""
        claims = self.claims
        if not claims:
            return None
        return sum(s.score or 0.0 for s in claims) / len(claims)

    @property
    def unsupported_spans(self) -> tuple[tuple[int, int], ...]:
        return tuple((s.start, s.end) for s in self.claims if not s.supported)

    @property
    def cited_share(self) -> float | None:
        """Share of claim sentences that carry at least one valid marker."""
        claims = self.claims
        if not claims:
            return None
        return sum(1 for s in claims if s.markers) / len(claims)


def answer_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of an answer; markers after a full stop stay with the sentence before."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        start = 0
        for m in _SENTENCE_END.finditer(line):
            spans.append((pos + start, pos + m.end()))
            start = m.end()
        spans.append((pos + start, pos + len(line)))
        pos += len(line) + 1
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def strip_markers(text: str) -> str:
    return " ".join(MARKER.sub(" ", text).split())


def _claim_text(sentence: str) -> str:
    """The sentence without markers and list bullets."""
    return strip_markers(sentence).lstrip("-*•·0123456789.) ").strip()


def support_score(
    claim: str,
    passages: Sequence[str],
    terms: Terms,
    similarity: Similarity | None = None,
) -> float:
    """How well ``passages`` support ``claim`` (0..1): 1 when quoted verbatim, else the share of
    its terms they contain.

    When the claim's language differs from a passage's and ``similarity`` is given, that passage
    scores by similarity instead (terms cannot match across languages).
    """
    flat = " ".join(claim.split()).rstrip(".!?。 ")
    if flat and any(flat in " ".join(p.split()) for p in passages):
        return 1.0  # quoted verbatim
    claim_terms = set(terms(claim))
    best = 0.0
    same_language: list[str] = []
    lang = detect_language(claim)
    for p in passages:
        if similarity is not None and detect_language(p) != lang:
            best = max(best, float(similarity(claim, p)))
        else:
            same_language.append(p)
    if same_language and claim_terms:
        found: set[str] = set()
        for p in same_language:
            found |= claim_terms & set(terms(p))
        total = sum(_weight(t) for t in claim_terms)
        best = max(best, sum(_weight(t) for t in found) / total)
    return min(1.0, max(0.0, best))


def _weight(term: str) -> float:
    """Numbers are the facts small models get wrong most: a missing number weighs triple."""
    return NUMBER_WEIGHT if any(ch.isdigit() for ch in term) else 1.0


def check_grounding(
    text: str,
    passages: Sequence[str],
    terms: Terms,
    min_support: float = 0.5,
    framing: Collection[str] = (),
    similarity: Similarity | None = None,
) -> Grounding:
    """Score every sentence of ``text`` against the passages its ``[n]`` markers cite.

    ``passages[n-1]`` is the passage marker ``[n]`` points at; ``framing`` holds fixed sentences
    (an intro line, the not-found message) that are not claims.
    """
    framing_set = {strip_markers(f) for f in framing}
    invalid = tuple(n for n in parse_markers(text) if not 1 <= n <= len(passages))
    spans = answer_sentences(text)
    # A marker run covers the text back to the previous marker on its line ("A. B [1]." cites
    # passage 1 for both), as ``claims_by_marker`` reads claims.
    cited: list[tuple[int, ...]] = [()] * len(spans)
    following: tuple[int, ...] = ()
    for i in range(len(spans) - 1, -1, -1):
        s, e = spans[i]
        if i + 1 < len(spans) and "\n" in text[e : spans[i + 1][0]]:
            following = ()
        own = tuple(dict.fromkeys(n for n in parse_markers(text[s:e]) if 1 <= n <= len(passages)))
        cited[i] = following = own or following
    out: list[SentenceSupport] = []
    for (s, e), markers in zip(spans, cited, strict=True):
        sentence = text[s:e]
        claim = _claim_text(sentence)
        if not claim or strip_markers(sentence) in framing_set or not terms(claim):
            out.append(SentenceSupport(s, e, sentence, markers, None, True))
            continue
        score = (
            support_score(claim, [passages[n - 1] for n in markers], terms, similarity)
            if markers
            else 0.0
        )
        out.append(SentenceSupport(s, e, sentence, markers, round(score, 4), score >= min_support))
    return Grounding(tuple(out), invalid)


def repair_citations(
    text: str,
    passages: Sequence[str],
    terms: Terms,
    min_support: float = 0.5,
    framing: Collection[str] = (),
    similarity: Similarity | None = None,
) -> str:
    """Add ``[n]`` to each uncited claim sentence that passage ``n`` supports best (≥ min_support).

    Sentences that carry a marker of their own, framing and term-less sentences are left as they
    are.
    """
    grounding = check_grounding(text, passages, terms, min_support, framing, similarity)
    pieces: list[str] = []
    pos = 0
    for sent in grounding.sentences:
        if sent.score is None or parse_markers(sent.text):  # framing, or cited by the model
            continue
        claim = _claim_text(sent.text)
        scores = [support_score(claim, [p], terms, similarity) for p in passages]
        if not scores:
            continue
        best = max(range(len(scores)), key=lambda i: (scores[i], -i))
        if scores[best] < min_support:
            continue
        body = sent.text
        end_punct = body[-1] if body[-1] in ".!?。" else ""
        core = body[: len(body) - len(end_punct)].rstrip()
        pieces.append(text[pos : sent.start])
        pieces.append(f"{core} [{best + 1}]{end_punct}")
        pos = sent.end
    pieces.append(text[pos:])
    return "".join(pieces)
