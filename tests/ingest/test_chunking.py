from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

from ingest.chunking import ChunkerConfig, chunk_document
from reportqa.language import split_sentences
from reportqa.types import Document

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chunking_helpers import headed_document, words

KO = (
    "경기도는 전기차 등록 대수가 전국에서 가장 많다. 완성차와 부품 기업이 모여 있다. "
    "대학과 기업 연구소도 많다. 그래서 인력 수급 여건이 좋다. 보고서는 3대 전략을 제시했다."
)


def test_korean_sentences_are_split_at_their_endings() -> None:
    spans = split_sentences(KO)
    sentences = [KO[s:e] for s, e in spans]
    assert sentences == [
        "경기도는 전기차 등록 대수가 전국에서 가장 많다.",
        "완성차와 부품 기업이 모여 있다.",
        "대학과 기업 연구소도 많다.",
        "그래서 인력 수급 여건이 좋다.",
        "보고서는 3대 전략을 제시했다.",
    ]


def test_english_abbreviations_and_decimals_do_not_end_sentences() -> None:
    text = "Growth was 3.5 percent in 2025. Dr. Kim led the study.\nA new line starts here"
    sentences = [text[s:e] for s, e in split_sentences(text)]
    assert sentences == [
        "Growth was 3.5 percent in 2025.",
        "Dr. Kim led the study.",
        "A new line starts here",
    ]


def test_chunks_respect_token_limit_offsets_and_overlap() -> None:
    doc = Document("d", "T", "/x", KO)
    # 24 words in sentences of 6, 5, 4, 5, 4: two chunks of 11 and 13 (balanced) and an
    # overlap of the first chunk's last sentence.
    chunks = chunk_document(
        doc, split_sentences, words, ChunkerConfig(max_tokens=20, overlap_tokens=6)
    )
    assert len(chunks) == 2
    for c in chunks:
        assert doc.text[c.start : c.end] == c.text
        assert words(c.text) <= 20
        assert c.sentences[0][0] == c.start and c.sentences[-1][1] == c.end
    # each chunk after the first starts with the previous chunk's last sentence (overlap)
    for prev, nxt in itertools.pairwise(chunks):
        assert nxt.sentences[0] in prev.sentences
        assert nxt.sentences[-1] not in prev.sentences
    covered = {s for c in chunks for s in c.sentences}
    assert covered == set(split_sentences(KO))


def test_no_overlap_when_disabled() -> None:
    doc = Document("d", "T", "/x", KO)
    chunks = chunk_document(
        doc, split_sentences, words, ChunkerConfig(max_tokens=12, overlap_tokens=0)
    )
    seen = [s for c in chunks for s in c.sentences]
    assert len(seen) == len(set(seen))


def test_chunks_never_cross_sections_and_keep_page_and_heading() -> None:
    text = "# 개요\n첫 문단이다.\n## 전략\n둘째 문단이다. 셋째 문장이다."
    doc = headed_document(text, "T", pages=(1, 2))
    chunks = chunk_document(
        doc, split_sentences, words, ChunkerConfig(max_tokens=100, overlap_tokens=10)
    )
    assert [(c.page, c.heading_path) for c in chunks] == [(1, ("개요",)), (2, ("개요", "전략"))]
    assert chunks[1].text.startswith("## 전략")
    assert chunks[1].location == "p. 2 · 개요 > 전략"


def test_a_sentence_longer_than_the_limit_is_cut_into_fitting_pieces() -> None:
    long_sentence = " ".join(f"단어{i}" for i in range(50)) + "."
    doc = Document("d", "T", "/x", long_sentence)
    chunks = chunk_document(
        doc, split_sentences, words, ChunkerConfig(max_tokens=8, overlap_tokens=0)
    )
    assert all(words(c.text) <= 8 for c in chunks)
    assert " ".join(c.text for c in chunks) == long_sentence
    assert len(chunks) <= 8 and all(words(c.text) >= 4 for c in chunks)


def test_empty_document_gives_no_chunks() -> None:
    assert chunk_document(Document("d", "T", "/x", ""), split_sentences, words) == []


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="overlap_tokens"):
        ChunkerConfig(max_tokens=10, overlap_tokens=10)


def test_a_section_holding_only_its_heading_makes_no_chunk() -> None:
    doc = headed_document("# 보고서\n## 전략\n전략은 셋이다.")
    chunks = chunk_document(
        doc, split_sentences, words, ChunkerConfig(max_tokens=50, overlap_tokens=0)
    )
    assert [c.text for c in chunks] == ["## 전략\n전략은 셋이다."]
    assert chunks[0].heading_path == ("보고서", "전략")
