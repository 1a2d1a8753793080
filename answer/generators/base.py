"""What the generative backends share: the backend seam, stop-string cutting, the Generator."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from answer.generators.prompting import Prompt, build_answer_prompt, build_rewrite_prompt
from reportqa.language import detect_language
from reportqa.types import Hit


class LLMBackend(Protocol):
    """A language model that streams text for a :class:`Prompt` (chat or completion form)."""

    name: str

    def stream(
        self,
        prompt: Prompt,
        max_new_tokens: int | None = None,
        temperature: float | None = None,
    ) -> Iterator[str]: ...


class StopCutter:
    """Cuts a text stream at the first stop string, holding back what could start one.

    ``feed`` returns the text safe to show now; ``done`` turns true at a stop string (the rest of
    the stream is dropped); ``flush`` returns what was held back when the stream ends.
    """

    def __init__(self, stops: Sequence[str], strip_leading: bool = True) -> None:
        self.stops = tuple(s for s in stops if s)
        self.buffer = ""
        self.done = False
        self._started = not strip_leading

    def feed(self, piece: str) -> str:
        if self.done or not piece:
            return ""
        self.buffer += piece
        if not self._started:
            self.buffer = self.buffer.lstrip()
            if not self.buffer:
                return ""
            self._started = True
        cut = min((i for i in (self.buffer.find(s) for s in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            out, self.buffer, self.done = self.buffer[:cut], "", True
            return out
        hold = 0
        for stop in self.stops:
            for k in range(min(len(stop) - 1, len(self.buffer)), 0, -1):
                if self.buffer.endswith(stop[:k]):
                    hold = max(hold, k)
                    break
        out = self.buffer[: len(self.buffer) - hold]
        self.buffer = self.buffer[len(out) :]
        return out

    def flush(self) -> str:
        out, self.buffer = ("" if self.done else self.buffer.rstrip()), ""
        return out


class LLMGenerator:
    """The Generator over any :class:`LLMBackend`: prompt with numbered passages, stream the answer.

    ``[n]`` in the output refers to ``hits[n-1]``; the pipeline checks the markers afterwards.
    ``history`` is not sent: the pipeline rewrites follow-ups into standalone questions first.
    """

    def __init__(
        self,
        backend: LLMBackend,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
    ) -> None:
        self.backend = backend
        self.name = backend.name
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature

    def generate(
        self, question: str, hits: Sequence[Hit], history: Sequence[tuple[str, str]] = ()
    ) -> Iterator[str]:
        prompt = build_answer_prompt(question, hits, detect_language(question))
        yield from self.backend.stream(prompt, self.max_new_tokens, self.temperature)

    def rewrite(self, question: str, history: Sequence[tuple[str, str]]) -> str:
        """A standalone version of ``question`` written by the model (one line; may be empty)."""
        prompt = build_rewrite_prompt(question, history, detect_language(question))
        text = "".join(self.backend.stream(prompt, 64, 0.0))
        return text.strip().splitlines()[0].strip() if text.strip() else ""
