"""OCR of page images with Debian's ``tesseract`` CLI (``tesseract-ocr`` + ``tesseract-ocr-kor``).

:func:`ocr_words` runs ``tesseract IMAGE - -l kor+eng tsv`` in a subprocess with a timeout and
turns the TSV's words into the page model's :class:`~ingest.layout.page.Word` (in PDF points), so
OCR output goes through the same layout analysis as a text layer.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import shutil
import subprocess
from pathlib import Path

from ingest.layout.page import Word
from ingest.tuning import JOIN_GAP, MIN_CONFIDENCE

logger = logging.getLogger(__name__)

LANGUAGES = "kor+eng"
# Seconds one page may take; a 300 dpi A4 page takes 3-8 s on one core here.
PAGE_TIMEOUT_S = 60.0


@functools.lru_cache(maxsize=1)
def unavailable_reason() -> str | None:
    """Why OCR cannot run here (None when ``tesseract`` with Korean and English is installed)."""
    exe = shutil.which("tesseract")
    if exe is None:
        return (
            "tesseract is not installed; install Debian's tesseract-ocr and tesseract-ocr-kor "
            "(`make system-deps`) to read image-only pages"
        )
    try:
        listed = subprocess.run(
            [exe, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"tesseract does not run ({type(exc).__name__}); reinstall tesseract-ocr"
    langs = set(listed.stdout.split())
    missing = [lang for lang in LANGUAGES.split("+") if lang not in langs]
    if missing:
        return (
            f"tesseract lacks the {'+'.join(missing)} language data; install "
            "tesseract-ocr-kor (and tesseract-ocr-eng)"
        )
    return None


def parse_tsv(tsv: str, scale: float) -> tuple[Word, ...]:
    """Words of tesseract's TSV output; pixel boxes divided by ``scale`` (pixels per point)."""
    words: list[Word] = []
    keys: list[tuple[str, ...]] = []
    line_sizes: dict[tuple[str, ...], float] = {}
    rows = tsv.splitlines()
    for row in rows[1:]:
        cols = row.split("\t")
        if len(cols) >= 12 and cols[0] == "4":  # a line: its height is its words' size
            with contextlib.suppress(ValueError):
                line_sizes[tuple(cols[1:5])] = float(cols[9]) / scale
        if len(cols) < 12 or cols[0] != "5":
            continue
        text = cols[11].strip()
        try:
            conf = float(cols[10])
            left, top, width, height = (float(c) for c in cols[6:10])
        except ValueError:
            continue
        if not text or conf < MIN_CONFIDENCE or width <= 0 or height <= 0:
            continue
        x0, y0 = left / scale, top / scale
        x1, y1 = (left + width) / scale, (top + height) / scale
        line = tuple(cols[1:5])  # page, block, paragraph, line
        # Glyph boxes vary with ascenders and descenders; the line's height is the size.
        size = line_sizes.get(line, y1 - y0)
        prev = words[-1] if words and keys[-1] == line else None
        if prev is not None and x0 - prev.x1 < JOIN_GAP * max(prev.y1 - prev.y0, y1 - y0):
            # Tesseract splits Hangul words at syllables it is unsure of: glue them back.
            words[-1] = Word(
                prev.text + text, prev.x0, min(prev.y0, y0), x1, max(prev.y1, y1), size
            )
            continue
        words.append(Word(text, x0, y0, x1, y1, size=size))
        keys.append(line)
    return tuple(words)


def ocr_words(image: Path, scale: float, timeout_s: float = PAGE_TIMEOUT_S) -> tuple[Word, ...]:
    """OCR ``image`` (a PNG rendered at ``scale`` pixels per point) into words in points.

    Raises RuntimeError with the reason when tesseract is missing, fails or times out.
    """
    reason = unavailable_reason()
    if reason is not None:
        raise RuntimeError(reason)
    exe = shutil.which("tesseract") or "tesseract"
    try:
        done = subprocess.run(
            [exe, str(image), "-", "-l", LANGUAGES, "tsv"],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"tesseract took longer than {timeout_s:g} s on the page") from None
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["no message"])[-1][:200]
        raise RuntimeError(f"tesseract failed (exit {done.returncode}: {message})")
    return parse_tsv(done.stdout, scale)
