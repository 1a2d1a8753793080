"""Bilingual glossary: English question words → the Korean index terms they stand for.

English questions about Korean documents share no words with them, so BM25 finds nothing and
the dense model alone decides (and the small multilingual model misses loose paraphrases). The
glossary turns the English phrases it knows into Korean search terms, tokenised like the index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from ingest.korean import content_terms, english_stems
from reportqa.errors import ConfigError

Phrase = tuple[str, ...]


class Glossary:
    """English phrases (as word stems) mapped to Korean terms; built by :meth:`parse`."""

    def __init__(self) -> None:
        self.entries: dict[Phrase, tuple[str, ...]] = {}
        self.longest = 0  # words in the longest phrase
        self._terms: dict[str, tuple[str, ...]] = {}

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, phrase: Phrase, korean: Iterable[str]) -> None:
        """Map ``phrase`` to the Korean terms ``korean`` too (after those it already has)."""
        self.entries[phrase] = tuple(dict.fromkeys([*self.entries.get(phrase, ()), *korean]))
        self.longest = max(self.longest, len(phrase))

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
                    glossary.add(stems, [korean.strip()])
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
            for phrase, terms in cls.parse(text, str(path)).entries.items():
                merged.add(phrase, terms)
        return merged

    def translate(self, question: str) -> list[list[tuple[str, ...]]]:
        """For each English phrase of ``question`` the glossary knows (longest match first), the
        index terms of each of its Korean equivalents: one group per phrase, one tuple per
        alternative (one alternative found in a passage is a full match of the phrase)."""
        return [
            [terms for korean in alternatives if (terms := self._index_terms(korean))]
            for alternatives in self.matches(english_stems(question))
        ]

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

    def _index_terms(self, korean: str) -> tuple[str, ...]:
        # The Korean side is tokenised as the index tokenises passages, so the terms match.
        if korean not in self._terms:
            self._terms[korean] = content_terms(korean)
        return self._terms[korean]
