"""Bilingual terms mined from a document's own text (pure functions over text).

Korean reports gloss their terms: "탬퍼 대응(tamper response)", "자동 투구 판정 시스템(ABS)",
"Cryptographic Module(암호모듈)", and abbreviation tables ("KCMVP | Korea Cryptographic Module
Validation Program", "약어 | 설명" rows). Each such pair lets an English question find the Korean
passage (and the reverse) without a glossary written for the report; answer/glossary.py uses the
pairs as it uses the bundled TSV.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ingest.tuning import MAX_ENGLISH_WORDS, MAX_KOREAN_EOJEOL, MAX_TERM_CHARS, MAX_VOCABULARY_TERMS
from reportqa.language import get_kiwi

# Morphemes a term's eojeol may consist of: nouns, numbers, Latin, Hanja, prefixes, noun
# suffixes, roots and the hyphen of "K-배터리".
_NOUN_TAGS = frozenset({"NNG", "NNP", "NNB", "NR", "SL", "SN", "SH", "XPN", "XSN", "XR", "SO", "W_SERIAL"})
_LAST_TAGS = frozenset({"NNG", "NNP", "NR", "SL", "SH", "XSN", "XR"})

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_NOT_IN_TERM = re.compile(r"[^\uac00-\ud7a30-9A-Za-z\- ]")
# "(…)" whose content is Latin words: the English side of a Korean term written before it.
_PAREN = re.compile(r"\(([^()\n]{1,120})\)")
# Identifiers with an underscore count too ("(reseed_interval)").
_LATIN_TERM = re.compile(r"[A-Za-z][A-Za-z0-9&'./+_\- ]*[A-Za-z0-9)]|[A-Za-z]{2,}")
_KOREAN_TERM = re.compile(r"[\uac00-\ud7a3][\uac00-\ud7a30-9A-Za-z\- ]*")
# English words right before "(": the English side of a Korean term in the parentheses.
_ENGLISH_BEFORE = re.compile(r"((?:[A-Za-z][A-Za-z0-9&'\-/]*\s+){0,7}[A-Za-z][A-Za-z0-9&'\-/]*)\s*$")
# Units, citations and references in parentheses are not terms.
_NOT_A_TERM = re.compile(
    r"^(?:(?:fig|figure|table|tab|eq|p|pp|no|vol|ref|see|cf|e\.g|i\.e|etc|ibid)\b.*|[ivx]+|[a-z])$",
    re.IGNORECASE,
)
# Units, numbers, clause numbers, file names and hex codes: mg/L, kWh, 2022, AS02.13,
# KISACrypto64.dll, x000003EA.
_UNIT = re.compile(
    r"^[a-z%][A-Za-z0-9]{0,2}(?:/[A-Za-z0-9]{1,3})*$|^[A-Z]?\d.*$|\d\.\d|\.[a-z]{2,4}$|[()]|"
    r"^0?x[0-9A-Fa-f]+$"
)
# An English side that starts with one of these is a clause, not a term ("from Input to Output").
_EN_CLAUSE_START = frozenset({"from", "to", "in", "of", "by", "for", "with", "at", "as", "if", "is", "and", "or"})
_EN_STOP = frozenset({"a", "an", "the", "of", "and", "or", "for", "to", "in", "on", "with", "by"})
_CELL_SPLIT = re.compile(r"\s*\|\s*|\t+|\s{3,}")
_ABBREVIATION = re.compile(r"^[A-Z][A-Za-z0-9&\-/]*[A-Z0-9][A-Za-z0-9]*$")


@dataclass(frozen=True)
class TermPair:
    """A Korean term and an English equivalent the document gives for it."""

    korean: str
    english: str


def mine_terms(text: str) -> list[TermPair]:
    """Every (Korean, English) pair ``text`` glosses, in order of first appearance, once each."""
    found: dict[TermPair, None] = {}
    for line in text.splitlines():
        if "(" in line:
            for pair in _parenthesised(line):
                found[pair] = None
        if "|" in line or "\t" in line or "   " in line:
            for pair in _table_row(line):
                found[pair] = None
    return list(found)


def mine_documents(texts: Iterable[str]) -> list[TermPair]:
    """:func:`mine_terms` over several texts, merged (first appearance first)."""
    merged: dict[TermPair, None] = {}
    for text in texts:
        for pair in mine_terms(text):
            merged[pair] = None
    return list(merged)


def _parenthesised(line: str) -> list[TermPair]:
    pairs: list[TermPair] = []
    for m in _PAREN.finditer(line):
        inside = m.group(1).strip()
        before = line[: m.start()]
        if _HANGUL.search(inside):
            korean = _clean_korean(inside)
            english = _english_before(before)
            if korean and english:
                pairs.append(TermPair(korean, english))
            continue
        korean = korean_term_before(before)
        if not korean:
            continue
        # "(SSP: Sensitive Security Parameter)": the abbreviation and its expansion, each a name.
        alternatives = [_clean_english(a) for a in re.split(r"\s*[,;:]\s*", inside)]
        if "," in inside and not all(alternatives):
            # "내부상태(Key, V)": a list of symbols or parts ("V" is no term), not a gloss.
            continue
        pairs += [TermPair(korean, english) for english in alternatives if english]
    return pairs


def korean_term_before(text: str) -> str:
    """The Korean noun phrase that ends ``text`` ("… 위한 탬퍼 대응" → "탬퍼 대응"), or "".

    The eojeol right before the end must be all noun morphemes (Kiwi); earlier ones join while
    they are too, up to :data:`MAX_KOREAN_EOJEOL`. Punctuation ends the phrase.
    """
    text = text.rstrip()
    cut = max((m.end() for m in _NOT_IN_TERM.finditer(text)), default=0)
    words = text[cut:].split()
    if cut and words and not text[cut].isspace():
        words = words[1:]  # glued to ")" or a quote: a particle ("…(tamper response)과 …")
    words = words[-MAX_KOREAN_EOJEOL:]
    if not words or not _HANGUL.search(words[-1]):
        return ""
    kept: list[str] = []
    for word in reversed(words):
        if not _is_noun_eojeol(word, last=not kept):
            break
        kept.insert(0, word)
    if not kept or not _HANGUL.search(kept[-1]):
        return ""
    term = " ".join(kept)
    return term if len(term) <= MAX_TERM_CHARS else ""


def _is_noun_eojeol(word: str, last: bool) -> bool:
    if not _HANGUL.search(word) and not last:
        return bool(re.fullmatch(r"[A-Z0-9][A-Za-z0-9\-]*", word))
    tokens = get_kiwi().tokenize(word)
    if not tokens or any(t.tag not in _NOUN_TAGS for t in tokens):
        return False
    return tokens[-1].tag in _LAST_TAGS or (tokens[-1].tag == "NNB" and len(tokens) > 1)


def _clean_english(text: str) -> str:
    text = text.strip().strip("'\"‘’“”")
    if not text or _HANGUL.search(text) or not _LATIN_TERM.fullmatch(text):
        return ""
    words = text.split()
    if len(words) > MAX_ENGLISH_WORDS or _NOT_A_TERM.match(text) or _UNIT.search(text):
        return ""
    if words[0].lower() in _EN_CLAUSE_START:
        return ""
    if not any(len(w) > 1 and w.lower() not in _EN_STOP for w in words):
        return ""
    return " ".join(words)


def _english_before(text: str) -> str:
    m = _ENGLISH_BEFORE.search(text)
    if not m:
        return ""
    words = m.group(1).split()
    while words and words[0].lower() in _EN_STOP:  # "… of the key transport (키 전송)"
        words.pop(0)
    # A lower-case English run longer than four words is a sentence, not a term.
    if len(words) > 4 and not all(w[0].isupper() or w.lower() in _EN_STOP for w in words):
        words = words[-4:]
    return _clean_english(" ".join(words))


def _clean_korean(text: str) -> str:
    text = text.strip().strip("'\"‘’“”")
    if not _KOREAN_TERM.fullmatch(text):
        return ""
    words = text.split()
    if len(words) > MAX_KOREAN_EOJEOL or len(text) > MAX_TERM_CHARS:
        return ""
    return " ".join(words) if all(_is_noun_eojeol(w, last=True) for w in words[-1:]) else ""


def _table_row(line: str) -> list[TermPair]:
    """A table row of an abbreviation or a Korean term and its English (or expansion)."""
    cells = [c.strip() for c in _CELL_SPLIT.split(line.strip().strip("|")) if c.strip()]
    if len(cells) < 2:
        return []
    # The term is in the first two cells; a later Korean cell is a description.
    korean = next((k for c in cells[:2] if (k := _clean_korean(c))), "")
    english_cells = [e for c in cells[:3] if (e := _clean_english(c))]
    # Layout columns are not always a glossary: one plain word beside a Korean cell ("내부상태 |
    # Key") is a table's content more often than its translation; abbreviations and phrases count.
    glossed = [e for e in english_cells[:2] if " " in e or _ABBREVIATION.match(e)]
    pairs = [TermPair(korean, e) for e in glossed] if korean else []
    # "KCMVP | Korea Cryptographic Module Validation Program": the abbreviation stands for the
    # expansion in the Korean text (which writes the abbreviation as it is).
    if len(english_cells) >= 2 and _ABBREVIATION.match(english_cells[0]):
        abbreviation, expansion = english_cells[0], english_cells[1]
        if _initials_match(abbreviation, expansion):
            pairs.append(TermPair(abbreviation, expansion))
    return pairs


def _initials_match(abbreviation: str, expansion: str) -> bool:
    """Whether the capitals of ``abbreviation`` are the initials of ``expansion``'s words, in order."""
    letters = [c for c in abbreviation.upper() if c.isalpha()]
    initials = [w[0].upper() for w in re.split(r"[\s\-/]+", expansion) if w and w.lower() not in _EN_STOP]
    it = iter(initials)
    return len(letters) >= 2 and len(initials) >= 2 and all(any(i == c for i in it) for c in letters)


# Morphemes a vocabulary term is made of: nouns, noun prefixes and suffixes, roots ("단기" +
# "차입금"; "이연" + "법인세" + "부채"). A run of them written without a space is one term.
_VOCABULARY_TAGS = frozenset({"NNG", "NNP", "XPN", "XSN", "XR"})
_WORD_TAGS = frozenset({"NNG", "NNP"})


def korean_vocabulary(text: str, limit: int = MAX_VOCABULARY_TERMS) -> list[str]:
    """The Korean nouns and compounds of ``text``: each run of noun morphemes written without a
    space ("단기차입금", "부채와자본총계" gives 부채 and 자본총계) and each noun of two syllables
    or more in it, most frequent first (ties: first appearance), at most ``limit``.

    These are what an English question's words are matched against (answer/lexicon.py): table
    row labels and compounds the document never glosses in English."""
    counts: dict[str, int] = {}
    kiwi = get_kiwi()
    for line in text.splitlines():
        if not _HANGUL.search(line):
            continue
        run: list[tuple[int, int, str, str]] = []  # (start, end, form, tag)
        for token in [*kiwi.tokenize(line), None]:
            if token is not None and token.tag in _VOCABULARY_TAGS and (not run or token.start == run[-1][1]):
                run.append((token.start, token.start + token.len, token.form, token.tag))
                continue
            if run:
                _count_run(line, run, counts)
            run = []
            if token is not None and token.tag in _VOCABULARY_TAGS:
                run.append((token.start, token.start + token.len, token.form, token.tag))
    ranked = sorted(counts, key=lambda term: -counts[term])  # stable: first appearance breaks ties
    return ranked[:limit]


def _count_run(line: str, run: list[tuple[int, int, str, str]], counts: dict[str, int]) -> None:
    compound = line[run[0][0] : run[-1][1]]
    if len(compound) >= 2 and len(compound) <= MAX_TERM_CHARS and _HANGUL.search(compound):
        counts[compound] = counts.get(compound, 0) + 1
    if len(run) > 1:
        for _, _, form, tag in run:
            if tag in _WORD_TAGS and len(form) >= 2 and _HANGUL.search(form):
                counts[form] = counts.get(form, 0) + 1
