"""The index stage's tuned numbers (issue 17), grouped by the module that uses them.

Each says what it is and which benchmark chose it. Storage formats and limits of the engines
(Milvus's VARCHAR size, insert batches, caches, retry counts) stay beside their code.
"""

from __future__ import annotations

# -- index/keyword.py: BM25 ---------------------------------------------------------------------
# Term saturation and length normalisation. Lower than the usual 1.5/0.75: over chunks of a few
# hundred tokens a term's first occurrence carries most of the evidence. Chosen with the fusion
# settings on 1,000 KorQuAD dev questions disjoint from the benchmark's, at 200-token chunks
# (benchmarks/tune_bm25.py; docs/retrieval-and-evaluation.md); at 300 they still lead. An index
# keeps the values it was built with (saved by bm25s).
BM25_K1 = 0.7
BM25_B = 0.3

# -- index/vector_store.py: exact or approximate search -----------------------------------------
# Below this many vectors an exact scan is fast enough (≈ 5 ms at 50k × 384 on one core) and
# building an HNSW graph is not worth its cost (benchmarks/bench_ann.py).
ANN_MIN_VECTORS = 50_000
# Batches of at most this many queries search on one thread (``search_many``; benchmarks/bench_query.py).
SINGLE_THREAD_MAX_QUERIES = 8
