"""Bilingual glossary: question words in one language → the index terms of the other.

English questions about Korean documents share no words with them (and Korean questions about
English documents none with those), so BM25 finds nothing and the dense model alone decides (and
the small multilingual model misses loose paraphrases). The glossary turns the phrases it knows
into search terms of the other language, tokenised like the index.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from answer.crosslingual import shared_names
from index.store import DocumentRecord
from reportqa.errors import ConfigError
from reportqa.language import content_terms, detect_language, english_stems
from reportqa.settings import GENERAL_GLOSSARY, Settings

# Words as english_stems splits them, so positions line up with its stems.
_LATIN_WORD = re.compile(r"[A-Za-z0-9]+")

Phrase = tuple[str, ...]


def mined_terms(documents: Iterable[DocumentRecord]) -> list[tuple[str, str]]:
    """The (Korean, English) terms mined at ingest from every document of an index
    (``DocumentRecord.meta["terms"]``, see index/builder.py), once each."""
    pairs: dict[tuple[str, str], None] = {}
    for record in documents:
        for pair in record.meta.get("terms", ()):
            if len(pair) == 2:
                pairs[(str(pair[0]), str(pair[1]))] = None
    return list(pairs)


Table = tuple[dict[tuple[str, ...], tuple[str, ...]], int]  # run → its values, longest run


class Glossary:
    """English phrases (as word stems) mapped to Korean terms; built by :meth:`parse`."""

    def __init__(self) -> None:
        self.entries: dict[Phrase, tuple[str, ...]] = {}
        self.longest = 0  # words in the longest phrase
        self.english: dict[Phrase, str] = {}  # each phrase as first written
        self._terms: dict[str, tuple[str, ...]] = {}
        # Phrases only the general word list knows (:meth:`add_general`): they translate the
        # words the other entries leave.
        self.general: set[Phrase] = set()
        # The lookup tables (English phrases, then Korean index-term runs → English phrases),
        # each the other entries first and the general ones second; built on first use and
        # published as one tuple, so a concurrent reader never sees half of them.
        self._tables: tuple[tuple[Table, Table], tuple[Table, Table]] | None = None
        # How many passages hold an index term (counted to 2), when the names an English question
        # shares with the documents (:func:`shared_names`) join its translation
        # (:func:`with_shared_names`).
        self.names: Callable[[str], int] | None = None

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, phrase: Phrase, korean: Iterable[str], english: str | None = None) -> None:
        """Map ``phrase`` to the Korean terms ``korean`` too (after those it already has);
        ``english``: the phrase as written (default: its stems joined)."""
        self.entries[phrase] = tuple(dict.fromkeys([*self.entries.get(phrase, ()), *korean]))
        self.general.discard(phrase)
        self.english.setdefault(phrase, english if english is not None else " ".join(phrase))
        self.longest = max(self.longest, len(phrase))
        self._tables = None

    @classmethod
    def parse(cls, text: str, source: str = "<glossary>") -> Glossary:
        """Read ``korean<TAB>english; english …`` lines; ``#`` starts a comment line."""
        glossary = cls()
        for lineno, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            korean, sep, english = raw.partition("\t")
            if not sep or not korean.strip() or not english.strip():
                raise ConfigError(
                    f"{source}, line {lineno}: expected 'Korean term<TAB>English; English', "
                    f"got {raw!r}. Separate the Korean term from its English equivalents with "
                    "one tab, and the English equivalents from each other with ';'."
                )
            for phrase in english.split(";"):
                stems = english_stems(phrase)
                if stems:
                    glossary.add(stems, [korean.strip()], phrase.strip())
        return glossary

    @classmethod
    def load(cls, paths: Iterable[Path]) -> Glossary:
        """Merge the glossary files at ``paths`` (later files add to earlier ones)."""
        merged = cls()
        for path in paths:
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(
                    f"Cannot read the glossary {path}: {exc.strerror or exc}. Check REPORTQA_GLOSSARY."
                ) from exc
            except UnicodeDecodeError as exc:
                raise ConfigError(f"The glossary {path} is not UTF-8 text ({exc.reason}).") from exc
            parsed = cls.parse(text, str(path))
            for phrase, terms in parsed.entries.items():
                merged.add(phrase, terms, parsed.english[phrase])
        return merged

    def add_terms(self, pairs: Iterable[Sequence[str]], fill_gaps: bool = False) -> None:
        """Add (Korean, English) pairs, e.g. the terms mined from the indexed documents.

        ``fill_gaps``: skip a pair whose English or Korean side the glossary already translates
        word for word (the shipped entries stay in charge of what they know; a long mined
        phrase would otherwise swallow their shorter matches, longest first)."""
        pairs = list(pairs)
        known = (
            {(k, e) for k, e in pairs if self._covers(k, e)} if fill_gaps and len(self) else set()
        )
        for korean, english in pairs:
            stems = english_stems(english)
            if stems and korean.strip() and (korean, english) not in known:
                self.add(stems, [korean.strip()], english.strip())

    def add_general(self, general: Glossary, known: Callable[[str], bool] | None = None) -> None:
        """Add the phrases of ``general`` (a general-purpose word list) this glossary does not
        know, as :attr:`general` ones: they are looked up only among the words its own phrases
        leave (so "fiscal year" of the general list never swallows a known "year"), and a
        phrase it knows keeps its own Korean terms alone. ``known(term)``: whether the index
        holds an index term; a Korean equivalent with a term it lacks is left out (it could
        match nothing, and would only make the passages look less covered), and so is a phrase
        left without any."""
        for phrase, koreans in general.entries.items():
            if phrase in self.entries:
                continue
            kept = [k for k in koreans if known is None or all(known(t) for t in self._index_terms(k))]
            if kept:
                self.add(phrase, kept, general.english[phrase])
                self.general.add(phrase)
        self._tables = None

    def _lookup_tables(self) -> tuple[tuple[Table, Table], tuple[Table, Table]]:
        """(own, general) tables of English phrases → Korean terms, and of Korean index-term
        runs → the English phrases (as written) that stand for them (a run one of the
        glossary's own phrases stands for is never in the general table); built on first use
        (it tokenises every Korean entry)."""
        built = self._tables
        if built is None:
            english: tuple[dict[Phrase, tuple[str, ...]], dict[Phrase, tuple[str, ...]]] = ({}, {})
            reverse: tuple[dict[tuple[str, ...], dict[str, None]], ...] = ({}, {})
            for phrase, koreans in self.entries.items():
                side = int(phrase in self.general)
                english[side][phrase] = koreans
                for korean in koreans:
                    key = self._index_terms(korean)
                    if key:
                        reverse[side].setdefault(key, {})[self.english[phrase]] = None
            for key in list(reverse[1]):
                if key in reverse[0]:
                    del reverse[1][key]

            def table(d: dict[tuple[str, ...], tuple[str, ...]]) -> Table:
                return d, max((len(k) for k in d), default=0)

            built = self._tables = (
                (table(english[0]), table(english[1])),
                (table({k: tuple(v) for k, v in reverse[0].items()}), table({k: tuple(v) for k, v in reverse[1].items()})),
            )
        return built

    def _covers(self, korean: str, english: str) -> bool:
        stems = english_stems(english)
        covered = sum(n for _, n, _ in self._english_spans(stems))
        if stems and covered == len(stems):
            return True
        terms = self._index_terms(korean)
        hit = sum(n for _, n, _ in self._korean_spans(terms))
        return bool(terms) and hit == len(terms)

    def _english_spans(self, stems: Sequence[str]) -> list[Span]:
        return segments(stems, self._lookup_tables()[0])

    def _korean_spans(self, terms: Sequence[str]) -> list[Span]:
        return segments(terms, self._lookup_tables()[1])

    def phrase_positions(self, stems: Sequence[str]) -> set[int]:
        """The positions of ``stems`` inside known phrases (as :meth:`matches` finds them)."""
        return {i + j for i, n, _ in self._english_spans(stems) for j in range(n)}

    def translate(self, question: str) -> list[list[tuple[str, ...]]]:
        """For each English phrase of ``question`` the glossary knows (longest match first), the
        index terms of each of its Korean equivalents: one group per phrase, one tuple per
        alternative (one alternative found in a passage is a full match of the phrase).

        With :attr:`names` set, the names the question writes as a Korean text would too
        (:func:`shared_names`: RSAES, HMAC_DRBG, CFB128) that the index holds join it: one
        inside a known phrase as one more alternative of that phrase's group (BM25's ceiling
        counts the group once), and only when two passages or more hold it (a name the
        documents write once is the gloss the phrase's Korean already stands for: "영문 약칭은
        GBSA"); any other as a group of its own. The translation then searches "오류 코드 실패 rsae" together, where
        the question's own words (the other BM25 run) match the name but not the translated
        words."""
        stems = english_stems(question)
        spans = self._english_spans(stems)
        groups: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for _, _, alternatives in spans:
            if alternatives not in groups:
                groups[alternatives] = [terms for korean in alternatives if (terms := self._index_terms(korean))]
        if self.names is None or detect_language(question) != "en":
            return list(groups.values())
        holding = self.names
        seen = {t for group in groups.values() for alt in group for t in alt}
        own: list[list[tuple[str, ...]]] = []
        for name in shared_names(question):
            if name in seen:
                continue
            owner = next((k for i, n, k in spans if _stem(name) in stems[i : i + n]), None)
            if holding(name) >= (1 if owner is None else 2):
                seen.add(name)
                if owner is None:
                    own.append([(name,)])
                else:
                    groups[owner].append((name,))
        return [*groups.values(), *own]

    def translate_korean(self, question: str) -> list[list[tuple[str, ...]]]:
        """:meth:`translate` the other way: for each Korean term run of ``question`` the glossary
        knows (longest first), the English index terms of each of its English equivalents."""
        groups = dict.fromkeys(english for _, _, english in self._korean_spans(content_terms(question)))
        return [
            list(dict.fromkeys(t for phrase in english if (t := self._index_terms(phrase))))
            for english in groups
        ]

    def coverage(self, question: str) -> float:
        """The share of ``question``'s content words its translation accounts for: English
        content words (function words such as "what", "the", "of" left out) inside known phrases
        (:meth:`translate`), or Korean index terms (content morphemes) inside known runs
        (:meth:`translate_korean`); 0 for a question without them. Near 1 the translated
        question is about as good a search as the question in the other language; near 0 it is
        a stray term or two. The general word list's phrases count like the others (counting
        them sends fewer English questions dense first: docs/crosslingual.md)."""
        if detect_language(question) == "en":
            words = _LATIN_WORD.findall(question)
            content = [i for i, w in enumerate(words) if content_terms(w)]
            covered = self.phrase_positions(tuple(_stem(w) for w in words))
            return len(covered & set(content)) / len(content) if content else 0.0
        terms = content_terms(question)
        hit = sum(n for _, n, _ in self._korean_spans(terms))
        return hit / len(terms) if terms else 0.0

    def korean_terms(self, question: str) -> list[str]:
        """Every Korean index term of :meth:`translate`, once each, in order."""
        return list(dict.fromkeys(t for group in self.translate(question) for alt in group for t in alt))

    def matches(self, stems: Sequence[str]) -> list[tuple[str, ...]]:
        """The Korean alternatives of each phrase found in ``stems``, in order, without repeats.

        At each position the longest known phrase wins and its words are consumed; phrases
        only the general word list knows are looked up among the words left (:func:`segments`).
        """
        return list(dict.fromkeys(korean for _, _, korean in self._english_spans(stems)))

    def _index_terms(self, text: str) -> tuple[str, ...]:
        # Either side is tokenised as the index tokenises passages, so the terms match.
        if text not in self._terms:
            self._terms[text] = content_terms(text)
        return self._terms[text]


Span = tuple[int, int, tuple[str, ...]]  # first position, length, the value found


def segments(seq: Sequence[str], tables: Sequence[Table]) -> list[Span]:
    """The runs of ``seq`` the ``tables`` know, in order of position: the first table's runs
    (at each position its longest one, whose items are consumed), then the next table's among
    the items left, and so on. Pure."""
    taken = [False] * len(seq)
    found: list[Span] = []
    for table, longest in tables:
        i = 0
        while i < len(seq):
            n = next(
                (
                    n for n in range(min(longest, len(seq) - i), 0, -1)
                    if not any(taken[i : i + n]) and tuple(seq[i : i + n]) in table
                ),
                0,
            )
            if n:
                found.append((i, n, table[tuple(seq[i : i + n])]))
                taken[i : i + n] = [True] * n
            i += n or 1
    return sorted(found, key=lambda span: span[0])


def _stem(word: str) -> str:
    stems = english_stems(word)
    return stems[0] if stems else ""


def with_general_words(
    glossary: Glossary | None, settings: Settings, known: Callable[[str], bool] | None = None
) -> Glossary | None:
    """``glossary`` (the shipped, your own and the mined terms; None: none of them) with the
    general word list (:data:`GENERAL_GLOSSARY`) added after its own entries, those whose
    Korean terms the index holds (``known``; :meth:`Glossary.add_general`), when
    ``settings.general_glossary`` is on."""
    if not settings.general_glossary:
        return glossary
    merged = glossary if glossary is not None else Glossary()
    merged.add_general(_general_glossary(), known)
    return merged if len(merged) else None


def with_shared_names(
    glossary: Glossary | None, search_terms: Callable[[Sequence[str], int], Sequence[object]] | None, on: bool = True
) -> Glossary | None:
    """``glossary`` translating an English question's shared names too (:attr:`Glossary.names`:
    the acronyms, identifiers and numbered names it writes that the index holds), when ``on``
    (``settings.cross_shared_names``) and there is a glossary and an index to ask.
    ``search_terms``: the index's BM25 search by index terms (``KiwiBm25Index.search_terms``),
    which says how many passages hold a name."""
    if glossary is not None and search_terms is not None and on:
        glossary.names = lambda term: len(search_terms([term], 2))
    return glossary


_general: Glossary | None = None


def _general_glossary() -> Glossary:
    """The general word list, parsed once per process (callers only read it)."""
    global _general
    if _general is None:
        _general = Glossary.load([GENERAL_GLOSSARY])
    return _general
