"""The embeddable chat widget: a compact page at ``/widget`` for an iframe, and ``/widget/embed.js``,
the one-line snippet a portal adds to its page (it creates the iframe).

The page is static HTML, CSS and JavaScript from ``server/static/``, served with a strict
Content-Security-Policy (no inline script; frameable only by ``frame_ancestors``). The widget's
script renders every answer and passage with ``textContent``, never as HTML. It talks to its
own small API under ``/widget/api/``: answered for the widget's own origin (``public_origins``)
without a key, since the page is public, and rate-limited like the API (the rule is
``server.security.authorize``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from reportqa.settings import Settings
from server.backend import ChatBackend
from server.collections import UnknownCollectionError
from server.models import AskRequest, FeedbackRequest, event_stream
from server.security import widget_csp

STATIC_DIR = Path(__file__).resolve().parent / "static"


class ExamplesRequest(BaseModel):
    collection: str | None = Field(default=None, max_length=64)

ASSETS = {
    "widget.js": "text/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
    "embed.js": "text/javascript; charset=utf-8",
}


def widget_router(backend: ChatBackend, settings: Settings) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    csp = widget_csp(settings)
    page = (STATIC_DIR / "widget.html").read_text(encoding="utf-8")

    @router.get("/widget")
    def widget() -> Response:
        return Response(
            page,
            media_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": csp, "Cache-Control": "no-cache"},
        )

    @router.get("/widget/")
    def widget_slash(request: Request) -> RedirectResponse:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"../widget{query}", status_code=308)

    @router.get("/widget/{name}")
    def asset(name: str) -> FileResponse:
        if name not in ASSETS:
            raise HTTPException(404, "no such widget file")
        headers = {"Cache-Control": "public, max-age=300"}
        if name == "embed.js":  # loaded by the portal's page, from another origin
            headers["Cross-Origin-Resource-Policy"] = "cross-origin"
        return FileResponse(STATIC_DIR / name, media_type=ASSETS[name], headers=headers)

    @router.post("/widget/api/ask/stream")
    def ask_stream(req: AskRequest) -> StreamingResponse:
        return event_stream(backend.stream(req, "widget"))

    @router.post("/widget/api/ask")
    def ask(req: AskRequest) -> dict[str, Any]:
        return backend.ask(req, "widget")

    @router.post("/widget/api/examples")
    def examples(req: ExamplesRequest) -> dict[str, Any]:
        """The example questions of the widget's collection (its manifest's; none without)."""
        try:
            found = backend.collections.get(req.collection).examples()
        except UnknownCollectionError:
            found = []
        return {"examples": found}

    @router.post("/widget/api/feedback", status_code=201)
    def feedback(req: FeedbackRequest) -> dict[str, Any]:
        return backend.feedback(req, "widget")

    return router
