from __future__ import annotations

from answer.citations import claims_by_marker, parse_markers, renumber_citations, support_spans
from reportqa.language import content_terms
from reportqa.types import Chunk


def test_parse_markers_in_order_with_repeats() -> None:
    assert parse_markers("a [2] b [1][2] c [10]") == [2, 1, 2, 10]


def test_renumber_by_first_appearance_and_drop_unknown_markers() -> None:
    text, order = renumber_citations("First [3]. Second [1][3]. Bogus [9]. Zero [0].", n_passages=5)
    assert text == "First [1]. Second [2][1]. Bogus. Zero."
    assert order == [3, 1]


def test_claims_by_marker() -> None:
    claims = claims_by_marker("경기도는 거점이다 [1]\n전략은 셋이다 [2][1]")
    assert claims == {1: ["경기도는 거점이다", "전략은 셋이다"], 2: ["전략은 셋이다"]}


def _chunk() -> Chunk:
    doc = "머리말. 보고서는 3대 추진 전략을 제시했다. 경기도는 전기차 등록이 가장 많다."
    start = doc.index("보고서")
    s1 = (start, doc.index("다.", start) + 2)
    s2 = (doc.index("경기도"), len(doc))
    return Chunk("d#0", "d", "T", "/x", doc[start:], start, len(doc), sentences=(s1, s2))


def test_support_spans_prefers_a_sentence_quoted_verbatim() -> None:
    chunk = _chunk()
    spans = support_spans(chunk, ["문서 내용: 경기도는 전기차 등록이 가장 많다."], content_terms)
    assert [chunk.text[s:e] for s, e in spans] == ["경기도는 전기차 등록이 가장 많다."]


def test_support_spans_falls_back_to_term_overlap_and_ignores_unrelated_claims() -> None:
    chunk = _chunk()
    spans = support_spans(chunk, ["추진 전략은 모두 세 가지다"], content_terms)
    assert [chunk.text[s:e] for s, e in spans] == ["보고서는 3대 추진 전략을 제시했다."]
    assert support_spans(chunk, ["비트코인 시세가 올랐다"], content_terms) == ()


def test_support_spans_ignore_a_heading_contained_in_the_quoted_sentence() -> None:
    doc = "3대 추진 전략\n보고서가 제시한 3대 추진 전략은 셋이다."
    s1, s2 = (0, 8), (9, len(doc))
    chunk = Chunk("d#0", "d", "T", "/x", doc, 0, len(doc), sentences=(s1, s2))
    assert support_spans(chunk, ["보고서가 제시한 3대 추진 전략은 셋이다."], content_terms) == (s2,)


def test_support_spans_match_a_quote_whose_marker_sits_before_the_full_stop() -> None:
    doc = "3대 추진 전략\n보고서가 제시한 3대 추진 전략은 셋이다."
    s1, s2 = (0, 8), (9, len(doc))
    chunk = Chunk("d#0", "d", "T", "/x", doc, 0, len(doc), sentences=(s1, s2))
    assert support_spans(chunk, ["보고서가 제시한 3대 추진 전략은 셋이다"], content_terms) == (s2,)
