"""Hostile and broken files, generated here: each gets its own clear reason, none stops the batch,
and memory stays bounded while they are refused."""

from __future__ import annotations

import contextlib
import random
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest

from ingest.loaders.hwpx import HwpxLoader
from ingest.pipeline import load_documents
from ingest.safety import Budget, Deadline, Limits, ParseTimeout, inflate, time_limit
from reportqa.errors import IngestError
from reportqa.settings import Settings

MB = 1024 * 1024
HS = "http://www.hancom.co.kr/hwpml/2011/section"
HP = "http://www.hancom.co.kr/hwpml/2011/paragraph"

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + f']>\n<hs:sec xmlns:hs="{HS}" xmlns:hp="{HP}"><hp:p><hp:run><hp:t>&lol9;</hp:t></hp:run>'
    "</hp:p></hs:sec>"
)


def zip_bomb(path: Path, member: str, size: int) -> Path:
    """A small ZIP whose member inflates to ``size`` bytes of zeros (about 1000:1)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/hwp+zip")
        info = zipfile.ZipInfo(member, date_time=(2025, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w") as fh:
            chunk = b"\x00" * MB
            for _ in range(size // MB):
                fh.write(chunk)
    return path


def lying_zip(path: Path, size: int) -> Path:
    """A ZIP whose central directory declares a tiny member that really inflates to ``size``."""
    zip_bomb(path, "Contents/section0.xml", size)
    data = bytearray(path.read_bytes())
    # Patch the declared uncompressed size (local header at 22, central directory at 24).
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (at := data.find(sig, start)) != -1:
            name_len = int.from_bytes(
                data[at + (26 if sig == b"PK\x03\x04" else 28) :][:2], "little"
            )
            name = data[at + (30 if sig == b"PK\x03\x04" else 46) :][:name_len]
            if name == b"Contents/section0.xml":
                data[at + offset : at + offset + 4] = (1000).to_bytes(4, "little")
            start = at + 4
    path.write_bytes(bytes(data))
    return path


def pdf_with_declared_length(length: int) -> bytes:
    """A tiny PDF whose page content stream declares ``length`` bytes."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length " + str(length).encode() + b" >>\nstream\nBT ET\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def pdf_with_flate_bomb(size: int) -> bytes:
    """A PDF whose content stream is a FlateDecode stream inflating to ``size`` bytes."""
    comp = zlib.compressobj(9)
    body = b"".join(comp.compress(b" " * MB) for _ in range(size // MB)) + comp.flush()
    data = pdf_with_declared_length(len(body))
    return data.replace(
        b"/Length " + str(len(body)).encode() + b" >>\nstream\nBT ET\n",
        b"/Length "
        + str(len(body)).encode()
        + b" /Filter /FlateDecode >>\nstream\n"
        + body
        + b"\n",
    )


def fix_xref(data: bytes) -> bytes:
    """Recompute the xref offsets after editing a PDF built by :func:`pdf_with_declared_length`."""
    out = bytearray(data[: data.index(b"xref\n")])
    offsets = []
    at = 0
    while (at := out.find(b" 0 obj\n", at)) != -1:
        start = out.rfind(b"\n", 0, at) + 1
        offsets.append(start)
        at += 6
    xref = len(out)
    out += f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


@pytest.fixture
def hostile(tmp_path: Path, docs) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    """Every hostile file of the issue, next to two good documents."""
    folder = tmp_path / "batch"
    folder.mkdir()
    files = {
        "good.txt": folder / "good.txt",
        "good.hwpx": docs.report_hwpx(folder / "good.hwpx"),
        "bomb.hwpx": zip_bomb(folder / "bomb.hwpx", "Contents/section0.xml", 300 * MB),
        "lying.hwpx": lying_zip(folder / "lying.hwpx", 300 * MB),
        "laughs.hwpx": docs.write_hwpx(folder / "laughs.hwpx", []),
        "laughs.html": folder / "laughs.html",
        "truncated.pdf": folder / "truncated.pdf",
        "huge-stream.pdf": folder / "huge-stream.pdf",
        "flate-bomb.pdf": folder / "flate-bomb.pdf",
        "random.pdf": folder / "random.pdf",
        "random.hwp": folder / "random.hwp",
        "random.docx": folder / "random.docx",
    }
    files["good.txt"].write_text("멀쩡한 문서 본문입니다.\n", encoding="utf-8")
    with zipfile.ZipFile(files["laughs.hwpx"], "a") as z:
        z.writestr("Contents/section0.xml", BILLION_LAUGHS)
    files["laughs.html"].write_text(BILLION_LAUGHS, encoding="utf-8")
    good_pdf = (
        docs.table_pdf(tmp_path / "ok.pdf", [["본문 한 줄."]] * 3) if docs.NANUM.exists() else None
    )
    data = good_pdf.read_bytes() if good_pdf else pdf_with_declared_length(5)
    files["truncated.pdf"].write_bytes(data[: len(data) // 2])
    files["huge-stream.pdf"].write_bytes(pdf_with_declared_length(10**12))
    files["flate-bomb.pdf"].write_bytes(fix_xref(pdf_with_flate_bomb(300 * MB)))
    rng = random.Random(6)
    for name in ("random.pdf", "random.hwp", "random.docx"):
        files[name].write_bytes(rng.randbytes(20_000))
    return files


def test_hostile_batch_gives_each_file_its_reason(hostile: dict[str, Path]) -> None:
    settings = Settings.load({"max_unpacked_mb": 64}, env={})
    tracemalloc.start()
    try:
        report = load_documents([hostile["good.txt"].parent], settings)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 200 * MB, f"peak Python memory {peak / MB:.0f} MB"
    assert sorted(d.id for d in report.documents) == ["good.hwpx", "good.txt", "laughs.html"]
    laughs = next(d for d in report.documents if d.id == "laughs.html")
    assert "lollol" not in laughs.text  # html.parser never expands entities
    reasons = {Path(e.path).name: e.reason for e in report.skipped}
    assert (
        "over the 200:1 limit" in reasons["bomb.hwpx"]
        or "expands to more than" in reasons["bomb.hwpx"]
    )
    assert "ZIP bomb" in reasons["bomb.hwpx"] or "decompression bomb" in reasons["bomb.hwpx"]
    # zipfile never reads past a member's declared size, so the lie ends in a CRC error.
    assert "Bad CRC-32" in reasons["lying.hwpx"]
    assert "truncated or corrupt" in reasons["lying.hwpx"]
    assert "XML entity attack" in reasons["laughs.hwpx"]
    assert "truncated or corrupt" in reasons["truncated.pdf"]
    assert "expands to more than 64 MB" in reasons["huge-stream.pdf"]
    assert "decompression bomb" in reasons["flate-bomb.pdf"]
    assert "named .pdf but the content is not a PDF file" in reasons["random.pdf"]
    assert "named .hwp but the content is not a HWP file" in reasons["random.hwp"]
    assert "named .docx but the content is not a DOCX file" in reasons["random.docx"]
    assert len(reasons) == 9


def test_password_protected_hwp_in_a_batch(hwp_fixtures: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_text("# 제목\n본문\n", encoding="utf-8")
    report = load_documents([hwp_fixtures / "password-12345.hwp", good], Settings.load(env={}))
    assert [d.id for d in report.documents] == ["good.md"]
    (err,) = report.skipped
    assert "password-protected" in err.reason
    assert "remove the password" in err.reason


def test_zip_ratio_cap_refuses_before_reading(tmp_path: Path) -> None:
    path = zip_bomb(tmp_path / "bomb.hwpx", "Contents/section0.xml", 20 * MB)
    with pytest.raises(IngestError) as err:
        HwpxLoader(Limits(max_ratio=100)).load(path)
    assert "over the 100:1 limit" in err.value.reason
    assert "REPORTQA_MAX_COMPRESSION_RATIO" in err.value.reason


def test_inflate_stops_at_the_budget() -> None:
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = comp.compress(b"\x00" * (50 * MB)) + comp.flush()
    budget = Budget(Path("x.hwp"), Limits(max_unpacked_bytes=4 * MB, max_ratio=10**9))
    with pytest.raises(IngestError) as err:
        inflate(data, budget, "BodyText/Section0")
    assert "expands to more than 4 MB" in err.value.reason
    assert budget.used <= 4 * MB + 256 * 1024 + 1
    ok = Budget(Path("x.hwp"), Limits())
    assert inflate(comp_small(b"abc" * 10), ok, "s") == b"abc" * 10
    with pytest.raises(IngestError) as err:
        inflate(comp_small(b"abc" * 1000)[:-5], Budget(Path("x.hwp"), Limits()), "Section0")
    assert "truncated or corrupt" in err.value.reason


def comp_small(data: bytes) -> bytes:
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    return comp.compress(data) + comp.flush()


def test_time_budget_is_a_clear_per_file_error(
    tmp_path: Path,
    docs,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    import ingest.loaders.hwpx as hwpx

    slow = docs.report_hwpx(tmp_path / "slow.hwpx")
    fast = tmp_path / "fast.txt"
    fast.write_text("빠른 문서.\n", encoding="utf-8")
    original = hwpx._Reader.read_paragraph

    def crawl(self: hwpx._Reader, p: object) -> None:  # a pathological document: slow paragraphs
        time.sleep(0.1)
        original(self, p)  # type: ignore[arg-type]

    monkeypatch.setattr(hwpx._Reader, "read_paragraph", crawl)
    started = time.monotonic()
    report = load_documents([slow, fast], Settings.load({"parse_timeout_s": 0.25}, env={}))
    assert time.monotonic() - started < 2
    assert [d.id for d in report.documents] == ["fast.txt"]
    (err,) = report.skipped
    assert err.path == str(slow)
    assert "longer than the 0.25 s budget" in err.reason
    assert "REPORTQA_PARSE_TIMEOUT_S" in err.reason


def test_time_limit_interrupts_a_stuck_parser() -> None:
    started = time.monotonic()
    with pytest.raises(ParseTimeout), time_limit(0.2):
        while True:  # a parser stuck on a pathological page
            with contextlib.suppress(Exception):  # a parser's broad handler cannot swallow it
                sum(range(10_000))
    assert time.monotonic() - started < 2


def test_deadline_checks() -> None:
    deadline = Deadline(60)
    deadline.check()
    assert not deadline.expired()
    expired = Deadline(0)
    time.sleep(0.001)
    with pytest.raises(ParseTimeout):
        expired.check()


def test_limits_are_settings() -> None:
    settings = Settings.load(
        env={
            "REPORTQA_MAX_UNPACKED_MB": "10",
            "REPORTQA_MAX_COMPRESSION_RATIO": "50",
            "REPORTQA_PARSE_TIMEOUT_S": "5",
        }
    )
    limits = Limits.from_settings(settings)
    assert limits == Limits(max_unpacked_bytes=10 * MB, max_ratio=50.0, time_budget_s=5.0)
    from reportqa.errors import ConfigError

    with pytest.raises(ConfigError, match="parse_timeout_s must be greater than 0"):
        Settings.load({"parse_timeout_s": 0}, env={})


def test_password_protected_hwpx_is_refused(tmp_path: Path, docs) -> None:  # type: ignore[no-untyped-def]
    path = docs.report_hwpx(tmp_path / "locked.hwpx")
    with zipfile.ZipFile(path, "a") as z:
        z.writestr(
            "META-INF/manifest.xml",
            '<odf:manifest xmlns:odf="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            '<odf:file-entry odf:full-path="Contents/section0.xml"><odf:encryption-data '
            'odf:checksum-type="SHA1"/></odf:file-entry></odf:manifest>',
        )
    with pytest.raises(IngestError) as err:
        HwpxLoader().load(path)
    assert "password-protected" in err.value.reason


@pytest.mark.parametrize("fmt", ["hwpx", "docx"])
def test_truncated_zip_documents(tmp_path: Path, docs, fmt: str) -> None:  # type: ignore[no-untyped-def]
    make = docs.report_hwpx if fmt == "hwpx" else docs.report_docx
    data = make(tmp_path / f"full.{fmt}").read_bytes()
    for cut in (len(data) // 3, len(data) - 30):
        path = tmp_path / f"cut-{cut}.{fmt}"
        path.write_bytes(data[:cut])
        report = load_documents([path], Settings.load(env={}))
        (err,) = report.skipped
        assert "truncated or corrupt" in err.reason, err.reason
