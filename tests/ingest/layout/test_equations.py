"""Hancom equation fonts (ingest/layout/equations.py): their private-use glyphs read as the
letters, digits and operators they draw, with exponents and indexes marked, on a PDF built here
(a font named like Hancom's, its ToUnicode mapping codes to the font's private-use points) and
on the shared implementation guide."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from ingest.layout.equations import equation_char, is_equation_font, script_mark
from ingest.layout.pdfium import page_layout
from ingest.loaders.pdf import PdfLoader

# Codes of the built PDF's formula font -> the private-use points Hancom's fonts use for them.
_PUA = {"t": 0xE0F8, "=": 0xE047, "6": 0xE039, "4": 0xE037, "2": 0xE035, "3": 0xE036}


def _formula_pdf(path: Path, font: str) -> Path:
    """One page: "Limit is" then the formula "t = 64" in ``font``; "Calls below" then "2" with
    "32" set smaller and raised (an exponent), then "times"."""
    pairs = "\n".join(f"<{ord(c):02X}> <{u:04X}>" for c, u in sorted(_PUA.items()))
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /EQ def "
        "1 begincodespacerange <00> <FF> endcodespacerange "
        f"{len(_PUA)} beginbfchar\n{pairs}\nendbfchar endcmap "
        "CMapName currentdict /CMap defineresource pop end end"
    )
    content = (
        "BT /F1 10 Tf 72 700 Td (Limit is) Tj ET "
        "BT /F2 10 Tf 120 700 Td (t = 64) Tj ET "
        "BT /F1 10 Tf 72 650 Td (Calls below) Tj ET "
        "BT /F2 10 Tf 135 650 Td (2) Tj ET "
        "BT /F2 6 Tf 141 654 Td (32) Tj ET "
        "BT /F1 10 Tf 150 650 Td (times) Tj ET"
    )
    widths = " ".join(["500"] * 95)
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Type /Font /Subtype /Type1 /BaseFont /{font} /FirstChar 32 /LastChar 126 "
        f"/Widths [{widths}] /ToUnicode 7 0 R >>",
        f"<< /Length {len(cmap)} >>\nstream\n{cmap}\nendstream",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    path.write_bytes(out)
    return path


def _words(path: Path) -> list[str]:
    return [w.text for w in page_layout(pdfium.PdfDocument(str(path))[0], 1).words]


def test_equation_font_names() -> None:
    assert is_equation_font("INPILL+HancomEQN")
    assert is_equation_font("ABCDEF+HyhwpEQ")
    assert is_equation_font("HYHWPEQ")
    assert not is_equation_font("INPILL+Haansoft Batang")
    assert not is_equation_font("Symbol")


def test_equation_chars() -> None:
    assert "".join(equation_char(c) or "?" for c in (0xE0F8, 0xE047, 0xE039, 0xE037)) == "t=64"
    assert equation_char(0xE000) == "A" and equation_char(0xE019) == "Z"
    assert equation_char(0xE0E5) == "a" and equation_char(0xE0FE) == "z"
    assert equation_char(0xE033) == "0" and equation_char(0xE03C) == "9"
    assert equation_char(0xE046) == "−"
    assert equation_char(0xF000) is None


def test_script_marks() -> None:
    # y grows downwards: a raised glyph has a smaller centre.
    assert script_mark(6.1, 376.0, 9.0, 379.0) == "^"
    assert script_mark(6.8, 618.0, 10.0, 614.8) == "_"
    assert script_mark(9.0, 379.2, 9.0, 379.0) == ""  # the base line goes on
    assert script_mark(6.1, 379.0, 9.0, 379.0) == ""  # smaller, but on the line
    assert script_mark(6.1, 376.0, 0.0, 0.0) == ""  # no base before it


def test_formula_glyphs_read_as_text(tmp_path: Path) -> None:
    words = _words(_formula_pdf(tmp_path / "eq.pdf", "ABCDEF+HancomEQN"))
    assert words[:5] == ["Limit", "is", "t", "=", "64"]
    assert "2^32" in words  # the exponent marked, not run into its base ("232")
    assert words[-1] == "times"


def test_private_use_glyphs_of_other_fonts_unchanged(tmp_path: Path) -> None:
    words = _words(_formula_pdf(tmp_path / "other.pdf", "ABCDEF+SomeSymbol"))
    assert "\ue0f8" in words and "t" not in words
    assert not any("^" in w for w in words)


def test_formula_words_stay_in_their_line(tmp_path: Path) -> None:
    # The formula's glyphs are set smaller than the text beside them: no line split there.
    doc = PdfLoader().load(_formula_pdf(tmp_path / "eq.pdf", "ABCDEF+HyhwpEQ"))
    assert "Limit is t = 64" in doc.text
    assert "Calls below 2^32 times" in doc.text


# -- the shared implementation guide (Hancom PDF, HWP 2014) ----------------------------------------

GUIDE = "kcmvp-implementation-guide-part1-2025.ko.pdf"


@pytest.fixture(scope="module")
def guide_text(realdoc: Callable[[str], Path]) -> str:
    return PdfLoader().load(realdoc(GUIDE)).text


def test_guide_table_cells_hold_their_formulas(guide_text: str) -> None:
    # p. 89: the authentication-tag table's column of allowed lengths was empty ("≥ ", "").
    assert "t = 64" in guide_text
    assert "t ≥ 112" in guide_text
    assert "hlen/2 ≤ t ≤ hlen" in guide_text


def test_guide_exponents_in_prose(guide_text: str) -> None:
    # p. 87: "호출 횟수는 번을 초과하지" lost its number.
    assert "2^32번을 초과하지" in guide_text
    assert "2^s −1번 호출 가능" in guide_text
    # p. 50: an index and the comma after it, set apart by a line break PDFium inserts.
    assert "(p_1,p_2,q_1,q_2 )를 활용한" in guide_text
    assert "p_1|(p−1), p_2|(p+1)" in guide_text
