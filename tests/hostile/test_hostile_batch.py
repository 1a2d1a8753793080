"""The hostile-input suite (issue 15): one batch of good and hostile files through a real
``reportqa ingest`` process. Every good file is indexed and answerable, every bad one skipped
with its own reason, no traceback reaches the user, and the batch's peak memory and time are
printed."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from reportqa.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from builders import many_pages_pdf, nested_docx, nested_objects_pdf

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MB = 1024 * 1024
# Limits the batch runs under: the bombs are refused at 64 MB instead of 200 (faster, same path).
ENV = {"REPORTQA_MAX_UNPACKED_MB": "64", "REPORTQA_PARSE_TIMEOUT_S": "60"}

# Good files: name → (content builder key, question, words the answer must hold).
NEWLINE_NAME = "library\nDocuments: 999 in the index.txt"
ANSI_NAME = "\x1b[31mobservatory\x1b[0m.txt"
LONG_LINE_WORDS = 1_500  # ~10 KB on one line, no punctuation (15.4: chunking was quadratic)
GOOD: dict[str, tuple[str, str] | None] = {
    "long-line.txt": None,  # indexed with passages; nothing in particular to ask it
    "wind.txt": ("How many turbines does the Vardo wind farm have?", "31"),
    "ferry.txt": ("How many passengers does the Trondheim ferry carry?", "240"),
    "tunnel-utf16.txt": ("How long is the Bergen road tunnel?", "7 kilometres"),
    "hydrogen.md": ("창원시는 수소 버스를 몇 대 도입하나요?", "120대"),
    "port.hwpx": ("평택항의 연간 컨테이너 처리량은?", "90만 TEU"),
    "rail.docx": ("How much ore does the Narvik rail line move per year?", "25 million tonnes"),
    NEWLINE_NAME: ("How many books does the Oslo library lend each week?", "9,000"),
    ANSI_NAME: ("How many telescopes does the Tromso observatory have?", "three telescopes"),
}

# Bad files: name → words its reason must hold.
BAD: dict[str, list[str]] = {
    "bomb.hwpx": ["bomb"],
    "lying.hwpx": ["Bad CRC-32", "truncated or corrupt"],
    "laughs.hwpx": ["XML entity attack"],
    "truncated.pdf": ["truncated or corrupt"],
    "huge-stream.pdf": ["expands to more than 64 MB"],
    "flate-bomb.pdf": ["decompression bomb"],
    "random.pdf": ["named .pdf but the content is not a PDF file"],
    "random.hwp": ["named .hwp but the content is not a HWP file"],
    "random.docx": ["named .docx but the content is not a DOCX file"],
    "noise.bin": ["binary or unsupported file type"],
    "empty.txt": ["empty file"],
    "locked.hwpx": ["password-protected"],
    "cut.docx": ["truncated or corrupt"],
    "cut.hwpx": ["truncated or corrupt"],
    "deep.docx": ["tables are nested more than 64 deep"],
    "deep.hwpx": ["nested too deeply to read as hwpx"],
    "loop.txt": ["symlink loop"],
    "outside.txt": ["points outside", "ingest its target directly"],
    "contents.pdf": ["no passage after chunking: the text is only a table of contents"],
    "pages.pdf": ["has 150,000 pages", "REPORTQA_PARSE_TIMEOUT_S"],
    "nested.pdf": ["PDFium cannot load", "nested too deeply"],
    "same-every-page.pdf": ["taken for running headers and footers", "OCR would not help"],
}


def toc_pdf(path: Path) -> Path:
    """A PDF holding only a table of contents (dot leaders and page numbers)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, "Contents", new_x="LMARGIN", new_y="NEXT")
    for i, title in enumerate(["Background", "Wind resources", "Turbines", "Grid", "Outlook"], 1):
        pdf.multi_cell(0, 8, f"{i}. {title} {'.' * 60} {i * 4}", new_x="LMARGIN", new_y="NEXT")
    path.write_bytes(bytes(pdf.output()))
    return path


def build_batch(root: Path, docs: ModuleType, bombs: ModuleType) -> Path:
    """The batch folder: the good files, the bad ones, and a link to a file outside it."""
    import docx

    folder = root / "batch"
    folder.mkdir()
    (folder / "wind.txt").write_text(
        "The Vardo wind farm has 31 turbines. It was opened in 2021 by the regional utility.\n",
        encoding="utf-8",
    )
    (folder / "ferry.txt").write_text(  # one line: was "added" with 0 passages (15.1)
        "The Trondheim ferry carries 240 passengers.\n", encoding="utf-8"
    )
    (folder / "tunnel-utf16.txt").write_bytes(  # UTF-16 without a byte-order mark (15.9)
        "The Bergen road tunnel is 7 kilometres long.\nIt opened in 2019 under the fjord.\n".encode(
            "utf-16-le"
        )
    )
    (folder / "hydrogen.md").write_text(
        "# 수소 버스 보급 계획\n\n창원시는 수소 버스 120대를 2026년까지 도입한다. "
        "충전소는 시내 네 곳에 세운다.\n",
        encoding="utf-8",
    )
    docs.write_hwpx(
        folder / "port.hwpx",
        [
            docs.hwpx_para("평택항 물동량 보고서", para_pr=1)
            + docs.hwpx_para("평택항의 연간 컨테이너 처리량은 90만 TEU이다.")
            + docs.hwpx_para("자동차 수출 물량은 전국 1위를 기록했다.")
        ],
        title="평택항 물동량 보고서",
    )
    word = docx.Document()
    word.add_heading("Narvik ore traffic", level=1)
    word.add_paragraph("The Narvik rail line moves 25 million tonnes of ore per year.")
    word.add_paragraph("Trains run every two hours between the mine and the port.")
    word.save(str(folder / "rail.docx"))
    (folder / NEWLINE_NAME).write_text(
        "The Oslo library lends 9,000 books each week. Its reading room seats 200 people.\n",
        encoding="utf-8",
    )
    (folder / ANSI_NAME).write_text(
        "The Tromso observatory has three telescopes. It studies the northern lights.\n",
        encoding="utf-8",
    )
    words = random.Random(4).choices(["turbine", "blade", "tower", "grid", "cable", "fjord"], k=LONG_LINE_WORDS)
    (folder / "long-line.txt").write_text(" ".join(words) + "\n", encoding="utf-8")
    (folder / "alias.txt").symlink_to("wind.txt")  # inside the folder: no duplicate document

    bombs.zip_bomb(folder / "bomb.hwpx", "Contents/section0.xml", 300 * MB)
    bombs.lying_zip(folder / "lying.hwpx", 300 * MB)
    docs.write_hwpx(folder / "laughs.hwpx", [])
    with zipfile.ZipFile(folder / "laughs.hwpx", "a") as z:
        z.writestr("Contents/section0.xml", bombs.BILLION_LAUGHS)
    good_pdf = toc_pdf(root / "whole.pdf").read_bytes()
    (folder / "truncated.pdf").write_bytes(good_pdf[: len(good_pdf) // 2])
    (folder / "huge-stream.pdf").write_bytes(bombs.pdf_with_declared_length(10**12))
    (folder / "flate-bomb.pdf").write_bytes(bombs.fix_xref(bombs.pdf_with_flate_bomb(300 * MB)))
    rng = random.Random(15)
    for name in ("random.pdf", "random.hwp", "random.docx", "noise.bin"):
        (folder / name).write_bytes(rng.randbytes(20_000))
    (folder / "empty.txt").write_bytes(b"")
    locked = docs.report_hwpx(folder / "locked.hwpx")
    with zipfile.ZipFile(locked, "a") as z:
        z.writestr(
            "META-INF/manifest.xml",
            '<odf:manifest xmlns:odf="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            '<odf:file-entry odf:full-path="Contents/section0.xml"><odf:encryption-data '
            'odf:checksum-type="SHA1"/></odf:file-entry></odf:manifest>',
        )
    for fmt, make in (("docx", docs.report_docx), ("hwpx", docs.report_hwpx)):
        data = make(root / f"whole.{fmt}").read_bytes()
        (folder / f"cut.{fmt}").write_bytes(data[: len(data) // 3])
    nested_docx(folder / "deep.docx", 2_000)
    inner = docs.hwpx_para("가장 안쪽 문장이다.")
    for _ in range(2_000):
        inner = docs.hwpx_para(
            '<hp:run charPrIDRef="0"><hp:tbl rowCnt="1" colCnt="1"><hp:tr><hp:tc><hp:subList>'
            f"{inner}</hp:subList></hp:tc></hp:tr></hp:tbl></hp:run>"
        )
    docs.write_hwpx(folder / "deep.hwpx", [inner])
    (folder / "loop.txt").symlink_to("loop.txt")
    (root / "private.txt").write_text("The vault code is 4711.\n", encoding="utf-8")
    (folder / "outside.txt").symlink_to(root / "private.txt")
    toc_pdf(folder / "contents.pdf")
    many_pages_pdf(folder / "pages.pdf", 150_000)
    nested_objects_pdf(folder / "nested.pdf", 5_000)
    many_pages_pdf(folder / "same-every-page.pdf", 3)  # one line, repeated on each page
    hwp = Path(docs.HWP_FIXTURES) / "password-12345.hwp"
    if hwp.is_file():
        (folder / "password.hwp").write_bytes(hwp.read_bytes())
    return folder


# The command runs under this small wrapper: a child forked from the test process itself would
# report the test process's resident memory at the fork (gigabytes late in a full test run) as its
# own peak; a child of the small wrapper reports only what it used.
_MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(code)\n"
)


def run_measured(args: list[str], env: dict[str, str], out: Path) -> tuple[int, str, str, int]:
    """Run a command; (exit code, stdout, stderr, its peak resident memory in KiB)."""
    peak = out / "peak-kib"
    with open(out / "stdout", "w") as so, open(out / "stderr", "w") as se:
        code = subprocess.call(
            [sys.executable, "-c", _MEASURE, str(peak), *args], stdout=so, stderr=se, env=env
        )
    return (
        code,
        (out / "stdout").read_text(encoding="utf-8"),
        (out / "stderr").read_text(encoding="utf-8"),
        int(peak.read_text()),
    )


def skipped_reasons(stdout: str) -> dict[str, str]:
    """File name (as printed, escaped) → reason, from the "Skipped N file(s):" list."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Skipped "))
    reasons = {}
    for line in lines[start + 1 :]:
        if not line.startswith("  - "):
            break
        path, _, reason = line[4:].partition(": ")
        reasons[path.rsplit("/", 1)[-1]] = reason
    return reasons


def test_one_hostile_batch_through_reportqa_ingest(
    tmp_path: Path,
    ingest_builders: ModuleType,
    bombs: ModuleType,
) -> None:
    folder = build_batch(tmp_path, ingest_builders, bombs)
    bad = dict(BAD)
    if (folder / "password.hwp").exists():
        bad["password.hwp"] = ["password-protected", "remove the password"]
    index = tmp_path / "idx"
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update({"REPORTQA_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1", **ENV})
    started = time.monotonic()
    code, out, err, peak_kib = run_measured(
        [sys.executable, "-m", "reportqa", "ingest", str(folder), "--index", str(index), "--no-progress"],
        env,
        tmp_path,
    )
    seconds = time.monotonic() - started
    print(
        f"\nhostile batch: {len(GOOD)} good + {len(bad)} bad files in {seconds:.1f} s, "
        f"peak memory {peak_kib / 1024:.0f} MiB (the reportqa ingest process)"
    )
    assert code == 0, err
    assert "Traceback" not in err and "Traceback" not in out
    assert len(err.splitlines()) < 40, err  # a few warning lines, never a traceback's thousands
    assert "\x1b" not in out and "\x1b" not in err
    assert f"Documents: {len(GOOD)} in the index ({len(GOOD)} added" in out, out

    reasons = skipped_reasons(out)
    assert set(reasons) == set(bad), out
    for name, words in bad.items():
        for word in words:
            assert word in reasons[name], f"{name}: {reasons[name]}"
    assert not any("unexpected error" in r for r in reasons.values()), reasons
    assert peak_kib < 2 * 1024 * 1024, "the ingest used over 2 GiB: a bomb was expanded"

    from answer.pipeline import QAPipeline

    pipeline = QAPipeline(Settings.load({"home": tmp_path / "home", "index_dir": index}, env={}))
    assert {d.id for d in pipeline.index.documents} == set(GOOD)
    assert not any("4711" in c.text for c in pipeline.index.chunks)
    records = {d.id: d for d in pipeline.index.documents}
    assert all(r.chunks > 0 for r in records.values()), records
    for name, case in GOOD.items():
        if case is None:
            continue
        question, expected = case
        answer = pipeline.ask(question)
        assert not answer.abstained, f"{name!r}: {question} → abstained"
        assert expected in answer.text, f"{name!r}: {question} → {answer.text}"
        assert answer.citations[0].chunk.doc_id == name, (name, answer.citations[0].chunk.doc_id)
