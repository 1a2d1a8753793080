"""What keeps a large index cheap: chunks read from disk on access, HNSW graphs extended on an
incremental ingest instead of rebuilt, sentence vectors merged without a float32 copy."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from index.indexing import ingest_paths
from index.store import CHUNK_OFFSETS, LazyChunks, current_version, open_index, save_index
from index.vector_store import FaissVectorStore, VectorIndexSpec
from reportqa.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from index_helpers import CountingHashEmbedder, tiny_index
from test_vector_store import clustered


def test_lazy_chunks_behave_like_the_list(tmp_path: Path) -> None:
    built = tiny_index()
    save_index(built, tmp_path / "idx")
    eager = open_index(tmp_path / "idx")
    lazy = open_index(tmp_path / "idx", lazy_chunks_from=1)
    assert isinstance(eager.chunks, list) and isinstance(lazy.chunks, LazyChunks)
    n = len(built.chunks)
    assert n >= 4 and len(lazy.chunks) == n
    assert lazy.chunks[0] == built.chunks[0] and lazy.chunks[-1] == built.chunks[-1]
    assert lazy.chunks[1:3] == built.chunks[1:3]
    assert list(lazy.chunks) == built.chunks and lazy.chunks == built.chunks
    assert lazy.chunks.index(built.chunks[2]) == 2
    assert lazy.chunks[2] is lazy.chunks[2]  # recently used rows are kept decoded
    with pytest.raises(IndexError):
        lazy.chunks[n]
    # An index saved before the offsets file existed: the line starts are found on open.
    (current_version(tmp_path / "idx") / CHUNK_OFFSETS).unlink()
    old = open_index(tmp_path / "idx", lazy_chunks_from=1)
    assert list(old.chunks) == built.chunks


def test_hnsw_store_is_extended_not_rebuilt_and_a_mapped_base_is_untouched(tmp_path: Path) -> None:
    spec = VectorIndexSpec(kind="hnsw")
    base_vectors, more = clustered(600), clustered(50, seed=5)
    FaissVectorStore.build(base_vectors, spec).save(tmp_path)
    mapped = FaissVectorStore.load(tmp_path)
    assert mapped.mmapped
    grown = mapped.extended(more, spec)
    assert not grown.mmapped and len(grown) == 650 and len(mapped) == 600
    np.testing.assert_allclose(grown.reconstruct_all()[:600], base_vectors, atol=1e-3)
    assert grown.search(more[7], 1)[0][0] == 607
    # Crossing the threshold from a flat store builds the HNSW graph.
    small = FaissVectorStore.build(base_vectors[:90], VectorIndexSpec(ann_min_vectors=100))
    assert small.kind == "flat"
    assert small.extended(more[:20], VectorIndexSpec(ann_min_vectors=100)).kind == "hnsw"


def test_incremental_ingest_with_hnsw_keeps_rows_vectors_and_sentences_aligned(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("이차전지 거점\n경기도는 이차전지 거점이다. 평택에 클러스터를 조성한다.\n", encoding="utf-8")
    (corpus / "b.txt").write_text("예산과 재활용\n예산은 430억 원이다. 재활용 센터는 화성에 들어선다.\n", encoding="utf-8")
    settings = Settings.load(
        {"home": tmp_path / "home", "index_dir": tmp_path / "idx", "vector_index": "hnsw"}, env={}
    )
    emb = CountingHashEmbedder()
    ingest_paths([corpus], settings, embedder=emb)
    (corpus / "c.txt").write_text("Recycling\nRecycling is a core task. The plan runs to 2030.\n", encoding="utf-8")
    ingest_paths([corpus], settings, embedder=emb)  # added only: the graph is extended
    (corpus / "a.txt").unlink()
    ingest_paths([corpus], settings, sync=True, embedder=emb)  # removed: rebuilt
    index = open_index(settings.resolved_index_dir)
    assert index.vectors.kind == "hnsw"
    assert sorted(d.id for d in index.documents) == ["b.txt", "c.txt"]
    for row, chunk in enumerate(index.chunks):
        from index.builder import passage_text

        np.testing.assert_allclose(index.vectors.reconstruct(row), emb._vec(passage_text(chunk)), atol=1e-3)
        expected = np.array([emb._vec(s) for s in chunk.sentence_texts()], dtype=np.float32)
        np.testing.assert_allclose(index.sentence_vectors_of(row), expected, atol=2e-3)
