"""Split a Document into Chunks: structure-aware, line-aligned, token-limited, balanced.

Pure: the sentence splitter and the token counter are passed in, so tests and other embedders
can supply their own.

How a section is cut (a chunk never crosses a section):
- whole lines (paragraphs, list items, table rows) are packed; a line is cut (at its sentences,
  then by tokens) only when it alone exceeds the limit;
- lines that belong together are bonded: a heading or a short label line with the line after it
  (a term with its definition, a clause number with its text), a lead-in line ("… as follows:")
  with the list it introduces when they fit together, a short closing line with the line before;
- lines are spread evenly over the fewest chunks that hold them (no tiny tail chunk);
- a table section is packed by rows with no overlap (its header repeats as ``context``);
- a chunk holding only the heading or title is dropped when the document has other chunks.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from ingest.safety import Deadline, ParseTimeout
from ingest.tuning import (
    CHARS_PER_TOKEN_GUESS,
    CUT_AIM,
    FRAGMENT_BOND,
    FRAGMENT_TOKENS,
    HEAD_BOND,
    LIST_BOND,
    MAX_CHARS_PER_TOKEN,
    SPLIT_WINDOW_CHARS,
)
from reportqa.errors import IngestError
from reportqa.types import Chunk, Document, Section

Span = tuple[int, int]
SentenceSplitter = Callable[[str], list[Span]]
TokenCounter = Callable[[str], int]
DeadlineLike = Deadline | Callable[[], None]

# Text with neither sentence punctuation nor a Korean sentence ending before a space is one
# sentence: the splitter is not asked. On the sample corpus, a real Hancom PDF and an HWP fixture
# (2,212 lines) Kiwi split 1 line this skips (a garbled table row); it saves ~6 µs a character.
_MAY_SPLIT = re.compile(r"[.!?。？！…]|[가-힣][다요까죠음함됨임][\s\"')\]]")
_WINDOW_CUT = re.compile(r"[.!?。？！][\"')\]]*\s+")
_ENDS_SENTENCE = re.compile(r"[.!?。？！][\"')\]]*$|[다요음함됨임][.]?$")
_LEAD_IN = re.compile(
    r"(?:[:：]|다음과\s*같(?:다|음|이|습니다)[.:]?|아래와\s*같(?:다|음|이|습니다)[.:]?"
    r"|as\s+follows[.:]?|following[.:]|below[.:])\s*$",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(
    r"^\s*(?:[-–—•·∙○●◦□■▪▫◆◇▶►※*]|[①-⑳㉠-㉭㈀-㈍]"
    r"|\(?\d{1,3}[.)](?!\d)|\(?[가-하][.)]|\(?[a-zA-Z][.)](?=\s)|[ⅰ-ⅻⅠ-Ⅻ][.)])"
)


@dataclass(frozen=True)
class ChunkerConfig:
    """How documents are cut; recorded in the index manifest.

    300/60 tokens: measured against 200/40 on KorQuAD (held-out) and the sample sets (README,
    "Retrieval and evaluation"); most rank-1 misses at 200 were another chunk of the right text."""

    max_tokens: int = 300
    overlap_tokens: int = 60

    def __post_init__(self) -> None:
        if self.max_tokens <= 0:
            raise ValueError(f"max_tokens must be greater than 0; got {self.max_tokens}")
        if not 0 <= self.overlap_tokens < self.max_tokens:
            raise ValueError(
                f"overlap_tokens must be in [0, max_tokens); got {self.overlap_tokens}"
            )


@dataclass
class _Atom:
    """An uncuttable unit: a whole line, or a piece of a line longer than the limit."""

    start: int
    end: int
    tokens: int
    sentences: list[Span]
    whole_line: bool


def chunk_document(
    doc: Document,
    split: SentenceSplitter,
    count_tokens: TokenCounter,
    config: ChunkerConfig = ChunkerConfig(),
    deadline: DeadlineLike | None = None,
) -> list[Chunk]:
    """Cut ``doc`` into chunks that never cross a section (page/heading) boundary.

    See the module docstring for the rules. ``deadline``: a :class:`Deadline` (its budget spent
    raises :class:`IngestError` naming the document) or a callable that raises when time is up;
    checked between lines and pieces, so chunking stays within an ingest's parse budget.
    """
    check = _checker(doc, deadline)
    sections = doc.sections or (Section(0, len(doc.text)),)
    drafts: list[tuple[Section, list[_Atom]]] = []
    for section in sections:
        if section.toc or section.start >= section.end:
            continue
        drafts.extend(
            (section, group)
            for group in _chunk_section(doc, section, split, count_tokens, config, check)
        )
    frag = min(FRAGMENT_TOKENS, max(1, config.max_tokens // 4))
    per_section = Counter(id(s) for s, _ in drafts)
    droppable = [_is_droppable(doc, s, g, frag, per_section[id(s)] == 1) for s, g in drafts]
    keep_all = all(droppable)  # a one-line document keeps its one line (issue 15, item 1)
    chunks: list[Chunk] = []
    for (section, group), drop in zip(drafts, droppable, strict=True):
        if drop and not keep_all:
            continue
        start, end = group[0].start, group[-1].end
        chunks.append(
            Chunk(
                id=f"{doc.id}#{len(chunks)}",
                doc_id=doc.id,
                title=doc.title,
                source=doc.source,
                text=doc.text[start:end],
                start=start,
                end=end,
                page=section.page,
                heading_path=section.heading_path,
                table=section.table,
                sentences=tuple(s for atom in group for s in atom.sentences),
                context=_unrepeated_context(section.context, doc.text[start:end]),
                ocr=section.ocr,
            )
        )
    return chunks


def _unrepeated_context(context: str, text: str) -> str:
    """``context`` without the lines the chunk's own text already holds: a table's caption or
    lead-in joined to its section (ingest/sections.py) is in its first passage's text, and the
    passage said it twice ("2 암호알고리즘 시험 결과 / 가. 시험환경 / …" over the header row and
    again under it); later passages of the table keep the whole context."""
    if not context:
        return context
    own = {line.strip() for line in text.splitlines() if line.strip()}
    kept = [line for line in context.split("\n") if line.strip() not in own]
    return "\n".join(kept)


def _checker(doc: Document, deadline: DeadlineLike | None) -> Callable[[], None]:
    if deadline is None:
        return lambda: None
    if isinstance(deadline, Deadline):
        budget = deadline

        def check() -> None:
            try:
                budget.check()
            except ParseTimeout as exc:
                raise IngestError(
                    doc.source,
                    f"cutting it into passages took longer than the {budget.seconds:g} s budget "
                    "per document (pathological or very large text); skipped. Raise "
                    "REPORTQA_PARSE_TIMEOUT_S (setting parse_timeout_s) if the file is genuine",
                ) from exc

        return check
    return deadline


def _chunk_section(
    doc: Document,
    section: Section,
    split: SentenceSplitter,
    count_tokens: TokenCounter,
    config: ChunkerConfig,
    check: Callable[[], None],
) -> list[list[_Atom]]:
    """The section's chunks as lists of atoms (overlap atoms included)."""
    limit = config.max_tokens
    if section.table and section.context:
        # The header is embedded with every passage of the table: leave it room.
        limit = max(limit // 2, limit - count_tokens(section.context))
    overlap = 0 if section.table else config.overlap_tokens
    text = doc.text
    lines = _line_spans(text, section.start, section.end)
    line_tokens: list[int | None] = []
    for s, e in lines:
        check()
        line_tokens.append(_count_line(text, s, e, count_tokens, limit))
    total = sum(t if t is not None else limit + 1 for t in line_tokens)
    # Room for the overlap is kept only when the section needs more than one chunk.
    cap = limit - overlap if total > limit else limit
    atoms: list[_Atom] = []
    for (s, e), tokens in zip(lines, line_tokens, strict=True):
        check()
        fits = tokens is not None and tokens <= cap
        # A table row is one sentence: an answer quoting it keeps the row's labels with its
        # values (no sentence end inside a row).
        row = section.table and fits
        sentences = [(s, e)] if row else _sentences(text, s, e, split, check)
        if tokens is not None and fits:
            atoms.append(_Atom(s, e, tokens, sentences, whole_line=True))
        else:
            atoms.extend(_cut_line(text, sentences, count_tokens, cap, check))
    if not atoms:
        return []
    frag = min(FRAGMENT_TOKENS, max(1, limit // 4))
    groups = _group(text, atoms, section, doc.title, cap, limit, frag)
    parts = _balanced(groups, cap)
    chunks = [[atom for g in part for atom in groups[g]] for part in parts]
    if overlap:
        chunks = _with_overlap(text, chunks, count_tokens, overlap, limit)
    return chunks


def _line_spans(text: str, start: int, end: int) -> list[Span]:
    spans: list[Span] = []
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        s, e = _strip(text, pos, stop)
        if e > s:
            spans.append((s, e))
        pos = stop + 1
    return spans


def _count_line(
    text: str, start: int, end: int, count_tokens: TokenCounter, limit: int
) -> int | None:
    """The line's tokens, or None when it is certainly over ``limit`` (not counted)."""
    if end - start > limit * MAX_CHARS_PER_TOKEN:
        return None
    return count_tokens(text[start:end])


def _sentences(
    text: str, start: int, end: int, split: SentenceSplitter, check: Callable[[], None]
) -> list[Span]:
    """Sentence spans of one line; long lines go to ``split`` in windows (see SPLIT_WINDOW_CHARS)."""
    spans: list[Span] = []
    joinable = False  # the last span ends an unsplit window: the window edge is no sentence end
    for ws, we in _windows(text, start, end):
        check()
        window = text[ws:we]
        if not _MAY_SPLIT.search(window):
            s, e = _strip(text, ws, we)
            if joinable and spans:
                spans[-1] = (spans[-1][0], e)
            elif e > s:
                spans.append((s, e))
            joinable = True
            continue
        joinable = False
        for s, e in split(window):
            s, e = _strip(text, ws + s, ws + e)
            if e > s:
                spans.append((s, e))
    return spans or [(start, end)]


def _strip(text: str, s: int, e: int) -> Span:
    """The span ``s:e`` of ``text`` without its leading and trailing white space."""
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def _windows(text: str, start: int, end: int) -> list[Span]:
    """``[start, end)`` in pieces of at most SPLIT_WINDOW_CHARS, cut after a sentence end, else
    at a space, else anywhere."""
    out: list[Span] = []
    s = start
    while end - s > SPLIT_WINDOW_CHARS:
        limit = s + SPLIT_WINDOW_CHARS
        cut = -1
        for m in _WINDOW_CUT.finditer(text, s + SPLIT_WINDOW_CHARS // 2, limit):
            cut = m.end()
        if cut < 0:
            space = text.rfind(" ", s + SPLIT_WINDOW_CHARS // 2, limit)
            cut = space + 1 if space >= 0 else limit
        out.append((s, cut))
        s = cut
    out.append((s, end))
    return out


def _cut_line(
    text: str,
    sentences: list[Span],
    count_tokens: TokenCounter,
    cap: int,
    check: Callable[[], None],
) -> list[_Atom]:
    """A line over the limit as atoms: its sentences, each cut by tokens when over ``cap``."""
    atoms: list[_Atom] = []
    for s, e in sentences:
        check()
        tokens = _count_line(text, s, e, count_tokens, cap)
        if tokens is not None and tokens <= cap:
            atoms.append(_Atom(s, e, tokens, [(s, e)], whole_line=False))
            continue
        for ps, pe, pt in _cut_by_tokens(text, s, e, count_tokens, cap, check):
            atoms.append(_Atom(ps, pe, pt, [(ps, pe)], whole_line=False))
    return atoms


def _cut_by_tokens(
    text: str,
    start: int,
    end: int,
    count_tokens: TokenCounter,
    cap: int,
    check: Callable[[], None],
) -> list[tuple[int, int, int]]:
    """Cut ``[start, end)`` into pieces of at most ``cap`` tokens, at spaces where possible.

    Linear: each cut is placed by an estimate of characters per token (learnt from the piece
    before) and checked with one count (more only when over), instead of a binary search.
    """
    pieces: list[tuple[int, int, int]] = []
    per_token = CHARS_PER_TOKEN_GUESS
    s = start
    while s < end:
        check()
        # Aim a little under the limit so that one count per piece is nearly always enough.
        target = max(1, int(cap * per_token * CUT_AIM))
        cut = _snap(text, s, min(end, s + target), end)
        tokens = count_tokens(text[s:cut])
        tries = 0
        while tokens > cap and cut - s > 1:
            tries += 1
            shrink = cap / tokens * (0.95 if tries < 3 else 0.7)
            cut = _snap(text, s, s + max(1, int((cut - s) * shrink)), end)
            tokens = count_tokens(text[s:cut])
        if tries == 0 and tokens < cap * CUT_AIM * 0.85 and cut < end:
            # Underestimated (the first piece, or the text changed): grow once by the ratio.
            grown = _snap(
                text, s, min(end, s + int((cut - s) * cap * CUT_AIM / max(1, tokens))), end
            )
            grown_tokens = count_tokens(text[s:grown])
            if grown > cut and grown_tokens <= cap:
                cut, tokens = grown, grown_tokens
        e = cut
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            pieces.append((s, e, tokens))
            per_token = max(0.5, (cut - s) / max(1, tokens))
        s = cut
        while s < end and text[s].isspace():
            s += 1
    return _even_tail(text, pieces, count_tokens, cap)


def _even_tail(
    text: str, pieces: list[tuple[int, int, int]], count_tokens: TokenCounter, cap: int
) -> list[tuple[int, int, int]]:
    """A short last piece shares the last two pieces' text evenly with the one before it."""
    if len(pieces) < 2 or pieces[-1][2] >= cap // 2:
        return pieces
    (s, _, _), (_, e, _) = pieces[-2], pieces[-1]
    mid = _snap(text, s, (s + e) // 2, e)
    left_end = mid
    while left_end > s and text[left_end - 1].isspace():
        left_end -= 1
    right = mid
    while right < e and text[right].isspace():
        right += 1
    if not s < left_end <= right < e:
        return pieces
    a, b = count_tokens(text[s:left_end]), count_tokens(text[right:e])
    if a > cap or b > cap:
        return pieces
    return [*pieces[:-2], (s, left_end, a), (right, e, b)]


def _snap(text: str, start: int, cut: int, end: int) -> int:
    """Move ``cut`` back to just after a space in its second half, if there is one."""
    if cut >= end:
        return end
    space = text.rfind(" ", start + (cut - start) // 2, cut)
    return space + 1 if space > start else max(cut, start + 1)


def _group(
    text: str,
    atoms: list[_Atom],
    section: Section,
    title: str,
    cap: int,
    limit: int,
    frag: int,
) -> list[list[_Atom]]:
    """Atoms bonded into groups that are never cut (each at most ``limit`` tokens, unless one
    atom alone is larger)."""
    n = len(atoms)
    bond = [0] * max(0, n - 1)  # bond[i]: strength of the bond between atoms i and i+1
    lines = [text[a.start : a.end] for a in atoms]
    is_item = [
        a.whole_line and bool(_LIST_ITEM.match(line)) for a, line in zip(atoms, lines, strict=True)
    ]
    heading = section.heading_path[-1] if section.heading_path else None
    for i, atom in enumerate(atoms):
        if not atom.whole_line or section.table:
            continue
        line = lines[i]
        bare = line.lstrip("#").strip()
        if i + 1 < n and (bare == heading or bare == title.strip() or line.startswith("#")):
            bond[i] = max(bond[i], HEAD_BOND)
        elif i + 1 < n and _LEAD_IN.search(line):
            bond[i] = max(bond[i], HEAD_BOND)
            run, used = i + 1, atom.tokens
            while run < n and is_item[run]:
                used += atoms[run].tokens
                run += 1
            if used <= cap:
                for j in range(i + 1, run - 1):
                    bond[j] = max(bond[j], LIST_BOND)
        elif atom.tokens < frag:
            if is_item[i]:
                # A short item joins the items around it, not the paragraph after the list.
                if i + 1 < n and is_item[i + 1]:
                    bond[i] = max(bond[i], FRAGMENT_BOND)
                elif i > 0:
                    bond[i - 1] = max(bond[i - 1], FRAGMENT_BOND)
                continue
            closing = bool(_ENDS_SENTENCE.search(line))
            if i > 0 and (closing or i + 1 == n):
                bond[i - 1] = max(bond[i - 1], FRAGMENT_BOND)
            elif i + 1 < n:
                bond[i] = max(bond[i], FRAGMENT_BOND)
    return _runs(atoms, bond, 0, n, limit, 1)


def _runs(
    atoms: list[_Atom], bond: list[int], lo: int, hi: int, limit: int, strength: int
) -> list[list[_Atom]]:
    """Atoms ``lo..hi`` split where bonds are weaker than ``strength``; runs still over ``limit``
    are split again at the next strength."""
    out: list[list[_Atom]] = []
    start = lo
    for i in range(lo, hi):
        if i + 1 == hi or bond[i] < strength:
            if strength <= HEAD_BOND and sum(a.tokens for a in atoms[start : i + 1]) > limit:
                out.extend(_runs(atoms, bond, start, i + 1, limit, strength + 1))
            else:
                out.append(atoms[start : i + 1])
            start = i + 1
    return out


def _balanced(groups: list[list[_Atom]], cap: int) -> list[list[int]]:
    """Groups packed into the fewest chunks of at most ``cap`` tokens (a group over ``cap``
    alone), each chunk as close as possible to an even share of what is left: no tiny tail."""
    sizes = [sum(a.tokens for a in g) for g in groups]
    n = len(sizes)
    # need[j]: the fewest chunks that hold groups j.. (greedy filling is optimal for that).
    need = [0] * (n + 1)
    nxt = [n] * n
    used, end = 0, 0
    for j in range(n):  # two pointers over the window [j, end)
        if end <= j:
            end, used = j + 1, sizes[j]  # a group always fits alone
        while end < n and used + sizes[end] <= cap:
            used += sizes[end]
            end += 1
        nxt[j] = end
        used -= sizes[j]
    for j in range(n - 1, -1, -1):
        need[j] = 1 + need[nxt[j]]
    parts: list[list[int]] = []
    i, left, remaining = 0, need[0], sum(sizes)
    while i < n:
        target = remaining / left
        best, best_gap, used, j = i + 1, float("inf"), 0, i
        while j < n and (j == i or used + sizes[j] <= cap):
            used += sizes[j]
            j += 1
            if need[j] <= left - 1 and abs(used - target) < best_gap:
                best, best_gap = j, abs(used - target)
        parts.append(list(range(i, best)))
        remaining -= sum(sizes[i:best])
        left -= 1
        i = best
    return parts


def _with_overlap(
    text: str,
    chunks: list[list[_Atom]],
    count_tokens: TokenCounter,
    overlap: int,
    limit: int,
) -> list[list[_Atom]]:
    """Each chunk after the first starts with the previous chunk's last sentences, up to
    ``overlap`` tokens, never the whole previous chunk, and within ``limit``."""
    out = [chunks[0]]
    for prev, cur in itertools.pairwise(chunks):
        room = min(overlap, limit - sum(a.tokens for a in cur))
        sentences = [(s, a) for a in prev for s in a.sentences]
        taken: list[Span] = []
        used = 0
        for (s, e), atom in reversed(sentences[1:]):
            # A one-sentence atom's count is known; other sentences are counted here.
            tokens = atom.tokens if len(atom.sentences) == 1 else count_tokens(text[s:e])
            if used + tokens > room:
                break
            taken.insert(0, (s, e))
            used += tokens
        if taken:
            head = _Atom(taken[0][0], taken[-1][1], used, taken, whole_line=False)
            out.append([head, *cur])
        else:
            out.append(cur)
    return out


def _is_droppable(
    doc: Document, section: Section, group: list[_Atom], frag: int, whole: bool
) -> bool:
    """A chunk that is only its section's heading (or the title), or a prose section that is
    one fragment with no sentence in it ("작성 예시", "Ⅰ", a figure label on a page of its
    own). The heading reaches every later chunk through heading_path, and a chunk of a few words
    would outrank real passages on vague questions. Table rows always stay."""
    text = doc.text[group[0].start : group[-1].end]
    if _is_heading_only(text, section, doc.title):
        return True
    return (
        whole
        and not section.table
        and sum(a.tokens for a in group) < frag
        and not any(_ENDS_SENTENCE.search(line) for line in text.split("\n"))
    )


def _is_heading_only(text: str, section: Section, title: str) -> bool:
    """Whether ``text`` is only the document's title or the section's heading, set on one line
    or over several, once or again ("암호모듈 제출물 / 작성 안내서" on a part's divider page)."""
    bare = "".join(text.strip().lstrip("#").split())
    if not bare:
        return False
    for name in (title, section.heading_path[-1] if section.heading_path else ""):
        own = "".join(name.split())
        if own and len(bare) % len(own) == 0 and bare == own * (len(bare) // len(own)):
            return True
    return False
