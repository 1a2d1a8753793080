"""Walking around the key and the rate limit, against a real server on 127.0.0.1 (issue 15, item 7).

Every route that answers (the API, the widget API, the OpenAI endpoint and Gradio's queue, call,
run and api routes) falls under one authorization rule and is rate limited; a forged
``X-Forwarded-For`` picks no fresh bucket; Gradio sends no CORS headers to other origins.
"""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest

Live = Any  # tests/server/conftest.py: Live(url, settings)
Serve = Any  # serve(**settings_changes) -> Live

pytestmark = [pytest.mark.integration, pytest.mark.ui]

KO_QUESTION = "보고서가 제시한 3대 추진 전략은?"
KEY = "hostile-test-key"

ASK = {"question": KO_QUESTION}
GRADIO = {"data": [KO_QUESTION, []]}
# (method, path, JSON body): every route that answers or reads the index, and spellings of them.
ANSWERING: list[tuple[str, str, Any]] = [
    ("POST", "/api/v1/ask", ASK),
    ("POST", "/api/v1/ask/stream", ASK),
    ("GET", "/api/v1/documents", None),
    ("POST", "/api/v1/feedback", {"rating": "up", "question": "q", "answer": "a"}),
    ("POST", "/v1/chat/completions", {"messages": [{"role": "user", "content": KO_QUESTION}]}),
    ("POST", "/v1/chat/completions", {"stream": True, "messages": [{"role": "user", "content": "q"}]}),
    ("GET", "/v1/models", None),
    ("POST", "/widget/api/ask", ASK),
    ("POST", "/widget/api/ask/stream", ASK),
    ("POST", "/widget/api/feedback", {"rating": "up", "question": "q", "answer": "a"}),
    ("POST", "/gradio_api/call/chat", GRADIO),
    ("POST", "/gradio_api/call/chat/", GRADIO),
    ("POST", "/gradio_api/call/v2/chat", GRADIO),
    ("POST", "/gradio_api/api/chat", GRADIO),
    ("POST", "/gradio_api/api/chat/", GRADIO),
    ("POST", "/gradio_api/run/chat", GRADIO),
    ("POST", "/gradio_api/queue/join", {**GRADIO, "fn_index": 0, "session_hash": "abcdefgh12"}),
    ("POST", "//gradio_api/call/chat", GRADIO),
    ("POST", "/gradio_api//call/chat", GRADIO),
]


def request(c: httpx.Client, method: str, path: str, body: Any, **headers: str) -> httpx.Response:
    # httpx would normalise "//" away from a path given alone: send the raw target.
    url = httpx.URL(str(c.base_url).rstrip("/")).copy_with(raw_path=path.encode())
    return c.request(method, url, json=body, headers=headers)


def test_no_answering_route_is_reachable_without_the_key(serve: Serve) -> None:
    live = serve(api_key=KEY)
    with httpx.Client(base_url=live.url, timeout=60) as c:
        for method, path, body in ANSWERING:
            r = request(c, method, path, body)
            assert r.status_code in (401, 403), (path, r.status_code, r.text[:200])
            assert r.json()["error"]["code"] in ("invalid_api_key", "cross_origin")
            r = request(c, method, path, body, **{"X-API-Key": "wrong"})
            assert r.status_code == 401, (path, r.status_code)
            r = request(c, method, path, body, Origin="https://evil.example")
            assert r.status_code in (401, 403), (path, r.status_code)
        # the widget still works for its own page, and the key opens everything
        r = c.post("/widget/api/ask", json=ASK, headers={"Origin": live.url})
        assert r.status_code == 200 and r.json()["citations"]
        r = c.post("/gradio_api/call/chat", json=GRADIO, headers={"X-API-Key": KEY})
        assert r.status_code == 200 and r.json()["event_id"]
        assert c.get("/api/v1/health").status_code == 200


def test_gradio_client_with_the_key_gets_an_answer(serve: Serve) -> None:
    from gradio_client import Client

    import app

    live = serve(api_key=KEY)
    gc = Client(f"{live.url}/", verbose=False, headers={"X-API-Key": KEY})
    history, _sources, _box = gc.predict(KO_QUESTION, [], api_name="/chat")
    assert "산학연 협력 생태계 조성" in app.message_text(history[-1]["content"])


def test_forged_forwarded_for_does_not_refill_an_empty_bucket(serve: Serve) -> None:
    live = serve(rate_limit_per_minute=2)
    rng = random.Random(15)
    with httpx.Client(base_url=live.url, timeout=60) as c:
        assert [c.get("/api/v1/documents").status_code for _ in range(2)] == [200, 200]
        codes = []
        for _ in range(40):
            forged = ".".join(str(rng.randrange(1, 255)) for _ in range(4))
            codes.append(
                c.post("/api/v1/ask", json=ASK, headers={"X-Forwarded-For": forged}).status_code
            )
    assert codes == [429] * 40


def test_every_answering_route_is_rate_limited(serve: Serve) -> None:
    live = serve(rate_limit_per_minute=1)
    with httpx.Client(base_url=live.url, timeout=60) as c:
        assert c.get("/api/v1/documents").status_code == 200  # the one token
        for method, path, body in ANSWERING:
            r = request(c, method, path, body, Origin=live.url)
            assert r.status_code == 429, (path, r.status_code, r.text[:200])
        assert c.get("/api/v1/health").status_code == 200


def test_gradio_sends_no_cors_headers_to_localhost_origins(live: Live) -> None:
    origin = "http://localhost:9999"
    preflight = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    with httpx.Client(base_url=live.url, timeout=60) as c:
        responses = [
            c.get("/", headers={"Origin": origin}),
            c.get("/config", headers={"Origin": origin}),
            c.options("/gradio_api/queue/join", headers=preflight),
            c.post("/gradio_api/queue/join", json={}, headers={"Origin": origin}),
        ]
    for r in responses:
        leaked = {k: v for k, v in r.headers.items() if k.lower().startswith("access-control-")}
        assert not leaked, (r.request.url, leaked)


def test_the_chat_page_has_a_strict_csp(live: Live) -> None:
    with httpx.Client(base_url=live.url, timeout=60) as c:
        r = c.get("/")
    assert r.status_code == 200
    csp = dict(
        part.strip().split(" ", 1) for part in r.headers["content-security-policy"].split(";")
    )
    assert csp["default-src"] == "'self'"
    assert csp["img-src"].split() == ["'self'", "data:", "blob:"]
    assert csp["connect-src"] == "'self'" and csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'self'"
    assert "http" not in r.headers["content-security-policy"]
