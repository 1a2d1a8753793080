"""English questions about Korean documents: the shipped glossary off, on, and mined terms only.

Six glossaries are compared on the same index and questions:

- **none**: no glossary (dense retrieval decides; BM25 has nothing to match);
- **shipped**: ``data/glossary/ko-en-policy.tsv`` (written for the battery report), as before;
- **mined**: the terms mined from the indexed documents at ingest (ingest/terms.py) alone;
- **shipped+mined**: both;
- **mined+general**, **shipped+mined+general**: with the general word list too
  (``data/glossary/ko-en-general.tsv``; the default, with the shipped glossary).

Question sets: ``data/eval/article-en.jsonl`` over the real article in ``../shared/corpus`` (10
English questions written blind) and the ``"crosslingual": true`` rows of
``data/eval/realdocs.jsonl`` over the PDFs of ``../shared/realdocs`` (tune and held-out rows apart).
``--sweep-own-confident`` also varies :data:`answer.tuning.OWN_CONFIDENT` (0 = the old rule:
the translation only aids when the best dense match is in the question's language; above 1 = it
always counts fully) on the realdocs tune rows and, with ``--sample-index`` and friends, on the
sample sets.

    python benchmarks/crosslingual.py [--article-index DIR] [--index DIR] [--json OUT]
                                      [--sweep-own-confident 0,0.3,0.5,1.01]

The realdocs index takes minutes to build: pass ``--index DIR`` to build it there once (when DIR
holds no index) and reuse it. An index built before terms were mined at ingest gets its terms
mined from its stored passages.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from answer.glossary import Glossary, mined_terms
from answer.pipeline import QAPipeline
from answer.retrieval import HybridRetriever, make_retriever
from evaluation.realdocs import Outcome, Passage, RealQuestion, is_relevant, load_questions, score
from index.embedders import embedder_from_settings
from index.indexing import ingest_paths
from index.store import IndexNotFoundError, ReportIndex, open_index
from ingest.terms import mine_documents
from reportqa.protocols import Embedder
from reportqa.settings import BUNDLED_GLOSSARY, GENERAL_GLOSSARY, REPO_ROOT, Settings
from reportqa.types import Chunk

SHARED = REPO_ROOT.parent / "shared"
ARTICLE = SHARED / "corpus" / "gbsa-battery-plan-article.ko.txt"
ARTICLE_QUESTIONS = REPO_ROOT / "data" / "eval" / "article-en.jsonl"
REALDOCS_QUESTIONS = REPO_ROOT / "data" / "eval" / "realdocs.jsonl"
TOP_K = 5
GLOSSARIES = ("none", "shipped", "mined", "shipped+mined", "mined+general", "shipped+mined+general")


def passage(chunk: Chunk) -> Passage:
    text = f"{chunk.context}\n{chunk.text}" if chunk.context else chunk.text
    return Passage(chunk.doc_id, chunk.page, text)


def index_terms(index: ReportIndex) -> list[tuple[str, str]]:
    """The index's mined terms; mined from its passages when it was built before mining."""
    stored = mined_terms(index.documents)
    if stored:
        return stored
    by_doc: dict[str, list[str]] = {}
    for chunk in index.chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk.text)
    return [(p.korean, p.english) for p in mine_documents("\n".join(t) for t in by_doc.values())]


def glossary_for(
    kind: str, terms: Sequence[tuple[str, str]], index: ReportIndex | None = None
) -> Glossary | None:
    glossary = Glossary.load([BUNDLED_GLOSSARY] if "shipped" in kind else [])
    if "mined" in kind:
        glossary.add_terms(terms)
    if "general" in kind:  # the general word list, as the pipeline adds it (answer/glossary.py)
        glossary.add_general(Glossary.load([GENERAL_GLOSSARY]), index.keyword.contains if index else None)
    return glossary if len(glossary) else None


def open_or_build(directory: Path, paths: Sequence[Path], settings: Settings, embedder: Embedder) -> ReportIndex:
    try:
        return open_index(directory, embedder.name)
    except IndexNotFoundError:
        print(f"building the index of {', '.join(map(str, paths))} in {directory} …", file=sys.stderr)
        built = dataclasses.replace(settings, index_dir=directory)
        ingest_paths(list(paths), built, rebuild=True, embedder=embedder)
        return open_index(directory, embedder.name)


def run(
    pipeline: QAPipeline, questions: Sequence[RealQuestion], glossary: Glossary | None,
    own_confident: float | None = None,
) -> list[Outcome]:
    """Ask every question with ``glossary`` in place of the pipeline's own."""
    pipeline.glossary = glossary
    pipeline.retriever = make_retriever(pipeline.index, pipeline.encode, pipeline.settings, glossary)
    if own_confident is not None:
        hybrid = pipeline.retriever
        while not isinstance(hybrid, HybridRetriever):  # under the MMR / reranking wrappers
            hybrid = hybrid.base  # type: ignore[attr-defined]
        hybrid.own_confident = own_confident
    outcomes = []
    for q in questions:
        hits = pipeline.retrieve(q.question, TOP_K)
        answer = pipeline.ask(q.question)
        cited = passage(answer.citations[0].chunk) if answer.citations else None
        outcomes.append(Outcome([passage(h.chunk) for h in hits], answer.text, answer.abstained, cited))
    return outcomes


def row(name: str, questions: Sequence[RealQuestion], outcomes: Sequence[Outcome]) -> dict[str, Any]:
    s = score(questions, outcomes)
    answerable = [(q, o) for q, o in zip(questions, outcomes, strict=True) if q.answerable]
    cited = [1.0 if o.cited is not None and is_relevant(o.cited, q) else 0.0 for q, o in answerable]
    return {
        "set": name, "n": s.counts["answerable"], "hit@1": s.hit1, "hit@5": s.hit5,
        "containment": s.containment, "cited evidence": sum(cited) / len(cited) if cited else float("nan"),
        "refused answerable": s.refused_answerable,
        "refused unanswerable": s.refused_unanswerable if s.counts["unanswerable"] else float("nan"),
    }


def print_table(rows: Sequence[dict[str, Any]]) -> None:
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in rows:
        print("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in r.values()) + " |")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--article", type=Path, default=ARTICLE)
    parser.add_argument("--article-index", type=Path, help="index of the article (built there if absent)")
    parser.add_argument("--docs", type=Path, default=SHARED / "realdocs")
    parser.add_argument("--index", type=Path, help="index of the real PDFs (built there if absent)")
    parser.add_argument("--glossaries", default=",".join(GLOSSARIES))
    parser.add_argument("--sweep-own-confident", default="", help="comma-separated OWN_CONFIDENT values")
    parser.add_argument("--json", type=Path, help="write every row here")
    args = parser.parse_args(argv)

    settings = Settings(bundled_glossary=False)
    embedder = embedder_from_settings(settings)
    tmp = Path(tempfile.mkdtemp(prefix="reportqa-crosslingual-"))
    sets: list[tuple[str, ReportIndex, list[RealQuestion]]] = []
    if args.article.is_file():
        index = open_or_build(args.article_index or tmp / "article", [args.article], settings, embedder)
        sets.append(("article (heldout)", index, load_questions(ARTICLE_QUESTIONS)))
    else:
        print(f"skipping the article: {args.article} is absent", file=sys.stderr)
    if args.docs.is_dir() and REALDOCS_QUESTIONS.is_file():
        index = open_or_build(args.index or tmp / "realdocs", [args.docs], settings, embedder)
        cross = [q for q in load_questions(REALDOCS_QUESTIONS) if q.crosslingual]
        for split in ("tune", "heldout"):
            sets.append((f"realdocs {split}", index, [q for q in cross if q.split == split]))
    else:
        print(f"skipping the real documents: {args.docs} or {REALDOCS_QUESTIONS} is absent", file=sys.stderr)

    rows: list[dict[str, Any]] = []
    pipelines: dict[int, QAPipeline] = {}
    for name, index, questions in sets:
        pipeline = pipelines.setdefault(id(index), QAPipeline(settings, index=index, embedder=embedder))
        pipeline.index  # noqa: B018 - loads the models before the timed runs
        terms = index_terms(index)
        print(f"{name}: {len(questions)} questions, {len(terms)} mined terms", file=sys.stderr)
        for kind in args.glossaries.split(","):
            outcomes = run(pipeline, questions, glossary_for(kind, terms, index))
            rows.append({"glossary": kind, **row(name, questions, outcomes)})
        if args.sweep_own_confident and "tune" in name:
            for value in (float(v) for v in args.sweep_own_confident.split(",")):
                outcomes = run(pipeline, questions, glossary_for("mined", terms), value)
                rows.append({"glossary": f"mined, own_confident={value}", **row(name, questions, outcomes)})
    if rows:
        print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
