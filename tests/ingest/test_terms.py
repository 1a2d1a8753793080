"""Bilingual terms mined from a document's text (ingest/terms.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.terms import TermPair, korean_term_before, mine_documents, mine_terms

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        ("모듈은 탬퍼 대응(tamper response) 기능을 갖춘다.", TermPair("탬퍼 대응", "tamper response")),
        ("리그는 자동 투구 판정 시스템(ABS)을 도입했다.", TermPair("자동 투구 판정 시스템", "ABS")),
        ("암호모듈(Cryptographic Module)은 다음과 같다.", TermPair("암호모듈", "Cryptographic Module")),
        ("the key transport (키 전송) is checked", TermPair("키 전송", "key transport")),
        ("Cryptographic Boundary(암호 경계)를 정한다.", TermPair("암호 경계", "Cryptographic Boundary")),
    ],
)
def test_a_term_glossed_in_parentheses_is_mined(text: str, pair: TermPair) -> None:
    assert pair in mine_terms(text)


def test_the_korean_side_stops_at_the_noun_phrase() -> None:
    # A modifier ("위한"), a particle ("을") or punctuation ends the Korean term.
    assert korean_term_before("공격에 대비하기 위한 탬퍼 대응") == "탬퍼 대응"
    assert korean_term_before("전기차 전환, 에너지저장장치") == "에너지저장장치"
    assert korean_term_before("모듈을") == ""
    # At most four eojeol.
    assert korean_term_before("긴 시스템 보안 인증 제도 운영 기관") == "인증 제도 운영 기관"
    # The word glued to a closing parenthesis is its particle, not part of the next term.
    assert korean_term_before("탬퍼 대응(tamper response)과 탬퍼 검출") == "탬퍼 검출"


def test_several_english_alternatives_in_one_parenthesis() -> None:
    pairs = mine_terms("핵심 보안매개변수(critical security parameter, CSP)를 보호한다.")
    assert TermPair("핵심 보안매개변수", "critical security parameter") in pairs
    assert TermPair("핵심 보안매개변수", "CSP") in pairs


def test_a_list_of_symbols_in_parentheses_is_no_gloss() -> None:
    # "Key" is a word, but beside "V" (no term) the parenthesis lists the state's parts.
    assert mine_terms("DRBG의 내부상태(Key, V, Reseed_Counter)를 제로화한다.") == []
    assert mine_terms("개인키 파라미터(dP, dQ, qInv)를 저장한다.") == []


@pytest.mark.parametrize(
    "text",
    [
        "그림(Fig. 3)에 보였다.",
        "농도(mg/L)를 쟀다.",
        "보고서(2022)가 나왔다.",
        "조항(AS02.13)을 따른다.",
        "라이브러리(KISACrypto64.dll)를 쓴다.",
        "정상동작 상태(x000003EA)를 돌려준다.",
        "구현(from Input to Output)을 본다.",
        "경기도경제과학진흥원(경과원)이 발간했다.",
    ],
)
def test_units_references_and_korean_abbreviations_are_not_terms(text: str) -> None:
    assert mine_terms(text) == []


def test_abbreviation_and_term_table_rows() -> None:
    text = (
        "약어 | 설명\n"
        "KCMVP | Korea Cryptographic Module Validation Program | 국내 검증 제도\n"
        "SSP | 중요 보안매개변수 | sensitive security parameter\n"
        "예산 | 430억 원\n"
    )
    pairs = mine_terms(text)
    assert TermPair("KCMVP", "Korea Cryptographic Module Validation Program") in pairs
    assert TermPair("중요 보안매개변수", "SSP") in pairs
    assert TermPair("중요 보안매개변수", "sensitive security parameter") in pairs
    # A Korean description in a later cell is not a translation of the abbreviation.
    assert not [p for p in pairs if p.korean == "국내 검증 제도"]
    assert not [p for p in pairs if "430" in p.english]


def test_an_abbreviation_row_needs_matching_initials() -> None:
    assert mine_terms("ABC | Totally Unrelated Words\n") == []


def test_a_plain_word_beside_a_korean_cell_is_table_content_not_a_translation() -> None:
    assert mine_terms("내부상태 | Key | 값\n") == []
    assert mine_terms("메시지 인증 코드 | HMAC\n") == [TermPair("메시지 인증 코드", "HMAC")]


def test_documents_merge_once_each_in_first_order() -> None:
    a = "탬퍼 대응(tamper response)과 탬퍼 검출(tamper detection)"
    b = "탬퍼 대응(tamper response)을 다시 쓴다."
    assert mine_documents([a, b]) == [
        TermPair("탬퍼 대응", "tamper response"),
        TermPair("탬퍼 검출", "tamper detection"),
    ]


def test_the_real_article_glosses_its_abbreviations() -> None:
    article = SHARED / "corpus" / "gbsa-battery-plan-article.ko.txt"
    if not article.is_file():
        pytest.skip(f"{article} is absent (the shared corpus is not checked out next to the repo)")
    pairs = mine_terms(article.read_text(encoding="utf-8"))
    assert TermPair("에너지저장장치", "ESS") in pairs
    # Its crypto-price ticker and font-size menu give nothing.
    assert all(p.english.isascii() and p.korean for p in pairs)
    assert len(pairs) <= 5
