"""English questions about Korean documents, translated by the documents' own vocabulary.

The index keeps every Korean noun and compound of its documents with its query embedding
(index/lexicon.py). An English question's content words and their runs of two or three
("short-term borrowings") are embedded the same way and each looks up its nearest Korean terms;
those close enough become search terms, as a glossary's would (answer/glossary.py). Raw cosines
of single words sit in a narrow band (0.80–0.87 for related and unrelated pairs alike: the
model's common direction), so both sides are compared after subtracting the lexicon's mean
vector, which also demotes the "hub" terms close to everything (상태, 사항).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from answer.crosslingual import passages_language
from answer.glossary import Glossary, with_general_words, with_shared_names
from answer.tuning import LANGUAGE_VOTES
from index.lexicon import Lexicon, query_embedder
from index.store import ReportIndex
from reportqa.language import content_terms, detect_language
from reportqa.protocols import Embedder
from reportqa.settings import Settings

Groups = list[list[tuple[str, ...]]]
EmbedMany = Callable[[Sequence[str]], np.ndarray]

# Latin words as written, with inner hyphens and apostrophes ("short-term", "Samsung's").
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'’][A-Za-z0-9]+)*")
# Words content_terms keeps that name nothing a document holds (the question's frame).
_QUESTION_WORDS = frozenset(
    ["many", "much", "long", "often", "give", "given", "gives", "take", "takes", "get", "got", "mean", "means", "meant", "say", "says", "said", "kind", "kinds", "type", "one", "ones", "way", "ways", "thing", "things", "called", "call", "also", "just", "only"]
)


def content_words(question: str) -> list[tuple[str, bool]]:
    """Each Latin word of ``question`` and whether it carries content (not a function word,
    not a question's frame word such as "many" or "mean"). Pure."""
    words = []
    for word in _WORD.findall(question):
        bare = re.sub(r"['’]s$", "", word)
        words.append((bare, bool(content_terms(bare)) and bare.lower() not in _QUESTION_WORDS))
    return words


def question_ngrams(question: str, longest: int) -> list[tuple[str, int, int]]:
    """Runs of 1..``longest`` consecutive content words of ``question`` as (text, first word,
    end word) over :func:`content_words`' positions, shortest first. Pure."""
    words = content_words(question)
    grams: list[tuple[str, int, int]] = []
    for n in range(1, longest + 1):
        for i in range(len(words) - n + 1):
            span = words[i : i + n]
            if all(ok for _, ok in span):
                grams.append((" ".join(w for w, _ in span), i, i + n))
    return grams


def centred(vectors: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """``vectors`` minus ``mean``, each row scaled to unit length (float32). Pure."""
    out = np.asarray(vectors, dtype=np.float32) - mean
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return out / norms


def nearest_terms(
    queries: np.ndarray, lexicon: np.ndarray, min_cosine: float, top: int
) -> list[list[tuple[int, float]]]:
    """For each (centred) query row, the (centred) ``lexicon`` rows with cosine at least
    ``min_cosine``, best first, at most ``top``. Pure."""
    if len(queries) == 0 or len(lexicon) == 0 or top <= 0:
        return [[] for _ in range(len(queries))]
    cosines = queries @ lexicon.T
    k = min(top, cosines.shape[1])
    best = np.argpartition(-cosines, k - 1, axis=1)[:, :k]
    found = []
    for row, cols in zip(cosines, best, strict=True):
        ranked = sorted(((int(c), float(row[c])) for c in cols), key=lambda cs: -cs[1])
        found.append([(c, s) for c, s in ranked if s >= min_cosine])
    return found


class InducedLexiconGlossary(Glossary):
    """A :class:`Glossary` that also translates an English question's words by the nearest
    Korean terms of the indexed documents (their induced lexicon).

    ``embed_many``: query embeddings of texts (the index's embedder). ``wanted(question)``:
    whether to look the question up at all (the pipeline: an English question whose best
    dense matches are mostly Korean), since embedding its words costs a model call."""

    def __init__(
        self,
        base: Glossary | None,
        lexicon: Lexicon,
        embed_many: EmbedMany,
        wanted: Callable[[str], bool] | None = None,
        min_cosine: float = 0.4,
        alternatives: int = 1,
        longest: int = 2,
        cache_size: int = 256,
    ) -> None:
        super().__init__()
        if base is not None:
            self.entries, self.longest, self.english = base.entries, base.longest, base.english
            self.general = base.general
            self.names = base.names
        vectors = np.asarray(lexicon.vectors, dtype=np.float32)
        self._mean = vectors.mean(axis=0) if len(vectors) else np.zeros(0, dtype=np.float32)
        self._lexicon = centred(vectors, self._mean) if len(vectors) else vectors
        self._korean = [content_terms(t) for t in lexicon.terms]
        self._embed_many = embed_many
        self._wanted = wanted
        self.min_cosine = min_cosine
        self.alternatives = alternatives
        self.ngram_words = longest
        self._cache: OrderedDict[str, list[tuple[int, int, tuple[tuple[str, ...], ...]]]] = OrderedDict()
        self._cache_size = cache_size  # questions whose lookups are kept
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return max(1, len(self.entries))  # never "empty": the lexicon translates without entries

    def induced(self, question: str) -> list[tuple[int, int, tuple[tuple[str, ...], ...]]]:
        """(first word, end word, Korean index-term alternatives) of each run of the question's
        content words the lexicon matches; [] for a question not :attr:`wanted`."""
        if detect_language(question) != "en" or not len(self._lexicon):
            return []
        if self._wanted is not None and not self._wanted(question):
            return []
        with self._lock:
            if question in self._cache:
                self._cache.move_to_end(question)
                return self._cache[question]
        grams = question_ngrams(question, self.ngram_words)
        found: list[tuple[int, int, tuple[tuple[str, ...], ...]]] = []
        if grams:
            queries = centred(self._embed_many([g for g, _, _ in grams]), self._mean)
            for (_, i, j), rows in zip(
                grams, nearest_terms(queries, self._lexicon, self.min_cosine, self.alternatives), strict=True
            ):
                alternatives = tuple(dict.fromkeys(self._korean[r] for r, _ in rows if self._korean[r]))
                if alternatives:
                    found.append((i, j, alternatives))
        with self._lock:
            self._cache[question] = found
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return found

    def translate(self, question: str) -> Groups:
        groups = super().translate(question)
        seen = {alt for group in groups for alt in group}
        for _, _, alternatives in self.induced(question):
            fresh = [alt for alt in alternatives if alt not in seen]
            if fresh:
                groups.append(fresh)
                seen.update(fresh)
        return groups


def cross_lingual_vote(
    rank: Callable[[str, int], Sequence[tuple[int, float]]], language_of: Callable[[int], str]
) -> Callable[[str], bool]:
    """Whether most of a question's best dense matches (``rank``) are in the other language
    (:func:`answer.crosslingual.passages_language`), as the hybrid retriever decides."""

    def wanted(question: str) -> bool:
        ranking = rank(question, LANGUAGE_VOTES)
        return bool(ranking) and passages_language(question, ranking, language_of) != detect_language(question)

    return wanted


def with_induced_lexicon(
    glossary: Glossary | None,
    index: ReportIndex,
    encode: Callable[[str], np.ndarray],
    embedder: Embedder,
    settings: Settings,
) -> Glossary | None:
    """``glossary`` with the general word list (:func:`with_general_words`, unless
    ``settings.general_glossary`` is off), that also translates by ``index``'s induced lexicon
    when it has one and ``settings.lexicon`` is on. (Every place that loads a glossary for
    questions comes through here.)"""
    keyword = getattr(index, "keyword", None)
    known = keyword.contains if keyword is not None else None
    search_terms = keyword.search_terms if keyword is not None else None
    glossary = with_shared_names(with_general_words(glossary, settings, known), search_terms, settings.cross_shared_names)
    lexicon = getattr(index, "lexicon", None)
    if not settings.lexicon or lexicon is None or not len(lexicon):
        return glossary
    languages: dict[int, str] = {}

    def language_of(row: int) -> str:
        if row not in languages:
            languages[row] = detect_language(index.chunks[row].text)
        return languages[row]

    wanted = cross_lingual_vote(lambda q, k: index.vectors.search(encode(q), k), language_of)
    return InducedLexiconGlossary(
        glossary, lexicon, query_embedder(embedder), wanted,
        settings.lexicon_min_cosine, settings.lexicon_alternatives, settings.lexicon_ngram_words,
    )
