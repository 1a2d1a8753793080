"""Generation benchmark: speed per backend and citation quality, extractive vs generative.

    python benchmarks/generation.py                       # extractive, gemma3-270m, and the same
                                                          # model behind a local OpenAI server
    python benchmarks/generation.py --limit 10 --backends extractive transformers:gemma3-270m
    python benchmarks/generation.py --backends openai:qwen2.5:7b-instruct   # a running server
                                                          # at REPORTQA_OPENAI_BASE_URL

Speed (on the sample corpus questions): time to first token (from the start of generation, and
from the question, retrieval included), tokens per second after the first token (tokens counted
with the local model's tokenizer; words for extractive and remote servers), over the questions that pass the
relevance gate.

Quality over data/eval/sample.jsonl: how often the bot answers (vs. abstains) on answerable and
unanswerable questions, whether an expected answer string is in the text, citation validity (the
share of markers the model wrote that point at a passage, before checking), the share of claim
sentences that carry a marker (as written, and after repair), groundedness (mean sentence support)
and the share of unsupported sentences. Prints plain tables; writes nothing.

``openai-local:<alias>`` serves a transformers model through this repo's OpenAI-compatible
server on 127.0.0.1 and benchmarks the HTTP client against it (same model, plus HTTP).
"""

from __future__ import annotations

import argparse
import builtins
import json
import logging
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from answer.citations import invalid_markers, parse_markers
from answer.generators.prompting import no_answer_text
from answer.grounding import check_grounding
from answer.pipeline import QAPipeline
from reportqa.language import content_terms, detect_language
from reportqa.settings import REPO_ROOT, Settings

EVAL_SET = REPO_ROOT / "data" / "eval" / "sample.jsonl"
DEFAULT_BACKENDS = ["extractive", "transformers:gemma3-270m", "openai-local:gemma3-270m"]


@dataclass
class Row:
    backend: str
    first_token_ms: list[float] = field(default_factory=list)
    first_token_e2e_ms: list[float] = field(default_factory=list)
    tokens_per_s: list[float] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    answered: int = 0
    answerable: int = 0
    answered_unanswerable: int = 0
    unanswerable: int = 0
    contains_answer: int = 0
    markers: int = 0
    valid_markers: int = 0
    claims: int = 0
    claims_cited_raw: int = 0
    claims_cited: int = 0
    unsupported: int = 0
    grounded: list[float] = field(default_factory=list)
    errors: int = 0


def load_eval(path: Path, limit: int | None) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows[:limit] if limit else rows


def token_counter(backend: Any) -> Callable[[str], int]:
    """Tokens of a text by a transformers backend's tokenizer (else: words)."""
    if backend is not None and callable(getattr(backend, "load", None)):
        tokenizer, _ = backend.load()
        return lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"])
    return lambda text: len(text.split())


def run_backend(
    pipeline: QAPipeline,
    spec: str,
    label: str,
    questions: Sequence[dict[str, Any]],
    count: Callable[[str], int],
) -> Row:
    row = Row(label)
    gen = pipeline.generator_for(spec)
    framing = pipeline._framing("ko") | pipeline._framing("en")
    for i, item in enumerate(questions, start=1):
        question = item["question"]
        answerable = item.get("answerable", True)
        row.answerable += answerable
        row.unanswerable += not answerable
        t0 = time.perf_counter()
        hits = pipeline.retrieve(question)
        if not pipeline.is_relevant(question, hits):
            print(f"  {label} {i}/{len(questions)} abstained (gate)", file=sys.stderr)
            continue
        t1 = time.perf_counter()
        first: float | None = None
        pieces: list[str] = []
        try:
            for piece in gen.generate(question, hits, ()):
                if first is None:
                    first = time.perf_counter()
                pieces.append(piece)
        except Exception as exc:  # a benchmark reports failures and goes on
            row.errors += 1
            print(f"  {label}: {exc}", file=sys.stderr)
            continue
        t2 = time.perf_counter()
        raw = "".join(pieces)
        n_tokens = count(raw)
        if first is not None:
            row.first_token_ms.append((first - t1) * 1000)
            row.first_token_e2e_ms.append((first - t0) * 1000)
            if n_tokens > 1 and len(pieces) > 1 and t2 > first:  # a stream, not one piece
                row.tokens_per_s.append((n_tokens - 1) / (t2 - first))
            row.tokens.append(n_tokens)
        marks = parse_markers(raw)
        row.markers += len(marks)
        row.valid_markers += len(marks) - len(invalid_markers(raw, len(hits)))
        raw_grounding = check_grounding(raw, [h.chunk.text for h in hits], content_terms, framing=framing)
        row.claims_cited_raw += sum(1 for s in raw_grounding.claims if s.markers)
        answer = pipeline.checked_answer(raw, hits, detect_language(question), spec == "extractive")
        if answer.abstained or no_answer_text(answer.language) in answer.text:
            print(f"  {label} {i}/{len(questions)} abstained (model)", file=sys.stderr)
            continue
        row.answered += answerable
        row.answered_unanswerable += not answerable
        text = answer.text.replace(" ", "")
        if answerable and any(a.replace(" ", "") in text for a in item.get("answers", [])):
            row.contains_answer += 1
        g = check_grounding(
            answer.text, [c.chunk.text for c in answer.citations], content_terms,
            pipeline.settings.min_support, framing,
        )
        claims = g.claims
        row.claims += len(claims)
        row.claims_cited += sum(1 for s in claims if s.markers)
        row.unsupported += len(g.unsupported_spans)
        if answer.grounded is not None:
            row.grounded.append(answer.grounded)
        print(f"  {label} {i}/{len(questions)} {n_tokens} tok, grounded {answer.grounded}", file=sys.stderr)
    return row


def _mean(xs: Sequence[float]) -> str:
    return f"{statistics.mean(xs):.0f}" if xs else "–"


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.0f}%" if b else "–"


def print_tables(rows: Sequence[Row], device: str, n_questions: int, file: Any = None) -> None:
    out = file or sys.stdout

    def print(*a: Any) -> None:
        builtins.print(*a, file=out, flush=True)

    print(f"\n## Speed ({device}; sample-corpus questions that pass the relevance gate)\n")
    print("| backend | answers timed | first token ms (gen) | first token ms (question→) | tokens/s | tokens/answer |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        tps = f"{statistics.mean(r.tokens_per_s):.1f}" if r.tokens_per_s else "–"
        print(
            f"| {r.backend} | {len(r.first_token_ms)} | {_mean(r.first_token_ms)} | "
            f"{_mean(r.first_token_e2e_ms)} | {tps} | {_mean(r.tokens)} |"
        )
    print(f"\n## Citations and groundedness (data/eval/sample.jsonl, {n_questions} questions)\n")
    print(
        "| backend | answered (answerable) | answered (unanswerable) | contains answer | "
        "valid markers (raw) | cited sentences raw → checked | unsupported sentences | "
        "groundedness | errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        grounded = f"{statistics.mean(r.grounded):.2f}" if r.grounded else "–"
        print(
            f"| {r.backend} | {_pct(r.answered, r.answerable)} | "
            f"{_pct(r.answered_unanswerable, r.unanswerable)} | "
            f"{_pct(r.contains_answer, r.answerable)} | "
            f"{_pct(r.valid_markers, r.markers)} ({r.valid_markers}/{r.markers}) | "
            f"{_pct(r.claims_cited_raw, r.claims)} → {_pct(r.claims_cited, r.claims)} | "
            f"{_pct(r.unsupported, r.claims)} | {grounded} | {r.errors} |"
        )


class _Served:
    """``openai-local:<ref>``: the transformers model behind the local OpenAI-compatible server."""

    def __init__(self, settings: Settings, ref: str) -> None:
        from answer.generators.local_server import OpenAICompatibleServer
        from answer.generators.transformers_generator import TransformersBackend

        self.model = TransformersBackend(ref, settings.resolved_model_dir, settings.device)
        self.server = OpenAICompatibleServer({ref: self.model}).start()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=DEFAULT_BACKENDS)
    parser.add_argument("--limit", type=int, default=None, help="first N eval questions only")
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--eval-set", type=Path, default=EVAL_SET)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)

    from index.indexing import ensure_index

    settings = Settings.load({"max_new_tokens": args.max_new_tokens})
    ensure_index(settings)
    questions = load_eval(args.eval_set, args.limit)
    rows: list[Row] = []
    device = "cpu"
    base = QAPipeline(settings)
    base.index  # noqa: B018  (load the index and embedder once)
    for spec in args.backends:
        served: _Served | None = None
        real_spec = spec
        if spec.startswith("openai-local:"):
            served = _Served(settings, spec.partition(":")[2])
            real_spec = f"openai:{spec.partition(':')[2]}"
            pipe = QAPipeline(
                settings.replace(openai_base_url=served.server.base_url),
                index=base.index, embedder=base._embedder,
            )
        else:
            pipe = QAPipeline(settings, index=base.index, embedder=base._embedder)
        print(f"# {spec}", file=sys.stderr)
        t0 = time.perf_counter()
        gen = pipe.generator_for(real_spec)
        backend: Any = served.model if served else getattr(gen, "backend", None)
        count = token_counter(backend)  # loads a local model
        device = getattr(backend, "device", "") or device
        print(f"  loaded in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        rows.append(run_backend(pipe, real_spec, spec, questions, count))
        if served:
            served.server.stop()
        if len(args.backends) > 1:  # the tables so far, in case a long run is stopped
            print_tables(rows, device, len(questions), file=sys.stderr)
    print_tables(rows, device, len(questions))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
