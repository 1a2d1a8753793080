"""The same questions over the FAISS index and its copy in Milvus Lite, metrics side by side.

    python benchmarks/bench_milvus_parity.py [--index DIR] [--eval data/eval/sample.jsonl ...]
                                             [--korquad-index DIR] [--questions 1000] [--no-answers]

``--index``: an index built the usual way (default: the bundled sample index, built first when
missing); it is copied into Milvus Lite with ``index.milvus_ingest.import_index`` (passages
tokenised again, so BM25 is the FAISS index's), then every eval set runs through ``QAPipeline``
over both (hybrid retrieval, extractive answer). ``--korquad-index``: the index
``benchmarks/korquad.py`` builds, scored on its ``--questions`` KorQuAD dev questions the same way;
``--korquad-articles N`` instead builds (once) an index of the first N articles and scores those of
the benchmark's questions that ask about them (a KorQuAD subset for a machine without an hour
to embed all 140 articles).
Target of issue 16: hit@1, hit@5, MRR@10 and containment within 0.01 of FAISS.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from answer.pipeline import QAPipeline
from evaluation.datasets import EvalItem, load_eval_set
from evaluation.report import markdown_table
from evaluation.runner import evaluate
from index.indexing import ensure_index
from index.milvus_ingest import import_index
from index.milvus_store import LITE_FILE, MilvusTarget
from index.store import open_index
from reportqa.settings import REPO_ROOT, Settings

METRICS = ("hit@1", "hit@5", "mrr@10", "containment")
TOLERANCE = 0.01  # issue 16's target


def copy_to_milvus(index_dir: Path, work: Path, name: str) -> tuple[Path, float]:
    """Import ``index_dir`` into Milvus Lite under ``work/name``; (its folder, seconds)."""
    t0 = time.perf_counter()
    target_dir = work / name
    target_dir.mkdir(parents=True, exist_ok=True)
    import_index(open_index(index_dir), MilvusTarget(str(target_dir / LITE_FILE), name), target_dir)
    return target_dir, time.perf_counter() - t0


def build_subset(articles: list[dict[str, Any]], settings: Settings) -> None:
    """The FAISS index of ``articles`` at ``settings.index_dir`` (built once; embedding cache on)."""
    from korquad_data import article_documents

    from index.builder import build_index
    from index.embedders import embedder_from_settings
    from index.embedding_cache import EmbeddingCache
    from index.indexing import chunker_config
    from index.store import save_index

    if (settings.resolved_index_dir / "CURRENT").exists():
        return
    cache = EmbeddingCache.from_settings(settings)
    try:
        index, _ = build_index(
            article_documents(articles), embedder_from_settings(settings), chunker_config(settings), None, cache
        )
    finally:
        if cache is not None:
            cache.close()
    save_index(index, settings.resolved_index_dir)


def score(settings: Settings, items: list[EvalItem], answers: bool) -> dict[str, Any]:
    pipeline = QAPipeline(settings)
    chunks = list(pipeline.index.chunks)
    pipeline.retrieve(items[0].question, 10)  # load and warm up outside the timings
    result = evaluate(pipeline, items, chunks, answers=answers, name=str(settings.index_dir))
    return result.metrics


def compare(label: str, faiss_settings: Settings, milvus_settings: Settings, items: list[EvalItem], answers: bool) -> list[list[str]]:
    """Two table rows (FAISS, Milvus) and a third with the differences."""
    m_f = score(faiss_settings, items, answers)
    m_m = score(milvus_settings, items, answers)
    keys = [k for k in METRICS if answers or k != "containment"]
    deltas = {k: m_m.get(k, 0.0) - m_f.get(k, 0.0) for k in keys}
    ok = all(abs(d) <= TOLERANCE for d in deltas.values())

    def cells(m: dict[str, Any]) -> list[str]:
        return [f"{m[k]:.3f}" if k in m else "–" for k in METRICS] + [f"{m.get('retrieve_p50_ms', 0.0):.1f}"]

    return [
        [label, str(len(items)), "faiss", *cells(m_f)],
        [label, str(len(items)), "milvus lite", *cells(m_m)],
        [label, "", "Δ" + (" ✓" if ok else " ✗"), *[f"{deltas[k]:+.3f}" if k in deltas else "–" for k in METRICS], ""],
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--index", type=Path, default=None, help="FAISS index of the eval sets (default: the sample index)")
    p.add_argument("--eval", type=Path, nargs="*", default=[REPO_ROOT / "data" / "eval" / "sample.jsonl"])
    p.add_argument("--korquad-index", type=Path, default=None)
    p.add_argument("--korquad-articles", type=int, default=0, help="build and score a subset: the first N articles")
    p.add_argument("--questions", type=int, default=1000, help="KorQuAD questions (seed 13, as benchmarks/korquad.py)")
    p.add_argument("--work", type=Path, default=None, help="folder for the Milvus Lite copies (default <home>/bench/milvus)")
    p.add_argument("--no-answers", action="store_true", help="retrieval metrics only")
    args = p.parse_args(argv)
    base = Settings.load().replace(retrieval_mode="hybrid")
    work = (args.work or base.home / "bench" / "milvus").resolve()
    answers = not args.no_answers
    rows: list[list[str]] = []
    notes: list[str] = []

    faiss_settings = base.replace(index_dir=args.index) if args.index else base
    if args.index is None:
        ensure_index(faiss_settings)
    if args.eval:
        milvus_dir, seconds = copy_to_milvus(faiss_settings.resolved_index_dir, work, "parity_sample")
        notes.append(f"{faiss_settings.resolved_index_dir} copied into Milvus Lite in {seconds:.1f}s")
        for path in args.eval:
            print(f"scoring {path.name} …", file=sys.stderr, flush=True)
            rows += compare(path.name, faiss_settings, base.replace(index_dir=milvus_dir), load_eval_set(path), answers)
    if args.korquad_index is not None or args.korquad_articles:
        from korquad_data import eval_items, load_articles, sample_questions

        articles = load_articles()
        questions = sample_questions(articles, args.questions, 13)
        label = "KorQuAD dev"
        index_dir = args.korquad_index
        if args.korquad_articles:
            subset = articles[: args.korquad_articles]
            index_dir = index_dir or work / f"korquad-{len(subset)}"
            build_subset(subset, base.replace(index_dir=index_dir))
            titles = {a["title"] for a in subset}
            questions = [q for q in questions if q["doc_id"] in titles]
            label = f"KorQuAD dev, {len(subset)} articles"
        assert index_dir is not None
        korquad = base.replace(index_dir=index_dir)
        milvus_dir, seconds = copy_to_milvus(index_dir, work, "parity_korquad")
        notes.append(f"{index_dir} copied into Milvus Lite in {seconds:.1f}s")
        print("scoring KorQuAD …", file=sys.stderr, flush=True)
        rows += compare(label, korquad, base.replace(index_dir=milvus_dir), eval_items(questions), answers)
    print("FAISS vs Milvus Lite · hybrid retrieval, extractive answers · " + "; ".join(notes))
    print(markdown_table(["eval set", "questions", "store", "hit@1", "hit@5", "MRR@10", "containment", "retrieve p50 ms"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
