"""Overprinted text: a run drawn twice at (nearly) one place kept once.

DTP and word-processor PDFs fake bold or a shadow by drawing the same text a second time,
offset by a fraction of a point (the Part 1 guide's chapter dividers draw each line twice, and
one copy's letter spacing may differ). Every extractor then reads the line twice, "10장 10장
자가시험 자가시험". Pure: words in content order in, the words without their second copies out.
"""

from __future__ import annotations

from collections.abc import Sequence

from ingest.layout.page import Word
from ingest.tuning import OFFSET_EM, RUN_OVERLAP, SIZE_TOLERANCE


def _runs(words: Sequence[Word]) -> list[list[int]]:
    """Indexes of words drawn one after another along one line, left to right."""
    runs: list[list[int]] = []
    for i, w in enumerate(words):
        if runs:
            prev = words[runs[-1][-1]]
            if abs(w.cy - prev.cy) < 0.5 * max(w.size, prev.size) and w.x0 >= prev.x0:
                runs[-1].append(i)
                continue
        runs.append([i])
    return runs


def _same_size(a: float, b: float) -> bool:
    return abs(a - b) <= SIZE_TOLERANCE * max(a, b)


def _overprints(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether span ``b`` (x0, x1, cy, size) lies on span ``a``."""
    ax0, ax1, acy, asize = a
    bx0, bx1, bcy, bsize = b
    if not _same_size(asize, bsize) or abs(acy - bcy) > OFFSET_EM * max(asize, bsize):
        return False
    shorter = min(ax1 - ax0, bx1 - bx0)
    overlap = min(ax1, bx1) - max(ax0, bx0)
    return shorter > 0 and overlap >= RUN_OVERLAP * shorter


def drop_overprint(words: Sequence[Word]) -> tuple[Word, ...]:
    """``words`` without text drawn again on itself: a run whose words repeat an earlier run's
    on the same line over most of its span, or a word repeating one at (nearly) its place."""
    seen_runs: dict[str, list[tuple[float, float, float, float]]] = {}
    seen_words: dict[str, list[Word]] = {}
    dropped: set[int] = set()
    for run in _runs(words):
        members = [words[i] for i in run]
        text = " ".join(w.text for w in members)
        span = (members[0].x0, members[-1].x1, members[0].cy, max(w.size for w in members))
        if any(_overprints(old, span) for old in seen_runs.get(text, ())):
            dropped.update(run)
            continue
        seen_runs.setdefault(text, []).append(span)
        for i, w in zip(run, members, strict=True):
            tol = OFFSET_EM * w.size
            if any(
                abs(o.cx - w.cx) <= tol and abs(o.cy - w.cy) <= tol and _same_size(o.size, w.size)
                for o in seen_words.get(w.text, ())
            ):
                dropped.add(i)
            else:
                seen_words.setdefault(w.text, []).append(w)
    if not dropped:
        return tuple(words)
    return tuple(w for i, w in enumerate(words) if i not in dropped)
