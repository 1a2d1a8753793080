"""What a candidate sentence is, beyond its words: a question, a ``label: value`` record, a list's
lead-in or one of its items. The extractive generator uses these to quote the sentence that answers
rather than its neighbour (issue 13.4). All functions are pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

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


def squashed(text: str) -> str:
    """``text`` lower-cased with every whitespace character removed (a table writes "부 채 총
    계", a question "부채총계"). Pure."""
    return "".join(text.lower().split())


def names_only_asked_value(text: str, question: str) -> bool:
    """Whether ``text`` is one ``label: value`` record whose value the question itself names
    ("항목: AS10.20" for "What does test item AS10.20 require?", "알고리즘: SEED" for "SEED의 키
    길이는?"): it tells which box or row the answer is in, and answers nothing (pure)."""
    if _ROW_SEP in text or ";" in text:
        return False
    m = _RECORD.match(text)
    if m is None:
        return False
    value = squashed(m.group("value")).rstrip(".")
    return bool(value) and value in squashed(question)


def label_alternatives(label: str) -> list[str]:
    """A bilingual label's two names: "해당 보안수준 (Applicable Levels)" → both parts."""
    inner = [a or b for a, b in _PAREN.findall(label)]
    outer = _PAREN.sub(" ", label).strip()
    return [alt for alt in (outer, *inner) if alt.strip()]


def best_named_share(
    phrases: Iterable[str],
    asked: set[str],
    idf: Callable[[str], float],
    terms: Callable[[str], Sequence[str]],
) -> float:
    """The best idf-weighted share of a phrase's terms that ``asked`` holds, over ``phrases``
    (0 when none has a weighted term). Pure."""
    best = 0.0
    for phrase in phrases:
        phrase_terms = list(dict.fromkeys(terms(phrase)))
        total = sum(idf(t) for t in phrase_terms)
        if total > 0:
            best = max(best, sum(idf(t) for t in phrase_terms if t in asked) / total)
    return best


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
        return best_named_share(label_alternatives(label), asked, idf, terms)

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
    r"|다음\s\S{1,8}(?:을|를)\s"  # "다음 정보들을 포함해야 한다"
    r"|\bfollowing\b|\bas follows\b|\bbelow\b"
    r"|\d+\s?(?:대|가지|개)\s?\S|(?:두|세|네|다섯|여섯)\s(?:가지|개)"
    r"|\b(?:two|three|four|five|six|seven)\s+\w+",
    re.IGNORECASE,
)
# A list item's mark at its start: ①, △, ▪, ∎, •, ∘, -, *, "1.", "1)", "(1)", "가.", "가)".
_ITEM = re.compile(
    r"^\s*(?:[①-⑳㉠-㉭㈀-㈍△▲▷▶▪•∘◦·ꞏ○●□■◇◆∎\-–*]"
    r"|\(?\d{1,2}[.)]\s|\d{1,2}\.(?=[A-Z\uac00-\ud7a3])|\(\d{1,2}\)|[가-하][.)]\s)"
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


# A question that asks which organisation: "발행하는 기관은?", "펴낸 곳은 어디야?", "Which agency…".
_ASKS_ORGANISATION = re.compile(
    r"(?:어느|어떤|무슨)\s?(?:기관|단체|조직|부처)"
    r"|(?<![가-힣])(?:기관|단체|조직|부처|곳)(?:은|는|이|가|을|를)?\s?(?:어디|누구|무엇|뭐|[?？]|$)"
    r"|\b(?:which|what) (?:organi[sz]ation|agency|institut\w*|ministry|body)\b",
    re.IGNORECASE,
)
# An organisation's name: Korean ones end with a few fixed words (국가정보원, 한국인터넷진흥원,
# 국가보안기술연구소, 산업통상자원부 — a 부/청/처 only after two syllables: 내부, 일부 are none).
_ORGANISATION = re.compile(
    r"[가-힣A-Za-z]{1,}(?:진흥원|정보원|연구원|연구소|개발원|평가원|기술원|과학원|관리원|인증원"
    r"|위원회|공사|공단|재단|센터|협회|학회)"
    r"|[가-힣]{2,}(?:부|청|처)(?=[와과는은이가의에,·)\s]|$)"
    r"|\b(?:Agency|Institute|Ministry|Council|Foundation|Association|Commission|Corporation)\b"
)


def asks_organisation(question: str) -> bool:
    """Whether ``question`` asks which organisation (publisher, agency, institute)."""
    return bool(_ASKS_ORGANISATION.search(question))


def names_organisation(text: str) -> bool:
    """Whether ``text`` names an organisation."""
    return bool(_ORGANISATION.search(text))


# "X란 어떤 …을 말해?", "X이란 무엇인가?", "X의 정의는?", "X는 어떻게 정의되나요?", "What is
# (a/an/the) X?", "How is X defined?", "define X".
_ASKS_DEFINITION = (
    re.compile(r"^\s*(?P<term>.+?)\s?(?:이)?란\s?(?:무엇|뭐|어떤|무슨)"),
    re.compile(r"^\s*(?P<term>.+?)(?:은|는|이|가)\s?(?:무엇을|뭘)\s?(?:말|뜻|의미)"),
    re.compile(r"^\s*(?P<term>.+?)의\s?(?:정의|뜻|의미)"),
    re.compile(r"^\s*(?P<term>.+?)(?:은|는|이|가)\s?(?:어떻게|어떤\s?(?:것|의미)으?로)\s?정의"),
    re.compile(r"^\s*how\s+(?:is|are)\s+(?:an?\s+|the\s+)?(?P<term>[^?]+?)\s+defined\b", re.IGNORECASE),
    re.compile(
        r"^\s*what\s+(?:is|are|does)\s+(?:an?\s+|the\s+)?['‘\"“]?(?P<term>[^'’\"”?]+?)['’\"”]?"
        r"(?:\s+mean)?\s*(?:according to .*)?\?*\s*$",
        re.IGNORECASE,
    ),
    re.compile(r"^\s*define\s+(?P<term>[^?]+)", re.IGNORECASE),
)
# A definition's end: "…메모리이다.", "…을 말한다.", "…를 의미함", "… is/means/refers to …".
_DEFINES = re.compile(
    r"(?:이다|말한다|의미한다|뜻한다|가리킨다|지칭한다|말함|의미함|뜻함)\s*[.。]?\s*$"
    r"|\b(?:is|are|means|refers to)\b",
    re.IGNORECASE,
)
_LEAD_MARKS = re.compile(r"^[\s∎▪•∘◦·ꞏ○●□■◇◆\-–*①-⑳]+")


def defined_term(question: str) -> str:
    """The term a definition question asks about ("Non-reconfigurable 메모리"), or ""."""
    for pattern in _ASKS_DEFINITION:
        m = pattern.search(question)
        if m:
            return " ".join(m.group("term").split())
    return ""


def defines(text: str, term: str) -> bool:
    """Whether ``text`` is a definition of ``term``: it starts with the term (after any bullet)
    followed by a particle, a parenthesis or a colon, and ends like a definition (or is the
    term's ``term: definition`` record)."""
    if not term:
        return False
    # "핵심 보안매개변수(CSP)" is defined as "핵심 보안매개변수(critical security parameter, CSP): …".
    bare = _PAREN.sub("", term).strip()
    if bare and bare != term and defines(text, bare):
        return True
    body = " ".join(_LEAD_MARKS.sub("", text).split())
    # A glossary entry names the term in its other language: "하이브리드 모듈(hybrid module): …".
    glossed = re.match(r"[^(:：]{1,60}[(（]([^)）]*)[)）]\s*[:：]", body)
    # ("…(critical security parameter, CSP): …" glosses both the long name and the abbreviation).
    if glossed and term.lower() in (g.strip().lower() for g in glossed.group(1).split(",")):
        return True
    if not body.lower().startswith(term.lower()):
        return False
    rest = body[len(term):].lstrip()
    if rest[:1] in (":", "：", "(", "（"):
        return True
    particle = re.match(r"(?:이란|란|은|는|이라 함은|(?:이)?라고 함은)\s", rest)
    return bool(particle) and bool(_DEFINES.search(rest))


# The asked-for thing of a question: the noun after 어떤/어느/무슨 ("어떤 경우에"), before 뭐/무엇
# ("…하면 단점이 뭐야?") or ending it ("…발행하는 기관은?"), "What is the disadvantage of …?".
# Number and date questions (몇, 얼마, 언제) name their topic there, not what they ask.
_FOCUS = (
    re.compile(r"(?:어떤|어느|무슨)\s(?P<word>[^\s?？]+)"),
    re.compile(r"(?P<word>[^\s?？]+?)(?:이|가|은|는)\s?(?:뭐|무엇|뭔|누구|어디)"),
    re.compile(r"(?P<word>[^\s?？]+?)(?:은|는)\s*[?？]?\s*$"),
    re.compile(r"^\s*(?:what|which)\s+(?:is|are|was|were)\s+the\s+(?P<word>\w+)\b", re.IGNORECASE),
)


def focus_terms(question: str, terms: Callable[[str], Sequence[str]]) -> tuple[str, ...]:
    """The content terms of the question's asked-for noun (its last term), or ()."""
    for pattern in _FOCUS:
        m = pattern.search(question)
        if m:
            found = terms(m.group("word"))
            return (found[-1],) if found else ()
    return ()


# A question asking what an abbreviation stands for: "PAI는 무엇의 약자인가요?", "AS는 무슨
# 뜻이야?", "What does KEK stand for?", "the full form of SSP".
_ACRONYM = r"(?P<acr>[A-Z][A-Z0-9]{1,9})"
_ASKS_EXPANSION = (
    re.compile(_ACRONYM + r"(?:은|는|이|가|란|이란)?\s?(?:무엇|뭐|뭣|어떤\s?말)의\s?(?:약자|약어|줄임말)"),
    re.compile(_ACRONYM + r"(?:은|는|이|가|란|이란)\s?(?:무슨|어떤)\s?(?:뜻|의미|말)"),
    re.compile(_ACRONYM + r"의\s?(?:뜻|의미|약자|풀네임|원어)"),
    re.compile(
        r"\bwhat\s+(?:does|do)\s+(?:the\s+)?(?:abbreviation\s+|acronym\s+)?['‘\"“]?"
        + _ACRONYM + r"['’\"”]?\s+(?:stand\s+for|mean)\b",
        re.IGNORECASE,
    ),
    re.compile(r"\b(?:full\s+form|expansion)\s+of\s+(?:the\s+)?" + _ACRONYM, re.IGNORECASE),
)


def asks_expansion(question: str) -> str:
    """The abbreviation whose long form ``question`` asks for ("PAI"), or ""."""
    for pattern in _ASKS_EXPANSION:
        m = pattern.search(question)
        if m and m.group("acr").isupper():
            return m.group("acr")
    return ""


def expands(text: str, acronym: str) -> bool:
    """Whether ``text`` spells ``acronym`` out: "PAI(Processor Algorithm Implementation)",
    "(AS: Assertion)", "Processor Algorithm Accelerator(PAA)", or an abbreviation table's row
    "SSP — 설명: …"."""
    if not acronym:
        return False
    acr = rf"(?<![A-Za-z0-9]){re.escape(acronym)}(?![A-Za-z0-9])"
    long_form = r"[A-Za-z가-힣][^()（）]{3,}"
    return bool(
        re.search(rf"{acr}\s*[(（]\s*{long_form}[)）]", text)
        or re.search(rf"[(（]\s*{acr}\s*[:：]\s*{long_form}[)）]", text)
        or re.search(rf"[A-Z][a-z]+(?:[\s-]+[A-Za-z][a-z]+)+\s*[(（]\s*{acr}\s*[)）]", text)
        or re.match(rf"\s*{acr}\s+—\s", text)
    )


# A metadata box's keyword record ("관련 키워드 (Keywords): …"): topics a section covers, named
# in both languages, so it matches many questions' words and answers none of them.
_KEYWORD_LABEL = re.compile(r"키워드|주제어|색인어|\bkey\s?words?\b", re.IGNORECASE)


def is_keyword_record(text: str) -> bool:
    """Whether ``text`` is a keyword record of a metadata box."""
    return any(_KEYWORD_LABEL.search(field) for _, field in record_labels(text))


def asks_keywords(question: str) -> bool:
    """Whether ``question`` asks for keywords themselves."""
    return bool(_KEYWORD_LABEL.search(question))


# An entry of a terms-and-definitions list: a term, its other-language name in parentheses, a
# colon: "자가시험(self-tests): 암호모듈에 의해 실행되는 …". Its gloss matches many English
# questions on the term, yet it answers only what the term is.
_GLOSSARY_ENTRY = re.compile(r"^[^(:：]{1,60}[(（][A-Za-z][^)）]*[)）]\s*[:：]\s*\S")


def is_glossary_entry(text: str) -> bool:
    """Whether ``text`` is an entry of a terms-and-definitions list."""
    return bool(_GLOSSARY_ENTRY.match(" ".join(_LEAD_MARKS.sub("", text).split())))


# A question that names a table: "운영환경 표에서 …", "상태천이표에서", "자가시험 종류 표를 보면",
# "암호 서비스 목록 명세에서", "In the hardware component table, …", "in the test spec". Its
# answer is a row.
_TABLE_WORD = (
    r"(?:(?<!발)(?<!대)(?<!지)(?<!목)(?<!투)(?<!공)(?<!좌)(?<!이정)표\s?(?:에서|의|에는|에선|를\s?보면|에\s)"
    r"|\s?(?:목록|명세)(?:에서|의|에는|에선|를\s?보면))"
)
_NAMES_TABLE = (
    re.compile(r"(?P<name>(?:[^\s?？]+\s){0,2}[^\s?？]*?)\s?" + _TABLE_WORD),
    re.compile(
        r"\b(?:in|from|of)\s+the\s+(?P<name>[\w/ -]{1,60}?)\s*\b(?:table|spec(?:ification)?|list)\b",
        re.IGNORECASE,
    ),
)


def table_name(question: str) -> str | None:
    """The name ``question`` gives a table it asks about ("운영환경" of "운영환경 표에서 …", "상태천이"
    of "상태천이표에서", "hardware component" of "In the hardware component table, …"): "" when
    it names none but says "표에서"; None when it names no table."""
    for pattern in _NAMES_TABLE:
        m = pattern.search(question)
        if m:
            return m.group("name").strip()
    return None


def names_table(question: str) -> bool:
    """Whether ``question`` asks about a table it names ("운영환경 표에서 …")."""
    return table_name(question) is not None


# A line of source code quoted in a report: "rv = _LibraryVerify(sig_buf, len);", "// A.1 …",
# "if (rv != 0) {", "}". It answers only a question about the code itself.
_CODE_LINE = re.compile(
    r"^\s*(?://|/\*|#include\b|#define\b|[{}]\s*$)"
    r"|[=(][^;]*;\s*(?://.*)?$|\{\s*(?://.*)?$"
    r"|^\s*(?:if|for|while|switch|return|goto)\b\s*[(\w]"
)


def is_code_line(text: str) -> bool:
    """Whether ``text`` is a line of source code (a table row describing a function is none)."""
    return bool(_CODE_LINE.search(text.strip())) and not record_labels(text)


# A numbered entry of a reference list: "[3] ISO/IEC 24759:2014, Information technology – …".
_REFERENCE_ENTRY = re.compile(r"^\s*\[\d{1,3}\]\s+\S.*(?:\b(?:19|20)\d{2}\b|ISO|IEC|RFC|NIST|FIPS|KS\s?X)")
_ASKS_REFERENCE = re.compile(
    r"참고\s?문헌|인용|표준|규격|논문|문헌|출처|발표|\breferences?\b|\bstandards?\b|\bpapers?\b"
    r"|\bpublished\b|\bcit(?:ed|es?)\b|\bISO\b|\bRFC\b|\bFIPS\b|\bANSI\b|\bSP\s?800",
    re.IGNORECASE,
)


def is_reference_entry(text: str) -> bool:
    """Whether ``text`` is a numbered entry of a reference list (pure)."""
    return bool(_REFERENCE_ENTRY.search(text))


def asks_reference(question: str) -> bool:
    """Whether ``question`` asks about a standard, a paper or the reference list itself."""
    return bool(_ASKS_REFERENCE.search(question))
