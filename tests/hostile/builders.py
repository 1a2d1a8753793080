"""Builders of the hostile files of issue 15 that the ingest suite did not have yet (the older
ones live in tests/ingest/test_hostile.py and are imported from there)."""

from __future__ import annotations

import zipfile
from pathlib import Path

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>'
)


def _docx(path: Path, body: str) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr(
            "word/document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W_NS}"><w:body>'
            f"{body}</w:body></w:document>",
        )
    return path


def _para(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


def nested_docx(path: Path, depth: int, kind: str = "box") -> Path:
    """A DOCX whose body is ``depth`` tables nested one in another (each a one-cell text box,
    or for ``kind="grid"`` a two-cell row), a sentence in the innermost: deep enough to
    exhaust Python's recursion limit in a recursive reader."""
    cell_pad = "" if kind == "box" else f"<w:tc>{_para('옆 칸')}</w:tc>"
    inner = _para("가장 안쪽 표의 문장이다.")
    open_tags = f"<w:tbl><w:tr>{cell_pad}<w:tc>" * depth
    close_tags = "</w:tc></w:tr></w:tbl>" * depth
    return _docx(path, _para("표 위의 문단이다.") + open_tags + inner + close_tags)


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF of ``objects`` (object 1 the catalog) with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


_TEXT_STREAM = b"BT /F1 12 Tf 72 720 Td (Page text about wind farms.) Tj ET"
_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def many_pages_pdf(path: Path, pages: int) -> Path:
    """A small file (every page shares one content stream) that declares ``pages`` pages."""
    first_page = 5
    kids = b" ".join(f"{first_page + i} 0 R".encode() for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(pages).encode() + b" >>",
        b"<< /Length " + str(len(_TEXT_STREAM)).encode() + b" >>\nstream\n" + _TEXT_STREAM + b"\nendstream",
        _FONT,
    ]
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R /Resources << /Font << /F1 4 0 R >> >> >>"
    objects += [page] * pages
    path.write_bytes(_pdf(objects))
    return path


def nested_objects_pdf(path: Path, depth: int) -> Path:
    """A one-page PDF whose page tree nests ``depth`` /Pages nodes above its page, and whose
    page resources hold an array nested ``depth`` deep: text a reader never reaches."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Length " + str(len(_TEXT_STREAM)).encode() + b" >>\nstream\n" + _TEXT_STREAM + b"\nendstream",
        _FONT,
    ]
    # 1 catalog, 2 stream, 3 font; the /Pages chain starts at 4, the page follows it.
    objects[0] = b"<< /Type /Catalog /Pages 4 0 R >>"
    for level in range(depth):
        me, child = 4 + level, 5 + level
        parent = f"/Parent {me - 1} 0 R " if level else ""
        objects.append(f"<< /Type /Pages {parent}/Kids [{child} 0 R] /Count 1 >>".encode())
    leaf_parent = 4 + depth - 1
    junk = b"[" * depth + b"]" * depth
    objects.append(
        f"<< /Type /Page /Parent {leaf_parent} 0 R /MediaBox [0 0 612 792] /Contents 2 0 R ".encode()
        + b"/Resources << /Font << /F1 3 0 R >> /X " + junk + b" >> >>"
    )
    path.write_bytes(_pdf(objects))
    return path
