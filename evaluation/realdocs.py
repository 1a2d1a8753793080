"""Scoring questions about real documents: which passage holds the evidence, on which page.

Pure functions shared by ``benchmarks/realdocs.py`` and its tests. A question of
``data/eval/realdocs.jsonl`` names its document (file name), the page its answer is on, gold
answers and evidence snippets; a passage is *relevant* when it is of that document and holds every
evidence snippet (all whitespace ignored, NUL removed, NFC), so a table row counts only when its
label and its value come out together. A snippet copied from a table row as the page prints it
("ARIA 128 128/192/256") also counts when its words stand in that order with at most
:data:`ROW_GAP` characters between neighbours, each gap holding a row separator, as a row written
with its column labels has them ("ARIA — 인증값 최대 길이: 128; 키 길이: 128/192/256").
"""

from __future__ import annotations

import json
import statistics
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation.metrics import contains_answer


def squash(text: str) -> str:
    """``text`` in NFC with every whitespace character and NUL removed (for containment tests)."""
    return "".join(unicodedata.normalize("NFC", text.replace("\x00", " ")).split())


@dataclass(frozen=True)
class RealQuestion:
    """One row of ``data/eval/realdocs.jsonl``."""

    id: str
    question: str
    language: str
    document: str
    page: int | None
    answers: tuple[str, ...]
    evidence: tuple[str, ...]
    answerable: bool
    type: str
    crosslingual: bool
    split: str


def load_questions(path: Path) -> list[RealQuestion]:
    """Read the question file; raises ValueError naming the line for a malformed row."""
    rows: list[RealQuestion] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            rows.append(
                RealQuestion(
                    id=str(obj["id"]),
                    question=str(obj["question"]),
                    language=str(obj.get("language") or "ko"),
                    document=str(obj.get("document") or ""),
                    page=int(obj["page"]) if obj.get("page") is not None else None,
                    answers=tuple(obj.get("answers") or ()),
                    evidence=tuple(obj.get("evidence") or ()),
                    answerable=bool(obj.get("answerable", True)),
                    type=str(obj.get("type") or "fact"),
                    crosslingual=bool(obj.get("crosslingual", False)),
                    split=str(obj.get("split") or "tune"),
                )
            )
        except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}:{lineno}: malformed question row ({exc})") from exc
    return rows


@dataclass(frozen=True)
class Passage:
    """A retrieved passage as the scorer sees it: its document, page and full text."""

    document: str
    page: int | None
    text: str  # what the retriever indexed: context (table header) + passage text


# The most characters (whitespace removed) a row written with its labels puts between two
# cells that stand side by side on the page: a column label with its separators
# ("; 중요 보안매개변수 > 공개 보안매개변수: " is 19). Chosen on the tuning rows (session 8):
# at 20 one s8 raw-row snippet (rd-376) is still refused; 40 and 60 accept the same passages.
ROW_GAP = 40
# What a labelled row puts between two cells (ingest/layout/tables.py writes "label — column:
# value; …", header groups with " > ", header rows with " | "); a gap without one is other text.
ROW_SEPARATORS = frozenset("—:;>|")


def words_in_order(snippet: str, hay: str, gap: int = ROW_GAP) -> bool:
    """Whether ``snippet``'s words occur in ``hay`` (already :func:`squash`-ed) in order, each at
    most ``gap`` characters after the previous one ends, with a row separator
    (:data:`ROW_SEPARATORS`) in every gap that is not empty (pure)."""
    words = [squash(w) for w in snippet.split()]
    words = [w for w in words if w]
    if not words:
        return True

    def from_word(i: int, lo: int, hi: int) -> bool:
        start = hay.find(words[i], lo)
        while start != -1 and start <= hi:
            end = start + len(words[i])
            if i and start > lo and not ROW_SEPARATORS.intersection(hay[lo:start]):
                start = hay.find(words[i], start + 1)
                continue
            if i + 1 == len(words) or from_word(i + 1, end, end + gap):
                return True
            start = hay.find(words[i], start + 1)
        return False

    return from_word(0, 0, len(hay))


def holds_snippet(snippet: str, hay: str, strict: bool = False) -> bool:
    """Whether squashed ``hay`` holds ``snippet``: verbatim, or (unless ``strict``) its words in
    order as a labelled table row writes them (:func:`words_in_order`). Pure."""
    return squash(snippet) in hay or (not strict and words_in_order(snippet, hay))


def is_relevant(passage: Passage, q: RealQuestion, strict: bool = False) -> bool:
    """Whether ``passage`` is of ``q``'s document and holds every evidence snippet
    (:func:`holds_snippet`; ``strict``: verbatim only, the rule before session 8)."""
    if not q.evidence or passage.document != q.document:
        return False
    hay = squash(passage.text)
    return all(holds_snippet(e, hay, strict) for e in q.evidence if e.strip())


def answer_contains(text: str, q: RealQuestion) -> bool:
    """Whether an answer text holds the gold answer (any listed form counts)."""
    return contains_answer(text, list(q.answers))


@dataclass
class Outcome:
    """One system's result on one question."""

    ranked: list[Passage]
    answer: str | None = None  # None: the system gives passages only
    refused: bool = False
    cited: Passage | None = None  # the passage the answer cites first (None: the top passage)


@dataclass
class Scores:
    """Aggregates over a set of questions (answerable ones for the retrieval metrics)."""

    n: int = 0
    hit1: float = 0.0
    hit4: float = 0.0
    hit5: float = 0.0
    containment: float = 0.0
    page_right: float = 0.0
    refused_unanswerable: float = 0.0
    refused_answerable: float = 0.0
    table_containment: float = 0.0
    crosslingual_containment: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


def _mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def score(questions: Sequence[RealQuestion], outcomes: Sequence[Outcome], strict: bool = False) -> Scores:
    """Hit@1/4/5 and page accuracy over answerable questions; containment of the answer (or of the
    top passage for a system without answers); refusal rates of both kinds. ``strict``: the
    verbatim evidence rule of :func:`is_relevant`."""
    answerable = [(q, o) for q, o in zip(questions, outcomes, strict=True) if q.answerable]
    unanswerable = [(q, o) for q, o in zip(questions, outcomes, strict=True) if not q.answerable]

    def hit(o: Outcome, q: RealQuestion, k: int) -> float:
        return 1.0 if any(is_relevant(p, q, strict) for p in o.ranked[:k]) else 0.0

    def contained(o: Outcome, q: RealQuestion) -> float:
        if o.refused:
            return 0.0
        text = o.answer if o.answer is not None else (o.ranked[0].text if o.ranked else "")
        return 1.0 if answer_contains(text, q) else 0.0

    def page_ok(o: Outcome, q: RealQuestion) -> float:
        cited = o.cited if o.answer is not None else (o.ranked[0] if o.ranked else None)
        if o.refused or cited is None:
            return 0.0
        return 1.0 if (cited.document, cited.page) == (q.document, q.page) else 0.0

    tables = [(q, o) for q, o in answerable if q.type == "table"]
    cross = [(q, o) for q, o in answerable if q.crosslingual]
    return Scores(
        n=len(questions),
        hit1=_mean([hit(o, q, 1) for q, o in answerable]),
        hit4=_mean([hit(o, q, 4) for q, o in answerable]),
        hit5=_mean([hit(o, q, 5) for q, o in answerable]),
        containment=_mean([contained(o, q) for q, o in answerable]),
        page_right=_mean([page_ok(o, q) for q, o in answerable]),
        refused_unanswerable=_mean([1.0 if o.refused else 0.0 for _, o in unanswerable]),
        refused_answerable=_mean([1.0 if o.refused else 0.0 for _, o in answerable]),
        table_containment=_mean([contained(o, q) for q, o in tables]),
        crosslingual_containment=_mean([contained(o, q) for q, o in cross]),
        counts={
            "answerable": len(answerable),
            "unanswerable": len(unanswerable),
            "table": len(tables),
            "crosslingual": len(cross),
        },
    )


def passage_stats(texts: Sequence[str]) -> dict[str, Any]:
    """Count, median characters and how many are fragments (under 20 characters)."""
    lengths = [len(t.strip()) for t in texts]
    return {
        "passages": len(lengths),
        "median_chars": int(statistics.median(lengths)) if lengths else 0,
        "under_20_chars": sum(1 for n in lengths if n < 20),
    }
