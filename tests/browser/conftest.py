"""A real browser for the widget tests: Debian's chromium driven by Playwright (never a downloaded
browser), headless and kept off the network; the chat server and a mock portal on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from reportqa.settings import REPO_ROOT, Settings
from server.background import BackgroundServer

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO_ROOT / "test-artifacts"
EXAMPLES = REPO_ROOT / "examples"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            "browser tests need Debian's chromium at /usr/bin/chromium "
            "(`make system-deps` installs it; .ci/run does)"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="browser tests need the playwright package (pip)"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that can reach 127.0.0.1 only; dialogs (alert) are recorded and dismissed."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="ko-KR")

    def local_only(route: Any) -> None:
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost") or route.request.url.startswith("data:"):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", local_only)
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]

    def on_dialog(dialog: Any) -> None:
        page.dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.set_default_timeout(60_000)
    yield page
    context.close()


class PortalServer:
    """Serves ``examples/`` on 127.0.0.1, pointing the portal's snippet at the chat server."""

    def __init__(self) -> None:
        self.chat_url = "http://127.0.0.1:7860"
        portal = self

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path.split("?")[0] == "/portal.html":
                    text = (EXAMPLES / "portal.html").read_text(encoding="utf-8")
                    body = text.replace("http://127.0.0.1:7860", portal.chat_url).encode("utf-8")
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                super().do_GET()

        self.httpd = ThreadingHTTPServer(
            ("127.0.0.1", 0), partial(Handler, directory=str(EXAMPLES))
        )
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def portal() -> Iterator[PortalServer]:
    server = PortalServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def chat_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., tuple[str, Settings]]]:
    """``chat_server(settings, pipeline=None) -> (url, settings)``: the real app in a thread."""
    import app

    servers: list[BackgroundServer] = []

    def start(settings: Settings, pipeline: Any = None) -> tuple[str, Settings]:
        settings = settings.replace(home=tmp_path_factory.mktemp("browser-home"))
        server = BackgroundServer(app.create_server_app(settings, pipeline=pipeline))
        servers.append(server)
        return server.start(), settings

    yield start
    for server in servers:
        server.stop()


WIND_LINES = [
    ["Vardo wind farm plan", "This plan describes a wind farm on the northern ridge of Vardo."],
    [
        "Strategies",
        "The Vardo wind farm plan sets out three strategies: build forty turbines, connect the "
        "farm to the regional grid by 2028, and train local technicians.",
        "The farm is run by the Northern Wind Cooperative, founded in 2019 in Vardo.",
        "Each turbine produces 4.2 megawatts at rated wind speed.",
    ],
]


@pytest.fixture(scope="session")
def wind_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-PDF index (fpdf2, two pages, the plan's facts on page 2), built once."""
    from fpdf import FPDF

    from index.indexing import ingest_paths

    tmp = tmp_path_factory.mktemp("wind")
    docs = tmp / "docs"
    docs.mkdir()
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for lines in WIND_LINES:
        pdf.add_page()
        for line in lines:
            pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    (docs / "vardo-wind.en.pdf").write_bytes(bytes(pdf.output()))
    settings = Settings.load({"home": tmp / "home", "index_dir": tmp / "wind"}, env={})
    assert ingest_paths([docs], settings).documents == 1
    return tmp / "wind"
