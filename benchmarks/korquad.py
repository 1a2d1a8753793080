"""Retrieval and answer benchmark on KorQuAD 1.0 dev (a public Korean set nobody here wrote).

The 140 articles are ingested as documents with the real chunker and embedder; a hit is a
retrieved chunk of the right article that contains the gold answer text. One table, one run:
BM25 only, dense only, hybrid (and hybrid + reranker when --reranker names a model).

    python benchmarks/korquad.py [--questions 1000] [--index DIR] [--reranker MODEL]

The index is built once and reused (delete the folder or pass --rebuild to build it again).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from korquad_data import (
    DEFAULT_PATH,
    article_documents,
    eval_items,
    load_articles,
    sample_questions,
    tuning_questions,
)

from answer.pipeline import QAPipeline
from evaluation.report import markdown_table
from evaluation.runner import evaluate
from index.builder import build_index
from index.embedders import embedder_from_settings
from index.embedding_cache import EmbeddingCache
from index.indexing import chunker_config
from index.store import open_index, save_index
from reportqa.errors import IndexNotFoundError
from reportqa.settings import Settings


def ensure_korquad_index(settings: Settings, data: Path, rebuild: bool = False) -> float:
    """Build the KorQuAD index unless it exists; returns the seconds spent building (0 if reused)."""
    if not rebuild:
        try:
            index = open_index(settings.resolved_index_dir)
        except IndexNotFoundError:
            pass
        else:
            built, wanted = index.manifest.get("chunker"), asdict(chunker_config(settings))
            if built != wanted:
                print(
                    f"note: reusing {settings.resolved_index_dir}, chunked at {built}; the "
                    f"settings say {wanted} (--rebuild to build it at those)",
                    file=sys.stderr,
                )
            return 0.0
    docs = article_documents(load_articles(data))
    t0 = time.perf_counter()

    def progress(label: str, done: int, total: int) -> None:
        if done == total or done % 512 == 0:
            print(
                f"  {label}: {done}/{total} ({time.perf_counter() - t0:.0f}s)",
                file=sys.stderr,
                flush=True,
            )

    # Through the embedding cache, like an ingest: a rebuild (new chunking, a new tokenizer)
    # embeds only the passages it has not seen.
    cache = EmbeddingCache.from_settings(settings)
    try:
        index, _ = build_index(
            docs, embedder_from_settings(settings), chunker_config(settings), progress, cache
        )
    finally:
        if cache is not None:
            print(f"  embedding cache: {cache.hits} hits, {cache.misses} misses", file=sys.stderr)
            cache.close()
    save_index(index, settings.resolved_index_dir)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_PATH, help="KorQuAD_v1.0_dev.json")
    parser.add_argument(
        "--index",
        type=Path,
        default=None,
        help="index folder (default: $REPORTQA_HOME/bench/korquad)",
    )
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--reranker", default="", help="cross-encoder model id or folder for an extra row"
    )
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--no-answers", action="store_true", help="retrieval metrics only")
    parser.add_argument(
        "--all-held-out",
        action="store_true",
        help="every dev question except the tune_*.py scripts' 1,000 (instead of --questions/--seed)",
    )
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(
            f"KorQuAD not found at {args.data}; skipping (it lives in ../shared/benchmarks/korquad/)."
        )
        return 0

    base = Settings.load()
    settings = base.replace(index_dir=args.index or base.home / "bench" / "korquad")
    built = ensure_korquad_index(settings, args.data, args.rebuild)
    if built:
        print(f"built the KorQuAD index in {built:.0f}s at {settings.resolved_index_dir}")
    articles = load_articles(args.data)
    if args.all_held_out:
        tuning = {q["id"] for q in tuning_questions(articles)}
        questions = [q for q in sample_questions(articles, 10**9, args.seed) if q["id"] not in tuning]
    else:
        questions = sample_questions(articles, args.questions, args.seed)
    items = eval_items(questions)

    runs = [
        ("bm25", settings.replace(retrieval_mode="bm25")),
        ("dense", settings.replace(retrieval_mode="dense")),
    ]
    runs.append((f"hybrid ({settings.fusion})", settings.replace(retrieval_mode="hybrid")))
    if args.reranker:
        runs.append(
            ("hybrid + rerank", settings.replace(retrieval_mode="hybrid", reranker=args.reranker))
        )
    rows = []
    chunks = None
    chunker: dict = {}
    for name, s in runs:
        pipeline = QAPipeline(s)
        chunks = chunks or pipeline.index.chunks
        chunker = pipeline.index.manifest.get("chunker") or {}
        pipeline.retrieve(items[0].question, 10)  # load and warm up outside the timings
        t0 = time.perf_counter()
        result = evaluate(pipeline, items, chunks, answers=not args.no_answers, name=name)
        m = result.metrics
        rows.append(
            [
                name,
                f"{m['hit@1']:.3f}",
                f"{m['hit@5']:.3f}",
                f"{m['mrr@10']:.3f}",
                f"{m['ndcg@10']:.3f}",
                "–" if args.no_answers else f"{m['containment']:.3f}",
                f"{m['retrieve_p50_ms']:.1f}",
            ]
        )
        print(f"  {name}: {time.perf_counter() - t0:.0f}s", file=sys.stderr, flush=True)
    print(
        f"KorQuAD 1.0 dev · {len(items)} questions "
        f"({'all but the tuning ones' if args.all_held_out else f'seed {args.seed}'}) · "
        f"{len(chunks or [])} chunks from 140 articles · "
        f"embedder {settings.embedder} · chunks ≤{chunker.get('max_tokens')} tokens, "
        f"{chunker.get('overlap_tokens')} overlapping"
    )
    print(
        markdown_table(
            [
                "retrieval",
                "hit@1",
                "hit@5",
                "MRR@10",
                "nDCG@10",
                "answer containment",
                "retrieve p50 ms",
            ],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
