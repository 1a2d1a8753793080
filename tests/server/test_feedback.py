"""Feedback storage (append-only SQLite in WAL mode), the eval-set export, and the UI's 👍/👎."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import gradio as gr
import pytest

from reportqa.settings import Settings
from reportqa.types import Answer, Chunk, Citation
from server.feedback import (
    FeedbackStore,
    RecentAnswers,
    answer_settings,
    export_eval_jsonl,
)


def _answer(text: str = "전략은 세 가지다. [1]", abstained: bool = False) -> Answer:
    passage = "보고서는 3대 추진 전략을 제시했다. 나머지는 설명이다."
    chunk = Chunk("d#0", "d.md", "제목", "/x/d.md", passage, 0, len(passage))
    cites = () if abstained else (Citation(1, chunk, 0.91, ((0, 20),)),)
    return Answer(text, "ko", cites, abstained, None, {"total": 3.0})


def test_store_is_wal_and_append_only(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb" / "feedback.sqlite3")
    row = store.add(
        rating="down", question="q", answer=_answer().to_dict(), settings={}, channel="api"
    )
    assert row == 1
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE feedback SET rating = 'up'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM feedback")
    conn.close()
    (stored,) = list(store.rows())
    assert stored.rating == "down" and stored.citations[0]["document"] == "d.md"
    assert stored.created_at.endswith("Z")


def test_export_keeps_the_latest_rating_and_every_comment_per_answer(tmp_path: Path) -> None:
    settings = Settings.load({"home": tmp_path, "api_key": "secret"}, env={})
    recent = RecentAnswers()
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    disliked = recent.remember("전략은?", _answer(), answer_settings(settings))
    liked = recent.remember("전략은 무엇?", _answer(), answer_settings(settings))
    abstained = recent.remember("날씨는?", _answer("찾지 못했습니다.", abstained=True), {})
    store.add_for(disliked, "up")
    store.add_for(disliked, "down", "틀렸어요")  # changed their mind, then commented
    store.add_for(disliked, "down", "출처가 달라요")
    store.add_for(liked, "up", "좋아요")
    store.add_for(abstained, "up")

    out = io.StringIO()
    assert export_eval_jsonl(store, out) == 1
    (case,) = [json.loads(line) for line in out.getvalue().splitlines()]
    assert case["id"].startswith("fb-") and case["question"] == "전략은?"
    assert case["feedback"]["comment"] == "틀렸어요 / 출처가 달라요"
    assert case["feedback"]["needs_review"] is True
    assert "secret" not in out.getvalue()

    out = io.StringIO()
    assert export_eval_jsonl(store, out, "up") == 2
    ups = {c["question"]: c for c in map(json.loads, out.getvalue().splitlines())}
    assert ups["전략은 무엇?"]["evidence"] == ["보고서는 3대 추진 전략을 제시했다."]
    assert ups["전략은 무엇?"]["answerable"] is True
    assert ups["날씨는?"]["answerable"] is False and ups["날씨는?"]["type"] == "unanswerable"


def test_export_loads_as_an_eval_set(tmp_path: Path) -> None:
    evaluation = pytest.importorskip("evaluation.datasets")
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    store.add(rating="down", question="전략은?", answer=_answer().to_dict(), settings={}, channel="ui")
    path = tmp_path / "cases.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        export_eval_jsonl(store, fh)
    (item,) = evaluation.load_eval_set(path)
    assert item.question == "전략은?" and item.language == "ko" and item.answerable
    assert item.meta["feedback"]["rating"] == "down"


def test_recent_answers_forget_the_oldest() -> None:
    recent = RecentAnswers(capacity=2)
    a = recent.remember("a", _answer(), {}, text_key="<b>one</b> [1]")
    recent.remember("b", _answer(), {})
    recent.remember("c", _answer(), {})
    assert recent.get(a.id) is None and recent.find_by_text("one [1]") is None


@pytest.mark.ui
def test_ui_thumbs_down_is_stored_with_the_comment(sample_pipeline: object, tmp_path: Path) -> None:
    import app

    settings = sample_pipeline.settings.replace(home=tmp_path)  # type: ignore[attr-defined]
    service = app.ChatService(settings, sample_pipeline)  # type: ignore[arg-type]
    history, _, _ = service.respond("보고서가 제시한 3대 추진 전략은?", [])
    like = gr.LikeData(None, {"index": 1, "value": history[1]["content"], "liked": False})
    box, note, pending, _button = service.feedback(history, "출처가 하나뿐이에요", like)
    assert box == "" and "Thank you" in note and pending is None  # the comment came with it
    (row,) = list(FeedbackStore(settings.feedback_db).rows())
    assert row.channel == "ui" and row.rating == "down" and row.comment == "출처가 하나뿐이에요"
    assert row.question == "보고서가 제시한 3대 추진 전략은?" and row.citations
    assert row.answer_id is not None
    # a rating taken back (liked is neither like nor dislike) stores nothing
    undo = gr.LikeData(None, {"index": 1, "value": history[1]["content"], "liked": None})
    assert service.feedback(history, "", undo)[:3] == ("", "", None)
    assert len(list(FeedbackStore(settings.feedback_db).rows())) == 1
