"""A whole PDF's pages, analysed: segments in reading order, page furniture, TOC pages, title.

Pure: takes :class:`~ingest.layout.page.PageLayout` pages (from PDFium or OCR) and returns the
loader's :class:`~ingest.loaders.text.Segment` list. Steps per page: tables are found and their
words left out of the prose; words become lines; furniture (found across all pages) is dropped;
lines become blocks in reading order; a TOC page becomes one ``toc`` segment; headings open new
segments (a stack by level across pages); glossary pairs become one "term: definition" line.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ingest.layout.furniture import find_furniture
from ingest.layout.headings import (
    Heading,
    HeadingLevels,
    first_page_title,
    glossary_pairs,
    heading_of,
    leads_text,
    side_by_side,
    text_left,
)
from ingest.layout.page import PageLayout, Word
from ingest.layout.reading import (
    Block,
    Line,
    body_size,
    group_lines,
    paragraphs,
    reading_order,
    row_texts,
    same_size,
)
from ingest.layout.tables import (
    RenderedTable,
    Table,
    continues,
    find_tables,
    render_table,
    shared_caption,
)
from ingest.layout.toc import is_toc_page, parse_entry, toc_lines
from ingest.layout.wordbreaks import BREAK
from ingest.loaders.text import HeadingPath, Segment
from ingest.tuning import MIN_TERM_ROWS, SPARSE_LINES, TERM_COLUMN_MAX_CHARS

JoinWords = Callable[[Sequence[tuple[str, str]]], list[bool]]


@dataclass
class Analysis:
    """What the loader needs from the pages."""

    segments: list[Segment]
    furniture: dict[int, list[str]] = field(default_factory=dict)
    toc_pages: list[int] = field(default_factory=list)
    title: str | None = None
    tables: int = 0


def _inside(word: Word, box: tuple[float, float, float, float]) -> bool:
    return box[0] - 1 <= word.cx <= box[2] + 1 and box[1] - 1 <= word.cy <= box[3] + 1


def prose_words(page: PageLayout, tables: Sequence[Table]) -> list[Word]:
    """The page's words outside its tables."""
    return [w for w in page.words if not any(_inside(w, t.bbox) for t in tables)]


def column_right(block: Block, blocks: Sequence[Block], width: float) -> float | None:
    """The right edge of a short block's column: the page's mirrored margin when nothing stands
    beside the block (one column), else None (the block's own edge)."""
    if block.item is not None or len(block.lines) >= 3:
        return None
    x0, y0, x1, y1 = block.bbox
    for other in blocks:
        ox0, oy0, ox1, oy1 = other.bbox
        if other is not block and min(y1, oy1) > max(y0, oy0) and (ox0 >= x1 or ox1 <= x0):
            return None
    return width - x0


def merge_term_columns(lines: Sequence[Line]) -> list[Line]:
    """Rows of a two-column glossary (short term left, definition right) as one line each, the
    term followed by ":" so the definition stays with its term."""
    by_row: dict[int, list[int]] = {}
    for i, line in enumerate(lines):
        by_row.setdefault(round(line.y0 / 3), []).append(i)
    pairs: list[tuple[int, int]] = []
    for members in by_row.values():
        if len(members) != 2:
            continue
        a, b = sorted(members, key=lambda i: lines[i].x0)
        term, definition = lines[a].text, lines[b].text
        if (
            len(term) <= TERM_COLUMN_MAX_CHARS
            and sum(1 for ch in term if ch.isalpha()) >= 2
            and sum(1 for ch in definition if ch.isalpha()) >= 2
            and lines[a].x1 < lines[b].x0
        ):
            pairs.append((a, b))
    lefts = {round(lines[a].x0 / 6) for a, _ in pairs}
    rights = {round(lines[b].x0 / 6) for _, b in pairs}
    if len(pairs) < MIN_TERM_ROWS or len(lefts) > 2 or len(rights) > 2:
        return list(lines)
    merged = dict(pairs)
    dropped = set(merged.values())
    out: list[Line] = []
    for i, line in enumerate(lines):
        if i in dropped:
            continue
        if i in merged:
            words = list(line.words)
            last = words[-1]
            if not last.text.endswith((":", "：")):
                words[-1] = Word(
                    last.text + ":", last.x0, last.y0, last.x1, last.y1, last.size, last.bold
                )
            out.append(Line((*words, *lines[merged[i]].words)))
        else:
            out.append(line)
    return out


def merge_heading_lines(
    blocks: Sequence[Block], found: dict[int, Heading]
) -> tuple[dict[int, Heading], set[int]]:
    """A heading set over two blocks (a title in two weights, "기본 및 상세설계서" / "작성
    안내서") as one: consecutive heading blocks of one size, stacked closely, unnumbered after
    the first. Returns the headings and the indexes of the blocks merged into the one above."""
    out = dict(found)
    merged: set[int] = set()
    for i in sorted(found):
        j = i + 1
        if i not in out or j not in out:
            continue
        a, b = out[i], out[j]
        top, below = blocks[i].bbox, blocks[j].bbox
        height = top[3] - top[1]
        if (
            same_size(a.size, b.size)
            and b.outline is None
            and -0.5 * height <= below[1] - top[3] < height
        ):
            out[i] = Heading(f"{a.text} {b.text}", a.size, a.bold or b.bold, a.outline)
            del out[j]
            merged.add(j)
    return out, merged


def resolve_breaks(segments: Sequence[Segment], join_words: JoinWords | None) -> None:
    """Replace the undecided Korean line breaks in the segments' lines by "" or " "."""
    spots: list[tuple[int, int]] = []
    pairs: list[tuple[str, str]] = []
    for s, segment in enumerate(segments):
        for k, line in enumerate(segment.lines):
            if BREAK not in line:
                continue
            parts = line.split(BREAK)
            for left, right in itertools.pairwise(parts):
                pairs.append((left.rsplit(" ", 1)[-1], right.split(" ", 1)[0]))
            spots.append((s, k))
    if not pairs:
        return
    decisions = iter(join_words(pairs) if join_words is not None else [False] * len(pairs))
    for s, k in spots:
        parts = segments[s].lines[k].split(BREAK)
        out = parts[0]
        for part in parts[1:]:
            out += ("" if next(decisions) else " ") + part
        segments[s].lines[k] = out


def after_the_toc(blocks: Sequence[Block], n_pages: int) -> tuple[list[Block], list[Block]]:
    """A TOC page's blocks split into the contents and what is set below the last entry, with
    no entry of its own (a revision history under the contents): that is text to index."""

    def has_entry(block: Block) -> bool:
        return any(parse_entry(line.text, n_pages) for line in block.lines)

    bottom = max((b.bbox[3] for b in blocks if has_entry(b)), default=None)
    if bottom is None:
        return list(blocks), []
    after = [b for b in blocks if b.bbox[1] > bottom and b.item is None and not has_entry(b)]
    return [b for b in blocks if b not in after], after


def _captions_across_pages(
    page_tables: list[list[Table]], page_blocks: Sequence[Sequence[Block]]
) -> dict[tuple[int, int], tuple[int, int]]:
    """A table that ends one page (nothing after it) and goes on at the top of the next (nothing
    before it, its header repeated) shares its caption between the two parts, in place. Returns
    each continuing part's (page index, table index) with the part it continues."""
    parts: dict[tuple[int, int], tuple[int, int]] = {}
    for n in range(len(page_blocks) - 1):
        ends, starts = page_blocks[n], page_blocks[n + 1]
        if not ends or not starts or ends[-1].item is None or starts[0].item is None:
            continue
        a, b = ends[-1].item, starts[0].item
        before, after = page_tables[n][a], page_tables[n + 1][b]
        if continues(before, after):
            page_tables[n][a], page_tables[n + 1][b] = shared_caption(before, after)
            parts[(n + 1, b)] = (n, a)
    return parts


def analyse(
    pages: Sequence[PageLayout],
    ocr_pages: frozenset[int] = frozenset(),
    join_words: JoinWords | None = None,
) -> Analysis:
    """Segments (one or more per page, never across pages) and the page metadata.

    ``join_words`` decides Korean words broken across lines (see ingest.layout.wordbreaks);
    without it such breaks are spaces."""
    n_pages = len(pages)
    all_lines = [group_lines(page.words) for page in pages]
    # A TOC page is judged on all its lines (its entries align like a table's rows).
    toc = [is_toc_page(row_texts(lines), n_pages) for lines in all_lines]
    page_tables = [
        [] if is_toc else find_tables(page) for page, is_toc in zip(pages, toc, strict=True)
    ]
    page_lines = [
        group_lines(prose_words(page, tables)) if tables else lines
        for page, tables, lines in zip(pages, page_tables, all_lines, strict=True)
    ]
    body = body_size([line for lines in page_lines for line in lines])
    furniture_idx = find_furniture(
        page_lines, [p.height for p in pages], [p.width for p in pages], body
    )
    furniture: dict[int, list[str]] = {}
    page_blocks: list[list[Block]] = []
    for page, lines, tables, drop in zip(
        pages, page_lines, page_tables, furniture_idx, strict=True
    ):
        if drop:
            furniture[page.number] = [lines[i].text for i in sorted(drop)]
        kept = merge_term_columns([line for i, line in enumerate(lines) if i not in drop])
        items = [Block((), item=k, box=t.bbox) for k, t in enumerate(tables)]
        page_blocks.append(reading_order(kept, items))

    parts = _captions_across_pages(page_tables, page_blocks)

    headings: list[dict[int, Heading]] = []
    continued: list[set[int]] = []
    for blocks, is_toc in zip(page_blocks, toc, strict=True):
        found = {}
        left = text_left([line for block in blocks for line in block.lines], body)
        for i, block in enumerate(blocks):
            heading = None if is_toc else heading_of(block, body, left)
            if heading is not None:
                found[i] = heading
        leading = leads_text(blocks, found, body)
        leading.update(side_by_side(blocks, leading, body))
        accepted, merged = merge_heading_lines(blocks, leading)
        headings.append(accepted)
        continued.append(merged)
    title = None
    if page_blocks:
        first_lines = [line for block in page_blocks[0] for line in block.lines]
        title = first_page_title(first_lines, body)
        if title is not None:
            # A cover's display text heads nothing after it; on a first page with content only
            # the title's own lines are dropped as headings.
            cover = len(first_lines) < SPARSE_LINES
            headings[0] = {
                i: h
                for i, h in headings[0].items()
                if not cover and (h.text not in title or h.outline is not None)
            }

    levels = HeadingLevels([h for found in headings for h in found.values()])
    segments: list[Segment] = []
    toc_pages: list[int] = []
    path = HeadingPath()
    rendered_parts: dict[tuple[int, int], RenderedTable] = {}
    for n, (page, blocks, found, second_lines, tables, is_toc) in enumerate(
        zip(pages, page_blocks, headings, continued, page_tables, toc, strict=True)
    ):
        number = page.number
        ocr = number in ocr_pages
        if is_toc:
            toc_pages.append(number)
            entries, after = after_the_toc(blocks, n_pages)
            texts = row_texts([line for block in entries for line in block.lines])
            segments.append(Segment(toc_lines(texts, n_pages), page=number, toc=True, ocr=ocr))
            if after:
                prose = [p for block in after for p in paragraphs(block)]
                segments.append(Segment(prose, (*path.path, prose[0]), number, ocr=ocr))
            continue
        current = Segment(heading_path=path.path, page=number, ocr=ocr)
        segments.append(current)
        rendered_tables = []
        for k, t in enumerate(tables):
            # A part continued from the page before goes on under that part's last group row
            # ("부채" over the liabilities carried to the statement's second page).
            before = rendered_parts.get(parts.get((n, k), (-1, -1)))
            rendered_parts[(n, k)] = render_table(t, before.section if before else "")
            rendered_tables.append(rendered_parts[(n, k)])
        # A caption outside the table's box is already the table's context: not prose too.
        captions = {c for r in rendered_tables for c in r.context.split("\n") if c}
        pairs = glossary_pairs(blocks)
        definitions = set(pairs.values())
        for i, block in enumerate(blocks):
            if i in definitions:
                continue
            if block.item is not None:
                rendered = rendered_tables[block.item]
                segments.append(
                    Segment(
                        list(rendered.lines),
                        path.path,
                        number,
                        table=True,
                        context=rendered.context,
                        ocr=ocr,
                    )
                )
                current = Segment(heading_path=path.path, page=number, ocr=ocr)
                segments.append(current)
            elif i in pairs:
                term = block.lines[0].text.rstrip(":： ")
                definition = " ".join(paragraphs(blocks[pairs[i]]))
                current.lines.append(f"{term}: {definition}")
            elif i in second_lines:
                continue  # the second line of a heading already emitted
            elif i in found:
                heading = found[i]
                if heading.text in path.path:
                    continue  # a section title repeated at the top of each of its pages
                current = Segment([heading.text], path.push(levels.level(heading), heading.text))
                current.page, current.ocr = number, ocr
                segments.append(current)
            else:
                prose = paragraphs(block, column_right(block, blocks, page.width))
                current.lines.extend(t for t in prose if t not in captions)
    resolve_breaks(segments, join_words)
    return Analysis(
        segments=segments,
        furniture=furniture,
        toc_pages=toc_pages,
        title=title,
        tables=sum(len(t) for t in page_tables),
    )
