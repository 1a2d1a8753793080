"""benchmarks/calibrate_gate.py: the logistic fit, the operating point and the printed curve."""

from __future__ import annotations

import json
import random
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from answer.gate import GateFeatures, answer_probability
from reportqa.settings import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
import calibrate_gate as cg


def _rows(n: int = 60, seed: int = 3) -> list[cg.Row]:
    """Two sources; answerable rows have a better sentence match and hold more of the terms."""
    rng = random.Random(seed)
    rows = []
    for source in ("korquad", "realdocs-tune"):
        for i in range(n):
            answerable = i % 2 == 0
            lift = 0.05 if answerable else 0.0
            f = GateFeatures(
                "ko", False, 0.83 + lift + rng.uniform(-0.03, 0.03), 0.3 + 4 * lift + rng.uniform(0, 0.3),
                sentence_cosine=0.83 + lift + rng.uniform(-0.03, 0.03),
                sentence_coverage=0.3 + 4 * lift + rng.uniform(0, 0.3),
                missing=0.6 - 4 * lift + rng.uniform(0, 0.2),
            )
            name = source if answerable or source != "korquad" else "korquad-without-article"
            rows.append(cg.Row(name, f"{source}-{i // 2}", answerable, f))
    return rows


def test_the_fit_weighs_the_evidence_that_separates_and_the_point_keeps_its_limit() -> None:
    rows = _rows()
    weights, bias = cg.fit_logistic(rows)
    assert weights["sentence_cosine"] > 0 and weights["missing"] < 0
    answered = [answer_probability(r.features, weights, bias) for r in rows if r.answerable]
    refused = [answer_probability(r.features, weights, bias) for r in rows if not r.answerable]
    assert sum(answered) / len(answered) > 0.8 > 0.2 > sum(refused) / len(refused)
    t = cg.operating_point(rows, weights, bias, max_wrong=0.05, max_wrong_korquad=0.0)
    assert t is not None
    r = cg.rates(rows, cg.partial(cg.model_decides, weights=weights, bias=bias, threshold=t))
    assert r["korquad"][1] == 0.0 and r["realdocs-tune"][1] <= 0.05
    assert r["korquad"][0] > 0.5  # most of the unanswerable ones are refused
    cv = cg.cross_validate(rows, 0.05)
    assert set(cv) == {"korquad", "realdocs-tune"} and cv["korquad"][2] + cv["korquad"][3] == len(rows) // 2


def test_fit_from_saved_rows_prints_weights_the_point_and_the_curve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "rows.jsonl"
    saved.write_text(
        "".join(json.dumps({"source": r.source, "id": r.id, "answerable": r.answerable,
                            "features": asdict(r.features)}) + "\n" for r in _rows()),
        encoding="utf-8",
    )
    assert cg.main(["--load", str(saved), "--fit"]) == 0
    out = capsys.readouterr().out
    assert "GATE_WEIGHTS = {" in out and '"sentence_cosine":' in out
    assert "operating point" in out and "cross-validation" in out
    assert "threshold | korquad unans. refused" in out
