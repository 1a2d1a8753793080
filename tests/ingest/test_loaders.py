"""Loaders and the registry: text encodings, Markdown and HTML structure, PDF pages and errors."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest

from ingest.loaders import LOADERS, pick_loader
from ingest.loaders.html import HtmlLoader
from ingest.loaders.markdown import MarkdownLoader
from ingest.loaders.pdf import PdfLoader
from ingest.loaders.text import TextLoader
from reportqa.errors import IngestError
from reportqa.protocols import Loader
from reportqa.types import Document

NANUM = Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")


def section_texts(doc: Document) -> list[tuple[tuple[str, ...], int | None, bool, str]]:
    """(heading_path, page, table, text) per section, after checking they tile the text."""
    assert doc.sections, "a non-empty document has at least one section"
    assert doc.sections[0].start == 0
    assert doc.sections[-1].end == len(doc.text)
    for before, after in zip(doc.sections, doc.sections[1:], strict=False):
        assert before.end == after.start
    return [(s.heading_path, s.page, s.table, doc.text[s.start : s.end]) for s in doc.sections]


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def make_pdf(
    pages: list[list[str]],
    *,
    title: str | None = None,
    font: Path | None = None,
    user_password: str | None = None,
    owner_password: str | None = None,
) -> bytes:
    """A PDF with one page per entry; each string is written with multi_cell (wraps if long)."""
    from fpdf import FPDF
    from fpdf.enums import EncryptionMethod

    pdf = FPDF()
    if title:
        pdf.set_title(title)
    if font is not None:
        pdf.add_font("Nanum", fname=str(font))
        pdf.set_font("Nanum", size=12)
    else:
        pdf.set_font("Helvetica", size=12)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    if owner_password is not None:
        pdf.set_encryption(
            owner_password=owner_password,
            user_password=user_password,
            encryption_method=EncryptionMethod.RC4,
        )
    return bytes(pdf.output())


# -- registry -------------------------------------------------------------------------------


def test_every_loader_satisfies_the_protocol() -> None:
    assert [loader.name for loader in LOADERS] == [
        "pdf",
        "hwp",
        "hwpx",
        "docx",
        "markdown",
        "html",
        "text",
    ]
    assert all(isinstance(loader, Loader) for loader in LOADERS)


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "pdf"),
        ("mislabelled.txt", b"%PDF-1.4\n", "pdf"),
        ("junk-before-header.pdf", b"\r\n\r\n%PDF-1.3\n", "pdf"),
        ("page.html", b"<div>no doctype</div>", "html"),
        ("page.HTM", b"<p>x</p>", "html"),
        ("saved-page", b"  <!DOCTYPE html>\n<html lang='ko'>", "html"),
        ("saved.txt", b"<html><body>x</body></html>", "html"),
        ("bom.txt", b"\xef\xbb\xbf<!doctype html><html>", "html"),
        ("notes.md", b"# Title\n\n<html> in a code sample", "markdown"),
        ("notes.markdown", b"text", "markdown"),
        ("notes.txt", "보고서 본문".encode(), "text"),
        ("README", b"plain words", "text"),
        ("data.csv", b"a,b\n1,2\n", "text"),
        ("utf16.txt", "\ufeff한국어".encode("utf-16-le"), "text"),
        ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None),
        ("doc.hwp", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "hwp"),
        (
            "renamed.bin",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64 + b"HWP Document File",
            "hwp",
        ),
        ("legacy.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "hwp"),  # refused on load
        ("old.hwp", b"HWP Document File V3.00 \x1a\x01\x02\x03\x04\x05", "hwp"),
        ("a.hwpx", b"PK\x03\x04\x14\x00\x00\x00\x00\x00mimetypeapplication/hwp+zip", "hwpx"),
        (
            "hwpx-named.zip",
            b"PK\x03\x04\x14\x00\x00\x00\x00\x00mimetypeapplication/hwp+zip",
            "hwpx",
        ),
        ("b.docx", b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml", "docx"),
        ("word-named.zip", b"PK\x03\x04\x14\x00\x06\x00word/document.xml", "docx"),
        ("plain.zip", b"PK\x03\x04\x14\x00\x00\x00data.csv", None),
        ("random.pdf", random.Random(1).randbytes(4096), None),
        ("random.txt", random.Random(2).randbytes(4096), None),
        ("controls.txt", bytes([1, 2, 3, 4, 5, 6, 7, 8]) * 10 + b"text" * 10, None),
    ],
)
def test_pick_loader(name: str, head: bytes, expected: str | None) -> None:
    loader = pick_loader(Path(name), head)
    assert (loader.name if loader else None) == expected


# -- plain text -----------------------------------------------------------------------------

KOREAN = (
    "경기도 이차전지산업 육성계획\n3대 추진 전략은 거점 확보, 기술 경쟁력 강화, 생태계 조성이다.\n"
)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (KOREAN.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + KOREAN.encode("utf-8"), "utf-8-sig"),
        (KOREAN.encode("utf-16"), "utf-16"),  # with BOM
        (b"\xfe\xff" + KOREAN.encode("utf-16-be"), "utf-16"),
        (KOREAN.encode("cp949"), "cp949"),
        (KOREAN.encode("euc-kr"), "cp949"),
        ((KOREAN + "똠방각하 햏\n").encode("cp949"), "cp949"),  # CP949-only syllables
    ],
)
def test_text_encodings(tmp_path: Path, data: bytes, encoding: str) -> None:
    path = write(tmp_path, "report.txt", data)
    doc = TextLoader().load(path)
    lines = KOREAN.strip().split("\n")
    assert doc.text.split("\n")[:2] == lines
    assert doc.title == "경기도 이차전지산업 육성계획"
    assert doc.meta["format"] == "text"
    assert doc.meta["encoding"] == encoding
    assert doc.meta["content_hash"] == hashlib.sha256(data).hexdigest()
    assert doc.meta["size"] == len(data)
    assert doc.id == "report.txt"
    assert doc.source == str(path.resolve())
    assert section_texts(doc) == [((), None, False, doc.text)]


def test_text_undecodable_says_what_to_do(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.txt", bytes([0x80, 0x81]) * 200)
    with pytest.raises(IngestError) as err:
        TextLoader().load(path)
    assert err.value.path == str(path)
    assert "cannot decode text" in err.value.reason
    assert "save it as UTF-8" in err.value.reason


def test_text_cleans_lines_and_drops_boilerplate(tmp_path: Path) -> None:
    data = "  제목\u00a0줄  \n\n•\n----\n본문\u200b 문장\t\t입니다.\n▲\n"
    doc = TextLoader().load(write(tmp_path, "a.txt", data))
    assert doc.text == "제목 줄\n본문 문장 입니다."


def test_text_joins_hard_wrapped_paragraphs(tmp_path: Path) -> None:
    data = (
        "Battery plan\n"
        "\n"
        "The provincial agency published a research report that sets out how the\n"
        "province can grow into a hub for next-generation batteries over the next\n"
        "decade.\n"
        "\n"
        "The report proposes three strategies and ten core tasks for the industry\n"
        "and its partners\n"
        "\n"
        "- first strategy: secure industrial sites for the battery cluster in the\n"
        "- second strategy: strengthen technology and company competitiveness\n"
    )
    doc = TextLoader().load(write(tmp_path, "wrapped.txt", data))
    assert doc.text.split("\n") == [
        "Battery plan",
        "The provincial agency published a research report that sets out how the province can "
        "grow into a hub for next-generation batteries over the next decade.",
        "The report proposes three strategies and ten core tasks for the industry and its partners",
        "- first strategy: secure industrial sites for the battery cluster in the",
        "- second strategy: strengthen technology and company competitiveness",
    ]


def test_text_long_first_line_title_is_cut_to_80_chars(tmp_path: Path) -> None:
    first = "가" * 120
    doc = TextLoader().load(write(tmp_path, "long.txt", first + "\n본문\n"))
    assert len(doc.title) == 80
    assert doc.title == "가" * 79 + "…"


# -- Markdown -------------------------------------------------------------------------------

MARKDOWN = """\
---
title: 프런트매터 제목
---
머리말 문단.

# 경기도 이차전지산업 육성계획

보고서는 경기도를 **차세대 K-배터리** 혁신 허브로
키우는 [로드맵](https://example.org)을 담았다.

## 3대 추진 전략

### 거점 확보

- 연구개발 특화 *클러스터* 조성
- 테스트베드 구축

| 구분 | 과제 수 |
|------|--------:|
| 거점 | 3 |
| 기술 | 4 |

표 다음 문단.

## 10대 핵심과제

```
# 코드 블록 안의 주석은 제목이 아니다
```

맺음말
------
끝.
"""


def test_markdown_sections_follow_heading_paths(tmp_path: Path) -> None:
    doc = MarkdownLoader().load(write(tmp_path, "plan.md", MARKDOWN))
    top = "경기도 이차전지산업 육성계획"
    assert section_texts(doc) == [
        ((), None, False, "머리말 문단.\n"),
        (
            (top,),
            None,
            False,
            f"{top}\n보고서는 경기도를 차세대 K-배터리 혁신 허브로 키우는 로드맵을 담았다.\n",
        ),
        ((top, "3대 추진 전략"), None, False, "3대 추진 전략\n"),
        (
            (top, "3대 추진 전략", "거점 확보"),
            None,
            False,
            "거점 확보\n연구개발 특화 클러스터 조성\n테스트베드 구축\n",
        ),
        ((top, "3대 추진 전략", "거점 확보"), None, True, "구분 | 과제 수\n거점 | 3\n기술 | 4\n"),
        ((top, "3대 추진 전략", "거점 확보"), None, False, "표 다음 문단.\n"),
        (
            (top, "10대 핵심과제"),
            None,
            False,
            "10대 핵심과제\n# 코드 블록 안의 주석은 제목이 아니다\n",
        ),
        ((top, "맺음말"), None, False, "맺음말\n끝."),
    ]
    assert doc.title == top
    assert doc.meta["format"] == "markdown"
    assert doc.meta["encoding"] == "utf-8"


def test_markdown_title_falls_back_to_front_matter_then_first_line(tmp_path: Path) -> None:
    with_fm = MarkdownLoader().load(write(tmp_path, "a.md", "---\ntitle: 'FM 제목'\n---\n본문\n"))
    assert with_fm.title == "FM 제목"
    assert with_fm.text == "본문"
    plain = MarkdownLoader().load(write(tmp_path, "b.md", "## 둘째 수준 제목\n본문\n"))
    assert plain.title == "둘째 수준 제목"
    assert plain.sections[0].heading_path == ("둘째 수준 제목",)


def test_markdown_in_cp949(tmp_path: Path) -> None:
    doc = MarkdownLoader().load(write(tmp_path, "k.md", "# 제목\n\n본문입니다.\n".encode("cp949")))
    assert doc.text == "제목\n본문입니다."
    assert doc.meta["encoding"] == "cp949"


# -- HTML -----------------------------------------------------------------------------------

HTML = """\
<!DOCTYPE html>
<html lang="ko"><head><meta charset="utf-8"><title>보도자료 | 뉴스 사이트</title>
<style>body { color: red }</style><script>var tracker = "SECRET_SCRIPT";</script></head>
<body>
<header><a href="/">홈</a><ul><li>정치</li><li>경제</li></ul></header>
<nav><ul><li>메뉴 하나</li><li>메뉴 둘</li></ul></nav>
<main><article>
  <header><h1>경기도 이차전지산업 육성계획</h1></header>
  <p>경과원이 보고서를 <b>발간</b>했다.<br>둘째 줄이다.</p>
  <h2>3대 추진 전략</h2>
  <p>첫째, 거점 확보 &amp; 기술 강화.</p>
  <script>document.write("SECRET_SCRIPT_2")</script>
  <noscript>자바스크립트를 켜세요</noscript>
  <table><caption>예산</caption>
    <tr><th>구분</th><th>금액</th></tr>
    <tr><td>거점</td><td><p>100억</p></td></tr>
  </table>
  <h3>세부 과제</h3>
  <ul><li>클러스터 조성</li><li>테스트베드 구축</li></ul>
  <div hidden>숨은 글</div>
  <h2>맺음말</h2><p>끝.</p>
</article>
<aside>관련 기사 목록</aside>
<form><label>검색</label><input name="q"></form>
</main>
<footer>Copyright 뉴스 사이트</footer>
</body></html>
"""


def test_html_drops_chrome_and_uses_headings(tmp_path: Path) -> None:
    doc = HtmlLoader().load(write(tmp_path, "news.html", HTML))
    top = "경기도 이차전지산업 육성계획"
    assert section_texts(doc) == [
        ((top,), None, False, f"{top}\n경과원이 보고서를 발간했다.\n둘째 줄이다.\n"),
        ((top, "3대 추진 전략"), None, False, "3대 추진 전략\n첫째, 거점 확보 & 기술 강화.\n"),
        ((top, "3대 추진 전략"), None, True, "예산\n구분 | 금액\n거점 | 100억\n"),
        (
            (top, "3대 추진 전략", "세부 과제"),
            None,
            False,
            "세부 과제\n클러스터 조성\n테스트베드 구축\n",
        ),
        ((top, "맺음말"), None, False, "맺음말\n끝."),
    ]
    for dropped in (
        "SECRET_SCRIPT",
        "color",
        "메뉴",
        "정치",
        "홈",
        "Copyright",
        "관련 기사",
        "검색",
        "자바스크립트",
        "숨은 글",
        "뉴스 사이트",
    ):
        assert dropped not in doc.text
    assert doc.title == top
    assert doc.meta["format"] == "html"


def test_html_title_tag_when_no_h1_and_euc_kr_meta(tmp_path: Path) -> None:
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=euc-kr">'
        "<title>  보고서   요약 </title></head><body><h2>개요</h2><p>본문 문단.</p>"
        "</body></html>"
    )
    doc = HtmlLoader().load(write(tmp_path, "old.htm", page.encode("euc-kr")))
    assert doc.title == "보고서 요약"
    assert doc.text == "개요\n본문 문단."
    assert doc.sections[0].heading_path == ("개요",)
    assert doc.meta["encoding"] == "cp949"


def test_html_survives_unclosed_tags(tmp_path: Path) -> None:
    page = "<html><body><div><p>하나<p>둘<li>셋</div><nav>메뉴<p>바깥</body>"
    doc = HtmlLoader().load(write(tmp_path, "messy.html", page))
    assert doc.text == "하나\n둘\n셋"


# -- PDF ------------------------------------------------------------------------------------

ENGLISH_PAGES = [
    ["Annual Report 2024", "The first page introduces the plan."],
    ["Second page: three strategies.", "Strategy one builds the hub."],
    ["Third page closes the report."],
]


def test_pdf_pages_come_back_in_order(tmp_path: Path) -> None:
    path = write(tmp_path, "report.pdf", make_pdf(ENGLISH_PAGES, title="Battery Plan 2024"))
    doc = PdfLoader().load(path)
    assert section_texts(doc) == [
        ((), 1, False, "Annual Report 2024\nThe first page introduces the plan.\n"),
        ((), 2, False, "Second page: three strategies.\nStrategy one builds the hub.\n"),
        ((), 3, False, "Third page closes the report."),
    ]
    assert doc.title == "Battery Plan 2024"
    assert doc.meta["format"] == "pdf"
    assert doc.meta["pages"] == 3
    assert doc.meta["empty_pages"] == []
    assert doc.meta["content_hash"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_pdf_empty_page_is_listed_and_placeholder_title_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pages = [["Page one text."], [], ["Page three text."]]
    path = write(tmp_path, "gap.pdf", make_pdf(pages, title="Microsoft Word - draft.docx"))
    doc = PdfLoader().load(path)
    assert section_texts(doc) == [
        ((), 1, False, "Page one text.\n"),
        ((), 3, False, "Page three text."),
    ]
    assert doc.meta["empty_pages"] == [2]
    assert doc.meta["pages"] == 3
    assert "1 of 3 pages have no extractable text (scanned?): 2" in caplog.text
    assert doc.title == "Page one text."


def test_pdf_wrapped_paragraph_is_one_line_but_never_crosses_a_page(tmp_path: Path) -> None:
    paragraph = (
        "This long paragraph is rendered by the PDF writer over several lines, so the text layer "
        "holds hard line breaks in the middle of sentences, which the loader must join again "
        "into a single line without a trailing period"
    )
    path = write(tmp_path, "wrap.pdf", make_pdf([[paragraph], ["continues on the next page."]]))
    doc = PdfLoader().load(path)
    assert section_texts(doc) == [
        ((), 1, False, paragraph + "\n"),
        ((), 2, False, "continues on the next page."),
    ]


def test_pdf_korean(tmp_path: Path) -> None:
    if not NANUM.exists():
        pytest.skip("install fonts-nanum")
    pages = [["경기도 이차전지산업 육성계획", "3대 추진 전략은 다음과 같다."], ["둘째 쪽 본문."]]
    doc = PdfLoader().load(write(tmp_path, "ko.pdf", make_pdf(pages, font=NANUM)))
    assert section_texts(doc) == [
        # No heading on the pages: the title read on page 1 heads every section.
        (("경기도 이차전지산업 육성계획",), 1, False, "경기도 이차전지산업 육성계획\n3대 추진 전략은 다음과 같다.\n"),
        (("경기도 이차전지산업 육성계획",), 2, False, "둘째 쪽 본문."),
    ]
    assert doc.title == "경기도 이차전지산업 육성계획"


def test_pdf_with_user_password_is_rejected(tmp_path: Path) -> None:
    data = make_pdf([["secret text"]], owner_password="owner", user_password="open-sesame")
    path = write(tmp_path, "locked.pdf", data)
    with pytest.raises(IngestError) as err:
        PdfLoader().load(path)
    assert err.value.path == str(path)
    assert "password-protected" in err.value.reason
    assert "remove the password" in err.value.reason


def test_pdf_with_only_an_owner_password_opens(tmp_path: Path) -> None:
    data = make_pdf([["Restricted but readable text."]], owner_password="owner", user_password="")
    doc = PdfLoader().load(write(tmp_path, "restricted.pdf", data))
    assert doc.text == "Restricted but readable text."


def test_truncated_pdf_is_an_ingest_error(tmp_path: Path) -> None:
    data = make_pdf(ENGLISH_PAGES)
    path = write(tmp_path, "cut.pdf", data[: len(data) // 2])
    with pytest.raises(IngestError) as err:
        PdfLoader().load(path)
    assert "truncated or corrupt" in err.value.reason
    assert "cannot read the PDF" in err.value.reason


def test_pdf_without_text_asks_for_ocr(tmp_path: Path) -> None:
    path = write(tmp_path, "scan.pdf", make_pdf([[], []]))
    with pytest.raises(IngestError) as err:
        PdfLoader().load(path)
    assert "no extractable text (scanned PDF?)" in err.value.reason
    assert "OCR" in err.value.reason
