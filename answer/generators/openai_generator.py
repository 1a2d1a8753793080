"""An OpenAI-compatible chat-completions client (vLLM, Ollama, llama.cpp server, TGI, OpenAI).

Streams ``POST {base_url}/chat/completions`` with ``stream: true`` (Server-Sent Events). Connection
errors, 429 and 5xx answers are retried a bounded number of times with backoff, but only before
the first piece of text arrived (a half-streamed answer is never repeated). A server that is
down, a wrong model name and a rejected key each end in one clear ModelUnavailableError.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx

from answer.generators.base import StopCutter
from answer.generators.prompting import Prompt
from reportqa.errors import ModelUnavailableError

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
MAX_BACKOFF_S = 8.0


class _Retry(Exception):
    def __init__(self, reason: str, wait_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait_s = wait_s


class OpenAIBackend:
    """Streams chat completions from an OpenAI-compatible server."""

    def __init__(
        self,
        model: str,
        base_url: str,
        api_key: str = "",
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 120.0,
        max_retries: int = 2,
        backoff_s: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not model.strip():
            raise ModelUnavailableError(
                "No model named: use --generator openai:<model name the server serves>."
            )
        self.model = model.strip()
        self.name = f"openai:{self.model}"
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        headers = {"Accept": "text/event-stream"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self.client = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(read_timeout_s, connect=connect_timeout_s),
            transport=transport,
        )
        self.read_timeout_s = read_timeout_s

    def close(self) -> None:
        self.client.close()

    def stream(
        self,
        prompt: Prompt,
        max_new_tokens: int | None = None,
        temperature: float | None = None,
    ) -> Iterator[str]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in prompt.messages],
            "stream": True,
            "max_tokens": max_new_tokens or 256,
            "temperature": 0.0 if temperature is None else temperature,
        }
        if prompt.chat_stop:
            body["stop"] = list(prompt.chat_stop)
        attempt = 0
        while True:
            cutter = StopCutter(prompt.chat_stop)
            started = False
            try:
                for piece in self._stream_once(body):
                    out = cutter.feed(piece)
                    if out:
                        started = True
                        yield out
                    if cutter.done:
                        return
                rest = cutter.flush()
                if rest:
                    yield rest
                return
            except _Retry as retry:
                if started or attempt >= self.max_retries:
                    raise ModelUnavailableError(self._give_up(retry.reason, attempt + 1)) from None
                wait = retry.wait_s if retry.wait_s is not None else self.backoff_s * 2**attempt
                log.warning("%s: %s; retrying in %.1fs", self.name, retry.reason, wait)
                time.sleep(min(wait, MAX_BACKOFF_S))
                attempt += 1

    def _give_up(self, reason: str, tries: int) -> str:
        return f"{self.name}: {reason} (after {tries} tries)"

    def _stream_once(self, body: dict[str, Any]) -> Iterator[str]:
        try:
            with self.client.stream("POST", "/chat/completions", json=body) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    self._raise_for(resp)
                ctype = resp.headers.get("content-type", "")
                if "text/event-stream" not in ctype:  # a server that ignored stream: true
                    resp.read()
                    yield _message_text(_json(resp))
                    return
                for line in resp.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    try:
                        event = json.loads(data)
                    except json.JSONDecodeError:
                        continue
                    if isinstance(event, dict) and event.get("error"):
                        raise ModelUnavailableError(
                            f"{self.name}: the server reported an error mid-answer: "
                            f"{_error_text(event)}"
                        )
                    text = _delta_text(event)
                    if text:
                        yield text
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise _Retry(
                f"cannot reach the OpenAI-compatible server at {self.base_url} ({exc}). Is it "
                "running? Start it (e.g. `vllm serve MODEL`, `ollama serve`, `llama-server`) or "
                "point REPORTQA_OPENAI_BASE_URL at it"
            ) from exc
        except httpx.ReadTimeout as exc:
            raise ModelUnavailableError(
                f"{self.name}: no answer from {self.base_url} within {self.read_timeout_s:.0f}s "
                "(REPORTQA_GENERATION_TIMEOUT_S)"
            ) from exc
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise _Retry(f"the connection to {self.base_url} broke ({exc})") from exc

    def _raise_for(self, resp: httpx.Response) -> None:
        status = resp.status_code
        detail = _error_text(_json(resp)) or resp.text[:300]
        if status in RETRY_STATUS:
            retry_after = resp.headers.get("retry-after")
            wait = float(retry_after) if retry_after and retry_after.isdigit() else None
            raise _Retry(f"the server answered {status}: {detail}", wait)
        if status in (401, 403):
            raise ModelUnavailableError(
                f"{self.name}: the server at {self.base_url} refused the API key ({status}: "
                f"{detail}). Set REPORTQA_OPENAI_API_KEY."
            )
        if status == 404 or "model" in detail.lower():
            available = self.list_models()
            if available is not None and self.model not in available:
                raise ModelUnavailableError(
                    f"The server at {self.base_url} has no model {self.model!r}; it serves: "
                    f"{', '.join(available) or 'none'}. Use --generator openai:<one of them>."
                )
            if status == 404 and available is None:
                raise ModelUnavailableError(
                    f"{self.base_url}/chat/completions was not found (404). Is "
                    "REPORTQA_OPENAI_BASE_URL the API root of an OpenAI-compatible server "
                    "(usually ending in /v1)?"
                )
        raise ModelUnavailableError(f"{self.name}: the server answered {status}: {detail}")

    def list_models(self) -> list[str] | None:
        """The model ids the server lists at ``/models`` (None when it cannot say)."""
        try:
            resp = self.client.get("/models")
            if resp.status_code != 200:
                return None
            data = resp.json().get("data", [])
            return [str(m.get("id")) for m in data if isinstance(m, dict) and m.get("id")]
        except (httpx.HTTPError, ValueError, AttributeError):
            return None


def _json(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def _error_text(payload: Any) -> str:
    if isinstance(payload, dict):
        err = payload.get("error", payload.get("detail"))
        if isinstance(err, dict):
            return str(err.get("message") or err)
        if err:
            return str(err)
    return ""


def _delta_text(event: Any) -> str:
    try:
        choice = event["choices"][0]
    except (KeyError, IndexError, TypeError):
        return ""
    delta = choice.get("delta") or {}
    return str(delta.get("content") or choice.get("text") or "")


def _message_text(payload: Any) -> str:
    try:
        return str(payload["choices"][0]["message"]["content"] or "")
    except (KeyError, IndexError, TypeError):
        raise ModelUnavailableError(
            f"The server's answer is not an OpenAI chat completion: {str(payload)[:200]}"
        ) from None
