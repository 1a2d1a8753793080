"""Page-dump boilerplate: what a web page leaves around its article when saved or copied as text.

A page dumped to text (a browser's "save as text", a scraper's output) keeps the page's chrome as
bulleted lines: font-size and share menus, reaction buttons ("좋아요0"), "related / most read"
headline lists, market tickers. None of it is site-specific, so the rules are general:

- a *block* is a run of bullet items ("• ", "- ", "* ", "· "...), blank lines between items
  allowed, plus the short label line just before it ("주요 뉴스", "실시간 시세");
- a file is a *page dump* when it has a chrome block: 3+ items that are mostly very short
  (menus, reactions) or mostly numbers (tickers). Only then is anything dropped, so a report's own
  bullet lists in an ordinary text file are never touched;
- in a page dump, every block whose items read as chrome is dropped: short items (menus,
  buttons, single words), number cells (prices, percentages, times), and runs of 3+ bullet items
  none of which is a sentence (headline lists: no "…다." ending);
- repeated lines (a photo caption printed twice) are kept once.

Lines that are sentences — the article — always stay.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.cleaning import clean_line
from ingest.tuning import BLOCK_LABEL_MAX, MENU_ITEM_MAX

_BULLET = re.compile(r"^\s*(?:[•·∙◦▪▫●○■□‣⁃]|[-*+](?=\s))\s*")
_NUMBERISH = re.compile(r"^[+\-−±]?[\d.,:/%\s]+(?:[%원$€¥]|[A-Za-z]{1,4})?$")
_SENTENCE_END = re.compile(r"(?:[다요죠음함됨임]\s*[.!?]|[.!?。])[\"'”’)\]」』]*$")


@dataclass
class _Block:
    start: int  # index of the first item line (in the raw line list)
    end: int  # index after the last item line
    items: list[str] = field(default_factory=list)


def _is_sentence(text: str) -> bool:
    return bool(_SENTENCE_END.search(text))


def _is_menu_item(text: str) -> bool:
    return len(text) <= MENU_ITEM_MAX or bool(_NUMBERISH.match(text))


def _blocks(lines: Sequence[str]) -> list[_Block]:
    blocks: list[_Block] = []
    current: _Block | None = None
    for i, raw in enumerate(lines):
        if not raw.strip():
            continue
        m = _BULLET.match(raw)
        if m:
            item = clean_line(raw[m.end() :])
            if current is None:
                current = _Block(i, i + 1)
                blocks.append(current)
            current.items.append(item)
            current.end = i + 1
        else:
            current = None
    return blocks


def _is_chrome(block: _Block) -> bool:
    items = [i for i in block.items if i]
    if not items:
        return True
    menu = sum(1 for i in items if _is_menu_item(i))
    if menu * 2 >= len(items):
        return True
    return len(items) >= 3 and not any(_is_sentence(i) for i in items)


def looks_like_page_dump(lines: Sequence[str]) -> bool:
    """True when the raw lines hold a chrome block: 3+ bullet items, mostly menu-like or numbers."""
    for block in _blocks(lines):
        items = [i for i in block.items if i]
        if len(items) >= 3 and sum(1 for i in items if _is_menu_item(i)) * 2 >= len(items):
            return True
    return False


def strip_page_boilerplate(lines: Sequence[str]) -> list[str]:
    """Raw lines of a text file with page chrome removed (unchanged unless it is a page dump).

    Returns raw lines (not cleaned), so callers keep their own paragraph handling.
    """
    if not looks_like_page_dump(lines):
        return list(lines)
    drop: set[int] = set()
    for block in _blocks(lines):
        if not _is_chrome(block):
            continue
        drop.update(range(block.start, block.end))
        label = _neighbour(lines, block.start, -1)
        if label is not None and _is_label(lines[label]):
            drop.add(label)
    out: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(lines):
        if i in drop:
            continue
        key = clean_line(raw)
        if key and key in seen and len(key) >= BLOCK_LABEL_MAX:
            continue  # a repeated caption or headline, kept once
        if key:
            seen.add(key)
        out.append(raw)
    return out


def _neighbour(lines: Sequence[str], index: int, step: int) -> int | None:
    i = index + step
    while 0 <= i < len(lines):
        if lines[i].strip():
            return i
        i += step
    return None


def _is_label(raw: str) -> bool:
    """A short heading-like line with no digits ("주요 뉴스"; not a date line)."""
    text = clean_line(raw)
    return (
        bool(text)
        and len(text) <= BLOCK_LABEL_MAX
        and not _is_sentence(text)
        and not any(ch.isdigit() for ch in text)
    )
