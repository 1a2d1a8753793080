"""Korean words broken across PDF lines: whether a line break inside Hangul text was a space.

Hancom PDFs break lines both between words and inside them ("요구하지 않" / "는"), and the text
layer shows no difference (no space character before either break). Kiwi's spacing model decides:
the two halves are written together and Kiwi's re-spaced text says whether a space falls at the
break.
"""

from __future__ import annotations

from collections.abc import Sequence

# The marker :func:`ingest.layout.reading.paragraphs` leaves at an undecided break (a private-use
# character: should one survive, line cleaning turns it into a space).
BREAK = "\ue000"


def kiwi_joins(pairs: Sequence[tuple[str, str]]) -> list[bool]:
    """For each (word before the break, word after it): True when they are one word."""
    if not pairs:
        return []
    from reportqa.language import get_kiwi

    spaced = get_kiwi().space([a + b for a, b in pairs], reset_whitespace=False)
    out = []
    for (left, _), text in zip(pairs, spaced, strict=True):
        # The break sits after len(left) non-space characters; a space there means two words.
        seen = 0
        joined = True
        for i, ch in enumerate(text):
            if ch == " ":
                continue
            seen += 1
            if seen == len(left):
                joined = text[i + 1 : i + 2] != " "
                break
        out.append(joined)
    return out
