"""A minimal OpenAI-compatible HTTP server around local backends (standard library only).

``GET /v1/models`` and ``POST /v1/chat/completions`` (streaming and not), enough for
``openai:<model>`` clients: tests start it on 127.0.0.1 to exercise the client against a real
server, the generation benchmark serves the local model through it, and a demo can share one
loaded model with several processes. It is not a production server (use vLLM, Ollama, llama.cpp
server or TGI for that).

Chat messages reach a chat backend as they are; a base (completion) model gets them joined into
one text that ends with an answer cue.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from answer.generators.base import LLMBackend
from answer.generators.prompting import Prompt
from reportqa.errors import ReportQAError
from reportqa.language import detect_language


def prompt_from_messages(messages: list[dict[str, Any]], stop: list[str] | None) -> Prompt:
    """A :class:`Prompt` for OpenAI-style ``messages`` (completion form: joined, answer cue)."""
    msgs = tuple(
        {"role": str(m.get("role", "user")), "content": str(m.get("content") or "")}
        for m in messages
    )
    last_user = next((m["content"] for m in reversed(msgs) if m["role"] == "user"), "")
    language = detect_language(last_user)
    cue = "답변:" if language == "ko" else "Answer:"
    completion = "\n\n".join(m["content"] for m in msgs) + f"\n{cue}"
    stops = tuple(stop or ())
    return Prompt(msgs, completion, (*stops, "\n\n"), language, stops)


class OpenAICompatibleServer:
    """Serves ``backends`` (model id → backend) on ``host:port`` in a background thread.

    ``api_key`` (when set) is required as ``Authorization: Bearer``; ``fail_next`` makes the next
    N completion requests answer 503 (to test clients' retries).
    """

    def __init__(
        self,
        backends: Mapping[str, LLMBackend],
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str = "",
    ) -> None:
        self.backends = dict(backends)
        self.api_key = api_key
        self.fail_next = 0
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), self._handler())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> OpenAICompatibleServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> OpenAICompatibleServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def _send_json(
                self, status: int, payload: Any, headers: Mapping[str, str] | None = None
            ) -> None:
                body = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _error(self, status: int, message: str, code: str, **headers: str) -> None:
                err = {"message": message, "type": "invalid_request_error", "code": code}
                self._send_json(status, {"error": err}, headers)

            def _authorized(self) -> bool:
                if not server.api_key:
                    return True
                if self.headers.get("Authorization") == f"Bearer {server.api_key}":
                    return True
                self._error(401, "Incorrect API key provided.", "invalid_api_key")
                return False

            def do_GET(self) -> None:
                if self.path.rstrip("/") != "/v1/models":
                    self._error(404, f"no route {self.path}", "not_found")
                    return
                if not self._authorized():
                    return
                data = [{"id": m, "object": "model", "owned_by": "reportqa"} for m in server.backends]
                self._send_json(200, {"object": "list", "data": data})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._error(404, f"no route {self.path}", "not_found")
                    return
                if not self._authorized():
                    return
                try:
                    req = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    self._error(400, "the body is not JSON", "bad_request")
                    return
                with server._lock:
                    server.requests.append(req)
                    failing = server.fail_next > 0
                    if failing:
                        server.fail_next -= 1
                if failing:
                    self._error(503, "busy, try again", "overloaded", **{"Retry-After": "0"})
                    return
                model = str(req.get("model", ""))
                backend = server.backends.get(model)
                if backend is None:
                    self._error(
                        404, f"The model `{model}` does not exist.", "model_not_found"
                    )
                    return
                prompt = prompt_from_messages(list(req.get("messages") or []), req.get("stop"))
                pieces = backend.stream(
                    prompt, int(req.get("max_tokens") or 256), float(req.get("temperature") or 0)
                )
                if req.get("stream"):
                    self._stream(model, pieces)
                else:
                    try:
                        text = "".join(pieces)
                    except ReportQAError as exc:
                        self._error(500, str(exc), "backend_error")
                        return
                    message = {"role": "assistant", "content": text}
                    self._send_json(
                        200,
                        {
                            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
                            "object": "chat.completion",
                            "created": int(time.time()),
                            "model": model,
                            "choices": [
                                {"index": 0, "message": message, "finish_reason": "stop"}
                            ],
                        },
                    )

            def _stream(self, model: str, pieces: Iterator[str]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                cid = f"chatcmpl-{uuid.uuid4().hex[:12]}"

                def send(payload: Any) -> None:
                    data = payload if isinstance(payload, str) else json.dumps(payload)
                    self.wfile.write(f"data: {data}\n\n".encode())
                    self.wfile.flush()

                def chunk(delta: dict[str, str], finish: str | None = None) -> dict[str, Any]:
                    return {
                        "id": cid,
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": model,
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                    }

                try:
                    send(chunk({"role": "assistant"}))
                    for piece in pieces:
                        send(chunk({"content": piece}))
                    send(chunk({}, "stop"))
                except ReportQAError as exc:
                    send({"error": {"message": str(exc), "type": "server_error"}})
                except (BrokenPipeError, ConnectionResetError):
                    return
                send("[DONE]")
                self.close_connection = True

        return Handler
