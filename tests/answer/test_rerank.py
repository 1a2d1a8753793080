"""Cross-encoder reranking with a tiny locally built model, MMR, and score fusion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from answer.fusion import score_fusion
from answer.rerank import CrossEncoderReranker, mmr_select
from reportqa.errors import ModelUnavailableError
from reportqa.types import Chunk, Hit


def _hit(i: int, text: str, score: float) -> Hit:
    return Hit(Chunk(f"d#{i}", "d", "T", "/x", text, 0, len(text)), score, {"dense": score})


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 2-layer BERT cross-encoder with a word-level vocab, saved locally."""
    torch = pytest.importorskip("torch")
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-ce")
    words = [
        "battery",
        "strategy",
        "hub",
        "the",
        "report",
        "core",
        "task",
        "weather",
        "sunny",
        "rain",
        "korea",
        "gyeonggi",
    ]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=True)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        num_labels=1,
    )
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_reranker_orders_by_cross_encoder_scores(tiny_cross_encoder: Path) -> None:
    reranker = CrossEncoderReranker(str(tiny_cross_encoder))
    hits = [
        _hit(0, "the weather is sunny", 0.9),
        _hit(1, "battery strategy hub", 0.8),
        _hit(2, "core task report", 0.7),
    ]
    out = reranker.rerank("battery strategy", hits)
    assert sorted(h.chunk.id for h in out) == ["d#0", "d#1", "d#2"]
    scores = [h.score for h in out]
    assert scores == sorted(scores, reverse=True)
    assert all("rerank" in h.scores_by_retriever and "dense" in h.scores_by_retriever for h in out)
    # the same model scores the same pair the same way, whatever the batch order
    again = {h.chunk.id: h.score for h in reranker.rerank("battery strategy", list(reversed(hits)))}
    for h in out:
        assert again[h.chunk.id] == pytest.approx(h.score, abs=1e-4)


def test_missing_reranker_model_is_a_clear_error() -> None:
    with pytest.raises(ModelUnavailableError, match="REPORTQA_RERANKER"):
        CrossEncoderReranker("nobody/no-such-reranker").rerank("q", [_hit(0, "x", 1.0)])


def test_mmr_drops_near_duplicates_and_prefers_novelty() -> None:
    v = np.array([[1.0, 0.0], [1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], dtype=np.float32)
    rel = [1.0, 0.99, 0.5, 0.4]
    assert mmr_select(rel, v, 3, lambda_=1.0) == [0, 2, 3]  # row 1 duplicates row 0
    assert mmr_select(rel, v, 2, lambda_=0.3) == [0, 3]  # novelty outweighs relevance
    assert mmr_select([], np.zeros((0, 2)), 3) == []


def test_score_fusion_keeps_score_gaps() -> None:
    dense = {1: 0.90, 2: 0.89, 3: 0.88}
    bm25 = {2: 30.0, 1: 5.0, 4: 4.0}
    fused = score_fusion(dense, bm25, bm25_weight=0.5)
    assert fused[0][0] == 2  # bm25 is far surer about row 2 than dense is about row 1
    assert score_fusion(dense, bm25, bm25_weight=0.0)[0][0] == 1
    assert {r for r, _ in fused} == {1, 2, 3, 4}
