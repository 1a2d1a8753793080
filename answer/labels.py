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
