"""Prompts for the generative backends, from ``prompts/generate.toml``. Pure.

A :class:`Prompt` carries the same request in two shapes: chat ``messages`` (for chat models and
OpenAI-compatible servers) and a plain ``completion`` text (for base models without a chat
template), with the ``stop`` strings that end a base model's first answer.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from reportqa.language import detect_language
from reportqa.settings import PROMPTS_DIR
from reportqa.types import Hit

# A base model continues the text; these mark the end of its first answer.
COMPLETION_STOPS = (
    "\n\n",
    "\n질문:",
    "\nQuestion:",
    "<passage",
    "</passage",
    "\n후속 질문:",
    "\nFollow-up:",
    "\n대화:",
    "\nConversation:",
)
REWRITE_STOPS = ("\n",)
HISTORY_TURNS = 3  # previous turns shown to the question rewriter
HISTORY_ANSWER_CHARS = 300

_TAG = re.compile(r"<(/?)(passages?)", re.IGNORECASE)
_MARKERS = re.compile(r"\s*\[\d{1,3}\]")


@dataclass(frozen=True)
class Prompt:
    """One request: chat messages, the same as a completion text, and where a completion stops."""

    messages: tuple[dict[str, str], ...]
    completion: str
    stop: tuple[str, ...]  # where a base model's completion ends
    language: str
    chat_stop: tuple[str, ...] = ()  # where a chat model's reply ends (besides its end token)


@lru_cache(maxsize=1)
def templates() -> dict[str, dict[str, str]]:
    with open(PROMPTS_DIR / "generate.toml", "rb") as fh:
        return tomllib.load(fh)


def template(key: str, language: str) -> str:
    """The ``key`` template in ``language`` (English when the language has none)."""
    table = templates()
    return table.get(language, table["en"])[key]


def no_answer_text(language: str) -> str:
    """What a model is told to say when the passages do not hold the answer."""
    return template("no_answer", language)


def escape_passage_text(text: str) -> str:
    """Passage text with anything that looks like a passage tag neutralised (``<`` → ``&lt;``)."""
    return _TAG.sub(lambda m: f"&lt;{m.group(1)}{m.group(2)}", text)


def format_passages(hits: Sequence[Hit]) -> str:
    """``<passage id="n" title="…">text</passage>`` for each hit, numbered from 1."""
    blocks = []
    for n, hit in enumerate(hits, start=1):
        chunk = hit.chunk
        title = escape_passage_text(chunk.title).replace('"', "'")
        where = escape_passage_text(chunk.location).replace('"', "'")
        attrs = f' title="{title}"' + (f' location="{where}"' if where else "")
        blocks.append(f'<passage id="{n}"{attrs}>\n{escape_passage_text(chunk.text)}\n</passage>')
    return "\n".join(blocks)


def build_answer_prompt(question: str, hits: Sequence[Hit], language: str | None = None) -> Prompt:
    """The answer prompt: numbered passages as data, then the question, in its language."""
    language = language or detect_language(question)
    values = {
        "passages": format_passages(hits),
        "question": question.strip(),
        "no_answer": no_answer_text(language),
    }
    system = template("system", language).format(**values)
    user = template("user", language).format(**values)
    completion = template("completion", language).format(**values)
    return Prompt(
        ({"role": "system", "content": system}, {"role": "user", "content": user}),
        completion,
        COMPLETION_STOPS,
        language,
    )


def format_history(history: Sequence[tuple[str, str]], language: str) -> str:
    """The last turns as ``사용자:/도우미:`` (or ``User:/Assistant:``) lines, answers shortened."""
    user, bot = ("사용자", "도우미") if language == "ko" else ("User", "Assistant")
    lines = []
    for q, a in list(history)[-HISTORY_TURNS:]:
        answer = " ".join(_MARKERS.sub("", a).split())
        if len(answer) > HISTORY_ANSWER_CHARS:
            answer = answer[:HISTORY_ANSWER_CHARS].rstrip() + " …"
        lines.append(f"{user}: {' '.join(q.split())}")
        lines.append(f"{bot}: {answer}")
    return "\n".join(lines)


def build_rewrite_prompt(
    question: str, history: Sequence[tuple[str, str]], language: str | None = None
) -> Prompt:
    """Ask a model to turn a follow-up question into a standalone one (one line)."""
    language = language or detect_language(question)
    values = {"history": format_history(history, language), "question": question.strip()}
    return Prompt(
        (
            {"role": "system", "content": template("rewrite_system", language)},
            {"role": "user", "content": template("rewrite_user", language).format(**values)},
        ),
        template("rewrite_completion", language).format(**values),
        REWRITE_STOPS,
        language,
        REWRITE_STOPS,
    )
