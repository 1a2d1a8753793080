"""Language analysis shared by ingest, index and answer: language detection, Kiwi morphology
(sentences, content terms, the user dictionary), English stemming.

One module below every stage, so query-time code (answer/, index/) does not reach into ingest/.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportqa.errors import ConfigError

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

_lock = threading.Lock()
_kiwi: Kiwi | None = None
_user_words: set[tuple[str, str]] = set()
_joiner: re.Pattern[str] | None = None  # matches user terms written with spaces ("사용 후 배터리")

# Domain terms kept whole by the tokenizer (Kiwi would split 이차전지 into 이/차/전지).
DOMAIN_TERMS: tuple[tuple[str, str], ...] = (
    ("이차전지", "NNG"),
    ("사용후배터리", "NNG"),
    ("산학연", "NNG"),
    ("전고체", "NNG"),
    ("테스트베드", "NNG"),
    ("경과원", "NNP"),
    ("경기도경제과학진흥원", "NNP"),
    ("K-배터리", "NNP"),
)

# Content-bearing part-of-speech tags: nouns, verb/adjective roots, foreign words, numbers, roots.
_CONTENT_TAGS = ("NNG", "NNP", "NNB", "NR", "SL", "SN", "SH", "XR", "VV", "VA", "MAG", "W_SERIAL")
_STOP_EN = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "for",
        "and",
        "or",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "by",
        "with",
        "as",
        "at",
        "from",
        "that",
        "this",
        "these",
        "those",
        "it",
        "its",
        "what",
        "which",
        "who",
        "whom",
        "how",
        "when",
        "where",
        "why",
        "does",
        "do",
        "did",
        "can",
        "could",
        "should",
        "would",
        "will",
        "about",
        "into",
        "than",
        "then",
        "there",
        "their",
        "they",
        "them",
        "we",
        "our",
        "you",
        "your",
        "i",
        "me",
        "my",
        "he",
        "she",
        "his",
        "her",
        "not",
        "no",
        "yes",
        "so",
        "if",
        "any",
        "all",
        "some",
        "has",
        "have",
        "had",
    ]
)
# Kiwi keeps some English sentences together ("in 2025. Dr. Kim led"); a second pass splits
# at [.!?] + space + capital letter unless the word before is an abbreviation.
_LATIN_BOUNDARY = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+(?=[A-Z])")
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "sr",
        "jr",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "no",
        "fig",
        "co",
        "inc",
        "ltd",
        "corp",
        "dept",
        "u.s",
        "u.k",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    ]
)
# Korean question and light words that carry no topic ("어떻게 하나요?", "무엇인가요?").
_STOP_KO = frozenset(
    [
        "하다",
        "되다",
        "있다",
        "없다",
        "이다",
        "아니다",
        "어떻",
        "어떠하다",
        "어떻다",
        "무엇",
        "뭐",
        "무슨",
        "어디",
        "언제",
        "누구",
        "왜",
        "어느",
        "몇",
        "주다",
        "알리다",
        "말하다",
        "대하다",
        "위하다",
        "같다",
        "그렇다",
        "이렇다",
        "것",
        "수",
        "등",
        "때",
        "중",
        "좀",
        "잘",
        "더",
        "또",
        "및",
        "그",
        "이",
        "저",
        "알다",
        "싶다",
        "보다",
    ]
)
_WORD = re.compile(r"[0-9A-Za-z]+(?:[.'][0-9A-Za-z]+)*")
_NOT_SHOUTING = re.compile(r"[a-z\uac00-\ud7a3]")  # lower-case Latin or Hangul


def get_kiwi() -> Kiwi:
    """The process-wide Kiwi instance with the domain dictionary loaded."""
    global _kiwi
    with _lock:
        if _kiwi is None:
            from kiwipiepy import Kiwi

            kiwi = Kiwi()
            for word, tag in DOMAIN_TERMS:
                kiwi.add_user_word(word, tag, 0.0)
                _user_words.add((word, tag))
            _kiwi = kiwi
            _rebuild_joiner()
        return _kiwi


def load_user_dictionary(path: Path) -> list[tuple[str, str]]:
    """Read a user dictionary: one term a line, optionally ``term<TAB>TAG``; ``#`` comments.

    Multi-word terms ("사용 후 배터리") are added without spaces, as Kiwi matches them.
    """
    entries: list[tuple[str, str]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read the user dictionary ({exc.strerror or exc})"
        ) from exc
    for lineno, line in enumerate(lines, start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        word, _, tag = line.partition("\t")
        tag = tag.strip() or "NNP"
        if not tag.isalpha() or not tag.isupper():
            raise ConfigError(f"{path}:{lineno}: bad part-of-speech tag {tag!r} (use NNG or NNP)")
        entries.append(("".join(word.split()), tag))
    return entries


def add_user_words(entries: list[tuple[str, str]]) -> int:
    """Teach the shared Kiwi extra words; returns how many were new. Clears the term cache."""
    kiwi = get_kiwi()
    added = 0
    with _lock:
        for word, tag in entries:
            if (word, tag) not in _user_words:
                kiwi.add_user_word(word, tag, 0.0)
                _user_words.add((word, tag))
                added += 1
    if added:
        _rebuild_joiner()
        _analyse.cache_clear()
    return added


def _rebuild_joiner() -> None:
    global _joiner
    words = sorted(
        {w for w, _ in _user_words if len(w) >= 3 and re.fullmatch(r"[\uac00-\ud7a3]+", w)},
        key=len,
        reverse=True,
    )
    _joiner = (
        re.compile("|".join(r"[ \t]?".join(map(re.escape, w)) for w in words)) if words else None
    )


def join_user_terms(text: str) -> str:
    """Write dictionary terms without their inner spaces so Kiwi sees one word."""
    if _joiner is None:
        get_kiwi()
    if _joiner is None:
        return text
    return _joiner.sub(lambda m: "".join(m.group(0).split()), text)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) in ``text``, Korean- and English-aware, trimmed of spaces.

    Line breaks always end a sentence (lines are paragraphs or list items after cleaning). A
    piece without a letter or digit (")." left at a line's start where a PDF's formula was
    dropped) belongs to the sentence before it, or to the one after it when it comes first:
    alone it is no sentence, and its vector sits close to every question (it was among the ten
    nearest stored sentences of 31 of the 39 English realdocs tuning questions).
    """
    spans: list[tuple[int, int]] = []
    pending: int | None = None  # where a leading piece without a letter or digit starts
    pos = 0
    for line in text.split("\n"):
        if line.strip():
            for sent in get_kiwi().split_into_sents(line):
                for s, e in _split_latin(text, pos + sent.start, pos + sent.end):
                    while s < e and text[s].isspace():
                        s += 1
                    while e > s and text[e - 1].isspace():
                        e -= 1
                    if e <= s:
                        continue
                    if not any(ch.isalnum() for ch in text[s:e]):
                        if spans:
                            spans[-1] = (spans[-1][0], e)
                        elif pending is None:
                            pending = s
                        continue
                    spans.append((s if pending is None else pending, e))
                    pending = None
        pos += len(line) + 1
    if pending is not None:  # nothing but such pieces
        spans.append((pending, len(text.rstrip())))
    return spans


def _split_latin(text: str, start: int, end: int) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    s = start
    for m in _LATIN_BOUNDARY.finditer(text, start, end):
        before = text[s : m.start()].rsplit(None, 1)
        last = before[-1].rstrip(".!?\"')]").lower() if before else ""
        if last in _ABBREVIATIONS or len(last) == 1:
            continue
        pieces.append((s, m.start()))
        s = m.end()
    pieces.append((s, end))
    return pieces


# What keyword_terms / content_terms emit, as index manifests record it: an index built with
# another version has BM25 terms and stored sentence terms a question's terms do not match (index/indexing.py's
# outdated_features says so; an incremental ingest re-tokenises the passages it keeps).
TOKENIZER = "kiwi-content-morphemes+identifiers"


def content_terms(text: str) -> tuple[str, ...]:
    """Lower-cased content morphemes (Korean) and words (Latin) for lexical matching."""
    return _analyse(text)[0]


def keyword_terms(text: str) -> tuple[str, ...]:
    """:func:`content_terms` plus ``text``'s whole identifiers (see :func:`_identifiers`): the
    terms of BM25, at ingest and for a question alike.

    Only BM25 counts an identifier beside its pieces: ranking a passage that writes "AS10.53"
    as one word above those sharing "AS" or "10.53" is what it is for, while a sentence scored
    for quoting would weigh the id twice over the rest of the question (a sentence naming the
    id beat the one answering, on realdocs tuning rows rd-257 and rd-488)."""
    terms, ids = _analyse(text)
    return terms + ids


@lru_cache(maxsize=4096)
def _analyse(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(content terms, identifiers) of ``text`` from one Kiwi pass."""
    text = join_user_terms(unicodedata.normalize("NFC", text))
    terms: list[str] = []
    tokens = get_kiwi().tokenize(text)
    for tok in tokens:
        if tok.tag.startswith(_CONTENT_TAGS) or tok.tag in _CONTENT_TAGS:
            form = tok.form.lower()
            if tok.tag == "SL":
                # An abbreviation written in capitals is a term even where its letters spell a
                # function word: "AS" (after-sales service; a test item code), "IT", "OR"; not
                # in a text written all in capitals ("WHAT IS THE …").
                if form in _STOP_EN and not (
                    len(tok.form) > 1 and tok.form.isupper() and _NOT_SHOUTING.search(text)
                ):
                    continue
                form = _stem_english(form)
            if tok.tag in ("VV", "VA"):
                form = form + "다"
            if form in _STOP_KO:
                continue
            terms.append(form)
    return tuple(terms), tuple(_identifiers(text, tokens))


# Pieces of an identifier written without spaces: Latin words, numbers, serials ("06.08.01") and
# the connectors between them. Kiwi splits "AS09.01" into "AS" + "09.01", drops "06.08.01" of
# "VE06.08.01" (a serial, not a number) and splits "KISA_Crypto_getState" at each underscore.
_ID_PIECES = frozenset(("SL", "SN", "W_SERIAL"))
_ID_JOINERS = frozenset("_-.")


def _identifiers(text: str, tokens: Sequence[Any]) -> list[str]:
    """The whole identifiers of ``text`` ("as09.01", "ve06.08.01", "kisa_crypto_getstate" →
    "kisacryptogetstate", "HMAC-DRBG" → "hmacdrbg"): each run of two or more Latin, number or
    serial pieces with nothing or one of ``_ - .`` between them and a Latin piece of two or more
    letters. A version ("V1.0", written after every product name of a guide) is no identifier:
    its pieces say it already, and a third term for it outweighed the rest of the question.

    Emitted besides the pieces, so a question naming a requirement id or an API matches the
    passage that writes the id the same way above the ones sharing a piece ("AS", "09.01").
    Hyphens and underscores are dropped so "HMAC_DRBG" and "HMAC-DRBG" are one term; dots stay
    (they separate a clause number's levels)."""
    out: list[str] = []
    run: list[Any] = []

    def close() -> None:
        if len(run) >= 2 and any(t.tag == "SL" and t.len > 1 for t in run):
            surface = text[run[0].start : run[-1].start + run[-1].len]
            out.append(surface.replace("_", "").replace("-", "").rstrip(".").lower())

    for tok in tokens:
        if tok.tag in _ID_PIECES and run:
            end = run[-1].start + run[-1].len
            gap = text[end : tok.start]
            if gap == "" or (len(gap) == 1 and gap in _ID_JOINERS):
                run.append(tok)
                continue
        if run and tok.form in _ID_JOINERS and tok.start == run[-1].start + run[-1].len:
            continue  # a connector: the run goes on if a piece follows it at once
        close()
        run = [tok] if tok.tag in _ID_PIECES else []
    close()
    return out


_LATIN_WORD = re.compile(r"[A-Za-z0-9]+")


def english_stems(text: str) -> tuple[str, ...]:
    """Every Latin word of ``text``, lower-cased and stemmed, stop words kept (for phrase lookup)."""
    return tuple(_stem_english(w.lower()) for w in _LATIN_WORD.findall(text))


@lru_cache(maxsize=65536)
def _stem_english(word: str) -> str:
    """Snowball (Porter 2) stem of an English word: "strategies"/"strategy" → "strategi"."""
    return str(_english_stemmer().stemWord(word))


_stemmers = threading.local()


def _english_stemmer() -> Any:
    """This thread's Snowball stemmer: a stemmer keeps per-word state, so threads sharing one
    corrupt each other's words (IndexError under concurrent requests, found by bench_load)."""
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:
        import snowballstemmer

        stemmer = _stemmers.english = snowballstemmer.stemmer("english")
    return stemmer

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str) -> str:
    """``"ko"`` when Hangul letters are at least a quarter of the letters, else ``"en"``.

    A Korean question often carries English terms (ESS, R&D), so any real share of Hangul wins.
    """
    hangul = len(_HANGUL.findall(text))
    latin = len(_LATIN.findall(text))
    if hangul == 0:
        return "en"
    return "ko" if hangul * 4 >= latin else "en"
