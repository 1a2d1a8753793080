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

from reportqa.language import detect_language

log = logging.getLogger(__name__)

History = Sequence[tuple[str, str]]
Rewriter = Callable[[str, History], str]
Terms = Callable[[str], Sequence[str]]

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
) -> str:
    """``question`` as a standalone question (unchanged when there is no history or no need).

    With ``llm`` the model rewrites questions that lean on the conversation; a rewrite that fails
    ``acceptable_rewrite`` (or an error) falls back to the heuristic.
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
    return heuristic_rewrite(q, history, terms)
