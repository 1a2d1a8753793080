"""The HTTP app: JSON API under ``/api/v1``, the OpenAI-compatible ``/v1``, the widget at ``/widget``.

``create_api`` returns a FastAPI app with every route and the protection middleware; ``app.py``
mounts the Gradio UI at ``/`` on it. One ``ChatBackend`` (the pipeline, the feedback store, the
recent answers) serves the API, the widget and the OpenAI-compatible endpoint alike.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

import reportqa
from answer.pipeline import MAX_QUESTION_CHARS, QAPipeline
from reportqa.errors import (
    ConfigError,
    EmptyQuestionError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    ModelUnavailableError,
    ReportQAError,
)
from reportqa.settings import Settings
from server.feedback import (
    AnswerRecord,
    FeedbackError,
    FeedbackStore,
    RecentAnswers,
    answer_settings,
)
from server.security import (
    ApiCorsMiddleware,
    AuthorizationMiddleware,
    BodyLimitMiddleware,
    ClosedFilesMiddleware,
    RateLimitMiddleware,
    SecurityHeadersMiddleware,
    error_body,
    parse_origins,
    split_list,
)
from server.served_index import Served, ServedIndex
from server.streaming import answer_events, sse

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
MAX_HISTORY = 20


# --- request and response shapes ---------------------------------------------------------------


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


class ErrorDetail(BaseModel):
    type: str
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "bad request (missing or empty question, …)"},
    401: {"model": ErrorBody, "description": "missing or wrong API key"},
    413: {"model": ErrorBody, "description": "request body too large"},
    429: {"model": ErrorBody, "description": "rate limit; see Retry-After"},
    503: {"model": ErrorBody, "description": "no index, or a model cannot be loaded"},
}


# --- the backend shared by API, widget and OpenAI endpoint -------------------------------------


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


class ChatBackend:
    """Answers, streams, feedback and index facts for every HTTP front end.

    Each request takes ``self.served.current()`` once: its answer, health and documents all come
    from that one version of the index, which follows new ingests (server/served_index.py).
    """

    def __init__(
        self,
        settings: Settings,
        pipeline: QAPipeline | None,
        store: FeedbackStore,
        recent: RecentAnswers | None = None,
        served: ServedIndex | None = None,
    ) -> None:
        self.settings = settings
        self.served = served or ServedIndex(settings, pipeline)
        self.store = store
        self.recent = recent or RecentAnswers()
        self.generators = [settings.generator] + [
            g for g in split_list(settings.api_generators) if g != settings.generator
        ]

    @property
    def pipeline(self) -> QAPipeline:
        """The default pipeline over the version served now."""
        return self.served.current().pipeline

    def pipeline_for(self, generator: str | None, served: Served | None = None) -> QAPipeline:
        name = generator or self.settings.generator
        if name not in self.generators:
            raise ApiError(
                400,
                "unknown_generator",
                f"The generator {name!r} is not offered by this server; "
                f"available: {', '.join(self.generators)}.",
            )
        return (served or self.served.current()).pipeline_for(name)

    def remember(self, req: AskRequest, answer: Any, channel: str) -> AnswerRecord:
        settings = answer_settings(
            self.settings, top_k=req.top_k, generator=req.generator or self.settings.generator
        )
        return self.recent.remember(req.question, answer, settings, channel=channel)

    def ask(self, req: AskRequest, channel: str) -> dict[str, Any]:
        served = self.served.current()
        pipeline = self.pipeline_for(req.generator, served)
        answer = pipeline.ask(req.question, history=history_pairs(req.history), top_k=req.top_k)
        record = self.remember(req, answer, channel)
        return {"id": record.id, **record.answer, "index_version": served.version}

    def stream(self, req: AskRequest, channel: str) -> Iterator[str]:
        """SSE frames: ``delta`` {text} …, then ``answer`` (the /ask body), or ``error``."""
        pipeline = self.pipeline_for(req.generator)  # errors here become a 400 before streaming
        events = answer_events(
            pipeline, req.question, history=history_pairs(req.history), top_k=req.top_k
        )

        def frames() -> Iterator[str]:
            try:
                for kind, value in events:
                    if kind == "delta":
                        yield sse("delta", {"text": value})
                    else:
                        record = self.remember(req, value, channel)
                        yield sse("answer", {"id": record.id, **record.answer})
            except ReportQAError as exc:
                status, code = error_status(exc)
                yield sse("error", error_body(status, code, str(exc)))
            except Exception:
                log.exception("streaming an answer failed")
                yield sse("error", error_body(500, "internal_error", "Answering failed."))

        return frames()

    def feedback(self, req: FeedbackRequest, channel: str) -> dict[str, Any]:
        record = self.recent.get(req.answer_id) if req.answer_id else None
        if record is not None:
            row = self.store.add_for(record, req.rating, req.comment, channel=channel)
            return {"id": row, "answer_id": record.id, "stored": True}
        if not (req.question and req.answer is not None):
            raise ApiError(
                404 if req.answer_id else 400,
                "unknown_answer",
                "This server does not hold that answer (any more); send question and answer "
                "(and citations) with the feedback."
                if req.answer_id
                else "Name the answer: send answer_id from /ask, or question and answer.",
            )
        row = self.store.add(
            rating=req.rating,
            question=req.question,
            answer={"answer": req.answer, "citations": req.citations or []},
            settings=answer_settings(self.settings),
            channel=channel,
            comment=req.comment,
            answer_id=req.answer_id,
            source="client",
        )
        return {"id": row, "answer_id": req.answer_id, "stored": True}

    def health(self) -> tuple[int, dict[str, Any]]:
        served = self.served.current()
        base: dict[str, Any] = {
            "index_loaded": served.loaded,
            "index_version": served.version,
            "generator": self.settings.generator,
            "version": reportqa.__version__,
        }
        try:
            manifest = served.manifest()
        except IndexNotFoundError:
            return 503, {
                **base,
                "status": "no_index",
                "embedder": None,
                "documents": 0,
                "chunks": 0,
                "index_created_at": None,
                "message": "No index yet: run `reportqa ingest PATH...` (or restart `reportqa serve`).",
            }
        except ReportQAError as exc:
            return 503, {
                **base,
                "status": "error",
                "embedder": None,
                "documents": 0,
                "chunks": 0,
                "index_created_at": None,
                "message": str(exc),
            }
        return 200, {
            **base,
            "status": "ok",
            "embedder": manifest.get("embedder", {}).get("name"),
            "documents": len(manifest.get("documents", [])),
            "chunks": int(manifest.get("chunk_count", 0)),
            "index_created_at": manifest.get("created_at"),
        }

    def documents(self) -> dict[str, Any]:
        manifest = self.served.current().manifest()
        docs = [
            {
                "id": str(d.get("id", "")),
                "title": str(d.get("title", "")),
                "format": str(d.get("format", "")),
                "file": re.split(r"[\\/]", str(d.get("source", "")))[-1],
                "chunks": int(d.get("chunks", 0)),
            }
            for d in manifest.get("documents", [])
        ]
        return {"count": len(docs), "chunks": int(manifest.get("chunk_count", 0)), "documents": docs}

    def warm_up(self) -> None:
        """Load the index and models now, so the first question is not the slow one."""
        try:
            _ = self.served.current().pipeline.index
        except ReportQAError as exc:
            log.warning("could not load the index at start: %s", exc)


def error_status(exc: ReportQAError) -> tuple[int, str]:
    """HTTP status and code for a library error."""
    if isinstance(exc, EmptyQuestionError):
        return 400, "empty_question"
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


# --- the app -----------------------------------------------------------------------------------


def create_api(
    settings: Settings,
    pipeline: QAPipeline | None = None,
    store: FeedbackStore | None = None,
    recent: RecentAnswers | None = None,
    served: ServedIndex | None = None,
) -> FastAPI:
    """The FastAPI app with the JSON API, the OpenAI-compatible API, the widget and protection.

    ``app.state.backend`` is the shared ``ChatBackend``. Raises ConfigError for bad settings
    (e.g. an embedding origin that is not ``scheme://host[:port]``).
    """
    from server.openai_compat import openai_router
    from server.widget import widget_router

    backend = ChatBackend(
        settings, pipeline, store or FeedbackStore(settings.feedback_db), recent, served
    )
    app = FastAPI(
        title="reportqa API",
        version=reportqa.__version__,
        description=(
            "Ask questions about the indexed reports (Korean or English) and get answers that "
            "cite their source passages. Send the API key, when the server has one, in the "
            "`X-API-Key` header (or `Authorization: Bearer KEY`). Errors are "
            '`{"error": {"type", "code", "message"}}`.'
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # Swagger/ReDoc load scripts from a CDN; the schema is served as JSON
        redoc_url=None,
    )
    app.state.backend = backend
    app.state.settings = settings
    parse_origins(settings.public_origins, "public_origins")  # refused now, not on a first request
    _install_error_handlers(app)

    api = APIRouter(prefix=API_PREFIX, tags=["reportqa"], responses=ERRORS)
    @api.get("/health", response_model=Health, summary="index, model and counts (no key needed)")
    def health() -> JSONResponse:
        status, body = backend.health()
        return JSONResponse(body, status_code=status)

    @api.get("/documents", response_model=DocumentList)
    def documents() -> dict[str, Any]:
        """The indexed documents."""
        return backend.documents()

    @api.post("/ask", response_model=AskResponse)
    def ask(req: AskRequest) -> dict[str, Any]:
        """Answer a question with ``[n]`` markers and the passages they cite."""
        return backend.ask(req, "api")

    @api.post(
        "/ask/stream",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}, "description": "SSE"}},
    )
    def ask_stream(req: AskRequest) -> StreamingResponse:
        """Server-Sent Events: ``delta`` frames ``{"text"}`` as the answer is written, then one
        ``answer`` frame with the body /ask returns (or an ``error`` frame)."""
        return event_stream(backend.stream(req, "api"))

    @api.post("/feedback", response_model=FeedbackResponse, status_code=201)
    def feedback(req: FeedbackRequest) -> dict[str, Any]:
        """Thumbs up/down and an optional comment on an answer."""
        return backend.feedback(req, "api")

    @api.api_route(
        "/{rest:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"], include_in_schema=False
    )
    def api_not_found(rest: str) -> JSONResponse:
        return JSONResponse(
            error_body(404, "not_found", f"No API endpoint {API_PREFIX}/{rest}."), status_code=404
        )

    app.include_router(api)
    app.include_router(openai_router(backend, settings))
    app.include_router(widget_router(backend, settings))

    # Outermost last: headers on everything, CORS before the refusals (so browsers can read them);
    # the rate limit before the key check, so guessing keys costs tokens too.
    app.add_middleware(AuthorizationMiddleware, settings=settings)
    app.add_middleware(RateLimitMiddleware, settings=settings)
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(ClosedFilesMiddleware, settings=settings)
    app.add_middleware(ApiCorsMiddleware, settings=settings)
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)
    return app


def event_stream(frames: Iterator[str]) -> StreamingResponse:
    return StreamingResponse(
        frames,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.status, exc.code, exc.message), status_code=exc.status)

    @app.exception_handler(ReportQAError)
    async def _lib(request: Request, exc: ReportQAError) -> JSONResponse:
        status, code = error_status(exc)
        if status >= 500:
            log.error("%s %s failed: %s", request.method, request.url.path, exc)
        return JSONResponse(error_body(status, code, str(exc)), status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            problems.append(f"{where or 'body'}: {err.get('msg', 'invalid')}")
        missing = any(err.get("type") == "missing" for err in exc.errors())
        return JSONResponse(
            error_body(
                400,
                "missing_field" if missing else "invalid_request",
                "; ".join(problems) or "The request body is not valid JSON for this endpoint.",
            ),
            status_code=400,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            error_body(exc.status_code, "http_error", str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
