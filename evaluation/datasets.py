"""Eval sets: our JSONL format and SQuAD/KorQuAD JSON, read into one EvalItem shape."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportqa.errors import ReportQAError
from reportqa.language import detect_language

log = logging.getLogger(__name__)


class EvalSetError(ReportQAError):
    """An eval set file cannot be read."""


@dataclass(frozen=True)
class EvalItem:
    """One question: gold answers, evidence strings, and whether it is answerable at all.

    ``doc_id``, when set, restricts relevant passages to that document (SQuAD-style sets).
    """

    id: str
    question: str
    language: str
    answers: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    answerable: bool = True
    doc_id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def targets(self) -> tuple[str, ...]:
        """Strings a relevant passage must contain: the evidence, else the answers."""
        return self.evidence or self.answers


def load_eval_set(path: Path) -> list[EvalItem]:
    """Read a JSONL eval set or a SQuAD/KorQuAD JSON file (chosen by content)."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise EvalSetError(f"{path}: cannot read the eval set ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise EvalSetError(f"{path}: the eval set is not UTF-8 text; save it as UTF-8") from exc
    stripped = raw.lstrip()
    if (
        stripped.startswith("{")
        and '"data"' in stripped[:2000]
        and "\n{" not in stripped.strip()[:2]
    ):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("data"), list):
            return squad_items(data)
    return jsonl_items(raw, path)


def jsonl_items(raw: str, path: Path) -> list[EvalItem]:
    items: list[EvalItem] = []
    seen: set[str] = set()
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalSetError(
                f"{path}:{lineno}: not valid JSON ({exc.msg}); one JSON object per line"
            ) from exc
        if not isinstance(obj, dict) or not str(obj.get("question", "")).strip():
            raise EvalSetError(f'{path}:{lineno}: each line needs a non-empty "question"')
        item_id = str(obj.get("id") or f"q{lineno}")
        if item_id in seen:
            raise EvalSetError(f"{path}:{lineno}: duplicate id {item_id!r}")
        seen.add(item_id)
        question = str(obj["question"]).strip()
        answers = _strings(obj.get("answers"), path, lineno, "answers")
        answerable = bool(obj.get("answerable", bool(answers)))
        item = EvalItem(
            id=item_id,
            question=question,
            language=str(obj.get("language") or detect_language(question)),
            answers=answers,
            evidence=_strings(obj.get("evidence"), path, lineno, "evidence"),
            answerable=answerable,
            doc_id=obj.get("doc_id"),
            meta={k: v for k, v in obj.items() if k not in _KNOWN},
        )
        problem = unscorable(item, "answerable" in obj)
        if problem:
            log.warning("%s:%d: row %r %s", path, lineno, item_id, problem)
        items.append(item)
    if not items:
        raise EvalSetError(f"{path}: no questions found (expected JSONL or SQuAD/KorQuAD JSON)")
    return items


_KNOWN = {"id", "question", "language", "answers", "evidence", "answerable", "doc_id"}


def unscorable(item: EvalItem, answerable_given: bool = True) -> str:
    """What ``item`` lacks for its metrics, as the rest of a warning; "" when it lacks nothing.

    An answerable row needs ``answers`` for answer containment and F1, and ``evidence`` or
    ``answers`` for hit@k and the other retrieval metrics (unscored rows count in no mean).
    """
    if not item.answerable:
        if item.evidence and not answerable_given:
            return (
                'has "evidence" but no "answers" and no "answerable", so it is read as '
                'unanswerable (only abstention is scored); add "answers" or "answerable": true'
            )
        return ""
    if not item.answers and not item.evidence:
        return (
            'is answerable but has no "answers" and no "evidence": no answer containment, F1 or '
            'hit@k is scored for it; add them, or mark it "answerable": false'
        )
    if not item.answers:
        return (
            'is answerable but has no "answers": no answer containment or F1 is scored for it '
            '(retrieval is scored by its "evidence"); add "answers"'
        )
    return ""


def _strings(value: Any, path: Path, lineno: int, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise EvalSetError(f'{path}:{lineno}: "{name}" must be a list of strings')


def squad_items(data: dict[str, Any]) -> list[EvalItem]:
    """SQuAD 1.1 / KorQuAD 1.0: every question, its answers, its article title as ``doc_id``."""
    items: list[EvalItem] = []
    for article in data["data"]:
        title = str(article.get("title", ""))
        for para in article.get("paragraphs", []):
            for qa in para.get("qas", []):
                answers = tuple(dict.fromkeys(a["text"] for a in qa.get("answers", [])))
                unanswerable = bool(qa.get("is_impossible", False)) or not answers
                items.append(
                    EvalItem(
                        id=str(qa["id"]),
                        question=str(qa["question"]).strip(),
                        language=detect_language(qa["question"]),
                        answers=answers,
                        answerable=not unanswerable,
                        doc_id=title or None,
                    )
                )
    return items
