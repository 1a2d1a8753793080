"""The loader registry: pick a loader for a file from its first bytes and its extension.

Order matters: PDF by its magic bytes; Markdown by extension; HTML by extension or a leading
``<!doctype html``/``<html``; any other text-like file as plain text. Binary files get no loader.
"""

from __future__ import annotations

from pathlib import Path

from ingest.loaders.html import HtmlLoader
from ingest.loaders.markdown import MarkdownLoader
from ingest.loaders.pdf import PdfLoader
from ingest.loaders.text import TextLoader
from reportqa.protocols import Loader

__all__ = [
    "HEAD_BYTES",
    "LOADERS",
    "HtmlLoader",
    "MarkdownLoader",
    "PdfLoader",
    "TextLoader",
    "pick_loader",
]

HEAD_BYTES = 4096
"""How many leading bytes callers should read for :func:`pick_loader`."""

LOADERS: tuple[Loader, ...] = (PdfLoader(), MarkdownLoader(), HtmlLoader(), TextLoader())


def pick_loader(path: Path, head: bytes) -> Loader | None:
    """The first loader whose ``sniff`` accepts the file, or None (binary or unsupported)."""
    for loader in LOADERS:
        if loader.sniff(path, head):
            return loader
    return None
