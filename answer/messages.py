"""Answer framing strings from ``prompts/messages.toml``, by language."""

from __future__ import annotations

import tomllib
from functools import lru_cache

from reportqa.settings import PROMPTS_DIR


@lru_cache(maxsize=1)
def _messages() -> dict[str, dict[str, str]]:
    with open(PROMPTS_DIR / "messages.toml", "rb") as fh:
        return tomllib.load(fh)


def message(key: str, language: str) -> str:
    """The ``key`` message in ``language`` (``ko``/``en``); English when the language is unknown."""
    table = _messages()
    return table.get(language, table["en"])[key]
