from __future__ import annotations

from pathlib import Path

import pytest

from reportqa.errors import ConfigError
from reportqa.language import detect_language
from reportqa.settings import Settings


def test_env_overrides_defaults_and_flags_override_env(tmp_path: Path) -> None:
    env = {"REPORTQA_TOP_K": "7", "REPORTQA_HOME": str(tmp_path), "REPORTQA_RETRIEVAL_MODE": "bm25"}
    s = Settings.load(env=env)
    assert (s.top_k, s.retrieval_mode, s.home) == (7, "bm25", tmp_path)
    assert s.resolved_index_dir == tmp_path / "indexes" / "sample"
    s = Settings.load({"top_k": 3, "retrieval_mode": None}, env=env)
    assert (s.top_k, s.retrieval_mode) == (3, "bm25")


def test_bad_values_name_the_variable() -> None:
    with pytest.raises(ConfigError, match="REPORTQA_TOP_K"):
        Settings.load(env={"REPORTQA_TOP_K": "many"})
    with pytest.raises(ConfigError, match="top_k must be greater than 0"):
        Settings.load(env={"REPORTQA_TOP_K": "0"})
    with pytest.raises(ConfigError, match="retrieval_mode must be one of"):
        Settings.load({"retrieval_mode": "magic"}, env={})
    with pytest.raises(ConfigError, match="fusion_sentence_share must be between 0 and 1"):
        Settings.load(env={"REPORTQA_FUSION_SENTENCE_SHARE": "1.5"})
    with pytest.raises(ConfigError, match="fusion_unseen_weight must be between 0 and 1"):
        Settings.load({"fusion_unseen_weight": "-0.1"}, env={})
    with pytest.raises(ConfigError, match="REPORTQA_CHUNK_MAX_TOKENS"):
        Settings.load(env={"REPORTQA_CHUNK_MAX_TOKENS": "big"})


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("보고서가 제시한 3대 추진 전략은?", "ko"),
        ("ESS 수요는?", "ko"),
        ("What are the three strategies?", "en"),
        ("What does 이차전지 mean in the report?", "en"),
        ("12345", "en"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_user_dictionary_file_joins_spaced_terms(tmp_path: Path) -> None:
    from reportqa.language import add_user_words, content_terms, load_user_dictionary

    path = tmp_path / "dict.txt"
    path.write_text("# 도메인 용어\n리튬 인산철\t NNG\n나트륨이온전지\n", encoding="utf-8")
    entries = load_user_dictionary(path)
    assert entries == [("리튬인산철", "NNG"), ("나트륨이온전지", "NNP")]
    add_user_words(entries)
    assert "리튬인산철" in content_terms("리튬 인산철 배터리와 나트륨이온전지")
    assert "나트륨이온전지" in content_terms("리튬 인산철 배터리와 나트륨이온전지")
    # the built-in domain terms: 이차전지 and 사용 후 배터리 stay whole
    assert content_terms("사용 후 배터리와 이차전지") == ("사용후배터리", "이차전지")
    bad = tmp_path / "bad.txt"
    bad.write_text("단어\tnoun\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.txt:1: bad part-of-speech tag"):
        load_user_dictionary(bad)
