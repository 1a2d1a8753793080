"""Several indexes in one server: each a named collection with its own ``ServedIndex``.

``reportqa serve --index NAME=DIR`` (repeatable; a bare ``--index DIR`` is named after its
folder) serves one collection per index. A request names one by ``collection`` (default: the
first) or asks all of them with ``"*"``: each collection answers from its own documents and the
answers that found something are joined, best-scoring first, their citations renumbered in one
list (:func:`fuse_answers`). Users see file names only, never a server path (:func:`file_name`).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import quote

from answer.pipeline import QAPipeline
from reportqa.errors import ConfigError, ReportQAError
from reportqa.language import detect_language
from reportqa.settings import Settings
from reportqa.types import Answer, Citation
from server.served_index import Served, ServedIndex

log = logging.getLogger(__name__)

ALL = "*"
NAME_RE = re.compile(r"^[A-Za-z0-9가-힣][A-Za-z0-9가-힣._-]{0,63}$")
# The bundled sample corpus's questions: shown only on the sample index (other indexes show the
# examples their manifest lists, or none).
SAMPLE_EXAMPLES = (
    "보고서가 제시한 3대 추진 전략은?",
    "경기도가 이차전지 산업에 유리한 이유는 무엇인가요?",
    "사용 후 배터리와 관련된 과제는?",
    "What are the three strategies?",
    "Who published the report and when?",
)
MAX_EXAMPLES = 8
_MARKER = re.compile(r"\[(\d{1,3})\]")


class UnknownCollectionError(ReportQAError):
    """A request named a collection this server does not serve."""


def file_name(source: str) -> str:
    """The last part of a path (either separator): what users may see of a document's source."""
    return re.split(r"[\\/]", str(source))[-1]


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9가-힣._-]+", "-", text).strip("-._")[:64]
    return slug or "index"


def parse_index_spec(spec: str) -> tuple[str, Path]:
    """``NAME=DIR`` or ``DIR`` (named after its folder) → (name, dir). Pure.

    Raises ConfigError for a name that is not 1–64 letters, digits, ``.``, ``_`` or ``-``.
    """
    name, sep, path = spec.partition("=")
    if not sep or not name or "/" in name or "\\" in name:  # a bare DIR (it may hold "=")
        folder = Path(spec).expanduser()
        return _slug(folder.resolve().name if folder.name in ("", ".", "..") else folder.name), folder
    if not NAME_RE.match(name):
        raise ConfigError(
            f"--index {spec!r}: the collection name {name!r} must be 1-64 letters, digits, '.', "
            "'_' or '-' (starting with a letter or digit); write --index NAME=DIR."
        )
    return name, Path(path).expanduser()


@dataclass
class Collection:
    """One served index under a name."""

    name: str
    settings: Settings
    served: ServedIndex
    sample: bool = False  # the bundled sample index (its example questions are known)

    def manifest(self) -> dict[str, Any]:
        return self.served.current().manifest()

    def info(self) -> dict[str, Any]:
        """``{name, title, documents, passages, languages, examples}`` (``ready`` false and zero
        counts when the index cannot be read)."""
        try:
            manifest = self.manifest()
        except ReportQAError as exc:
            log.warning("collection %s: %s", self.name, exc)
            return {
                "name": self.name, "title": self.name, "documents": 0, "passages": 0,
                "languages": [], "examples": [], "ready": False,
            }
        return {
            "name": self.name,
            "title": collection_title(self.name, manifest),
            "documents": len(manifest.get("documents", [])),
            "passages": int(manifest.get("chunk_count", 0)),
            "languages": manifest_languages(manifest),
            "examples": self.examples(manifest),
            "ready": True,
        }

    def examples(self, manifest: dict[str, Any] | None = None) -> list[str]:
        """Example questions: the manifest's ``examples`` list, the sample's own, or none."""
        if manifest is None:
            try:
                manifest = self.manifest()
            except ReportQAError:
                return []
        listed = manifest.get("examples")
        if isinstance(listed, list):
            return [str(q)[:200] for q in listed if str(q).strip()][:MAX_EXAMPLES]
        return list(SAMPLE_EXAMPLES) if self.sample else []


def collection_title(name: str, manifest: dict[str, Any]) -> str:
    """The manifest's ``title``; else the only document's title; else the name. Pure."""
    if manifest.get("title"):
        return str(manifest["title"])
    docs = manifest.get("documents", [])
    if len(docs) == 1 and docs[0].get("title"):
        return str(docs[0]["title"])
    return name


def manifest_languages(manifest: dict[str, Any]) -> list[str]:
    """The languages of the documents' titles (``ko``, ``en``), sorted. Pure."""
    found = {detect_language(str(d.get("title") or d.get("id") or "")) for d in manifest.get("documents", [])}
    return sorted(x for x in found if x)


class Collections:
    """The collections of one server, in the order they were named (the first is the default)."""

    def __init__(self, items: Sequence[Collection]) -> None:
        if not items:
            raise ConfigError("No index to serve: name one with --index NAME=DIR.")
        self.items = list(items)
        self.by_name: dict[str, Collection] = {}
        for c in self.items:
            if c.name in self.by_name:
                raise ConfigError(
                    f"Two indexes are both named {c.name!r}; name them apart: --index NAME=DIR."
                )
            self.by_name[c.name] = c

    @property
    def first(self) -> Collection:
        return self.items[0]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.items]

    def get(self, name: str | None) -> Collection:
        """The collection ``name`` (None or "": the first). Raises UnknownCollectionError."""
        if not name:
            return self.first
        found = self.by_name.get(name)
        if found is None:
            raise UnknownCollectionError(
                f"This server has no collection {name!r}; available: {', '.join(self.names)} "
                f"(or {ALL!r} for all of them)."
            )
        return found

    def chosen(self, name: str | None) -> list[Collection]:
        """All collections for ``"*"``, else the one ``name`` picks."""
        return list(self.items) if name == ALL else [self.get(name)]


def build_collections(
    settings: Settings,
    specs: Sequence[str] = (),
    pipeline: QAPipeline | None = None,
    served: ServedIndex | None = None,
) -> Collections:
    """One collection per ``NAME=DIR`` spec, or one for ``settings``' own index when none; a
    pipeline or ServedIndex handed in serves the first."""
    if not specs:
        index_dir = settings.resolved_index_dir
        name = _slug(index_dir.name)
        first = served or ServedIndex(settings, pipeline)
        return Collections([Collection(name, settings, first, sample=settings.index_dir is None)])
    items: list[Collection] = []
    for i, spec in enumerate(specs):
        name, index_dir = parse_index_spec(spec)
        sub = settings.replace(index_dir=index_dir)
        holder = (served or ServedIndex(sub, pipeline)) if i == 0 else ServedIndex(sub)
        items.append(Collection(name, sub, holder))
    return Collections(items)


# --- answering over several collections --------------------------------------------------------


@dataclass(frozen=True)
class Fused:
    """An answer and, per citation, the collection it comes from."""

    answer: Answer
    collections: tuple[str, ...]


def _best(answer: Answer) -> float:
    return max((c.score for c in answer.citations), default=float("-inf"))


def fuse_answers(parts: Sequence[tuple[str, Answer]]) -> Fused:
    """The answers of several collections as one (pure).

    Answers that cite something are joined best-scoring first (by their best citation's score),
    each one's ``[n]`` markers shifted past the citations before it; when none cites anything the
    first answer (a "not found") stands.
    """
    found = sorted((p for p in parts if p[1].citations), key=lambda p: _best(p[1]), reverse=True)
    if not found:
        name, answer = parts[0]
        return Fused(answer, ())
    texts: list[str] = []
    citations: list[Citation] = []
    owners: list[str] = []
    unsupported: list[tuple[int, int]] = []
    grounded: list[float] = []
    timings: dict[str, float] = {}
    pos = 0
    for name, answer in found:
        offset = len(citations)
        known = {c.n for c in answer.citations}

        def shift(m: re.Match[str], offset: int = offset, known: set[int] = known) -> str:
            n = int(m.group(1))
            return f"[{n + offset}]" if n in known else m.group(0)

        if texts:
            pos += 2  # the "\n\n" between answers
        raw, raw_spans = answer.text, answer.unsupported
        intro = found[0][1].text.split("\n\n", 1)[0] + "\n\n"
        if texts and "[" not in intro and raw.startswith(intro):  # one "here is what…" line
            cut = len(intro)
            raw = raw[cut:]
            raw_spans = tuple((a - cut, b - cut) for a, b in raw_spans if a >= cut)
        # Shifting markers changes lengths: rebuild the unsupported spans piece by piece.
        text, spans = _shift_text(raw, raw_spans, shift)
        unsupported += [(s + pos, e + pos) for s, e in spans]
        texts.append(text)
        pos += len(text)
        citations += [dataclasses.replace(c, n=c.n + offset) for c in answer.citations]
        owners += [name] * len(answer.citations)
        if answer.grounded is not None:
            grounded.append(answer.grounded)
        for k, v in answer.timings_ms.items():
            timings[k] = timings.get(k, 0.0) + v
    first = found[0][1]
    fused = Answer(
        "\n\n".join(texts),
        first.language,
        tuple(citations),
        False,
        round(sum(grounded) / len(grounded), 3) if grounded else None,
        timings,
        tuple(unsupported),
    )
    return Fused(fused, tuple(owners))


def _shift_text(
    text: str, spans: Sequence[tuple[int, int]], shift: Callable[[re.Match[str]], str]
) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with markers shifted, and ``spans`` mapped onto the new text. Pure."""
    cuts = sorted({0, len(text), *(x for s in spans for x in s if 0 <= x <= len(text))})
    new_at: dict[int, int] = {}
    out: list[str] = []
    length = 0
    for a, b in pairwise(cuts):
        new_at[a] = length
        piece = _MARKER.sub(shift, text[a:b])
        out.append(piece)
        length += len(piece)
    new_at[len(text)] = length
    return "".join(out), [(new_at[s], new_at[e]) for s, e in spans if s in new_at and e in new_at]


def ask_collections(
    chosen: Sequence[Collection],
    question: str,
    history: Sequence[tuple[str, str]] = (),
    top_k: int | None = None,
    pipeline_of: Callable[[Served], QAPipeline] | None = None,
) -> Fused:
    """Ask each chosen collection (its version served now) and fuse the answers."""
    parts: list[tuple[str, Answer]] = []
    for c in chosen:
        served = c.served.current()
        pipeline = pipeline_of(served) if pipeline_of is not None else served.pipeline
        parts.append((c.name, pipeline.ask(question, history=history, top_k=top_k)))
    if len(parts) == 1:
        name, answer = parts[0]
        return Fused(answer, (name,) * len(answer.citations))
    return fuse_answers(parts)


def preview_path(collection: str, doc_id: str, page: int, chunk_id: str) -> str:
    """The page-preview route of a cited PDF page (server/pages.py), from the server root. Pure."""
    return (
        f"/api/v1/collections/{quote(collection, safe='')}/documents/{quote(doc_id, safe='')}"
        f"/pages/{page}.png?chunk={quote(chunk_id, safe='')}"
    )


def public_citations(
    citations: list[dict[str, Any]], owners: Sequence[str] = (), chunk_ids: Sequence[str] = ()
) -> None:
    """Citation dicts made fit for users, in place: ``source`` is the file name only; each names
    its ``collection`` and ``chunk_id`` when known, and a PDF page its ``preview`` route."""
    for i, c in enumerate(citations):
        c["source"] = file_name(str(c.get("source", "")))
        if i < len(owners):
            c["collection"] = owners[i]
        if i < len(chunk_ids):
            c["chunk_id"] = chunk_ids[i]
            if i < len(owners) and c.get("page") and c["source"].lower().endswith(".pdf"):
                c["preview"] = preview_path(owners[i], str(c["document"]), int(c["page"]), chunk_ids[i])
