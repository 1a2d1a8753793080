"""Cross-lingual questions: deciding one is, and finding its passages by their sentences.

An English question about a Korean report shares few words with it: BM25 on the question's own
words matches the report's stray English (a keyword line, a reference list, an abbreviation) and
outvotes the dense match, and a whole passage's vector dilutes the one sentence that answers. So
a question whose best dense matches are mostly in the other language is searched dense first,
with the passages of its best-matching stored sentences among the candidates, unless its
translation (the shipped glossary, the terms mined from the documents) covers most of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from answer.tuning import LANGUAGE_VOTES, MIN_OWN_VOTES
from reportqa.language import detect_language


def passages_language(
    question: str,
    ranking: Sequence[tuple[int, float]],
    language_of: Callable[[int], str],
    votes: int = LANGUAGE_VOTES,
) -> str:
    """The language most of the best ``votes`` passages of ``ranking`` are in (ties: the
    question's own, so a split vote keeps the question's words in charge), or the question's own
    when it holds :data:`MIN_OWN_VOTES` of them or ``ranking`` is empty. Pure, given
    ``language_of``."""
    own = detect_language(question)
    counts: dict[str, int] = {}
    for row, _ in ranking[:votes]:
        lang = language_of(row)
        counts[lang] = counts.get(lang, 0) + 1
    if not counts:
        return own
    best = max(counts.values())
    if counts.get(own, 0) == best or counts.get(own, 0) >= min(MIN_OWN_VOTES, len(ranking[:votes])):
        return own
    return max(counts, key=lambda lang: counts[lang])


def best_sentence_rows(
    sentence_vectors: np.ndarray, sentence_offsets: np.ndarray, query: np.ndarray, k: int
) -> list[tuple[int, float]]:
    """The ``k`` passages whose best stored sentence is closest to ``query`` (cosine), best
    first, each with that cosine. ``sentence_vectors[sentence_offsets[i]:sentence_offsets[i+1]]``
    are passage i's; an index without sentence vectors gives []. Pure."""
    if k <= 0 or len(sentence_vectors) == 0 or len(sentence_offsets) < 2:
        return []
    cosines = np.asarray(sentence_vectors @ query.astype(sentence_vectors.dtype), dtype=np.float32)
    sizes = np.diff(np.asarray(sentence_offsets))
    rows = np.repeat(np.arange(len(sizes)), sizes)
    best = np.full(len(sizes), -np.inf, dtype=np.float32)
    np.maximum.at(best, rows, cosines)
    top = np.argsort(-best, kind="stable")[:k]
    return [(int(r), float(best[r])) for r in top if np.isfinite(best[r])]


def dense_first(coverage: float, low: float, high: float) -> float:
    """How far a cross-lingual question is fused dense first (1) or as usual (0), by the share
    of its words its translation covers (:meth:`Glossary.coverage`): a translation of at most
    ``low`` of the question is a stray term or two (BM25 on it ranks whatever mentions them),
    one of ``high`` or more searches about as well as a question in the other language;
    linear between. Pure."""
    if coverage <= low:
        return 1.0
    if coverage >= high or high <= low:
        return 0.0
    return (high - coverage) / (high - low)
