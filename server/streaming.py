"""One seam between the answer pipeline and every streaming front end (SSE, OpenAI chunks, widget).

``answer_events`` yields ``("delta", str)`` pieces of answer text as they are written, then exactly
one ``("answer", Answer)`` with the final text and its citations. When the pipeline offers
``ask_stream`` (token streaming from a generator) it is used: items that are ``str`` are deltas,
an ``Answer`` is the final answer (objects with ``.delta``/``.text`` or ``.answer`` attributes are
read the same way). Otherwise ``ask`` runs and its text comes as one delta, as the extractive
generator writes its answer at once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from reportqa.types import Answer

log = logging.getLogger(__name__)

Event = tuple[Literal["delta"], str] | tuple[Literal["answer"], Answer]


def answer_events(
    pipeline: Any,
    question: str,
    history: Sequence[tuple[str, str]] = (),
    top_k: int | None = None,
) -> Iterator[Event]:
    """Deltas of the answer text, then the final Answer (see the module docstring)."""
    stream = getattr(pipeline, "ask_stream", None)
    if not callable(stream):
        answer: Answer = pipeline.ask(question, history=history, top_k=top_k)
        if answer.text:
            yield ("delta", answer.text)
        yield ("answer", answer)
        return
    pieces: list[str] = []
    final: Answer | None = None
    for item in stream(question, history=history, top_k=top_k):
        if isinstance(item, Answer):
            final = item
            continue
        if not isinstance(item, str):
            inner = getattr(item, "answer", None)
            if isinstance(inner, Answer):
                final = inner
                continue
            item = getattr(item, "delta", None) or getattr(item, "text", None) or ""
        if item:
            pieces.append(str(item))
            yield ("delta", str(item))
    if final is None:
        log.warning("ask_stream ended without a final Answer; answering without citations")
        final = Answer("".join(pieces), "", ())
    yield ("answer", final)


def sse(event: str, data: Any) -> str:
    """One Server-Sent Events frame (``data`` as one line of JSON)."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
