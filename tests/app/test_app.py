"""The Gradio chat: built without loading models, answers with citations, escapes everything."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

import app
from answer.pipeline import QAPipeline
from reportqa.settings import Settings
from reportqa.types import Answer, Chunk, Citation

pytestmark = pytest.mark.ui


def test_building_the_ui_loads_no_model_and_shows_the_corpus(sample_settings: Settings) -> None:
    service = app.ChatService(sample_settings, QAPipeline(sample_settings))
    demo = app.build_ui(sample_settings, service)
    assert service.pipeline._ready is False  # nothing loaded until the first question
    texts = str(demo.get_config_file())
    # an index named by --index has no example questions unless its manifest lists some
    assert "보고서가 제시한 3대 추진 전략은?" not in texts
    assert "rq-collection" in texts  # the picker exists, hidden with one collection
    # the bundled sample index shows the sample's questions
    from server.collections import Collection, Collections
    from server.served_index import ServedIndex

    sample = Collections([Collection("sample", sample_settings, ServedIndex(sample_settings), sample=True)])
    texts = str(app.build_ui(sample_settings, app.ChatService(sample_settings, collections=sample)).get_config_file())
    assert "보고서가 제시한 3대 추진 전략은?" in texts and "What are the three strategies?" in texts
    assert "documents" in app.corpus_note(sample_settings)
    # the collection's name and its titles, never the server's path
    assert str(sample_settings.resolved_index_dir) not in app.corpus_note(sample_settings)


def test_corpus_note_when_no_index_yet(tmp_path: Path) -> None:
    settings = Settings.load({"index_dir": tmp_path / "none"}, env={})
    assert "not built yet" in app.corpus_note(settings)


def test_a_chat_turn_returns_linked_markers_and_highlighted_sources(sample_pipeline: QAPipeline) -> None:
    service = app.ChatService(sample_pipeline.settings, sample_pipeline)
    history, sources, box = service.respond("보고서가 제시한 3대 추진 전략은?", [])
    assert box == ""
    assert [m["role"] for m in history] == ["user", "assistant"]
    reply = history[1]["content"]
    assert '<a class="rq-cite" href="#rq-src-t1-1">[1]</a>' in reply
    assert "산학연 협력 생태계 조성" in reply
    assert 'rq-src-t1-1"' in sources and "<mark>" in sources
    assert "03-strategies-and-tasks.ko.md" in sources
    # the answer carries its own sources inline, with the same key
    assert '<details class="rq-inline">' in reply and 'rq-src-t1-1"' in reply
    assert "data/sample" not in reply + sources  # file names, never the server's path
    # a follow-up keeps the history; its markers point at its own sources
    history, sources2, _ = service.respond("What are the three strategies?", history)
    assert len(history) == 4 and 'href="#rq-src-t2-1"' in history[3]["content"]
    assert 'rq-src-t2-1"' in sources2 and 'rq-src-t1-1"' in history[1]["content"]
    pairs = app._history_pairs(history)
    assert pairs[0][0] == "보고서가 제시한 3대 추진 전략은?"
    assert "score" not in pairs[0][1]  # the inline sources are no part of the history


def test_empty_message_and_errors_do_not_crash(sample_pipeline: QAPipeline, tmp_path: Path) -> None:
    service = app.ChatService(sample_pipeline.settings, sample_pipeline)
    assert service.respond("  ", [])[0] == []
    broken = app.ChatService(Settings.load({"index_dir": tmp_path / "none"}, env={}))
    history, _, _ = broken.respond("질문", [])
    assert "No index found" in history[1]["content"]


def test_passages_and_answers_are_escaped() -> None:
    text = 'Evil <script>alert(1)</script> <img src=x onerror="alert(2)"> end.'
    chunk = Chunk("d#0", "d<b>", "<i>T</i>", "/x", text, 0, len(text), sentences=((0, len(text)),))
    answer = Answer(f"{text} [1]", "en", (Citation(1, chunk, 0.9, ((0, len(text)),)),))
    html_answer = app.render_answer_html(answer)
    html_sources = app.render_sources_html(answer)
    for rendered in (html_answer, html_sources):
        assert "<script>" not in rendered and "<img" not in rendered
        assert "&lt;script&gt;" in rendered
    assert "<i>T</i>" not in html_sources and "d<b>" not in html_sources


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_launched_server_answers_through_gradio_client(sample_settings: Settings) -> None:
    from gradio_client import Client

    port = _free_port()
    settings = sample_settings.replace(port=port)
    demo = app.build_ui(settings)
    demo.queue()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        history, sources, _box = client.predict("보고서가 제시한 3대 추진 전략은?", [], api_name="/chat")
        assert "산학연 협력 생태계 조성" in app.message_text(history[-1]["content"])
        assert 'rq-src-t1-1"' in sources
    finally:
        demo.close()


def test_serve_with_several_indexes_refuses_a_missing_or_twice_named_one(tmp_path: Path) -> None:
    from reportqa.errors import ConfigError, IndexNotFoundError

    settings = Settings.load({"home": tmp_path / "home"}, env={})
    with pytest.raises(IndexNotFoundError):
        app.serve(settings, [f"a={tmp_path / 'none'}", f"b={tmp_path / 'none2'}"])
    with pytest.raises(ConfigError, match="both named 'a'"):
        app.serve(settings, [f"a={tmp_path / 'x'}", f"a={tmp_path / 'y'}"])
    with pytest.raises(ConfigError, match="collection name"):
        app.serve(settings, [f"bad name={tmp_path / 'x'}"])


def test_a_comment_can_follow_the_thumb_and_half_written_answers_are_not_rated(
    sample_pipeline: QAPipeline, tmp_path: Path
) -> None:
    import gradio as gr

    from server.feedback import FeedbackStore

    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    service = app.ChatService(sample_pipeline.settings, sample_pipeline, feedback=store)
    history, _, _ = service.respond("보고서가 제시한 3대 추진 전략은?", [])
    down = gr.LikeData(None, {"index": 1, "value": "", "liked": False})
    box, note, pending, button = service.feedback(history, "", down)
    assert pending == ("down", 1) and button.visible and app.COMMENT_AFTER_NOTE in note
    box, note, pending, button = service.comment_after(history, "출처가 더 필요해요", pending)
    assert (box, note, pending, button.visible) == ("", app.THANKS_NOTE, None, False)
    rows = list(store.rows())
    assert [(r.rating, r.comment) for r in rows] == [("down", ""), ("down", "출처가 더 필요해요")]
    # a thumb on an answer still being written stores nothing
    partial = [history[0], {"role": "assistant", "content": "3대 추진 전략은 ▌"}]
    _, note, pending, _ = service.feedback(partial, "", down)
    assert note == app.UNFINISHED_NOTE and pending is None and len(list(store.rows())) == 2
