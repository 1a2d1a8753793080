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
