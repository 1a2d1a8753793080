"""Two ``reportqa ingest`` processes into one index never lose a write (issue 15: both printed
"12 added", and the index ended 12 documents short because the last save won)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.store import read_manifest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Without the write lock every run loses a batch (8 of 8 runs, 2026-12-02, as on run 0 when the
# test was written), so a few runs catch a missing or misplaced lock. Each run starts two real
# processes: the 20 runs it began with took 128 CPU-s, the largest share of the CI test run.
RUNS = 6
DOCS_PER_BATCH = 4
FACTS = ["wind turbines", "solar panels", "tidal power", "heat pumps", "battery storage"]


def batch(folder: Path, tag: str) -> set[str]:
    folder.mkdir(parents=True)
    for i in range(DOCS_PER_BATCH):
        fact = FACTS[i % len(FACTS)]
        (folder / f"{tag}-{i}.txt").write_text(
            f"Report {tag}-{i} on {fact}.\n\nThe {tag} programme funds {i + 3} projects on "
            f"{fact}. Each project runs for {i + 2} years.\n",
            encoding="utf-8",
        )
    return {f"{tag}-{i}.txt" for i in range(DOCS_PER_BATCH)}


def start_ingest(folder: Path, index: Path, home: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    # One embedding thread each: two processes on a small machine, not two thread pools.
    env.update({"REPORTQA_HOME": str(home), "HF_HUB_OFFLINE": "1", "REPORTQA_EMBED_THREADS": "1"})
    return subprocess.Popen(
        [sys.executable, "-m", "reportqa", "ingest", str(folder), "--index", str(index), "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_repeated_runs_of_two_concurrent_ingests_keep_both_batches(tmp_path: Path) -> None:
    started = time.monotonic()
    home = tmp_path / "home"
    waited = 0
    for run in range(RUNS):
        index = tmp_path / f"idx-{run}"
        want = batch(tmp_path / f"a-{run}", "alpha") | batch(tmp_path / f"b-{run}", "beta")
        procs = [
            start_ingest(tmp_path / f"a-{run}", index, home),
            start_ingest(tmp_path / f"b-{run}", index, home),
        ]
        outputs = [p.communicate(timeout=300) for p in procs]
        for proc, (out, err) in zip(procs, outputs, strict=True):
            assert proc.returncode == 0, err
            assert f"{DOCS_PER_BATCH} added" in out, out
            assert "Traceback" not in err, err
        waited += sum("waiting for another ingest" in err for _, err in outputs)
        have = {d["id"] for d in read_manifest(index)["documents"]}
        assert have == want, f"run {run}: lost {sorted(want - have)}"
    assert waited, "no run overlapped the two ingests, so none tested the lock"
    print(
        f"\n{RUNS} runs of two concurrent ingests: 0 lost writes; {waited} of them waited for "
        f"the other; {time.monotonic() - started:.0f} s"
    )
