"""An OpenAI-compatible chat endpoint, so existing chat front ends (Open WebUI, any OpenAI SDK) can use
reportqa as a "model": ``POST /v1/chat/completions`` (streaming too), ``GET /v1/models`` and
``GET /v1/models/{model}``.

The last user message is the question; earlier user/assistant turns are the history. The reply's
content is the answer with its ``[n]`` markers followed by a "Sources" list; the structured
citations also ride along as an extra ``citations`` field (SDKs keep unknown fields).

``usage`` counts tokens with the generator's tokenizer when a local (transformers) model answers,
else with the embedder's: prompt tokens are the messages' texts, completion tokens the reply's
content (answer and sources). ``stream_options: {"include_usage": true}`` adds OpenAI's final usage
chunk. What reportqa cannot do (``n > 1``, tools and functions, structured ``response_format``) is
refused with a 400 naming the ``param``, instead of being silently ignored.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from answer.pipeline import MAX_QUESTION_CHARS
from reportqa.errors import ReportQAError
from reportqa.settings import Settings
from reportqa.types import Answer
from server.backend import ChatBackend
from server.collections import ALL
from server.models import ApiError, AskRequest, error_status, event_stream
from server.security import error_body
from server.streaming import answer_events

log = logging.getLogger(__name__)

MODEL_ID = "reportqa"


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str = Field(max_length=32)
    content: str | list[dict[str, Any]] | None = None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """The OpenAI request; sampling options (temperature, max_tokens, …) are accepted and ignored,
    the options that would change the reply's shape are refused (:func:`unsupported`)."""

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
    stream_options: StreamOptions | None = None
    n: int | None = None
    tools: list[Any] | None = None
    tool_choice: Any = None
    functions: list[Any] | None = None
    function_call: Any = None
    response_format: dict[str, Any] | None = None


class Unsupported(Exception):
    """A request option reportqa cannot honour: a 400 naming ``param``."""

    def __init__(self, param: str, code: str, message: str) -> None:
        super().__init__(message)
        self.param, self.code, self.message = param, code, message


def unsupported(req: ChatCompletionRequest) -> Unsupported | None:
    """The first option of ``req`` that would be silently ignored if we answered, or None."""
    if req.n is not None and req.n != 1:
        return Unsupported(
            "n", "unsupported_n", f"n={req.n} is not supported: reportqa returns one answer (n=1)."
        )
    calling = (
        ("tools", bool(req.tools)),
        ("tool_choice", req.tool_choice not in (None, "none")),
        ("functions", bool(req.functions)),
        ("function_call", req.function_call not in (None, "none")),
    )
    for param, used in calling:
        if used:
            return Unsupported(
                param,
                "tools_unsupported",
                f"{param} is not supported: reportqa answers from its documents and calls no "
                "tools or functions. Send the request without it.",
            )
    kind = (req.response_format or {}).get("type", "text")
    if kind != "text":
        return Unsupported(
            "response_format",
            "response_format_unsupported",
            f"response_format {kind!r} is not supported: reportqa replies with text and its "
            'sources. Leave response_format out or send {"type": "text"}.',
        )
    return None


def openai_error(status: int, code: str, message: str, param: str | None = None) -> JSONResponse:
    """An error in OpenAI's shape (``message``, ``type``, ``param``, ``code``)."""
    body = error_body(status, code, message, param=param)
    if status == 404:  # what OpenAI sends for an unknown model
        body["error"]["type"] = "invalid_request_error"
    return JSONResponse(body, status_code=status)


def token_counter(pipeline: Any) -> Callable[[str], int]:
    """Counts tokens of a text: the local generator's tokenizer, else the embedder's.

    Call after the pipeline has answered (its models are loaded then)."""
    backend = getattr(getattr(pipeline, "generator", None), "backend", None)
    if backend is not None and type(backend).__name__ == "TransformersBackend":
        tokenizer, _ = backend.load()
        return lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"]) if text else 0
    embedder = pipeline.encode.embedder
    # count_tokens counts a passage, with the family's passage prefix ("passage: " for e5):
    # what an empty text counts is that overhead, not part of the text.
    overhead = embedder.count_tokens("")
    return lambda text: max(0, embedder.count_tokens(text) - overhead) if text else 0


def usage(count: Callable[[str], int], prompts: Sequence[str], completion: str) -> dict[str, int]:
    """OpenAI's ``usage`` object."""
    prompt_tokens = sum(count(t) for t in prompts)
    completion_tokens = count(completion)
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def model_card(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": "reportqa"}


def served_models(backend: ChatBackend) -> list[str]:
    """The model ids this server answers as: ``reportqa`` (the default collection), then one per
    collection (server/collections.py), then ``*`` (all of them, fused) when there are several."""
    names = backend.collections.names
    every = [ALL] if len(names) > 1 else []
    return [MODEL_ID, *(n for n in names if n != MODEL_ID), *every]


def reported_model(backend: ChatBackend, asked: str) -> str:
    """The ``model`` a response names: the one asked for when this server serves it, else
    ``reportqa`` (the default collection answered)."""
    return asked if asked in served_models(backend) else MODEL_ID


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
        return {"object": "list", "data": [model_card(m) for m in served_models(backend)]}

    @router.get("/models/{model:path}")
    def model(model: str) -> Any:
        """One model, as ``client.models.retrieve(name)`` reads it; 404 for an unknown name."""
        known = served_models(backend)
        if model not in known:
            return openai_error(
                404,
                "model_not_found",
                f"The model {model!r} does not exist on this server; available: {', '.join(known)}.",
            )
        return model_card(model)

    @router.post("/chat/completions")
    def chat_completions(req: ChatCompletionRequest) -> Any:
        """Answer the last user message; ``stream: true`` sends ``chat.completion.chunk`` events."""
        refused = unsupported(req)
        if refused is not None:
            return openai_error(400, refused.code, refused.message, refused.param)
        question, history = _split(req)
        prompts = [content_text(m.content) for m in req.messages]
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        ask_req = AskRequest(question=question, collection=backend.collection_for_model(req.model))
        fused = backend.fused(ask_req)
        pipeline: Any = fused or backend.pipeline_in(ask_req.collection)
        model_name = reported_model(backend, req.model)

        def remember(answer: Answer) -> Any:
            owners = fused.owners(answer) if fused is not None else ()
            return backend.remember(ask_req, answer, "openai", owners)

        if not req.stream:
            answer: Answer = pipeline.ask(question, history=history)
            record = remember(answer)
            content = answer.text + sources_block(answer)
            return {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": model_name,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage(token_counter(pipeline), prompts, content),
                "citations": record.answer["citations"],
                "reportqa": {"answer_id": record.id, "language": answer.language},
            }

        include_usage = bool(req.stream_options and req.stream_options.include_usage)

        def frame(body: dict[str, Any]) -> str:
            return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            body = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model_name,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **({"usage": None} if include_usage else {}),  # as OpenAI: null until the last
                **extra,
            }
            return frame(body)

        def frames() -> Iterator[str]:
            yield chunk({"role": "assistant", "content": ""})
            try:
                sent: list[str] = []
                for kind, value in answer_events(pipeline, question, history=history):
                    if kind == "delta":
                        sent.append(str(value))
                        yield chunk({"content": value})
                    else:
                        final: Answer = value  # type: ignore[assignment]
                        record = remember(final)
                        block = sources_block(final)
                        if block:
                            sent.append(block)
                            yield chunk({"content": block})
                        yield chunk(
                            {},
                            "stop",
                            citations=record.answer["citations"],
                            reportqa={"answer_id": record.id, "language": final.language},
                        )
                        if include_usage:
                            counted = usage(token_counter(pipeline), prompts, "".join(sent))
                            yield frame(
                                {
                                    "id": completion_id,
                                    "object": "chat.completion.chunk",
                                    "created": created,
                                    "model": model_name,
                                    "choices": [],
                                    "usage": counted,
                                }
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
