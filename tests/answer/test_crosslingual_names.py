"""Cross-lingual questions: the names a question shares with a Korean text, and how a passage votes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from answer.crosslingual import shared_names, vote_language
from answer.glossary import Glossary, with_shared_names
from reportqa.types import Chunk


def _chunk(text: str, headings: tuple[str, ...] = (), title: str = "") -> Chunk:
    return Chunk("c1", "d1", title, "/d1", text, 0, len(text), heading_path=headings)


def test_acronyms_identifiers_and_numbered_names_are_shared() -> None:
    question = "Which error code signals a failed RSAES known-answer test for HMAC_DRBG and CFB128?"
    assert shared_names(question) == ["rsae", "hmac", "drbg", "cfb", "128"]
    assert shared_names("Is zeroisation of unprotected SSPs a change?") == ["ssp"]  # plural acronym
    assert shared_names("When RSA-PSS 2048 is used") == ["rsa", "pss", "2048"]  # a number after a name
    assert shared_names("At security levels 3 and 4, at the end of fiscal 2022") == []  # bare numbers
    assert shared_names("Which ANSI standard X9.80-2020 is cited?") == ["ansi", "9.80", "2020"]


def test_plain_words_capitalised_names_and_shouting_are_not() -> None:
    assert shared_names("How many Miller-Rabin rounds are required at the end of 2022?") == []
    assert shared_names("What does the warranty give me?") == []
    assert shared_names("WHAT DOES THE WARRANTY GIVE ME") == []


def _index(df: dict[str, int]) -> Callable[[Sequence[str], int], list[tuple[int, float]]]:
    """search_terms of an index where ``df[term]`` passages hold each term."""
    return lambda terms, k: [(row, 1.0) for row in range(min(k, sum(df.get(t, 0) for t in terms)))]


def test_the_translation_adds_the_names_the_index_holds() -> None:
    glossary = Glossary.parse("오류\terror\n코드\tcode\n")
    question = "Which error code signals a failed RSAES test of XYZW?"
    assert glossary.translate(question) == [[("오류",)], [("코드",)]]
    with_shared_names(glossary, _index({"rsae": 1, "오류": 5, "코드": 5}))
    assert glossary.translate(question) == [[("오류",)], [("코드",)], [("rsae",)]]  # XYZW: not indexed
    assert glossary.translate_korean("RSAES 오류 코드는?") == [[("error",)], [("code",)]]  # English only
    off = with_shared_names(Glossary.parse("오류\terror\n"), _index({"rsae": 1}), on=False)
    assert off is not None and off.translate(question) == [[("오류",)]]


def test_a_translated_name_joins_only_when_the_documents_write_it_more_than_once() -> None:
    text = "경과원\tGBSA; agency\n공개키 암호\tRSAES\n"
    once = with_shared_names(Glossary.parse(text), _index({"gbsa": 1, "rsae": 3}))
    assert once is not None
    # GBSA is only glossed once ("영문 약칭은 GBSA"): its Korean name searches for it.
    assert once.translate("Who heads GBSA?") == [[("경과원",)]]
    assert once.translate("Which RSAES test failed?") == [[("공개", "키", "암호"), ("rsae",)]]


def test_a_name_the_translation_already_gives_is_not_repeated() -> None:
    glossary = with_shared_names(Glossary.parse("KAT\tKAT; known answer test\n"), _index({"kat": 9}))
    assert glossary is not None
    assert glossary.translate("How is the KAT run?") == [[("kat",)]]


def test_code_with_korean_comments_under_korean_headings_votes_korean() -> None:
    code = "// SEED 암호화 KAT 수행\nseed_encrypt(SEED_ENCRYPT, seedTestVectors[cnt_i].mode, seedTestVectors[cnt_i].PT);"
    assert vote_language(_chunk(code, ("9 자가시험", "다. 동작 전 자가시험"))) == "ko"
    assert vote_language(_chunk(code, (), "암호모듈 제출물 작성 안내서")) == "ko"  # no headings: the title


def test_english_passages_vote_english_even_quoting_a_korean_name() -> None:
    summary = (
        "The Gyeonggi Secondary Battery Industry Development Plan (경기도 이차전지산업 육성계획) is a research "
        "report by the Gyeonggido Business & Science Accelerator, published in 2024."
    )
    assert vote_language(_chunk(summary, ("Report summary",))) == "en"
    # A passage without Hangul is English wherever it stands (a Korean report's reference list).
    assert vote_language(_chunk("[8] FIPS 140-3 IG, Implementation Guidance", ("참고문헌",))) == "en"
    assert vote_language(_chunk("암호모듈은 자가시험을 수행한다.", ("Summary",))) == "ko"
