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
