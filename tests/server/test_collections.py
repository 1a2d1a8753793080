"""Several indexes in one server (server/collections.py): pure parts, then a real server with
two collections (the sample index and a small wind-farm index built here)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reportqa.errors import ConfigError
from reportqa.settings import Settings
from reportqa.types import Chunk, Hit
from server.collections import (
    SAMPLE_EXAMPLES,
    Collection,
    Collections,
    UnknownCollectionError,
    file_name,
    parse_index_spec,
)
from server.fused import fuse_hits, scores_comparable

WIND_PAGES = [
    [
        "Vardo wind farm plan",
        "This plan describes a wind farm on the northern ridge of Vardo.",
    ],
    [
        "Strategies",
        "The Vardo wind farm plan sets out three strategies: build forty turbines on the "
        "northern ridge, connect the farm to the regional grid by 2028, and train local "
        "technicians for maintenance.",
        "The farm is run by the Northern Wind Cooperative, founded in 2019 in Vardo.",
        "Each turbine produces 4.2 megawatts at rated wind speed.",
    ],
]
WIND_FILE = "vardo-wind.en.pdf"


def wind_pdf(path: Path) -> Path:
    """A two-page PDF (fpdf2, Helvetica): the plan's facts on page 2."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Vardo wind farm plan")
    pdf.set_font("Helvetica", size=12)
    for lines in WIND_PAGES:
        pdf.add_page()
        for line in lines:
            pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    path.write_bytes(bytes(pdf.output()))
    return path


# --- pure ----------------------------------------------------------------------------------------


def test_index_specs_name_a_collection_or_take_the_folder_name(tmp_path: Path) -> None:
    assert parse_index_spec("wind=/srv/idx/w") == ("wind", Path("/srv/idx/w"))
    assert parse_index_spec("/srv/idx/battery-2024") == ("battery-2024", Path("/srv/idx/battery-2024"))
    assert parse_index_spec("보고서=/x") == ("보고서", Path("/x"))
    # a bare path holding "=" after a slash is a path, not NAME=DIR
    assert parse_index_spec("/srv/a=b") == ("a-b", Path("/srv/a=b"))
    for bad in ("-x=/a", "a b=/a", "*=/a", f"{'n' * 65}=/a"):
        with pytest.raises(ConfigError, match="collection name"):
            parse_index_spec(bad)


def test_two_indexes_with_one_name_are_refused(sample_settings: Settings) -> None:
    from server.served_index import ServedIndex

    served = ServedIndex(sample_settings)
    with pytest.raises(ConfigError, match="both named 'a'"):
        Collections([Collection("a", sample_settings, served), Collection("a", sample_settings, served)])
    one = Collections([Collection("a", sample_settings, served)])
    assert one.get(None).name == "a" and one.get("a").name == "a"
    with pytest.raises(UnknownCollectionError, match="no collection 'b'; available: a"):
        one.get("b")


def test_file_name_drops_every_directory() -> None:
    assert file_name("/home/srv/reports/plan.pdf") == "plan.pdf"
    assert file_name("C:\\srv\\reports\\계획.hwp") == "계획.hwp"
    assert file_name("plain.txt") == "plain.txt"


def _hit(doc: str, score: float) -> Hit:
    chunk = Chunk(f"{doc}#0", doc, doc.title(), f"/srv/{doc}.txt", f"text of {doc}", 0, 10)
    return Hit(chunk, score)


def test_hits_of_several_collections_are_fused_into_one_ranking() -> None:
    alpha = [_hit("a1", 0.62), _hit("a2", 0.40), _hit("a3", 0.10)]
    beta = [_hit("b1", 0.90), _hit("b2", 0.35)]
    # absolute scores (confidence fusion): one list by score, cut at k
    fused = fuse_hits([("alpha", alpha), ("beta", beta)], k=4, by_score=True)
    assert [(o.collection, o.hit.chunk.doc_id) for o in fused] == [
        ("beta", "b1"), ("alpha", "a1"), ("alpha", "a2"), ("beta", "b2"),
    ]
    # per-index scores (RRF, BM25 alone): by rank, each collection's first before any second
    ranked = fuse_hits([("alpha", alpha), ("beta", beta)], k=5, by_score=False)
    assert [o.hit.chunk.doc_id for o in ranked] == ["a1", "b1", "a2", "b2", "a3"]
    assert fuse_hits([], k=3, by_score=True) == []


def test_which_retrieval_settings_give_scores_comparable_across_indexes(
    sample_settings: Settings,
) -> None:
    assert scores_comparable(sample_settings.replace(retrieval_mode="hybrid", fusion="confidence"))
    assert scores_comparable(sample_settings.replace(retrieval_mode="dense"))
    assert not scores_comparable(sample_settings.replace(retrieval_mode="hybrid", fusion="rrf"))
    assert not scores_comparable(sample_settings.replace(retrieval_mode="bm25"))


# --- a real server with two collections --------------------------------------------------------


@pytest.fixture(scope="module")
def wind_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from index.indexing import ingest_paths

    docs = tmp_path_factory.mktemp("wind-docs")
    wind_pdf(docs / WIND_FILE)
    index_dir = tmp_path_factory.mktemp("wind-index")
    settings = Settings.load({"home": tmp_path_factory.mktemp("wind-home"), "index_dir": index_dir}, env={})
    summary = ingest_paths([docs], settings)
    assert summary.documents == 1
    return index_dir


@pytest.fixture(scope="module")
def two(
    sample_settings: Settings, sample_pipeline: Any, wind_index: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    import app
    from server.background import BackgroundServer

    settings = sample_settings.replace(
        home=tmp_path_factory.mktemp("two-home"), rate_limit_per_minute=1000
    )
    specs = [f"sample={sample_settings.resolved_index_dir}", str(wind_index)]
    server = BackgroundServer(app.create_server_app(settings, pipeline=sample_pipeline, indexes=specs))
    yield server.start()
    server.stop()


def _docs(body: dict[str, Any]) -> set[str]:
    return {c["document"] for c in body["citations"]}




@pytest.mark.integration
@pytest.mark.slow
def test_collections_are_listed_with_their_counts(two: str, wind_index: Path) -> None:
    r = httpx.get(f"{two}/api/v1/collections", timeout=30)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == 2 and body["default"] == "sample"
    sample, wind = body["collections"]
    assert sample["name"] == "sample" and sample["documents"] >= 5 and sample["passages"] >= 5
    assert wind == {
        "name": wind_index.name, "title": wind["title"], "documents": 1,
        "passages": wind["passages"], "languages": ["en"], "examples": [], "ready": True,
    }
    assert "Vardo" in wind["title"] and wind["passages"] >= 1
    assert "ko" in sample["languages"]
    # a named index has no example questions unless its manifest lists some
    assert sample["examples"] == [] and list(SAMPLE_EXAMPLES)
    assert "/" not in json.dumps(body["collections"]).replace("\\/", "")
    docs = httpx.get(f"{two}/api/v1/collections/{wind_index.name}/documents", timeout=30).json()
    assert [d["file"] for d in docs["documents"]] == [WIND_FILE]


@pytest.mark.integration
@pytest.mark.slow
def test_each_collection_answers_from_its_own_documents_and_star_cites_both(
    two: str, wind_index: Path
) -> None:
    wind = wind_index.name
    with httpx.Client(base_url=two, timeout=120) as c:
        own = c.post("/api/v1/ask", json={"question": "What are the three strategies of the plan?", "collection": wind}).json()
        default = c.post("/api/v1/ask", json={"question": "보고서가 제시한 3대 추진 전략은?"}).json()
        both = c.post("/api/v1/ask", json={"question": "What are the three strategies?", "collection": "*"}).json()
        missing = c.post("/api/v1/ask", json={"question": "x?", "collection": "nope"})
    assert own["collection"] == wind and _docs(own) == {WIND_FILE}
    assert "turbines" in own["answer"]
    assert default["collection"] == "sample" and _docs(default)
    assert WIND_FILE not in _docs(default)
    assert {c["collection"] for c in both["citations"]} == {"sample", wind}, both
    assert [c["n"] for c in both["citations"]] == list(range(1, len(both["citations"]) + 1))
    for body in (own, default, both):  # file names only, never a server path
        assert all("/" not in c["source"] and "\\" not in c["source"] for c in body["citations"])
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unknown_collection"
    assert "available: sample" in missing.json()["error"]["message"]


@pytest.mark.integration
@pytest.mark.slow
def test_star_fuses_the_hits_of_all_collections_into_one_answer(two: str, wind_index: Path) -> None:
    """One ranked list over both indexes and one answer from it: ``top_k`` counts passages of the
    fused list (joining each collection's own answer gave one citation per collection)."""
    wind = wind_index.name
    question = "What are the three strategies?"
    with httpx.Client(base_url=two, timeout=120) as c:
        one = c.post("/api/v1/ask", json={"question": question, "collection": "*", "top_k": 1}).json()
        five = c.post("/api/v1/ask", json={"question": question, "collection": "*"}).json()
        star = c.post("/api/v1/ask/stream", json={"question": question, "collection": "*"})
        ko = "보고서가 제시한 3대 추진 전략은?"
        ko_star = c.post("/api/v1/ask", json={"question": ko, "collection": "*"}).json()
        ko_own = c.post("/api/v1/ask", json={"question": ko, "collection": "sample"}).json()
    # where one collection alone is relevant (the wind index's gate refuses), "*" answers as it does
    assert ko_star["answer"] == ko_own["answer"]
    assert {c["collection"] for c in ko_star["citations"]} == {"sample"}
    assert one["collection"] == "*" and len(one["citations"]) == 1, one
    assert one["citations"][0]["collection"] == wind  # the best-scoring passage of either index
    # one answer: a single intro line, markers numbered once over both collections
    assert five["answer"].count("Here is what the documents say.") == 1
    assert "\n\n" not in five["answer"].split("\n\n", 1)[1]
    assert sorted(c["collection"] for c in five["citations"]) == sorted([wind, "sample"])
    assert [c["n"] for c in five["citations"]] == [1, 2]
    frames = [f for f in star.text.split("\n\n") if f.startswith("event: ")]
    assert frames[0].startswith("event: delta") and frames[-1].startswith("event: answer")
    streamed = json.loads(frames[-1].split("data:", 1)[1])
    assert streamed["answer"] == five["answer"] and streamed["collection"] == "*"


@pytest.mark.integration
@pytest.mark.slow
def test_the_stream_and_the_openai_models_follow_the_collection(two: str, wind_index: Path) -> None:
    wind = wind_index.name
    with httpx.Client(base_url=two, timeout=120) as c:
        r = c.post("/api/v1/ask/stream", json={"question": "Who runs the wind farm?", "collection": wind})
        models = c.get("/v1/models").json()
        card = c.get(f"/v1/models/{wind}")
        done = c.post(
            "/v1/chat/completions",
            json={"model": wind, "messages": [{"role": "user", "content": "Who runs the wind farm?"}]},
        ).json()
        star = c.post("/api/v1/ask/stream", json={"question": "What are the three strategies?", "collection": "*"})
        every = c.post(
            "/v1/chat/completions",
            json={"model": "*", "stream": True,
                  "messages": [{"role": "user", "content": "What are the three strategies?"}]},
        )
        unknown = c.post(
            "/v1/chat/completions",
            json={"model": "gpt-4o", "messages": [{"role": "user", "content": "Who runs the wind farm?"}]},
        ).json()
    frames = [f for f in r.text.split("\n\n") if f.startswith("event: answer")]
    answer = json.loads(frames[0].split("data:", 1)[1])
    assert answer["collection"] == wind and _docs(answer) == {WIND_FILE}
    assert "Cooperative" in answer["answer"]
    assert [m["id"] for m in models["data"]] == ["reportqa", "sample", wind, "*"]
    assert card.status_code == 200 and card.json()["id"] == wind
    # the reply names the model asked for (a collection), not always "reportqa"
    assert done["model"] == wind and unknown["model"] == "reportqa"
    chunks = [json.loads(f[5:]) for f in every.text.split("\n\n") if f.startswith("data: {")]
    assert {ch["model"] for ch in chunks} == {"*"}
    cited = next(ch["citations"] for ch in chunks if ch.get("citations"))
    assert {x["collection"] for x in cited} == {"sample", wind}
    assert "Cooperative" in done["choices"][0]["message"]["content"]
    assert {c["document"] for c in done["citations"]} == {WIND_FILE}
    assert all("/" not in c["source"] for c in done["citations"])
    star_answer = json.loads(
        next(f for f in star.text.split("\n\n") if f.startswith("event: answer")).split("data:", 1)[1]
    )
    assert {c["collection"] for c in star_answer["citations"]} == {"sample", wind}


def _yellow(png: bytes) -> int:
    """Pixels of the highlight's translucent yellow over white (server/pages.py)."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    return sum(1 for r, g, b in image.getdata() if r > 240 and 215 < g < 240 and b < 200)


@pytest.mark.integration
@pytest.mark.slow
def test_a_cited_pdf_page_is_rendered_with_its_passage_highlighted(two: str, wind_index: Path) -> None:
    wind = wind_index.name
    with httpx.Client(base_url=two, timeout=120) as c:
        answer = c.post("/api/v1/ask", json={"question": "Who runs the wind farm?", "collection": wind}).json()
        cited = answer["citations"][0]
        assert cited["page"] == 2 and cited["chunk_id"]
        assert cited["preview"].startswith(f"/api/v1/collections/{wind}/documents/")
        shown = c.get(cited["preview"])
        again = c.get(cited["preview"])
        plain = c.get(f"/api/v1/collections/{wind}/documents/{WIND_FILE}/pages/2.png")
        no_page = c.get(f"/api/v1/collections/{wind}/documents/{WIND_FILE}/pages/9.png")
        no_doc = c.get(f"/api/v1/collections/{wind}/documents/etc%2Fpasswd/pages/1.png")
        other = c.get(f"/api/v1/collections/{wind}/documents/{WIND_FILE}/pages/2.png?chunk=sample%230")
        md = c.get("/api/v1/collections/sample/documents/01-overview.ko.md/pages/1.png")
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/png"
    assert shown.content[:8] == b"\x89PNG\r\n\x1a\n" and again.content == shown.content
    assert len(shown.content) < 300_000
    assert _yellow(shown.content) > 2000 and _yellow(plain.content) == 0
    assert no_page.status_code == 404 and no_page.json()["error"]["code"] == "no_such_page"
    assert no_doc.status_code == 404 and no_doc.json()["error"]["code"] == "unknown_document"
    assert other.status_code == 404 and other.json()["error"]["code"] == "unknown_passage"
    assert md.status_code == 409 and md.json()["error"]["code"] == "not_a_pdf"


def test_star_with_one_collection_is_that_collection(sample_settings: Settings, sample_pipeline: Any) -> None:
    from server.api import AskRequest, ChatBackend
    from server.feedback import FeedbackStore

    backend = ChatBackend(sample_settings, sample_pipeline, FeedbackStore(sample_settings.feedback_db))
    body = backend.ask(AskRequest(question="보고서가 제시한 3대 추진 전략은?", collection="*"), "api")
    name = sample_settings.resolved_index_dir.name
    assert body["collection"] == name and {c["collection"] for c in body["citations"]} == {name}
