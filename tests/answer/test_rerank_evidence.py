"""Evidence rescoring of the top passages (answer/rerank.py EvidenceReranker) and the label
features it uses (answer/labels.py label_named, item_named). Test text written for these tests."""

from __future__ import annotations

import numpy as np

from answer.labels import item_named, label_named
from answer.rerank import EvidenceReranker, answer_cosine, is_question_sentence
from reportqa.types import Chunk, Hit


def _chunk(i: int, sentences: list[str]) -> Chunk:
    text = "\n".join(sentences)
    spans, start = [], 0
    for s in sentences:
        spans.append((start, start + len(s)))
        start += len(s) + 1
    return Chunk(f"d#{i}", "d", "T", "/x", text, 0, len(text), sentences=tuple(spans))


def _hit(i: int, sentences: list[str], score: float, cosine: float = 0.85) -> Hit:
    return Hit(_chunk(i, sentences), score, {"dense": cosine, "bm25": 1.0, "fused": score})


def test_a_label_the_question_spells_out_counts_its_share() -> None:
    text = "- 고정 가능한 저장영역: 쓰기가 허용되는 영역.\n- 고정 불가능한 저장영역: 쓰기가 막힌 영역."
    share = label_named("고정 가능한 저장영역은 어떻게 정의돼?", text)
    assert 0.5 < share < 1.0  # "고정가능한저장영역" of "고정가능한저장영역은어떻게정의돼?"
    # The sibling holds the same words but not the same string.
    assert label_named("고정 가능한 저장영역은 어떻게 정의돼?", "- 고정 불가능한 저장영역: 쓰기가 막힌 영역.") == 0.0


def test_a_table_rows_label_parts_are_matched_one_by_one() -> None:
    row = "OS > Debian 12 64-bit — 파일: libfoo64.so; 비고: 없음"
    assert label_named("Debian 12 64-bit 환경에서는 어떤 파일을 써?", row) > 0.3
    assert label_named("어떤 파일을 써?", row) == 0.0
    assert label_named("", row) == 0.0
    # Two characters are too few to say the question names the label.
    assert label_named("OS는?", row) == 0.0


def test_a_numbered_item_the_question_names() -> None:
    rows = "No. | 이름\n11 — 이름: alpha\n12 — 이름: beta"
    assert item_named("목록 12번은 뭐야?", rows)
    assert not item_named("목록 13번은 뭐야?", rows)
    assert not item_named("목록의 마지막 항목은?", rows)
    assert item_named("8월 평일 시작 시간은?", "8월 — 평일: 19:00; 토요일: 18:00")
    assert item_named("제4조에 따르면?", "제4조: 보험금의 지급")
    # A number inside a longer label is no numbered item.
    assert not item_named("윈도우 11에서는?", "윈도우 11 64-bit — 파일: a.dll")


def test_question_sentences_do_not_count_as_the_answer() -> None:
    assert is_question_sentence("∎ 이 방식은 사용할 수 있는가?")
    assert not is_question_sentence("∎ 이 방식은 사용할 수 있다.")
    chunk = _chunk(0, ["질문", "∎ 이 방식은 사용할 수 있는가?", "∎ 기록은 5년 동안 보관한다."])
    assert answer_cosine(chunk, np.array([0.80, 0.95, 0.88]), 0.7) == 0.88
    only_questions = _chunk(1, ["무엇인가?", "언제인가?"])
    assert answer_cosine(only_questions, np.array([0.9, 0.9]), 0.7) == 0.7
    # Sentence vectors that do not line up with the sentences: the passage's own cosine.
    assert answer_cosine(chunk, np.array([0.9]), 0.7) == 0.7


def _reranker(cosines: dict[str, list[float]], candidates: int = 10) -> EvidenceReranker:
    return EvidenceReranker(lambda q, h: np.array(cosines[h.chunk.id]), candidates, (0.4, 0.1, 0.1, 0.1))


def test_an_answering_sibling_overtakes_a_near_tie_that_restates_the_question() -> None:
    faq = _hit(0, ["질문", "∎ 보관 기간은 얼마인가?"], 0.300)
    answer = _hit(1, ["∎ 기록은 5년 동안 보관한다."], 0.295)
    far = _hit(2, ["∎ 다른 이야기."], 0.100)
    cosines = {"d#0": [0.80, 0.95], "d#1": [0.92], "d#2": [0.80]}
    ranked = _reranker(cosines).rerank("보관 기간은 얼마야?", [faq, answer, far])
    assert [h.chunk.id for h in ranked] == ["d#1", "d#0", "d#2"]
    # The best candidate's score is unchanged; the others lose by their sentence gap only.
    assert ranked[0].score == answer.score
    assert ranked[1].score < faq.score


def test_a_clear_lead_is_kept() -> None:
    lead = _hit(0, ["∎ 기록은 5년 동안 보관한다."], 0.60)
    other = _hit(1, ["∎ 보관 장소는 본사이다."], 0.30)
    ranked = _reranker({"d#0": [0.88], "d#1": [0.93]}).rerank("보관 기간은?", [lead, other])
    assert [h.chunk.id for h in ranked] == ["d#0", "d#1"]


def test_only_the_first_candidates_are_rescored() -> None:
    hits = [_hit(i, [f"문장 {i}."], 0.5 - 0.01 * i) for i in range(4)]
    cosines = {f"d#{i}": [0.80 + 0.05 * i] for i in range(4)}
    ranked = _reranker(cosines, candidates=2).rerank("질문", hits)
    assert [h.chunk.id for h in ranked] == ["d#1", "d#0", "d#2", "d#3"]
    assert ranked[2] is hits[2] and ranked[3] is hits[3]
    assert _reranker(cosines).rerank("질문", hits[:1]) == hits[:1]


def _chain(**overrides: object) -> list[str]:
    """The retriever classes make_retriever chains (outermost first) for these settings."""
    from answer.retrieval import QueryEncoder, make_retriever
    from index.builder import build_index
    from ingest.chunking import ChunkerConfig
    from reportqa.settings import Settings
    from reportqa.types import Document
    from tests.answer.test_glossary_mined import HashEmbedder

    docs = [Document("a.md", "A", "/a.md", "보관 기간은 5년이다. 보관 장소는 본사이다.", meta={"content_hash": "a"})]
    index, _ = build_index(docs, HashEmbedder(), ChunkerConfig())
    settings = Settings.load(dict(overrides), env={})
    retriever = make_retriever(index, QueryEncoder(HashEmbedder()), settings)
    names = []
    node: object = retriever
    while node is not None:
        reranker = getattr(node, "reranker", None)
        names.append(type(reranker).__name__ if reranker is not None else type(node).__name__)
        node = getattr(node, "base", None)
    if not settings.reranker:  # a cross-encoder would load its model
        assert retriever.retrieve("보관 기간은?", 2)
    return names


def test_make_retriever_rescores_last_and_not_with_a_cross_encoder() -> None:
    assert _chain() == ["EvidenceReranker", "MmrRetriever", "LabelReranker", "HybridRetriever"]
    assert "EvidenceReranker" not in _chain(rescore_candidates=0)
    chain = _chain(reranker="some-local-model")
    assert "EvidenceReranker" not in chain and "CrossEncoderReranker" in chain


def test_the_chain_maps_chunk_rows_and_passage_languages_once() -> None:
    # MMR, rescoring and fusion's cross-lingual test share one chunk id -> row map and one
    # language per row (answer/retrieval.py ChunkRows, PassageLanguages).
    from answer.retrieval import HybridRetriever, MmrRetriever, QueryEncoder, make_retriever
    from index.builder import build_index
    from ingest.chunking import ChunkerConfig
    from reportqa.settings import Settings
    from reportqa.types import Document
    from tests.answer.test_glossary_mined import HashEmbedder

    docs = [Document("a.md", "A", "/a.md", "보관 기간은 5년이다. 보관 장소는 본사이다.", meta={"content_hash": "a"})]
    index, _ = build_index(docs, HashEmbedder(), ChunkerConfig())
    retriever = make_retriever(index, QueryEncoder(HashEmbedder()), Settings.load({}, env={}))
    stages: dict[type, object] = {}
    node: object = retriever
    while node is not None:
        stages[type(node)] = node
        reranker = getattr(node, "reranker", None)
        if reranker is not None:
            stages[type(reranker)] = reranker
        node = getattr(node, "base", None)
    hybrid, mmr = stages[HybridRetriever], stages[MmrRetriever]
    rescore = stages[EvidenceReranker]
    assert isinstance(hybrid, HybridRetriever) and isinstance(mmr, MmrRetriever)
    assert isinstance(rescore, EvidenceReranker)
    assert getattr(rescore.language_of, "__self__", None) is hybrid.languages
    assert mmr._rows is hybrid.languages.rows
    hit = retriever.retrieve("보관 기간은?", 1)[0]
    assert rescore.language_of(hit) == hybrid.languages(hybrid.languages.rows[hit.chunk.id]) == "ko"


def test_a_sentence_without_letters_is_no_evidence() -> None:
    from answer.rerank import evidence_mask, is_evidence_sentence

    assert not is_evidence_sentence(").")
    assert not is_evidence_sentence("2022. 8.")
    assert is_evidence_sentence("기록은 5년 동안 보관한다.")
    assert is_evidence_sentence("See Annex B.")
    chunk = _chunk(0, ["기록은 5년 동안 보관한다.", ")."])
    assert evidence_mask(chunk).tolist() == [True, False]
    # A stray piece does not lift its passage, however close its vector is to the question.
    assert answer_cosine(chunk, np.array([0.80, 0.95]), 0.7) == 0.80


def test_a_passage_defining_the_asked_term_or_abbreviation() -> None:
    from answer.rerank import defines_asked

    definition = _chunk(0, ["∎ 봉인 저장소는 제조 후 내용을 바꿀 수 없는 저장소이다.", "∘ 예시) 마스크 ROM"])
    usage = _chunk(1, ["∎ 봉인 저장소 사용이 가능한가?", "∎ 봉인 저장소는 설정값을 두는 데만 쓸 수 있다."])
    assert defines_asked("봉인 저장소란 어떤 저장소를 말해?", definition)
    assert not defines_asked("봉인 저장소란 어떤 저장소를 말해?", usage)
    expansion = _chunk(2, ["이 구현은 QRS(Quick Response Service)로 취급된다."])
    assert defines_asked("QRS는 무엇의 약자인가요?", expansion)
    assert not defines_asked("QRS는 무엇의 약자인가요?", usage)
    # Not a definition question: nothing to prefer.
    assert not defines_asked("봉인 저장소는 몇 년 쓸 수 있어?", definition)


def test_the_defining_sibling_overtakes_a_near_tie() -> None:
    faq = _hit(0, ["∎ 봉인 저장소 사용이 가능한가?", "∎ 봉인 저장소는 설정값을 두는 데만 쓸 수 있다."], 0.300)
    definition = _hit(1, ["∎ 봉인 저장소는 제조 후 내용을 바꿀 수 없는 저장소이다."], 0.280)
    cosines = {"d#0": [0.90, 0.91], "d#1": [0.91]}
    ranked = _reranker(cosines).rerank("봉인 저장소란 어떤 저장소를 말해?", [faq, definition])
    assert [h.chunk.id for h in ranked] == ["d#1", "d#0"]


def test_across_languages_the_answering_sentence_weighs_more() -> None:
    # An English question about Korean passages: the sentence gap decides at the cross weight.
    first = _hit(0, ["보관 기간은 본사 규정에 따른다."], 0.300)
    second = _hit(1, ["기록은 5년 동안 보관한다."], 0.290)
    cosines = {"d#0": [0.80], "d#1": [0.83]}
    question = "How long are the records kept?"
    same = EvidenceReranker(lambda q, h: np.array(cosines[h.chunk.id]), 10, (0.2, 0.1, 0.1, 0.1), 0.2)
    assert [h.chunk.id for h in same.rerank(question, [first, second])] == ["d#0", "d#1"]
    cross = EvidenceReranker(lambda q, h: np.array(cosines[h.chunk.id]), 10, (0.2, 0.1, 0.1, 0.1), 0.6)
    assert [h.chunk.id for h in cross.rerank(question, [first, second])] == ["d#1", "d#0"]
    # A Korean question about the same passages keeps the own-language weight.
    assert [h.chunk.id for h in cross.rerank("기록은 얼마 동안 보관해?", [first, second])] == ["d#0", "d#1"]
