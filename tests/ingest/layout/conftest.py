"""PageLayouts of the shared real PDFs for the layout tests, built by the PDF loader's own
builder (ingest.layout.pdfium) so the tests see the words and rules the loader hands on."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from ingest.layout.page import PageLayout
from ingest.layout.pdfium import page_layout

REALDOCS = Path(__file__).resolve().parents[3] / ".." / "shared" / "realdocs"


@lru_cache(maxsize=8)
def _document(path: Path) -> pdfium.PdfDocument:
    return pdfium.PdfDocument(str(path))


def build_page(path: Path, number: int) -> PageLayout:
    """Page ``number`` (1-based) of the PDF at ``path`` as the PDF loader sees it."""
    return page_layout(_document(path)[number - 1], number)


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
