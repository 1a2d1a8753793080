"""BM25 over Kiwi morphemes (Korean) and lower-cased words (Latin), with bm25s."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

import bm25s
import numpy as np

from index.tuning import BM25_B, BM25_K1
from reportqa.language import get_kiwi, keyword_terms

DIR_NAME = "bm25"
Tokenizer = Callable[[str], Sequence[str]]
# Morphemes that make up a Korean compound noun (nouns, noun prefixes and suffixes, roots).
_NOMINAL_TAGS = frozenset(("NNG", "NNP", "XPN", "XSN", "XR"))


def compound_nouns(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """``text``'s compound nouns: each run of two or more nominal morphemes with no space between
    them, as its lower-cased surface string and its morphemes (pure).

    Kiwi splits one compound differently by context ("잡음원" is one noun in a caption, 잡 + 음원
    in a question), so its surface string is what a question and a passage share."""
    text = unicodedata.normalize("NFC", text)
    tokens = get_kiwi().tokenize(text)
    compounds: list[tuple[str, tuple[str, ...]]] = []
    run: list = []
    for tok in [*tokens, None]:
        joined = tok is not None and tok.tag in _NOMINAL_TAGS and (
            not run or run[-1].start + run[-1].len == tok.start
        )
        if joined:
            run.append(tok)
            continue
        if len(run) >= 2:
            surface = text[run[0].start : run[-1].start + run[-1].len].lower()
            compounds.append((surface, tuple(t.form.lower() for t in run)))
        run = [tok] if tok is not None and tok.tag in _NOMINAL_TAGS else []
    return compounds


class KiwiBm25Index:
    """Lexical search whose rows line up with the vector store's."""

    def __init__(
        self, retriever: bm25s.BM25, size: int, tokenize: Tokenizer = keyword_terms
    ) -> None:
        self._retriever = retriever
        self._size = size
        self._tokenize = tokenize

    def __len__(self) -> int:
        return self._size

    @property
    def params(self) -> tuple[float, float]:
        """The (k1, b) this index was built with."""
        return float(getattr(self._retriever, "k1", BM25_K1)), float(getattr(self._retriever, "b", BM25_B))

    @classmethod
    def build(
        cls,
        texts: Sequence[str],
        tokenize: Tokenizer = keyword_terms,
        k1: float = BM25_K1,
        b: float = BM25_B,
    ) -> KiwiBm25Index:
        # An empty token list would break bm25s; an unmatched placeholder keeps rows aligned.
        corpus = [list(tokenize(t)) or ["\u2205"] for t in texts]
        retriever = bm25s.BM25(k1=k1, b=b)
        if corpus:
            retriever.index(corpus, show_progress=False)
        return cls(retriever, len(corpus), tokenize)

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Top ``k`` rows for ``query``; a term it repeats counts once, as in :meth:`ceiling`."""
        return self.search_terms(list(dict.fromkeys(self._tokenize(query))), k)

    def search_terms(self, terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        """Top ``k`` rows for already tokenised query ``terms`` (rows scoring 0 left out)."""
        terms = list(terms)
        k = min(k, self._size)
        if not terms or k <= 0:
            return []
        scores = np.asarray(self._retriever.get_scores(terms), dtype=np.float32)
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def idf(self, term: str) -> float:
        """BM25 inverse document frequency of ``term`` (an unseen term gets the maximum)."""
        col = self._retriever.vocab_dict.get(term) if self._size else None
        if col is None:
            return _idf(0, self._size)
        indptr = self._retriever.scores["indptr"]
        return _idf(int(indptr[col + 1] - indptr[col]), self._size)

    def ceiling(self, query: str, unseen_weight: float = 1.0) -> float:
        """The highest BM25 score any passage could reach for ``query``: Σ idf·(k1+1).

        ``unseen_weight`` scales the part of terms no passage contains (see
        :meth:`ceiling_groups`)."""
        return self.ceiling_terms(self._tokenize(query), unseen_weight)

    def ceiling_terms(self, terms: Sequence[str], unseen_weight: float = 1.0) -> float:
        """:meth:`ceiling` for already tokenised query ``terms``."""
        return self.ceiling_groups([[(t,)] for t in dict.fromkeys(terms)], unseen_weight)

    def ceiling_groups(
        self, groups: Sequence[Sequence[Sequence[str]]], unseen_weight: float = 1.0
    ) -> float:
        """:meth:`ceiling` of a query made of alternatives: per group, its best alternative.

        A term that occurs in no passage counts ``unseen_weight`` of its idf: no passage can
        match it, so it says little about which passage answers (a conversational question's
        "궁금해요", "당장"), only that the question is worded unlike the corpus."""
        k1 = float(getattr(self._retriever, "k1", 1.5))

        def weight(term: str) -> float:
            idf = self.idf(term)
            return idf if self.contains(term) else unseen_weight * idf

        return sum(
            max((sum(weight(t) for t in dict.fromkeys(alt)) for alt in group), default=0.0)
            for group in groups
        ) * (k1 + 1)

    def phrases(self, query: str, min_chars: int) -> list[tuple[str, float]]:
        """``query``'s compound nouns of at least ``min_chars`` characters (:func:`compound_nouns`),
        each with an idf: the joined form's where some passage holds it as one term, else its
        rarest part's."""
        out: list[tuple[str, float]] = []
        for surface, parts in compound_nouns(query):
            if len(surface) < min_chars:
                continue
            joined = "".join(parts)
            idf = self.idf(joined) if self.contains(joined) else max(self.idf(p) for p in parts)
            out.append((surface, idf))
        return out

    def contains(self, term: str) -> bool:
        """Whether some passage contains ``term``."""
        return bool(self._size) and term in self._retriever.vocab_dict

    def save(self, directory: Path) -> None:
        if self._size:
            self._retriever.save(str(directory / DIR_NAME))

    @classmethod
    def load(cls, directory: Path, size: int) -> KiwiBm25Index:
        if size == 0:
            return cls(bm25s.BM25(), 0)
        return cls(bm25s.BM25.load(str(directory / DIR_NAME), mmap=True), size)


def _idf(df: int, n: int) -> float:
    return float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))
