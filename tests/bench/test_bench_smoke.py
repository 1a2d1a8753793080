"""Smoke tests of the speed benchmarks at tiny sizes: they run and print their tables.

The benchmarks are scripts whose figures are measured by hand (README "Performance"); these
tests only check that each one still works end to end on a few inputs, never its timings.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from cli import main
from reportqa.settings import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
import bench_common as bc


def test_sizes_tables_and_exact_search_helpers() -> None:
    assert bc.parse_sizes("1k,10k,100k,1m,2500") == [1000, 10_000, 100_000, 1_000_000, 2500]
    assert [bc.size_label(n) for n in (1000, 100_000, 1_000_000, 2500)] == ["1k", "100k", "1M", "2500"]
    table = bc.format_table("T", ["name", "ms"], [["a", 1.234], ["b", 1234.5]], ["note"])
    assert "## T" in table and "| a    |  1.23 |" in table and "1,234" in table and "- note" in table
    rng = np.random.default_rng(0)
    pool = bc.normalise(rng.standard_normal((50, 16)).astype(np.float32))
    derived = bc.derived_vectors(pool, 300, noise=0.05)
    np.testing.assert_allclose(np.linalg.norm(derived, axis=1), 1.0, atol=1e-5)
    queries = derived[:7]
    truth = bc.exact_topk(derived, queries, 5, batch=64)
    brute = np.argsort(-(queries @ derived.T), axis=1)[:, :5]
    assert bc.recall_at_k(truth, brute, 5) == 1.0
    assert (truth[:, 0] == np.arange(7)).all()


def test_ann_measure_on_tiny_data() -> None:
    import bench_ann

    rng = np.random.default_rng(1)
    base = bc.derived_vectors(bc.normalise(rng.standard_normal((40, 16)).astype(np.float32)), 400)
    queries = base[:20]
    rows = bench_ann.measure(base, queries, bc.exact_topk(base, queries, 10), "tiny", {"hnsw32"})
    exact = [r for r in rows if r[1] == "flat (exact)"]
    assert exact and exact[0][3] == 1.0
    assert all(0.0 <= r[3] <= 1.0 for r in rows) and any(r[1] == "hnsw32" for r in rows)


def test_embed_passages_are_cut_to_the_token_budget() -> None:
    import bench_embed

    def count(text: str) -> int:
        return len(text.split())

    texts = bench_embed.passages(3, 20, count)
    assert texts and all(count(t) <= 20 for t in texts)


@pytest.mark.integration
def test_reportqa_bench_query_quick_runs_on_a_real_index(
    sample_index_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "bench"
    code = main(["bench", "query", "--quick", "--real-index", str(sample_index_dir), "--work", str(work)])
    assert code == 0
    out = capsys.readouterr().out
    assert "## Query latency, memory and index size by corpus size" in out
    row = next(line for line in out.splitlines() if line.startswith("| 1k"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "flat" and cells[2] == "1.00"  # exact search: recall@10 is 1
    assert (work / "idx-1k" / "build.json").exists()


@pytest.mark.integration
def test_ingest_bench_shows_the_cache_speed_up(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import bench_ingest

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("경기도 이차전지 산업\n경기도는 평택에 클러스터를 조성한다. 예산은 430억 원이다.\n", encoding="utf-8")
    assert bench_ingest.main(["--corpus", str(corpus), "--repeats", "1", "--work", str(tmp_path / "w")]) == 0
    out = capsys.readouterr().out
    rebuilt = next(line for line in out.splitlines() if line.startswith("| --rebuild"))
    cells = [c.strip() for c in rebuilt.strip("|").split("|")]
    assert cells[-2] == "0"  # nothing embedded on a rebuild of unchanged text
    assert "first ingest" in out


def level_rows(out: str) -> list[str]:
    """The table rows of a load-bench table (first cell: the number of clients)."""
    return [ln for ln in out.splitlines() if ln.startswith("|") and ln.strip("| ").split(" ")[0].isdigit()]


@pytest.mark.integration
def test_load_bench_function_target_has_no_errors(
    sample_index_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import bench_load

    args = ["--target", "function", "--index", str(sample_index_dir), "--clients", "1,2",
            "--requests", "4", "--seconds", "30", "--questions", "12", "--work", str(tmp_path)]
    assert bench_load.main(args) == 0
    rows = level_rows(capsys.readouterr().out)
    assert len(rows) == 2
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[2] == "0", row  # errors


@pytest.mark.slow
@pytest.mark.integration
def test_load_bench_over_http_starts_the_server_and_has_no_errors(
    sample_index_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import bench_load

    args = ["--index", str(sample_index_dir), "--clients", "1,4", "--requests", "8",
            "--seconds", "60", "--questions", "16", "--work", str(tmp_path)]
    assert bench_load.main(args) == 0
    out = capsys.readouterr().out
    rows = level_rows(out)
    assert len(rows) == 2 and all([c.strip() for c in r.strip("|").split("|")][2] == "0" for r in rows), out
    assert "reportqa serve" in out
