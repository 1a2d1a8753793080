"""The chat's admin panel in a real browser: upload a file with the admin key, watch the job
until the new version answers, list the documents and remove one; a wrong key is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reportqa.settings import Settings
from server.background import BackgroundServer

pytestmark = [pytest.mark.integration, pytest.mark.ui, pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ADMIN = "browser-admin-key-42"


def test_admin_uploads_lists_and_removes_documents(page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    import app
    from index.indexing import ingest_paths

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "harbour.en.md").write_text(
        "# Harbour renewal plan\n\nThe harbour office in Tromso runs the works.\n", encoding="utf-8"
    )
    settings = Settings.load(
        {"home": tmp_path / "home", "index_dir": tmp_path / "ports", "admin_key": ADMIN,
         "rate_limit_per_minute": 1000},
        env={},
    )
    ingest_paths([docs], settings)
    upload = tmp_path / "vardo.en.md"
    upload.write_text(
        "# Vardo wind farm\n\nThe Vardo wind farm is run by the Northern Wind Cooperative.\n",
        encoding="utf-8",
    )
    with BackgroundServer(app.create_server_app(settings)) as url:
        page.goto(f"{url}/")
        page.get_by_text("관리 · Admin").click()
        expect(page.locator("#rq-admin-key")).to_be_visible()
        page.locator("#rq-admin-files").set_input_files(str(upload))
        page.locator("#rq-admin-key").fill("wrong")
        page.locator("#rq-admin-upload").click()
        expect(page.locator("#rq-admin-status")).to_contain_text("admin key")
        page.locator("#rq-admin-key").fill(ADMIN)
        page.locator("#rq-admin-upload").click()
        status = page.locator("#rq-admin-status")
        expect(status).to_contain_text("now answering from it", timeout=120_000)
        expect(status).to_contain_text("vardo.en.md: added")
        expect(page.locator("#rq-admin-docs")).to_contain_text("vardo.en.md")
        page.screenshot(path=str(ARTIFACTS / "chat-admin-upload.png"), full_page=True)
        # the chat answers from it without a restart
        page.locator("#rq-question textarea").fill("Who runs the Vardo wind farm?")
        page.locator("#rq-question textarea").press("Enter")
        expect(page.locator("#rq-chat [data-testid=bot]").last).to_contain_text("Cooperative")
        # remove it
        row = page.locator("#rq-admin-docs li", has_text="vardo.en.md")
        row.locator(".rq-admin-remove").click()
        expect(status).to_contain_text("Removed: vardo.en.md")
        expect(page.locator("#rq-admin-docs")).not_to_contain_text("vardo.en.md", timeout=40_000)
