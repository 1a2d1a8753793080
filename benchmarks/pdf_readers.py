"""Which PDF library the layout-aware reader is built on: seconds per page and what each gives.

Each candidate reads every page of the shared real PDFs (``../shared/realdocs/``) down to what the
reader needs: words with boxes, font size and weight, and ruling lines. Printed as one Markdown
table (the README's): wall seconds per page per file and overall, and CPU seconds per page (this
process's, threads included: the fair number on a shared, loaded machine). The last row is the
whole reportqa PDF loader (layout analysis included).

    python benchmarks/pdf_readers.py [--folder ../shared/realdocs]

Licenses: pypdfium2 Apache-2.0/BSD-3 (PDFium), pdfplumber MIT, pdfminer.six MIT, docling-parse MIT.
PyMuPDF (AGPL) is not a candidate; opendataloader-pdf needs a Java runtime (see the README).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluation.report import markdown_table

DEFAULT_FOLDER = Path(__file__).resolve().parents[1] / ".." / "shared" / "realdocs"


def read_pypdfium2(path: Path) -> tuple[int, int, int]:
    """(pages, words, rules) with pypdfium2 through ingest.layout.pdfium (the loader's reader)."""
    import pypdfium2 as pdfium

    from ingest.layout.pdfium import page_layout

    doc = pdfium.PdfDocument(str(path))
    words = rules = 0
    try:
        for i in range(len(doc)):
            layout = page_layout(doc[i], i + 1)
            words += len(layout.words)
            rules += len(layout.rules)
        return len(doc), words, rules
    finally:
        doc.close()


def read_pdfplumber(path: Path) -> tuple[int, int, int]:
    """pdfplumber: extract_words with font name/size, plus lines and rects."""
    import pdfplumber

    words = rules = 0
    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:
            words += len(page.extract_words(extra_attrs=["fontname", "size"]))
            rules += len(page.lines) + len(page.rects)
            page.flush_cache()
        return len(pdf.pages), words, rules


def read_pdfminer(path: Path) -> tuple[int, int, int]:
    """pdfminer.six: LTChar boxes (font name and size) and LTLine/LTRect, words by spaces."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar, LTCurve, LTTextContainer

    pages = words = rules = 0
    for layout in extract_pages(str(path)):
        pages += 1
        for element in layout:
            if isinstance(element, LTTextContainer):
                for line in element:
                    text = line.get_text() if hasattr(line, "get_text") else ""
                    words += len(text.split())
                    for ch in line if hasattr(line, "__iter__") else ():
                        if isinstance(ch, LTChar):
                            _ = (ch.fontname, ch.size)
            elif isinstance(element, LTCurve):  # LTLine and LTRect are curves
                rules += 1
    return pages, words, rules


def read_docling_parse(path: Path) -> tuple[int, int, int]:
    """docling-parse: word cells (with font name) and line shapes per page."""
    from docling_parse.pdf_parser import DoclingPdfParser

    parser = DoclingPdfParser()
    doc = parser.load(path_or_stream=str(path))
    pages = words = rules = 0
    for _, page in doc.iterate_pages():
        pages += 1
        words += len(page.word_cells)
        rules += len(page.shapes)
    doc.unload()
    return pages, words, rules


def read_reportqa(path: Path) -> tuple[int, int, int]:
    """The whole reportqa PDF loader (layout analysis, headings, tables, TOC, Korean word breaks)."""
    from ingest.loaders.pdf import PdfLoader

    doc = PdfLoader().load(path)
    return int(doc.meta["pages"]), len(doc.text.split()), int(doc.meta.get("tables", 0))


CANDIDATES: dict[str, tuple[Callable[[Path], tuple[int, int, int]], str]] = {
    "pypdfium2": (read_pypdfium2, "char boxes, font weight/name, size from boxes, path rules"),
    "pdfplumber": (read_pdfplumber, "word boxes, font name + size, lines/rects"),
    "pdfminer.six": (read_pdfminer, "char boxes, font name + size, lines/rects/curves"),
    "docling-parse": (read_docling_parse, "word/line cells, font name, shapes"),
    "reportqa loader": (read_reportqa, "the whole loader; 'rules' column = tables found"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--only", nargs="*", help="candidate names to run")
    args = parser.parse_args()
    files = sorted(args.folder.glob("*.pdf"))
    if not files:
        sys.exit(f"no PDFs in {args.folder}; pass --folder")
    if not args.only or "reportqa loader" in args.only:
        # Kiwi's one-time start (seconds) is paid once per process, outside the timing: the
        # chunker and BM25 of an ingest start it anyway.
        from reportqa.language import get_kiwi

        get_kiwi().tokenize("준비")
    rows = []
    for name, (reader, gives) in CANDIDATES.items():
        if args.only and name not in args.only:
            continue
        per_file: list[str] = []
        total_pages = 0
        total_s = 0.0
        total_cpu = 0.0
        words = rules = 0
        for path in files:
            start = time.perf_counter()
            cpu = time.process_time()
            try:
                pages, w, r = reader(path)
            except Exception as exc:  # a candidate failing on a file is a result too
                per_file.append(f"error ({type(exc).__name__})")
                continue
            elapsed = time.perf_counter() - start
            total_cpu += time.process_time() - cpu
            per_file.append(f"{elapsed / max(pages, 1):.4f}")
            total_pages += pages
            total_s += elapsed
            words += w
            rules += r
        rows.append(
            [
                name,
                *per_file,
                f"{total_s / max(total_pages, 1):.4f}",
                f"{total_cpu / max(total_pages, 1):.4f}",
                f"{words:,}",
                f"{rules:,}",
                gives,
            ]
        )
        print(f"done: {name}", file=sys.stderr)
    header = [
        "reader",
        *(f"s/page {p.name[:24]}" for p in files),
        "s/page all",
        "CPU s/page all",
        "words",
        "rules",
        "gives",
    ]
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
