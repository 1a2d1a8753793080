"""What a candidate sentence is, beyond its words: a question, a ``label: value`` record, a list's
lead-in or one of its items. The extractive generator uses these to quote the sentence that answers
rather than its neighbour (issue 13.4). All functions are pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

# A sentence that asks: "…인가?", "…는가?", "…나요?", or any "?" at its end. Questions of a Q&A
# document's "질문" section restate the user's question; they answer nothing.
_QUESTION = re.compile(r"[?？]\s*[)\]”\"’']*\s*$")


def is_question(text: str) -> bool:
    """Whether ``text`` is itself a question (ends with a question mark)."""
    return bool(_QUESTION.search(text))


# One record of a metadata box or table row: "최초 작성일: 2025년 12월 5일", "해당 보안수준
# (Applicable Levels): ∎ 3, 4", a table row "RSA-PSS — 모듈러스: 2048; 해시: SHA-256". The label
# is short and the value not empty; "http://…" and clock times "12:30" are no records.
_RECORD = re.compile(r"^\s*(?P<label>[^:：;]{1,60}?)\s*[:：]\s+(?P<value>\S.*)$", re.DOTALL)
_ROW_SEP = " — "
_PAREN = re.compile(r"\(([^()]*)\)|（([^（）]*)）")


def record_labels(text: str) -> list[tuple[str, str]]:
    """(row label, field label) of each ``label: value`` record in ``text`` (one sentence); the
    row label is a table row's ("row — field: value"), else ""; [] when the sentence is none."""
    row = ""
    body = text
    if _ROW_SEP in text:
        row, body = text.split(_ROW_SEP, 1)
    labels: list[tuple[str, str]] = []
    for part in body.split(";"):
        m = _RECORD.match(part)
        if m is None or re.search(r"https?$|\d$", m.group("label")) or _prose(m.group("value")):
            continue
        labels.append((row.strip(), m.group("label").strip()))
    return labels


def _prose(value: str) -> bool:
    """Whether a record's "value" is a sentence ("• 등록 : 관리자는 저장소를 생성한다.")."""
    return value.strip().rstrip(".").endswith(("다", "요"))


def label_alternatives(label: str) -> list[str]:
    """A bilingual label's two names: "해당 보안수준 (Applicable Levels)" → both parts."""
    inner = [a or b for a, b in _PAREN.findall(label)]
    outer = _PAREN.sub(" ", label).strip()
    return [alt for alt in (outer, *inner) if alt.strip()]


def label_match(
    question_terms: Sequence[str],
    text: str,
    idf: Callable[[str], float],
    terms: Callable[[str], Sequence[str]],
) -> float:
    """How fully the question names the best record label of ``text``: the idf-weighted share
    of the field label's terms that the question holds, averaged with the row label's share for
    a table row (whose field must be named too: naming the row alone asks for no field of it);
    0 when ``text`` is no record."""
    asked = set(question_terms)

    def share(label: str) -> float:
        best = 0.0
        for alt in label_alternatives(label):
            label_terms = list(dict.fromkeys(terms(alt)))
            total = sum(idf(t) for t in label_terms)
            if total > 0:
                best = max(best, sum(idf(t) for t in label_terms if t in asked) / total)
        return best

    best = 0.0
    for row, field in record_labels(text):
        named = share(field)
        if row and named > 0:
            named = (named + share(row)) / 2
        best = max(best, named)
    return best


# A sentence that announces a list: "아래에 해당하는 경우, …", "다음과 같다", "the following",
# a colon at its end, or a count of things ("3대 추진 전략을 제시했다", "세 가지").
_PROMISE = re.compile(
    r"아래|다음(?:과|와)\s?같|다음의|다음\s?(?:\S+\s)?(?:가지|항목|사항|요건|경우)"
    r"|\bfollowing\b|\bas follows\b|\bbelow\b"
    r"|\d+\s?(?:대|가지|개)\s?\S|(?:두|세|네|다섯|여섯)\s(?:가지|개)"
    r"|\b(?:two|three|four|five|six|seven)\s+\w+",
    re.IGNORECASE,
)
# A list item's mark at its start: ①, △, ▪, ∎, •, ∘, -, *, "1.", "1)", "(1)", "가.", "가)".
_ITEM = re.compile(
    r"^\s*(?:[①-⑳㉠-㉭㈀-㈍△▲▷▶▪•∘◦·ꞏ○●□■◇◆∎\-–*]"
    r"|\(?\d{1,2}[.)]\s|\(\d{1,2}\)|[가-하][.)]\s)"
)


def promises_list(text: str) -> bool:
    """Whether ``text`` announces a list that follows it."""
    stripped = text.rstrip()
    return stripped.endswith((":", "：")) or bool(_PROMISE.search(stripped))


def is_list_item(text: str) -> bool:
    """Whether ``text`` starts with a list item's mark."""
    return bool(_ITEM.match(text))


def item_mark(text: str) -> str:
    """The mark ``text`` starts with, reduced to its kind: items of one list share it."""
    m = _ITEM.match(text)
    if m is None:
        return ""
    mark = m.group(0).strip()
    if re.match(r"[①-⑳]", mark):
        return "circled"
    if re.match(r"\(?\d", mark):
        return "number"
    if re.match(r"[가-하]", mark):
        return "hangul"
    return mark[0]
