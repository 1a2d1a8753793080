"""What an ingest decides before it writes, shared by every store: the summary it reports, the
chunking it uses, which documents are added, changed, unchanged or removed (by content hash),
the build of what changed (embedding cache included), and the documents chunking left without
a passage. :mod:`index.indexing` (the on-disk index) and :mod:`index.milvus_ingest` (Milvus)
both call these, so neither imports the other back."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from index.builder import build_index
from index.embedding_cache import EmbeddingCache
from index.report_index import ReportIndex
from index.vector_store import VectorIndexSpec
from ingest.chunking import ChunkerConfig
from reportqa.errors import ConfigError, IngestError, printable
from reportqa.protocols import Embedder
from reportqa.settings import Settings
from reportqa.types import Document, Section

FileProgress = Callable[[Path], None]
StepProgress = Callable[[str, int, int], None]


@dataclass
class IngestSummary:
    """What an ingest did, for the CLI's summary and the tests."""

    index_dir: Path
    documents: int = 0
    chunks: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[IngestError] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    cache_hits: int = 0  # texts whose vectors came from the embedding cache
    cache_misses: int = 0  # texts embedded

    def sample_built_line(self) -> str:
        """What the entry points print after :func:`ensure_index` built the sample index."""
        return (
            f"Built the sample index at {self.index_dir}: {self.documents} documents, "
            f"{self.chunks} passages in {self.seconds.get('total', 0):.1f}s"
        )


def chunker_config(settings: Settings, existing: Mapping[str, Any] | None = None) -> ChunkerConfig:
    """The chunking an ingest uses: sizes set in ``settings``, else those of the index being
    added to (``existing``: its manifest's "chunker"), else :class:`ChunkerConfig`'s defaults."""
    base = ChunkerConfig(**existing) if existing else ChunkerConfig()
    max_tokens = settings.chunk_max_tokens if settings.chunk_max_tokens is not None else base.max_tokens
    overlap = settings.chunk_overlap_tokens
    if overlap is None:  # the base overlap, unless a smaller chunk size set alone rules it out
        overlap = base.overlap_tokens if base.overlap_tokens < max_tokens else max_tokens // 5
    if not 0 <= overlap < max_tokens:  # only an overlap set alone can get here
        source = "the index's" if existing else "the default"
        raise ConfigError(
            f"REPORTQA_CHUNK_OVERLAP_TOKENS / --chunk-overlap-tokens is {overlap}, but chunks are "
            f"{max_tokens} tokens ({source} size): set an overlap below {max_tokens}, or set "
            "REPORTQA_CHUNK_MAX_TOKENS / --chunk-max-tokens too."
        )
    return ChunkerConfig(max_tokens, overlap)


@dataclass(frozen=True)
class IngestPlan:
    """Which documents an ingest embeds and which of the index's it keeps."""

    added: list[str]
    changed: list[str]
    unchanged: list[str]
    removed: list[str]  # only with ``sync``: indexed, not among the loaded documents
    keep: list[str]  # ids of the index's documents whose rows stay as they are
    to_embed: list[Document]

    def record(self, summary: IngestSummary) -> None:
        """Write the classification into ``summary``."""
        summary.added.extend(self.added)
        summary.changed.extend(self.changed)
        summary.unchanged.extend(self.unchanged)
        summary.removed = list(self.removed)


def plan_ingest(old_hashes: Mapping[str, str], loaded: Sequence[Document], sync: bool) -> IngestPlan:
    """Classify ``loaded`` against the index's documents (id -> content hash): new ids are added,
    another (or a missing) hash is changed, an equal one unchanged; the index's documents not
    loaded are kept, or with ``sync`` removed."""
    incoming = {d.id for d in loaded}
    added: list[str] = []
    changed: list[str] = []
    unchanged: list[str] = []
    to_embed: list[Document] = []
    for doc in loaded:
        h = str(doc.meta.get("content_hash", ""))
        if doc.id not in old_hashes:
            added.append(doc.id)
            to_embed.append(doc)
        elif old_hashes[doc.id] != h or not h:
            changed.append(doc.id)
            to_embed.append(doc)
        else:
            unchanged.append(doc.id)
    same = set(unchanged)
    keep = [i for i in old_hashes if i not in incoming or i in same]
    removed: list[str] = []
    if sync:
        removed = [i for i in keep if i not in incoming]
        keep = [i for i in keep if i in incoming]
    return IngestPlan(added, changed, unchanged, removed, keep, to_embed)


def build_changed(
    summary: IngestSummary,
    documents: Sequence[Document],
    embedder: Embedder,
    config: ChunkerConfig,
    settings: Settings,
    on_step: StepProgress | None,
    spec: VectorIndexSpec,
    lexicon: bool = False,
) -> ReportIndex:
    """:func:`index.builder.build_index` of ``documents`` (those the plan embeds) through the
    embedding cache ``settings`` name, if any; its hits and misses and the stage timings go
    into ``summary``."""
    cache = EmbeddingCache.from_settings(settings)
    try:
        built, timings = build_index(
            documents, embedder, config, on_step, cache, spec, settings.parse_timeout_s, lexicon=lexicon
        )
    finally:
        if cache is not None:
            summary.cache_hits, summary.cache_misses = cache.hits, cache.misses
            cache.close()
    summary.seconds.update(timings)
    return built


def drop_passageless(index: ReportIndex) -> list[str]:
    """Remove from a freshly built ``index`` the documents that yielded no chunk; their ids.

    Such a document cannot answer anything, so it must never be reported as added (a batch once
    "added" 506 documents of which none had a passage). It owns no rows, so only its record goes.
    """
    dropped = [d.id for d in index.documents if d.chunks == 0]
    if dropped:
        index.documents = [d for d in index.documents if d.chunks > 0]
        index.manifest["documents"] = [asdict(d) for d in index.documents]
    return dropped


def skip_passageless(
    summary: IngestSummary, built: ReportIndex, loaded: Sequence[Document], old_hashes: Mapping[str, str]
) -> bool:
    """Drop ``built``'s passageless documents, reporting each as skipped (with why) instead of
    added or changed; whether anything is still to commit (a change, a removal, or a dropped
    document that was indexed before and so must go)."""
    by_id = {d.id: d for d in loaded}
    reasons = {d.id: str(d.meta.get("skip_reason") or "") for d in built.documents}
    dropped = drop_passageless(built)
    for doc_id in dropped:
        doc = by_id[doc_id]
        was_indexed = doc_id in summary.changed
        summary.added = [i for i in summary.added if i != doc_id]
        summary.changed = [i for i in summary.changed if i != doc_id]
        summary.skipped.append(IngestError(doc.source, reasons.get(doc_id) or no_passage_reason(doc, was_indexed)))
    return bool(summary.added or summary.changed or summary.removed or set(dropped) & set(old_hashes))


def no_passage_reason(doc: Document, was_indexed: bool = False) -> str:
    """Why chunking left ``doc`` without a passage, and what to do (an IngestError reason)."""
    sections = doc.sections or (Section(0, len(doc.text)),)
    body = [s for s in sections if not s.toc and doc.text[s.start : s.end].strip()]
    if not body:
        what = "the text is only a table of contents"
    elif doc.text.strip() == doc.title.strip():
        what = f"the text is only its title ({printable(doc.title[:80])!r})"
    elif all(
        s.heading_path and doc.text[s.start : s.end].strip() == s.heading_path[-1] for s in body
    ):
        what = "the text is only headings"
    else:
        what = "the chunker kept none of its text"
    earlier = "; its earlier version was removed from the index" if was_indexed else ""
    return (
        f"no passage after chunking: {what}, so nothing could be answered from it{earlier}. "
        "Check that the file holds its body text (a scanned PDF needs OCR first) and ingest it "
        "again, or report this with the file"
    )
