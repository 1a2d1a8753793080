"""Citation checking after generation: sentence splitting, support scores, repair. Fixed inputs."""

from __future__ import annotations

import pytest

from answer.citations import invalid_markers
from answer.grounding import (
    answer_sentences,
    check_grounding,
    repair_citations,
    support_score,
)
from reportqa.language import content_terms

P1 = "보고서가 제시한 3대 추진 전략은 거점 확보, 경쟁력 강화, 생태계 조성이다."
P2 = "보고서는 2025년 12월 22일에 경기도경제과학진흥원이 공개했다."
EN = "GBSA published the report on 22 December 2025."


def test_answer_sentences_keep_markers_with_their_sentence() -> None:
    text = "첫 문장이다. [1] 둘째 문장 [2]. Third one [1][2]!\n- 목록 항목 [1]\n끝"
    spans = [text[s:e] for s, e in answer_sentences(text)]
    assert spans == ["첫 문장이다. [1]", "둘째 문장 [2].", "Third one [1][2]!", "- 목록 항목 [1]", "끝"]
    assert answer_sentences("") == [] and answer_sentences("3.5배 늘었다.") == [(0, 9)]


def test_invalid_markers_are_found() -> None:
    assert invalid_markers("a [1] b [0] c [7] [2]", 2) == [0, 7]


def test_support_is_the_share_of_claim_terms_in_the_cited_passages() -> None:
    assert support_score("3대 추진 전략은 거점 확보이다", [P1], content_terms) == 1.0
    assert support_score("보고서는 2025년 12월 22일에 공개되었다", [P2], content_terms) == 1.0
    wrong_date = support_score("보고서는 2019년 3월 1일에 공개되었다", [P2], content_terms)
    assert wrong_date < 0.5
    assert support_score("전혀 다른 우주 탐사 이야기", [P1, P2], content_terms) == 0.0
    # across languages terms cannot match; a similarity decides when one is given
    assert support_score("The report was published in 2025.", [P2], content_terms) < 0.5
    assert support_score("The report was published.", [P2], content_terms, lambda a, b: 0.8) == 0.8


def test_grounding_scores_each_sentence_against_its_own_citations() -> None:
    text = (
        "문서에서 찾은 내용입니다.\n\n"
        "3대 추진 전략은 거점 확보, 경쟁력 강화, 생태계 조성이다 [1]. "
        "보고서는 2025년 12월 22일에 공개되었다 [1]. "  # cites the wrong passage
        "경기도는 세계 최대의 배터리 생산지이다. "  # covered by the next marker on its line
        "공개 기관은 경기도경제과학진흥원이다 [2][5].\n"
        "달에 공장을 짓는다."  # cites nothing
    )
    g = check_grounding(text, [P1, P2], content_terms, 0.5, framing={"문서에서 찾은 내용입니다."})
    assert g.invalid_markers == (5,)
    framing, *claims = g.sentences
    assert framing.score is None and framing.supported
    assert [c.markers for c in claims] == [(1,), (1,), (2,), (2,), ()]
    assert [c.supported for c in claims] == [True, False, False, True, False]
    assert claims[4].score == 0.0
    assert g.grounded == pytest.approx(sum(c.score or 0 for c in claims) / 5)
    unsupported = [text[s:e] for s, e in g.unsupported_spans]
    assert unsupported == [claims[1].text, claims[2].text, claims[4].text]
    assert g.cited_share == 0.8


def test_an_answer_without_claims_has_no_groundedness() -> None:
    g = check_grounding("제공된 자료에는 이 질문에 대한 답이 없습니다.", [P1], content_terms,
                        framing={"제공된 자료에는 이 질문에 대한 답이 없습니다."})
    assert g.grounded is None and g.unsupported_spans == ()


def test_repair_adds_a_marker_only_where_a_passage_clearly_supports() -> None:
    text = "보고서는 2025년 12월 22일에 공개되었다. 경기도는 달에 공장을 짓는다. 전략은 거점 확보이다 [1]."
    repaired = repair_citations(text, [P1, P2], content_terms, 0.5)
    assert repaired == (
        "보고서는 2025년 12월 22일에 공개되었다 [2]. 경기도는 달에 공장을 짓는다. 전략은 거점 확보이다 [1]."
    )
    assert repair_citations(EN, [P1, P2], content_terms) == EN  # nothing in English to match
