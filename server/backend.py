"""The chat backend every router answers through: collections, pipelines, caching, feedback."""


from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fastapi import UploadFile

import reportqa
from answer.pipeline import QAPipeline
from reportqa.errors import (
    IndexNotFoundError,
    ReportQAError,
)
from reportqa.settings import Settings
from reportqa.types import Answer
from server.collections import (
    ALL,
    Collections,
    UnknownCollectionError,
    build_collections,
    file_name,
    public_citations,
)
from server.feedback import (
    AnswerRecord,
    FeedbackStore,
    RecentAnswers,
    answer_settings,
)
from server.fused import FusedPipeline
from server.models import ApiError, AskRequest, FeedbackRequest, error_status, history_pairs
from server.pages import PageCache, preview
from server.security import (
    error_body,
    split_list,
)
from server.served_index import Served, ServedIndex
from server.streaming import Event, answer_events, sse
from server.uploads import (
    MAX_UPLOAD_FILES,
    Jobs,
    UploadError,
    admin_refusal,
    safe_file_name,
    save_upload,
)

log = logging.getLogger(__name__)


def sse_frames(events: Iterator[Event], body: Callable[[Answer], dict[str, Any]]) -> Iterator[str]:
    """The SSE frames of an answer's events: ``delta`` {text} …, then ``answer`` with ``body`` of
    the final Answer; an error on the way ends the stream with one ``error`` frame."""
    try:
        for kind, value in events:
            if kind == "delta":
                yield sse("delta", {"text": value})
            else:
                yield sse("answer", body(value))  # type: ignore[arg-type]
    except ReportQAError as exc:
        status, code = error_status(exc)
        yield sse("error", error_body(status, code, str(exc)))
    except Exception:
        log.exception("streaming an answer failed")
        yield sse("error", error_body(500, "internal_error", "Answering failed."))


class ChatBackend:
    """Answers, streams, feedback and index facts for every HTTP front end.

    Each request takes ``self.served.current()`` once: its answer, health and documents all come
    from that one version of the index, which follows new ingests (server/served_index.py).
    """

    def __init__(
        self,
        settings: Settings,
        pipeline: QAPipeline | None,
        store: FeedbackStore,
        recent: RecentAnswers | None = None,
        served: ServedIndex | None = None,
        collections: Collections | None = None,
    ) -> None:
        self.settings = settings
        self.collections = collections or build_collections(settings, (), pipeline, served)
        self.served = self.collections.first.served  # /health and /documents describe it
        self.store = store
        self.recent = recent or RecentAnswers()
        self.pages = PageCache()
        self.jobs = Jobs()
        self.generators = [settings.generator] + [
            g for g in split_list(settings.api_generators) if g != settings.generator
        ]

    @property
    def pipeline(self) -> QAPipeline:
        """The default pipeline over the version served now."""
        return self.served.current().pipeline

    def pipeline_for(self, generator: str | None, served: Served | None = None) -> QAPipeline:
        name = generator or self.settings.generator
        if name not in self.generators:
            raise ApiError(
                400,
                "unknown_generator",
                f"The generator {name!r} is not offered by this server; "
                f"available: {', '.join(self.generators)}.",
            )
        return (served or self.served.current()).pipeline_for(name)

    def remember(
        self, req: AskRequest, answer: Any, channel: str, owners: Sequence[str] = ()
    ) -> AnswerRecord:
        """Keep the answer for feedback; its citations name file names only (and their
        collection), as every front end shows them."""
        settings = answer_settings(
            self.settings, top_k=req.top_k, generator=req.generator or self.settings.generator
        )
        if req.collection:
            settings["collection"] = req.collection
        record = self.recent.remember(req.question, answer, settings, channel=channel)
        if not owners:
            owners = [self.chosen(req)[0].name] * len(answer.citations)
        public_citations(
            record.answer.get("citations", []), owners, [c.chunk.id for c in answer.citations],
            self.collections.signer,
        )
        return record

    def chosen(self, req: AskRequest) -> list[Any]:
        try:
            return self.collections.chosen(req.collection)
        except UnknownCollectionError as exc:
            raise ApiError(404, "unknown_collection", str(exc)) from exc

    def collection_for_model(self, model: str | None) -> str | None:
        """The collection an OpenAI ``model`` names, ``"*"`` for all of them (any other name:
        the default one)."""
        if model == ALL and len(self.collections.items) > 1:
            return ALL
        return model if model in self.collections.by_name else None

    def pipeline_in(self, collection: str | None) -> QAPipeline:
        """The default pipeline over the version of ``collection`` served now."""
        return self.collections.get(collection).served.current().pipeline

    def fused(self, req: AskRequest) -> FusedPipeline | None:
        """For ``"*"`` over several collections: their pipelines (the version of each served
        now) answering as one; else None."""
        if req.collection != ALL or len(self.collections.items) < 2:
            return None
        self.pipeline_for(req.generator)  # an unknown generator is a 400 first
        return FusedPipeline(
            [(c.name, self.pipeline_for(req.generator, c.served.current())) for c in self.collections.items]
        )

    def ask(self, req: AskRequest, channel: str) -> dict[str, Any]:
        fused = self.fused(req)
        if fused is not None:
            answer = fused.ask(req.question, history=history_pairs(req.history), top_k=req.top_k)
            record = self.remember(req, answer, channel, fused.owners(answer))
            return {"id": record.id, **record.answer, "collection": ALL}
        collection = self.chosen(req)[0]
        served = collection.served.current()
        pipeline = self.pipeline_for(req.generator, served)
        answer = pipeline.ask(req.question, history=history_pairs(req.history), top_k=req.top_k)
        record = self.remember(req, answer, channel)
        return {
            "id": record.id,
            **record.answer,
            "collection": collection.name,
            "index_version": served.version,
        }

    def stream(self, req: AskRequest, channel: str) -> Iterator[str]:
        """SSE frames: ``delta`` {text} …, then ``answer`` (the /ask body), or ``error``."""
        fused = self.fused(req)
        name = ALL
        pipeline: Any = fused
        if fused is None:
            collection = self.chosen(req)[0]
            name = collection.name
            # errors here become a 400 before streaming
            pipeline = self.pipeline_for(req.generator, collection.served.current())
        events = answer_events(
            pipeline, req.question, history=history_pairs(req.history), top_k=req.top_k
        )

        def body(answer: Answer) -> dict[str, Any]:
            owners = fused.owners(answer) if fused is not None else ()
            record = self.remember(req, answer, channel, owners)
            return {"id": record.id, **record.answer, "collection": name}

        return sse_frames(events, body)

    def feedback(self, req: FeedbackRequest, channel: str) -> dict[str, Any]:
        record = self.recent.get(req.answer_id) if req.answer_id else None
        if record is not None:
            row = self.store.add_for(record, req.rating, req.comment, channel=channel)
            return {"id": row, "answer_id": record.id, "stored": True}
        if not (req.question and req.answer is not None):
            raise ApiError(
                404 if req.answer_id else 400,
                "unknown_answer",
                "This server does not hold that answer (any more); send question and answer "
                "(and citations) with the feedback."
                if req.answer_id
                else "Name the answer: send answer_id from /ask, or question and answer.",
            )
        row = self.store.add(
            rating=req.rating,
            question=req.question,
            answer={"answer": req.answer, "citations": req.citations or []},
            settings=answer_settings(self.settings),
            channel=channel,
            comment=req.comment,
            answer_id=req.answer_id,
            source="client",
        )
        return {"id": row, "answer_id": req.answer_id, "stored": True}

    def health(self) -> tuple[int, dict[str, Any]]:
        served = self.served.current()
        base: dict[str, Any] = {
            "index_loaded": served.loaded,
            "index_version": served.version,
            "generator": self.settings.generator,
            "version": reportqa.__version__,
        }
        try:
            manifest = served.manifest()
        except IndexNotFoundError:
            return 503, {
                **base,
                "status": "no_index",
                "embedder": None,
                "documents": 0,
                "chunks": 0,
                "index_created_at": None,
                "message": "No index yet: run `reportqa ingest PATH...` (or restart `reportqa serve`).",
            }
        except ReportQAError as exc:
            return 503, {
                **base,
                "status": "error",
                "embedder": None,
                "documents": 0,
                "chunks": 0,
                "index_created_at": None,
                "message": str(exc),
            }
        return 200, {
            **base,
            "status": "ok",
            "embedder": manifest.get("embedder", {}).get("name"),
            "documents": len(manifest.get("documents", [])),
            "chunks": int(manifest.get("chunk_count", 0)),
            "index_created_at": manifest.get("created_at"),
        }

    def page_png(self, name: str, doc_id: str, page: int, chunk: str | None) -> bytes:
        """The PNG preview of a cited page (server/pages.py)."""
        try:
            collection = self.collections.get(name)
        except UnknownCollectionError as exc:
            raise ApiError(404, "unknown_collection", str(exc)) from exc
        return preview(collection.served.current(), self.pages, name, doc_id, page, chunk)

    def collection(self, name: str) -> Any:
        try:
            return self.collections.get(name)
        except UnknownCollectionError as exc:
            raise ApiError(404, "unknown_collection", str(exc)) from exc

    def upload(self, name: str, files: Sequence[UploadFile], authorization: str | None) -> dict[str, Any]:
        """Save the files and start their ingest job (server/uploads.py); the job's body."""
        refused = admin_refusal(self.settings, authorization)
        if refused is not None:
            raise refused
        collection = self.collection(name)
        if not files:
            raise UploadError(400, "no_files", "Send one or more files as multipart field 'files'.")
        if len(files) > MAX_UPLOAD_FILES:
            raise UploadError(
                400, "too_many_files", f"{len(files)} files; send at most {MAX_UPLOAD_FILES} at once."
            )
        names = [safe_file_name(f.filename or "") for f in files]
        if len(set(names)) != len(names):
            raise UploadError(400, "duplicate_file_name", "Two files have the same name; rename one.")
        job, folder = self.jobs.new(collection.name, self.settings.home / "uploads")
        limit = int(self.settings.max_file_mb * (1 << 20))
        try:
            for f, file_name_ in zip(files, names, strict=True):
                save_upload(f.file, folder / file_name_, limit)
        except UploadError:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
            raise
        job.files = names
        self.jobs.start(job, folder, collection.settings)
        return job.to_dict()

    def job(self, job_id: str) -> dict[str, Any]:
        job = self.jobs.get(job_id)
        if job is None:
            raise ApiError(404, "unknown_job", f"No upload job {job_id!r} (jobs are kept until a restart).")
        served = self.collection(job.collection).served.current()
        return job.to_dict(served.version)

    def remove(self, name: str, doc_id: str, authorization: str | None) -> dict[str, Any]:
        """Drop one document from a collection (a new index version, served like any)."""
        from index.indexing import remove_documents

        refused = admin_refusal(self.settings, authorization)
        if refused is not None:
            raise refused
        collection = self.collection(name)
        removed = remove_documents(collection.settings, [doc_id])
        if not removed:
            raise ApiError(404, "unknown_document", f"This collection has no document {doc_id!r}.")
        return {"removed": removed, "collection": collection.name}

    def list_collections(self) -> dict[str, Any]:
        items = [c.info() for c in self.collections.items]
        return {"count": len(items), "default": self.collections.first.name, "collections": items}

    def documents(self, collection: str | None = None) -> dict[str, Any]:
        try:
            served = self.collections.get(collection).served
        except UnknownCollectionError as exc:
            raise ApiError(404, "unknown_collection", str(exc)) from exc
        manifest = served.current().manifest()
        docs = [
            {
                "id": str(d.get("id", "")),
                "title": str(d.get("title", "")),
                "format": str(d.get("format", "")),
                "file": file_name(str(d.get("source", ""))),
                "chunks": int(d.get("chunks", 0)),
            }
            for d in manifest.get("documents", [])
        ]
        return {"count": len(docs), "chunks": int(manifest.get("chunk_count", 0)), "documents": docs}

    def warm_up(self) -> None:
        """Load the indexes and models now, so the first question is not the slow one."""
        for c in self.collections.items:
            try:
                _ = c.served.current().pipeline.index
            except ReportQAError as exc:
                log.warning("could not load the index of collection %s at start: %s", c.name, exc)
