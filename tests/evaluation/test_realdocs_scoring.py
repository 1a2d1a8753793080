"""The real-documents scorer: relevance needs the right document and every evidence snippet."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from evaluation.realdocs import (
    Outcome,
    Passage,
    RealQuestion,
    is_relevant,
    load_questions,
    passage_stats,
    score,
    squash,
    words_in_order,
)


def question(**kw: object) -> RealQuestion:
    base: dict[str, object] = dict(
        id="q", question="7월 토요일 개시 시간은?", language="ko", document="a.pdf", page=3,
        answers=("18:00",), evidence=("7월", "18:00"), answerable=True, type="table",
        crosslingual=False, split="heldout",
    )
    base.update(kw)
    return RealQuestion(**base)  # type: ignore[arg-type]


def test_relevance_needs_every_snippet_in_one_passage_of_the_document() -> None:
    q = question()
    assert is_relevant(Passage("a.pdf", 3, "구분 | 토요일\n7 월 — 토요일: 18:00"), q)
    # the value sticks to the next row's label: the label is elsewhere
    assert not is_relevant(Passage("a.pdf", 3, "6월 17:00\n18:00"), q)
    assert not is_relevant(Passage("b.pdf", 3, "7월 — 토요일: 18:00"), q)
    assert is_relevant(Passage("a.pdf", 3, "7월\x00— 토요일: 18:00"), q)


def test_scores_count_refusals_pages_and_top_passage_for_systems_without_answers() -> None:
    good = Passage("a.pdf", 3, "7월 — 토요일: 18:00")
    bad = Passage("a.pdf", 9, "목차 …… 3")
    qs = [question(), question(id="u", answerable=False, answers=(), evidence=(), page=None,
                               type="unanswerable")]
    ours = score(qs, [Outcome([bad, good], answer="18:00입니다 [1]", cited=good),
                      Outcome([bad], answer="", refused=True)])
    assert (ours.hit1, ours.hit5, ours.containment, ours.page_right) == (0.0, 1.0, 1.0, 1.0)
    assert ours.refused_unanswerable == 1.0 and ours.refused_answerable == 0.0
    assert ours.table_containment == 1.0 and math.isnan(ours.crosslingual_containment)
    tutorial = score(qs, [Outcome([good, bad]), Outcome([bad])])
    assert (tutorial.hit1, tutorial.containment, tutorial.page_right) == (1.0, 1.0, 1.0)
    assert tutorial.refused_unanswerable == 0.0


def test_a_refused_answerable_question_scores_nothing() -> None:
    good = Passage("a.pdf", 3, "7월 — 토요일: 18:00")
    s = score([question()], [Outcome([good], answer="18:00", refused=True, cited=good)])
    assert (s.hit1, s.containment, s.page_right, s.refused_answerable) == (1.0, 0.0, 0.0, 1.0)


def test_load_questions_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    row = {"id": "a", "question": "?", "document": "x.pdf", "page": 2}
    path.write_text(json.dumps(row) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"q\.jsonl:2"):
        load_questions(path)
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    (q,) = load_questions(path)
    assert (q.page, q.split, q.answerable) == (2, "tune", True)


def test_passage_stats_counts_fragments() -> None:
    assert passage_stats(["12", "a longer passage of text here", "x" * 30]) == {
        "passages": 3, "median_chars": 29, "under_20_chars": 1,
    }


def test_a_snippet_copied_from_a_printed_row_matches_the_row_written_with_its_labels() -> None:
    q = question(evidence=("ARIA 128 128/192/256",), answers=("128",))
    row = "CMAC > ARIA — 인증값 최대 길이: 128; 키 길이: 128/192/256; 비고: -"
    assert is_relevant(Passage("a.pdf", 3, row), q)
    assert not is_relevant(Passage("a.pdf", 3, row), q, strict=True)
    # the words in order but with prose between them (no row separator): not the row
    assert not is_relevant(Passage("a.pdf", 3, "ARIA는 인증값이 128 이하이며 128/192/256 키"), q)
    # too far apart: another row's cells
    far = "ARIA — 비고: " + "가" * 50 + "; 길이: 128; 키: 128/192/256"
    assert not is_relevant(Passage("a.pdf", 3, far), q)
    # order matters
    assert not is_relevant(Passage("a.pdf", 3, "128/192/256; ARIA: 128"), q)


def test_words_in_order_backtracks_to_a_later_occurrence() -> None:
    hay = squash("형상항목의 변경에 대한 승인; 역할: 형상항목의 변경; 역할: 형상항목의 반출입")
    assert words_in_order("형상항목의 변경 형상항목의 반출입", hay)
    assert not words_in_order("반출입 형상항목의 변경", hay)
