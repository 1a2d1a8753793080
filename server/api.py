"""The HTTP app: JSON API under ``/api/v1``, the OpenAI-compatible ``/v1``, the widget at ``/widget``.

``create_api`` returns a FastAPI app with every route and the protection middleware; ``app.py``
mounts the Gradio UI at ``/`` on it. One ``ChatBackend`` (the pipeline, the feedback store, the
recent answers) serves the API, the widget and the OpenAI-compatible endpoint alike.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, File, Header, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
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
from server.collections import (
    ALL,
    Collections,
    Fused,
    UnknownCollectionError,
    ask_collections,
    build_collections,
    file_name,
    public_citations,
)
from server.feedback import (
    AnswerRecord,
    FeedbackError,
    FeedbackStore,
    RecentAnswers,
    answer_settings,
)
from server.pages import PageCache, PagePreviewError, preview
from server.security import (
    ApiCorsMiddleware,
    AuthorizationMiddleware,
    BodyLimitMiddleware,
    ClosedFilesMiddleware,
    RateLimitMiddleware,
    SecurityHeadersMiddleware,
    UploadGuardMiddleware,
    error_body,
    parse_origins,
    split_list,
)
from server.served_index import Served, ServedIndex
from server.streaming import answer_events, sse
from server.uploads import (
    MAX_UPLOAD_FILES,
    Jobs,
    UploadError,
    admin_refusal,
    safe_file_name,
    save_upload,
)

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
        collections: Collections | None = None,
    ) -> None:
        self.settings = settings
        self.collections = collections or build_collections(settings, (), pipeline, served)
        self.served = self.collections.first.served  # /health and /documents describe it
        self.store = store
        self.recent = recent or RecentAnswers()
        self.pages = PageCache()
        self.jobs = Jobs()
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

    def remember(
        self, req: AskRequest, answer: Any, channel: str, owners: Sequence[str] = ()
    ) -> AnswerRecord:
        """Keep the answer for feedback; its citations name file names only (and their
        collection), as every front end shows them."""
        settings = answer_settings(
            self.settings, top_k=req.top_k, generator=req.generator or self.settings.generator
        )
        if req.collection:
            settings["collection"] = req.collection
        record = self.recent.remember(req.question, answer, settings, channel=channel)
        if not owners:
            owners = [self.chosen(req)[0].name] * len(answer.citations)
        public_citations(
            record.answer.get("citations", []), owners, [c.chunk.id for c in answer.citations]
        )
        return record

    def chosen(self, req: AskRequest) -> list[Any]:
        try:
            return self.collections.chosen(req.collection)
        except UnknownCollectionError as exc:
            raise ApiError(404, "unknown_collection", str(exc)) from exc

    def collection_for_model(self, model: str | None) -> str | None:
        """The collection an OpenAI ``model`` names (any other name: the default one)."""
        return model if model in self.collections.by_name else None

    def pipeline_in(self, collection: str | None) -> QAPipeline:
        """The default pipeline over the version of ``collection`` served now."""
        return self.collections.get(collection).served.current().pipeline

    def ask_fused(self, req: AskRequest) -> Fused:
        """The answer of the chosen collection(s), with each citation's collection."""
        chosen = self.chosen(req)
        self.pipeline_for(req.generator)  # an unknown generator is a 400 first
        return ask_collections(
            chosen,
            req.question,
            history_pairs(req.history),
            req.top_k,
            lambda served: self.pipeline_for(req.generator, served),
        )

    def ask(self, req: AskRequest, channel: str) -> dict[str, Any]:
        if req.collection == ALL and len(self.collections.items) > 1:
            fused = self.ask_fused(req)
            record = self.remember(req, fused.answer, channel, fused.collections)
            return {"id": record.id, **record.answer, "collection": ALL}
        collection = self.chosen(req)[0]
        served = collection.served.current()
        pipeline = self.pipeline_for(req.generator, served)
        answer = pipeline.ask(req.question, history=history_pairs(req.history), top_k=req.top_k)
        record = self.remember(req, answer, channel)
        return {
            "id": record.id,
            **record.answer,
            "collection": collection.name,
            "index_version": served.version,
        }

    def stream(self, req: AskRequest, channel: str) -> Iterator[str]:
        """SSE frames: ``delta`` {text} …, then ``answer`` (the /ask body), or ``error``.

        ``"*"`` over several collections sends the fused answer as one delta."""
        if req.collection == ALL and len(self.collections.items) > 1:
            self.chosen(req)
            self.pipeline_for(req.generator)

            def fused_frames() -> Iterator[str]:
                try:
                    body = self.ask(req, channel)
                    yield sse("delta", {"text": body["answer"]})
                    yield sse("answer", body)
                except ReportQAError as exc:
                    status, code = error_status(exc)
                    yield sse("error", error_body(status, code, str(exc)))
                except Exception:
                    log.exception("streaming an answer failed")
                    yield sse("error", error_body(500, "internal_error", "Answering failed."))

            return fused_frames()
        collection = self.chosen(req)[0]
        served = collection.served.current()
        # errors here become a 400 before streaming
        pipeline = self.pipeline_for(req.generator, served)
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
                        body = {"id": record.id, **record.answer, "collection": collection.name}
                        yield sse("answer", body)
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

    def page_png(self, name: str, doc_id: str, page: int, chunk: str | None) -> bytes:
        """The PNG preview of a cited page (server/pages.py)."""
        try:
            collection = self.collections.get(name)
        except UnknownCollectionError as exc:
            raise ApiError(404, "unknown_collection", str(exc)) from exc
        return preview(collection.served.current(), self.pages, name, doc_id, page, chunk)

    def collection(self, name: str) -> Any:
        try:
            return self.collections.get(name)
        except UnknownCollectionError as exc:
            raise ApiError(404, "unknown_collection", str(exc)) from exc

    def upload(self, name: str, files: Sequence[UploadFile], authorization: str | None) -> dict[str, Any]:
        """Save the files and start their ingest job (server/uploads.py); the job's body."""
        refused = admin_refusal(self.settings, authorization)
        if refused is not None:
            raise refused
        collection = self.collection(name)
        if not files:
            raise UploadError(400, "no_files", "Send one or more files as multipart field 'files'.")
        if len(files) > MAX_UPLOAD_FILES:
            raise UploadError(
                400, "too_many_files", f"{len(files)} files; send at most {MAX_UPLOAD_FILES} at once."
            )
        names = [safe_file_name(f.filename or "") for f in files]
        if len(set(names)) != len(names):
            raise UploadError(400, "duplicate_file_name", "Two files have the same name; rename one.")
        job, folder = self.jobs.new(collection.name, self.settings.home / "uploads")
        limit = int(self.settings.max_file_mb * (1 << 20))
        try:
            for f, file_name_ in zip(files, names, strict=True):
                save_upload(f.file, folder / file_name_, limit)
        except UploadError:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
            raise
        job.files = names
        self.jobs.start(job, folder, collection.settings)
        return job.to_dict()

    def job(self, job_id: str) -> dict[str, Any]:
        job = self.jobs.get(job_id)
        if job is None:
            raise ApiError(404, "unknown_job", f"No upload job {job_id!r} (jobs are kept until a restart).")
        served = self.collection(job.collection).served.current()
        return job.to_dict(served.version)

    def remove(self, name: str, doc_id: str, authorization: str | None) -> dict[str, Any]:
        """Drop one document from a collection (a new index version, served like any)."""
        from index.indexing import remove_documents

        refused = admin_refusal(self.settings, authorization)
        if refused is not None:
            raise refused
        collection = self.collection(name)
        removed = remove_documents(collection.settings, [doc_id])
        if not removed:
            raise ApiError(404, "unknown_document", f"This collection has no document {doc_id!r}.")
        return {"removed": removed, "collection": collection.name}

    def list_collections(self) -> dict[str, Any]:
        items = [c.info() for c in self.collections.items]
        return {"count": len(items), "default": self.collections.first.name, "collections": items}

    def documents(self, collection: str | None = None) -> dict[str, Any]:
        try:
            served = self.collections.get(collection).served
        except UnknownCollectionError as exc:
            raise ApiError(404, "unknown_collection", str(exc)) from exc
        manifest = served.current().manifest()
        docs = [
            {
                "id": str(d.get("id", "")),
                "title": str(d.get("title", "")),
                "format": str(d.get("format", "")),
                "file": file_name(str(d.get("source", ""))),
                "chunks": int(d.get("chunks", 0)),
            }
            for d in manifest.get("documents", [])
        ]
        return {"count": len(docs), "chunks": int(manifest.get("chunk_count", 0)), "documents": docs}

    def warm_up(self) -> None:
        """Load the indexes and models now, so the first question is not the slow one."""
        for c in self.collections.items:
            try:
                _ = c.served.current().pipeline.index
            except ReportQAError as exc:
                log.warning("could not load the index of collection %s at start: %s", c.name, exc)


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


# --- the app -----------------------------------------------------------------------------------


def create_api(
    settings: Settings,
    pipeline: QAPipeline | None = None,
    store: FeedbackStore | None = None,
    recent: RecentAnswers | None = None,
    served: ServedIndex | None = None,
    collections: Collections | None = None,
) -> FastAPI:
    """The FastAPI app with the JSON API, the OpenAI-compatible API, the widget and protection.

    ``app.state.backend`` is the shared ``ChatBackend``. Raises ConfigError for bad settings
    (e.g. an embedding origin that is not ``scheme://host[:port]``).
    """
    from server.openai_compat import openai_router
    from server.widget import widget_router

    backend = ChatBackend(
        settings, pipeline, store or FeedbackStore(settings.feedback_db), recent, served,
        collections,
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
    def documents(collection: str | None = None) -> dict[str, Any]:
        """The indexed documents (of ``?collection=``; default: the first)."""
        return backend.documents(collection)

    @api.get("/collections", response_model=CollectionList)
    def collections_list() -> dict[str, Any]:
        """The collections (indexes) this server answers from; the first is the default."""
        return backend.list_collections()

    @api.get("/collections/{name}/documents", response_model=DocumentList)
    def collection_documents(name: str) -> dict[str, Any]:
        """The documents of one collection."""
        return backend.documents(name)

    @api.post("/collections/{name}/documents", status_code=202)
    def upload(
        name: str,
        files: Annotated[list[UploadFile], File(description="the documents (PDF, HWP(X), DOCX, …)")],
        authorization: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        """Add documents to a collection (admin key as ``Authorization: Bearer``): returns the
        ingest job; follow it at ``GET /jobs/{id}``. The new version is served when ready."""
        return backend.upload(name, files, authorization)

    @api.get("/jobs/{job_id}")
    def job(job_id: str) -> dict[str, Any]:
        """An upload job: state, phase, progress and per-file results."""
        return backend.job(job_id)

    @api.delete("/collections/{name}/documents/{doc_id:path}")
    def remove(
        name: str, doc_id: str, authorization: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        """Remove a document from a collection (admin key as ``Authorization: Bearer``)."""
        return backend.remove(name, doc_id, authorization)

    @api.get(
        "/collections/{name}/documents/{doc_id:path}/pages/{page}.png",
        response_class=Response,
        responses={200: {"content": {"image/png": {}}, "description": "the page as PNG"}},
    )
    def page_preview(name: str, doc_id: str, page: int, chunk: str | None = None) -> Response:
        """A PDF page as PNG; ``?chunk=<passage id>`` highlights that passage on it (a
        citation's ``chunk_id``). Non-PDF documents: 409 (show the passage instead)."""
        png = backend.page_png(name, doc_id, page, chunk)
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

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
    app.add_middleware(UploadGuardMiddleware, settings=settings)  # inside the key check
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
