"""Loader sections joined where a reader sees one unit: a lead-in or caption with its table.

Loaders cut a document into sections at every heading, page and table boundary, so a table's
lead-in line ("… 다음과 같이 4가지로 구분된다.") or its caption ("[암호모듈 상태 목록]") ends up
a section of its own, which the chunker makes a passage of a few words, apart from the table it
introduces. This pass joins such a short section to its neighbour on the same page under the same
heading path (a table first: a caption or lead-in belongs to it), when the two fit in one passage.
Pure: the token counter is passed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from ingest.tuning import CAPTION_MAX_LINES, CAPTION_TOKENS, FRAGMENT_SECTION_TOKENS
from reportqa.types import Section

# A line that announces what follows ("…은 다음과 같다.", "아래와 같이 구분된다", "as follows:").
_LEAD_IN = re.compile(
    r"(?:[:：]|다음과\s*같[다이은습]|아래와\s*같[다이은습]|as follows)\W*$|다음을\s*의미",
    re.IGNORECASE,
)


def _joinable(a: Section, b: Section) -> bool:
    return (
        not a.toc
        and not b.toc
        and a.page == b.page
        and a.ocr == b.ocr
        and (
            a.heading_path == b.heading_path
            or b.heading_path[: len(a.heading_path)] == a.heading_path
        )
    )


def _join(a: Section, b: Section) -> Section:
    """``a`` and the section right after it as one (the table's flag and header win)."""
    table = a if a.table else b
    return replace(
        b if b.table or not a.table else a,
        start=a.start,
        end=b.end,
        heading_path=b.heading_path
        if len(b.heading_path) >= len(a.heading_path)
        else a.heading_path,
        table=a.table or b.table,
        context=table.context if (a.table or b.table) else (a.context or b.context),
    )


def merge_fragment_sections(
    sections: Sequence[Section],
    text: str,
    count_tokens: Callable[[str], int],
    max_tokens: int,
) -> tuple[Section, ...]:
    """``sections`` with each fragment (a short text section; a table is a unit, never one) joined
    to its neighbour where they are joinable and fit: back to a table right before it (a caption
    below), else forward (a heading, label or lead-in above what follows), else back."""
    out: list[Section] = list(sections)
    sizes = [count_tokens(text[s.start : s.end]) for s in out]
    i = 0
    while i < len(out):
        if sizes[i] >= FRAGMENT_SECTION_TOKENS or out[i].toc or out[i].table:
            i += 1
            continue
        nxt = i + 1 if i + 1 < len(out) else None
        prev = i - 1 if i > 0 else None
        # A fragment right after a table (a caption below it) goes back to the table; otherwise
        # forward (a heading, label or lead-in above what follows), else back.
        lead_in = bool(_LEAD_IN.search(text[out[i].start : out[i].end].strip()))
        back_first = prev is not None and out[prev].table and not lead_in
        order = [prev, nxt] if back_first else [nxt, prev]
        for j in order:
            if j is None:
                continue
            a, b = (out[j], out[i]) if j < i else (out[i], out[j])
            if not _joinable(a, b) or sizes[i] + sizes[j] > max_tokens:
                continue
            merged = _join(a, b)
            lo = min(i, j)
            out[lo : lo + 2] = [merged]
            sizes[lo : lo + 2] = [sizes[i] + sizes[j]]
            i = lo
            break
        else:
            i += 1
    return tuple(out)


# A section whose last line asks something ("…가?", "…인가요?", "…?"): in FAQ and Q&A documents
# the answer is the next section, and a passage with only the question matches a user's question
# best while holding no answer (realdocs tuning rows: the "질문" section outranked its "답변").
_ASKS = re.compile(r"[?？]\s*$")


def _siblings(a: Section, b: Section) -> bool:
    """Same page, no TOC or OCR difference, text both, and headings under one parent."""
    return (
        not (a.toc or b.toc or a.table or b.table)
        and a.page == b.page
        and a.ocr == b.ocr
        and len(a.heading_path) == len(b.heading_path)
        and a.heading_path[:-1] == b.heading_path[:-1]
    )


def join_questions_to_answers(
    sections: Sequence[Section],
    text: str,
    count_tokens: Callable[[str], int],
    max_tokens: int,
) -> tuple[Section, ...]:
    """``sections`` with each question section (its text ends in a question mark) joined to the
    sibling section right after it — its answer — when both fit in one passage. The joined
    section's heading path is the common parent (the item both belong to). Pure."""
    out: list[Section] = []
    i = 0
    while i < len(sections):
        a = sections[i]
        b = sections[i + 1] if i + 1 < len(sections) else None
        if (
            b is not None
            and _siblings(a, b)
            and a.heading_path != b.heading_path
            and _ASKS.search(text[a.start : a.end])
            and count_tokens(text[a.start : b.end]) <= max_tokens
        ):
            out.append(replace(a, end=b.end, heading_path=a.heading_path[:-1]))
            i += 2
            continue
        out.append(a)
        i += 1
    return tuple(out)


# The last sentence of a paragraph that announces the table below it ("… 구분은 아래 표와 같다.",
# "… 다음 표를 통해 명세한다.", "… as follows:").
_ANNOUNCES = re.compile(
    r"(?:다음|아래)[^.?!。]{0,12}(?:같[다이은습]|통해|정리|나타|제시|명세|보여|구분)[^.?!。]*[.。]?\s*$"
    r"|as follows\W*$|[:：]\s*$",
    re.IGNORECASE,
)


def _lead_in(section: Section, text: str, count_tokens: Callable[[str], int]) -> str:
    """The last sentence of ``section`` when it announces what follows and is short, else ""."""
    body = text[section.start : section.end].strip()
    last = re.split(r"(?<=[.!?。])\s+|\n", body)[-1].strip()
    if last and _ANNOUNCES.search(last) and count_tokens(last) <= CAPTION_TOKENS:
        return last
    return ""


def _next_page_part(before: Section, after: Section, table: Section) -> bool:
    """Whether ``after`` goes on with ``table`` (whose part ``before`` is) on the next page."""
    return (
        after.table
        and after.context == table.context
        and after.heading_path == table.heading_path
        and before.page is not None
        and after.page == before.page + 1
    )


def lead_ins_into_context(
    sections: Sequence[Section],
    text: str,
    count_tokens: Callable[[str], int],
) -> tuple[Section, ...]:
    """``sections`` with a table right after a paragraph whose last sentence announces it
    ("관련된 간단한 구분은 아래 표와 같다.") carrying that sentence in front of its ``context``,
    so rows of a table without a header say what the table is. The paragraph keeps it. Pure."""
    out = list(sections)
    for k in range(1, len(out)):
        a, b = out[k - 1], out[k]
        if not b.table or a.table or not _joinable(a, b):
            continue
        if b.context and text[b.start : b.end].lstrip().startswith(b.context.split("\n")[0]):
            continue  # its lead-in or caption is already joined to it (captions_into_context)
        lead = _lead_in(a, text, count_tokens)
        if not lead or lead in b.context:
            continue
        context = f"{lead}\n{b.context}" if b.context else lead
        out[k] = replace(b, context=context)
        # The table's part continued at the top of the next page (same caption and header)
        # is announced by the same sentence.
        j = k + 1
        while j < len(out) and _next_page_part(out[j - 1], out[j], b):
            out[j] = replace(out[j], context=context)
            j += 1
    return tuple(out)


# A line ending a sentence ("…명세한다.", "…필요하다.", "… is required."); a sentence that
# points at what follows ("아래의 시험 방법이 정해진다.", "다음 표를 통해 명세한다.") is about it.
_POINTS_BELOW = re.compile(r"다음|아래|following|below", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?:다|요|음|함|임)\.\s*$|[.!?。]\s*$")


def _ends_unrelated(caption: str) -> bool:
    """Whether the text right above a table ends a sentence that does not point at it: the end of
    a paragraph about something else (the explanation box of the item before, "해설 / … 방법에
    대해 명세한다."), not the table's caption or lead-in ("… 다음 표를 통해 명세한다.")."""
    last = re.split(r"(?<=[.!?。])\s+|\n", caption.strip())[-1].strip()
    return bool(_SENTENCE_END.search(last)) and not _POINTS_BELOW.search(last)


def captions_into_context(
    sections: Sequence[Section],
    text: str,
    count_tokens: Callable[[str], int],
) -> tuple[Section, ...]:
    """``sections`` with each short text section right before a table on its page joined to the
    table, its text put before the table's header in ``context``. Pure."""
    out: list[Section] = []
    i = 0
    while i < len(sections):
        a = sections[i]
        b = sections[i + 1] if i + 1 < len(sections) else None
        caption = text[a.start : a.end].strip()
        if (
            b is not None
            and b.table
            and not a.table
            and _joinable(a, b)
            and caption
            and not _ASKS.search(caption)
            and not _ends_unrelated(caption)
            and caption.count("\n") < CAPTION_MAX_LINES
            and count_tokens(caption) <= CAPTION_TOKENS
        ):
            context = f"{caption}\n{b.context}" if b.context else caption
            out.append(replace(b, start=a.start, context=context))
            i += 2
            continue
        out.append(a)
        i += 1
    return tuple(out)
