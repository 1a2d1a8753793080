"""Markdown loader: headings become sections with heading paths; markup is stripped.

Supported: ATX (``#``) and setext headings, paragraphs (soft-wrapped lines are joined with a
space, as CommonMark renders them), lists, block quotes, fenced code, GFM tables (one row per
line, cells joined with " | ", in a ``table`` section), YAML front matter (``title:`` is used).
"""

from __future__ import annotations

import re
from pathlib import Path

from ingest.cleaning import clean_line
from ingest.loaders.text import (
    HeadingPath,
    Segment,
    assemble,
    base_meta,
    choose_title,
    decode_text,
    looks_binary,
    make_document,
)
from reportqa.types import Document

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd"})

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HR = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_BULLET = re.compile(r"^[ \t]*[-*+][ \t]+(.*)$")
_ORDERED = re.compile(r"^[ \t]*(\d{1,9}[.)])[ \t]+(.*)$")
_QUOTE = re.compile(r"^ {0,3}>[ \t]?")
_TABLE_SEP = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_REF_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:[ \t]+\S+")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_CELL_SPLIT = re.compile(r"(?<!\\)\|")

_INLINE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(`+)(.+?)\1"), r"\2"),
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"<((?:https?|mailto):[^>\s]+)>"), r"\1"),
    (re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>"), ""),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![*\w])\*(?=\S)(.+?)(?<=\S)\*(?![*\w])"), r"\1"),
    (re.compile(r"(?<![_\w])_(?=\S)(.+?)(?<=\S)_(?![_\w])"), r"\1"),
    (re.compile(r"~~(.+?)~~"), r"\1"),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])"), r"\1"),
)


def strip_inline(s: str) -> str:
    """Remove inline Markdown markup (emphasis, code, links, images, inline HTML)."""
    for pattern, repl in _INLINE:
        s = pattern.sub(repl, s)
    return s


def _front_matter(lines: list[str]) -> tuple[str | None, int]:
    """(title from YAML front matter, number of lines it spans) — (None, 0) if there is none."""
    if not lines or lines[0].strip() != "---":
        return None, 0
    for i in range(1, min(len(lines), 100)):
        if lines[i].strip() in ("---", "..."):
            title = None
            for line in lines[1:i]:
                m = re.match(r"^title:\s*(.+?)\s*$", line)
                if m:
                    title = m.group(1).strip("\"'")
            return title, i + 1
    return None, 0


def _table_row(line: str) -> str:
    cells = _CELL_SPLIT.split(line.strip().strip("|"))
    return " | ".join(c for c in (clean_line(strip_inline(c)) for c in cells) if c)


class _Builder:
    """Accumulates segments while the parser walks the lines."""

    def __init__(self) -> None:
        self.segments: list[Segment] = [Segment()]
        self.headings = HeadingPath()
        self.first_h1: str | None = None
        self.para: list[str] = []

    def flush(self) -> None:
        if self.para:
            self.segments[-1].lines.append(strip_inline(" ".join(self.para)))
            self.para = []

    def heading(self, level: int, raw: str) -> None:
        self.flush()
        text = clean_line(strip_inline(raw))
        if not text:
            return
        if level == 1 and self.first_h1 is None:
            self.first_h1 = text
        self.segments.append(Segment([text], self.headings.push(level, text)))

    def code_line(self, text: str) -> None:
        self.flush()
        self.segments[-1].lines.append(text)

    def start_table(self) -> None:
        self.flush()
        self.segments.append(Segment(heading_path=self.headings.path, table=True))

    def end_table(self) -> None:
        self.segments.append(Segment(heading_path=self.headings.path))


def parse_markdown(source: str) -> tuple[list[Segment], str | None]:
    """Markdown source → (segments, title candidate: first ``#`` heading or front-matter title)."""
    lines = _COMMENT.sub("", source).splitlines()
    fm_title, skip = _front_matter(lines)
    b = _Builder()
    fence: str | None = None
    i = skip
    while i < len(lines):
        line = lines[i]
        i += 1
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            else:
                b.code_line(line)
            continue
        m = _FENCE.match(line)
        if m:
            b.flush()
            fence = m.group(1)[0] * len(m.group(1))
            continue
        while _QUOTE.match(line):
            line = _QUOTE.sub("", line, count=1)
        if not line.strip() or _REF_DEF.match(line):
            b.flush()
            continue
        if (m := _ATX.match(line)) is not None:
            b.heading(len(m.group(1)), m.group(2) or "")
            continue
        if b.para and (m := _SETEXT.match(line)) is not None:
            text = " ".join(b.para)
            b.para = []
            b.heading(1 if m.group(1)[0] == "=" else 2, text)
            continue
        if _HR.match(line):
            b.flush()
            continue
        if "|" in line and i < len(lines) and _TABLE_SEP.match(lines[i]) and "|" in lines[i]:
            b.start_table()
            b.segments[-1].lines.append(_table_row(line))
            i += 1  # the separator row
            while i < len(lines) and lines[i].strip() and "|" in lines[i]:
                b.segments[-1].lines.append(_table_row(lines[i]))
                i += 1
            b.end_table()
            continue
        if (m := _BULLET.match(line)) is not None:
            b.flush()
            b.para = [m.group(1)]
        elif (m := _ORDERED.match(line)) is not None:
            b.flush()
            b.para = [f"{m.group(1)} {m.group(2)}"]
        elif line.endswith("  ") or line.endswith("\\"):
            b.para.append(line.rstrip(" \\"))
            b.flush()
        else:
            b.para.append(line.strip())
    b.flush()
    return b.segments, b.first_h1 or fm_title


class MarkdownLoader:
    """``.md`` / ``.markdown`` files; a new section starts at every heading."""

    name: str = "markdown"

    def sniff(self, path: Path, head: bytes) -> bool:
        """Markdown by extension (and text-like first bytes)."""
        return path.suffix.lower() in MARKDOWN_SUFFIXES and not looks_binary(head)

    def load(self, path: Path) -> Document:
        """Read a Markdown file into a Document with one section per heading."""
        raw = path.read_bytes()
        source, encoding = decode_text(raw, path)
        segments, title = parse_markdown(source)
        text, sections = assemble(segments)
        meta = base_meta(raw, "markdown") | {"encoding": encoding}
        return make_document(path, choose_title((title,), text, path), text, sections, meta)
