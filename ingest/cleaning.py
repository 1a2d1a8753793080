"""Line-level text cleaning shared by every loader. Pure functions, no I/O.

Conventions: a cleaned line is NFC-normalised, has no control, zero-width or odd space
characters, has single spaces between words and no leading or trailing space.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from ingest.tuning import MIN_WRAP_WIDTH

# Removed outright: zero-width and joiner characters, soft hyphen, BOM, bidi controls.
_INVISIBLE = dict.fromkeys(
    [0x00AD, 0x180E, 0xFEFF, *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2070)]
)
# Runs of what becomes one space: Unicode categories Cc (controls incl. tab and newline), Zs
# (NBSP, thin, ideographic... spaces), Zl/Zp (separators) and Co (private use: symbol-font
# bullets in PDFs).
_SPACE_LIKE = re.compile(
    "[\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    "\ue000-\uf8ff\U000f0000-\U0010ffff]+"
)

# A line ending like this closes a sentence (optionally followed by closing quotes/brackets).
_TERMINAL = re.compile(r"[.!?。！？…:;][\"'”’)\]」』》〉]*$")
# A line starting like this opens a new list item or block, never continues the previous line.
_BLOCK_START = re.compile(
    r"""^(?:
        [•·∙◦○●◎□■◇◆▪▫▶▷►▸‣⁃※★☆✓✔❍❏\-–—*+>]     # bullets and symbols
      | \(?\d{1,3}(?:\.\d{1,3})*[.)]\s              # 1.  1)  (1)  1.2.
      | \(\d{1,3}\)                                 # (1)
      | [①-⑳㉠-㉻㈀-㈜]                          # circled numbers, ㉮, ㈎
      | \(?[가-하A-Za-z][.)]\s                       # 가.  a)  (나)
      | [ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅰ-ⅹ]+[.)]?\s                      # Roman numerals
      | [IVX]{1,5}\.\s
    )""",
    re.VERBOSE,
)


def clean_line(s: str) -> str:
    """Normalise one line: NFC, no control/zero-width chars, single spaces, stripped."""
    s = unicodedata.normalize("NFC", s).translate(_INVISIBLE)
    return _SPACE_LIKE.sub(" ", s).strip()


def is_boilerplate_line(s: str) -> bool:
    """True for an empty line or one with no letter or digit (only bullets, rules, symbols)."""
    return not any(ch.isalnum() for ch in s)


def clean_lines(lines: Iterable[str]) -> list[str]:
    """Clean each line and drop the empty and boilerplate ones."""
    cleaned = (clean_line(line) for line in lines)
    return [line for line in cleaned if not is_boilerplate_line(line)]


def line_width(lines: Sequence[str]) -> int:
    """A robust typical full-line width: the 90th percentile of line lengths (0 if no lines)."""
    if not lines:
        return 0
    lengths = sorted(len(line) for line in lines)
    return lengths[min(len(lengths) - 1, int(len(lengths) * 0.9))]


def unwrap_lines(lines: Sequence[str], width: int | None = None) -> list[str]:
    """Join visually wrapped lines (PDF, hard-wrapped text) back into one line per paragraph.

    A line is continued by the next one only when it is nearly full width (at least 70% of
    ``width``, default :func:`line_width`), does not end a sentence (``.``, ``?``, ``:``…) and
    the next line does not open a list item (bullet, ``1.``, ``가.``, ``①``…). Lines narrower
    than 30 characters are never joined. Lines must already be cleaned.
    """
    width = line_width(lines) if width is None else width
    if width < MIN_WRAP_WIDTH:
        return list(lines)
    threshold = max(MIN_WRAP_WIDTH, int(width * 0.7))
    out: list[str] = []
    last_physical = ""
    for line in lines:
        if (
            out
            and len(last_physical) >= threshold
            and not _TERMINAL.search(last_physical)
            and not _BLOCK_START.match(line)
        ):
            glue = "" if last_physical.endswith("-") and last_physical[-2:-1].isalpha() else " "
            out[-1] = out[-1] + glue + line
        else:
            out.append(line)
        last_physical = line
    return out
