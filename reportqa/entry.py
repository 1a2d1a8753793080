"""What the entry points (the ``reportqa`` command, ``python app.py``) share: logging set-up
(libraries only get loggers) and the "loading models…" line with its timing."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from reportqa.errors import printable


class PrintableFormatter(logging.Formatter):
    """Log lines with control characters of their message escaped (:func:`printable`): a file
    name with a newline or an ANSI escape code cannot forge or recolour log lines. Tracebacks
    (``--log-level DEBUG``) keep their lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = printable(record.message)
        return super().formatMessage(record)


def configure_logging(level: str) -> None:
    """Logging for an entry point (CLI or ``python app.py``); libraries only get loggers."""
    numeric = getattr(logging, str(level).upper(), logging.WARNING)
    logging.basicConfig(level=numeric, format="%(levelname)s %(name)s: %(message)s")
    # Some libraries (bm25s) set their own loggers to DEBUG on import; filter at the handler.
    for handler in logging.getLogger().handlers:
        handler.setLevel(numeric)
        handler.setFormatter(PrintableFormatter("%(levelname)s %(name)s: %(message)s"))


@contextmanager
def loading_models() -> Iterator[None]:
    """A "loading models…" line on stderr, and when done how long it took (the first load of
    the index, Kiwi and the models takes seconds without other output)."""
    print("reportqa: loading models…", file=sys.stderr, flush=True)
    start = time.perf_counter()
    yield
    took = time.perf_counter() - start
    print(f"reportqa: models loaded in {took:.1f} s", file=sys.stderr, flush=True)


def load_models(pipeline: Any) -> None:
    """Load now what the first question would: the index, Kiwi, the embedder, a local LLM."""
    pipeline.retrieve("warm-up", 1)
    load = getattr(getattr(pipeline.generator_for(None), "backend", None), "load", None)
    if callable(load):  # a local model (transformers); a remote one has nothing to load
        load()
