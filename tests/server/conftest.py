"""Live servers for the HTTP tests: the real app (Gradio UI + API + widget) on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from reportqa.settings import Settings
from server.background import BackgroundServer


@dataclass(frozen=True)
class Live:
    url: str
    settings: Settings


Serve = Callable[..., Live]


@pytest.fixture(scope="session")
def serve(
    sample_settings: Settings, sample_pipeline: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Serve]:
    """``serve(**settings_changes) -> Live``: a real server over the sample index (the shared
    pipeline, its own feedback database). Servers stop at the end of the session."""
    import app

    servers: list[BackgroundServer] = []

    def start(**changes: Any) -> Live:
        home = tmp_path_factory.mktemp("server-home")
        settings = sample_settings.replace(home=home, **{"rate_limit_per_minute": 1000, **changes})
        server = BackgroundServer(app.create_server_app(settings, pipeline=sample_pipeline))
        servers.append(server)
        return Live(server.start(), settings)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def live(serve: Serve) -> Live:
    """The default server: no API key, same-origin defaults, a generous rate limit."""
    return serve()
