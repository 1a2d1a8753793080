"""Text of Hancom equation fonts (HyhwpEQ, HancomEQN) in PDFs made by Hancom Office.

Hancom's equation editor draws formulas with its own fonts, whose glyphs sit in the Unicode
private-use area with no ToUnicode mapping to real characters: PDFium reports "t = 64" as
U+E0F8 U+E047 U+E039 U+E037. Left alone they are cleaned away as symbol-font noise, so a table
cell "t = 64" came out empty, "hlen/2 ≤ t ≤ hlen" as "≤ ≤", and "2^32 번을 초과하지" as "번을
초과하지". The codes are the font's own (the same in both fonts and in every document made with
them): Latin capitals from U+E000, digits from U+E033, lower case from U+E0E5, and a few
operators. A glyph of these fonts not in the table stays as it is (cleaning drops it, as before).

Scripts: a smaller glyph raised or lowered against the equation glyph before it is a
superscript or subscript, written "2^32", "sig_1", "Σ_hybrid" so the exponent does not run into
its base ("232").
"""

from __future__ import annotations

from ingest.tuning import SCRIPT_SHIFT, SCRIPT_SIZE

# Base font names (after a subset prefix "ABCDEF+") of Hancom's equation fonts, lower-cased.
EQUATION_FONTS = ("hyhwpeq", "hancomeqn")

_SYMBOLS = {
    0xE044: "(",
    0xE045: ")",
    0xE046: "−",
    0xE047: "=",
    0xE048: "+",
    0xE04D: "|",
    0xE052: ",",
    0xE053: ".",
    0xE054: "/",
    0xE096: "Σ",
}


def _table() -> dict[int, str]:
    table = dict(_SYMBOLS)
    for k in range(26):
        table[0xE000 + k] = chr(ord("A") + k)
        table[0xE0E5 + k] = chr(ord("a") + k)
    for k in range(10):
        table[0xE033 + k] = str(k)
    return table


EQUATION_CHARS = _table()


def is_equation_font(name: str) -> bool:
    """Whether the base font ``name`` ("INPILL+HancomEQN") is one of Hancom's equation fonts."""
    base = name.rsplit("+", 1)[-1].lower()
    return any(base.startswith(font) for font in EQUATION_FONTS)


def equation_char(code: int) -> str | None:
    """The character an equation font's glyph ``code`` stands for, or None when unknown."""
    return EQUATION_CHARS.get(code)


def script_mark(size: float, cy: float, base_size: float, base_cy: float) -> str:
    """Whether a formula glyph is a superscript ("^"), a subscript ("_") or on the base line
    (""): ``size`` and ``cy`` are the glyph's, ``base_*`` those of the last base-line glyph of
    the formula (y grows downwards)."""
    if base_size <= 0 or size > SCRIPT_SIZE * base_size:
        return ""
    if cy < base_cy - SCRIPT_SHIFT * base_size:
        return "^"
    if cy > base_cy + SCRIPT_SHIFT * base_size:
        return "_"
    return ""
