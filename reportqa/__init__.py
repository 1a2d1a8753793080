"""reportqa core: the shared vocabulary (types, settings, errors) and the CLI entry point.

Every stage (ingest → index → answer → app) imports from here; this package imports no stage
at module level, so it stays small and cheap to import.
"""

from reportqa.errors import (
    ConfigError,
    EmptyQuestionError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    IngestError,
    ModelUnavailableError,
    ReportQAError,
)
from reportqa.settings import Settings
from reportqa.types import Answer, Chunk, Citation, Document, Hit, Section

__all__ = [
    "Answer",
    "Chunk",
    "Citation",
    "ConfigError",
    "Document",
    "EmptyQuestionError",
    "Hit",
    "IndexCorruptError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IngestError",
    "ModelUnavailableError",
    "ReportQAError",
    "Section",
    "Settings",
]
__version__ = "0.1.0"
