"""The widget in a real browser: embedded in the mock portal, answering a Korean question with a
citation that opens its source passage; a document with a script tag shows as text, runs nothing.

Screenshots go to test-artifacts/ (gitignored)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reportqa.settings import Settings
from server.feedback import FeedbackStore

pytestmark = [pytest.mark.integration, pytest.mark.ui, pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

EVIL = (
    '# 재활용 실증센터 안내 <img src=x onerror="window.__pwned=\'img\';alert(\'img\')">\n\n'
    "배터리 재활용 실증센터는 안성시 보개면에 들어선다 "
    "<script>window.__pwned='script';alert('xss')</script> 라고 안내문은 밝혔다.\n\n"
    '실증센터의 운영은 <b onmouseover="alert(1)">경기배터리재활용공사</b>가 맡는다.\n'
)


def test_portal_widget_answers_a_korean_question_with_its_source(
    page: Any, portal: Any, chat_server: Any, sample_settings: Settings, sample_pipeline: Any
) -> None:
    from playwright.sync_api import expect

    url, settings = chat_server(
        sample_settings.replace(frame_ancestors=portal.url, rate_limit_per_minute=1000),
        sample_pipeline,
    )
    portal.chat_url = url
    page.goto(f"{portal.url}/portal.html")
    widget = page.frame_locator("iframe.reportqa-frame")
    expect(widget.locator(".rq-foot")).to_contain_text("powered by")

    # the UI language switch
    widget.locator(".rq-lang-btn[data-lang=en]").click()
    expect(widget.locator("#rq-input")).to_have_attribute("placeholder", "Ask a question")
    expect(widget.locator("#rq-send")).to_have_text("Send")
    widget.locator(".rq-lang-btn[data-lang=ko]").click()
    expect(widget.locator("#rq-send")).to_have_text("보내기")

    widget.locator("#rq-input").fill("보고서가 제시한 3대 추진 전략은?")
    widget.locator("#rq-input").press("Enter")
    answer = widget.locator(".rq-bot").last
    marker = answer.locator("button.rq-cite").first
    expect(marker).to_have_text("[1]")
    expect(answer.locator(".rq-text")).to_contain_text("산학연 협력 생태계 조성")

    passage = answer.locator(".rq-passage").first
    expect(passage).to_be_hidden()
    marker.click()
    expect(passage).to_be_visible()
    expect(passage).to_contain_text("03-strategies-and-tasks.ko.md")
    expect(passage.locator("mark").first).to_contain_text("3대 추진 전략")
    page.screenshot(path=str(ARTIFACTS / "portal-widget-ko.png"), full_page=True)

    # 👎 with a comment, from the widget
    answer.locator(".rq-thumb-down").click()
    expect(answer.locator(".rq-thanks")).not_to_be_empty()
    answer.locator(".rq-comment input").fill("전략 설명이 더 필요해요")
    answer.locator(".rq-comment button").click()
    expect(answer.locator(".rq-comment")).to_be_hidden()
    rows = list(FeedbackStore(settings.feedback_db).rows())
    assert [r.rating for r in rows] == ["down", "down"] and rows[-1].channel == "widget"
    assert rows[-1].comment == "전략 설명이 더 필요해요" and rows[-1].citations
    assert page.dialogs == []


def test_the_chat_ui_stores_a_thumbs_down_with_its_comment(
    page: Any, chat_server: Any, sample_settings: Settings, sample_pipeline: Any
) -> None:
    from playwright.sync_api import expect

    url, settings = chat_server(sample_settings.replace(rate_limit_per_minute=1000), sample_pipeline)
    page.goto(f"{url}/")
    page.locator("#rq-feedback-comment textarea").fill("출처 문단이 너무 길어요")
    box = page.locator("#rq-question textarea")
    box.fill("보고서가 제시한 3대 추진 전략은?")
    box.press("Enter")
    expect(page.locator("#rq-sources .rq-source").first).to_contain_text("3대 추진 전략")
    # Gradio labels its buttons in the browser's language (ko-KR here)
    dislike = "#rq-chat button[aria-label='싫어요'], #rq-chat button[aria-label='Dislike']"
    page.locator(dislike).last.click()
    expect(page.locator("#rq-feedback-note")).to_contain_text("Thank you")
    page.screenshot(path=str(ARTIFACTS / "ui-feedback.png"))
    (row,) = list(FeedbackStore(settings.feedback_db).rows())
    assert (row.channel, row.rating, row.comment) == ("ui", "down", "출처 문단이 너무 길어요")
    assert row.question == "보고서가 제시한 3대 추진 전략은?" and row.citations


def test_default_settings_keep_the_widget_out_of_other_origins_frames(
    page: Any, portal: Any, chat_server: Any, sample_settings: Settings, sample_pipeline: Any
) -> None:
    url, _ = chat_server(sample_settings, sample_pipeline)  # frame_ancestors: same origin only
    portal.chat_url = url
    page.goto(f"{portal.url}/portal.html")
    page.wait_for_selector("iframe.reportqa-frame", state="attached")
    page.wait_for_timeout(1500)
    widget_frames = [f for f in page.frames if f.url.startswith(url)]
    assert all(f.locator("#rq-input").count() == 0 for f in widget_frames)
    assert page.frame_locator("iframe.reportqa-frame").locator("#rq-input").count() == 0


@pytest.fixture(scope="module")
def evil_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """An index of one document whose text holds a script tag and event-handler attributes."""
    from index.indexing import ingest_paths

    folder = tmp_path_factory.mktemp("evil-docs")
    (folder / "security-check.txt").write_text(EVIL, encoding="utf-8")
    settings = Settings.load(
        {"home": tmp_path_factory.mktemp("evil-home"), "index_dir": folder.parent / "evil-index"},
        env={},
    )
    summary = ingest_paths([folder], settings)
    assert summary.documents == 1, summary.skipped
    from index.store import open_index

    text = "".join(c.text for c in open_index(settings.resolved_index_dir).chunks)
    assert "<script>" in text, "the txt loader no longer keeps markup; the test needs raw tags"
    return settings


def test_a_script_tag_in_a_document_shows_as_text_and_never_runs(
    page: Any, chat_server: Any, evil_index: Settings
) -> None:
    from playwright.sync_api import expect

    url, _ = chat_server(evil_index)
    question = "배터리 재활용 실증센터는 어디에 들어서나요?"

    # the widget
    page.goto(f"{url}/widget?lang=ko")
    page.locator("#rq-input").fill(question)
    page.locator("#rq-input").press("Enter")
    answer = page.locator(".rq-bot").last
    expect(answer.locator("button.rq-cite").first).to_be_visible()
    expect(answer.locator(".rq-text")).to_contain_text("<script>")
    expect(answer.locator(".rq-text")).to_contain_text('<b onmouseover="alert(1)">')
    answer.locator("button.rq-cite").first.click()
    passage = answer.locator(".rq-passage").first
    expect(passage).to_contain_text('<img src=x onerror="window.__pwned')
    expect(passage).to_contain_text("<script>")
    page.screenshot(path=str(ARTIFACTS / "widget-script-as-text.png"))
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("#rq-log script, #rq-log img, #rq-log b").count() == 0

    # the full Gradio UI
    page.goto(f"{url}/")
    box = page.locator("#rq-question textarea")
    box.fill(question)
    box.press("Enter")
    sources = page.locator("#rq-sources .rq-source").first
    expect(sources).to_contain_text("<script>window.__pwned")
    expect(page.locator("#rq-chat")).to_contain_text("<script>")
    page.wait_for_timeout(500)  # give any injected handler a chance to fire
    page.screenshot(path=str(ARTIFACTS / "ui-script-as-text.png"))
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("#rq-chat script, #rq-sources script, #rq-sources img").count() == 0
    # the corpus note lists the title as plain text, not as a Markdown heading or an image
    expect(page.locator("#rq-corpus")).to_contain_text("# 재활용 실증센터 안내 <img src=x")
    assert page.locator("#rq-corpus h1, #rq-corpus img").count() == 0
    assert page.dialogs == []
