"""Line cleaning and paragraph unwrapping."""

from __future__ import annotations

import unicodedata

import pytest

from ingest.cleaning import clean_line, clean_lines, is_boilerplate_line, line_width, unwrap_lines


def test_clean_line_composes_decomposed_hangul() -> None:
    decomposed = unicodedata.normalize("NFD", "이차전지")
    assert len(decomposed) > 4
    assert clean_line(decomposed) == "이차전지"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  경기도\u00a0이차전지\t\t산업  ", "경기도 이차전지 산업"),
        ("zero\u200bwidth\u200d join\ufeff", "zerowidth join"),
        ("soft\u00adhyphen", "softhyphen"),
        ("ctrl\x00chars\x07here\x1b!", "ctrl chars here !"),
        ("line\nbreak\r\nand\u2028sep", "line break and sep"),
        ("narrow\u202fnbsp\u3000ideographic", "narrow nbsp ideographic"),
        ("\ue000 private-use bullet", "private-use bullet"),
        ("\t \u00a0 ", ""),
        ("plain", "plain"),
    ],
)
def test_clean_line(raw: str, expected: str) -> None:
    assert clean_line(raw) == expected


@pytest.mark.parametrize(
    "line", ["", "   ", "•", "▲ ▲ ▲", "-", "---", "|", "| | |", "※", "○ □ ■", "* * *", "\u200b"]
)
def test_boilerplate_lines(line: str) -> None:
    assert is_boilerplate_line(line)


@pytest.mark.parametrize("line", ["※ 참고", "• 거점 구축", "1", "Ⅲ.", "①", "a", "- 2024"])
def test_content_lines_are_not_boilerplate(line: str) -> None:
    assert not is_boilerplate_line(line)


def test_clean_lines_drops_empty_and_boilerplate() -> None:
    lines = ["  제목 ", "", "•", "-----", "본문\u00a0첫 줄", "▲", "|  |", " ※ 주석 "]
    assert clean_lines(lines) == ["제목", "본문 첫 줄", "※ 주석"]


def test_line_width_is_a_high_percentile() -> None:
    assert line_width([]) == 0
    assert line_width(["a" * 10, "b" * 50, "c" * 40]) == 50
    # One over-long line among twenty (e.g. a flattened table row) does not set the width.
    assert line_width(["x" * 60] * 19 + ["y" * 500]) == 60


WRAPPED = [
    "This report describes the strategy of the province for the battery",
    "industry and explains how the three core strategies were chosen over",
    "the alternatives.",
    "Next paragraph starts here and is short.",
]


def test_unwrap_joins_wrapped_paragraph_until_sentence_end() -> None:
    assert unwrap_lines(WRAPPED) == [
        "This report describes the strategy of the province for the battery industry and "
        "explains how the three core strategies were chosen over the alternatives.",
        "Next paragraph starts here and is short.",
    ]


def test_unwrap_keeps_list_items_apart() -> None:
    lines = [
        "○ 도내 이차전지 기업의 기술 개발과 사업화를 지원하기 위하여 테스트베드를",
        "구축하고 실증 사업을 추진",
        "○ 전문 인력 양성을 위한 산학연 협력 체계를 마련하고 교육 과정을 운영",
        "1. 첫째 전략은 거점 구축으로서 북부와 남부에 각각 클러스터를 조성하는",
        "2. 둘째 전략은 인재 양성",
        "가. 세부 과제 목록을 정리한 표와 예산 배분 계획을 함께 제시하는 부분",
        "① 기업 지원",
    ]
    assert unwrap_lines(lines) == [
        "○ 도내 이차전지 기업의 기술 개발과 사업화를 지원하기 위하여 테스트베드를 "
        "구축하고 실증 사업을 추진",
        "○ 전문 인력 양성을 위한 산학연 협력 체계를 마련하고 교육 과정을 운영",
        "1. 첫째 전략은 거점 구축으로서 북부와 남부에 각각 클러스터를 조성하는",
        "2. 둘째 전략은 인재 양성",
        "가. 세부 과제 목록을 정리한 표와 예산 배분 계획을 함께 제시하는 부분",
        "① 기업 지원",
    ]


def test_unwrap_leaves_short_lines_and_headings_alone() -> None:
    lines = ["3대 추진 전략", "거점 구축", "인재 양성", "기업 지원"]
    assert unwrap_lines(lines) == lines
    # A short heading followed by a long line is not joined either.
    lines = ["Background", "x " * 40 + "end of the paragraph without a period"]
    assert unwrap_lines(lines, width=80) == lines


def test_unwrap_keeps_hyphenated_words_together() -> None:
    lines = [
        "The evaluation used a state-of-the-art retrieval pipeline with well-",
        "known baselines.",
    ]
    assert unwrap_lines(lines) == [
        "The evaluation used a state-of-the-art retrieval pipeline with well-known baselines."
    ]
