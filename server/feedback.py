"""Feedback on answers: thumbs up/down and an optional comment, from the UI, the widget and the API.

Stored in SQLite (WAL mode) in an append-only table (triggers refuse UPDATE and DELETE): one row per
click, with the question, the answer, its citations, the settings that produced it and the time.
``export_eval_jsonl`` turns rows into eval-set lines (the format of ``data/eval/sample.jsonl``) so
disliked answers become regression cases.

Answers are held in memory (``RecentAnswers``, the last few thousand) so that feedback that names an
answer id is stored with the server's own copy of the answer, not the client's.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

from reportqa.errors import ReportQAError
from reportqa.language import detect_language
from reportqa.settings import Settings
from reportqa.types import Answer

Rating = Literal["up", "down"]
CHANNELS = ("api", "widget", "ui", "openai")

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at  TEXT NOT NULL,
    channel     TEXT NOT NULL,
    answer_id   TEXT,
    rating      TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment     TEXT NOT NULL DEFAULT '',
    question    TEXT NOT NULL,
    answer      TEXT NOT NULL,
    language    TEXT NOT NULL DEFAULT '',
    abstained   INTEGER NOT NULL DEFAULT 0,
    citations   TEXT NOT NULL DEFAULT '[]',
    settings    TEXT NOT NULL DEFAULT '{}',
    answered_at TEXT,
    source      TEXT NOT NULL DEFAULT 'server'
);
CREATE INDEX IF NOT EXISTS feedback_answer ON feedback (answer_id);
CREATE TRIGGER IF NOT EXISTS feedback_no_update BEFORE UPDATE ON feedback
BEGIN SELECT RAISE(ABORT, 'feedback is append-only'); END;
CREATE TRIGGER IF NOT EXISTS feedback_no_delete BEFORE DELETE ON feedback
BEGIN SELECT RAISE(ABORT, 'feedback is append-only'); END;
"""

# The settings that shape an answer, kept with each feedback row (never secrets such as api_key).
ANSWER_SETTINGS = (
    "embedder",
    "retrieval_mode",
    "top_k",
    "candidates",
    "rrf_k",
    "dense_weight",
    "bm25_weight",
    "gate",
    "gate_min_probability",
    "min_score_ko",
    "min_score_en",
    "min_score_with_terms",
    "min_term_coverage",
    "answer_max_sentences",
    "generator",
    "chunk_max_tokens",
    "chunk_overlap_tokens",
    "index_dir",
)


def answer_settings(settings: Settings, **overrides: Any) -> dict[str, Any]:
    """The answer-shaping settings as JSON values (what a feedback row records)."""
    out: dict[str, Any] = {}
    for name in ANSWER_SETTINGS:
        value = settings.resolved_index_dir if name == "index_dir" else getattr(settings, name)
        out[name] = str(value) if isinstance(value, Path) else value
    out.update({k: v for k, v in overrides.items() if v is not None})
    return out


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class FeedbackError(ReportQAError):
    """Feedback could not be stored or read."""


@dataclass(frozen=True)
class AnswerRecord:
    """An answer as given, kept for feedback: what the user saw and how it was made."""

    id: str
    question: str
    answer: dict[str, Any]  # Answer.to_dict()
    settings: dict[str, Any]
    created_at: str = field(default_factory=now_iso)
    channel: str = "api"


class RecentAnswers:
    """The last ``capacity`` answers by id (and by their plain text, for the Gradio UI)."""

    def __init__(self, capacity: int = 2000) -> None:
        self.capacity = capacity
        self._by_id: OrderedDict[str, AnswerRecord] = OrderedDict()
        self._by_text: dict[str, str] = {}
        self._lock = threading.Lock()

    def remember(
        self,
        question: str,
        answer: Answer,
        settings: dict[str, Any],
        channel: str = "api",
        text_key: str | None = None,
    ) -> AnswerRecord:
        record = AnswerRecord(uuid.uuid4().hex, question, answer.to_dict(), settings, channel=channel)
        with self._lock:
            self._by_id[record.id] = record
            if text_key is not None:
                self._by_text[plain_text(text_key)] = record.id
            while len(self._by_id) > self.capacity:
                old_id, _ = self._by_id.popitem(last=False)
                self._by_text = {k: v for k, v in self._by_text.items() if v != old_id}
        return record

    def get(self, answer_id: str) -> AnswerRecord | None:
        with self._lock:
            return self._by_id.get(answer_id)

    def find_by_text(self, text: str) -> AnswerRecord | None:
        with self._lock:
            answer_id = self._by_text.get(plain_text(text))
            return self._by_id.get(answer_id) if answer_id else None


_TAG = re.compile(r"<[^>]+>")


def plain_text(rendered: str) -> str:
    """Rendered chat HTML → comparable plain text (tags dropped, entities decoded, spaces squeezed)."""
    import html

    return " ".join(html.unescape(_TAG.sub("", rendered)).split())


@dataclass(frozen=True)
class FeedbackRow:
    id: int
    created_at: str
    channel: str
    answer_id: str | None
    rating: str
    comment: str
    question: str
    answer: str
    language: str
    abstained: bool
    citations: list[dict[str, Any]]
    settings: dict[str, Any]
    answered_at: str | None
    source: str


class FeedbackStore:
    """Append-only feedback in one SQLite file (WAL). A connection per call: safe across threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._ready = False
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10.0)
        except (OSError, sqlite3.Error) as exc:
            raise FeedbackError(f"cannot open the feedback database {self.path}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        if not self._ready:
            with self._lock:
                mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise FeedbackError(f"{self.path}: SQLite refused WAL mode ({mode})")
                conn.executescript(SCHEMA)
                conn.commit()
                self._ready = True
        return conn

    def add(
        self,
        *,
        rating: Rating,
        question: str,
        answer: dict[str, Any],
        settings: dict[str, Any],
        channel: str,
        comment: str = "",
        answer_id: str | None = None,
        answered_at: str | None = None,
        source: str = "server",
    ) -> int:
        """Append one row; returns its id. ``answer`` is ``Answer.to_dict()``-shaped."""
        if rating not in ("up", "down"):
            raise FeedbackError(f"rating must be 'up' or 'down'; got {rating!r}")
        row = (
            now_iso(),
            channel,
            answer_id,
            rating,
            comment.strip(),
            question,
            str(answer.get("answer", "")),
            str(answer.get("language", "")),
            int(bool(answer.get("abstained", False))),
            json.dumps(answer.get("citations", []), ensure_ascii=False),
            json.dumps(settings, ensure_ascii=False),
            answered_at,
            source,
        )
        conn = self._connect()
        try:
            with conn:
                cur = conn.execute(
                    "INSERT INTO feedback (created_at, channel, answer_id, rating, comment, question,"
                    " answer, language, abstained, citations, settings, answered_at, source)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
                return int(cur.lastrowid or 0)
        except sqlite3.Error as exc:
            raise FeedbackError(f"cannot store feedback in {self.path}: {exc}") from exc
        finally:
            conn.close()

    def add_for(
        self, record: AnswerRecord, rating: Rating, comment: str = "", channel: str | None = None
    ) -> int:
        """Append feedback on a remembered answer."""
        return self.add(
            rating=rating,
            question=record.question,
            answer=record.answer,
            settings=record.settings,
            channel=channel or record.channel,
            comment=comment,
            answer_id=record.id,
            answered_at=record.created_at,
        )

    def rows(self) -> Iterator[FeedbackRow]:
        """Every row, oldest first."""
        if not self.path.exists():
            return
        conn = self._connect()
        try:
            for r in conn.execute("SELECT * FROM feedback ORDER BY id"):
                yield FeedbackRow(
                    id=r["id"],
                    created_at=r["created_at"],
                    channel=r["channel"],
                    answer_id=r["answer_id"],
                    rating=r["rating"],
                    comment=r["comment"],
                    question=r["question"],
                    answer=r["answer"],
                    language=r["language"],
                    abstained=bool(r["abstained"]),
                    citations=json.loads(r["citations"]),
                    settings=json.loads(r["settings"]),
                    answered_at=r["answered_at"],
                    source=r["source"],
                )
        finally:
            conn.close()


# --- export ------------------------------------------------------------------------------------


def latest_per_answer(rows: Iterable[FeedbackRow]) -> list[tuple[FeedbackRow, list[str]]]:
    """One entry per answer: its latest rating, with every comment given on it (in order).

    A click and a later comment on the same answer are two rows (the table is append-only);
    rows without an answer id stand alone.
    """
    groups: OrderedDict[str, list[FeedbackRow]] = OrderedDict()
    for row in rows:
        key = row.answer_id or f"row-{row.id}"
        groups.setdefault(key, []).append(row)
    out = []
    for group in groups.values():
        comments = [r.comment for r in group if r.comment]
        out.append((group[-1], list(dict.fromkeys(comments))))
    return out


def eval_case(row: FeedbackRow, comments: list[str]) -> dict[str, Any]:
    """One eval-set line (``id, question, language, answers, evidence, answerable, type``) plus
    ``feedback`` with what the bot said.

    A disliked answer becomes a case with empty ``answers``/``evidence`` for a reviewer to fill
    in (``feedback.needs_review``); a liked one keeps the sentences it quoted as ``evidence``.
    A disliked "not found" means the user expected an answer, so it is marked answerable.
    """
    evidence: list[str] = []
    if row.rating == "up":
        for c in row.citations:
            text = str(c.get("text", ""))
            for span in c.get("highlights") or []:
                s, e = int(span[0]), int(span[1])
                if 0 <= s < e <= len(text):
                    evidence.append(text[s:e].strip())
        evidence = [e for e in dict.fromkeys(evidence) if e]
    answerable = True if row.rating == "down" else not row.abstained
    return {
        "id": f"fb-{row.id}",
        "question": row.question,
        "language": row.language or detect_language(row.question),
        "answers": [],
        "evidence": evidence,
        "answerable": answerable,
        "type": "feedback" if answerable else "unanswerable",
        "feedback": {
            "rating": row.rating,
            "comment": " / ".join(comments),
            "channel": row.channel,
            "created_at": row.created_at,
            "answer_id": row.answer_id,
            "answered_at": row.answered_at,
            "bot_answer": row.answer,
            "abstained": row.abstained,
            "citations": [
                {k: c.get(k) for k in ("n", "document", "title", "page", "heading", "text", "score")}
                for c in row.citations
            ],
            "settings": row.settings,
            "source": row.source,
            "needs_review": row.rating == "down",
        },
    }


def export_eval_jsonl(
    store: FeedbackStore, out: TextIO, rating: Literal["up", "down", "all"] = "down"
) -> int:
    """Write eval-set JSONL lines for the answers whose latest rating matches; returns the count."""
    count = 0
    for row, comments in latest_per_answer(store.rows()):
        if rating != "all" and row.rating != rating:
            continue
        out.write(json.dumps(eval_case(row, comments), ensure_ascii=False) + "\n")
        count += 1
    return count
