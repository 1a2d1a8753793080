"""An OpenAI-compatible chat endpoint, so existing chat front ends (Open WebUI, any OpenAI SDK) can use
reportqa as a "model": ``POST /v1/chat/completions`` (streaming too) and ``GET /v1/models``.

The last user message is the question; earlier user/assistant turns are the history. The reply's
content is the answer with its ``[n]`` markers followed by a "Sources" list; the structured
citations also ride along as an extra ``citations`` field (SDKs keep unknown fields).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from answer.pipeline import MAX_QUESTION_CHARS
from reportqa.errors import ReportQAError
from reportqa.settings import Settings
from reportqa.types import Answer
from server.api import ApiError, AskRequest, ChatBackend, error_status, event_stream
from server.security import error_body
from server.streaming import answer_events

log = logging.getLogger(__name__)

MODEL_ID = "reportqa"


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str = Field(max_length=32)
    content: str | list[dict[str, Any]] | None = None


class ChatCompletionRequest(BaseModel):
    """The OpenAI request; sampling options (temperature, max_tokens, …) are accepted and ignored."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {"model": "reportqa", "messages": [{"role": "user", "content": "3대 추진 전략은?"}]}
            ]
        },
    )

    model: str = Field(default=MODEL_ID, max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: bool = False


def content_text(content: str | list[dict[str, Any]] | None) -> str:
    """A message's text: a string, or the text parts of a content list."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(str(p.get("text", "")) for p in content if p.get("type", "text") == "text")


def sources_block(answer: Answer) -> str:
    """``\\n\\n출처:\\n[1] title — heading (document, p. 3)`` …, or "" when nothing is cited."""
    if not answer.citations:
        return ""
    label = "출처" if answer.language == "ko" else "Sources"
    lines = []
    for c in answer.citations:
        where = ", ".join(x for x in (c.chunk.doc_id, f"p. {c.chunk.page}" if c.chunk.page else "") if x)
        heading = " > ".join(c.chunk.heading_path)
        lines.append(f"[{c.n}] {c.chunk.title}{' — ' + heading if heading else ''} ({where})")
    return f"\n\n{label}:\n" + "\n".join(lines)


def _split(req: ChatCompletionRequest) -> tuple[str, list[tuple[str, str]]]:
    turns = [(m.role, content_text(m.content)) for m in req.messages if m.role in ("user", "assistant")]
    last_user = max((i for i, (role, _) in enumerate(turns) if role == "user"), default=-1)
    if last_user < 0 or not turns[last_user][1].strip():
        raise ApiError(400, "missing_question", "messages needs a user message with the question.")
    question = turns[last_user][1].strip()
    if len(question) > MAX_QUESTION_CHARS:
        raise ApiError(
            400,
            "question_too_long",
            f"The question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}.",
        )
    history: list[tuple[str, str]] = []
    user: str | None = None
    for role, text in turns[:last_user]:
        if role == "user":
            user = text
        elif user is not None:
            history.append((user, text.split("\n\n출처:\n")[0].split("\n\nSources:\n")[0]))
            user = None
    return question, history[-20:]


def openai_router(backend: ChatBackend, settings: Settings) -> APIRouter:
    """``/v1/models`` and ``/v1/chat/completions`` (behind the API key when one is set:
    ``server.security.AuthorizationMiddleware``)."""
    router = APIRouter(prefix="/v1", tags=["openai-compatible"])

    @router.get("/models")
    def models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "reportqa"}],
        }

    @router.post("/chat/completions")
    def chat_completions(req: ChatCompletionRequest) -> Any:
        """Answer the last user message; ``stream: true`` sends ``chat.completion.chunk`` events."""
        question, history = _split(req)
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        pipeline = backend.pipeline
        ask_req = AskRequest(question=question)

        if not req.stream:
            answer: Answer = pipeline.ask(question, history=history)
            record = backend.remember(ask_req, answer, "openai")
            return {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": MODEL_ID,
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": answer.text + sources_block(answer),
                        },
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "citations": record.answer["citations"],
                "reportqa": {"answer_id": record.id, "language": answer.language},
            }

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            body = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": MODEL_ID,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **extra,
            }
            return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

        def frames() -> Iterator[str]:
            yield chunk({"role": "assistant", "content": ""})
            try:
                for kind, value in answer_events(pipeline, question, history=history):
                    if kind == "delta":
                        yield chunk({"content": value})
                    else:
                        final: Answer = value  # type: ignore[assignment]
                        record = backend.remember(ask_req, final, "openai")
                        block = sources_block(final)
                        if block:
                            yield chunk({"content": block})
                        yield chunk(
                            {},
                            "stop",
                            citations=record.answer["citations"],
                            reportqa={"answer_id": record.id, "language": final.language},
                        )
            except ReportQAError as exc:  # the stream has started: report in-band
                status, code = error_status(exc)
                yield f"data: {json.dumps(error_body(status, code, str(exc)), ensure_ascii=False)}\n\n"
            except Exception:
                log.exception("streaming a chat completion failed")
                body = error_body(500, "internal_error", "Answering failed.")
                yield f"data: {json.dumps(body)}\n\n"
            yield "data: [DONE]\n\n"

        return event_stream(frames())

    return router
