"""What the load benchmark found: shared per-request state must hold under concurrent requests."""

from __future__ import annotations

import sys
import threading

from reportqa.language import _stem_english

STEMS = ["strategi", "recycl", "batteri", "cluster", "manufactur", "invest", "relat", "condit"]
ENDINGS = ["ies", "ing", "ation", "ational", "fulness", "iveness", "ements", "ities"]


def words(thread: int, n: int = 400) -> list[str]:
    """Distinct words per thread, so every call reaches the stemmer (its results are cached)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = []
    for i in range(n):
        tag = letters[thread] + letters[i % 26] + letters[(i // 26) % 26]
        out.append(f"{STEMS[i % len(STEMS)]}{tag}{ENDINGS[(i // 3) % len(ENDINGS)]}")
    return out


def test_english_stemming_from_many_threads_matches_one_thread() -> None:
    expected = {w: _stem_english.__wrapped__(w) for t in range(8) for w in words(t)}
    _stem_english.cache_clear()
    errors: list[BaseException] = []
    results: dict[int, list[tuple[str, str]]] = {}

    def work(t: int) -> None:
        try:
            results[t] = [(w, _stem_english(w)) for w in words(t)]
        except BaseException as exc:  # a stemmer error is the failure under test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often: a shared stemmer fails within a few words
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        sys.setswitchinterval(interval)
        _stem_english.cache_clear()
    assert not errors, errors[:1]
    wrong = [(w, got, expected[w]) for out in results.values() for w, got in out if got != expected[w]]
    assert not wrong, wrong[:3]
