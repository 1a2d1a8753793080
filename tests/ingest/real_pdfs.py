"""The shared real PDFs as the PDF loader reads them, each read once per test session: the
modules of tests/ingest that check the loader's output on them share one copy (the
implementation guide alone takes about 5 CPU-seconds to read)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from ingest.loaders.pdf import PdfLoader
from reportqa.types import Document


def load_real_pdf(path: Path) -> Document:
    """``PdfLoader().load(path)``, cached for the session; skips when ../shared is absent."""
    if not path.exists():
        pytest.skip(f"{path.name} not found under {path.parent} (../shared is absent)")
    return _load(path.resolve())


@cache
def _load(path: Path) -> Document:
    return PdfLoader().load(path)
