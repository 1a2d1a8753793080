"""PageLayout from a pypdfium2 page: characters grouped into words, ruling lines, image cover.

The only module that talks to PDFium; everything after it is pure analysis over
:class:`~ingest.layout.page.PageLayout`. PDFium reports boxes with the origin at the bottom-left;
they are flipped here to the page model's top-left origin.
"""

from __future__ import annotations

import ctypes
from dataclasses import replace
from typing import Any

from ingest.layout.equations import equation_char, is_equation_font, script_mark
from ingest.layout.overprint import drop_overprint
from ingest.layout.page import PageLayout, Rule, Word
from ingest.tuning import (
    BOLD_WEIGHT,
    RECT_MAX_SEGMENTS,
    RULE_MIN_LENGTH,
    RULE_THICKNESS,
    WORD_GAP_EM,
)

# Characters that separate words. NUL is where Hancom PDFs put their spaces.
_SEPARATORS = frozenset([0, 9, 10, 13, 32, 0xA0, 0x3000, 0xFFFE, 0xFFFF])
# Bold: PDFium's font weight (at least BOLD_WEIGHT) or a base font name saying so.
_BOLD_NAMES = ("bold", "black", "heavy", "extrab", "semib", "demi", "헤드라인", "견고딕", "굵은")


def _font_info(textpage: Any, index: int, cache: dict[int, tuple[bool, str]]) -> tuple[bool, str]:
    """Whether the font of character ``index`` is bold, and its base name (cached per text
    object)."""
    import pypdfium2.raw as pdfium_c

    obj = pdfium_c.FPDFText_GetTextObject(textpage, index)
    if not obj:
        return False, ""
    key = ctypes.cast(obj, ctypes.c_void_p).value or 0
    cached = cache.get(key)
    if cached is not None:
        return cached
    font = pdfium_c.FPDFTextObj_GetFont(obj)
    bold = False
    name = ""
    if font:
        weight = pdfium_c.FPDFFont_GetWeight(font)
        size = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
        if size > 0:
            buf = ctypes.create_string_buffer(size)
            pdfium_c.FPDFFont_GetBaseFontName(font, buf, size)
            name = buf.value.decode("utf-8", errors="replace")
        lowered = name.lower()
        bold = weight >= BOLD_WEIGHT or any(mark in lowered for mark in _BOLD_NAMES)
    cache[key] = (bold, name)
    return bold, name


def page_words(textpage: Any, height: float) -> tuple[Word, ...]:
    """The page's words in content order, from PDFium's characters."""
    import pypdfium2.raw as pdfium_c

    count = pdfium_c.FPDFText_CountChars(textpage)
    words: list[Word] = []
    chars: list[str] = []
    box = [0.0, 0.0, 0.0, 0.0]  # x0, y0, x1, y1 of the current word
    size = 0.0
    bold = False
    prev_x1 = 0.0
    prev_cy = 0.0
    rect = pdfium_c.FS_RECTF()
    fonts: dict[int, tuple[bool, str]] = {}

    formula = False  # every glyph of the current word is a formula glyph

    def flush(glued: bool = False) -> None:
        if chars:
            text = "".join(chars)
            words.append(Word(text, box[0], box[1], box[2], box[3], size, bold, glued, formula))
            chars.clear()

    spaced_breaks = 0  # line breaks after a real space: this producer marks word breaks
    prev_code = 0
    # Hancom equation glyphs (ingest/layout/equations.py): the last base-line glyph of the
    # formula being read, the script the previous glyph was in, and a line break PDFium
    # generated right after a formula glyph, held back (its glued flag) until the next glyph
    # shows whether it is that glyph's exponent or index ("2" then, raised, "32").
    eq_prev = False
    base_size = base_cy = 0.0
    script = ""
    pending: bool | None = None
    for i in range(count):
        code = pdfium_c.FPDFText_GetUnicode(textpage, i)
        if code in _SEPARATORS:
            if code in (10, 13) and pdfium_c.FPDFText_IsGenerated(textpage, i) == 1:
                if prev_code in (0, 32, 0xA0, 0x3000):
                    spaced_breaks += 1
                glued = prev_code not in _SEPARATORS
                if eq_prev and chars:
                    pending = glued if pending is None else pending
                else:
                    flush(glued=glued)
            else:
                flush(glued=bool(pending))
                pending = None
                eq_prev = False
            prev_code = code
            continue
        prev_code = code
        if not pdfium_c.FPDFText_GetLooseCharBox(textpage, i, rect):
            continue
        x0, x1 = rect.left, rect.right
        y0, y1 = height - rect.top, height - rect.bottom
        if x1 <= x0 or y1 <= y0:
            continue
        # FPDFText_GetFontSize ignores the text matrix (Hancom PDFs say 100 pt for 10 pt
        # text): the loose box height (ascent to descent, as drawn) is the size that compares.
        char_size = y1 - y0
        cy = (y0 + y1) / 2
        try:
            ch = chr(code)
        except (ValueError, OverflowError):
            continue
        eq = False
        if 0xE000 <= code <= 0xF8FF and is_equation_font(_font_info(textpage, i, fonts)[1]):
            eq = True
            ch = equation_char(code) or ch
        mark = script_mark(char_size, cy, base_size, base_cy) if eq and eq_prev else ""
        # After a break held back, a formula glyph goes on by its place (an index and the comma
        # after it: "(p_1,p_2"); anything else starts a word.
        if pending is not None and not eq:
            flush(glued=pending)
            pending = None
        if chars:
            gap = x0 - prev_x1
            same_line = abs(cy - prev_cy) < 0.5 * max(size, char_size)
            if not same_line or gap > WORD_GAP_EM * max(size, char_size) or gap < -size:
                flush(glued=bool(pending))
        pending = None
        if not chars:
            box = [x0, y0, x1, y1]
            size = char_size
            bold = _font_info(textpage, i, fonts)[0]
            mark = ""
            script = ""
            formula = eq
        else:
            box = [min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)]
            size = max(size, char_size)
        if eq:
            if mark and mark != script:
                chars.append(mark)
            script = mark
            if not mark:
                base_size, base_cy = char_size, cy
        else:
            script = ""
            formula = False
        eq_prev = eq
        chars.append(ch)
        prev_x1, prev_cy = x1, cy
    flush()
    if not spaced_breaks:  # no word break is marked: a missing space says nothing
        words = [replace(w, glued=False) if w.glued else w for w in words]
    return tuple(words)


def _bounds(obj: Any, height: float) -> tuple[float, float, float, float] | None:
    """A page object's box in top-left coordinates (None when PDFium cannot tell)."""
    import pypdfium2.raw as pdfium_c

    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    if not pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
        return None
    return left.value, height - top.value, right.value, height - bottom.value


def _path_rules(obj: Any, box: tuple[float, float, float, float]) -> list[Rule]:
    import pypdfium2.raw as pdfium_c

    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    if max(w, h) < RULE_MIN_LENGTH:
        return []
    if min(w, h) <= RULE_THICKNESS:
        return [Rule(x0, y0, x1, y1)]
    if pdfium_c.FPDFPath_CountSegments(obj) <= RECT_MAX_SEGMENTS:
        return [
            Rule(x0, y0, x1, y0),
            Rule(x0, y1, x1, y1),
            Rule(x0, y0, x0, y1),
            Rule(x1, y0, x1, y1),
        ]
    return []


def page_layout(page: Any, number: int) -> PageLayout:
    """The :class:`PageLayout` of a pypdfium2 ``PdfPage`` (``number`` is 1-based).

    Rules and images are read from the page's top-level objects through the raw API (the
    helper's object wrappers cost more than the analysis of the page)."""
    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    if page.get_rotation() in (90, 270):
        # PDFium's boxes are in the unrotated page space, where the text runs left to right.
        width, height = height, width
    textpage = page.get_textpage()
    try:
        # Text drawn twice on itself (fake bold, shadows) is read once.
        words = drop_overprint(page_words(textpage.raw, height))
    finally:
        textpage.close()
    rules: list[Rule] = []
    image_area = 0.0
    raw = page.raw
    for index in range(pdfium_c.FPDFPage_CountObjects(raw)):
        obj = pdfium_c.FPDFPage_GetObject(raw, index)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind not in (pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_IMAGE):
            continue
        box = _bounds(obj, height)
        if box is None:
            continue
        if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            rules.extend(_path_rules(obj, box))
        else:
            w = max(0.0, min(box[2], width) - max(box[0], 0.0))
            h = max(0.0, min(box[3], height) - max(box[1], 0.0))
            image_area += w * h
    cover = min(1.0, image_area / (width * height)) if width > 0 and height > 0 else 0.0
    return PageLayout(number, width, height, words, tuple(rules), cover)
