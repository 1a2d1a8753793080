"""Page previews: a cited PDF page as PNG, the cited passage's area highlighted.

``GET /api/v1/collections/{name}/documents/{doc_id}/pages/{n}.png?chunk=<id>``. The document is
looked up by id in the served index (its recorded source path is never taken from a request);
the page is rendered with pypdfium2 and the passage found on it by text search over the page's
text (each line of the passage, so wrapping and spacing differences do not matter). Rendered
PNGs are kept in a small in-memory cache keyed by index version, document, page and passage.
"""

from __future__ import annotations

import io
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reportqa.errors import ReportQAError

log = logging.getLogger(__name__)

# 1.5 × 72 dpi = 108 dpi: an A4 page is 893×1263 px, readable in a side panel and ~150-300 KB.
RENDER_SCALE = 1.5
CACHE_ENTRIES = 64
# Lines shorter than this match too many places on a page (page numbers, bullets).
MIN_LINE_CHARS = 6
# Search for at most this many characters of a line: long lines often differ in spacing at the end.
SEARCH_CHARS = 48
HIGHLIGHT_RGBA = (250, 204, 21, 96)  # translucent yellow: the text under it stays readable
OUTLINE_RGB = (202, 138, 4)


class PagePreviewError(ReportQAError):
    """A page preview cannot be made: ``status`` and ``code`` say why (HTTP)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


def search_lines(text: str) -> list[str]:
    """The pieces of a passage to look for on its page: each line, whitespace collapsed, its
    first ``SEARCH_CHARS`` characters; short lines dropped. Pure."""
    out: list[str] = []
    for line in text.splitlines():
        line = re.sub(r"\s+", " ", line).strip().lstrip("#>*-• ").strip()
        if len(line) >= MIN_LINE_CHARS:
            out.append(line[:SEARCH_CHARS])
    return out


def passage_rects(textpage: Any, text: str) -> list[tuple[float, float, float, float]]:
    """PDF-space rectangles (left, bottom, right, top) of the passage's lines on the page."""
    rects: list[tuple[float, float, float, float]] = []
    for piece in search_lines(text):
        searcher = textpage.search(piece, match_case=False)
        try:
            found = searcher.get_next()
            if found is None:
                continue
            start, count = found
            for i in range(textpage.count_rects(start, count)):
                rects.append(tuple(textpage.get_rect(i)))
        finally:
            searcher.close()
    return rects


def render_page(path: Path, page_number: int, passage: str | None) -> bytes:
    """PNG bytes of page ``page_number`` (1-based) of the PDF at ``path``, the lines of
    ``passage`` highlighted when it is found there."""
    import pypdfium2 as pdfium
    from PIL import ImageDraw

    try:
        pdf = pdfium.PdfDocument(str(path))
    except (OSError, pdfium.PdfiumError) as exc:
        raise PagePreviewError(
            404, "document_unavailable",
            f"The document's file cannot be opened any more ({path.name}): {exc}. Ingest it again.",
        ) from exc
    try:
        if not 1 <= page_number <= len(pdf):
            raise PagePreviewError(
                404, "no_such_page", f"{path.name} has {len(pdf)} pages; there is no page {page_number}."
            )
        page = pdf[page_number - 1]
        image = page.render(scale=RENDER_SCALE).to_pil().convert("RGB")
        if passage:
            textpage = page.get_textpage()
            rects = passage_rects(textpage, passage)
            textpage.close()
            if rects:
                height = page.get_height()
                overlay = image.convert("RGBA")
                layer = overlay.copy()
                layer.paste((0, 0, 0, 0), (0, 0, *layer.size))
                draw = ImageDraw.Draw(layer)
                for left, bottom, right, top in rects:
                    box = (
                        left * RENDER_SCALE - 2, (height - top) * RENDER_SCALE - 2,
                        right * RENDER_SCALE + 2, (height - bottom) * RENDER_SCALE + 2,
                    )
                    draw.rectangle(box, fill=HIGHLIGHT_RGBA, outline=(*OUTLINE_RGB, 200))
                from PIL import Image

                image = Image.alpha_composite(overlay, layer).convert("RGB")
        page.close()
    finally:
        pdf.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


class PageCache:
    """Rendered PNGs by (collection, version, document, page, passage), least recent dropped."""

    def __init__(self, capacity: int = CACHE_ENTRIES) -> None:
        self.capacity = capacity
        self._items: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.renders = 0

    def get_or_render(self, key: tuple[Any, ...], render: Any) -> bytes:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        png = render()
        with self._lock:
            self.renders += 1
            self._items[key] = png
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return bytes(png)


def find_document(documents: Sequence[dict[str, Any]], doc_id: str) -> dict[str, Any]:
    """The manifest record of ``doc_id``. Raises PagePreviewError (404) when the index has none."""
    for d in documents:
        if d.get("id") == doc_id:
            return d
    raise PagePreviewError(404, "unknown_document", f"This collection has no document {doc_id!r}.")


def preview(served: Any, cache: PageCache, key: str, doc_id: str, page: int, chunk_id: str | None) -> bytes:
    """The PNG of ``page`` of document ``doc_id`` in the ``served`` version (a ``Served``),
    highlighting passage ``chunk_id`` of that document when given."""
    manifest = served.manifest()
    record = find_document(manifest.get("documents", []), doc_id)
    if str(record.get("format", "")).lower() != "pdf":
        raise PagePreviewError(
            409, "not_a_pdf",
            f"{doc_id!r} is a {record.get('format')} document: it has no pages to show; its "
            "passage is shown in its section instead.",
        )
    passage: str | None = None
    if chunk_id:
        chunk = next(
            (c for c in served.pipeline.index.chunks if c.id == chunk_id and c.doc_id == doc_id), None
        )
        if chunk is None:
            raise PagePreviewError(404, "unknown_passage", f"{doc_id!r} has no passage {chunk_id!r}.")
        passage = chunk.text
    source = Path(str(record.get("source", "")))
    return cache.get_or_render(
        (key, served.version, doc_id, page, chunk_id),
        lambda: render_page(source, page, passage),
    )
