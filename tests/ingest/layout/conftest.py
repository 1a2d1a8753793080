"""PageLayouts of real PDFs for the layout tests, built with pypdfium2 (a small stand-in for the
PDF loader's own builder): words from the text page's character boxes, ruling lines from path
objects (thin boxes, and the four edges of rectangles), y turned to a top-left origin."""

from __future__ import annotations

import ctypes
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from ingest.layout.page import PageLayout, Rule, Word

REALDOCS = Path(__file__).resolve().parents[3] / ".." / "shared" / "realdocs"

RULE_MAX_THICKNESS = 2.0  # points: a box thinner than this in one dimension is a drawn line
BOLD_WEIGHT = 600  # FPDFText_GetFontWeight at or above this is bold
_BOLD_NAME = re.compile(r"bold|black|heavy|[-,]B$|HeadLine|ExtraBold", re.IGNORECASE)
_SPACES = {" ", "\x00", "\t", "\u00a0", "\u3000"}


def _is_bold(text_page: pdfium_c.FPDF_TEXTPAGE, index: int) -> bool:
    if pdfium_c.FPDFText_GetFontWeight(text_page, index) >= BOLD_WEIGHT:
        return True
    name = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    pdfium_c.FPDFText_GetFontInfo(text_page, index, name, 128, ctypes.byref(flags))
    return bool(_BOLD_NAME.search(name.value.decode("latin-1")))


def _char_boxes(text_page: pdfium_c.FPDF_TEXTPAGE, height: float) -> Iterator[tuple]:
    """(char, x0, y0, x1, y1, size, bold) per character, top-left origin; line breaks as '\n'."""
    left, right = ctypes.c_double(), ctypes.c_double()
    bottom, top = ctypes.c_double(), ctypes.c_double()
    for i in range(pdfium_c.FPDFText_CountChars(text_page)):
        code = pdfium_c.FPDFText_GetUnicode(text_page, i)
        char = chr(code) if code else "\x00"
        if char in "\r\n" or pdfium_c.FPDFText_IsGenerated(text_page, i) == 1:
            yield ("\n", 0.0, 0.0, 0.0, 0.0, 0.0, False)
            continue
        pdfium_c.FPDFText_GetCharBox(
            text_page,
            i,
            ctypes.byref(left),
            ctypes.byref(right),
            ctypes.byref(bottom),
            ctypes.byref(top),
        )
        # The font size times the text matrix: the loose box (ascent to descent) is that tall.
        loose = pdfium_c.FS_RECTF()
        pdfium_c.FPDFText_GetLooseCharBox(text_page, i, ctypes.byref(loose))
        size = round(abs(loose.top - loose.bottom), 1)
        bold = _is_bold(text_page, i)
        yield (char, left.value, height - top.value, right.value, height - bottom.value, size, bold)


def _words(text_page: pdfium_c.FPDF_TEXTPAGE, height: float) -> list[Word]:
    words: list[Word] = []
    run: list[tuple] = []

    def flush() -> None:
        if run:
            text = "".join(c[0] for c in run)
            words.append(
                Word(
                    text,
                    min(c[1] for c in run),
                    min(c[2] for c in run),
                    max(c[3] for c in run),
                    max(c[4] for c in run),
                    max(c[5] for c in run),
                    sum(c[6] for c in run) * 2 > len(run),
                )
            )
            run.clear()

    for box in _char_boxes(text_page, height):
        char = box[0]
        if char == "\n" or char in _SPACES or char.isspace():
            flush()
            continue
        if run:
            prev = run[-1]
            gap = box[1] - prev[3]
            same_line = (
                abs((box[2] + box[4]) - (prev[2] + prev[4])) / 2 < max(box[5], prev[5]) * 0.5
            )
            if not same_line or gap > max(box[5], 1.0) * 0.35 or gap < -max(box[5], 1.0):
                flush()
        run.append(box)
    flush()
    return words


def _rules(page: pdfium.PdfPage, height: float) -> list[Rule]:
    rules: list[Rule] = []
    for obj in page.get_objects(max_depth=3):
        if obj.type != pdfium_c.FPDF_PAGEOBJ_PATH:
            continue
        x0, y0, x1, y1 = obj.get_bounds()  # bounds with the object's matrix applied (PDF space)
        box = (x0, height - y1, x1, height - y0)
        w, h = x1 - x0, y1 - y0
        if w <= RULE_MAX_THICKNESS and h <= RULE_MAX_THICKNESS:
            continue
        if h <= RULE_MAX_THICKNESS:
            mid = (box[1] + box[3]) / 2
            rules.append(Rule(box[0], mid, box[2], mid))
        elif w <= RULE_MAX_THICKNESS:
            mid = (box[0] + box[2]) / 2
            rules.append(Rule(mid, box[1], mid, box[3]))
        elif pdfium_c.FPDFPath_CountSegments(obj.raw) <= 6:
            # A rectangle (move + 3-4 lines + close): its four edges can be cell borders.
            rules += [
                Rule(box[0], box[1], box[2], box[1]),
                Rule(box[0], box[3], box[2], box[3]),
                Rule(box[0], box[1], box[0], box[3]),
                Rule(box[2], box[1], box[2], box[3]),
            ]
    return rules


@lru_cache(maxsize=8)
def _document(path: Path) -> pdfium.PdfDocument:
    return pdfium.PdfDocument(str(path))


def build_page(path: Path, number: int) -> PageLayout:
    """Page ``number`` (1-based) of the PDF at ``path`` as a PageLayout."""
    page = _document(path)[number - 1]
    width, height = page.get_size()
    text_page = page.get_textpage()
    try:
        words = _words(text_page.raw, height)
    finally:
        text_page.close()
    return PageLayout(number, width, height, tuple(words), tuple(_rules(page, height)))


def page_count(path: Path) -> int:
    return len(_document(path))


@pytest.fixture(scope="session")
def realdoc() -> Callable[[str], Path]:
    if not REALDOCS.is_dir():
        pytest.skip(f"real documents not found at {REALDOCS} (../shared is absent)")

    def path(name: str) -> Path:
        return REALDOCS / name

    return path


@pytest.fixture(scope="session")
def pdf_page(realdoc: Callable[[str], Path]) -> Callable[[str, int], PageLayout]:
    """``pdf_page(file name, page number)``: that page of a shared real PDF as a PageLayout."""
    cache: dict[tuple[str, int], PageLayout] = {}

    def get(name: str, number: int) -> PageLayout:
        if (name, number) not in cache:
            cache[name, number] = build_page(realdoc(name), number)
        return cache[name, number]

    return get


@pytest.fixture(scope="session")
def pdf_page_count(realdoc: Callable[[str], Path]) -> Callable[[str], int]:
    """``pdf_page_count(file name)``: how many pages that shared real PDF has."""
    return lambda name: page_count(realdoc(name))
