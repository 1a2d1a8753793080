"""The answer and index stages keep their tuned numbers in answer/tuning.py and index/tuning.py
(issue 17; the ingest stage's own check is tests/ingest/test_tuning.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.ingest.test_tuning import _numeric_constants

ROOT = Path(__file__).resolve().parents[2]

# Limits and formats that are not tuned stay beside their code (see each tuning module's docstring).
NOT_TUNED = {
    "answer/extractive.py": {"_CONTINUATION_GAP"},
    "answer/pipeline.py": {"MAX_QUESTION_CHARS"},
    "answer/rewrite.py": {"MAX_REWRITE_CHARS"},
    "answer/translation.py": {"TRANSLATION_TOKENS", "CACHE_SIZE"},
    "answer/generators/models.py": {"CONVERSION_PROGRESS_S"},
    "answer/generators/openai_generator.py": {"MAX_BACKOFF_S"},
    "answer/generators/prompting.py": {"HISTORY_TURNS", "HISTORY_ANSWER_CHARS"},
    "index/embedding_cache.py": {"_LOOKUP_BATCH"},
    "index/lock.py": {"_POLL_S"},
    "index/milvus_lite_speedups.py": {"SEGMENTS_KEPT", "SNAPSHOTS_KEPT"},
    "index/milvus_store.py": {"VARCHAR_MAX", "PART_CHARS", "INSERT_BATCH", "ROW_CACHE", "QUERY_PAGE"},
    "index/report_index.py": {"SCHEMA_VERSION"},
    "index/store.py": {"LAZY_CHUNKS_FROM", "_OPEN_ATTEMPTS"},
}


@pytest.mark.parametrize("stage", ["answer", "index"])
def test_no_tuned_number_outside_the_stages_tuning_module(stage: str) -> None:
    stray = {}
    for path in sorted((ROOT / stage).rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel == f"{stage}/tuning.py":
            continue
        found = _numeric_constants(path) - NOT_TUNED.get(rel, set())
        if found:
            stray[rel] = sorted(found)
    assert not stray, (
        f"numeric module constants outside {stage}/tuning.py: {stray}; move tuned numbers there "
        "with the measurement that chose them, or list a limit in NOT_TUNED"
    )


@pytest.mark.parametrize("stage", ["answer", "index"])
def test_every_tuning_constant_is_used(stage: str) -> None:
    tuned = _numeric_constants(ROOT / stage / "tuning.py")
    assert tuned
    sources = "\n".join(
        p.read_text(encoding="utf-8") for p in (ROOT / stage).rglob("*.py") if p.name != "tuning.py"
    )
    unused = sorted(n for n in tuned if not re.search(rf"\b{n}\b", sources))
    assert not unused, f"{stage}/tuning.py constants no {stage} module uses: {unused}"
