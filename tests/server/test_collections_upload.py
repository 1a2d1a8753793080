"""Uploads over HTTP (server/uploads.py) against a real server: the admin key, the job with its
progress and per-file reasons, the new version answering without a restart, removal."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reportqa.settings import Settings
from server.uploads import UploadError, safe_file_name

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ADMIN = "admin-secret-0123456789"
HARBOUR = (
    "# Harbour renewal plan\n\nThe harbour renewal plan dredges the east basin to nine metres "
    "and rebuilds the ferry quay by 2027.\n\nThe harbour office in Tromso runs the works.\n"
)


def test_uploaded_names_become_plain_file_names() -> None:
    assert safe_file_name("../../etc/passwd") == "passwd"
    assert safe_file_name("C:\\Users\\x\\보고서.pdf") == "보고서.pdf"
    assert safe_file_name(".hidden.pdf") == "hidden.pdf"
    assert safe_file_name("a\x00b\nc.txt") == "abc.txt"
    assert len(safe_file_name("x" * 400 + ".pdf")) == 150 and safe_file_name("x" * 400 + ".pdf").endswith(".pdf")
    for bad in ("", "/", "...", "\x01"):
        with pytest.raises(UploadError, match="not usable"):
            safe_file_name(bad)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    import app
    from index.indexing import ingest_paths
    from server.background import BackgroundServer

    tmp = tmp_path_factory.mktemp("upload")
    docs = tmp / "docs"
    docs.mkdir()
    (docs / "harbour.en.md").write_text(HARBOUR, encoding="utf-8")
    settings = Settings.load(
        {"home": tmp / "home", "index_dir": tmp / "ports", "rate_limit_per_minute": 1000,
         "admin_key": ADMIN, "max_file_mb": 1.0},
        env={},
    )
    ingest_paths([docs], settings)
    srv = BackgroundServer(app.create_server_app(settings))
    yield srv.start(), settings
    srv.stop()


def wait_job(c: httpx.Client, job_id: str, until: str = "served") -> tuple[dict[str, Any], list[str]]:
    seen: list[str] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        body = c.get(f"/api/v1/jobs/{job_id}").json()
        seen.append(body["phase"])
        if body["state"] == "failed" or (body["state"] == "done" and (until == "done" or body["served"])):
            return body, seen
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish: {seen[-5:]}")


def test_admin_uploads_a_document_that_answers_without_a_restart(server: tuple[str, Settings]) -> None:
    url, settings = server
    wind = (
        b"# Vardo wind farm\n\nThe Vardo wind farm is run by the Northern Wind Cooperative, "
        b"founded in 2019.\nEach turbine produces 4.2 megawatts.\n"
    )
    files = [("files", ("../vardo.en.md", wind, "text/markdown")),
             ("files", ("broken.pdf", b"%PDF-1.4 not really", "application/pdf"))]
    auth = {"Authorization": f"Bearer {ADMIN}"}
    with httpx.Client(base_url=url, timeout=120) as c:
        no_key = c.post("/api/v1/collections/ports/documents", files=files)
        wrong = c.post("/api/v1/collections/ports/documents", files=files, headers={"Authorization": "Bearer nope"})
        big = c.post("/api/v1/collections/ports/documents", headers=auth,
                     files=[("files", ("big.txt", b"x" * (2 << 20), "text/plain"))])
        before = c.post("/api/v1/ask", json={"question": "Who runs the Vardo wind farm?"}).json()
        r = c.post("/api/v1/collections/ports/documents", files=files, headers=auth)
        assert r.status_code == 202, r.text
        job, phases = wait_job(c, r.json()["id"])
        after = c.post("/api/v1/ask", json={"question": "Who runs the Vardo wind farm?"}).json()
        listed = c.get("/api/v1/collections/ports/documents").json()
        removed = c.delete("/api/v1/collections/ports/documents/vardo.en.md", headers=auth)
        removed_again = c.delete("/api/v1/collections/ports/documents/vardo.en.md", headers=auth)
        unkeyed_delete = c.delete("/api/v1/collections/ports/documents/harbour.en.md")
        missing_job = c.get("/api/v1/jobs/nope")
    assert no_key.status_code == 401 and no_key.json()["error"]["code"] == "admin_key_required"
    assert wrong.status_code == 401
    assert big.status_code == 413, big.text
    assert "Cooperative" not in before["answer"]
    assert job["state"] == "done", job
    assert job["files"] == ["vardo.en.md", "broken.pdf"]
    by_file = {x["file"]: x for x in job["results"]}
    assert by_file["vardo.en.md"]["status"] == "added"
    assert by_file["broken.pdf"]["status"] == "skipped" and by_file["broken.pdf"]["reason"]
    assert job["served"] and job["index_version"]
    assert "done" in phases
    assert "Cooperative" in after["answer"] and after["citations"][0]["document"] == "vardo.en.md"
    assert after["citations"][0]["source"] == "vardo.en.md"  # never the upload folder's path
    assert "vardo.en.md" in {d["file"] for d in listed["documents"]}
    saved = list((settings.home / "uploads" / "ports").glob("*/vardo.en.md"))
    assert len(saved) == 1 and not list((settings.home / "uploads").rglob("broken.pdf"))
    assert removed.status_code == 200 and removed.json()["removed"] == ["vardo.en.md"]
    assert removed_again.status_code == 404
    assert unkeyed_delete.status_code == 401
    assert missing_job.status_code == 404


def test_uploads_are_off_without_an_admin_key(sample_settings: Settings, tmp_path: Path) -> None:
    import app
    from server.background import BackgroundServer

    settings = sample_settings.replace(home=tmp_path / "h", rate_limit_per_minute=1000)
    with BackgroundServer(app.create_server_app(settings)) as url:
        r = httpx.post(
            f"{url}/api/v1/collections/{settings.resolved_index_dir.name}/documents",
            files=[("files", ("a.txt", b"hello", "text/plain"))],
            headers={"Authorization": "Bearer anything"},
        )
    assert r.status_code == 403 and r.json()["error"]["code"] == "uploads_disabled"
    assert "REPORTQA_ADMIN_KEY" in r.json()["error"]["message"]
