"""Cross-lingual questions: deciding one is, and finding its passages by their sentences.

An English question about a Korean report shares few words with it: BM25 on the question's own
words matches the report's stray English (a keyword line, a reference list, an abbreviation) and
outvotes the dense match, and a whole passage's vector dilutes the one sentence that answers. So
a question whose best dense matches are mostly in the other language is searched dense first,
with the passages of its best-matching stored sentences among the candidates, unless its
translation (the shipped glossary, the terms mined from the documents) covers most of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from answer.tuning import LANGUAGE_VOTES, MIN_OWN_VOTES
from reportqa.language import content_terms, detect_language
from reportqa.types import Chunk

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
# A question's Latin tokens as written: words, with the joiners of identifiers and numbers
# (HMAC_DRBG, RSA-PSS, X9.80-2020, EFP/EFT) kept inside.
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[_./\-][A-Za-z0-9]+)*")
_CAPITALS = re.compile(r"[A-Z]")
_JOINER = re.compile(r"[./\-]")  # Miller-Rabin is two names, each capitalised once
_ACRONYM_PLURAL = re.compile(r"^([A-Z][A-Z0-9]+)s$")  # SSPs, KATs, APIs


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


def vote_language(chunk: Chunk) -> str:
    """The language ``chunk`` votes for in :func:`passages_language`: its own
    (:func:`detect_language`), except that a passage of Latin letters mostly which still holds
    Korean words under Korean headings (code with Korean comments, a table of algorithm names,
    a reference list of Korean and English titles) votes Korean: it is part of a Korean text,
    and an English question about it is a question about Korean text. A passage without any
    Hangul votes English wherever it stands, and so does an English document quoting a Korean
    name (its headings are English). Pure."""
    own = detect_language(chunk.text)
    if own == "ko" or not _HANGUL.search(chunk.text):
        return own
    headings = " ".join(chunk.heading_path) or chunk.title
    return "ko" if headings and detect_language(headings) == "ko" else own


def shared_names(question: str) -> list[str]:
    """The index terms of the names an English ``question`` writes that a text in any language
    writes the same way: acronyms (RSAES, SEED, KAT; a plural "SSPs" as SSP), identifiers
    (HMAC_DRBG, PreSelfTest, entropy_health_test), numbered names (CFB128, X9.80-2020) and a
    number right after a name ("RSA-PSS 2048"), once each, in order. A Korean report writes
    them in Latin letters too, so its passages match them verbatim, which no glossary needs to
    know. A bare number ("fiscal 2022", "levels 3 and 4") is no name: a statement's date
    header or a running "Applicable Levels: 1, 2, 3, 4" line holds it. A question written all
    in capitals has no acronyms to tell apart. Pure."""
    letters = [c for c in question if c.isalpha()]
    shouting = bool(letters) and all(c.isupper() for c in letters)
    names: dict[str, None] = {}
    after_name = False
    for token in _TOKEN.findall(question):
        plural = _ACRONYM_PLURAL.match(token)
        word = plural.group(1) if plural else token
        number = not any(c.isalpha() for c in word)
        named = (
            (number and after_name)
            or (any(c.isdigit() for c in word) and not number)
            or "_" in word
            or (not shouting and any(len(_CAPITALS.findall(part)) >= 2 for part in _JOINER.split(word)))
        )
        if named:  # a lone letter (the X of "X9.80") names nothing by itself
            names.update(dict.fromkeys(t for t in content_terms(word) if len(t) > 1 or t.isdigit()))
        after_name = named and not number
    return list(names)


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
