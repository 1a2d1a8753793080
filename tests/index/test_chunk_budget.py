"""The parse time budget covers chunking too (issue 15, item 4)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import ingest.chunking as chunking
from index.indexing import ingest_paths
from reportqa.settings import Settings


@pytest.mark.integration
def test_a_document_over_the_chunking_budget_is_skipped_with_that_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One document that cannot be chunked within the budget is skipped with the budget's reason
    (and the setting to raise); the others are indexed."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The Vardo wind farm has 31 turbines on the ridge.\n", encoding="utf-8")
    (docs / "slow.txt").write_text("느린 문서의 첫 문장이다. 둘째 문장이다.\n", encoding="utf-8")
    real = chunking._checker

    def slow_checker(doc, deadline):  # type: ignore[no-untyped-def]
        check = real(doc, deadline)
        if doc.id != "slow.txt":
            return check

        def waiting() -> None:
            time.sleep(0.6)
            check()

        return waiting

    monkeypatch.setattr(chunking, "_checker", slow_checker)
    settings = Settings.load(env={}).replace(
        home=tmp_path / "home", index_dir=tmp_path / "index", parse_timeout_s=1.0
    )
    summary = ingest_paths([docs], settings)
    assert summary.added == ["a.txt"]
    (skip,) = [s for s in summary.skipped if s.path.endswith("slow.txt")]
    assert "REPORTQA_PARSE_TIMEOUT_S" in skip.reason
