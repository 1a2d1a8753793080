"""The on-disk index: manifest, chunk store, FAISS vectors, BM25 and sentence vectors.

Layout of an index directory::

    DIR/CURRENT            name of the live version, replaced atomically
    DIR/v-<stamp>/         manifest.json, chunks.jsonl, vectors.faiss, bm25/, sentences.npy

A save writes a new version directory, then swaps ``CURRENT`` with ``os.replace``: a reader sees
the old index or the new one, never a half-written one, and a crash mid-save loses nothing.
"""

from __future__ import annotations

import json
import logging
import mmap as _mmap
import os
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, overload

import numpy as np

from index.keyword import KiwiBm25Index
from index.lexicon import load_lexicon, save_lexicon
from index.report_index import (
    MILVUS_POINTER,
    SCHEMA_VERSION,
    DocumentRecord,
    ReportIndex,
    check_compatible,
    chunk_from_json,
    chunk_to_json,
)
from index.vector_store import FaissVectorStore
from reportqa.errors import IndexCorruptError, IndexNotFoundError
from reportqa.language import TOKENIZER
from reportqa.types import Chunk

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
CHUNKS = "chunks.jsonl"
CHUNK_OFFSETS = "chunks.offsets.npy"  # byte offset of each line of chunks.jsonl (optional)
SENTENCES = "sentences.npy"
# Indexes with at least this many chunks keep them on disk (LazyChunks) instead of as Python
# objects: ~3.2 KiB each in memory, 3 GiB at a million chunks, more than everything else.
LAZY_CHUNKS_FROM = 200_000


def make_manifest(
    embedder_name: str,
    dim: int,
    chunker: dict[str, Any],
    documents: list[DocumentRecord],
    chunks: int,
) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "embedder": {"name": embedder_name, "dim": dim},
        "chunker": chunker,
        "keyword": {"kind": "bm25s", "tokenizer": TOKENIZER},
        "documents": [asdict(d) for d in documents],
        "chunk_count": chunks,
    }


def save_index(index: ReportIndex, directory: Path) -> Path:
    """Write ``index`` to ``directory`` atomically; returns the new version's path."""
    directory.mkdir(parents=True, exist_ok=True)
    try:
        previous = (directory / CURRENT).read_text(encoding="utf-8").strip()
    except OSError:
        previous = ""
    tmp = directory / f".tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        _write_files(index, tmp)
        version = directory / f"v-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        os.rename(tmp, version)
        pointer = directory / f".{CURRENT}.tmp"
        with open(pointer, "w", encoding="utf-8") as fh:
            fh.write(version.name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(pointer, directory / CURRENT)
        _fsync_dir(directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    # The version that was live until now stays until the next save: a server still answering from
    # it (it follows CURRENT within about a second) keeps its memory-mapped files.
    _remove_old_versions(directory, keep={version.name, previous})
    index.path = directory
    return version


def write_chunks(chunks: Iterable[Chunk], target: Path) -> int:
    """Write ``chunks.jsonl`` and its line offsets into ``target``; returns the chunk count."""
    offsets = [0]
    with open(target / CHUNKS, "wb") as fh:
        for chunk in chunks:
            line = (json.dumps(_chunk_to_json(chunk), ensure_ascii=False) + "\n").encode("utf-8")
            fh.write(line)
            offsets.append(offsets[-1] + len(line))
    np.save(target / CHUNK_OFFSETS, np.asarray(offsets, dtype=np.int64))
    return len(offsets) - 1


def _write_files(index: ReportIndex, target: Path) -> None:
    write_chunks(index.chunks, target)
    index.vectors.save(target)
    index.keyword.save(target)
    if index.lexicon is not None:
        save_lexicon(index.lexicon, target)
    with open(target / SENTENCES, "wb") as fh:
        np.save(fh, np.asarray(index.sentence_vectors, dtype=np.float16))
        np.save(fh, index.sentence_offsets.astype(np.int64))
    # What kind of vector index this is (informative: the FAISS file itself is authoritative,
    # so indexes saved before this key existed load the same way).
    index.manifest["vectors"] = index.vectors.describe()
    # The manifest is written last: a version directory without one is incomplete.
    with open(target / MANIFEST, "w", encoding="utf-8") as fh:
        json.dump(index.manifest, fh, ensure_ascii=False, indent=1)
    for path in target.rglob("*"):
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_old_versions(directory: Path, keep: set[str]) -> None:
    for child in directory.iterdir():
        if child.is_dir() and child.name not in keep and (child.name.startswith(("v-", ".tmp-"))):
            shutil.rmtree(child, ignore_errors=True)


def current_version(directory: Path) -> Path:
    """The live version directory of an index, or IndexNotFoundError."""
    pointer = directory / CURRENT
    if not pointer.is_file():
        raise IndexNotFoundError(directory)
    version = directory / pointer.read_text(encoding="utf-8").strip()
    if not (version / MANIFEST).is_file():
        raise IndexCorruptError(
            directory, f"{CURRENT} points at {version.name}, which has no {MANIFEST}"
        )
    return version


def read_manifest(directory: Path) -> dict[str, Any]:
    version = current_version(directory)
    try:
        manifest: dict[str, Any] = json.loads((version / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(directory, f"unreadable {MANIFEST}: {exc}") from exc
    return manifest


def open_index(
    directory: Path,
    embedder_name: str | None = None,
    mmap: bool = True,
    lazy_chunks_from: int = LAZY_CHUNKS_FROM,
) -> ReportIndex:
    """Load the live version of the index at ``directory``.

    ``embedder_name``: the embedder the caller will query with; a different one is refused.
    ``mmap``: map the vector files read-only instead of reading them into memory (instant load;
    worker processes opening the same index share one copy in the page cache).
    ``lazy_chunks_from``: from this many chunks on, ``chunks`` reads them from disk on access.
    """
    if (directory / MILVUS_POINTER).is_file():
        return _open_milvus(directory, embedder_name)
    return _open_consistent(directory, embedder_name, mmap, lazy_chunks_from)


# Loads of an index retried when a save swapped its version meanwhile (see _open_consistent).
_OPEN_ATTEMPTS = 5


def _pointer(directory: Path) -> str | None:
    try:
        return (directory / CURRENT).read_text(encoding="utf-8")
    except OSError:
        return None


def _open_consistent(
    directory: Path, embedder_name: str | None, mmap: bool, lazy_chunks_from: int
) -> ReportIndex:
    """One version's files, even while an ingest saves a new version beside it.

    A save swaps ``CURRENT`` and then deletes the old version, so a load that began on the old
    one can find its files gone (measured: 57 of 1,298 loads failed with IndexCorruptError
    while another thread saved in a loop), or read the manifest of one version and the files
    of the next. A load during which ``CURRENT`` changed is done again on the new version.
    """
    for attempt in range(_OPEN_ATTEMPTS):
        before = _pointer(directory)
        try:
            index = _open_version(directory, embedder_name, mmap, lazy_chunks_from)
        except IndexCorruptError:
            if attempt + 1 < _OPEN_ATTEMPTS and _pointer(directory) != before:
                continue
            raise
        if _pointer(directory) == before:
            return index
    raise IndexCorruptError(
        directory, f"a new version was saved during each of {_OPEN_ATTEMPTS} loads; try again"
    )


def _open_version(
    directory: Path, embedder_name: str | None, mmap: bool, lazy_chunks_from: int
) -> ReportIndex:
    manifest = read_manifest(directory)
    check_compatible(manifest, directory, embedder_name)
    version = current_version(directory)
    try:
        chunks: Sequence[Chunk]
        if int(manifest.get("chunk_count", 0)) >= lazy_chunks_from:
            chunks = LazyChunks.open(version)
        else:
            chunks = [
                _chunk_from_json(json.loads(line))
                for line in (version / CHUNKS).read_text(encoding="utf-8").splitlines()
                if line
            ]
        vectors = FaissVectorStore.load(version, mmap=mmap)
        keyword = KiwiBm25Index.load(version, len(chunks))
        sentence_vectors, sentence_offsets = load_sentence_vectors(version / SENTENCES, mmap)
        lexicon = load_lexicon(version)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise IndexCorruptError(directory, f"{exc.__class__.__name__}: {exc}") from exc
    if len(vectors) != len(chunks) or len(sentence_offsets) != len(chunks) + 1:
        raise IndexCorruptError(
            directory,
            f"{len(chunks)} chunks but {len(vectors)} vectors / {len(sentence_offsets) - 1} offsets",
        )
    documents = [DocumentRecord(**d) for d in manifest.get("documents", [])]
    return ReportIndex(
        manifest=manifest,
        documents=documents,
        chunks=chunks,
        vectors=vectors,
        keyword=keyword,
        sentence_vectors=sentence_vectors,
        sentence_offsets=sentence_offsets,
        path=directory,
        lexicon=lexicon,
    )


def _open_milvus(directory: Path, embedder_name: str | None) -> ReportIndex:
    """The index that ``directory/milvus.json`` points at (REPORTQA_STORE=milvus)."""
    from index.milvus_store import open_milvus_index
    from index.vector_store import VectorIndexSpec
    from reportqa.settings import Settings

    settings = Settings.load()  # the token and search breadth are settings, not in milvus.json
    return open_milvus_index(directory, embedder_name, settings.milvus_token, VectorIndexSpec.from_settings(settings))


def load_sentence_vectors(path: Path, mmap: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The (float16 vectors, int64 offsets) pair of ``sentences.npy``; ``mmap`` maps the vectors.

    The file holds two ``np.save`` arrays back to back, so the first is mapped at the offset
    its header ends at (``np.load(mmap_mode=...)`` maps only a file's first array by path).
    """
    with open(path, "rb") as fh:
        if not mmap:
            return np.load(fh), np.load(fh)
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        start = fh.tell()
        nbytes = int(np.prod(shape)) * dtype.itemsize
        fh.seek(start + nbytes)
        offsets = np.load(fh)
    if nbytes == 0 or fortran:
        with open(path, "rb") as fh:
            return np.load(fh), offsets
    vectors = np.memmap(path, dtype=dtype, mode="r", offset=start, shape=shape)
    # A question reads the few rows of its passages' sentences, scattered over the file.
    advise_random(getattr(vectors, "_mmap", None))
    return vectors, offsets


def advise_random(mapping: _mmap.mmap | None) -> None:
    """Tell the kernel ``mapping`` is read at scattered places: a page fault then reads that
    page, not the disk's read-ahead window around it (8 MiB on the benchmark machine, where
    it pulled ~50 MiB per question at 1M chunks into the page cache and pushed the vector
    index out of a 4 GiB memory limit)."""
    if mapping is not None and hasattr(mapping, "madvise") and hasattr(_mmap, "MADV_RANDOM"):
        try:
            mapping.madvise(_mmap.MADV_RANDOM)
        except OSError as exc:  # advice only: reading still works without it
            log.debug("madvise(MADV_RANDOM) failed: %s", exc)


class LazyChunks(Sequence[Chunk]):
    """The chunks of a saved index, read from ``chunks.jsonl`` (memory-mapped) when accessed.

    A list's interface at a fraction of its memory: row ``i`` is decoded on ``[i]`` (the
    most recent ones are kept), iteration decodes in order. The file's pages live in the OS page
    cache, shared by every process that opens the index.
    """

    def __init__(self, path: Path, offsets: np.ndarray, cache_size: int = 4096) -> None:
        self.path = path
        self._offsets = offsets
        self._fh = open(path, "rb")  # noqa: SIM115 - lives as long as the mapping
        size = os.fstat(self._fh.fileno()).st_size
        self._map = _mmap.mmap(self._fh.fileno(), 0, access=_mmap.ACCESS_READ) if size else None
        advise_random(self._map)  # rows are read where retrieval lands, not in order
        self._cache: OrderedDict[int, Chunk] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @classmethod
    def open(cls, version: Path) -> LazyChunks:
        path = version / CHUNKS
        sidecar = version / CHUNK_OFFSETS
        # Indexes saved before the sidecar existed: find the line ends once.
        offsets = np.load(sidecar) if sidecar.exists() else _line_offsets(path)
        return cls(path, offsets)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def _decode(self, row: int) -> Chunk:
        assert self._map is not None
        start, end = int(self._offsets[row]), int(self._offsets[row + 1])
        return _chunk_from_json(json.loads(self._map[start:end]))

    @overload
    def __getitem__(self, row: int) -> Chunk: ...

    @overload
    def __getitem__(self, row: slice) -> list[Chunk]: ...

    def __getitem__(self, row: int | slice) -> Chunk | list[Chunk]:
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        n = len(self)
        if row < 0:
            row += n
        if not 0 <= row < n:
            raise IndexError(f"chunk row {row} out of range (0..{n - 1})")
        with self._lock:
            hit = self._cache.get(row)
            if hit is not None:
                self._cache.move_to_end(row)
                return hit
        chunk = self._decode(row)
        with self._lock:
            self._cache[row] = chunk
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return chunk

    def __iter__(self) -> Iterator[Chunk]:
        # A full pass reads the file (not the mapping) and then tells the kernel its pages are
        # not needed: a scan of every chunk (building an id → row map) must not push the vector
        # index out of a memory-limited page cache (measured: 1M chunks in a 4 GiB cgroup).
        with open(self.path, "rb") as fh:
            try:
                for line in fh:
                    yield _chunk_from_json(json.loads(line))
            finally:
                if hasattr(os, "posix_fadvise"):
                    os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LazyChunks({self.path}, {len(self)} chunks)"


def _line_offsets(path: Path, block: int = 64 << 20) -> np.ndarray:
    """Byte offsets of the line starts of ``path`` (plus its size), in 64 MiB blocks."""
    ends: list[np.ndarray] = []
    pos = 0
    with open(path, "rb") as fh:
        while True:
            data = fh.read(block)
            if not data:
                break
            ends.append(np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 0x0A) + pos + 1)
            pos += len(data)
    offsets = np.concatenate([np.zeros(1, np.int64), *ends]).astype(np.int64)
    if offsets[-1] != pos:  # a last line without a newline
        offsets = np.append(offsets, pos)
    return offsets


# Kept under their old names for the modules that import them from here.
_chunk_to_json = chunk_to_json
_chunk_from_json = chunk_from_json
