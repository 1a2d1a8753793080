"""Shared fixtures: an isolated reportqa home per test, and one real sample index per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportqa.settings import SAMPLE_CORPUS_DIR, Settings

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point REPORTQA_HOME at a temp dir so no test touches the user's data directory."""
    monkeypatch.setenv("REPORTQA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for var in ("REPORTQA_INDEX_DIR", "REPORTQA_EMBEDDER", "REPORTQA_RETRIEVAL_MODE"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="session")
def fixture_embed_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One embedding cache for the session's fixture indexes (``embed_cache_path``): the sample
    corpus and the shared article are embedded once, however many fixture indexes hold them.
    A hit is the float32 vector the model gave, so the indexes are the same as without it."""
    return tmp_path_factory.mktemp("embed-cache") / "embeddings-v1.sqlite3"


@pytest.fixture(scope="session")
def sample_index_dir(tmp_path_factory: pytest.TempPathFactory, fixture_embed_cache: Path) -> Path:
    """The bundled sample corpus (plus the shared article when present), ingested once."""
    from index.indexing import ingest_paths

    index_dir = tmp_path_factory.mktemp("sample-index")
    settings = Settings.load(
        {"home": tmp_path_factory.mktemp("home"), "index_dir": index_dir,
         "embed_cache_path": fixture_embed_cache},
        env={},
    )
    paths = [SAMPLE_CORPUS_DIR]
    article = SHARED / "corpus" / "gbsa-battery-plan-article.ko.txt"
    if article.exists():
        paths.append(article)
    summary = ingest_paths(paths, settings)
    assert summary.documents >= 5, summary
    return index_dir


@pytest.fixture(scope="session")
def sample_settings(sample_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings.load(
        {"home": tmp_path_factory.mktemp("home2"), "index_dir": sample_index_dir}, env={}
    )


@pytest.fixture(scope="session")
def sample_pipeline(sample_settings: Settings):  # type: ignore[no-untyped-def]
    from answer.pipeline import QAPipeline

    return QAPipeline(sample_settings)
