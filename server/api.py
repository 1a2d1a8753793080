"""The HTTP app: JSON API under ``/api/v1``, the OpenAI-compatible ``/v1``, the widget at ``/widget``.

``create_api`` returns a FastAPI app with every route and the protection middleware; ``app.py``
mounts the Gradio UI at ``/`` on it. One ``ChatBackend`` (the pipeline, the feedback store, the
recent answers) serves the API, the widget and the OpenAI-compatible endpoint alike.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, File, Header, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

import reportqa
from answer.pipeline import QAPipeline
from reportqa.errors import (
    ReportQAError,
)
from reportqa.settings import Settings
from server.backend import ChatBackend
from server.collections import (
    Collections,
)
from server.feedback import (
    FeedbackStore,
    RecentAnswers,
)
from server.models import (
    API_PREFIX,
    ApiError,
    AskRequest,
    AskResponse,
    CollectionList,
    DocumentList,
    ErrorBody,
    FeedbackRequest,
    FeedbackResponse,
    Health,
    error_status,
    event_stream,
)
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
)
from server.served_index import ServedIndex

log = logging.getLogger(__name__)



# --- request and response shapes ---------------------------------------------------------------




























ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "bad request (missing or empty question, …)"},
    401: {"model": ErrorBody, "description": "missing or wrong API key"},
    413: {"model": ErrorBody, "description": "request body too large"},
    429: {"model": ErrorBody, "description": "rate limit; see Retry-After"},
    503: {"model": ErrorBody, "description": "no index, or a model cannot be loaded"},
}


# --- the backend shared by API, widget and OpenAI endpoint -------------------------------------










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
    app.add_middleware(AuthorizationMiddleware, settings=settings, signer=backend.collections.signer)
    app.add_middleware(RateLimitMiddleware, settings=settings)
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(ClosedFilesMiddleware, settings=settings)
    app.add_middleware(ApiCorsMiddleware, settings=settings)
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)
    return app




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
