"""The reasons for hostile PDFs (ingest/safety.py), on the real hostile files (issue 15): a
150,000-page PDF is too long, not a decompression bomb; a PDF whose objects nest thousands deep
is broken, not a scan to OCR."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ingest.safety import (
    PDF_PAGES_PER_S,
    pdf_no_body_text_reason,
    pdf_page_limit,
    pdf_pages_overrun_reason,
    pdf_too_many_pages_reason,
    pdf_unreadable_page_reason,
)

sys.path.insert(0, str(Path(__file__).parent))
from builders import many_pages_pdf, nested_objects_pdf

REALDOCS = Path(__file__).resolve().parents[2] / ".." / "shared" / "realdocs"


def test_a_150k_page_pdf_is_too_long_not_a_bomb(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    path = many_pages_pdf(tmp_path / "pages.pdf", 150_000)
    assert path.stat().st_size < 50 * 1024 * 1024  # small enough to pass the file-size limit
    pages = len(pdfium.PdfDocument(str(path)))
    assert pages == 150_000
    reason = pdf_too_many_pages_reason(pages, 120)
    assert reason is not None
    assert "has 150,000 pages" in reason and "at most 12,000 pages" in reason
    assert "REPORTQA_PARSE_TIMEOUT_S" in reason and "bomb" not in reason
    assert pdf_page_limit(120) == 120 * PDF_PAGES_PER_S


def test_real_reports_are_far_below_the_page_limit() -> None:
    import pypdfium2 as pdfium

    pdfs = sorted(REALDOCS.glob("*.pdf"))
    if not pdfs:
        pytest.skip(f"the shared real documents are not here ({REALDOCS})")
    for pdf in pdfs:
        pages = len(pdfium.PdfDocument(str(pdf)))
        assert pdf_too_many_pages_reason(pages, 120) is None
        assert pdf_too_many_pages_reason(pages, 5) is None, pdf.name  # even a 5 s budget


def test_a_pdf_nested_thousands_deep_is_broken_not_scanned(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    shallow = pdfium.PdfDocument(str(nested_objects_pdf(tmp_path / "ok.pdf", 5)))
    text = shallow[0].get_textpage().get_text_range()
    assert "wind farms" in text  # the same structure, five deep, reads fine
    doc = pdfium.PdfDocument(str(nested_objects_pdf(tmp_path / "deep.pdf", 5_000)))
    with pytest.raises(pdfium.PdfiumError) as err:
        doc[0]
    reason = pdf_unreadable_page_reason(1, str(err.value), len(doc))
    assert "PDFium cannot load its only page (Failed to load page.)" in reason
    assert "nested too deeply" in reason and "not a scan" in reason
    assert "OCR" not in reason and "qpdf" in reason


def test_text_that_repeats_on_every_page_is_not_called_a_scan(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    from ingest.layout.pdfium import page_layout

    doc = pdfium.PdfDocument(str(many_pages_pdf(tmp_path / "same.pdf", 3)))
    with_words = sum(1 for i in range(len(doc)) if page_layout(doc[i], i + 1).words)
    assert with_words == 3
    reason = pdf_no_body_text_reason(with_words, len(doc))
    assert reason is not None and "3 of 3 pages have text" in reason
    assert "OCR would not help" in reason
    assert pdf_no_body_text_reason(0, 3) is None  # no words at all: a scan, OCR is the advice


def test_a_slow_pdf_is_refused_from_the_pace_of_its_first_pages() -> None:
    reason = pdf_pages_overrun_reason(20, 10_000, 2.0, 120)  # 10 pages/s: 1,000 s
    assert reason is not None and "10,000 pages" in reason and "about 17 min" in reason
    assert pdf_pages_overrun_reason(20, 1_000, 2.0, 120) is None  # 100 s fits
    assert pdf_pages_overrun_reason(5, 10_000, 2.0, 120) is None  # too few pages to tell
    assert pdf_pages_overrun_reason(20, 10_000, 0.1, 120) is None  # too little time to tell
