"""load_documents on hostile paths and structures (issue 15): symlink loops and links leaving the
folder, undecodable file names, deeply nested documents, UTF-16 text without a byte-order mark."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from ingest.loaders.docx import MAX_TABLE_NESTING
from ingest.loaders.text import looks_binary, utf16_encoding
from ingest.pipeline import LoadReport, load_documents
from reportqa.settings import Settings

GOOD = "The Vardo wind farm has 31 turbines. It opened in 2021.\n"


def reasons(report: LoadReport) -> dict[str, str]:
    return {Path(e.path).name: e.reason for e in report.skipped}


@pytest.fixture
def settings() -> Settings:
    return Settings.load(env={})


def test_a_symlink_loop_is_a_skip_not_an_aborted_batch(tmp_path: Path, settings: Settings) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    (folder / "self.txt").symlink_to("self.txt")  # Path.resolve() raised RuntimeError here
    (folder / "ping").symlink_to("pong")
    (folder / "pong").symlink_to("ping")
    report = load_documents([folder, folder / "self.txt"], settings)
    assert [d.id for d in report.documents] == ["good.txt"]
    got = reasons(report)
    assert set(got) == {"self.txt", "ping", "pong"}
    assert all("symlink loop" in r for r in got.values()), got
    assert len(report.skipped) == 4  # self.txt twice: found in the folder and named itself


def test_a_symlink_leaving_the_folder_is_not_followed(tmp_path: Path, settings: Settings) -> None:
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secret.txt").write_text("The vault code is 4711.\n", encoding="utf-8")
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    (folder / "secret.txt").symlink_to(outside / "secret.txt")
    (folder / "private").symlink_to(outside)
    (folder / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    report = load_documents([folder], settings)
    assert [d.id for d in report.documents] == ["good.txt"]
    assert not any("4711" in d.text for d in report.documents)
    got = reasons(report)
    for name in ("secret.txt", "private"):
        assert f"points outside {folder.resolve()}" in got[name]
        assert "ingest its target directly" in got[name]
    assert "broken symlink" in got["dangling.txt"]
    # Named directly, the target is ingested as asked.
    direct = load_documents([folder / "secret.txt"], settings)
    assert [d.id for d in direct.documents] == ["secret.txt"] and not direct.skipped


def test_a_link_inside_the_folder_leaves_the_file_its_own_name(
    tmp_path: Path, settings: Settings
) -> None:
    folder = tmp_path / "docs"
    (folder / "reports").mkdir(parents=True)
    (folder / "reports" / "wind.txt").write_text(GOOD, encoding="utf-8")
    (folder / "alias.txt").symlink_to("reports/wind.txt")  # sorts before reports/
    (folder / "again").symlink_to("reports")
    report = load_documents([folder], settings)
    assert [d.id for d in report.documents] == ["reports/wind.txt"]
    assert not report.skipped


def test_undecodable_file_names_give_ids_an_index_can_store(
    tmp_path: Path, settings: Settings
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    name = os.fsdecode(b"caf\xe9.txt")  # Latin-1 bytes: a lone surrogate in Python's str
    (folder / name).write_text(GOOD, encoding="utf-8")
    (doc,) = load_documents([folder], settings).documents
    assert doc.id == "caf\\xe9.txt"
    doc.id.encode("utf-8")
    doc.source.encode("utf-8")


def nested_hwpx(docs, path: Path, depth: int) -> Path:  # type: ignore[no-untyped-def]
    """An HWPX whose body is ``depth`` one-cell tables nested in each other."""
    inner = docs.hwpx_para("가장 안쪽 문장이다.")
    for _ in range(depth):
        inner = docs.hwpx_para(
            '<hp:run charPrIDRef="0"><hp:tbl rowCnt="1" colCnt="1"><hp:tr><hp:tc><hp:subList>'
            f"{inner}</hp:subList></hp:tc></hp:tr></hp:tbl></hp:run>"
        )
    return docs.write_hwpx(path, [docs.hwpx_para("위 문단.") + inner])  # type: ignore[no-any-return]


def test_a_deeply_nested_document_is_one_warning_line_and_a_clear_reason(
    tmp_path: Path,
    settings: Settings,
    docs,  # type: ignore[no-untyped-def]
    caplog: pytest.LogCaptureFixture,
) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hostile"))
    from builders import nested_docx

    deep_docx = nested_docx(tmp_path / "deep.docx", 2_000)
    deep_hwpx = nested_hwpx(docs, tmp_path / "deep.hwpx", 2_000)
    shallow = nested_hwpx(docs, tmp_path / "shallow.hwpx", 20)
    caplog.set_level(logging.WARNING)
    report = load_documents([deep_docx, deep_hwpx, shallow], settings)
    assert [d.id for d in report.documents] == ["shallow.hwpx"]
    got = reasons(report)
    assert f"nested more than {MAX_TABLE_NESTING} deep" in got["deep.docx"]
    assert "nested too deeply to read as hwpx" in got["deep.hwpx"]
    assert "recursion limit" in got["deep.hwpx"]
    # The RecursionError's traceback (thousands of lines) stays at DEBUG.
    assert not any(r.exc_info for r in caplog.records), [r.getMessage() for r in caplog.records]
    assert sum(len(r.getMessage().splitlines()) for r in caplog.records) <= 2


def test_nested_docx_tables_are_read_once_not_exponentially(
    tmp_path: Path, settings: Settings
) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hostile"))
    from builders import nested_docx

    path = nested_docx(tmp_path / "grid.docx", 40, kind="grid")  # took past the 120 s budget
    started = time.monotonic()
    (doc,) = load_documents([path], settings).documents
    assert time.monotonic() - started < 5
    assert doc.text.count("가장 안쪽 표의 문장이다.") == 1


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("notes.txt", GOOD + "Turbines are serviced every spring.\n"),
        ("보고서.txt", "경기도는 이차전지 산업을 육성한다.\n예산은 430억 원이다.\n"),
        ("한글만.txt", "가나다라마바사아자차카타파하\n" * 20),
        ("summary.md", "# Wind report\n\nThe farm has 31 turbines.\n"),
        ("page.html", "<html><body><h1>Wind report</h1><p>The farm has 31 turbines.</p></body></html>"),
    ],
)
def test_utf16_without_a_bom_is_decoded_not_refused(
    tmp_path: Path, settings: Settings, encoding: str, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))  # no byte-order mark
    report = load_documents([path], settings)
    assert not report.skipped, report.skipped
    (doc,) = report.documents
    first = text.replace("#", "").split("\n")[0].strip()
    if name.endswith(".html"):
        first = "The farm has 31 turbines."  # HTML was sniffed, then read as UTF-8 garbage
    assert first in doc.text
    assert doc.meta.get("encoding", encoding) == encoding


def test_utf16_detection_keeps_refusing_binary_and_leaves_utf8_alone() -> None:
    import random

    rng = random.Random(15)
    assert sum(utf16_encoding(rng.randbytes(4096)) is not None for _ in range(500)) == 0
    assert looks_binary(random.Random(3).randbytes(4096))
    for text in ("Plain English text, one line.\n" * 40, "한국어 본문입니다.\n" * 40):
        assert utf16_encoding(text.encode("utf-8")) is None
        assert utf16_encoding(text.encode("cp949")) is None
