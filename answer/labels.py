"""Label-aware reranking: a passage whose line is labelled with what the question names comes first.

Real reports answer many questions in labelled lines: a glossary entry ("탬퍼 대응(tamper
response): …"), a table row as the loaders write it ("자산 > 4. 유형자산 — 제 54 (당) 기: …"), a
key-value box ("배터리 보증기간: 2 년"). A passage of twenty such lines has one vector for all of
them, so dense and BM25 scores rank it beside passages that merely mention the term. Here each
candidate's best *label* (the text before a line's first ":" or " — ") is matched against the
question's terms, and the idf-weighted share it covers adds to the fused score.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache

from answer.sentence_shapes import squashed
from answer.tuning import LABEL_NAMED_MIN_CHARS
from reportqa.language import content_terms
from reportqa.types import Hit

# A label: up to 80 characters at a line's start, before ":" or an em dash between spaces.
_LABEL = re.compile(r"^\s*([^\n:：]{1,80}?)\s*(?:[:：]|\s—\s)", re.MULTILINE)


@lru_cache(maxsize=65536)
def _label_terms(label: str) -> frozenset[str]:
    return frozenset(content_terms(label))


def labels(text: str) -> list[str]:
    """The labels of ``text``'s lines (pure)."""
    return [m.group(1) for m in _LABEL.finditer(text)]


def label_match(question_terms: Sequence[str], text: str, idf: Callable[[str], float]) -> float:
    """The largest idf-weighted share of ``question_terms`` that one label of ``text`` holds."""
    unique = list(dict.fromkeys(question_terms))
    total = sum(idf(t) for t in unique)
    if total <= 0:
        return 0.0
    best = 0.0
    for label in labels(text):
        terms = _label_terms(label)
        best = max(best, sum(idf(t) for t in unique if t in terms) / total)
    return best


class LabelReranker:
    """Adds ``boost`` × :func:`label_match` to each hit's score and reorders (a Reranker)."""

    def __init__(self, idf: Callable[[str], float], boost: float, min_match: float = 0.0) -> None:
        self.idf = idf
        self.boost = boost
        self.min_match = min_match

    def rerank(self, question: str, hits: list[Hit]) -> list[Hit]:
        terms = content_terms(question)
        matches = [label_match(terms, h.chunk.text, self.idf) for h in hits]
        scored = [
            replace(h, score=h.score + (self.boost * m if m >= self.min_match else 0.0))
            for h, m in zip(hits, matches, strict=True)
        ]
        return sorted(scored, key=lambda h: -h.score)


# Bullets and list marks that open a label line ("- 변경 가능한 운영환경: …", "∘ 키 합의: …").
_MARKS = "-–•∘▪∎·ꞏ○□◦*"
# A label's parts: a table row's hierarchy ("SW > Ubuntu 20.04 64-bit") or its cells.
_PARTS = re.compile(r"\s>\s|\|")
# A numbered item: "10", "4.2", "제3조", "7월", "10번" (its number, then an optional unit).
_ITEM = re.compile(r"^(?:제\s*)?(\d+(?:\.\d+)*)\s*(?:번|호|조|항|장|절|관|월|일|년)?[.)]?$")
_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)*(?![\d.])")


def label_named(question: str, text: str) -> float:
    """How much of ``question`` one line label of ``text`` (or one part of it: a table row's
    "SW > Ubuntu 20.04 64-bit" has two) spells out verbatim, spaces ignored: the longest such
    part's share of the question's characters; 0 when no label part of at least
    :data:`answer.tuning.LABEL_NAMED_MIN_CHARS` characters occurs in it (pure).

    A question naming a term exactly as a glossary line or a table row writes it ("변경 가능한
    운영환경은 어떻게 정의돼?" against "- 변경 가능한 운영환경: …") is asking about that line; its
    sibling ("- 변경 불가능한 운영환경: …") holds the same morphemes but not the same string."""
    asked = squashed(question)
    if not asked:
        return 0.0
    best = 0
    for label in labels(text):
        for part in _PARTS.split(label):
            named = squashed(part).lstrip(_MARKS)
            if len(named) >= LABEL_NAMED_MIN_CHARS and named in asked and len(named) > best:
                best = len(named)
    return best / len(asked)


def item_named(question: str, text: str) -> bool:
    """Whether a line label of ``text`` is a numbered item whose number ``question`` names: row
    "10 — …" for "목록 10번은?", "7월 — …" for "7월 토요일 …", "제3조: …" for "제3조에 따르면" (pure)."""
    numbers = set(_NUMBER.findall(question))
    if not numbers:
        return False
    for label in labels(text):
        for part in _PARTS.split(label):
            match = _ITEM.match(part.strip().lstrip(_MARKS).strip())
            if match and match.group(1) in numbers:
                return True
    return False
