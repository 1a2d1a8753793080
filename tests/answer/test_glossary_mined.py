"""Terms mined from the documents at ingest, stored with the index and used as a glossary."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from answer.glossary import Glossary, mined_terms
from answer.retrieval import Bm25Retriever, load_glossary
from index.builder import build_index
from index.store import ReportIndex, open_index, save_index
from ingest.chunking import ChunkerConfig
from reportqa.language import content_terms
from reportqa.settings import Settings
from reportqa.types import Document


class HashEmbedder:
    """A deterministic bag-of-words embedder (no model: these tests are about the terms)."""

    name = "hash-terms-test"
    dim = 16

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def _vec(self, text: str) -> np.ndarray:
        v = np.full(self.dim, 0.01, dtype=np.float32)
        for w in text.split():
            v[int(hashlib.md5(w.encode()).hexdigest(), 16) % self.dim] += 1
        return v / np.linalg.norm(v)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([self._vec(t) for t in texts], dtype=np.float32).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vec(text)


DOCS = [
    Document(
        "terms.md", "용어", "/terms.md",
        "용어 정의. 탬퍼 대응(tamper response)은 물리적 침입에 반응하는 기능이다. "
        "암호 경계(cryptographic boundary)는 모듈의 물리적 범위이다.",
        meta={"content_hash": "t1"},
    ),
    Document(
        "body.md", "본문", "/body.md",
        "덮개가 열리면 탬퍼 대응 기능이 모든 키를 즉시 지운다. 이 절차는 매년 점검한다.",
        meta={"content_hash": "t2"},
    ),
    Document(
        "other.md", "기타", "/other.md",
        "예산은 해마다 늘어난다. 인력 양성 과정은 두 학기 동안 운영된다.",
        meta={"content_hash": "t3"},
    ),
]


def _index() -> ReportIndex:
    index, _ = build_index(DOCS, HashEmbedder(), ChunkerConfig())
    return index


def test_the_index_keeps_each_documents_mined_terms() -> None:
    index = _index()
    by_doc = {d.id: d.meta.get("terms") for d in index.documents}
    assert by_doc["terms.md"] == [["탬퍼 대응", "tamper response"], ["암호 경계", "cryptographic boundary"]]
    assert by_doc["body.md"] is None and by_doc["other.md"] is None


def test_mined_terms_survive_saving_and_loading(tmp_path: Path) -> None:
    save_index(_index(), tmp_path / "idx")
    loaded = open_index(tmp_path / "idx", HashEmbedder.name)
    assert ("탬퍼 대응", "tamper response") in mined_terms(loaded.documents)


def test_the_glossary_translates_mined_terms_both_ways() -> None:
    glossary = Glossary()
    glossary.add_terms([("탬퍼 대응", "tamper response"), ("암호 경계", "cryptographic boundary")])
    assert glossary.korean_terms("What triggers the tamper response?") == list(content_terms("탬퍼 대응"))
    english = glossary.translate_korean("암호 경계는 어디까지인가요?")
    assert english == [[content_terms("cryptographic boundary")]]


def test_with_the_shipped_glossary_off_an_english_question_finds_the_korean_passage() -> None:
    index = _index()
    settings = Settings(bundled_glossary=False)
    glossary = load_glossary(settings, index)
    assert glossary is not None
    question = "What does the tamper response erase when the cover is opened?"
    rows, _ = Bm25Retriever(index, glossary).rank_translated(question, 5)
    found = {index.chunks[r].doc_id for r, _ in rows}
    # The passage that only writes the Korean term is found through the term glossed elsewhere.
    assert "body.md" in found and "other.md" not in found
    # Without the mined terms (and no shipped glossary) there is no translated route at all.
    assert load_glossary(settings) is None
    assert Bm25Retriever(index, None).rank_translated(question, 5) == ([], 0.0)


def test_mined_terms_fill_gaps_of_the_shipped_glossary() -> None:
    shipped = Glossary.parse("탬퍼\ttamper\n대응\tresponse\n", "shipped.tsv")
    shipped.add_terms(
        [("탬퍼 대응", "tamper response"), ("암호 경계", "cryptographic boundary")], fill_gaps=True
    )
    # "tamper response" is translated word for word already: the shipped entries keep it.
    assert ("tamper", "respons") not in shipped.entries
    assert shipped.korean_terms("cryptographic boundary") == list(content_terms("암호 경계"))
    # Without fill_gaps (or into an empty glossary) every pair is added.
    everything = Glossary()
    everything.add_terms([("탬퍼 대응", "tamper response")], fill_gaps=True)
    assert len(everything) == 1


def test_an_incremental_ingest_keeps_the_earlier_documents_terms(tmp_path: Path) -> None:
    from index.indexing import ingest_paths

    first, second = tmp_path / "terms.md", tmp_path / "body.md"
    first.write_text(DOCS[0].text, encoding="utf-8")
    second.write_text(DOCS[1].text, encoding="utf-8")
    settings = Settings(home=tmp_path / "home", index_dir=tmp_path / "idx")
    ingest_paths([first], settings, embedder=HashEmbedder())
    ingest_paths([second], settings, embedder=HashEmbedder())
    index = open_index(tmp_path / "idx", HashEmbedder.name)
    assert {d.id for d in index.documents} == {"terms.md", "body.md"}
    assert ("탬퍼 대응", "tamper response") in mined_terms(index.documents)
    glossary = load_glossary(Settings(bundled_glossary=False), index)
    assert glossary is not None and glossary.korean_terms("tamper response") == list(content_terms("탬퍼 대응"))
