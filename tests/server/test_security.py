"""The protection pieces on their own: rate limiter, origin parsing, settings, the stream seam."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reportqa.errors import ConfigError
from reportqa.settings import Settings
from reportqa.types import Answer
from server.security import (
    RateLimiter,
    authorize,
    client_id,
    frame_ancestors_value,
    parse_origins,
    presented_key,
    route_kind,
)
from server.streaming import answer_events


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_refills_over_time_per_client() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=2, clock=clock)
    assert limiter.hit("a") == 0 and limiter.hit("a") == 0
    wait = limiter.hit("a")
    assert 29 <= wait <= 30
    assert limiter.hit("b") == 0  # other clients are not affected
    clock.now += 30
    assert limiter.hit("a") == 0
    assert RateLimiter(per_minute=0).hit("x") == 0  # off


def test_client_identity_uses_valid_keys_only() -> None:
    scope = {"client": ("10.0.0.1", 5), "headers": [(b"x-api-key", b"made-up")]}
    assert client_id(scope, ["real"], trust_proxy=False) == "ip:10.0.0.1"
    scope = {"client": ("10.0.0.1", 5), "headers": [(b"authorization", b"Bearer real")]}
    assert client_id(scope, ["real"], trust_proxy=False).startswith("key:")
    # The client wrote 6.6.6.6; our proxy (the peer, 10.0.0.1) appended what it saw: 1.2.3.4.
    scope = {"client": ("10.0.0.1", 5), "headers": [(b"x-forwarded-for", b"6.6.6.6, 1.2.3.4")]}
    assert client_id(scope, [], trust_proxy=True) == "ip:1.2.3.4"
    assert client_id(scope, [], trust_proxy=False) == "ip:10.0.0.1"
    assert presented_key({"x-api-key": " k "}) == "k"


def test_origins_are_validated() -> None:
    assert parse_origins("https://a.example, http://127.0.0.1:8080/", "frame_ancestors") == [
        "https://a.example",
        "http://127.0.0.1:8080",
    ]
    assert parse_origins("*", "cors_origins") == ["*"]
    for bad in ("*", "a.example", "https://a.example/path", "https://a.example;script-src"):
        with pytest.raises(ConfigError):
            parse_origins(bad, "frame_ancestors")
    settings = Settings.load({"frame_ancestors": "https://portal.example"}, env={})
    assert frame_ancestors_value(settings) == "'self' https://portal.example"


def test_new_settings_come_from_the_environment_and_are_checked() -> None:
    settings = Settings.load(
        env={
            "REPORTQA_API_KEY": "k1",
            "REPORTQA_RATE_LIMIT_PER_MINUTE": "5",
            "REPORTQA_ALLOW_UPLOADS": "yes",
            "REPORTQA_CORS_ORIGINS": "https://p.example",
        }
    )
    assert settings.api_key == "k1" and settings.rate_limit_per_minute == 5
    assert settings.allow_uploads is True and settings.cors_origins == "https://p.example"
    assert "k1" not in repr(settings)
    with pytest.raises(ConfigError):
        Settings.load({"rate_limit_per_minute": -1}, env={})
    with pytest.raises(ConfigError):
        Settings.load({"max_request_bytes": 10}, env={})


def test_stream_seam_uses_ask_stream_when_the_pipeline_has_it() -> None:
    final = Answer("가나 [1]", "ko")

    class Streaming:
        def ask_stream(self, question: str, **kw: Any) -> Iterator[Any]:
            yield "가"
            yield "나 [1]"
            yield final

    class Plain:
        def ask(self, question: str, **kw: Any) -> Answer:
            return final

    assert list(answer_events(Streaming(), "q")) == [
        ("delta", "가"),
        ("delta", "나 [1]"),
        ("answer", final),
    ]
    assert list(answer_events(Plain(), "q")) == [("delta", "가나 [1]"), ("answer", final)]


def test_titles_in_the_ui_corpus_note_are_plain_text() -> None:
    import app

    shown = app.markdown_text('# T <img src=x onerror="a()"> [x](javascript:alert(1))')
    assert "<img" not in shown and "\\#" in shown and "\\[x\\]\\(javascript" in shown


def test_every_route_that_answers_falls_under_the_rule() -> None:
    answering = [
        ("POST", "/api/v1/ask"),
        ("GET", "/api/v1/documents"),
        ("POST", "/v1/chat/completions"),
        ("POST", "/widget/api/ask"),
        ("POST", "/gradio_api/queue/join"),
        ("POST", "/gradio_api/call/chat"),
        ("POST", "/gradio_api/call/v2/chat"),
        ("POST", "/gradio_api/api/chat"),
        ("POST", "/gradio_api/run/chat"),
        ("POST", "//gradio_api//api/chat"),
        ("POST", "/api/v1/healthz"),  # not the open health check: it only begins like it
    ]
    assert {route_kind(m, p) for m, p in answering} <= {"api", "page"}
    for method, path in [("GET", "/"), ("GET", "/api/v1/health"), ("OPTIONS", "/api/v1/ask"),
                         ("GET", "/gradio_api/info"), ("GET", "/widget")]:
        assert route_kind(method, path) == "open", path


def test_authorize_keys_pages_and_origins() -> None:
    keys = ["k1"]
    own = {"host": "qa.example:7860", "origin": "http://qa.example:7860"}
    # keyed: the API needs the key, whatever the Origin
    assert authorize("POST", "/api/v1/ask", {}, keys).status == 401  # type: ignore[union-attr]
    assert authorize("POST", "/api/v1/ask", own, keys) is not None
    assert authorize("POST", "/api/v1/ask", {"x-api-key": "k1"}, keys) is None
    # keyed: the pages' routes answer the key, or a browser on the page's own origin only
    no_origin = authorize("POST", "/widget/api/ask", {"host": "qa.example:7860"}, keys)
    assert no_origin is not None and no_origin.status == 401
    assert authorize("POST", "/widget/api/ask", own, keys) is None
    assert authorize("POST", "/gradio_api/call/chat", own, keys) is None
    assert authorize("POST", "/gradio_api/call/chat", {"authorization": "Bearer k1"}, keys) is None
    evil = {"host": "qa.example:7860", "origin": "https://evil.example"}
    assert authorize("POST", "/gradio_api/call/chat", evil, keys).status == 403  # type: ignore[union-attr]
    # configured public origins replace the Host comparison
    public = ["https://qa.example.org"]
    assert authorize("POST", "/widget/api/ask", own, keys, public) is not None
    assert authorize(
        "POST", "/widget/api/ask", {"origin": "https://qa.example.org"}, keys, public
    ) is None
    # no keys: open, except a browser on another origin calling the pages' routes
    assert authorize("POST", "/api/v1/ask", {}, []) is None
    assert authorize("POST", "/widget/api/ask", {"host": "h"}, []) is None
    assert authorize("POST", "/widget/api/ask", evil, []).status == 403  # type: ignore[union-attr]


def test_a_bad_public_origin_is_refused_when_the_app_is_built(sample_settings: Settings) -> None:
    import app

    with pytest.raises(ConfigError, match="public_origins"):
        app.create_server_app(sample_settings.replace(public_origins="qa.example.org"))


def test_preview_urls_are_signed_for_their_path_passage_and_time() -> None:
    from urllib.parse import urlsplit

    from server.collections import preview_path
    from server.security import PreviewSigner

    signer = PreviewSigner(b"k" * 32, ttl_s=60)
    url = preview_path("wind", "plan/a b.pdf", 2, "plan#3", signer)
    parts = urlsplit(url)
    assert parts.path == "/api/v1/collections/wind/documents/plan%2Fa%20b.pdf/pages/2.png"
    routed = "/api/v1/collections/wind/documents/plan/a b.pdf/pages/2.png"  # as the route sees it
    assert signer.valid("GET", routed, parts.query)
    assert not signer.valid("POST", routed, parts.query)
    assert not signer.valid("GET", routed.replace("2.png", "3.png"), parts.query)  # another page
    assert not signer.valid("GET", routed, parts.query.replace("plan%233", "plan%234"))
    assert not signer.valid("GET", routed, parts.query, now=10**12)  # expired
    assert not PreviewSigner(b"x" * 32).valid("GET", routed, parts.query)  # another server
    assert not signer.valid("GET", routed, "chunk=plan%233")  # unsigned
    assert "/api/v1/ask" not in url and not signer.valid("GET", "/api/v1/ask", parts.query)


@pytest.mark.integration
def test_with_an_api_key_signed_previews_and_the_admin_key_open_their_routes(
    sample_settings: Settings, sample_pipeline: Any, tmp_path: Any
) -> None:
    """An <img> cannot send the key: a signed preview URL passes without it; the admin panel's
    one key (the admin key) opens the admin routes but not the rest of the API."""
    from urllib.parse import urlsplit

    import httpx

    import app
    from server.background import BackgroundServer
    from server.collections import preview_path

    settings = sample_settings.replace(
        home=tmp_path, api_key="api-key-1", admin_key="admin-key-1", rate_limit_per_minute=1000
    )
    server_app = app.create_server_app(settings, pipeline=sample_pipeline)
    name = server_app.state.backend.collections.first.name
    signer = server_app.state.backend.collections.signer
    doc = "01-overview.ko.md"
    signed = preview_path(name, doc, 1, f"{doc}#0", signer)
    plain = urlsplit(signed).path + f"?chunk={doc}%230"
    with BackgroundServer(server_app) as url, httpx.Client(base_url=url, timeout=60) as c:
        unsigned = c.get(plain)
        through = c.get(signed)
        tampered = c.get(signed.replace("pages/1.png", "pages/2.png"))
        admin = {"Authorization": "Bearer admin-key-1"}
        docs = c.get(f"/api/v1/collections/{name}/documents", headers=admin)
        job = c.get("/api/v1/jobs/nope", headers=admin)
        ask = c.post("/api/v1/ask", json={"question": "3대 추진 전략은?"}, headers=admin)
        wrong = c.get(f"/api/v1/collections/{name}/documents", headers={"Authorization": "Bearer x"})
        keyed = c.post("/api/v1/ask", json={"question": "3대 추진 전략은?"}, headers={"X-API-Key": "api-key-1"})
    assert unsigned.status_code == 401
    # past the key check: the route itself answers (a Markdown document has no page image)
    assert through.status_code == 409 and through.json()["error"]["code"] == "not_a_pdf"
    assert tampered.status_code == 401
    assert docs.status_code == 200 and doc in {d["file"] for d in docs.json()["documents"]}
    assert job.status_code == 404 and job.json()["error"]["code"] == "unknown_job"
    assert ask.status_code == 401 and wrong.status_code == 401
    assert keyed.status_code == 200
    assert "api-key-1" not in keyed.text and "admin-key-1" not in keyed.text
