"""The chat in a real browser on a server with REPORTQA_API_KEY set: the page preview of a cited
PDF page loads (a signed URL: an <img> cannot send the key), the admin panel lists and uploads
with the admin key alone, and the collection note follows the upload without a reload. And a
question the rate limit refuses says why and when to ask again, not a bare "Error"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reportqa.settings import Settings
from server.background import BackgroundServer

pytestmark = [pytest.mark.integration, pytest.mark.ui, pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
API_KEY = "browser-api-key-7"
ADMIN = "browser-admin-key-7"


def test_previews_and_the_admin_panel_work_with_an_api_key(
    page: Any, sample_settings: Settings, wind_index: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    import app

    settings = sample_settings.replace(
        home=tmp_path / "home", api_key=API_KEY, admin_key=ADMIN, rate_limit_per_minute=1000
    )
    upload = tmp_path / "harbour.en.md"
    upload.write_text(
        "# Harbour renewal plan\n\nThe harbour office in Tromso runs the harbour works.\n",
        encoding="utf-8",
    )
    server_app = app.create_server_app(settings, indexes=[f"wind={wind_index}"])
    with BackgroundServer(server_app) as url:
        page.goto(f"{url}/")
        expect(page.locator("#rq-corpus")).to_contain_text("1 documents")
        page.locator("#rq-question textarea").fill("Who runs the wind farm?")
        page.locator("#rq-question textarea").press("Enter")
        expect(page.locator("#rq-chat a.rq-cite").first).to_be_visible(timeout=120_000)
        card = page.locator("#rq-sources .rq-src-t1-1")
        card.locator("details.rq-page-box summary").click()
        expect(card.locator("img.rq-page-img")).to_be_visible()
        page.wait_for_function(
            "() => { const i = document.querySelector('#rq-sources img.rq-page-img');"
            " return i && i.complete && i.naturalWidth > 500; }"
        )
        src = card.locator("img.rq-page-img").get_attribute("src") or ""
        assert "sig=" in src and "exp=" in src
        # the admin panel with the admin key only: the list, then an upload
        page.get_by_text("관리 · Admin").click()
        page.locator("#rq-admin-key").fill(ADMIN)
        page.locator("#rq-admin-list").click()
        expect(page.locator("#rq-admin-docs")).to_contain_text("vardo-wind.en.pdf")
        page.locator("#rq-admin-files").set_input_files(str(upload))
        page.locator("#rq-admin-upload").click()
        expect(page.locator("#rq-admin-status")).to_contain_text("now answering from it", timeout=120_000)
        # the note follows the new version without a reload
        expect(page.locator("#rq-corpus")).to_contain_text("2 documents", timeout=30_000)
        expect(page.locator("#rq-corpus")).to_contain_text("Harbour renewal plan")
        shown = page.content()
        assert API_KEY not in shown and ADMIN not in shown  # typed in, never written out
        page.screenshot(path=str(ARTIFACTS / "chat-keyed-admin.png"), full_page=True)


def test_a_rate_limited_question_says_when_to_ask_again(
    page: Any, sample_settings: Settings, sample_pipeline: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    import app

    settings = sample_settings.replace(home=tmp_path / "home", rate_limit_per_minute=1)
    with BackgroundServer(app.create_server_app(settings, pipeline=sample_pipeline)) as url:
        page.goto(f"{url}/")  # the page's own load call takes the one request a minute
        expect(page.locator("#rq-corpus")).to_contain_text("documents")
        page.wait_for_function("() => document.body.dataset.rqChat === 'ready'")  # its fetch hook
        question = "보고서가 제시한 3대 추진 전략은?"
        notice = page.locator("#rq-notice")
        for _ in range(2):  # should the load not have counted, the second question is refused
            page.locator("#rq-question textarea").fill(question)
            page.locator("#rq-question textarea").press("Enter")
            page.wait_for_function(
                "() => document.querySelector('#rq-notice') ||"
                " document.querySelector('#rq-chat a.rq-cite')",
                timeout=120_000,
            )
            if notice.count():
                break
        expect(notice).to_be_visible()
        expect(notice).to_contain_text("초 뒤에 다시 질문해 주세요")
        expect(notice).to_contain_text("ask again in")
        text = notice.inner_text()
        assert any(ch.isdigit() for ch in text), text
        errors = page.locator("[data-testid=status-tracker] .error")
        assert all(not errors.nth(i).is_visible() for i in range(errors.count()))
        expect(page.locator("#rq-send")).to_be_visible()  # Send is back
        expect(page.locator("#rq-stop")).to_be_hidden()
        expect(page.locator("#rq-question textarea")).to_have_value(question)
        page.screenshot(path=str(ARTIFACTS / "chat-rate-limited.png"))
