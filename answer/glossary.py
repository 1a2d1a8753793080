"""Bilingual glossary: question words in one language → the index terms of the other.

English questions about Korean documents share no words with them (and Korean questions about
English documents none with those), so BM25 finds nothing and the dense model alone decides (and
the small multilingual model misses loose paraphrases). The glossary turns the phrases it knows
into search terms of the other language, tokenised like the index.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from index.store import DocumentRecord
from reportqa.errors import ConfigError
from reportqa.language import content_terms, detect_language, english_stems

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


class Glossary:
    """English phrases (as word stems) mapped to Korean terms; built by :meth:`parse`."""

    def __init__(self) -> None:
        self.entries: dict[Phrase, tuple[str, ...]] = {}
        self.longest = 0  # words in the longest phrase
        self.english: dict[Phrase, str] = {}  # each phrase as first written
        self._terms: dict[str, tuple[str, ...]] = {}
        # Korean index-term runs → English phrases, and the longest run; built on first use and
        # published as one tuple, so a concurrent reader never sees half of it.
        self._reverse: tuple[dict[tuple[str, ...], tuple[str, ...]], int] | None = None

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, phrase: Phrase, korean: Iterable[str], english: str | None = None) -> None:
        """Map ``phrase`` to the Korean terms ``korean`` too (after those it already has);
        ``english``: the phrase as written (default: its stems joined)."""
        self.entries[phrase] = tuple(dict.fromkeys([*self.entries.get(phrase, ()), *korean]))
        self.english.setdefault(phrase, english if english is not None else " ".join(phrase))
        self.longest = max(self.longest, len(phrase))
        self._reverse = None

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

    def _covers(self, korean: str, english: str) -> bool:
        stems = english_stems(english)
        covered = sum(len(p) for p in self._phrases_in(stems))
        if stems and covered == len(stems):
            return True
        reverse, longest = self._reverse_entries()
        terms = self._index_terms(korean)
        i = hit = 0
        while i < len(terms):
            n = next((n for n in range(min(longest, len(terms) - i), 0, -1) if tuple(terms[i : i + n]) in reverse), 0)
            hit += n
            i += n or 1
        return bool(terms) and hit == len(terms)

    def phrase_positions(self, stems: Sequence[str]) -> set[int]:
        """The positions of ``stems`` inside known phrases (longest first, as :meth:`matches`)."""
        covered: set[int] = set()
        i = 0
        while i < len(stems):
            n = next((n for n in range(min(self.longest, len(stems) - i), 0, -1) if tuple(stems[i : i + n]) in self.entries), 0)
            covered.update(range(i, i + n))
            i += n or 1
        return covered

    def _phrases_in(self, stems: Sequence[str]) -> list[Phrase]:
        """The known phrases of ``stems``, longest first at each position (as :meth:`matches`)."""
        found: list[Phrase] = []
        i = 0
        while i < len(stems):
            for n in range(min(self.longest, len(stems) - i), 0, -1):
                if tuple(stems[i : i + n]) in self.entries:
                    found.append(tuple(stems[i : i + n]))
                    i += n
                    break
            else:
                i += 1
        return found

    def translate(self, question: str) -> list[list[tuple[str, ...]]]:
        """For each English phrase of ``question`` the glossary knows (longest match first), the
        index terms of each of its Korean equivalents: one group per phrase, one tuple per
        alternative (one alternative found in a passage is a full match of the phrase)."""
        return [
            [terms for korean in alternatives if (terms := self._index_terms(korean))]
            for alternatives in self.matches(english_stems(question))
        ]

    def translate_korean(self, question: str) -> list[list[tuple[str, ...]]]:
        """:meth:`translate` the other way: for each Korean term run of ``question`` the glossary
        knows (longest first), the English index terms of each of its English equivalents."""
        reverse, longest = self._reverse_entries()
        terms = content_terms(question)
        groups: dict[tuple[str, ...], None] = {}
        i = 0
        while i < len(terms):
            for n in range(min(longest, len(terms) - i), 0, -1):
                english = reverse.get(tuple(terms[i : i + n]))
                if english:
                    groups[english] = None
                    i += n
                    break
            else:
                i += 1
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
        a stray term or two."""
        if detect_language(question) == "en":
            words = _LATIN_WORD.findall(question)
            content = [i for i, w in enumerate(words) if content_terms(w)]
            covered = self.phrase_positions(tuple(_stem(w) for w in words))
            return len(covered & set(content)) / len(content) if content else 0.0
        reverse, longest = self._reverse_entries()
        terms = content_terms(question)
        i = hit = 0
        while i < len(terms):
            n = next((n for n in range(min(longest, len(terms) - i), 0, -1) if tuple(terms[i : i + n]) in reverse), 0)
            hit += n
            i += n or 1
        return hit / len(terms) if terms else 0.0

    def _reverse_entries(self) -> tuple[dict[tuple[str, ...], tuple[str, ...]], int]:
        """Korean index-term runs → the English phrases (as written) that stand for them, and the
        longest run; built on first use (it tokenises every Korean entry)."""
        built = self._reverse
        if built is None:
            reverse: dict[tuple[str, ...], dict[str, None]] = {}
            for phrase, koreans in self.entries.items():
                for korean in koreans:
                    key = self._index_terms(korean)
                    if key:
                        reverse.setdefault(key, {})[self.english[phrase]] = None
            table = {k: tuple(v) for k, v in reverse.items()}
            built = self._reverse = (table, max((len(k) for k in table), default=0))
        return built

    def korean_terms(self, question: str) -> list[str]:
        """Every Korean index term of :meth:`translate`, once each, in order."""
        return list(dict.fromkeys(t for group in self.translate(question) for alt in group for t in alt))

    def matches(self, stems: Sequence[str]) -> list[tuple[str, ...]]:
        """The Korean alternatives of each phrase found in ``stems``, in order, without repeats.

        Pure: at each position the longest known phrase wins and its words are consumed.
        """
        found: dict[tuple[str, ...], None] = {}
        i, longest = 0, self.longest
        while i < len(stems):
            for n in range(min(longest, len(stems) - i), 0, -1):
                korean = self.entries.get(tuple(stems[i : i + n]))
                if korean:
                    found[korean] = None
                    i += n
                    break
            else:
                i += 1
        return list(found)

    def _index_terms(self, text: str) -> tuple[str, ...]:
        # Either side is tokenised as the index tokenises passages, so the terms match.
        if text not in self._terms:
            self._terms[text] = content_terms(text)
        return self._terms[text]


def _stem(word: str) -> str:
    stems = english_stems(word)
    return stems[0] if stems else ""
