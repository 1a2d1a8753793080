"""Questions translated by the configured language model, checked against the index.

With a generator configured (``settings.generator`` not "extractive") a question in one language
about documents in the other is also translated by that model. The translation is used only when
it is in the other language and most of its terms occur in the index (a small model's guess
that matches nothing is noise); the glossary's groups (bundled and mined terms) always follow,
so the mined terms remain the fallback.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from answer.generators.base import LLMBackend
from answer.generators.prompting import Prompt
from answer.glossary import Glossary
from answer.tuning import MIN_KNOWN_SHARE
from index.store import ReportIndex
from reportqa.language import content_terms, detect_language

log = logging.getLogger(__name__)

Groups = list[list[tuple[str, ...]]]
Translate = Callable[[str, str], str]  # (question, target language) → translation

TRANSLATION_TOKENS = 64
CACHE_SIZE = 256

_SYSTEM = {
    "ko": "Translate the user's question into Korean. Reply with the Korean question only, on one line.",
    "en": "Translate the user's question into English. Reply with the English question only, on one line.",
}
_COMPLETION = {
    "ko": "Translate into Korean.\nQuestion: {question}\nKorean:",
    "en": "Translate into English.\nQuestion: {question}\nEnglish:",
}


def translation_prompt(question: str, target: str) -> Prompt:
    """Ask a model for ``question`` in ``target`` ("ko" or "en"), one line. Pure."""
    q = " ".join(question.split())
    return Prompt(
        ({"role": "system", "content": _SYSTEM[target]}, {"role": "user", "content": q}),
        _COMPLETION[target].format(question=q),
        ("\n",),
        target,
        ("\n",),
    )


def model_translator(backend: LLMBackend) -> Translate:
    """A :data:`Translate` over ``backend`` (greedy, one line)."""

    def translate(question: str, target: str) -> str:
        text = "".join(backend.stream(translation_prompt(question, target), TRANSLATION_TOKENS, 0.0))
        return text.strip().splitlines()[0].strip() if text.strip() else ""

    return translate


def checked_terms(translation: str, target: str, known: Callable[[str], bool]) -> list[str]:
    """The index terms of ``translation`` when it is in ``target`` and at least
    :data:`MIN_KNOWN_SHARE` of its terms are ``known`` to the index; [] otherwise. Pure."""
    if not translation or detect_language(translation) != target:
        return []
    terms = list(dict.fromkeys(content_terms(translation)))
    hits = [t for t in terms if known(t)]
    return hits if terms and len(hits) >= MIN_KNOWN_SHARE * len(terms) else []


class ModelTranslatedGlossary(Glossary):
    """A :class:`Glossary` whose translations start with the model's checked translation.

    ``known(term)``: whether the index holds ``term`` (``KiwiBm25Index.contains``).
    ``wanted(question)``: whether to ask the model at all (default: always); the pipeline asks
    only when the best passage is in the other language, so a question nothing answers costs
    no model call."""

    def __init__(
        self,
        base: Glossary | None,
        translate: Translate,
        known: Callable[[str], bool],
        wanted: Callable[[str], bool] | None = None,
    ) -> None:
        super().__init__()
        self._wanted = wanted
        self._base = base  # its own translate/coverage run (an induced lexicon's too)
        if base is not None:
            self.entries, self.longest, self.english = base.entries, base.longest, base.english
        self._translate = translate
        self._known = known
        self._cache: OrderedDict[tuple[str, str], Groups] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return max(1, len(self.entries))  # never "empty": the model translates without entries

    def translate(self, question: str) -> Groups:
        base = self._base.translate(question) if self._base is not None else []
        return self._merged(self._model_groups(question, "ko"), base)

    def translate_korean(self, question: str) -> Groups:
        base = self._base.translate_korean(question) if self._base is not None else []
        return self._merged(self._model_groups(question, "en"), base)

    def coverage(self, question: str) -> float:
        return self._base.coverage(question) if self._base is not None else 0.0

    @staticmethod
    def _merged(model: Groups, glossary: Groups) -> Groups:
        seen = {alt for group in model for alt in group}
        return model + [g for g in glossary if not all(alt in seen for alt in g)]

    def _model_groups(self, question: str, target: str) -> Groups:
        if self._wanted is not None and not self._wanted(question):
            return []
        key = (question, target)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        try:
            translation = self._translate(question, target)
        except Exception as exc:  # the model is optional here; the glossary still works
            log.warning("translating the question by the model failed (%s); using the glossary", exc)
            translation = ""
        terms = checked_terms(translation, target, self._known)
        if translation and not terms:
            log.info("rejected the model's translation %r (its terms are not in the index)", translation)
        groups: Groups = [[(t,)] for t in terms]
        with self._lock:
            self._cache[key] = groups
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return groups


def other_language_leads(index: ReportIndex, encode: Callable[[str], np.ndarray]) -> Callable[[str], bool]:
    """Whether the best dense match of a question is a passage in the other language."""

    def leads(question: str) -> bool:
        best = index.vectors.search(encode(question), 1)
        if not best:
            return False
        return detect_language(index.chunks[best[0][0]].text) != detect_language(question)

    return leads


def with_model_translation(
    glossary: Glossary | None,
    backend: LLMBackend | None,
    index: ReportIndex,
    encode: Callable[[str], np.ndarray],
) -> Glossary | None:
    """``glossary`` with the model's checked translations first, when there is a model; the
    model is asked about questions whose best passage is in the other language."""
    if backend is None:
        return glossary
    return ModelTranslatedGlossary(
        glossary, model_translator(backend), index.keyword.contains, other_language_leads(index, encode)
    )
