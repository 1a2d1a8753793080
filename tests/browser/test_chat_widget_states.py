"""The floating widget in a real browser: the close button and Escape close its panel, the
conversation survives a reload (sessionStorage), ``data-collection`` reaches the server, and the
example questions are the collection's own (none for an index without any)."""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from reportqa.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.ui, pytest.mark.browser, pytest.mark.slow]

PAGE = """<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>portal</title></head>
<body><h1>Portal</h1>
<script src="{chat}/widget/embed.js" data-lang="ko" data-collection="{collection}" async></script>
</body></html>"""


class FloatingPortal:
    """A portal page on 127.0.0.1 with the floating widget (a real local server: Chromium does
    not let a page it cannot place in the local network load the widget from 127.0.0.1)."""

    def __init__(self) -> None:
        self.chat = ""
        portal = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                collection = parse_qs(urlsplit(self.path).query).get("collection", [""])[0]
                body = PAGE.format(chat=portal.chat, collection=html.escape(collection)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def floating() -> Iterator[FloatingPortal]:
    portal = FloatingPortal()
    yield portal
    portal.httpd.shutdown()
    portal.httpd.server_close()


def test_floating_widget_closes_keeps_its_conversation_and_names_its_collection(
    page: Any, floating: FloatingPortal, chat_server: Any, sample_settings: Settings,
    sample_pipeline: Any,
) -> None:
    from playwright.sync_api import expect

    url, _ = chat_server(
        sample_settings.replace(frame_ancestors=floating.url, rate_limit_per_minute=1000),
        sample_pipeline,
    )
    floating.chat = url
    name = sample_settings.resolved_index_dir.name

    def serve_page(collection: str) -> str:
        return f"{floating.url}/portal.html?collection={collection}"

    page.goto(serve_page(name))
    launcher = page.locator("button.reportqa-launcher")
    panel = page.locator("div.reportqa-panel")
    launcher.click()
    expect(panel).to_be_visible()
    widget = page.frame_locator("iframe.reportqa-frame")
    # a named index lists no example questions of the battery report
    expect(widget.locator("#rq-input")).to_be_visible()
    page.wait_for_timeout(500)
    assert widget.locator("#rq-examples button").count() == 0
    widget.locator("#rq-input").fill("보고서가 제시한 3대 추진 전략은?")
    widget.locator("#rq-input").press("Enter")
    expect(widget.locator(".rq-bot .rq-cite").first).to_be_visible()

    # the close button, then Escape inside the widget, then Escape on the page
    widget.locator("#rq-close").click()
    expect(panel).to_be_hidden()
    launcher.click()
    expect(panel).to_be_visible()
    widget.locator("#rq-input").press("Escape")
    expect(panel).to_be_hidden()
    launcher.click()
    page.locator("h1").click()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()

    # a reload keeps the conversation (this tab's sessionStorage)
    page.reload()
    page.locator("button.reportqa-launcher").click()
    widget = page.frame_locator("iframe.reportqa-frame")
    expect(widget.locator(".rq-user")).to_have_text(["보고서가 제시한 3대 추진 전략은?"])
    expect(widget.locator(".rq-bot .rq-cite").first).to_be_visible()
    page.screenshot(path=str(portal_artifact("widget-floating-restored.png")))

    # data-collection reaches the server: an unknown one is a readable error, not an answer
    page.goto(serve_page("nope"))
    page.locator("button.reportqa-launcher").click()
    widget = page.frame_locator("iframe.reportqa-frame")
    widget.locator("#rq-input").fill("전략은?")
    widget.locator("#rq-input").press("Enter")
    expect(widget.locator(".rq-error")).to_contain_text("no collection 'nope'")


def portal_artifact(name: str) -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parents[2] / "test-artifacts" / name
