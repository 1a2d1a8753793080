"""Ordinal follow-ups ("그럼 두 번째 전략은?", "the second one?") pick that item of a listed answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from answer.rewrite import (
    item_follow_up,
    list_items,
    ordinal,
    pick_item,
    promised_count,
    rewrite_question,
)
from reportqa.language import content_terms

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
ARTICLE = SHARED / "corpus" / "gbsa-battery-plan-article.ko.txt"

# Our own wording of a listed answer (not the article's).
LISTED = (
    "보고서는 세 가지 전략을 내놓았다.\n"
    "△거점 단지 조성 △핵심 기술 확보 △협력 생태계 구축이 중심이다.\n"
    "주요 과제로는 △연구 클러스터 △시험 플랫폼 △인재 양성 △재활용 지원 등이 포함됐다."
)


@pytest.mark.parametrize(
    ("question", "n"),
    [
        ("그럼 두 번째 전략은?", 2),
        ("그중 첫째는?", 1),
        ("세 번째는 뭐야?", 3),
        ("2번째 과제는?", 2),
        ("마지막 것은?", -1),
        ("the second one?", 2),
        ("what about the third?", 3),
        ("And the 4th?", 4),
        ("그럼 예산은?", None),
        ("What about the budget?", None),
    ],
)
def test_the_ordinal_a_follow_up_asks_for(question: str, n: int | None) -> None:
    assert ordinal(question) == n


def test_lists_inline_and_by_lines() -> None:
    lists = [items for _, items in list_items(LISTED)]
    assert lists[0] == ["거점 단지 조성", "핵심 기술 확보", "협력 생태계 구축"]
    assert lists[1] == ["연구 클러스터", "시험 플랫폼", "인재 양성", "재활용 지원"]
    numbered = list_items("목표는 다음과 같다.\n1. 거점 조성\n2. 기술 확보\n3) 인재 양성\n끝.")
    assert [items for _, items in numbered] == [["거점 조성", "기술 확보", "인재 양성"]]


def test_the_list_with_the_promised_count_and_lead_in_wins() -> None:
    assert promised_count("보고서가 제시한 3대 추진 전략") == 3
    assert promised_count("the three strategies") == 3
    assert pick_item("보고서가 제시한 세 가지 전략", 2, [LISTED], content_terms) == "핵심 기술 확보"
    assert pick_item("주요 과제", 4, [LISTED], content_terms) == "재활용 지원"
    assert pick_item("주요 과제", -1, [LISTED], content_terms) == "재활용 지원"
    assert pick_item("보고서가 제시한 세 가지 전략", 9, [LISTED], content_terms) is None


def test_the_item_comes_from_the_previous_answer_or_else_the_passages() -> None:
    history = [("보고서가 제시한 세 가지 전략은?", LISTED)]
    rewritten = item_follow_up("그럼 두 번째 전략은?", history, content_terms)
    assert rewritten is not None and rewritten.endswith("핵심 기술 확보")
    # The previous answer quoted only the lead-in: the list is found in the passages.
    lead_only = [("보고서가 제시한 세 가지 전략은?", "보고서는 세 가지 전략을 내놓았다. [1]")]
    asked: list[str] = []

    def passages(question: str) -> list[str]:
        asked.append(question)
        return [LISTED]

    rewritten = rewrite_question("그럼 두 번째 전략은?", lead_only, content_terms, None, passages)
    assert rewritten.endswith("핵심 기술 확보") and asked == ["보고서가 제시한 세 가지 전략은?"]
    # Without a list anywhere the usual rewrite applies.
    plain = rewrite_question("그럼 두 번째 전략은?", lead_only, content_terms, None, lambda q: [])
    assert plain == "보고서가 제시한 세 가지 전략 중 두 번째 전략은?"


def test_an_english_ordinal_follow_up() -> None:
    answer = "The plan has three strategies: \n- build hubs\n- secure technology\n- grow the ecosystem"
    rewritten = rewrite_question(
        "what about the third one?", [("What are the three strategies?", answer)], content_terms
    )
    assert rewritten == "Third of the three strategies: grow the ecosystem"


def test_an_ordinal_in_a_question_with_words_of_its_own_picks_no_item() -> None:
    history = [("보고서가 제시한 세 가지 전략은?", LISTED)]
    question = "경기도의 전기차 등록대수는 전국 첫 번째 수준인가요?"
    assert item_follow_up(question, history, content_terms, lambda q: [LISTED]) is None
    assert "거점 단지 조성" not in rewrite_question(question, history, content_terms)
    # Naming the list is allowed: "2번째 과제는?" picks from the tasks, not the strategies.
    assert item_follow_up("2번째 과제는?", history, content_terms, None) == "과제 중 2번째: 시험 플랫폼"


@pytest.fixture(scope="module")
def article_pipeline(tmp_path_factory: pytest.TempPathFactory, fixture_embed_cache: Path) -> Iterator[object]:
    if not ARTICLE.is_file():
        pytest.skip(f"{ARTICLE} is absent (the shared corpus is not checked out next to the repo)")
    from answer.pipeline import QAPipeline
    from index.indexing import ingest_paths
    from reportqa.settings import Settings

    settings = Settings.load(
        {"home": tmp_path_factory.mktemp("home"), "index_dir": tmp_path_factory.mktemp("article"),
         "embed_cache_path": fixture_embed_cache},
        env={},
    )
    ingest_paths([ARTICLE], settings)
    yield QAPipeline(settings)


FIRST = "보고서가 제시한 3대 추진 전략은?"
SECOND_STRATEGY = "이차전지 특화분야 기술 및 기업 경쟁력 강화"


@pytest.mark.slow
def test_the_article_follow_up_answers_with_the_second_strategy(article_pipeline) -> None:  # type: ignore[no-untyped-def]
    first = article_pipeline.ask(FIRST)
    assert first.citations
    second = article_pipeline.ask("그럼 두 번째 전략은?", history=[(FIRST, first.text)])
    assert SECOND_STRATEGY in second.text and second.citations
    # The previous answer's sentence is not quoted again (it does not hold the item).
    for line in first.text.splitlines():
        if "[1]" in line and SECOND_STRATEGY not in line:
            assert line.split("[")[0].strip() not in second.text


@pytest.mark.slow
def test_the_api_and_the_openai_endpoint_answer_the_follow_up(article_pipeline) -> None:  # type: ignore[no-untyped-def]
    import app
    from server.background import BackgroundServer

    settings = article_pipeline.settings.replace(rate_limit_per_minute=1000)
    server = BackgroundServer(app.create_server_app(settings, pipeline=article_pipeline))
    url = server.start()
    try:
        with httpx.Client(base_url=url, timeout=120) as c:
            first = c.post("/api/v1/ask", json={"question": FIRST}).json()["answer"]
            body = c.post(
                "/api/v1/ask",
                json={
                    "question": "그럼 두 번째 전략은?",
                    "history": [{"role": "user", "content": FIRST}, {"role": "assistant", "content": first}],
                },
            ).json()
            assert SECOND_STRATEGY in body["answer"]
            chat = c.post(
                "/v1/chat/completions",
                json={
                    "model": "reportqa",
                    "messages": [
                        {"role": "user", "content": FIRST},
                        {"role": "assistant", "content": first},
                        {"role": "user", "content": "그럼 두 번째 전략은?"},
                    ],
                },
            ).json()
            assert SECOND_STRATEGY in chat["choices"][0]["message"]["content"]
    finally:
        server.stop()
