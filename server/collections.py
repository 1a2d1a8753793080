"""Several indexes in one server: each a named collection with its own ``ServedIndex``.

``reportqa serve --index NAME=DIR`` (repeatable; a bare ``--index DIR`` is named after its
folder) serves one collection per index. A request names one by ``collection`` (default: the
first) or asks all of them with ``"*"``: their hits are fused into one answer (server/fused.py).
Users see file names only, never a server path (:func:`file_name`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from answer.pipeline import QAPipeline
from reportqa.errors import ConfigError, ReportQAError
from reportqa.language import detect_language
from reportqa.settings import Settings
from server.security import PreviewSigner, normalized_path
from server.served_index import ServedIndex

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
        self.signer = PreviewSigner()  # preview URLs of every front end of this server
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


def preview_path(
    collection: str, doc_id: str, page: int, chunk_id: str, signer: PreviewSigner | None = None
) -> str:
    """The page-preview route of a cited PDF page (server/pages.py), from the server root; with
    ``signer`` its URL is signed, so an <img> loads it where the API needs a key. Pure."""
    path = (
        f"/api/v1/collections/{quote(collection, safe='')}/documents/{quote(doc_id, safe='')}"
        f"/pages/{page}.png"
    )
    if signer is None:
        return f"{path}?chunk={quote(chunk_id, safe='')}"
    routed = normalized_path(f"/api/v1/collections/{collection}/documents/{doc_id}/pages/{page}.png")
    return f"{path}?{signer.query(routed, chunk_id)}"


def public_citations(
    citations: list[dict[str, Any]],
    owners: Sequence[str] = (),
    chunk_ids: Sequence[str] = (),
    signer: PreviewSigner | None = None,
) -> None:
    """Citation dicts made fit for users, in place: ``source`` is the file name only; each names
    its ``collection`` and ``chunk_id`` when known, and a PDF page its (signed) ``preview`` URL."""
    for i, c in enumerate(citations):
        c["source"] = file_name(str(c.get("source", "")))
        if i < len(owners):
            c["collection"] = owners[i]
        if i < len(chunk_ids):
            c["chunk_id"] = chunk_ids[i]
            if i < len(owners) and c.get("page") and c["source"].lower().endswith(".pdf"):
                c["preview"] = preview_path(
                    owners[i], str(c["document"]), int(c["page"]), chunk_ids[i], signer
                )
