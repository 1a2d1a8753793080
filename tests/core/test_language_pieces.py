"""reportqa/language.py: capitalised abbreviations kept as terms, punctuation pieces joined."""

from __future__ import annotations

from reportqa.language import content_terms, keyword_terms, split_sentences


def test_capitalised_abbreviation_spelling_a_stop_word_is_a_term() -> None:
    # "AS" (after-sales service) and "IT" are terms; the same letters in lower case are not.
    assert "as" in content_terms("AS 접수는 어디서 하나요?")
    assert "it" in content_terms("IT 분야 예산")
    assert "as" in content_terms("Is AS free during the warranty?")
    assert "as" not in content_terms("such as this one")
    assert "it" not in content_terms("What is it for?")


def test_all_capitals_text_keeps_its_function_words_out() -> None:
    assert content_terms("WHAT IS THE PLAN") == content_terms("what is the plan")


def test_piece_without_letters_or_digits_joins_the_sentence_before() -> None:
    text = "값은 다음 식으로 정한다(예: 반복 시험의\n). 예를 들어 값이 8이면 그렇다.\n끝."
    pieces = [text[s:e] for s, e in split_sentences(text)]
    assert pieces[0] == "값은 다음 식으로 정한다(예: 반복 시험의\n)."
    assert pieces[1:] == ["예를 들어 값이 8이면 그렇다.", "끝."]
    assert not any(p.strip(").") == "" for p in pieces)


def test_a_leading_punctuation_piece_joins_the_sentence_after() -> None:
    # The chunker splits a passage line by line: the line after a dropped formula starts ").".
    text = "). 예를 들어 값이 8이면 그렇다. 끝."
    assert [text[s:e] for s, e in split_sentences(text)] == ["). 예를 들어 값이 8이면 그렇다.", "끝."]


def test_a_lone_punctuation_piece_stays() -> None:
    assert split_sentences(").") == [(0, 2)]
    assert split_sentences(" ). ") == [(1, 3)]


def test_an_identifier_is_also_one_bm25_term_besides_its_pieces() -> None:
    # requirement ids, API names and algorithm names written without spaces; sentence-level
    # matching (content_terms) keeps the pieces only
    assert content_terms("AS09.01 요구사항") == ("as", "09.01", "요구", "사항")
    assert keyword_terms("AS09.01 요구사항")[-1] == "as09.01"
    assert {"ve", "06.08.01", "ve06.08.01"} <= set(keyword_terms("VE06.08.01 항목"))  # a serial
    assert "kisacryptogetstate" in keyword_terms("KISA_Crypto_getState() 함수")
    assert "hmacdrbg" in keyword_terms("HMAC_DRBG") and "hmacdrbg" in keyword_terms("HMAC-DRBG")
    assert "is09.01" in keyword_terms("IS09.01")  # "IS" alone is a stop word, the id is not
    assert "sha256" in keyword_terms("SHA-256") and "aes128" in keyword_terms("AES128 암호")
    assert keyword_terms("AS09.01.")[-1] == "as09.01"  # a sentence's full stop is no part


def test_words_numbers_and_spaced_pieces_are_no_identifiers() -> None:
    assert keyword_terms("RSA 2048 키") == ("rsa", "2048", "키")  # a space ends it
    assert keyword_terms("제3조 목적") == ("3", "조", "목적")  # no Latin letter
    assert keyword_terms("encryption keys") == ("encrypt", "key")
    assert "2022.12.31" in content_terms("시행일 2022.12.31")  # a date is a term
