"""The Gradio chat in a real browser with two collections: the picker, each answer's own sources
after two questions, a PDF page preview with the passage highlighted, the phone layout and dark
mode. Screenshots go to test-artifacts/ (gitignored); look at them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reportqa.settings import Settings
from server.background import BackgroundServer

pytestmark = [pytest.mark.integration, pytest.mark.ui, pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
KO_QUESTION = "보고서가 제시한 3대 추진 전략은?"
@pytest.fixture(scope="module")
def two_url(
    sample_settings: Settings, sample_pipeline: Any, wind_index: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    import app

    wind = wind_index
    settings = sample_settings.replace(
        home=tmp_path_factory.mktemp("chat-home"), rate_limit_per_minute=1000
    )
    specs = [f"sample={sample_settings.resolved_index_dir}", f"wind={wind}"]
    server = BackgroundServer(app.create_server_app(settings, pipeline=sample_pipeline, indexes=specs))
    yield server.start()
    server.stop()


def ask(page: Any, question: str, answers_before: int) -> Any:
    from playwright.sync_api import expect

    page.locator("#rq-question textarea").fill(question)
    page.locator("#rq-question textarea").press("Enter")
    bots = page.locator("#rq-chat [data-testid=bot]")
    expect(bots).to_have_count(answers_before + 1)
    answer = bots.nth(answers_before)
    expect(answer.locator("a.rq-cite").first).to_be_visible(timeout=120_000)
    return answer


def pick(page: Any, label: str) -> None:
    from playwright.sync_api import expect

    page.locator("#rq-collection input").click()
    page.get_by_role("option", name=label).click()
    expect(page.locator("#rq-corpus")).to_contain_text(label if label != "전체 · All collections" else "All")


def test_picker_sources_per_answer_and_page_preview(page: Any, two_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{two_url}/")
    expect(page.locator("#rq-collection")).to_be_visible()
    expect(page.locator("#rq-corpus")).to_contain_text("sample")
    body = page.locator("body")
    expect(body).not_to_contain_text("/tmp/")  # no server path anywhere

    first = ask(page, KO_QUESTION, 0)
    expect(first).to_contain_text("산학연 협력 생태계 조성")
    second = ask(page, "What are the three strategies?", 1)
    expect(page.locator('#rq-sources .rq-src-t2-1')).to_be_visible()
    # [1] of the FIRST answer shows the first answer's passage (its own inline sources)
    first.locator("a.rq-cite").first.click()
    own = first.locator('.rq-src-t1-1')
    expect(own).to_be_visible()
    expect(own).to_contain_text("03-strategies-and-tasks.ko.md")
    expect(second.locator("details.rq-inline")).not_to_have_attribute("open", "")
    page.screenshot(path=str(ARTIFACTS / "chat-two-answers.png"), full_page=True)

    # the other collection: its PDF page, the passage highlighted
    pick(page, "wind")
    expect(page.locator("#rq-chat")).not_to_contain_text("산학연")  # a new conversation
    ask(page, "Who runs the wind farm?", 0)
    card = page.locator('#rq-sources .rq-src-t1-1')
    expect(card).to_contain_text("vardo-wind.en.pdf")
    card.locator("details.rq-page-box summary").click()
    img = card.locator("img.rq-page-img")
    expect(img).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('#rq-sources img.rq-page-img');"
        " return i && i.complete && i.naturalWidth > 500; }"
    )
    expect(body).not_to_contain_text("/tmp/")
    page.screenshot(path=str(ARTIFACTS / "chat-page-preview.png"), full_page=True)

    # all collections: citations of both
    pick(page, "전체 · All collections")
    ask(page, "What are the three strategies?", 0)
    expect(page.locator("#rq-sources")).to_contain_text("sample")
    expect(page.locator("#rq-sources")).to_contain_text("wind")  # each card names its collection
    page.screenshot(path=str(ARTIFACTS / "chat-all-collections.png"), full_page=True)


def test_phone_layout_and_dark_mode(browser: Any, two_url: str) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
        has_touch=True, color_scheme="dark",
    )
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{two_url}/?__theme=dark")
        answer = ask(page, KO_QUESTION, 0)
        # the side panel is hidden on a phone; the sources sit in the answer, one tap away
        expect(page.locator("#rq-sources-col")).to_be_hidden()
        answer.locator("a.rq-cite").first.click()
        passage = answer.locator('.rq-src-t1-1')
        expect(passage).to_be_visible()
        mark = passage.locator("mark").first
        expect(mark).to_be_visible()
        colour = mark.evaluate("m => getComputedStyle(m).color")
        background = mark.evaluate("m => getComputedStyle(m).backgroundColor")
        assert colour == "rgb(31, 41, 55)" and background == "rgb(253, 230, 138)", (colour, background)
        box = answer.bounding_box()
        assert box is not None and box["width"] <= 390
        page.screenshot(path=str(ARTIFACTS / "chat-phone-dark.png"))
    finally:
        context.close()


def test_readme_screenshot_on_the_sample_index(
    browser: Any, sample_settings: Settings, sample_pipeline: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The chat as the README shows it (docs/images/chat.png is copied from this artifact)."""
    from playwright.sync_api import expect

    import app

    settings = sample_settings.replace(
        home=tmp_path_factory.mktemp("readme-home"), rate_limit_per_minute=1000
    )
    specs = [f"sample={sample_settings.resolved_index_dir}"]  # named as `reportqa serve` names it
    server = BackgroundServer(app.create_server_app(settings, pipeline=sample_pipeline, indexes=specs))
    url = server.start()
    context = browser.new_context(viewport={"width": 1200, "height": 800}, locale="ko-KR")
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{url}/")
        expect(page.locator("#rq-collection")).to_be_hidden()  # one collection: no picker
        ask(page, KO_QUESTION, 0)
        expect(page.locator("#rq-sources mark").first).to_be_visible()
        expect(page.get_by_role("button", name="Run")).to_have_count(0)
        # down to the Clear button: nothing cut off at the bottom edge
        bottom = page.locator("#rq-feedback-comment").bounding_box()
        assert bottom is not None
        page.screenshot(
            path=str(ARTIFACTS / "chat-readme.png"),
            clip={"x": 0, "y": 0, "width": 1200, "height": min(800, bottom["y"] - 6)},
        )
    finally:
        context.close()
        server.stop()
