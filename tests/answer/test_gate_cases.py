"""The relevance gate on real text: questions it refused though their passages answer them, and
on-topic questions the documents cannot answer (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from answer.gate import topic_terms
from answer.pipeline import QAPipeline
from reportqa.language import content_terms

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
ARTICLE = SHARED / "corpus" / "gbsa-battery-plan-article.ko.txt"
VACUUM = SHARED / "realdocs" / "samsung-vacuum-quick-guide.ko.pdf"


def test_the_unit_a_count_question_asks_in_is_not_a_topic_word() -> None:
    assert topic_terms("핵심과제는 몇 개인가?", content_terms("핵심과제는 몇 개인가?")) == ["핵심", "과제"]
    assert "년" not in topic_terms("부품은 몇 년 동안 보유해?", content_terms("부품은 몇 년 동안 보유해?"))
    # A question that is only the unit keeps it (nothing else to match on).
    assert topic_terms("몇 개?", ["개"]) == ["개"]
    assert topic_terms("예산은 얼마야?", ["예산"]) == ["예산"]


def _pipeline(tmp_path_factory: pytest.TempPathFactory, path: Path, embed_cache: Path) -> QAPipeline:
    if not path.is_file():
        pytest.skip(f"{path} is absent (the shared folder is not checked out next to the repo)")
    from index.indexing import ingest_paths
    from reportqa.settings import Settings

    settings = Settings.load(
        {"home": tmp_path_factory.mktemp("home"), "index_dir": tmp_path_factory.mktemp("idx"),
         "embed_cache_path": embed_cache},
        env={},
    )
    ingest_paths([path], settings)
    return QAPipeline(settings)


@pytest.fixture(scope="module")
def article_pipeline(
    tmp_path_factory: pytest.TempPathFactory, fixture_embed_cache: Path
) -> Iterator[QAPipeline]:
    yield _pipeline(tmp_path_factory, ARTICLE, fixture_embed_cache)


@pytest.fixture(scope="module")
def vacuum_pipeline(
    tmp_path_factory: pytest.TempPathFactory, fixture_embed_cache: Path
) -> Iterator[QAPipeline]:
    yield _pipeline(tmp_path_factory, VACUUM, fixture_embed_cache)


@pytest.mark.slow
def test_the_article_count_question_is_answered_with_10_and_cited(article_pipeline: QAPipeline) -> None:
    answer = article_pipeline.ask("핵심과제는 몇 개인가?")
    assert not answer.abstained and answer.citations
    assert "10" in answer.text and "핵심과제" in answer.text


@pytest.mark.slow
def test_the_article_refuses_what_it_does_not_say(article_pipeline: QAPipeline) -> None:
    # On topic (the plan's budget) but not in the article; it quoted a sentence with 예산 before.
    assert article_pipeline.ask("이 계획의 총사업비 예산은 얼마인가요?").abstained


@pytest.mark.slow
def test_the_parts_holding_period_is_answered_from_the_table_row(
    vacuum_pipeline: QAPipeline,
) -> None:
    answer = vacuum_pipeline.ask("부품은 몇 년 동안 보유한다고 되어 있어?")
    assert not answer.abstained and answer.citations
    assert "7" in answer.text


@pytest.mark.slow
def test_who_is_the_head_of_the_agency_is_answered_on_the_sample_index(
    sample_pipeline: QAPipeline,
) -> None:
    answer = sample_pipeline.ask("Who is the head of the agency and what did he say?")
    assert not answer.abstained and answer.citations
    assert "Kim Hyun-gon" in answer.text or "김현곤" in answer.text
