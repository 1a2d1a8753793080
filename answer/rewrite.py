"""Follow-up questions → standalone questions, before retrieval.

"그럼 두 번째 전략은?" after "보고서가 제시한 3대 추진 전략은?" means "보고서가 제시한 3대 추진 전략
중 두 번째 전략은?"; retrieval and the generators only see standalone questions. A language model
rewrites when one is configured (its output is checked and the heuristic is the fallback); the
history-aware heuristic below works without one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

from answer.tuning import LEAD_IN_CHARS, MAX_ITEM_CHARS, MAX_OWN_TERMS
from ingest.terms import korean_term_before
from reportqa.language import detect_language

log = logging.getLogger(__name__)

History = Sequence[tuple[str, str]]
Rewriter = Callable[[str, History], str]
Terms = Callable[[str], Sequence[str]]
# The passages (texts, best first) that answer a standalone question: where an ordinal follow-up
# looks for the list when the previous answer did not quote it.
Passages = Callable[[str], Sequence[str]]

# Openers that make a question lean on the previous one.
_KO_LEAD = re.compile(
    r"^(?:그럼|그러면|그렇다면|그리고|그런데|근데|또|또한|그래서|아니면|혹시)(?:\s*요)?[\s,]+"
)
_EN_LEAD = re.compile(r"^(?:and|so|then|also|but|ok(?:ay)?|well)\b[\s,]+", re.IGNORECASE)
_EN_ABOUT = re.compile(r"^(?:what|how)\s+about\s+", re.IGNORECASE)
# A leading pronoun with its particle: "그건 …", "그것은 …", "이게 …", "그걸 …".
_KO_PRONOUN = re.compile(
    r"^(?:그것|이것|저것|그거|이거|저거|그건|이건|저건|그게|이게|저게|그걸|이걸|그분|그곳|거기)"
    r"(은|는|이|가|을|를|도|에서|의)?\s+"
)
_KO_PRONOUN_PARTICLE = {
    "그건": "은",
    "이건": "은",
    "저건": "은",
    "그게": "이",
    "이게": "이",
    "저게": "이",
    "그걸": "을",
    "이걸": "을",
}
# Words that point back into the previous answer or question.
_KO_REFERENCE = re.compile(
    r"(?:\d+|첫|두|세|네|다섯|여섯|일곱|여덟|아홉|열)\s*번째|마지막|나머지|그중|그 중|"
    r"^그\s|\s그\s|그것|이것|그거|이거|그분|거기|그곳|해당|위의|앞의|앞서|방금"
)
_EN_REFERENCE = re.compile(
    r"\b(?:it|its|they|them|their|that|this|those|these|he|she|him|his|her|there|"
    r"first|second|third|fourth|fifth|last|other|others|rest|former|latter|one|ones)\b",
    re.IGNORECASE,
)
_KO_QUESTION_TAIL = re.compile(
    r"\s*(?:은|는|이|가)?\s*(?:무엇|뭐|뭔|어떤 것|어디|언제|누구|몇)?\s*"
    r"(?:인가요|인가|입니까|이에요|예요|이야|야|이니|니|일까요|일까|나요|가요|죠|지요|요)?\s*[?？.!]*$"
)
_EN_QUESTION_HEAD = re.compile(
    r"^(?:what|which|who|whom|whose|when|where|why|how(?:\s+many|\s+much)?)\s+"
    r"(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should)?\s*",
    re.IGNORECASE,
)
MAX_REWRITE_CHARS = 300

# Ordinals of a follow-up that picks one item of a listed answer.
_KO_NUMBERS = {"첫": 1, "한": 1, "두": 2, "둘": 2, "세": 3, "셋": 3, "네": 4, "넷": 4, "다섯": 5,
               "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9, "열": 10}
_KO_ORDINAL = re.compile(
    r"(\d+|첫|두|세|네|다섯|여섯|일곱|여덟|아홉|열)\s*번\s*째|(첫|둘|셋|넷|다섯|여섯|일곱|여덟|아홉|열)\s*째|(마지막)"
)
_EN_NUMBERS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
               "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "last": -1}
_EN_ORDINAL = re.compile(
    r"\b(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|(\d+)(?:st|nd|rd|th))\b",
    re.IGNORECASE,
)
# How many items a question's topic promises: "3대 추진 전략", "세 가지", "three strategies".
_KO_COUNT = re.compile(r"(\d+)\s*(?:대|가지|개|개의)\s|(두|세|네|다섯)\s*가지")
_EN_COUNT = re.compile(r"\b(two|three|four|five|six|seven|eight|nine|ten|\d+)\s+(?!percent|per\b)[a-z]", re.IGNORECASE)
_EN_COUNT_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                   "nine": 9, "ten": 10}
# Markers of list items written inline ("△a △b △c") or at the start of lines ("1. a", "- a").
_INLINE_MARKERS = "△▲▷▶○●■□◆◇◦•※①②③④⑤⑥⑦⑧⑨⑩❶❷❸❹❺"
_LINE_ITEM = re.compile(r"^\s*(?:[-*•·]|\(?\d{1,2}[.)]|\(\d{1,2}\)|[가-하][.)])\s+(.+)$")
# The predicate a Korean list's last item runs into: "…조성이 핵심축이다", "…운영 등이 포함됐다".
_KO_ITEM_TAIL = re.compile(r"^(.*\S)(?:이|가|은|는|을|를|으로|로|과|와)\s+\S+\s*$")
# Index terms of ordinal phrases ("두 번째", "첫째", "the third one", "4th").
_ORDINAL_WORDS = frozenset(
    {"번", "째", "번째", "첫째", "둘째", "셋째", "넷째", "마지막", "것", "거", "중", "one", "ones",
     "item", "th", "st", "nd", "rd"}
)


def is_follow_up(question: str, terms: Terms | None = None) -> bool:
    """Whether ``question`` leans on the conversation (an opener, a pointer word, or too short)."""
    q = question.strip()
    if detect_language(q) == "ko":
        if _KO_LEAD.match(q) or _KO_PRONOUN.match(q) or _KO_REFERENCE.search(q):
            return True
    elif _EN_LEAD.match(q) or _EN_ABOUT.match(q) or _EN_REFERENCE.search(q):
        return True
    if terms is not None:
        return len(set(terms(q))) <= 1
    return len(q) <= 6


def _previous_question(history: History, terms: Terms | None) -> str | None:
    """The most recent user question in ``history`` that stands on its own."""
    questions = [q.strip() for q, _ in history if q and q.strip()]
    for q in reversed(questions):
        if not is_follow_up(q, terms):
            return q
    return questions[-1] if questions else None


def _has_batchim(word: str) -> bool:
    ch = word.rstrip()[-1:] if word.strip() else ""
    if "가" <= ch <= "힣":
        return (ord(ch) - 0xAC00) % 28 != 0
    return ch.isdigit() and ch in "013678"


def _ko_particle(topic: str, kind: str) -> str:
    batchim = _has_batchim(topic)
    return {"은": "은" if batchim else "는", "이": "이" if batchim else "가", "을": "을" if batchim else "를"}[kind]


def ko_topic(question: str) -> str:
    """"보고서가 제시한 3대 추진 전략은?" → "보고서가 제시한 3대 추진 전략"."""
    topic = _KO_QUESTION_TAIL.sub("", question.strip())
    return topic.strip() or question.strip().rstrip("?？")


def en_topic(question: str) -> str:
    """"What are the three strategies?" → "the three strategies"."""
    topic = _EN_QUESTION_HEAD.sub("", question.strip()).rstrip("?？. ")
    return topic or question.strip().rstrip("?？")


def heuristic_rewrite(question: str, history: History, terms: Terms | None = None) -> str:
    """A standalone question from a follow-up and the last standalone question before it."""
    q = question.strip()
    if not history or not is_follow_up(q, terms):
        return q
    previous = _previous_question(history, terms)
    if not previous:
        return q
    if detect_language(q) == "ko":
        rest = _KO_LEAD.sub("", q)
        topic = ko_topic(previous)
        pronoun = _KO_PRONOUN.match(rest)
        if pronoun:
            word = rest[: pronoun.end()].strip()
            particle = pronoun.group(1) or ""
            kind = _KO_PRONOUN_PARTICLE.get(word) or {"은": "은", "는": "은", "이": "이", "가": "이", "을": "을", "를": "을"}.get(particle)
            joined = f"{topic}{_ko_particle(topic, kind) if kind else particle} "
            return joined + rest[pronoun.end() :]
        if re.search(r"번째|마지막|나머지|그\s?중", rest):
            rest = re.sub(r"^그\s?중(?:에서)?\s*", "", rest)
            return f"{topic} 중 {rest}"
        return f"{topic}에 관해, {rest}"
    rest = _EN_LEAD.sub("", q)
    rest = _EN_ABOUT.sub("", rest)
    topic = en_topic(previous)
    if rest is not q and not _EN_QUESTION_HEAD.match(rest):  # "what about the second one?"
        return f"What about {rest.rstrip('?？. ')} of {topic}?"
    return f"{rest.rstrip('?？. ')} (about {topic})?"


def ordinal(question: str) -> int | None:
    """The item a follow-up asks for: 1-based, -1 for the last one; None if it names none."""
    if detect_language(question) == "ko":
        m = _KO_ORDINAL.search(question)
        if not m:
            return None
        if m.group(3):
            return -1
        word = m.group(1) or m.group(2)
        return int(word) if word.isdigit() else _KO_NUMBERS[word]
    m = _EN_ORDINAL.search(question)
    if not m:
        return None
    return int(m.group(2)) if m.group(2) else _EN_NUMBERS[m.group(1).lower()]


def promised_count(question: str) -> int | None:
    """How many items ``question`` says there are ("3대 추진 전략" → 3), if it says."""
    m = _KO_COUNT.search(question + " ")
    if m:
        return int(m.group(1)) if m.group(1) else _KO_NUMBERS[m.group(2)]
    m = _EN_COUNT.search(question)
    if m:
        word = m.group(1).lower()
        return int(word) if word.isdigit() else _EN_COUNT_WORDS[word]
    return None


def list_items(text: str) -> list[tuple[int, list[str]]]:
    """The lists written in ``text``: (offset where each starts, its items), in order. Pure.

    Inline markers ("△a △b △c", "① … ② …") and line items ("1. …", "- …") are recognised;
    a Korean list's last item loses the predicate it runs into ("…조성이 핵심축이다")."""
    lists: list[tuple[int, list[str]]] = []
    for marker in _INLINE_MARKERS:
        if text.count(marker) < 2:
            continue
        pos = 0
        for line in text.split("\n"):
            parts = line.split(marker)
            items = [_clean_item(p) for p in parts[1:]]
            items = [i for i in items if i]
            if len(items) >= 2:
                lists.append((pos + line.index(marker), items))
            pos += len(line) + 1
    run: list[str] = []
    start = pos = 0
    for line in [*text.split("\n"), ""]:
        m = _LINE_ITEM.match(line)
        if m and (item := _clean_item(m.group(1))):
            if not run:
                start = pos
            run.append(item)
        else:
            if len(run) >= 2:
                lists.append((start, run))
            run = []
        pos += len(line) + 1
    return sorted(lists)


def _clean_item(text: str) -> str:
    item = text.strip().rstrip(".;,。")
    if detect_language(item) == "ko":
        tail = _KO_ITEM_TAIL.match(item)
        if tail and re.search(r"(?:다|요|됨|음)$", item):
            item = tail.group(1)
        item = re.sub(r"\s*등$", "", item)
    return item.strip() if 0 < len(item.strip()) <= MAX_ITEM_CHARS else ""


def pick_item(topic: str, n: int, texts: Sequence[str], terms: Terms) -> str | None:
    """Item ``n`` (1-based; -1: the last) of the list in ``texts`` that ``topic`` is about. Pure.

    A list counts when it has item ``n``; the one with as many items as the topic promises
    ("3대 …" → 3) wins, then the one whose lead-in (the text just before it) shares most of the
    topic's terms, then the earliest text."""
    want = promised_count(topic)
    topic_terms = set(terms(topic))
    best: tuple[tuple[int, float, int], str] | None = None
    for rank, text in enumerate(texts):
        for start, items in list_items(text):
            if n > len(items) or n == 0:
                continue
            lead = set(terms(text[max(0, start - LEAD_IN_CHARS) : start]))
            overlap = len(topic_terms & lead) / len(topic_terms) if topic_terms else 0.0
            key = (int(want == len(items)), overlap, -rank)
            if best is None or key > best[0]:
                best = (key, items[n - 1] if n > 0 else items[-1])
    return best[1] if best else None


def item_follow_up(
    question: str, history: History, terms: Terms, passages: Passages | None = None
) -> str | None:
    """A standalone question for an ordinal follow-up ("그럼 두 번째 전략은?"): the picked
    item's text, taken from the previous answer or else from the passages that answer the
    previous question; None when the question picks no item or no list has it."""
    n = ordinal(question)
    if n is None or not history or not is_follow_up(question, terms):
        return None
    previous = _previous_question(history, terms)
    if not previous:
        return None
    # An item follow-up is elliptic: besides its ordinal it names at most the list ("2번째
    # 과제는?"); a question with words of its own ("전국 첫 번째 수준인가요?") stands alone.
    own = [t for t in dict.fromkeys(terms(question)) if t not in set(terms(previous)) and not _ordinal_word(t)]
    if len(own) > MAX_OWN_TERMS:
        return None
    topic = ko_topic(previous) if detect_language(previous) == "ko" else en_topic(previous)
    wanted = " ".join(own) or topic  # the list the follow-up names, else the previous topic
    item = pick_item(wanted, n, [history[-1][1]], terms)
    if item is None and passages is not None:
        item = pick_item(wanted, n, passages(previous), terms)
    if item is None:
        return None
    if detect_language(question) == "ko":
        # The topic's own noun phrase only ("보고서가 제시한 3대 추진 전략" → "3대 추진 전략"):
        # the rest of the previous question would pull its answer's sentence back in.
        label = wanted if own else korean_term_before(topic) or topic
        return f"{label} 중 {_ordinal_ko(n)}: {item}"
    return f"{_ordinal_en(n)} of {wanted}: {item}"


def _ordinal_word(term: str) -> bool:
    return term.isdigit() or term in _ORDINAL_WORDS or term in _EN_NUMBERS


def _ordinal_ko(n: int) -> str:
    return "마지막" if n < 0 else ("첫 번째" if n == 1 else f"{n}번째")


def _ordinal_en(n: int) -> str:
    names = {v: k for k, v in _EN_NUMBERS.items()}
    return (names.get(n) or f"item {n}").capitalize()


def acceptable_rewrite(rewritten: str, question: str, history: History, terms: Terms) -> bool:
    """Whether a model's rewrite looks like a question about this conversation (not noise)."""
    r = rewritten.strip()
    if not r or len(r) > MAX_REWRITE_CHARS or "\n" in r:
        return False
    if detect_language(r) != detect_language(question):
        return False
    known = set(terms(question))
    for q, a in history:
        known |= set(terms(q)) | set(terms(a))
    mine = set(terms(r))
    return bool(mine) and len(mine & known) / len(mine) >= 0.6


def rewrite_question(
    question: str,
    history: History,
    terms: Terms | None = None,
    llm: Rewriter | None = None,
    passages: Passages | None = None,
) -> str:
    """``question`` as a standalone question (unchanged when there is no history or no need).

    With ``llm`` the model rewrites questions that lean on the conversation (it sees the
    passages when it answers, so it can pick an item itself); a rewrite that fails
    ``acceptable_rewrite`` (or an error) falls back to the heuristics: an ordinal follow-up
    ("the second one?") becomes the item it picks (:func:`item_follow_up`; ``passages`` finds
    the list when the previous answer did not quote it), any other the topic-joined question.
    """
    q = question.strip()
    if not history:
        return q
    if llm is not None and terms is not None and is_follow_up(q, terms):
        try:
            rewritten = llm(q, history).strip()
        except Exception as exc:  # the model is optional here; the heuristic still works
            log.warning("question rewriting by the model failed (%s); using the heuristic", exc)
        else:
            if acceptable_rewrite(rewritten, q, history, terms):
                return rewritten
            log.info("rejected the model's rewrite %r; using the heuristic", rewritten)
    if terms is not None:
        picked = item_follow_up(q, history, terms, passages)
        if picked:
            return picked
    return heuristic_rewrite(q, history, terms)
