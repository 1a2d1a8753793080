"""Fit the evidence rescoring weights (answer/rerank.py EvidenceReranker) on tuning questions.

The shipped weights were set by hand on the realdocs tuning rows. This script collects, for
each tuning question, the first ``RESCORE_CANDIDATES`` passages of the retrieval chain *without*
rescoring and their features (the fused score against the best candidate's, the answer
sentence's cosine against the best candidate's, own-language and cross-language apart, label
named, item named, defines the asked term), then fits a conditional logit (softmax over each
question's candidates; the passages holding the evidence are the positives; L2 penalty) and
prints hit@1 after rescoring with the shipped weights and the fitted ones:

- realdocs tuning rows, batch by batch (a batch not used for fitting is the honest check);
- KorQuAD tuning questions (``benchmarks/korquad_data.py`` tuning_questions: none of the
  benchmark's 1,000), on the KorQuAD index of benchmarks/korquad.py.

    python benchmarks/fit_rescore.py --realdocs-index DIR [--korquad-index DIR]
                                     [--korquad-questions 500] [--fit-batches s5,s6]
                                     [--features rows.npz]

Weights are reported in the shipped form: score + w · feature, the fused score's weight 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from scipy.optimize import minimize

from answer.crosslingual import passages_language
from answer.pipeline import QAPipeline
from answer.rerank import EvidenceReranker
from answer.retrieval import sentence_cosines
from answer.tuning import (
    RESCORE_DEFINITION_WEIGHT,
    RESCORE_ITEM_WEIGHT,
    RESCORE_LABEL_WEIGHT,
    RESCORE_SENTENCE_WEIGHT,
    RESCORE_SENTENCE_WEIGHT_CROSS,
)
from evaluation.realdocs import is_relevant, load_questions
from evaluation.runner import chunk_matches
from index.embedders import embedder_from_settings
from index.store import open_index
from reportqa.language import detect_language
from reportqa.settings import REPO_ROOT, Settings

try:  # both are benchmark modules beside this one
    from benchmarks.korquad_data import eval_items, load_articles, tuning_questions
    from benchmarks.realdocs import chunk_passage, question_batches
except ImportError:  # run as a script from benchmarks/
    from korquad_data import eval_items, load_articles, tuning_questions  # type: ignore[no-redef]
    from realdocs import chunk_passage, question_batches  # type: ignore[no-redef]

FEATURES = ("fused", "sentence (own language)", "sentence (cross-language)", "label named",
            "item named", "defines asked")
# The fused scores span ~0.1 between rank 1 and rank 10; the softmax needs a temperature so
# that weight 1 on them is a real preference (fixed, not fitted: it sets the scale of w).
SCALE = 30.0
SHIPPED = np.array([1.0, RESCORE_SENTENCE_WEIGHT, RESCORE_SENTENCE_WEIGHT_CROSS,
                    RESCORE_LABEL_WEIGHT, RESCORE_ITEM_WEIGHT, RESCORE_DEFINITION_WEIGHT])


def candidate_features(pipeline: QAPipeline, reranker: EvidenceReranker, question: str,
                       k: int) -> tuple[np.ndarray, list]:
    """(features of the first ``k`` candidates without rescoring, the hits)."""
    hits = pipeline.retriever.retrieve(question, k)
    if not hits:
        return np.zeros((0, len(FEATURES))), hits
    raw = [reranker.features(question, h) for h in hits]
    best_fused = max(h.score for h in hits)
    best_sentence = max(f[0] for f in raw)
    language = passages_language(question, [(i, h.score) for i, h in enumerate(hits)],
                                 lambda i: detect_language(hits[i].chunk.text))
    cross = float(language != detect_language(question))
    rows = [
        [h.score - best_fused, (1 - cross) * (s - best_sentence), cross * (s - best_sentence),
         named, item, definition]
        for h, (s, named, item, definition) in zip(hits, raw, strict=True)
    ]
    return np.asarray(rows, dtype=np.float64), hits


def hit_at_1(groups: Sequence[tuple[np.ndarray, np.ndarray]], w: np.ndarray) -> float:
    """Share of questions whose best-scored candidate is relevant (a question with no relevant
    candidate counts as a miss)."""
    if not groups:
        return float("nan")
    return sum(bool(y[int(np.argmax(x @ w))]) for x, y in groups if len(y)) / len(groups)


def fit(groups: Sequence[tuple[np.ndarray, np.ndarray]], l2: float) -> np.ndarray:
    """Conditional-logit weights (the fused score's weight fixed at 1), L2 on the others."""
    usable = [(x, y) for x, y in groups if len(y) > 1 and y.any() and not y.all()]

    def loss(v: np.ndarray) -> tuple[float, np.ndarray]:
        w = np.concatenate([[1.0], v])
        total, grad = 0.0, np.zeros_like(w)
        for x, y in usable:
            z = x @ w * SCALE
            z -= z.max()
            p = np.exp(z) / np.exp(z).sum()
            total -= float(np.log((p * y).sum() + 1e-12))
            q = p * y / (p * y).sum()
            grad -= SCALE * ((q - p) @ x)
        total += l2 * float(v @ v) * len(usable)
        g = grad[1:] + 2 * l2 * v * len(usable)
        return total, g

    res = minimize(loss, SHIPPED[1:].copy(), jac=True, method="L-BFGS-B")
    return np.concatenate([[1.0], res.x])



def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--realdocs-index", type=Path, required=True)
    ap.add_argument("--korquad-index", type=Path, default=None)
    ap.add_argument("--korquad-questions", type=int, default=500)
    ap.add_argument("--fit-batches", default="s5,s6",
                    help="realdocs batches whose tuning rows the fit uses (the others are checks)")
    ap.add_argument("--l2", type=float, default=0.01)
    ap.add_argument("--candidates", type=int, default=10)
    args = ap.parse_args(argv)

    settings = Settings.load({"rescore_candidates": "0"})
    embedder = embedder_from_settings(settings)
    sets: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}

    index = open_index(args.realdocs_index, embedder.name)
    pipeline = QAPipeline(settings.replace(index_dir=args.realdocs_index), index=index, embedder=embedder)
    _ = pipeline.index  # loads the index, the query encoder and the retriever
    reranker = EvidenceReranker(sentence_cosines(index, pipeline.encode), args.candidates)
    questions_path = REPO_ROOT / "data" / "eval" / "realdocs.jsonl"
    batches = question_batches(questions_path)
    for q in load_questions(questions_path):
        if q.split != "tune" or not q.answerable:
            continue
        x, hits = candidate_features(pipeline, reranker, q.question, args.candidates)
        y = np.array([is_relevant(chunk_passage(h.chunk), q) for h in hits], dtype=bool)
        name = f"realdocs {batches[q.id]}" + (" en" if q.language == "en" else "")
        sets.setdefault(name, []).append((x, y))
    print(f"realdocs tuning rows collected: { {k: len(v) for k, v in sets.items()} }", file=sys.stderr)

    if args.korquad_index is not None:
        kq = open_index(args.korquad_index, embedder.name)
        kpipe = QAPipeline(settings.replace(index_dir=args.korquad_index), index=kq, embedder=embedder)
        _ = kpipe.index
        kre = EvidenceReranker(sentence_cosines(kq, kpipe.encode), args.candidates)
        items = eval_items(tuning_questions(load_articles(), 2 * args.korquad_questions))
        for n, item in enumerate(items):
            x, hits = candidate_features(kpipe, kre, item.question, args.candidates)
            y = np.array([bool(chunk_matches(h.chunk, item)) for h in hits], dtype=bool)
            sets.setdefault("korquad fit" if n % 2 == 0 else "korquad check", []).append((x, y))
        print(f"KorQuAD tuning questions: {len(items)}", file=sys.stderr)

    fit_names = {f"realdocs {b}" for b in args.fit_batches.split(",")}
    fit_names |= {f"{n} en" for n in fit_names} | {"korquad fit"}
    fit_groups = [g for name, groups in sets.items() if name in fit_names for g in groups]
    weights = {"shipped": SHIPPED, "no rescoring": np.eye(len(FEATURES))[0]}
    weights["fitted"] = fit(fit_groups, args.l2)
    weights["fitted, realdocs only"] = fit(
        [g for name, groups in sets.items() if name in fit_names and "korquad" not in name
         for g in groups], args.l2)

    names = sorted(sets)
    print("| weights | " + " | ".join(f"{n} ({len(sets[n])})" for n in names) + " | "
          + " | ".join(FEATURES[1:]) + " |")
    print("|---|" + "---|" * (len(names) + len(FEATURES) - 1))
    for label, w in weights.items():
        cells = [f"{hit_at_1(sets[n], w):.3f}" for n in names]
        print(f"| {label} | " + " | ".join(cells) + " | " + " | ".join(f"{v:.3f}" for v in w[1:]) + " |")
    print(f"(hit@1 after rescoring the first {args.candidates} candidates; fitted on: "
          f"{', '.join(sorted(n for n in names if n in fit_names))}; L2 {args.l2})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
