"""Page-dump boilerplate: menus, reactions, headline lists and tickers go; the article stays."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.boilerplate import looks_like_page_dump, strip_page_boilerplate
from ingest.loaders.html import HtmlLoader
from ingest.loaders.text import TextLoader

ARTICLE = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "corpus"
    / "gbsa-battery-plan-article.ko.txt"
)


def test_shared_article_keeps_its_body_and_loses_the_page_chrome() -> None:
    if not ARTICLE.exists():
        pytest.skip(f"{ARTICLE} not found (../shared is absent)")
    doc = TextLoader().load(ARTICLE)
    lines = doc.text.split("\n")
    assert doc.meta["page_dump"] is True
    # The headline, the subtitle and every body paragraph survive, in order.
    assert lines[0].endswith("경과원, 이차전지 육성 청사진 내놨다")
    assert lines[1] == "입력 2025-12-22 09:08"
    body = [line for line in lines if line.endswith("다.")]
    assert len(body) == 17
    assert body[0].startswith("경기도경제과학진흥원(경과원)이 경기도를 차세대 K-배터리 혁신 허브로")
    assert (
        body[-1]
        == "이번 ‘경기도 이차전지산업 육성계획’ 보고서는 경과원 홈페이지에서 확인할 수 있다."
    )
    assert any("△이차전지 산업 거점 확보" in line for line in body)
    # A photo caption printed twice is kept once.
    assert sum(1 for line in lines if line.startswith("▲")) == 1
    # Font-size menu, reactions, related headlines and the crypto ticker are gone.
    for chrome in (
        "가장작게",
        "크게",
        "좋아요",
        "추가취재",
        "주요 뉴스",
        "에그테크",
        "필리버스터",
        "장종료",
        "실시간 암호화폐 시세",
        "비트코인",
        "133,576,000",
        "+1.3%",
        "24시간 변동률",
    ):
        assert chrome not in doc.text, chrome
    assert lines[-1] == body[-1]


DUMP = """\
Battery plan unveiled for the province
Published 2025-12-22

  • Share
  • Print
  • A+
  • A-

The provincial agency published a research report on the battery industry.
It proposes three strategies and ten core tasks.

Most read
  • Markets slide as rates stay high
  • Ten things to know about the new budget
  • Why the harbour project was delayed again

Live prices
  • BTC
  • 133,576,000
  • +1.3%
  • ETH
  • 4,529,000
  • -0.2%
"""


def test_english_page_dump() -> None:
    lines = DUMP.splitlines()
    assert looks_like_page_dump(lines)
    kept = [line.strip() for line in strip_page_boilerplate(lines) if line.strip()]
    assert kept == [
        "Battery plan unveiled for the province",
        "Published 2025-12-22",
        "The provincial agency published a research report on the battery industry.",
        "It proposes three strategies and ten core tasks.",
    ]


def test_a_reports_own_bullet_lists_are_not_touched() -> None:
    report = """\
3대 추진 전략
• 이차전지 산업 거점 확보
• 특화분야 기술 및 기업 경쟁력 강화
• 산학연 협력 생태계 조성
10대 핵심과제는 다음과 같다.
- R&D 특화 클러스터 조성
- 테스트베드 플랫폼 구축
"""
    lines = report.splitlines()
    assert not looks_like_page_dump(lines)
    assert strip_page_boilerplate(lines) == lines


def test_bullet_sentences_survive_in_a_page_dump() -> None:
    lines = [
        "• 가장작게",
        "• 작게",
        "• 크게",
        "본문 첫 문장이다.",
        "• 보고서는 3대 전략을 제시했다.",
        "• 경과원은 10대 과제를 제안했다.",
    ]
    kept = strip_page_boilerplate(lines)
    assert kept == lines[3:]


def test_html_link_lists_are_dropped_but_content_lists_stay(tmp_path: Path) -> None:
    page = """<html><body><div class="article">
<h1>경기도 이차전지산업 육성계획</h1>
<p>경과원이 보고서를 발간했다.</p>
<ul><li>거점 확보</li><li>기술 경쟁력 강화</li><li>생태계 조성</li></ul>
<h3>많이 본 뉴스</h3>
<ul><li><a href="/1">계란 산업, 현재와 미래 한자리에</a></li>
<li><a href="/2">글로벌 피지컬 AI 대격돌</a></li>
<li><a href="/3">빅파마, 미래 먹거리 선점 경쟁</a></li></ul>
<p>맺음말 문단이다. <a href="/r">원문 보기</a></p>
</div></body></html>"""
    path = tmp_path / "news.html"
    path.write_text(page, encoding="utf-8")
    doc = HtmlLoader().load(path)
    assert "거점 확보\n기술 경쟁력 강화\n생태계 조성" in doc.text
    assert "계란 산업" not in doc.text
    assert "피지컬" not in doc.text
    assert doc.text.endswith("맺음말 문단이다. 원문 보기")
