"""The page model of layout analysis: words with positions and fonts, ruling lines.

Coordinates are PDF points with the origin at the page's top-left corner (y grows downwards),
so ``y0 < y1`` and reading order sorts by ``y0`` then ``x0``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Word:
    """A run of characters without a space, as the PDF places it."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float  # font size in points (the glyphs' height where the font does not say)
    bold: bool = False
    # The word ends a line inside a word (the PDF breaks the line with no space before it, as
    # Hancom does mid-word in Korean): the next line's first word continues it without a space.
    glued: bool = False
    # Every glyph is of a formula font (ingest/layout/equations.py): set smaller than the text
    # around it, so its size says nothing about a new line or heading.
    formula: bool = False

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(frozen=True)
class Rule:
    """A drawn horizontal or vertical line segment (table rulings, cell borders, underlines).

    Filled thin rectangles and the edges of stroked rectangles both become rules.
    """

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def horizontal(self) -> bool:
        return (self.x1 - self.x0) >= (self.y1 - self.y0)


@dataclass(frozen=True)
class PageLayout:
    """One page: its size, words in content-stream order, and ruling lines."""

    number: int  # 1-based
    width: float
    height: float
    words: tuple[Word, ...]
    rules: tuple[Rule, ...] = ()
    # Area share of the page covered by images (a scanned page is ~1.0 with no words).
    image_cover: float = 0.0
