"""Calibrate the relevance gate on questions nobody here wrote, answerable and not.

Three sources, each asked twice where it can be:

- **KorQuAD** (held-out tuning questions, ``korquad_data.tuning_questions``): asked of the index
  with their article (answerable) and without it (unanswerable and on topic: the other 139
  articles are Wikipedia too) — "without" drops the article's passages from the candidates
  retrieved over the whole index, which keeps its words' idf in BM25 (a close approximation);
- **real documents** (``data/eval/realdocs.jsonl``, tuning rows only): their answerable and
  unanswerable questions on the index of ``../shared/realdocs`` (build it with
  ``benchmarks/realdocs.py --index DIR``);
- **the sample sets** (``data/eval/sample.jsonl`` on the bundled sample index).

It prints, for a grid of gate settings, the share of unanswerable questions refused against the
share of answerable ones wrongly refused, per source, and the best point that keeps wrongly refused
answerable questions at or under ``--max-wrong`` on every source.

    python benchmarks/calibrate_gate.py [--korquad-index DIR] [--realdocs-index DIR]
                                        [--questions 600] [--features OUT.jsonl]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from korquad_data import DEFAULT_PATH, load_articles, tuning_questions

from answer.gate import GateFeatures, judge
from answer.pipeline import QAPipeline
from evaluation.datasets import load_eval_set
from evaluation.realdocs import load_questions
from index.indexing import ensure_index
from reportqa.errors import IndexNotFoundError
from reportqa.settings import REPO_ROOT, Settings

CANDIDATES = 30


@dataclass(frozen=True)
class Row:
    source: str
    id: str
    answerable: bool
    features: GateFeatures


def _features(pipeline: QAPipeline, question: str, exclude_doc: str | None = None) -> GateFeatures | None:
    hits = pipeline.retrieve(question, CANDIDATES)
    if exclude_doc is not None:
        hits = [h for h in hits if h.chunk.doc_id != exclude_doc]
    hits = hits[: pipeline.settings.top_k]
    return pipeline.gate_features(question, hits) if hits else None


def korquad_rows(settings: Settings, index_dir: Path, n: int) -> list[Row]:
    pipeline = QAPipeline(settings.replace(index_dir=index_dir))
    rows = []
    for q in tuning_questions(load_articles(DEFAULT_PATH), n):
        with_article = _features(pipeline, q["question"])
        without = _features(pipeline, q["question"], exclude_doc=q["doc_id"])
        if with_article is not None:
            rows.append(Row("korquad", q["id"], True, with_article))
        if without is not None:
            rows.append(Row("korquad-without-article", q["id"], False, without))
    return rows


def realdocs_rows(settings: Settings, index_dir: Path) -> list[Row]:
    pipeline = QAPipeline(settings.replace(index_dir=index_dir))
    rows = []
    for q in load_questions(REPO_ROOT / "data" / "eval" / "realdocs.jsonl"):
        if q.split != "tune":
            continue
        f = _features(pipeline, q.question)
        if f is not None:
            rows.append(Row("realdocs-tune", q.id, q.answerable, f))
    return rows


def sample_rows(settings: Settings) -> list[Row]:
    ensure_index(settings)
    pipeline = QAPipeline(settings)
    rows = []
    for name in ("sample.jsonl", "crosslingual.jsonl"):
        for item in load_eval_set(REPO_ROOT / "data" / "eval" / name):
            f = _features(pipeline, item.question)
            if f is not None:
                rows.append(Row(f"sample:{name.split('.')[0]}", item.id, item.answerable, f))
    return rows


GRID = {
    "min_score_ko": [0.82, 0.83, 0.84, 0.85, 0.86, 0.87],
    "min_score_en": [0.80, 0.808, 0.82, 0.83],
    "min_score_with_terms": [0.80, 0.81, 0.82],
    "min_term_coverage": [0.3, 0.4, 0.5, 0.6, 0.7],
    "min_score_typed_override": [0.0, 0.86, 0.88, 1.01],
}


def rates(rows: Sequence[Row], settings: Settings) -> dict[str, tuple[float, float, int, int]]:
    """Per source: (unanswerable refused, answerable refused, n unanswerable, n answerable)."""
    out: dict[str, tuple[float, float, int, int]] = {}
    for source in sorted({r.source.replace("-without-article", "") for r in rows}):
        mine = [r for r in rows if r.source.replace("-without-article", "") == source]
        un = [r for r in mine if not r.answerable]
        an = [r for r in mine if r.answerable]
        refused_un = sum(not judge(r.features, settings) for r in un) / len(un) if un else float("nan")
        refused_an = sum(not judge(r.features, settings) for r in an) / len(an) if an else float("nan")
        out[source] = (refused_un, refused_an, len(un), len(an))
    return out


def grid_points(base: Settings) -> Iterable[Settings]:
    keys = list(GRID)
    for values in itertools.product(*(GRID[k] for k in keys)):
        yield base.replace(**dict(zip(keys, values, strict=True)))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    base = Settings.load()
    ap.add_argument("--korquad-index", type=Path, default=base.home / "bench" / "korquad")
    ap.add_argument("--realdocs-index", type=Path, default=None)
    ap.add_argument("--questions", type=int, default=600, help="KorQuAD tuning questions")
    ap.add_argument("--max-wrong", type=float, default=0.05)
    ap.add_argument("--features", type=Path, default=None, help="write each row's features here")
    ap.add_argument("--load", type=Path, default=None, help="read rows written by --features")
    args = ap.parse_args(argv)

    rows: list[Row] = []
    if args.load:
        for line in args.load.read_text(encoding="utf-8").splitlines():
            obj = json.loads(line)
            rows.append(Row(obj["source"], obj["id"], obj["answerable"], GateFeatures(**obj["features"])))
    else:
        try:
            rows += korquad_rows(base, args.korquad_index, args.questions)
        except (IndexNotFoundError, FileNotFoundError) as exc:
            print(f"note: KorQuAD skipped ({exc}); build it with benchmarks/korquad.py", file=sys.stderr)
        if args.realdocs_index:
            rows += realdocs_rows(base, args.realdocs_index)
        rows += sample_rows(base)
    if args.features:
        args.features.write_text(
            "".join(json.dumps({"source": r.source, "id": r.id, "answerable": r.answerable,
                                "features": asdict(r.features)}, ensure_ascii=False) + "\n"
                    for r in rows),
            encoding="utf-8",
        )
    print(f"{len(rows)} rows: " + ", ".join(
        f"{s} {sum(r.source == s for r in rows)}" for s in sorted({r.source for r in rows})))

    def show(label: str, s: Settings) -> None:
        parts = [f"{src}: refused {un:.3f} of {nu} unanswerable, {an:.3f} of {na} answerable"
                 for src, (un, an, nu, na) in rates(rows, s).items()]
        print(f"{label}\n  " + "\n  ".join(parts))

    show("current settings", base)
    best: tuple[float, Settings] | None = None
    curve: list[tuple[float, float]] = []
    for s in grid_points(base):
        r = rates(rows, s)
        wrong = max((an for _, an, _, na in r.values() if na), default=0.0)
        refused = min((un for un, _, nu, _ in r.values() if nu), default=0.0)
        curve.append((wrong, refused))
        if wrong <= args.max_wrong and (best is None or refused > best[0]):
            best = (refused, s)
    print("\nprecision/recall of refusing (worst source): answerable wrongly refused → "
          "best unanswerable refused")
    for limit in (0.0, 0.02, 0.05, 0.10, 0.15, 0.20, 0.30):
        reach = max((ref for wrong, ref in curve if wrong <= limit), default=float("nan"))
        print(f"  ≤ {limit:.2f} → {reach:.3f}")
    if best is not None:
        chosen = {k: getattr(best[1], k) for k in GRID}
        show(f"\nbest with every source's answerable refused ≤ {args.max_wrong}: {chosen}", best[1])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
