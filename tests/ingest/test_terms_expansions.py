"""Bilingual terms written as "한국어(ABBR: Expansion)" and identifiers with underscores."""

from __future__ import annotations

from ingest.terms import TermPair, mine_terms


def test_an_abbreviation_and_its_expansion_after_a_colon_are_both_mined() -> None:
    pairs = mine_terms("중요 보안매개변수(SSP: Sensitive Security Parameter)는 보호된다.")
    assert pairs == [
        TermPair("중요 보안매개변수", "SSP"),
        TermPair("중요 보안매개변수", "Sensitive Security Parameter"),
    ]


def test_an_identifier_with_an_underscore_is_a_term_but_a_time_is_not() -> None:
    assert mine_terms("시드별 출력값 생성 횟수 (reseed_interval)를 확인한다.") == [
        TermPair("시드별 출력값 생성 횟수", "reseed_interval")
    ]
    assert mine_terms("회의 시각(12:30)에 시작한다.") == []
