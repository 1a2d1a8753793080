"""The loader registry: pick a loader for a file from its first bytes and its extension.

Order matters: PDF by its ``%PDF-`` magic; HWP 5.x by the OLE magic (``D0 CF 11 E0``) plus an
HWP name or signature; HWPX and DOCX by the ZIP magic plus their ``mimetype`` or parts (or
extension); Markdown by extension; HTML by extension or a leading ``<!doctype html``/``<html``;
any other text-like file as plain text. Other binary files get no loader.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ingest.loaders.docx import DocxLoader
from ingest.loaders.html import HtmlLoader
from ingest.loaders.hwp import HwpLoader
from ingest.loaders.hwpx import HwpxLoader
from ingest.loaders.markdown import MarkdownLoader
from ingest.loaders.pdf import PdfLoader
from ingest.loaders.text import TextLoader
from ingest.safety import DEFAULT_LIMITS, Limits
from reportqa.protocols import Loader

__all__ = [
    "HEAD_BYTES",
    "LOADERS",
    "DocxLoader",
    "HtmlLoader",
    "HwpLoader",
    "HwpxLoader",
    "MarkdownLoader",
    "PdfLoader",
    "TextLoader",
    "make_loaders",
    "pick_loader",
]

HEAD_BYTES = 4096
"""How many leading bytes callers should read for :func:`pick_loader`."""


def make_loaders(limits: Limits = DEFAULT_LIMITS) -> tuple[Loader, ...]:
    """Every loader, in sniffing order, with the given per-document limits."""
    return (
        PdfLoader(limits),
        HwpLoader(limits),
        HwpxLoader(limits),
        DocxLoader(limits),
        MarkdownLoader(),
        HtmlLoader(),
        TextLoader(),
    )


LOADERS: tuple[Loader, ...] = make_loaders()


def pick_loader(path: Path, head: bytes, loaders: Sequence[Loader] = LOADERS) -> Loader | None:
    """The first loader whose ``sniff`` accepts the file, or None (binary or unsupported)."""
    for loader in loaders:
        if loader.sniff(path, head):
            return loader
    return None
