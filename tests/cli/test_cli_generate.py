"""``reportqa ask --generator …`` streams the answer, then its checks (in process, real index)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from answer.generators.local_server import OpenAICompatibleServer
from cli import main
from reportqa.settings import Settings

sys.path.insert(0, str(Path(__file__).parents[1] / "answer"))
from generation_helpers import ScriptedBackend

pytestmark = pytest.mark.integration

PIECES = [
    "3대 추진 전략은 이차전지 산업 거점 확보, 특화분야 기술 및 기업 경쟁력 강화, ",
    "산학연 협력 생태계 조성이다 [1]. ",
    "경기도는 달에 공장을 짓는다 [1].",
]


def test_ask_with_an_openai_generator_streams_and_flags_unsupported_sentences(
    sample_settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with OpenAICompatibleServer({"scripted": ScriptedBackend(PIECES)}) as srv:
        monkeypatch.setenv("REPORTQA_OPENAI_BASE_URL", srv.base_url)
        code = main(
            [
                "ask",
                "보고서가 제시한 3대 추진 전략은?",
                "--index",
                str(sample_settings.resolved_index_dir),
                "--generator",
                "openai:scripted",
                "--max-new-tokens",
                "64",
            ]
        )
        assert srv.requests[0]["max_tokens"] == 64
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("3대 추진 전략은 이차전지 산업 거점 확보")
    assert "grounded: " in out
    assert "⚠ not supported by its sources: 경기도는 달에 공장을 짓는다 [1]." in out
    assert "\n[1] " in out  # the cited passage is listed


def test_an_unreachable_server_is_a_one_line_error(
    sample_settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPORTQA_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("REPORTQA_OPENAI_MAX_RETRIES", "0")
    code = main(
        [
            "ask",
            "보고서가 제시한 3대 추진 전략은?",
            "--index",
            str(sample_settings.resolved_index_dir),
            "--generator",
            "openai:m",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.splitlines()[-1].startswith("reportqa: error: openai:m: cannot reach")
    assert "Traceback" not in err
