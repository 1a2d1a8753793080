"""The chat's stop button in a real browser: a slow generator (a scripted OpenAI-compatible
server on 127.0.0.1) is cut off mid-answer, and Send comes back."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from reportqa.settings import Settings

sys.path.insert(0, str(Path(__file__).parents[1] / "answer"))
from generation_helpers import ScriptedBackend

pytestmark = [pytest.mark.integration, pytest.mark.ui, pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PIECE_S = 0.4  # 30 pieces: 12 s, far longer than the test waits before pressing Stop


class SlowBackend(ScriptedBackend):
    def stream(self, prompt: Any, max_new_tokens: int | None = None,
               temperature: float | None = None) -> Iterator[str]:
        self.prompts.append(prompt)
        for piece in self.pieces:
            time.sleep(PIECE_S)
            yield piece


def test_stop_cuts_a_slow_answer_off(
    page: Any, chat_server: Any, sample_settings: Settings, sample_pipeline: Any
) -> None:
    from playwright.sync_api import expect

    from answer.generators.local_server import OpenAICompatibleServer
    from answer.pipeline import QAPipeline

    pieces: Sequence[str] = [f"조각{i} " for i in range(29)] + ["끝맺음 [1]."]
    with OpenAICompatibleServer({"slow": SlowBackend(pieces)}) as srv:
        settings = sample_settings.replace(
            generator="openai:slow", openai_base_url=srv.base_url, rate_limit_per_minute=1000
        )
        pipeline = QAPipeline(settings, index=sample_pipeline.index, embedder=sample_pipeline._embedder)
        url, _ = chat_server(settings, pipeline)
        page.goto(f"{url}/")
        page.locator("#rq-question textarea").fill("보고서가 제시한 3대 추진 전략은?")
        page.locator("#rq-question textarea").press("Enter")
        expect(page.locator("#rq-stop")).to_be_visible()
        expect(page.locator("#rq-send")).to_be_hidden()
        bot = page.locator("#rq-chat [data-testid=bot]").last
        expect(bot).to_contain_text("조각2")  # written while it streams
        # the bot's buttons but Copy: the thumbs (named in the page's language: 좋아요, 싫어요)
        thumbs = page.locator("#rq-chat .message-buttons-left button:not([aria-label='Copy message'])")
        assert thumbs.count() >= 1  # Gradio renders them on the answer being written
        assert not any(thumbs.nth(i).is_visible() for i in range(thumbs.count()))
        page.locator("#rq-stop").click()
        expect(page.locator("#rq-send")).to_be_visible()
        expect(page.locator("#rq-stop")).to_be_hidden()
        expect(bot).to_contain_text("Stopped")  # marked stopped, its cursor gone
        time.sleep(PIECE_S * 6)
        text = bot.inner_text()
        assert "끝맺음" not in text and "▌" not in text, text  # the rest never came
        # Gradio gives the earlier answers thumbs while the next one is written: not a stopped one
        page.locator("#rq-question textarea").fill("3대 추진 전략을 다시 알려 주세요")
        page.locator("#rq-question textarea").press("Enter")
        second = page.locator("#rq-chat [data-testid=bot]").nth(1)
        expect(second).to_contain_text("조각1")
        assert thumbs.count() >= 1
        assert not any(thumbs.nth(i).is_visible() for i in range(thumbs.count()))
        page.locator("#rq-stop").click()
        expect(second).to_contain_text("Stopped")
        page.screenshot(path=str(ARTIFACTS / "chat-stopped.png"))
