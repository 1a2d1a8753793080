"""An index built by an older reportqa is detected, still served, and the sample index upgraded."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from index.builder import passage_text
from index.indexing import ensure_index, ingest_paths, outdated_features
from index.keyword import KiwiBm25Index
from index.store import ReportIndex, open_index, save_index
from reportqa.language import TOKENIZER, content_terms
from reportqa.settings import Settings

OLD_TOKENIZER = "kiwi-content-morphemes"

CORPUS = {
    "a.md": "# 전략\n\n경기도는 이차전지 산업 거점을 확보한다. 평택에 연구 클러스터를 조성한다.",
    "b.md": "# Recycling\n\nUsed batteries are collected and recycled. The centre opens in 2027.",
}


def _age(index: ReportIndex) -> ReportIndex:
    """The same index as an older reportqa wrote it: default bm25s parameters, no sentence terms,
    the tokenizer before whole identifiers were terms."""
    chunks = [dataclasses.replace(c, sentence_terms=()) for c in index.chunks]
    keyword = KiwiBm25Index.build([passage_text(c) for c in chunks], k1=1.5, b=0.75)
    manifest = {**index.manifest, "keyword": {**index.manifest["keyword"], "tokenizer": OLD_TOKENIZER}}
    return dataclasses.replace(index, chunks=chunks, keyword=keyword, manifest=manifest, path=None)


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in CORPUS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_outdated_features_name_what_an_older_index_lacks(corpus: Path, tmp_path: Path) -> None:
    settings = Settings.load({"home": tmp_path / "h", "index_dir": tmp_path / "idx"}, env={})
    ingest_paths([corpus], settings)
    index = open_index(tmp_path / "idx")
    assert outdated_features(index) == []
    reasons = outdated_features(_age(index))
    assert len(reasons) == 3 and "k1=1.5" in reasons[0] and "sentence terms" in reasons[2]
    assert OLD_TOKENIZER in reasons[1] and TOKENIZER in reasons[1]


def test_the_sample_index_is_rebuilt_and_another_index_only_warned_about(
    corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sample = Settings.load({"home": tmp_path / "h", "corpus_dir": corpus}, env={})
    ingest_paths([corpus], sample)
    save_index(_age(open_index(sample.resolved_index_dir)), sample.resolved_index_dir)
    assert outdated_features(open_index(sample.resolved_index_dir))
    with caplog.at_level(logging.WARNING):
        summary = ensure_index(sample)
    assert summary is not None and summary.documents == 2
    assert "rebuilding the sample index" in caplog.text
    assert outdated_features(open_index(sample.resolved_index_dir)) == []

    # an index of the user's own is served as it is, with a warning that says how to rebuild it
    own = Settings.load({"home": tmp_path / "h", "index_dir": tmp_path / "own"}, env={})
    ingest_paths([corpus], own)
    save_index(_age(open_index(tmp_path / "own")), tmp_path / "own")
    assert ensure_index(own) is None
    from answer.pipeline import QAPipeline

    caplog.clear()
    with caplog.at_level(logging.WARNING):
        answer = QAPipeline(own).ask("평택에 무엇을 조성하나요?")
    assert "클러스터" in answer.text
    assert "built by an older reportqa" in caplog.text and "--rebuild" in caplog.text


def test_an_incremental_ingest_gives_kept_chunks_their_sentence_terms(corpus: Path, tmp_path: Path) -> None:
    settings = Settings.load({"home": tmp_path / "h", "index_dir": tmp_path / "idx"}, env={})
    ingest_paths([corpus / "a.md"], settings)
    save_index(_age(open_index(tmp_path / "idx")), tmp_path / "idx")
    ingest_paths([corpus / "b.md"], settings)
    index = open_index(tmp_path / "idx")
    assert {c.doc_id for c in index.chunks} == {"a.md", "b.md"}
    assert all(c.sentence_terms for c in index.chunks if c.sentences)


def test_an_incremental_ingest_retokenises_chunks_kept_from_another_tokenizer(
    corpus: Path, tmp_path: Path
) -> None:
    settings = Settings.load({"home": tmp_path / "h", "index_dir": tmp_path / "idx"}, env={})
    ingest_paths([corpus / "a.md"], settings)
    index = open_index(tmp_path / "idx")
    stale = [dataclasses.replace(c, sentence_terms=tuple(("stale",) for _ in c.sentences)) for c in index.chunks]
    manifest = {**index.manifest, "keyword": {**index.manifest["keyword"], "tokenizer": OLD_TOKENIZER}}
    save_index(dataclasses.replace(index, chunks=stale, manifest=manifest, path=None), tmp_path / "idx")
    assert outdated_features(open_index(tmp_path / "idx"))
    ingest_paths([corpus / "b.md"], settings)
    index = open_index(tmp_path / "idx")
    assert outdated_features(index) == [] and index.manifest["keyword"]["tokenizer"] == TOKENIZER
    kept = [c for c in index.chunks if c.doc_id == "a.md"]
    assert kept and all(
        c.sentence_terms == tuple(content_terms(t) for t in c.sentence_texts()) for c in kept
    )


def test_an_index_keeps_its_own_chunk_sizes_unless_others_are_set(corpus: Path, tmp_path: Path) -> None:
    from index.indexing import chunker_config
    from ingest.chunking import ChunkerConfig
    from reportqa.errors import ConfigError, IndexMismatchError

    defaults = Settings.load({"home": tmp_path / "h", "index_dir": tmp_path / "idx"}, env={})
    assert chunker_config(defaults) == ChunkerConfig() == ChunkerConfig(300, 60)
    # an index built at the former default 200/40 takes new documents at 200/40
    old = defaults.replace(chunk_max_tokens=200, chunk_overlap_tokens=40)
    ingest_paths([corpus / "a.md"], old)
    ingest_paths([corpus / "b.md"], defaults)
    index = open_index(tmp_path / "idx")
    assert index.manifest["chunker"] == {"max_tokens": 200, "overlap_tokens": 40}
    assert len(index.documents) == 2 and outdated_features(index) == []
    # sizes set on purpose that differ from the index's are refused with the way out
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        ingest_paths([corpus], defaults.replace(chunk_max_tokens=120))
    # a size set alone keeps the index's overlap, or a fifth of itself when that no longer fits
    assert chunker_config(defaults.replace(chunk_max_tokens=100), {"max_tokens": 200, "overlap_tokens": 40}) == ChunkerConfig(100, 40)
    assert chunker_config(defaults.replace(chunk_max_tokens=50)) == ChunkerConfig(50, 10)
    with pytest.raises(ConfigError, match="set an overlap below 200"):  # overlap set alone
        chunker_config(defaults.replace(chunk_overlap_tokens=250), {"max_tokens": 200, "overlap_tokens": 40})
    with pytest.raises(ConfigError, match="chunk_overlap_tokens"):
        Settings.load({"chunk_max_tokens": "100", "chunk_overlap_tokens": "100"}, env={})
    assert Settings.load(env={"REPORTQA_CHUNK_MAX_TOKENS": "250"}).chunk_max_tokens == 250


def test_the_sample_index_is_rebuilt_at_the_current_chunk_sizes(corpus: Path, tmp_path: Path) -> None:
    sample = Settings.load({"home": tmp_path / "h", "corpus_dir": corpus}, env={})
    ingest_paths([corpus], sample.replace(chunk_max_tokens=200, chunk_overlap_tokens=40))
    index = open_index(sample.resolved_index_dir)
    assert outdated_features(index) == []  # nothing an older reportqa lacked ...
    from index.indexing import chunker_config

    reasons = outdated_features(index, chunker_config(sample))
    assert reasons == ["chunked at 200/40 tokens (now 300/60)"]  # ... but the defaults moved on
    assert ensure_index(sample) is not None
    assert open_index(sample.resolved_index_dir).manifest["chunker"] == {"max_tokens": 300, "overlap_tokens": 60}


def test_the_default_index_with_the_users_own_documents_is_never_rebuilt_from_the_sample(
    corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from index.indexing import holds_only

    sample = Settings.load({"home": tmp_path / "h", "corpus_dir": corpus / "sample"}, env={})
    (corpus / "sample").mkdir()
    (corpus / "a.md").rename(corpus / "sample" / "a.md")
    # the default index, built at the former 200/40, then the user's own document added to it
    ingest_paths([corpus / "sample"], sample.replace(chunk_max_tokens=200, chunk_overlap_tokens=40))
    assert holds_only(open_index(sample.resolved_index_dir), corpus / "sample")
    ingest_paths([corpus / "b.md"], sample)
    index = open_index(sample.resolved_index_dir)
    assert not holds_only(index, corpus / "sample") and len(index.documents) == 2
    # older BM25 parameters too: still not rebuilt, the user's document stays
    save_index(_age(index), sample.resolved_index_dir)
    assert ensure_index(sample) is None
    kept = open_index(sample.resolved_index_dir)
    assert sorted(d.id for d in kept.documents) == ["a.md", "b.md"]
    assert kept.manifest["chunker"] == {"max_tokens": 200, "overlap_tokens": 40}
