"""Vector index types by size, memory-mapped loading, and the on-disk format staying compatible."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import faiss
import numpy as np
import pytest

from index.store import current_version, open_index, read_manifest, save_index
from index.vector_store import FaissVectorStore, VectorIndexSpec
from reportqa.errors import ConfigError
from reportqa.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from index_helpers import tiny_index


def clustered(n: int, dim: int = 32, clusters: int = 40, seed: int = 0) -> np.ndarray:
    """Unit vectors in topic-like clusters (ANN is trivial on uniform random vectors)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    x = centres[rng.integers(0, clusters, n)] + 0.35 * rng.standard_normal((n, dim)).astype(np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_spec_chooses_flat_below_the_threshold_and_hnsw_from_it() -> None:
    spec = VectorIndexSpec(ann_min_vectors=100)
    assert spec.resolve(99) == "flat"
    assert spec.resolve(100) == "hnsw"
    assert VectorIndexSpec(kind="flat", ann_min_vectors=1).resolve(10**6) == "flat"
    assert VectorIndexSpec(kind="hnsw").resolve(5) == "hnsw"
    assert FaissVectorStore.build(clustered(50), spec).kind == "flat"
    assert FaissVectorStore.build(clustered(150), spec).kind == "hnsw"
    with pytest.raises(ValueError, match="auto, flat, hnsw"):
        VectorIndexSpec(kind="ivf")


def test_hnsw_search_breadth_grows_with_size_unless_set() -> None:
    auto = VectorIndexSpec()
    assert auto.ef_search_for(50_000) == auto.ef_search_for(100_000) == 96
    assert 200 < auto.ef_search_for(200_000) < auto.ef_search_for(1_000_000) <= 4096
    assert VectorIndexSpec(hnsw_ef_search=40).ef_search_for(10**6) == 40
    store = FaissVectorStore.build(clustered(300), VectorIndexSpec(kind="hnsw"))
    assert store.ef_search == 96 and store.describe()["ef_search"] == 96


def test_settings_carry_the_spec_and_refuse_nonsense() -> None:
    s = Settings.load({"vector_index": "hnsw", "ann_min_vectors": "10", "hnsw_ef_search": "40"}, env={})
    spec = VectorIndexSpec.from_settings(s)
    assert (spec.kind, spec.ann_min_vectors, spec.hnsw_ef_search) == ("hnsw", 10, 40)
    with pytest.raises(ConfigError, match="vector_index"):
        Settings.load({"vector_index": "annoy"}, env={})
    with pytest.raises(ConfigError, match="hnsw_m"):
        Settings.load({"hnsw_m": 2}, env={})
    with pytest.raises(ConfigError, match="hnsw_ef_search"):
        Settings.load({"hnsw_ef_search": -1}, env={})
    assert VectorIndexSpec.from_settings(Settings.load({}, env={})).hnsw_ef_search == 0


def test_hnsw_recall_at_10_against_exact_search() -> None:
    base, queries = clustered(3000), clustered(100, seed=1)
    exact = FaissVectorStore.build(base, VectorIndexSpec(kind="flat"))
    ann = FaissVectorStore.build(base, VectorIndexSpec(kind="hnsw"))  # default efSearch
    _, truth = exact.search_many(queries, 10)
    _, found = ann.search_many(queries, 10)
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)])
    assert recall >= 0.95
    # HNSW keeps the vectors as float16: reconstruct, and the cosines built on it, within 1e-3.
    np.testing.assert_allclose(ann.reconstruct(7), base[7], atol=1e-3)
    np.testing.assert_allclose(ann.reconstruct_all(), base, atol=1e-3)
    assert ann.describe()["storage"] == "fp16"


def test_hnsw_returns_k_results_even_beyond_ef_search() -> None:
    store = FaissVectorStore.build(clustered(500), VectorIndexSpec(kind="hnsw", hnsw_ef_search=8))
    hits = store.search(clustered(1, seed=3)[0], 30)
    assert len(hits) == 30 and len({r for r, _ in hits}) == 30
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    assert store.ef_search == 8  # the per-call widening leaves the stored setting alone


def test_search_runs_single_threaded_and_restores_the_thread_count() -> None:
    before = faiss.omp_get_max_threads()
    store = FaissVectorStore.build(clustered(200), VectorIndexSpec(kind="flat"))
    store.search(clustered(1, seed=2)[0], 5)
    assert faiss.omp_get_max_threads() == before


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_saved_store_loads_memory_mapped_and_read_only(tmp_path: Path, kind: str) -> None:
    base = clustered(400)
    built = FaissVectorStore.build(base, VectorIndexSpec(kind=kind))
    built.save(tmp_path)
    mapped = FaissVectorStore.load(tmp_path)
    assert mapped.mmapped and mapped.kind == kind and len(mapped) == 400
    q = clustered(5, seed=9)
    np.testing.assert_array_equal(mapped.search_many(q, 10)[1], built.search_many(q, 10)[1])
    # FAISS aborts the process on a write to a mapped array: the store refuses first.
    with pytest.raises(ValueError, match="memory-mapped"):
        mapped.add(base[:1])
    copy = FaissVectorStore.load(tmp_path, mmap=False)
    assert not copy.mmapped
    copy.add(base[:1])
    assert len(copy) == 401


def test_manifest_records_the_vector_index_and_old_manifests_still_load(tmp_path: Path) -> None:
    index = tiny_index(VectorIndexSpec(kind="hnsw"))
    save_index(index, tmp_path / "idx")
    manifest = read_manifest(tmp_path / "idx")
    assert manifest["vectors"]["kind"] == "hnsw"
    assert manifest["vectors"]["count"] == len(index.chunks)
    loaded = open_index(tmp_path / "idx")
    assert loaded.vectors.kind == "hnsw" and loaded.vectors.mmapped
    # An index saved before the "vectors" key existed (schema 1 as first released) loads alike.
    path = current_version(tmp_path / "idx") / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["vectors"]
    path.write_text(json.dumps(data), encoding="utf-8")
    old = open_index(tmp_path / "idx")
    assert old.vectors.kind == "hnsw" and len(old.chunks) == len(index.chunks)


def test_sentence_vectors_load_memory_mapped_as_float16(tmp_path: Path) -> None:
    index = tiny_index()
    save_index(index, tmp_path / "idx")
    loaded = open_index(tmp_path / "idx")
    assert isinstance(loaded.sentence_vectors, np.memmap)
    assert loaded.sentence_vectors.dtype == np.float16
    for row in range(len(index.chunks)):
        got = loaded.sentence_vectors_of(row)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, index.sentence_vectors_of(row), atol=2e-3)
    eager = open_index(tmp_path / "idx", mmap=False)
    assert not isinstance(eager.sentence_vectors, np.memmap) and not eager.vectors.mmapped
    np.testing.assert_array_equal(eager.sentence_vectors_of(1), loaded.sentence_vectors_of(1))
