"""load_documents: walking, ids, limits, and turning every per-file failure into a skip."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from ingest.loaders.text import TextLoader
from ingest.pipeline import LoadReport, load_documents
from reportqa.errors import IngestError
from reportqa.settings import Settings
from reportqa.types import Document


def make_pdf(pages: list[list[str]]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


@pytest.fixture
def settings() -> Settings:
    return Settings.load(env={})


def put(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def reasons(report: LoadReport) -> dict[str, str]:
    return {Path(e.path).name: e.reason for e in report.skipped}


def test_directory_batch_with_broken_files(tmp_path: Path, settings: Settings) -> None:
    corpus = tmp_path / "corpus"
    put(corpus / "a.txt", "가나다 본문입니다.\n")
    put(corpus / "b.md", "# 제목\n본문.\n")
    put(corpus / "c.html", "<html><body><h1>HTML 제목</h1><p>문단.</p></body></html>")
    put(corpus / "d.pdf", make_pdf([["PDF page one."], ["PDF page two."]]))
    put(corpus / "e.txt", "cp949 본문".encode("cp949"))
    put(corpus / "sub" / "f.txt", "하위 폴더 문서.\n")
    put(corpus / "sub" / "deeper" / "g.markdown", "## 깊은 제목\n내용\n")
    put(corpus / "broken.pdf", make_pdf([["Truncated soon."]])[:300])
    put(corpus / "noise.bin", random.Random(7).randbytes(2000))
    put(corpus / "sub" / "empty.txt", b"")

    seen: list[Path] = []
    report = load_documents([corpus], settings, progress=seen.append)

    assert [d.id for d in report.documents] == [
        "a.txt",
        "b.md",
        "c.html",
        "d.pdf",
        "e.txt",
        "sub/deeper/g.markdown",
        "sub/f.txt",
    ]
    assert [d.meta["format"] for d in report.documents] == [
        "text",
        "markdown",
        "html",
        "pdf",
        "text",
        "markdown",
        "text",
    ]
    texts = {d.id: d.text for d in report.documents}
    assert texts["d.pdf"] == "PDF page one.\nPDF page two."
    assert texts["e.txt"] == "cp949 본문"
    assert texts["sub/deeper/g.markdown"] == "깊은 제목\n내용"
    for doc in report.documents:
        assert doc.source == str((corpus / doc.id).resolve())

    assert len(report.skipped) == 3
    assert all(isinstance(e, IngestError) for e in report.skipped)
    by_name = reasons(report)
    assert set(by_name) == {"broken.pdf", "noise.bin", "empty.txt"}
    assert "truncated or corrupt" in by_name["broken.pdf"]
    assert "binary or unsupported" in by_name["noise.bin"]
    assert by_name["empty.txt"] == "empty file"
    for err in report.skipped:
        assert str(err).startswith(str(corpus))  # the message names the file

    assert len(seen) == 10
    assert sorted(p.name for p in seen) == sorted(
        [
            "a.txt",
            "b.md",
            "c.html",
            "d.pdf",
            "e.txt",
            "f.txt",
            "g.markdown",
            "broken.pdf",
            "noise.bin",
            "empty.txt",
        ]
    )


def test_hidden_files_and_directories_are_skipped_silently(
    tmp_path: Path, settings: Settings
) -> None:
    put(tmp_path / "d" / "visible.txt", "보이는 문서\n")
    put(tmp_path / "d" / ".hidden.txt", "숨은 문서\n")
    put(tmp_path / "d" / ".git" / "config.txt", "설정\n")
    report = load_documents([tmp_path / "d"], settings)
    assert [d.id for d in report.documents] == ["visible.txt"]
    assert report.skipped == ()


def test_file_arguments_use_the_file_name_and_collisions_get_suffixes(
    tmp_path: Path, settings: Settings
) -> None:
    one = put(tmp_path / "x" / "report.txt", "첫째 보고서\n")
    two = put(tmp_path / "y" / "report.txt", "둘째 보고서\n")
    three = put(tmp_path / "z" / "report.txt", "셋째 보고서\n")
    report = load_documents([one, two, three], settings)
    assert [(d.id, d.text) for d in report.documents] == [
        ("report.txt", "첫째 보고서"),
        ("report.txt~2", "둘째 보고서"),
        ("report.txt~3", "셋째 보고서"),
    ]
    assert [d.source for d in report.documents] == [str(p.resolve()) for p in (one, two, three)]


def test_a_file_reached_twice_is_loaded_once(tmp_path: Path, settings: Settings) -> None:
    path = put(tmp_path / "docs" / "a.txt", "한 번만\n")
    report = load_documents([tmp_path / "docs", path], settings)
    assert [d.id for d in report.documents] == ["a.txt"]
    assert report.skipped == ()


def test_size_cap_names_the_setting(tmp_path: Path) -> None:
    big = put(tmp_path / "big.txt", "가" * 2000)  # 6000 bytes
    small = put(tmp_path / "small.txt", "작은 문서\n")
    report = load_documents([big, small], Settings.load({"max_file_mb": 0.005}, env={}))
    assert [d.id for d in report.documents] == ["small.txt"]
    (err,) = report.skipped
    assert err.path == str(big)
    assert "0.005 MB limit" in err.reason
    assert "REPORTQA_MAX_FILE_MB" in err.reason


def test_missing_empty_and_textless_files(tmp_path: Path, settings: Settings) -> None:
    missing = tmp_path / "nope.pdf"
    empty = put(tmp_path / "empty.md", b"")
    textless = put(tmp_path / "rules.txt", "•\n-----\n▲ ▲\n\u200b\n")
    report = load_documents([missing, empty, textless], settings)
    assert report.documents == ()
    assert [(e.path, e.reason) for e in report.skipped] == [
        (str(missing), "no such file or directory"),
        (str(empty), "empty file"),
        (str(textless), "no text after cleaning"),
    ]


def test_loader_errors_never_escape(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = put(tmp_path / "good.md", "# 제목\n본문\n")
    locked = put(tmp_path / "locked.txt", "잠긴 파일\n")
    buggy = put(tmp_path / "buggy.txt", "버그를 부르는 파일\n")
    original = TextLoader.load

    def load(self: TextLoader, path: Path) -> Document:
        if path.name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(path))
        if path.name == "buggy.txt":
            raise RuntimeError("parser exploded")
        return original(self, path)

    monkeypatch.setattr(TextLoader, "load", load)
    report = load_documents([locked, good, buggy], settings)
    assert [d.id for d in report.documents] == ["good.md"]
    by_name = reasons(report)
    assert by_name["locked.txt"].startswith("permission denied")
    assert "unexpected error while reading it as text" in by_name["buggy.txt"]
    assert "RuntimeError: parser exploded" in by_name["buggy.txt"]


def test_unreadable_file_is_skipped(tmp_path: Path, settings: Settings) -> None:
    import os

    path = put(tmp_path / "secret.txt", "읽을 수 없음\n")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running with privileges that ignore file permissions (root)")
        report = load_documents([path], settings)
    finally:
        path.chmod(0o644)
    assert report.documents == ()
    assert report.skipped[0].reason.startswith("permission denied")
