"""Concurrent users: throughput and latency of the HTTP API at 1, 4 and 16 clients.

    python benchmarks/bench_load.py [--index DIR] [--clients 1,4,16] [--requests 48] [--seconds 60]
    python benchmarks/bench_load.py --url http://127.0.0.1:7860   # a server already running
    python benchmarks/bench_load.py --target function               # QAPipeline.ask, no HTTP

By default the script starts ``reportqa serve`` on a free port of 127.0.0.1 over ``--index``
(rate limit off, everything else as configured), waits until the index is loaded, and sends
``POST /api/v1/ask`` requests from N client threads, each a closed loop with no think time
(the hardest case: a new request the moment the previous one returns). Every request asks a
different real KorQuAD question, so no answer comes from a cache. Each level stops after
``--requests`` requests or ``--seconds`` seconds, whichever comes first; a request fails on a
non-200 answer, a transport error or a 120 s timeout.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bench_common as bc

Ask = Callable[[str], int]  # asks one question; returns the HTTP status (200 = answered)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(index: Path, home: Path, port: int, extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update({
        "REPORTQA_HOME": str(home),
        "REPORTQA_INDEX_DIR": str(index),
        "REPORTQA_RATE_LIMIT_PER_MINUTE": "0",  # the load test is one client address
        "REPORTQA_HOST": "127.0.0.1",
        "REPORTQA_PORT": str(port),
        "REPORTQA_LOG_LEVEL": "WARNING",
    })
    env.update(extra_env or {})
    log = open(home / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
    return subprocess.Popen([sys.executable, "-m", "reportqa", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(base: str, proc: subprocess.Popen[bytes] | None, timeout: float = 300.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}; see its log")
        try:
            r = httpx.get(f"{base}/api/v1/health", timeout=5)
            if r.status_code == 200 and r.json().get("index_loaded"):
                return
        except httpx.HTTPError:
            pass
        time.sleep(1.0)
    raise SystemExit(f"the server at {base} was not ready within {timeout:.0f}s")


def http_asker(bases: list[str]) -> Callable[[], Ask]:
    """Each client thread talks to one server, round-robin over ``bases`` (a load balancer)."""
    import httpx

    counter = iter(range(10**9))

    def make() -> Ask:
        base = bases[next(counter) % len(bases)]
        client = httpx.Client(timeout=120.0)

        def ask(question: str) -> int:
            return client.post(f"{base}/api/v1/ask", json={"question": question}).status_code

        return ask

    return make


def function_asker(index: Path, home: Path) -> Callable[[], Ask]:
    from answer.pipeline import QAPipeline
    from reportqa.settings import Settings

    pipeline = QAPipeline(Settings.load({"home": home, "index_dir": index}, env={}))
    pipeline.ask("워밍업")

    def make() -> Ask:
        def ask(question: str) -> int:
            pipeline.ask(question)
            return 200

        return ask

    return make


def level(
    make: Callable[[], Ask], clients: int, questions: list[str], start: int, max_requests: int,
    seconds: float, think_s: float = 0.0,
) -> dict[str, Any]:
    lock = threading.Lock()
    state = {"next": start, "issued": 0}
    latencies: list[float] = []
    errors: list[str] = []
    stop_at = time.monotonic() + seconds

    def worker(seed: int) -> None:
        ask = make()
        rng = random.Random(seed)
        sent = False
        while True:
            if think_s > 0 and sent:
                time.sleep(think_s * rng.uniform(0.5, 1.5))  # a user reading the last answer
            sent = True
            with lock:
                if state["issued"] >= max_requests or time.monotonic() >= stop_at:
                    return
                state["issued"] += 1
                q = questions[state["next"] % len(questions)]
                state["next"] += 1
            t0 = time.perf_counter()
            try:
                status = ask(q)
                err = None if status == 200 else f"HTTP {status}"
            except Exception as exc:  # a failed request is a result, not a crash
                err = f"{exc.__class__.__name__}: {exc}"
            ms = (time.perf_counter() - t0) * 1000
            with lock:
                if err:
                    errors.append(err)
                else:
                    latencies.append(ms)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {
        "clients": clients,
        "requests": len(latencies) + len(errors),
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:3],
        "wall": wall,
        "throughput": len(latencies) / wall if wall else 0.0,
        "p50": bc.median(latencies),
        "p95": bc.percentile(latencies, 95),
        "max": max(latencies) if latencies else float("nan"),
        "next": state["next"],
    }


def run(args: argparse.Namespace) -> str:
    header = bc.machine_line()
    questions = bc.korquad_questions(args.questions)
    home = args.work / f"load-{time.strftime('%Y%m%d-%H%M%S')}"
    home.mkdir(parents=True, exist_ok=True)
    procs: list[subprocess.Popen[bytes]] = []
    where = ""
    try:
        if args.target == "function":
            make = function_asker(args.index, home)
            where = f"QAPipeline.ask in-process over {args.index}"
        else:
            if args.url:
                bases = [args.url.rstrip("/")]
                where = f"server at {bases[0]}"
            else:
                bases = []
                for i in range(args.replicas):
                    port = free_port()
                    bases.append(f"http://127.0.0.1:{port}")
                    replica_home = home / f"replica-{i}"
                    replica_home.mkdir(parents=True, exist_ok=True)
                    procs.append(start_server(args.index, replica_home, port))
                where = (
                    f"`reportqa serve` ({args.replicas} process{'es' if args.replicas > 1 else ''}, one uvicorn worker each"
                    f"{', clients spread round-robin' if args.replicas > 1 else ''}) on 127.0.0.1 over {args.index}"
                )
            for i, base in enumerate(bases):
                print(f"waiting for {base} …", file=sys.stderr, flush=True)
                wait_ready(base, procs[i] if procs else None)
            make = http_asker(bases)
        for _ in range(1 if args.target == "function" or args.url else args.replicas):
            warm = make()  # round-robin: one warm-up client per server
            for q in questions[:3]:
                warm(q)
        results = []
        nxt = 3
        for c in [int(x) for x in args.clients.split(",")]:
            n = max(args.requests, 3 * c)
            print(f"{c} clients, up to {n} requests / {args.seconds:.0f}s …", file=sys.stderr, flush=True)
            r = level(make, c, questions, nxt, n, args.seconds, args.think_s)
            nxt = r["next"]
            results.append(r)
        server_mem = []
        for proc in procs:
            try:
                import psutil

                info = psutil.Process(proc.pid).memory_full_info()
                server_mem.append((info.rss / 2**20, info.uss / 2**20, getattr(info, "pss", 0.0) / 2**20))
            except Exception:
                pass
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    single = results[0]["p50"] if results else float("nan")
    rows = [
        [r["clients"], r["requests"], r["errors"], r["throughput"], r["p50"], r["p95"], r["max"], r["p95"] / single if single else None]
        for r in results
    ]
    notes = [
        header,
        f"target: {where}; closed-loop clients "
        + (f"pausing {args.think_s:g} s on average (0.5–1.5×) between requests (users reading answers)" if args.think_s else "without think time (each sends its next request the moment an answer arrives)")
        + "; a different real KorQuAD question per request; "
        f"each level: up to max({args.requests}, 3×clients) requests or {args.seconds:.0f}s",
        "latency ms per request as the client sees it; p95/single p50: this level's p95 over the 1-client p50 (target ≤ 10 at 16 clients)",
        "client threads run on the same 2 cores as the server",
    ]
    for i, (rss, uss, pss) in enumerate(server_mem):
        notes.append(
            f"server {i + 1} memory after the run: RSS {rss:,.0f} MiB, unique {uss:,.0f} MiB, proportional {pss:,.0f} MiB "
            "(pages shared with the other replicas, such as the memory-mapped index, count in RSS, not in unique)"
        )
    for r in results:
        if r["errors"]:
            notes.append(f"{r['clients']} clients: errors {r['error_kinds']}")
    return bc.format_table(
        "Concurrent clients",
        ["clients", "requests", "errors", "req/s", "p50 ms", "p95 ms", "max ms", "p95 / single p50"],
        rows,
        notes,
    )


def main(argv: list[str] | None = None) -> int:
    from reportqa.settings import Settings

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--index", type=Path, default=None, help="index to serve (default: the KorQuAD index)")
    p.add_argument("--url", default=None, help="use this running server instead of starting one")
    p.add_argument("--target", choices=["http", "function"], default="http")
    p.add_argument("--replicas", type=int, default=1, help="servers to start over the same index (clients round-robin)")
    p.add_argument("--clients", default="1,4,16")
    p.add_argument("--requests", type=int, default=48, help="requests per level (at least 3 per client)")
    p.add_argument("--seconds", type=float, default=60.0, help="time limit per level")
    p.add_argument("--questions", type=int, default=600)
    p.add_argument("--think-s", type=float, default=0.0, help="mean pause between a client's requests (0: none)")
    p.add_argument("--work", type=Path, default=None, help="scratch folder (default <home>/bench)")
    p.add_argument("--out", type=Path, default=None, help="also append the table to this file")
    args = p.parse_args(argv)
    args.index = args.index or bc.default_real_index()
    args.work = (args.work or Settings.load().home / "bench").resolve()
    if not args.url and not (args.index / "CURRENT").exists():
        raise SystemExit(f"no index at {args.index}: pass --index DIR (or --url of a running server)")
    bc.emit(run(args), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
