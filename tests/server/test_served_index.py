"""Serving after an ingest (issue 15, item 8): a running server follows new index versions without a
restart, and every request's answer, health and documents come from one version, also under load.

Real ingests into a temp index, a real server on 127.0.0.1, concurrent clients during the swap."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from reportqa.settings import Settings
from server.background import BackgroundServer
from server.served_index import current_name

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FIRST = "Solberg harbour report\n\nThe Solberg harbour has 12 cranes and opened in 1998.\n"
SECOND = (
    "Vardo wind farm report\n\n"
    "The Vardo wind farm has 31 turbines on the northern ridge.\n\n"
    "It was completed in 2019 and produces 105 megawatts.\n"
)
NEW_QUESTION = "How many turbines does the Vardo wind farm have?"


def ingest(folder: Path, settings: Settings) -> None:
    from index.indexing import ingest_paths

    summary = ingest_paths([folder], settings)
    assert summary.chunks >= 1, summary


def test_a_served_index_follows_new_versions_under_load(tmp_path: Path) -> None:
    import app

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "solberg.txt").write_text(FIRST, encoding="utf-8")
    settings = Settings.load(
        {"home": tmp_path / "home", "index_dir": tmp_path / "index", "rate_limit_per_minute": 0},
        env={},
    )
    ingest(docs, settings)
    old_version = current_name(settings.resolved_index_dir)
    server_app = app.create_server_app(settings)
    server_app.state.backend.warm_up()

    with BackgroundServer(server_app) as url, httpx.Client(base_url=url, timeout=60) as c:
        r = c.post("/api/v1/ask", json={"question": NEW_QUESTION})
        assert r.json()["abstained"] and r.json()["index_version"] == old_version
        assert c.get("/api/v1/health").json()["documents"] == 1

        # Clients ask and read health all through the ingest and the swap.
        seen: list[tuple[str, Any]] = []
        errors: list[str] = []
        stop = threading.Event()

        def client_loop() -> None:
            with httpx.Client(base_url=url, timeout=60) as cc:
                while not stop.is_set():
                    a = cc.post("/api/v1/ask", json={"question": NEW_QUESTION})
                    h = cc.get("/api/v1/health")
                    d = cc.get("/api/v1/documents")
                    for resp in (a, h, d):
                        if resp.status_code != 200:
                            errors.append(f"{resp.request.url} {resp.status_code} {resp.text[:200]}")
                    if a.status_code == 200:
                        seen.append(("ask", a.json()))
                    if h.status_code == 200:
                        seen.append(("health", h.json()))

        threads = [threading.Thread(target=client_loop) for _ in range(3)]
        for t in threads:
            t.start()
        (docs / "vardo.txt").write_text(SECOND, encoding="utf-8")
        ingest(docs, settings)
        new_version = current_name(settings.resolved_index_dir)
        assert new_version != old_version
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if c.get("/api/v1/health").json()["index_version"] == new_version:
                break
            time.sleep(0.2)
        picked_up = time.monotonic()
        time.sleep(1.5)  # keep the clients running on the new version for a while
        stop.set()
        for t in threads:
            t.join()

        assert errors == []
        health = c.get("/api/v1/health").json()
        assert health["index_version"] == new_version and health["documents"] == 2
        assert health["index_loaded"] is True
        listed = {d["file"] for d in c.get("/api/v1/documents").json()["documents"]}
        assert listed == {"solberg.txt", "vardo.txt"}
        r = c.post("/api/v1/ask", json={"question": NEW_QUESTION}).json()
        assert not r["abstained"] and "31 turbines" in r["answer"]
        assert r["citations"][0]["document"].startswith("vardo")
        assert r["index_version"] == new_version

        # Every answer matches the version it says it came from: never new facts from the old
        # version or the old "not found" from the new one; health counts match its version.
        asks = [body for kind, body in seen if kind == "ask"]
        assert asks, "the clients got no answers during the ingest"
        for body in asks:
            assert body["index_version"] in (old_version, new_version)
            assert body["abstained"] == (body["index_version"] == old_version), body
        for kind, body in seen:
            if kind == "health":
                assert body["documents"] == (1 if body["index_version"] == old_version else 2)
        old_n = sum(body["index_version"] == old_version for body in asks)
        print(
            f"\nnew version served {picked_up - deadline + 60:.1f} s after the ingest saved; "
            f"{len(asks)} answers during it ({old_n} old, {len(asks) - old_n} new), 0 errors"
        )


def test_the_old_version_keeps_answering_when_a_new_one_cannot_be_loaded(
    tmp_path: Path,
) -> None:
    from server.served_index import ServedIndex

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "solberg.txt").write_text(FIRST, encoding="utf-8")
    settings = Settings.load({"home": tmp_path / "home", "index_dir": tmp_path / "index"}, env={})
    ingest(docs, settings)
    served = ServedIndex(settings, poll_s=0.0)
    first = served.current()
    assert first.pipeline.ask("How many cranes does the Solberg harbour have?").citations
    # A CURRENT that names a version without a manifest (a broken copy, a bad restore).
    index_dir = settings.resolved_index_dir
    (index_dir / "v-broken").mkdir()
    (index_dir / "CURRENT").write_text("v-broken\n", encoding="utf-8")
    served.current()
    served.wait_idle()
    assert served.current() is first and served.swaps == 0
