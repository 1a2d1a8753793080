"""Language of a question: Korean if it has Hangul, else English."""

from __future__ import annotations

import re

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str) -> str:
    """``"ko"`` when Hangul letters are at least a quarter of the letters, else ``"en"``.

    A Korean question often carries English terms (ESS, R&D), so any real share of Hangul wins.
    """
    hangul = len(_HANGUL.findall(text))
    latin = len(_LATIN.findall(text))
    if hangul == 0:
        return "en"
    return "ko" if hangul * 4 >= latin else "en"
