"""Sentence terms computed at ingest are stored with the chunks and used when answering."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np

from answer.extractive import chunk_terms, score_sentences
from index.store import open_index, save_index
from ingest.korean import content_terms
from reportqa.types import Chunk, Hit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "index"))
from index_helpers import tiny_index


def test_ingest_stores_each_sentences_terms_and_they_survive_save_and_load(tmp_path: Path) -> None:
    index = tiny_index()
    for chunk in index.chunks:
        assert chunk.sentence_terms == tuple(content_terms(t) for t in chunk.sentence_texts())
    assert any("이차전지" in terms for c in index.chunks for terms in c.sentence_terms)
    save_index(index, tmp_path)
    loaded = open_index(tmp_path, "hash-test")
    assert [c.sentence_terms for c in loaded.chunks] == [c.sentence_terms for c in index.chunks]


def _chunk(terms: tuple[tuple[str, ...], ...] = ()) -> Chunk:
    text = "경기도는 이차전지 거점이다. 평택에 클러스터를 조성한다."
    return Chunk("d#0", "d", "D", "/d", text, 0, len(text), sentences=((0, 15), (16, len(text))), sentence_terms=terms)


def test_answer_scoring_uses_the_stored_terms_and_falls_back_to_tokenising() -> None:
    def coverage(chunk: Chunk) -> list[float]:
        vectors = np.zeros((2, 4), dtype=np.float32)
        hit = Hit(chunk, 1.0, {"dense": 0.9})
        found = score_sentences(["평택"], np.zeros(4, dtype=np.float32), [hit], [vectors], lambda t: 1.0)
        return [c.coverage for c in found]

    assert coverage(_chunk()) == [0.0, 1.0]  # no stored terms (an older index): tokenised now
    # stored terms win over the text (here deliberately different, to see which is used)
    assert coverage(_chunk((("평택",), ("클러스터",)))) == [1.0, 0.0]


def test_chunk_terms_is_the_union_of_stored_sentence_terms_else_the_texts_terms() -> None:
    assert chunk_terms(_chunk((("a", "b"), ("b", "c")))) == {"a", "b", "c"}
    plain = _chunk()
    assert chunk_terms(plain) == set(content_terms(plain.text))
    assert chunk_terms(dataclasses.replace(plain, sentence_terms=())) == set(content_terms(plain.text))
