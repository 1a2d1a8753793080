"""Request and response models of the HTTP API (shared by the /api/v1, widget and OpenAI-compatible
routers), its error type and the SSE response."""


from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Literal

from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from answer.pipeline import MAX_QUESTION_CHARS
from reportqa.errors import (
    ConfigError,
    EmptyQuestionError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    ModelUnavailableError,
    ReportQAError,
)
from server.collections import (
    UnknownCollectionError,
)
from server.feedback import (
    FeedbackError,
)
from server.pages import PagePreviewError
from server.uploads import (
    UploadError,
)

API_PREFIX = "/api/v1"


MAX_HISTORY = 20


class HistoryMessage(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=8000)


class AskRequest(BaseModel):
    """A question, optionally with the conversation so far."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"question": "보고서가 제시한 3대 추진 전략은?", "top_k": 5}]
        }
    )

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    history: list[HistoryMessage] = Field(default_factory=list, max_length=2 * MAX_HISTORY)
    top_k: int | None = Field(default=None, ge=1, le=20, description="passages to retrieve")
    generator: str | None = Field(
        default=None,
        max_length=100,
        description="answer generator; the server's default, or one it lists in api_generators",
    )
    collection: str | None = Field(
        default=None,
        max_length=64,
        description='the collection to ask (GET /collections; default: the first); "*": all',
    )

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("the question is empty")
        return value


class CitationOut(BaseModel):
    model_config = ConfigDict(extra="allow")  # fields Citation.to_dict() gains later pass through

    n: int
    document: str
    title: str
    source: str
    page: int | None
    heading: str | None
    table: bool
    text: str = Field(description="the whole cited passage (plain text)")
    highlights: list[list[int]] = Field(description="[start, end) of the quoted sentences in text")
    score: float


class AskResponse(BaseModel):
    """``Answer.to_dict()`` plus ``id`` (name it when sending feedback)."""

    model_config = ConfigDict(extra="allow")  # fields Answer.to_dict() gains later pass through

    id: str
    answer: str = Field(description="answer text with [n] markers")
    language: str
    abstained: bool
    grounded: float | None
    citations: list[CitationOut]
    timings_ms: dict[str, float]


class FeedbackRequest(BaseModel):
    """Thumbs up or down on an answer, with an optional comment.

    Name the answer by ``answer_id`` (from /ask); when the server no longer holds it (restart,
    or long ago), also send ``question`` and ``answer`` (and ``citations``) so it can be stored.
    """

    answer_id: str | None = Field(default=None, max_length=64)
    rating: Literal["up", "down"]
    comment: str = Field(default="", max_length=2000)
    question: str | None = Field(default=None, max_length=MAX_QUESTION_CHARS)
    answer: str | None = Field(default=None, max_length=20000)
    citations: list[dict[str, Any]] | None = Field(default=None, max_length=20)


class FeedbackResponse(BaseModel):
    id: int
    answer_id: str | None
    stored: bool = True


class Health(BaseModel):
    status: Literal["ok", "no_index", "error"]
    index_loaded: bool = Field(description="the index and models are loaded in memory")
    embedder: str | None
    generator: str
    documents: int
    chunks: int
    index_created_at: str | None
    index_version: str | None = Field(
        default=None, description="the index version answers come from (its CURRENT entry)"
    )
    version: str
    message: str | None = None


class DocumentOut(BaseModel):
    id: str
    title: str
    format: str
    file: str
    chunks: int


class DocumentList(BaseModel):
    count: int
    chunks: int
    documents: list[DocumentOut]


class CollectionOut(BaseModel):
    name: str
    title: str
    documents: int
    passages: int
    languages: list[str]
    examples: list[str] = Field(description="example questions (from the index's manifest)")
    ready: bool


class CollectionList(BaseModel):
    count: int
    default: str
    collections: list[CollectionOut]


class ErrorDetail(BaseModel):
    type: str
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def history_pairs(messages: Sequence[HistoryMessage]) -> list[tuple[str, str]]:
    """``[{role, content}, …]`` → ``[(user, assistant), …]`` (the pipeline's history shape)."""
    pairs: list[tuple[str, str]] = []
    user: str | None = None
    for m in messages:
        if m.role == "user":
            user = m.content
        elif user is not None:
            pairs.append((user, m.content))
            user = None
    return pairs[-MAX_HISTORY:]


def error_status(exc: ReportQAError) -> tuple[int, str]:
    """HTTP status and code for a library error."""
    if isinstance(exc, EmptyQuestionError):
        return 400, "empty_question"
    if isinstance(exc, UnknownCollectionError):
        return 404, "unknown_collection"
    if isinstance(exc, PagePreviewError | UploadError):
        return exc.status, exc.code
    if isinstance(exc, IndexNotFoundError):
        return 503, "no_index"
    if isinstance(exc, IndexCorruptError | IndexMismatchError):
        return 503, "index_unusable"
    if isinstance(exc, ModelUnavailableError):
        return 503, "model_unavailable"
    if isinstance(exc, FeedbackError):
        return 503, "feedback_unavailable"
    if isinstance(exc, ConfigError):
        return 400, "invalid_request"
    return 500, "internal_error"


def event_stream(frames: Iterator[str]) -> StreamingResponse:
    return StreamingResponse(
        frames,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
