"""``python app.py`` as users start it (uvicorn.run, not the test server): a forged
``X-Forwarded-For`` from 127.0.0.1 picks no fresh rate-limit bucket (uvicorn trusts proxy headers
from 127.0.0.1 by default; serve() turns that off unless REPORTQA_TRUST_PROXY_HEADERS=1)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reportqa.settings import REPO_ROOT
from server.background import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def served_process(sample_index_dir: Path, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")},
        "REPORTQA_HOME": str(tmp_path / "home"),
        "REPORTQA_INDEX_DIR": str(sample_index_dir),
        "REPORTQA_PORT": str(port),
        "REPORTQA_RATE_LIMIT_PER_MINUTE": "2",
        "HF_HUB_OFFLINE": "1",
    }
    with open(tmp_path / "serve.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, str(REPO_ROOT / "app.py")], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield wait_until_up(proc, f"http://127.0.0.1:{port}", tmp_path / "serve.log")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_until_up(proc: subprocess.Popen[bytes], url: str, log: Path) -> str:
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            pytest.fail(f"app.py exited with {proc.returncode}: {log.read_text()}")
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=2).status_code in (200, 503):
                return url
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            pytest.fail("app.py did not start in 120 s")
        time.sleep(0.5)


def test_forged_forwarded_for_gets_no_fresh_bucket_from_app_py(served_process: str) -> None:
    with httpx.Client(base_url=served_process, timeout=60) as c:
        assert [c.get("/api/v1/documents").status_code for _ in range(2)] == [200, 200]
        codes = [
            c.get("/api/v1/documents", headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
            for i in range(1, 41)
        ]
    assert codes == [429] * 40
