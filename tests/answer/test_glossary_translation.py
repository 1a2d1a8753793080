"""Questions translated by the configured model, checked against the index (answer/translation.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from answer.glossary import Glossary
from answer.pipeline import QAPipeline
from answer.translation import (
    ModelTranslatedGlossary,
    checked_terms,
    model_translator,
    translation_prompt,
    with_model_translation,
)
from index.builder import build_index
from ingest.chunking import ChunkerConfig
from reportqa.language import content_terms
from reportqa.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from generation_helpers import ScriptedBackend, build_tiny_model
from test_glossary_mined import DOCS, HashEmbedder

QUESTION = "What does the tamper response erase when the cover is opened?"


def _known():  # type: ignore[no-untyped-def]
    index, _ = build_index(DOCS, HashEmbedder(), ChunkerConfig())
    return index, index.keyword.contains


def test_a_translation_counts_only_in_the_target_language_and_with_known_terms() -> None:
    known = {"덮개", "키", "탬퍼", "대응"}.__contains__
    assert checked_terms("덮개가 열리면 탬퍼 대응은 무엇을 지우나요?", "ko", known) == ["덮개", "탬퍼", "대응"]
    assert checked_terms("What is erased?", "ko", known) == []  # not Korean
    assert checked_terms("우주선 연료 궤도 발사 대응", "ko", known) == []  # mostly unknown words
    assert checked_terms("", "ko", known) == []


def test_the_models_checked_translation_comes_first_and_the_glossary_follows() -> None:
    _, known = _known()
    base = Glossary()
    base.add_terms([("암호 경계", "cryptographic boundary")])
    translation = "덮개가 열리면 탬퍼 대응은 무엇을 지우나요?"
    backend = ScriptedBackend([translation])
    glossary = ModelTranslatedGlossary(base, model_translator(backend), known)
    groups = glossary.translate(QUESTION + " Is it inside the cryptographic boundary?")
    model = checked_terms(translation, "ko", known)
    assert {"덮개", "탬퍼", "대응"} <= set(model)
    assert groups[: len(model)] == [[(t,)] for t in model]
    assert [content_terms("암호 경계")] in groups  # the glossary's (mined) terms still count
    # One model call per question and direction (answering asks again: cached).
    glossary.translate(QUESTION + " Is it inside the cryptographic boundary?")
    assert len(backend.prompts) == 1 and backend.prompts[0].language == "ko"
    assert "Korean" in translation_prompt(QUESTION, "ko").messages[0]["content"]


def test_a_translation_matching_nothing_falls_back_to_the_glossary() -> None:
    _, known = _known()
    base = Glossary()
    base.add_terms([("탬퍼 대응", "tamper response")])
    glossary = ModelTranslatedGlossary(base, model_translator(ScriptedBackend(["우주선 발사 궤도"])), known)
    assert glossary.translate(QUESTION) == base.translate(QUESTION)

    def broken(question: str, target: str) -> str:
        raise RuntimeError("model server down")

    assert ModelTranslatedGlossary(base, broken, known).translate(QUESTION) == base.translate(QUESTION)
    index, _ = _known()
    assert with_model_translation(base, None, index, HashEmbedder().embed_query) is base


def test_the_model_is_asked_only_when_the_best_passage_is_in_the_other_language() -> None:
    index, _ = _known()
    backend = ScriptedBackend(["덮개가 열리면 탬퍼 대응은 무엇을 지우나요?"])
    glossary = with_model_translation(None, backend, index, HashEmbedder().embed_query)
    assert glossary is not None
    glossary.translate_korean("덮개가 열리면 무엇이 지워지나요?")  # Korean question, Korean passages
    assert backend.prompts == []
    assert glossary.translate(QUESTION)  # English question, Korean passages: translated
    assert len(backend.prompts) == 1


def test_the_tiny_local_model_translates_through_the_pipeline(tmp_path: Path) -> None:
    index, known = _known()
    spec = f"transformers:{build_tiny_model(tmp_path / 'tiny')}"
    settings = Settings(
        home=tmp_path / "home", generator=spec, bundled_glossary=False, max_new_tokens=8
    )
    pipeline = QAPipeline(settings, index=index, embedder=HashEmbedder())
    pipeline.index  # noqa: B018 - loads the pipeline
    assert isinstance(pipeline.glossary, ModelTranslatedGlossary)
    groups = pipeline.translate(QUESTION)
    # Whatever the random model writes, only terms the index holds are searched, and the mined
    # terms are there as the fallback.
    assert all(known(t) for group in groups for alt in group for t in alt)
    assert [content_terms("탬퍼 대응")] in groups
    answer = pipeline.ask(QUESTION)
    assert answer.text
