"""Serve an ASGI app from a background thread (tests, notebooks, embedding in another program)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn


def uvicorn_options(trust_proxy_headers: bool) -> dict[str, Any]:
    """The uvicorn options every reportqa server runs with. Uvicorn trusts ``X-Forwarded-For``
    from 127.0.0.1 by default and rewrites the client address from it, which would let any
    local caller (or one behind a local proxy that passes the header on) pick its own
    rate-limit bucket: proxy headers are read only when ``trust_proxy_headers`` is set."""
    return {"proxy_headers": trust_proxy_headers}


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class BackgroundServer:
    """``with BackgroundServer(app) as url:`` serves ``app`` on a free port until the block ends."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        settings = getattr(getattr(app, "state", None), "settings", None)
        trust = bool(getattr(settings, "trust_proxy_headers", False))
        config = uvicorn.Config(
            app,
            host=host,
            port=self.port,
            log_level="warning",
            lifespan="on",
            **uvicorn_options(trust),
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="reportqa-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 60.0) -> str:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the server on {self.url} did not start")
            time.sleep(0.05)
        return self.url

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
