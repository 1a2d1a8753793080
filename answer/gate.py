"""The relevance gate: answer, or say the documents do not hold it. Pure functions.

The gate sees a few features of a question and its retrieved passages (:class:`GateFeatures`) and
decides with thresholds from ``Settings`` (calibrated by ``benchmarks/calibrate_gate.py``):

- ``cosine``: the best passage's dense cosine. e5 cosines of unrelated text sit high (0.75–0.83),
  so it separates off-topic questions, not on-topic ones the documents cannot answer;
- ``coverage``: the idf-weighted share of the question's content terms held by one of the top
  passages — an on-topic question usually shares the topic's words but misses the asked-for one
  (수수료, 매출액, 배당금);
- ``typed``: when the question asks for a date or a number, whether a sentence of the top passages
  that shares the question's words holds one;
- ``asked`` / ``focus_typed`` (answer-type evidence): the kind of value asked for
  (:func:`asked_kind`) and whether a sentence holds one beside the noun the question asks about
  (:func:`question_focus`); :func:`lacks_asked_value` refuses outright for the kinds in
  ``answer.tuning.GATE_HARD_KINDS``.

docs/relevance-gate.md describes the decision and the measurements behind it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from answer.sentence_shapes import squashed
from answer.tuning import GATE_BIAS, GATE_FOCUS_NEARBY, GATE_HARD_KINDS, GATE_WEIGHTS
from reportqa.language import content_terms, get_kiwi
from reportqa.settings import Settings


@dataclass(frozen=True)
class GateFeatures:
    """What the gate knows about a question and its best passages."""

    language: str
    cross_lingual: bool  # the best passage is in another language than the question
    cosine: float
    coverage: float
    asks_type: bool = False  # the question asks for a date or a number
    typed: bool = True  # ...and a sentence near its words holds one (True when it asks neither)
    # Richer evidence (benchmarks/calibrate_gate.py weighs them; defaults: no evidence either way).
    margin: float = 0.0  # best passage cosine minus the second best
    sentence_cosine: float = 0.0  # the best stored sentence's cosine among the top passages
    sentence_coverage: float = 0.0  # the most of the question's weighted terms one sentence holds
    bm25_sure: float = 0.0  # the best BM25 score over the most any passage could score
    unseen: float = 0.0  # idf-weighted share of the question's terms no passage holds at all
    missing: float = 0.0  # idf-weighted share of its terms none of the top passages holds
    salient_missing: float = 0.0  # the rarest term none of them holds, over the rarest term's idf
    typed_coverage: float = 1.0  # the most of its terms a sentence of the asked-for type holds
    # Answer-type evidence (issue 13.1; lacks_asked_value): the kind of value asked for
    # (asked_kind, "" for none) and the best focus_share of a sentence holding one (1: none asked).
    asked: str = ""
    focus_typed: float = 1.0


# "몇 개", "몇 년", "몇 명": the unit a count question asks in belongs to the answer ("10대 과제",
# "7 년"), not to the topic, so the text need not hold it for the question to be on topic.
_ASKED_UNIT = re.compile(r"몇\s?([가-힣]{1,2})")


def topic_terms(question: str, terms: Sequence[str]) -> list[str]:
    """``terms`` without the unit a count question asks in ("몇 개인가" → no "개"). Pure."""
    units = {m.group(1)[:1] for m in _ASKED_UNIT.finditer(question)} | {
        m.group(1) for m in _ASKED_UNIT.finditer(question)
    }
    kept = [t for t in terms if t not in units]
    return kept or list(terms)


# -- What the question asks for (issue 13.1: answer-type evidence) --------------------------------
@dataclass(frozen=True)
class AskedKind:
    """The kind of value a question asks for and what text holding one looks like."""

    name: str
    evidence: re.Pattern[str]


_MONTHS_EN = "january|february|march|april|may|june|july|august|september|october|november|december"
_DIGIT = r"\d"
# Each: (name, how a question asks for it, what a sentence holding one looks like). The first that
# matches decides, so the specific kinds come before the general ones.
_KIND_RULES: tuple[tuple[str, str, str], ...] = (
    (
        "contact",
        r"(?:이메일|메일\s?주소|url|웹\s?사이트|홈페이지|연락처|전화\s?번호|주소)\s?(?:은|는|이|가|를|을)?\s?"
        r"(?:뭐|무엇|어떻게|어디|알려|좀)|\b(?:e-?mail|url|website|phone number|web address)\b"
        r"|\bwho should i (?:e-?mail|contact|call)\b",
        r"@|https?://|www\.|\.(?:com|kr|org|net|io)\b|\d{2,4}-\d{3,4}-\d{4}"
        # A street address numbers its road ("중대로 135", "도움6로 11", "테헤란로7길 22") or its lot
        # ("역삼동 123-4"); a word ending in 시 or 구 before a number ("예시1", "요구 2") is none.
        r"|[가-힣][가-힣\d]*(?:로|길)\s?\d{1,4}(?!\d)|[가-힣]+동\s?\d{1,4}-\d{1,4}",
    ),
    (
        "person",
        r"누구|누가|\bwho(?:m|se)?\b|저자|작성자|담당자|대표자",
        r"씨\b|님\b|교수|박사|대표|위원장|원장|장관|대통령|의원|회장|사장|이사|연구원|기자|저자"
        r"|[A-Z][a-z]+,?\s[A-Z]\.|\bet al\b|[A-Z][a-z]+\s[A-Z][a-z]+|[가-힣]{2,4}\s?\(",
    ),
    (
        "organisation",
        # The organisation word is what is asked ("발행하는 기관은?", "회계법인은 어디야?"), not a
        # word of the topic ("공안기관이 근거로 삼는 법안은 무엇인가?" asks for a law).
        r"(?:기관|회사|법인|업체|단체)(?:은|는|이|가)?\s*(?:어디|무엇|뭐|누구|어느|\?|$)"
        r"|(?:기관|회사|법인|업체|단체)의?\s?(?:이름|명칭)"
        r"|\bwhich (?:agency|organi[sz]ation|company|institution|body|authority)\b",
        r"[가-힣A-Za-z]*(?:청|부|처|기관|협회|공단|센터|법인|회사|재단|위원회|연구소|대학교?|은행|공사"
        r"|학회|진흥원|연구원|인터넷진흥원|감사원|법원|재판소|공단|사)(?:[^가-힣]|$|(?:은|는|이|가|을|를|의|에|와|과|로|도)(?![가-힣]))|Agency|Institute|Ministry|Corporation|Corp\b"
        r"|Inc\b|Ltd\b|University|Cent(?:er|re)|Association|Committee|Council|(?<![A-Za-z])[A-Z]{2,}(?![a-z])",
    ),
    (
        "time",
        r"몇\s?시(?!간)|\bwhat time\b|운영\s?시간|영업\s?시간",
        r"\d{1,2}\s?시(?!간)|\d{1,2}:\d{2}|오전|오후|\b[ap]\.?m\b",
    ),
    (
        "date",
        r"언제(?!나)|연도(?!별)|년도|날짜|며칠|(?<![가-힣])기한|마감|몇\s?년\s?몇\s?월|\b(?:what|which) (?:year|date|day|month)\b"
        r"|^\s*when\b(?![^?]*,\s*(?:how|what|which|who)\b)|\bwhen (?:is|was|were|will|would|did|does|do|has|have|had|can|could)\b"
        r"|\bdeadline\b|\bsince when\b",
        rf"\d{{4}}|\d{{1,2}}\s?(?:월|일)|\b\d{{1,2}}\s+(?:{_MONTHS_EN})\b|\b(?:{_MONTHS_EN})\s+\d{{1,4}}\b"
        r"|상반기|하반기|분기|올해|내년|작년|금년|\d{1,4}\s?년|\d{1,2}\s?세기|시대|오전|오후|정오|자정"
        # An occasion answers "언제 해야 하죠?" ("매 재시작 시마다", "설치 직후", "배포 전에"), and so
        # does a condition ("삭제되지 않고 유지되는 경우": "저장 항목은 언제 체크해?").
        r"|(?:시|때)\s?마다|마다|직후|직전|(?<![가-힣])(?:전|후)에|이전에|이후에|(?:할|될|하는|되는)\s?때"
        r"|(?:는|은|인|한|할|될|된|던)\s?경우",
    ),
    (
        "amount",
        r"금액|비용|가격|수수료|요금|예산|사업비|매출액|액수|\bfees?\b|\bcosts?\b|\bprices?\b"
        r"|\bamount\b|\bbudget\b|\bhow much (?:money|does|do|did|will|would|is)\b.*\bcost",
        r"\d[\d,.]*\s?(?:원|만|억|조|천|백만|달러|유로|파운드|엔|위안|%|퍼센트|USD|KRW|EUR)|[$₩€£¥]\s?\d|\d{1,3}(?:,\d{3})+"
        r"|무료|무상|유료|\bfree\b",
    ),
    (
        "number",
        r"(?<!어떤 )(?<!무슨 )몇|얼마|\bhow much\b|\bhow (?:many|long|big|large|small|heavy|far|old|often)\b"
        r"|\bwhat (?:percentage|share|proportion|number|size|length)\b|번호|\bnumber\b|해시|\bhash\b"
        r"|버전|\bversion\b",
        r"\d|(?:하나|둘|셋|넷|다섯|여섯|일곱|여덟|아홉|스물|서른)\s?(?:가지|개|명|곳|대|번|건|배|과제)"
        r"|(?:한|두|세|네|열)\s(?:가지|개|명|곳|대|번|건|배|과제)"
        r"|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundred|thousand"
        r"|million|billion|dozen)\b",
    ),
)
_KINDS = tuple(
    (re.compile(asks, re.IGNORECASE), AskedKind(name, re.compile(holds, re.IGNORECASE)))
    for name, asks, holds in _KIND_RULES
)


# "몇 W야", "몇 비트": a count in a unit of measure, answered by a number in that unit ("2,500 W").
_MEASURE_UNITS = "w|kw|bits?|bytes?|kb|mb|gb|km|kg|mm|cm|m|g|ml|와트|비트|바이트|퍼센트|%|시간|개월|달러"
_ASKS_MEASURE = re.compile(rf"몇\s?({_MEASURE_UNITS})(?![A-Za-z])", re.IGNORECASE)


# "몇 배", "몇 회", "몇 건": a count in a counter the answer repeats ("3배", "1,000회", "두 건"); the
# counters a text may leave out ("10대 핵심과제" answers "몇 개") stay with "number".
_COUNTERS = "배|회|건|차례"
_ASKS_COUNT = re.compile(rf"몇\s?({_COUNTERS})(?:(?![가-힣])|(?=[나이가를는로으까씩야인일였의에정쯤]))")
_NUMERAL = r"(?:\d[\d,.]*|한|두|세|네|다섯|여섯|일곱|여덟|아홉|열|수십|수백|수천|몇십|수)"


# The ways a text writes one unit ("몇 퍼센트" is answered by "64%").
_UNIT_ALIASES = (
    ("퍼센트", "%"), ("w", "와트"), ("kw", "킬로와트"), ("bit", "bits", "비트"),
    ("byte", "bytes", "바이트"), ("km", "킬로미터", "킬로"), ("kg", "킬로그램"), ("달러", "usd"),
)


def _unit_forms(unit: str) -> str:
    """A regex alternation of the ways a text writes ``unit``."""
    forms = next((g for g in _UNIT_ALIASES if unit.lower() in g), (unit,))
    return "(?:" + "|".join(re.escape(f) for f in forms) + ")"


def asked_kind(question: str) -> AskedKind | None:
    """The kind of value ``question`` asks for (a contact, person, organisation, time, date,
    amount, a measure in a named unit, a count in a counter, or a number), or None when it asks
    for none. Pure."""
    measure = _ASKS_MEASURE.search(question)
    if measure and not _KINDS[3][0].search(question):  # "몇 시간" is a measure, "몇 시" a time
        unit = _unit_forms(measure.group(1))
        # "112-비트", "128 bit", "2,500W", "5만 달러": a hyphen or a magnitude (만, 억) may stand
        # between the number and its unit.
        return AskedKind(
            "measure",
            re.compile(rf"\d\s?(?:[만억조천]\s?)?-?\s?{unit}(?![A-Za-z])", re.IGNORECASE),
        )
    count = _ASKS_COUNT.search(question)
    if count and not _KINDS[3][0].search(question):
        counted = rf"{_NUMERAL}\s?(?:[만억조천백]\s?)?(?:여\s?)?{count.group(1)}"  # "5억 200만 회"
        return AskedKind("count", re.compile(counted))
    for asks, kind in _KINDS:
        if asks.search(question):
            if kind.name == "amount" and not _ASKS_A_VALUE.search(question):
                continue  # "선거비용을 폭로한 사람은?" names a cost and asks for a person
            return kind
    return None


# An amount question asks for the value ("예산은 얼마인가요?", "How much is the fee?", "What is the
# budget?", "… 회원권 가격은?"); a money word elsewhere ("예비용", "선거비용을 폭로한 의원은?")
# asks for none.
_ASKS_A_VALUE = re.compile(
    r"얼마|몇\s?(?:원|만|억|조|달러)|\bhow much\b|^\s*(?:what|which)\b|\bwhat (?:is|was|are|were|will)\b"
    r"|(?:금액|비용|가격|수수료|요금|예산|사업비|매출액|액수)\s?(?:은|는)\s*\??\s*$",  # "… 가격은?"
    re.IGNORECASE,
)


# -- The question's focus: the noun its question word asks about ----------------------------------
_WH = frozenset(
    ["얼마", "몇", "언제", "어디", "누구", "무엇", "뭐", "뭘", "무슨", "어떤", "어느", "어떻게", "며칠", "누가", "얼마나"]
)
# Nouns that name the slot an answer fills ("설립된 곳은", "그 사람의 이름은"), not the topic:
# the text need not hold them. Also degree words that sit between the focus and the question word.
_SLOT_NOUNS = frozenset(
    ["것", "거", "곳", "때", "수", "부분", "항목", "경우", "이름", "사람", "인물", "명칭", "날짜", "시기", "년도", "연도", "해", "나라", "최소", "최대", "총", "평균", "정도", "내용", "종류", "방법", "기간", "시간", "얼마", "뭐", "무엇", "전체", "대략", "약", "보통", "각각", "정확히", "현재", "당시", "이", "그", "저"]
)
_NOUNISH = ("NN", "NR", "NP", "SL", "SN", "SH", "XSN", "XPN", "XR")


def question_focus(question: str) -> str | None:
    """The words the question's first question word asks about ("매출액" of "연결 매출액은
    얼마야?", "Part 2" of "GVI Part 2는 언제 …"), or None when a verb phrase or nothing stands
    before it ("태어난 곳은 어디인가?"). Pure."""
    tokens = get_kiwi().tokenize(question)
    wh = next((i for i, t in enumerate(tokens) if t.form in _WH), None)
    if wh is None:
        return None
    words: list[list[Any]] = []  # the eojeols before the question word, each its tokens
    for tok in tokens[:wh]:
        if words and tok.start == words[-1][-1].start + words[-1][-1].len:
            words[-1].append(tok)
        else:
            words.append([tok])
    picked: list[str] = []
    for word in reversed(words):
        core = list(word)
        while core and core[-1].tag.startswith(("J", "E", "VCP", "SF", "SP", "SS")):
            core.pop()
        if not core or not all(t.tag.startswith(_NOUNISH) for t in core):
            break
        text = question[core[0].start : core[-1].start + core[-1].len]
        if not picked and (text in _SLOT_NOUNS or _is_measure(core)):
            continue
        picked.insert(0, text)
        joined = "".join(picked)
        if len(joined) >= 2 and not joined.isdigit() and re.search(r"[가-힣]{2}|[A-Za-z]{3}", joined):
            break
    joined = "".join(picked)
    if len(joined) < 2 or not re.search(r"[가-힣]{2}|[A-Za-z]{3}", joined):
        return None  # one syllable ("날" of "요청한 날부터 며칠"): too weak to look for
    return " ".join(picked)


def _is_measure(tokens: Sequence[Any]) -> bool:
    """"1년에" of "1년에 얼마나": a number with its unit is part of the question, not its focus
    ("V1.0" and "Part 2" keep their letters)."""
    return tokens[0].tag == "SN" and len(tokens) <= 2 and all(t.tag != "SL" for t in tokens)


def focus_share(focus: str | None, text: str, terms: set[str]) -> float:
    """1 when ``text`` holds ``focus`` (spaces ignored: tables write "부 채 총 계"), else half the
    share of the focus's content terms ``terms`` holds; 1 when there is no focus. Pure."""
    if focus is None:
        return 1.0
    if squashed(focus) in squashed(text):
        return 1.0
    parts = content_terms(focus)
    return 0.5 * sum(p in terms for p in parts) / len(parts) if parts else 0.0


def typed_coverage(
    wanted: re.Pattern[str] | None,
    sentences: Sequence[tuple[str, set[str]]],
    question_terms: Sequence[str],
    idf: Callable[[str], float],
) -> float:
    """The most of the question's idf-weighted terms a sentence holding the asked-for type
    (``wanted``) holds: 0 when none holds it, 1 when the question asks for no type. Pure."""
    if wanted is None:
        return 1.0
    unique = list(dict.fromkeys(question_terms))
    total = sum(idf(t) for t in unique)
    best = 0.0
    for text, terms in sentences:
        if wanted.search(text):
            best = max(best, 1.0 if total <= 0 else sum(idf(t) for t in unique if t in terms) / total)
    return best


def typed_evidence(
    wanted: re.Pattern[str] | None,
    sentences: Sequence[tuple[str, set[str]]],
    question_terms: Sequence[str],
    idf: Callable[[str], float],
    min_share: float,
) -> bool:
    """Whether some sentence holds the asked-for type (``wanted``) and at least ``min_share`` of
    the question's idf-weighted terms; True when the question asks for no type. Pure."""
    if wanted is None:
        return True
    unique = list(dict.fromkeys(question_terms))
    total = sum(idf(t) for t in unique)
    for text, terms in sentences:
        if not wanted.search(text):
            continue
        if total <= 0 or sum(idf(t) for t in unique if t in terms) / total >= min_share:
            return True
    return False


def model_inputs(f: GateFeatures) -> dict[str, float]:
    """The logistic gate's inputs (names as in :data:`GATE_WEIGHTS`). Pure."""
    asked = float(f.asks_type and not f.cross_lingual)  # typed evidence is not sought across languages
    return {
        "cosine": f.cosine,
        "sentence_cosine": f.sentence_cosine,
        "coverage": f.coverage,
        "sentence_coverage": f.sentence_coverage,
        "margin": f.margin,
        "bm25_sure": f.bm25_sure,
        "unseen": f.unseen,
        "missing": f.missing,
        "salient_missing": f.salient_missing,
        "asks_type": asked,
        "typed_coverage": asked * f.typed_coverage,
        "english": float(f.language == "en"),
        "cross_lingual": float(f.cross_lingual),
    }


def answer_probability(
    features: GateFeatures,
    weights: Mapping[str, float] | None = None,
    bias: float = GATE_BIAS,
) -> float:
    """The logistic gate's probability that the passages answer the question. Pure."""
    weights = GATE_WEIGHTS if weights is None else weights
    z = bias + sum(weights.get(k, 0.0) * v for k, v in model_inputs(features).items())
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def lacks_asked_value(features: GateFeatures) -> bool:
    """True when the question asks for a value of a kind the gate trusts (``GATE_HARD_KINDS``)
    and no sentence of its top passages holds one beside the question's focus (across languages:
    none holds one at all): "총사업비 예산은 얼마인가요?" of a text quoting no budget. Pure."""
    return features.asked in GATE_HARD_KINDS and features.focus_typed <= 0.0


def judge(features: GateFeatures, settings: Settings) -> bool:
    """True when the question should be answered from its passages. Pure.

    ``settings.gate`` "model" (the default): within a language :func:`answer_probability` must
    reach ``gate_min_probability``, and below ``gate_sure_probability`` the thresholds rule must
    agree; across languages the thresholds rule decides. "thresholds" (the former rule alone):
    within a language: the cosine must reach ``min_score_<lang>``, or ``min_score_with_terms``
    with ``min_term_coverage``; across languages the ``_cross`` thresholds apply (coverage then
    counts the question's translation). A question asking for a date or number with no sentence
    holding one near its words is refused unless its cosine reaches ``min_score_typed_override``.
    Under "model", a question that :func:`lacks_asked_value` is refused first.
    """
    if settings.gate == "model" and lacks_asked_value(features):
        return False
    if settings.gate == "model" and not features.cross_lingual:
        # Across languages the thresholds rule alone decides: the model saw 26 such answerable
        # rows, and refused 0.60 of Korean questions on an English-only index (rule: 0.13).
        p = answer_probability(features)
        if p < settings.gate_min_probability:
            return False
        if p >= settings.gate_sure_probability:
            return True
        # Below it the model cannot tell an off-topic question from a chatty on-topic one (both
        # share few words with the passages); the thresholds rule decides.
    return _thresholds(features, settings)


def _thresholds(features: GateFeatures, settings: Settings) -> bool:
    f = features
    if f.cross_lingual:
        ok = f.cosine >= settings.min_score_cross or (
            f.cosine >= settings.min_score_cross_with_terms
            and f.coverage >= settings.min_term_coverage
        )
    else:
        threshold = settings.min_score_ko if f.language == "ko" else settings.min_score_en
        ok = f.cosine >= threshold or (
            f.cosine >= settings.min_score_with_terms and f.coverage >= settings.min_term_coverage
        )
    if ok and f.asks_type and not f.typed:
        ok = f.cosine >= settings.min_score_typed_override
    return ok


# The nouns naming the slot a value of a kind fills, when they are the question's focus.
_KIND_SLOTS: dict[str, frozenset[str]] = {
    "organisation": frozenset(["기관", "회사", "법인", "업체", "단체"]),
}


def asked_value_evidence(
    question: str,
    sentences: Sequence[tuple[str, set[str]]],
    cross_lingual: bool,
    nearby: Sequence[tuple[str, set[str]]] = (),
) -> dict[str, Any]:
    """:class:`GateFeatures`' ``asked`` and ``focus_typed`` for ``question`` and the sentences of
    its top passages (text, terms). ``nearby``, aligned with ``sentences`` when given, is what
    stands just before each one (the sentence before it in its passage, the passage's title and
    headings): a sentence of the asked-for kind there scores ``GATE_FOCUS_NEARBY`` when that holds
    the whole focus ("1964년 연극배우 첫 데뷔하였고" after a sentence naming 김을동). Across
    languages there is no focus to look for: any sentence of the asked-for kind counts. Pure."""
    kind = asked_kind(question)
    if kind is None:
        return {"asked": "", "focus_typed": 1.0}
    focus = None if cross_lingual else question_focus(question)
    if focus in _KIND_SLOTS.get(kind.name, ()):
        focus = None  # "만든 기관은 어디인가요?": the slot an organisation's name fills
    # An organisation's name has no shape a pattern sees everywhere ("무디스", "깁슨"): a focus that
    # names the kind of body ("회계법인", "출판사") found in a sentence is evidence enough.
    named = kind.name == "organisation" and focus is not None
    best = 0.0
    for i, (text, terms) in enumerate(sentences):
        if not (named or kind.evidence.search(text)):
            continue
        share = focus_share(focus, text, terms)
        if share < 1.0 and i < len(nearby) and not named:
            near_text, near_terms = nearby[i]
            if focus_share(focus, near_text, near_terms) >= 1.0:
                share = max(share, GATE_FOCUS_NEARBY)
        best = max(best, share)
    return {"asked": kind.name, "focus_typed": best}
