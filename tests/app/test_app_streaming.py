"""The Gradio chat streams answers and marks sentences their sources do not support."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import app
from answer.generators.local_server import OpenAICompatibleServer
from answer.pipeline import QAPipeline
from reportqa.types import Answer, Chunk, Citation

sys.path.insert(0, str(Path(__file__).parents[1] / "answer"))
from generation_helpers import ScriptedBackend


def test_unsupported_sentences_are_marked_and_escaped() -> None:
    text = "전략은 거점 확보이다 [1]. <b>달에</b> 공장을 짓는다 [1]."
    chunk = Chunk("d#0", "d", "T", "/d", "전략은 거점 확보이다.", 0, 12)
    start = text.index("<b>")
    answer = Answer(text, "ko", (Citation(1, chunk, 0.9),), False, 0.5, unsupported=((start, len(text)),))
    rendered = app.render_answer_html(answer)
    assert rendered.startswith('전략은 거점 확보이다 <a class="rq-cite" href="#rq-src-a-1">[1]</a>. ')
    assert '<span class="rq-unsupported"' in rendered and "</span> ⚠" in rendered
    assert "&lt;b&gt;달에&lt;/b&gt;" in rendered and "<b>" not in rendered
    assert "grounded: 50%" in rendered
    # a fully grounded answer carries no note
    full = Answer("전략은 거점 확보이다 [1].", "ko", (Citation(1, chunk, 0.9),), False, 1.0)
    assert "grounded" not in app.render_answer_html(full)


@pytest.mark.integration
def test_respond_stream_shows_the_answer_as_it_is_written(sample_pipeline: QAPipeline) -> None:
    pieces = ["3대 추진 전략은 거점 확보, ", "경쟁력 강화, ", "생태계 조성이다 [1]."]
    with OpenAICompatibleServer({"scripted": ScriptedBackend(pieces)}) as srv:
        settings = sample_pipeline.settings.replace(
            generator="openai:scripted", openai_base_url=srv.base_url
        )
        pipeline = QAPipeline(settings, index=sample_pipeline.index, embedder=sample_pipeline._embedder)
        service = app.ChatService(settings, pipeline)
        updates = list(service.respond_stream("보고서가 제시한 3대 추진 전략은?", []))
    first, *partial, last = updates
    # a "searching…" bubble until the first words
    assert [m["role"] for m in first[0]] == ["user", "assistant"]
    assert app.SEARCHING in first[0][1]["content"]
    assert len(partial) == 3 and partial[-1][0][-1]["content"].endswith("▌</span>")
    assert all('class="rq-unfinished"' in u[0][-1]["content"] for u in partial)  # no thumbs (CSS)
    assert not app.finished(partial[-1][0][-1]["content"]) and app.finished(last[0][-1]["content"])
    history, sources, box = last
    assert box == "" and [m["role"] for m in history] == ["user", "assistant"]
    assert '<a class="rq-cite" href="#rq-src-t1-1">[1]</a>' in history[1]["content"]
    assert 'rq-src-t1-1"' in sources
    # the next turn passes the history on
    updates = list(service.respond_stream("  ", history))
    assert updates[-1][0] == history


def test_stop_leaves_the_cut_off_answer_without_its_cursor() -> None:
    import app

    user = {"role": "user", "content": "질문"}
    cut = app.stopped_history([user, {"role": "assistant", "content": app.unfinished_html("3대 <전략> 은")}])
    assert cut[0] == user
    text = cut[1]["content"]
    assert "▌" not in text and app.STOPPED in text and "3대 &lt;전략&gt; 은" in text
    assert not app.finished(text)  # a stopped answer gets no thumbs either
    searching = [user, {"role": "assistant", "content": f'<span class="rq-pending">{app.SEARCHING}</span>'}]
    stopped = app.stopped_history(searching)[1]["content"]
    assert app.SEARCHING not in stopped and app.STOPPED in stopped
    # Gradio 6 hands messages back as typed parts
    parts = [user, {"role": "assistant", "content": [{"type": "text", "text": app.unfinished_html("반쯤")}]}]
    assert "반쯤" in app.stopped_history(parts)[1]["content"]
    done = [user, {"role": "assistant", "content": "끝난 답변 [1]"}]
    assert app.stopped_history(done) == done and app.stopped_history([]) == []
