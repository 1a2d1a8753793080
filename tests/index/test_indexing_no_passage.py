"""Nothing is reported added without a passage (issue 15): a document the chunker leaves empty is
skipped with its reason, whatever the chunker's rules."""

from __future__ import annotations

import sys
from pathlib import Path

from index.indexing import ingest_documents, ingest_paths, no_passage_reason
from index.store import open_index
from reportqa.settings import Settings
from reportqa.types import Document, Section

sys.path.insert(0, str(Path(__file__).parent))
from index_helpers import CountingHashEmbedder

BODY = "The Vardo wind farm has 31 turbines. It opened in 2021. Each turbine makes 3 MW."
TOC_TEXT = "Contents\n1. Background ..... 1\n2. Findings ..... 5"


def settings_for(tmp_path: Path) -> Settings:
    return Settings.load(
        {"home": tmp_path / "home", "index_dir": tmp_path / "idx", "embed_cache": False}, env={}
    )


def good_doc(doc_id: str = "wind.txt", text: str = BODY) -> Document:
    return Document(doc_id, "Wind", f"/src/{doc_id}", text, meta={"content_hash": f"h-{text}"})


def toc_doc(doc_id: str = "contents.pdf") -> Document:
    """What the PDF loader makes of a file holding only a table of contents: one TOC section,
    which the chunker never turns into passages."""
    return Document(
        doc_id,
        "Report",
        f"/src/{doc_id}",
        TOC_TEXT,
        sections=(Section(0, len(TOC_TEXT), page=1, toc=True),),
        meta={"content_hash": "h-toc"},
    )


def test_a_document_without_passages_is_skipped_not_added(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    summary = ingest_documents([good_doc(), toc_doc()], settings, embedder=CountingHashEmbedder())
    assert summary.added == ["wind.txt"]
    (skip,) = summary.skipped
    assert skip.path == "/src/contents.pdf"
    assert "no passage after chunking: the text is only a table of contents" in skip.reason
    index = open_index(settings.resolved_index_dir)
    assert [d.id for d in index.documents] == ["wind.txt"]
    assert all(d.chunks > 0 for d in index.documents)
    assert summary.documents == 1 and summary.chunks == len(index.chunks)


def test_a_changed_document_that_loses_its_passages_leaves_the_index(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    embedder = CountingHashEmbedder()
    ingest_documents([good_doc("a.pdf"), good_doc("b.txt", BODY + " More.")], settings, embedder=embedder)
    summary = ingest_documents([toc_doc("a.pdf")], settings, embedder=embedder)
    assert summary.changed == [] and summary.added == []
    (skip,) = summary.skipped
    assert "its earlier version was removed from the index" in skip.reason
    index = open_index(settings.resolved_index_dir)
    assert [d.id for d in index.documents] == ["b.txt"]
    assert {c.doc_id for c in index.chunks} == {"b.txt"}


def test_only_passageless_documents_change_nothing(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    embedder = CountingHashEmbedder()
    ingest_documents([good_doc()], settings, embedder=embedder)
    version = (settings.resolved_index_dir / "CURRENT").read_text()
    summary = ingest_documents([toc_doc()], settings, embedder=embedder)
    assert summary.added == [] and len(summary.skipped) == 1
    assert summary.documents == 1
    assert (settings.resolved_index_dir / "CURRENT").read_text() == version  # nothing saved


def test_every_added_file_has_a_passage(tmp_path: Path) -> None:
    """Real one-line and heading-only files: whatever the chunker makes of them, an added
    document always has passages and a skipped one says why."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "one.txt").write_text("The Vardo wind farm has 31 turbines.\n", encoding="utf-8")
    (folder / "heading.md").write_text("# Annual report\n", encoding="utf-8")
    (folder / "headings.md").write_text("# Report\n## Part one\n## Part two\n", encoding="utf-8")
    (folder / "body.md").write_text(f"# Wind\n\n{BODY}\n", encoding="utf-8")
    settings = settings_for(tmp_path)
    summary = ingest_paths([folder], settings, embedder=CountingHashEmbedder())
    index = open_index(settings.resolved_index_dir)
    chunks = {d.id: d.chunks for d in index.documents}
    assert set(summary.added) == set(chunks)
    assert all(n > 0 for n in chunks.values()), chunks
    assert "body.md" in chunks
    for err in summary.skipped:
        assert "no passage after chunking" in err.reason
    assert len(summary.added) + len(summary.skipped) == 4


def test_no_passage_reasons_name_what_the_text_is() -> None:
    title_only = Document("t.txt", "Annual report", "/t.txt", "Annual report")
    headings = Document(
        "h.md",
        "Report",
        "/h.md",
        "Report\nPart one",
        sections=(Section(0, 7, heading_path=("Report",)), Section(7, 15, heading_path=("Report", "Part one"))),
    )
    assert "only its title ('Annual report')" in no_passage_reason(title_only)
    assert "only headings" in no_passage_reason(headings)
    assert "only a table of contents" in no_passage_reason(toc_doc())
    assert "a scanned PDF needs OCR first" in no_passage_reason(toc_doc())
