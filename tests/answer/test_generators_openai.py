"""The OpenAI-compatible backend against a real HTTP server on 127.0.0.1 that the test starts."""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from answer.generators.local_server import OpenAICompatibleServer
from answer.generators.openai_generator import OpenAIBackend
from answer.generators.prompting import build_answer_prompt, build_rewrite_prompt
from answer.generators.transformers_generator import TransformersBackend
from reportqa.errors import ModelUnavailableError
from reportqa.types import Chunk, Hit

sys.path.insert(0, str(Path(__file__).parent))
from generation_helpers import ScriptedBackend, build_tiny_model

TEXT = "보고서가 제시한 3대 추진 전략은 거점 확보, 경쟁력 강화, 생태계 조성이다."
HITS = [Hit(Chunk("d#0", "d", "보고서", "/d.md", TEXT, 0, len(TEXT)), 1.0)]
PIECES = ["3대 추진 전략은 ", "거점 확보, ", "경쟁력 강화, ", "생태계 조성이다 [1]", "."]


@pytest.fixture()
def server() -> Iterator[OpenAICompatibleServer]:
    with OpenAICompatibleServer({"scripted": ScriptedBackend(PIECES)}, api_key="sk-test") as srv:
        yield srv


def _client(srv: OpenAICompatibleServer, model: str = "scripted", **kw: object) -> OpenAIBackend:
    args: dict = {"api_key": "sk-test", "connect_timeout_s": 2.0, "read_timeout_s": 10.0}
    args.update(kw)
    return OpenAIBackend(model, srv.base_url, backoff_s=0.01, **args)  # type: ignore[arg-type]


def test_streams_the_answer_piece_by_piece(server: OpenAICompatibleServer) -> None:
    prompt = build_answer_prompt("보고서가 제시한 3대 추진 전략은?", HITS)
    pieces = list(_client(server).stream(prompt, max_new_tokens=64, temperature=0.2))
    assert pieces == PIECES
    req = server.requests[-1]
    assert req["stream"] is True and req["max_tokens"] == 64 and req["temperature"] == 0.2
    assert [m["role"] for m in req["messages"]] == ["system", "user"]
    assert '<passage id="1"' in req["messages"][1]["content"]


def test_stop_strings_cut_the_stream(server: OpenAICompatibleServer) -> None:
    server.backends["scripted"] = ScriptedBackend(["보고서가 제시한 전략 중\n", "두 번째는?"])
    prompt = build_rewrite_prompt("그럼 두 번째는?", [("3대 전략은?", "…")])
    assert "".join(_client(server).stream(prompt)) == "보고서가 제시한 전략 중"
    assert server.requests[-1]["stop"] == ["\n"]


def test_retries_busy_answers_then_succeeds(server: OpenAICompatibleServer) -> None:
    server.fail_next = 2
    prompt = build_answer_prompt("전략은?", HITS)
    assert "".join(_client(server, max_retries=2).stream(prompt)).endswith("[1].")
    assert len(server.requests) == 3


def test_gives_up_after_bounded_retries(server: OpenAICompatibleServer) -> None:
    server.fail_next = 5
    with pytest.raises(ModelUnavailableError, match=r"503.*after 2 tries"):
        list(_client(server, max_retries=1).stream(build_answer_prompt("전략은?", HITS)))
    assert len(server.requests) == 2


def test_a_wrong_model_name_lists_the_served_models(server: OpenAICompatibleServer) -> None:
    with pytest.raises(ModelUnavailableError) as err:
        list(_client(server, model="gpt-9").stream(build_answer_prompt("전략은?", HITS)))
    message = str(err.value)
    assert "has no model 'gpt-9'" in message and "scripted" in message
    assert "--generator openai:" in message


def test_a_wrong_key_is_reported(server: OpenAICompatibleServer) -> None:
    with pytest.raises(ModelUnavailableError, match="refused the API key"):
        list(_client(server, api_key="wrong").stream(build_answer_prompt("전략은?", HITS)))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_server_down_is_a_clear_error_after_retries() -> None:
    backend = OpenAIBackend(
        "m", f"http://127.0.0.1:{_closed_port()}/v1", max_retries=2, backoff_s=0.01,
        connect_timeout_s=1.0,
    )
    t0 = time.perf_counter()
    with pytest.raises(ModelUnavailableError) as err:
        list(backend.stream(build_answer_prompt("전략은?", HITS)))
    assert "cannot reach the OpenAI-compatible server" in str(err.value)
    assert "REPORTQA_OPENAI_BASE_URL" in str(err.value) and "after 3 tries" in str(err.value)
    assert time.perf_counter() - t0 < 5


def test_a_wrong_base_url_says_so(server: OpenAICompatibleServer) -> None:
    backend = OpenAIBackend("scripted", server.base_url.removesuffix("/v1") + "/nope",
                            api_key="sk-test")
    with pytest.raises(ModelUnavailableError, match="was not found"):
        list(backend.stream(build_answer_prompt("전략은?", HITS)))


def test_a_stalled_server_times_out() -> None:
    class Stalled(ScriptedBackend):
        def stream(self, prompt, max_new_tokens=None, temperature=None):  # type: ignore[no-untyped-def]
            yield "시작"
            time.sleep(3)
            yield "끝"

    with OpenAICompatibleServer({"slow": Stalled([])}) as srv:
        backend = OpenAIBackend("slow", srv.base_url, read_timeout_s=0.5, max_retries=0)
        got: list[str] = []
        with pytest.raises(ModelUnavailableError, match=r"no answer .* within"):
            for piece in backend.stream(build_answer_prompt("전략은?", HITS)):
                got.append(piece)
        assert got == ["시작"]  # what came before the stall was delivered, never repeated


def test_non_streaming_servers_are_read_too() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"choices": [{"message": {"content": "답 [1]."}}]})

    backend = OpenAIBackend("m", "http://test/v1", transport=httpx.MockTransport(handler))
    assert list(backend.stream(build_answer_prompt("전략은?", HITS))) == ["답 [1]."]


@pytest.mark.integration
def test_a_local_model_served_over_http(tmp_path: Path) -> None:
    """The tiny transformers model behind the server: the whole path, tokens over SSE."""
    model = TransformersBackend(str(build_tiny_model(tmp_path / "tiny")), tmp_path, "cpu")
    with OpenAICompatibleServer({"tiny": model}) as srv:
        pieces = list(OpenAIBackend("tiny", srv.base_url).stream(
            build_answer_prompt("보고서가 제시한 3대 추진 전략은?", HITS), max_new_tokens=6
        ))
    assert 1 <= len(pieces) <= 7 and "".join(pieces).strip()  # a token each, then the end


@pytest.mark.integration
def test_reads_our_own_apps_openai_compatible_endpoint(sample_settings, sample_pipeline, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The client against the portal's ``/v1/chat/completions`` (the whole bot as a "model")."""
    import app
    from answer.generators.prompting import Prompt
    from server.background import BackgroundServer

    settings = sample_settings.replace(home=tmp_path, rate_limit_per_minute=1000)
    server = BackgroundServer(app.create_server_app(settings, pipeline=sample_pipeline))
    url = server.start()
    try:
        question = "보고서가 제시한 3대 추진 전략은?"
        prompt = Prompt(({"role": "user", "content": question},), question, (), "ko")
        pieces = list(OpenAIBackend("reportqa", f"{url.rstrip('/')}/v1").stream(prompt))
    finally:
        server.stop()
    assert pieces and "산학연 협력 생태계 조성" in "".join(pieces) and "[1]" in "".join(pieces)
