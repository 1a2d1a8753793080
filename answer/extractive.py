"""The extractive generator: answer with the retrieved sentences that best answer the question.

No language model: each candidate sentence of the top passages is scored by the cosine of its
stored vector to the question and by how much of the question's (idf-weighted) content terms it
contains; the best one to three sentences are quoted with ``[n]`` markers.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from answer.messages import message
from answer.sentence_shapes import (
    asks_expansion,
    asks_keywords,
    asks_organisation,
    asks_reference,
    best_named_share,
    defined_term,
    defines,
    expands,
    focus_terms,
    is_code_line,
    is_glossary_entry,
    is_keyword_record,
    is_list_item,
    is_question,
    is_reference_entry,
    item_mark,
    label_match,
    names_only_asked_value,
    names_organisation,
    promises_list,
    record_labels,
    table_name,
)
from answer.tuning import (
    ANSWER_TYPE_RATIO,
    CAPTION_MAX_CHARS,
    CAPTION_WEIGHT,
    CODE_FACTOR,
    COS_FLOOR,
    COS_SPAN,
    DEFINITION_WEIGHT,
    DENSE_WEIGHT,
    EXPANSION_RATIO,
    FOCUS_WEIGHT,
    LABEL_WEIGHT,
    LEXICAL_WEIGHT,
    MAX_LIST_ITEMS,
    ORGANISATION_RATIO,
    OWN_LANGUAGE_OFFSET,
    QUESTION_FACTOR,
    RANK_TIE,
    RANK_WEIGHT,
    REFERENCE_FACTOR,
    TABLE_NAMED_WEIGHT,
)
from reportqa.language import content_terms, detect_language
from reportqa.types import Chunk, Hit

# What a sentence ends with and a heading does not (see score_sentences).
_SENTENCE_END = (".", "!", "?", "。", "다")


# Questions that ask for a date or a number, and text that holds one. "어떤 몇 가지" (which few),
# "얼마나 안정적" (how stable) and "what happens when" ask for neither; "세대" (generation), "may"
# and "one of" are no number or date.
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_COUNTERS = "가지|개|명|곳|대|번|건|배|과제|차례|종류|개국|기관"
_ASKS_DATE = re.compile(
    r"언제|연도(?!별)|날짜|며칠|\b(?:what|which) (?:year|date|day|month)\b|^\s*when\b"
    r"|\bwhen (?:is|was|were|will|would|did|does|do|has|have|had|can|could)\b|\bsince when\b",
    re.IGNORECASE,
)
_ASKS_NUMBER = re.compile(
    r"(?<!어떤 )(?<!무슨 )몇\s?(?:개|명|곳|대|가지|번|건|배|퍼센트|%|위|차례|종|년|월|일|살|시간)"
    r"|얼마(?:를|의|인|예|입|일|나\s?(?:되|돼|들|드|투입|필요|쓰))"
    r"|\bhow (?:many|much)\b|\bwhat (?:percentage|share|proportion|number|amount)\b"
    # A size, length or duration is a number too (realdocs English rows: "how long is the key").
    r"|\bhow (?:long|big|large|small|heavy|far|old|often)\b|\bwhat (?:size|length)\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    rf"\d{{4}}|\d{{1,2}}\s?(?:월|일)|\b\d{{1,2}}\s+(?:{_MONTHS})\b|\b(?:{_MONTHS})\s+\d{{1,4}}\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    rf"\d|(?:하나|둘|셋|넷|다섯|여섯|일곱|여덟|아홉|스물|서른)\s?(?:{_COUNTERS})"
    rf"|(?:한|두|세|네|열)\s(?:{_COUNTERS})"  # one syllable: only with a space (세대, 열대 are words)
    r"|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundred|"
    r"thousand|million|billion|dozen)\b",
    re.IGNORECASE,
)


# Questions that ask for a name in code (an API, a function, a variable, an error code) and text
# that holds one: "KISA_Crypto_compute_Key()", "STATUS_ERROR", "0x000005". Used for sentence
# choice only, not by the relevance gate (answer_type).
_ASKS_IDENTIFIER = re.compile(
    r"(?:API|함수|변수|상수|매크로|메서드|메소드)\s?(?:의\s?)?(?:이름|명칭|명)(?:은|는|이|가|을|를)?"
    r"|(?:오류|에러|반환|상태)\s?(?:코드|값)(?:은|는|이|가|을|를|로)?\s?(?:뭐|무엇|어떤|[?？]|$)"
    r"|(?:어떤|무슨|어느)\s?(?:API|함수|오류\s?코드|에러\s?코드|반환값)"
    r"|\b(?:which|what)\s+(?:error|return|status)\s+code\b"
    r"|\b(?:which|what)\s+(?:api|constant|variable|macro)\b"
    r"|\bname\s+of\s+the\s+(?:api|function|constant|variable|macro|error code)\b",
    re.IGNORECASE,
)
_IDENTIFIER = re.compile(
    r"\b[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]+\b|\b[A-Za-z_]\w*\s?\(\)|\b0x[0-9A-Fa-f]{2,}\b"
)


# A question for a size, length or duration, and a number with its unit: "how long is the session
# key" is answered by "16바이트", not by the "3072" of "RSAES 3072 공개키".
_ASKS_SIZE = re.compile(
    r"\bhow\s+(?:long|big|large|small)\b|\bwhat\s+(?:size|length)\b|\b(?:size|length)\s+of\b"
    r"|(?:크기|길이|용량)(?:은|는|가|이)?\s?(?:얼마|몇|어느|[?？]|$)|얼마나\s?(?:긴|길|큰|커|작)",
    re.IGNORECASE,
)
_SIZE = re.compile(
    r"\d[\d,.]*\s?-?(?:바이트|비트|자리|글자|문자|bytes?\b|bits?\b|characters?\b|digits?\b"
    r"|[KMGT]i?B\b|mm\b|cm\b|km\b|m\b|kg\b|g\b|인치|inch"
    # "how long" asks for a duration too
    r"|년|개월|달|주|일|시간|분|초|years?\b|months?\b|weeks?\b|days?\b|hours?\b|minutes?\b"
    r"|seconds?\b)",
    re.IGNORECASE,
)


# A when-question is answered by an occasion too: "언제 해야 하죠?" by "매 재시작 시마다",
# "설치 직후", "배포 전에"; "when must it run?" by "before", "after", "each time" (the relevance
# gate counts the same occasions as date evidence, answer/gate.py).
_DATE_OR_OCCASION = re.compile(
    _DATE.pattern + r"|(?:시|때)\s?마다|직후|직전|(?<![가-힣])(?:전|후)에|이전에|이후에"
    r"|(?:할|될|하는|되는)\s?때|\b(?:before|after|whenever|upon|(?:each|every)\s+time)\b",
    re.IGNORECASE,
)


def answer_shape(question: str) -> re.Pattern[str] | None:
    """What the quoted sentence must hold: :func:`answer_type` (a date question: a date or an
    occasion), a number with a unit (a size, length or duration question), or a name in code.
    Pure."""
    if _ASKS_IDENTIFIER.search(question):
        return _IDENTIFIER
    if _ASKS_SIZE.search(question):
        return _SIZE
    wanted = answer_type(question)
    return _DATE_OR_OCCASION if wanted is _DATE else wanted


def answer_type(question: str) -> re.Pattern[str] | None:
    """What an answer to ``question`` must contain: a date, a number, or anything (None). Pure."""
    if _ASKS_DATE.search(question):
        return _DATE
    if _ASKS_NUMBER.search(question):
        return _NUMBER
    return None


def prefer_answer_type(
    question: str,
    candidates: Sequence[SentenceCandidate],
    selected: list[SentenceCandidate],
    max_sentences: int = 3,
    ratio: float = ANSWER_TYPE_RATIO,
) -> list[SentenceCandidate]:
    """``selected``, unless the question asks for a date, a number or a name in code
    (:func:`answer_shape`) that none of it holds and a candidate holding one scores at least
    ``ratio`` of the best: then the best of those. Pure."""
    wanted = answer_shape(question)
    stated = stated_numbers(question)

    def holds(text: str) -> bool:
        return holds_new_value(wanted, text, stated) if wanted is not None else False

    if wanted is None or not selected or any(holds(c.text) for c in selected):
        return selected
    # A record of a metadata box ("관련 키워드: …") chosen for a date question: the box's record
    # holding a date ("최초 작성일: 2025년 12월 5일") answers, whatever its score.
    if record_labels(selected[0].text):
        box = [
            c for c in candidates
            if c.hit_no == selected[0].hit_no and record_labels(c.text) and holds(c.text)
        ]
        if box:
            return select_sentences(box, max_sentences)
    typed = _strong_holders(candidates, holds, ratio * selected[0].score)
    return select_sentences(typed, max_sentences) if typed else selected


_NUMERAL = re.compile(r"\d+(?:[,.]\d+)*")


def stated_numbers(question: str) -> set[str]:
    """The numbers ``question`` itself states ("RSA-PSS 2048", "20.04"), commas dropped. Pure."""
    return {m.group(0).replace(",", "") for m in _NUMERAL.finditer(question)}


def holds_new_value(wanted: re.Pattern[str], text: str, stated: set[str]) -> bool:
    """Whether ``text`` holds a value of the ``wanted`` shape that is not one of the numbers the
    question states (``stated``): "how big is the value with RSA-PSS 2048" is not answered by the
    "2048-bit" that names the algorithm. A match without digits ("세 가지") counts. Pure."""
    for m in wanted.finditer(text):
        numbers = [
            n.group(0).replace(",", "")
            for n in _NUMERAL.finditer(text)
            if n.start() < max(m.end(), m.start() + 1) and n.end() > m.start()
        ]
        if not numbers or any(n not in stated for n in numbers):
            return True
    return False


def prefer_organisation(
    question: str,
    candidates: Sequence[SentenceCandidate],
    selected: list[SentenceCandidate],
    max_sentences: int = 3,
    ratio: float = ORGANISATION_RATIO,
) -> list[SentenceCandidate]:
    """``selected``, unless the question asks which organisation, the best selected sentence
    names none and a sentence naming one scores at least ``ratio`` of it: then that sentence
    first (issue 13.4: "…발행하고 관리하는 기관은?" quoted the neighbour of the one naming the
    three agencies). Pure."""
    if not selected or not asks_organisation(question) or names_organisation(selected[0].text):
        return selected
    named = _strong_holders(
        candidates, lambda t: not is_question(t) and names_organisation(t), ratio * selected[0].score
    )
    return _best_first(named, selected, max_sentences)


def prefer_expansion(
    question: str,
    candidates: Sequence[SentenceCandidate],
    selected: list[SentenceCandidate],
    max_sentences: int = 3,
    ratio: float = EXPANSION_RATIO,
) -> list[SentenceCandidate]:
    """``selected``, unless the question asks what an abbreviation stands for, the best selected
    sentence does not spell it out and one scoring at least ``ratio`` of it does: then that one
    first ("PAI는 무엇의 약자인가요?" quoted sentences using PAI, not "PAI(Processor Algorithm
    Implementation)"). Pure."""
    acronym = asks_expansion(question)
    if not selected or not acronym or expands(selected[0].text, acronym):
        return selected
    spelled = _strong_holders(candidates, lambda t: expands(t, acronym), ratio * selected[0].score)
    return _best_first(spelled, selected, max_sentences)


def _strong_holders(
    candidates: Sequence[SentenceCandidate], holds: Callable[[str], bool], floor: float
) -> list[SentenceCandidate]:
    """The sentence-long candidates whose text ``holds`` (a date, a number, an organisation),
    when the best of them scores at least ``floor``; else none. Pure."""
    found = [c for c in candidates if len(c.text) >= 8 and holds(c.text)]
    return found if found and max(c.score for c in found) >= floor else []


def _best_first(
    found: list[SentenceCandidate], selected: list[SentenceCandidate], max_sentences: int
) -> list[SentenceCandidate]:
    """``selected`` led by the best of ``found`` (earlier hit on a tie); ``selected`` when
    ``found`` is empty. Pure."""
    if not found:
        return selected
    best = max(found, key=lambda c: (c.score, -c.hit_no))
    return [best, *(c for c in selected if c.span != best.span)][:max_sentences]


def tie_aware_ranks(scores: Sequence[float], tie: float = RANK_TIE) -> list[int]:
    """0-based ranks of hits in retrieval order where one within ``tie`` (relative) of a better
    one shares its rank: a hit's rank counts the hits before it that score clearly more. Pure."""
    return [
        sum(1 for before in scores[:i] if before > s * (1 + tie) and before > s)
        for i, s in enumerate(scores)
    ]


@dataclass(frozen=True)
class SentenceCandidate:
    """One sentence of one retrieved passage, scored against the question."""

    hit_no: int  # 1-based position of its passage among the hits
    span: tuple[int, int]  # offsets into the document text
    text: str
    cosine: float
    coverage: float
    score: float


def term_coverage(
    question_terms: Sequence[str], text_terms: set[str], idf: Callable[[str], float]
) -> float:
    """Idf-weighted share of the question's content terms that occur in a text (0..1)."""
    unique = list(dict.fromkeys(question_terms))
    total = sum(idf(t) for t in unique)
    if total <= 0:
        return 0.0
    return sum(idf(t) for t in unique if t in text_terms) / total


def stored_sentence_terms(chunk: Chunk) -> tuple[tuple[str, ...], ...] | None:
    """The terms of each of ``chunk``'s sentences stored at ingest; None in an older index."""
    if chunk.sentences and len(chunk.sentence_terms) == len(chunk.sentences):
        return chunk.sentence_terms
    return None


def chunk_terms(chunk: Chunk) -> set[str]:
    """A passage's lexical terms: its sentences' terms stored at ingest, else tokenised now."""
    stored = stored_sentence_terms(chunk)
    if stored is not None:
        return {t for terms in stored for t in terms}
    return set(content_terms(chunk.text))


def group_coverage(
    groups: Sequence[Sequence[Sequence[str]]], text_terms: set[str], idf: Callable[[str], float]
) -> float:
    """:func:`term_coverage` of a translated question: one group per phrase, each a list of
    alternatives (term tuples); a phrase is covered by its best alternative fully in the text."""
    total = covered = 0.0
    for group in groups:
        weights = [sum(idf(t) for t in dict.fromkeys(alt)) for alt in group]
        if not weights:
            continue
        total += max(weights)
        covered += max(
            (w for alt, w in zip(group, weights, strict=True) if all(t in text_terms for t in alt)),
            default=0.0,
        )
    return covered / total if total > 0 else 0.0


def score_sentences(
    question_terms: Sequence[str],
    question_vector: np.ndarray,
    hits: Sequence[Hit],
    sentence_vectors: Sequence[np.ndarray],
    idf: Callable[[str], float],
    terms: Callable[[str], Sequence[str]] = content_terms,
    groups: Sequence[Sequence[Sequence[str]]] = (),
    rank_tie: float = 0.0,
    definition_of: str = "",
    focus: Sequence[str] = (),
    keywords_asked: bool = False,
    own_language: str = "",
    table_asked: str | None = None,
    code_asked: bool = False,
    question: str = "",
) -> list[SentenceCandidate]:
    """Score every sentence of every hit; ``sentence_vectors[i]`` embeds ``hits[i]``'s sentences.

    ``groups``: the question's glossary translation (see :func:`group_coverage`); a sentence's
    lexical part is the better of its own-word and its translated coverage. A sentence's terms
    come from ``chunk.sentence_terms`` (computed at ingest) when the index has them, else from
    ``terms``. ``rank_tie``: see :data:`RANK_TIE` (0: plain ranks). ``definition_of``: the term a
    definition question asks about (see :func:`shape_adjusted`); ``focus``: the terms of its
    asked-for noun (:data:`FOCUS_WEIGHT`); ``keywords_asked``: the question asks for keywords
    (else a metadata box's keyword record is no answer); ``own_language``: the language of a
    cross-lingual question, whose sentences in it lose :data:`OWN_LANGUAGE_OFFSET` of their
    cosine. A table row gains :data:`CAPTION_WEIGHT` × how fully the question names its table's
    caption (:func:`caption_match`), and :data:`TABLE_NAMED_WEIGHT` when the question names a
    table (``table_asked``: its name, :func:`table_name`; the name's words are no field label the
    question names, "운영환경 표에서 …" asks for no "운영환경: …" record); a line of source code keeps
    :data:`CODE_FACTOR` of its score unless ``code_asked`` (the question asks for a name in code).
    A record whose only value ``question`` names answers nothing
    (:func:`answer.sentence_shapes.names_only_asked_value`); a reference-list entry keeps
    :data:`REFERENCE_FACTOR` of its score unless ``question`` asks about a standard or paper. A sentence split inside a parenthesis
    ("해시 함수(예:" | "SHA256)에 대한 KAT는 필요 없음") is scored joined with its rest."""
    seen: set[tuple[str, tuple[int, int]]] = set()
    out: list[SentenceCandidate] = []
    reference_asked = asks_reference(question)
    holders: list[int] = []  # the candidates holding the focus terms
    ranks = tie_aware_ranks([h.score for h in hits], rank_tie)
    named = set(terms(table_asked)) if table_asked else set()
    label_terms = [t for t in question_terms if t not in named]
    # A caption named across languages: the question's terms and their glossary translations.
    caption_terms = [*question_terms, *(t for group in groups for alt in group for t in alt)]
    # Any hit's headings: a table of contents repeats the headings of the passages it lists.
    headings = {
        " ".join(h.strip().lstrip("#").split())
        for hit in hits
        for h in (hit.chunk.title, *hit.chunk.heading_path)
    }
    for i, (hit, vectors) in enumerate(zip(hits, sentence_vectors, strict=True)):
        chunk = hit.chunk
        cosines = vectors @ question_vector if len(vectors) else np.zeros(0)
        stored = stored_sentence_terms(chunk)
        caption = caption_match(caption_terms, chunk, idf, terms) if CAPTION_WEIGHT else 0.0
        for span, parts in sentence_units(chunk):
            key = (chunk.doc_id, span)
            if key in seen:  # the same sentence through overlapping chunks
                continue
            seen.add(key)
            text = chunk.text[span[0] - chunk.start : span[1] - chunk.start]
            # A heading names a topic; it answers nothing. But a plain-text file's title is its
            # first line: a sentence there (it ends like one), or the only one of the passage,
            # still answers (issue 15.1: a one-line file was answered from another file).
            bare = " ".join(text.lstrip("#").split())
            if bare in headings and len(chunk.sentences) > 1 and not bare.endswith(_SENTENCE_END):
                continue
            if len(chunk.sentences) > 1 and is_header_row(text, chunk):
                continue
            if len(chunk.sentences) > 1 and not keywords_asked and is_keyword_record(text):
                continue
            if len(chunk.sentences) > 1 and names_only_asked_value(text, question):
                continue
            # A joined sentence takes its longest part's cosine (a fragment's own, like ")."'s,
            # is noise).
            longest = max(parts, key=lambda j: chunk.sentences[j][1] - chunk.sentences[j][0])
            cos = float(cosines[longest]) if longest < len(cosines) else 0.0
            # Across languages a sentence in the question's own language (a reference list, a
            # code line, an English passage of another document) matches it more closely for its
            # language alone.
            shift = OWN_LANGUAGE_OFFSET if own_language and detect_language(text) == own_language else 0.0
            if stored is not None:
                sentence_terms = {t for j in parts for t in stored[j]}
            else:
                sentence_terms = set(terms(text))
            coverage = term_coverage(question_terms, sentence_terms, idf)
            if groups:
                coverage = max(coverage, group_coverage(groups, sentence_terms, idf))
            dense = min(1.0, max(0.0, (cos - shift - COS_FLOOR) / COS_SPAN))
            score = DENSE_WEIGHT * dense + LEXICAL_WEIGHT * coverage + RANK_WEIGHT / (1 + ranks[i])
            score = shape_adjusted(score, text, label_terms, idf, terms, definition_of)
            if chunk.table and record_labels(text) and not is_question(text):
                score += CAPTION_WEIGHT * caption + (
                    TABLE_NAMED_WEIGHT if table_asked is not None else 0.0
                )
            if not code_asked and is_code_line(text):
                score *= CODE_FACTOR
            if not reference_asked and is_reference_entry(text):
                score *= REFERENCE_FACTOR
            if focus and all(t in sentence_terms for t in focus) and not is_question(text):
                holders.append(len(out))
            out.append(SentenceCandidate(i + 1, span, text, cos, coverage, score))
    # The asked-for noun counts only where one sentence names it: a noun several sentences share
    # ("과제" of "…에 관한 과제는?", whose answer is a task named without the word) tells nothing.
    if len(holders) == 1:
        k = holders[0]
        out[k] = dataclasses.replace(out[k], score=out[k].score + FOCUS_WEIGHT)
    return out


def table_captions(chunk: Chunk) -> list[str]:
    """The caption lines of a table passage: in its context ("[암호 서비스 목록에 대한 명세]", or a
    short line that is no header row and no sentence), or a caption line (:data:`_CAPTION_MARK`)
    at the top of its own text before its first row (the first passage of a table holds its
    caption, its context then leaves it out). Pure."""
    lines = chunk.context.splitlines()
    for line in chunk.text.splitlines():
        if " | " in line or record_labels(line):
            break
        if _CAPTION_MARK.match(line.strip()):  # a heading over the table is no caption here
            lines.append(line)
    out = []
    for line in lines:
        line = line.strip()
        if not line or " | " in line:
            continue
        if (line.startswith("[") and line.endswith("]")) or (
            len(line) <= CAPTION_MAX_CHARS and not line.endswith((*_SENTENCE_END, ":", "："))
        ):
            out.append(line.strip("[]"))
    return out


# A caption as set in a passage's text: "[암호모듈의 운영환경]", "<표 3> …", "〈표 2〉 …", "표 4. …",
# "Table 2: …".
_CAPTION_MARK = re.compile(r"^(?:\[.+\]$|[<〈]\s?표|표\s?\d|table\s?\d)", re.IGNORECASE)



def caption_match(
    question_terms: Sequence[str],
    chunk: Chunk,
    idf: Callable[[str], float],
    terms: Callable[[str], Sequence[str]] = content_terms,
) -> float:
    """How fully the question names the caption of ``chunk``'s table ("운영환경 표에서 …" of a
    table captioned "[암호모듈의 운영환경]"): the best idf-weighted share of a caption's terms
    the question holds; 0 for a passage that is no table. Pure."""
    if not chunk.table or not question_terms:
        return 0.0
    return best_named_share(table_captions(chunk), set(question_terms), idf, terms)


def sentence_units(chunk: Chunk, max_join: int = 3) -> list[tuple[tuple[int, int], list[int]]]:
    """``chunk``'s sentences as (span, indices into ``chunk.sentences``): one each, but a sentence
    that leaves a parenthesis open joins the next ones until it closes (at most ``max_join``
    in all): the splitter cuts "(예: SHA256)" at its colon. Pure."""
    texts = chunk.sentence_texts()
    units: list[tuple[tuple[int, int], list[int]]] = []
    j = 0
    while j < len(chunk.sentences):
        parts = [j]
        depth = _open_parens(texts[j])
        while depth > 0 and len(parts) < max_join and parts[-1] + 1 < len(chunk.sentences):
            parts.append(parts[-1] + 1)
            depth += _open_parens(texts[parts[-1]])
        if depth != 0:  # never closed (or closes what it did not open): keep the sentence alone
            parts = [j]
        units.append(((chunk.sentences[parts[0]][0], chunk.sentences[parts[-1]][1]), parts))
        j = parts[-1] + 1
    return units


def _open_parens(text: str) -> int:
    return text.count("(") + text.count("（") - text.count(")") - text.count("）")


def is_header_row(text: str, chunk: Chunk) -> bool:
    """Whether ``text`` is a table's header row ("Stream | BOD (mg/L)"): the table's context
    line, or cells without labels beside rows with labelled cells (a question about the table is
    answered by a row, never by its header). Pure."""
    if not chunk.table or " | " not in text:
        return False
    if text.strip() in chunk.context.splitlines():
        return True
    return not record_labels(text) and any(record_labels(t) for t in chunk.sentence_texts())


def shape_adjusted(
    score: float,
    text: str,
    question_terms: Sequence[str],
    idf: Callable[[str], float],
    terms: Callable[[str], Sequence[str]] = content_terms,
    definition_of: str = "",
) -> float:
    """``score`` after what the sentence is: a question loses (:data:`QUESTION_FACTOR`), a
    record whose label the question names gains (:data:`LABEL_WEIGHT`), the definition of
    ``definition_of`` gains (:data:`DEFINITION_WEIGHT`). Pure."""
    if is_question(text):
        return score * QUESTION_FACTOR
    if not definition_of and is_glossary_entry(text):  # it answers what the term is, no more
        score *= QUESTION_FACTOR
    if LABEL_WEIGHT and question_terms:
        score += LABEL_WEIGHT * label_match(question_terms, text, idf, terms)
    if definition_of and defines(text, definition_of):
        score += DEFINITION_WEIGHT
    return score


def select_sentences(
    candidates: Sequence[SentenceCandidate], max_sentences: int = 3, keep_ratio: float = 0.85
) -> list[SentenceCandidate]:
    """The best sentence, plus up to ``max_sentences - 1`` more scoring ≥ ``keep_ratio`` of it.

    Returned in score order. Headings and fragments (under 8 characters) are not answers.
    """
    ranked = sorted(
        (c for c in candidates if len(c.text) >= 8), key=lambda c: (-c.score, c.hit_no, c.span)
    )
    if not ranked:
        return []
    best = ranked[0]
    chosen = [best]
    for cand in ranked[1:]:
        if len(chosen) >= max_sentences or cand.score < keep_ratio * best.score:
            break
        if any(cand.text == c.text for c in chosen):
            continue
        chosen.append(cand)
    return chosen


def list_items_after(
    lead: SentenceCandidate, hits: Sequence[Hit], limit: int = MAX_LIST_ITEMS
) -> list[SentenceCandidate]:
    """The items that follow the list lead-in ``lead``: the item sentences after it in its
    passage, then in the hits that continue that passage (same document and section, starting
    where it ends). Stops at a non-item or at a sibling of the lead-in (an item with its mark).
    Pure."""
    chunk = hits[lead.hit_no - 1].chunk
    own = item_mark(lead.text)
    items: list[SentenceCandidate] = []
    last_end = lead.span[1]
    in_lead_paragraph = True  # the sentences after the lead-in on its own line
    for hit_no, part in ((lead.hit_no, chunk), *continuing_hits(hits, chunk)):
        for span, text in zip(part.sentences, part.sentence_texts(), strict=False):
            if span[0] < last_end:  # before the lead-in, or repeated by the chunks' overlap
                continue
            if in_lead_paragraph:
                between = chunk.text[last_end - chunk.start : span[0] - chunk.start]
                in_lead_paragraph = part is chunk and "\n" not in between
                if in_lead_paragraph and not items and not is_list_item(text):
                    # The lead-in's paragraph may go on before its list ("… 목록은 다음과 같다.
                    # KISA_Crypto_Zeroize()가 기본이며 …" above the numbered APIs).
                    continue
            if part.table and is_header_row(text, part):
                continue
            # A table's rows are the items of a lead-in above it ("제약은 다음과 같다." | rows).
            item = is_list_item(text) or (part.table and bool(record_labels(text)))
            if len(items) >= limit or not item or (own and item_mark(text) == own):
                return items
            items.append(
                SentenceCandidate(hit_no, span, text, lead.cosine, lead.coverage, lead.score)
            )
            last_end = span[1]
    return items


def continuing_hits(hits: Sequence[Hit], chunk: Chunk) -> list[tuple[int, Chunk]]:
    """(1-based hit number, chunk) of the hits that continue ``chunk`` in document order. Pure."""
    out: list[tuple[int, Chunk]] = []
    end = chunk.end
    for n, hit in sorted(
        ((n, h) for n, h in enumerate(hits, start=1)), key=lambda nh: nh[1].chunk.start
    ):
        c = hit.chunk
        same = c.doc_id == chunk.doc_id and c.heading_path == chunk.heading_path
        if same and chunk.start < c.start <= end + _CONTINUATION_GAP and c.end > end:
            out.append((n, c))
            end = c.end
    return out


# Characters (whitespace, a line break) that may lie between a passage and the one continuing it.
_CONTINUATION_GAP = 4


def complete_lists(
    selected: Sequence[SentenceCandidate], hits: Sequence[Hit], limit: int = MAX_LIST_ITEMS
) -> list[SentenceCandidate]:
    """``selected`` with the items of each list lead-in among them right after it (issue 13.4:
    "아래에 해당하는 경우, …" is no answer without its ①, ②). Pure."""
    out: list[SentenceCandidate] = []
    seen: set[tuple[str, tuple[int, int]]] = set()

    def add(c: SentenceCandidate) -> None:
        key = (hits[c.hit_no - 1].chunk.doc_id, c.span)
        if key not in seen:
            seen.add(key)
            out.append(c)

    for c in selected:
        add(c)
        if promises_list(c.text):
            for item in list_items_after(c, hits, limit):
                add(item)
    return out


def ends_in_open_list(chunk: Chunk) -> bool:
    """Whether ``chunk`` ends inside a list: its last sentence that is no item (or its last
    sentence) announces one, and only items follow it; or a sentence of its last paragraph
    announces one. Pure."""
    texts = chunk.sentence_texts()
    i = len(texts) - 1
    while i > 0 and is_list_item(texts[i]) and not promises_list(texts[i]):
        i -= 1
    if i >= 0 and promises_list(texts[i]):
        return True
    # or its last paragraph announces one before it goes on (see list_items_after)
    spans = chunk.sentences
    while i > 0 and "\n" not in chunk.text[spans[i - 1][1] - chunk.start : spans[i][0] - chunk.start]:
        i -= 1
        if promises_list(texts[i]):
            return True
    return False


def with_list_continuations(
    hits: Sequence[Hit], following: Callable[[Chunk], Chunk | None], window: int = 3
) -> list[Hit]:
    """``hits`` plus, at the end, the passage after each of the first ``window`` that ends inside
    a list and whose continuation was not retrieved (a list's items often start in the next
    passage). ``following(chunk)``: the next passage of its document and section, or None."""
    present = {h.chunk.id for h in hits}
    extra: list[Hit] = []
    for hit in hits[:window]:
        if not ends_in_open_list(hit.chunk):
            continue
        nxt = following(hit.chunk)
        if nxt is not None and nxt.id not in present:
            present.add(nxt.id)
            extra.append(Hit(nxt, 0.0, {}))
    return [*hits, *extra]


def compose_answer(selected: Sequence[SentenceCandidate], language: str) -> str:
    """``intro`` line, then each sentence followed by its passage marker ``[n]``."""
    if not selected:
        return message("not_found", language)
    cross = any(detect_language(c.text) != language for c in selected)
    intro = message("intro_cross" if cross else "intro", language)
    body = "\n".join(f"{c.text} [{c.hit_no}]" for c in selected)
    return f"{intro}\n\n{body}"


class ExtractiveGenerator:
    """Quotes the best-matching sentences of the retrieved passages, with markers."""

    name = "extractive"

    def __init__(
        self,
        sentence_vectors: Callable[[Hit], np.ndarray],
        encode: Callable[[str], np.ndarray],
        idf: Callable[[str], float],
        max_sentences: int = 3,
        translate: Callable[[str], Sequence[Sequence[Sequence[str]]]] | None = None,
        rank_tie: float = 0.0,
    ) -> None:
        self.sentence_vectors = sentence_vectors
        self.encode = encode
        self.idf = idf
        self.max_sentences = max_sentences
        self.translate = translate  # the question's glossary groups (cross-lingual questions)
        self.rank_tie = rank_tie  # RANK_TIE when the hits carry confidence-fusion scores

    def candidates(self, question: str, hits: Sequence[Hit]) -> list[SentenceCandidate]:
        # The translation counts when the best passage is in another language than the question
        # (a Korean report asked in English); a same-language passage is scored on own words.
        cross = bool(hits) and detect_language(hits[0].chunk.text) != detect_language(question)
        return score_sentences(
            content_terms(question),
            self.encode(question),
            hits,
            [self.sentence_vectors(h) for h in hits],
            self.idf,
            groups=self.translate(question) if self.translate and cross else (),
            rank_tie=self.rank_tie,
            definition_of=defined_term(question),
            focus=focus_terms(question, content_terms),
            keywords_asked=asks_keywords(question),
            own_language=detect_language(question) if cross else "",
            table_asked=table_name(question),
            code_asked=bool(_ASKS_IDENTIFIER.search(question)),
            question=question,
        )

    def generate(
        self, question: str, hits: Sequence[Hit], history: Sequence[tuple[str, str]] = ()
    ) -> Iterator[str]:
        candidates = self.candidates(question, hits)
        selected = select_sentences(candidates, self.max_sentences)
        selected = prefer_answer_type(question, candidates, selected, self.max_sentences)
        selected = prefer_organisation(question, candidates, selected, self.max_sentences)
        selected = prefer_expansion(question, candidates, selected, self.max_sentences)
        selected = complete_lists(selected, hits)
        yield compose_answer(selected, detect_language(question))
