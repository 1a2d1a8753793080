"""Typed errors. Library code raises these; the CLI, UI and HTTP API turn them into messages.

Every message says what went wrong, where, and what to do about it.
"""

from __future__ import annotations

from pathlib import Path


class ReportQAError(Exception):
    """Base class of every error a user can cause or fix."""


class ConfigError(ReportQAError):
    """A setting has a bad value."""


class IngestError(ReportQAError):
    """One file could not be turned into a document; the rest of a batch goes on."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class IndexNotFoundError(ReportQAError):
    """No index exists at the given directory."""

    def __init__(self, index_dir: str | Path) -> None:
        self.index_dir = str(index_dir)
        super().__init__(
            f"No index found at {self.index_dir}. Build one first: "
            f"`reportqa ingest PATH... --index {self.index_dir}` "
            "(or run `python app.py`, which builds the bundled sample index)."
        )


class IndexCorruptError(ReportQAError):
    """An index directory exists but cannot be read."""

    def __init__(self, index_dir: str | Path, reason: str) -> None:
        self.index_dir = str(index_dir)
        super().__init__(
            f"The index at {self.index_dir} cannot be read ({reason}). "
            f"Rebuild it with `reportqa ingest PATH... --index {self.index_dir} --rebuild`."
        )


class IndexMismatchError(ReportQAError):
    """An index was built with another embedder (or schema) than the one configured."""


class ModelUnavailableError(ReportQAError):
    """A model cannot be loaded (not installed, not downloaded, no network)."""


class EmptyQuestionError(ReportQAError):
    """The question is empty or only whitespace."""

    def __init__(self) -> None:
        super().__init__(
            "The question is empty. Type a question, e.g. 보고서가 제시한 3대 추진 전략은?"
        )


class IndexLockedError(ReportQAError):
    """Another process holds the index's ingest lock (a second ``reportqa ingest`` into it)."""

    def __init__(self, index_dir: str | Path, pid: int | None, waited_s: float) -> None:
        self.index_dir = str(index_dir)
        self.pid = pid
        who = f"pid {pid}" if pid else "pid unknown"
        waited = f" (waited {waited_s:.0f} s)" if waited_s > 0 else ""
        super().__init__(
            f"another ingest is running on the index at {printable(self.index_dir)} ({who})"
            f"{waited}; wait for it to finish and run this one again, or raise "
            "REPORTQA_INGEST_LOCK_TIMEOUT_S (setting ingest_lock_timeout_s) to queue behind it."
        )


# C0 and C1 control characters, DEL, and the bidirectional overrides/isolates that reorder how
# a terminal shows text ("Trojan Source"): none belong in a file name shown to a user.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def printable(text: object, keep: str = "") -> str:
    """``text`` safe to print on one terminal line: control characters (newlines, ANSI escape
    codes, bidi overrides) escaped as ``\\n``, ``\\x1b``, ``\\u202e``; all else unchanged.

    ``keep``: control characters left as they are (``"\\n"`` for multi-line text)."""
    out: list[str] = []
    for ch in str(text):
        code = ord(ch)
        if ch in keep:
            out.append(ch)
        elif code < 0x20 or 0x7F <= code < 0xA0 or ch in _BIDI:
            out.append(ch.encode("unicode_escape").decode("ascii"))
        elif 0xD800 <= code < 0xE000:  # a lone surrogate (undecodable byte of a file name)
            out.append(f"\\x{code - 0xDC00:02x}" if code >= 0xDC80 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)
