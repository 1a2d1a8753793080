"""Retrievers over a ReportIndex: dense (FAISS), BM25 (Kiwi) and their weighted fusion."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from threading import Lock

import numpy as np

from answer.crosslingual import (
    LANGUAGE_VOTES,
    best_sentence_rows,
    dense_first,
    passages_language,
    vote_language,
)
from answer.fusion import (
    confidence_fusion,
    lexical_confidence,
    passage_cosine,
    phrase_matches,
    score_fusion,
    weighted_rrf,
)
from answer.glossary import Glossary, mined_terms
from answer.labels import LabelReranker
from answer.lexicon import with_induced_lexicon
from answer.rerank import CrossEncoderReranker, EvidenceReranker, evidence_mask, mmr_select
from answer.tuning import OWN_CONFIDENT, PHRASE_MIN_CHARS, PHRASE_WEIGHT
from index.builder import passage_text
from index.store import ReportIndex
from reportqa.language import detect_language
from reportqa.protocols import Embedder, Reranker, Retriever
from reportqa.settings import BUNDLED_GLOSSARY, Settings
from reportqa.types import Hit

# Constructor defaults are the app's defaults (Settings' fields; reading no environment), so a
# retriever built by hand behaves as the one make_retriever builds.
_D = Settings()


class QueryEncoder:
    """Embeds questions once: a small LRU cache in front of ``embedder.embed_query``."""

    def __init__(self, embedder: Embedder, size: int = 256) -> None:
        self.embedder = embedder
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def __call__(self, question: str) -> np.ndarray:
        with self._lock:
            if question in self._cache:
                self._cache.move_to_end(question)
                return self._cache[question]
        vector = self.embedder.embed_query(question)
        with self._lock:
            self._cache[question] = vector
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return vector


class DenseRetriever:
    """Cosine similarity of the question's vector to every passage (exact FAISS search)."""

    name = "dense"

    def __init__(self, index: ReportIndex, encode: QueryEncoder) -> None:
        self.index = index
        self.encode = encode

    def rank(self, question: str, k: int) -> list[tuple[int, float]]:
        return self.index.vectors.search(self.encode(question), k)

    def retrieve(self, question: str, k: int) -> list[Hit]:
        return [
            Hit(self.index.chunks[row], score, {"dense": score})
            for row, score in self.rank(question, k)
        ]


def glossary_groups(glossary: Glossary | None, question: str) -> list[list[tuple[str, ...]]]:
    """The glossary translation of ``question``: Korean index terms for an English question
    (:meth:`Glossary.translate`), English ones for a Korean question
    (:meth:`Glossary.translate_korean`); [] without a glossary."""
    if glossary is None or not len(glossary):
        return []
    if detect_language(question) == "en":
        return glossary.translate(question)
    return glossary.translate_korean(question)


def _flatten(groups: list[list[tuple[str, ...]]]) -> list[str]:
    return list(dict.fromkeys(t for group in groups for alt in group for t in alt))


class Bm25Retriever:
    """BM25 over Kiwi morphemes; a question also searches with its glossary terms (Korean ones
    for an English question, English ones for a Korean question).

    ``unseen_weight``: the part of a question term no passage contains in BM25's ceiling, which
    measures how sure BM25 is (:meth:`KiwiBm25Index.ceiling_groups`)."""

    name = "bm25"

    def __init__(
        self,
        index: ReportIndex,
        glossary: Glossary | None = None,
        unseen_weight: float = _D.fusion_unseen_weight,
    ) -> None:
        self.index = index
        self.glossary = glossary
        self.unseen_weight = unseen_weight

    def ceiling(self, question: str) -> float:
        """The BM25 score a passage matching every term of ``question`` would reach."""
        return self.index.keyword.ceiling(question, self.unseen_weight)

    def rank(self, question: str, k: int) -> list[tuple[int, float]]:
        own = self.index.keyword.search(question, k)
        translated, ceiling = self.rank_translated(question, k)
        if not translated:
            return own
        # Without a dense ranking to say which language answers, the question's own words lead
        # (their best match scores 1) and the translation fills in as far as they were unsure.
        confidence, _ = lexical_confidence(dict(own), self.ceiling(question))
        best = own[0][1] if own else 1.0
        scored = {row: score / best for row, score in own}
        _, scored_tr = lexical_confidence(dict(translated), ceiling)
        for row, value in scored_tr.items():
            scored[row] = max(scored.get(row, 0.0), value * (1.0 - confidence))
        return sorted(scored.items(), key=lambda rs: -rs[1])[:k]

    def rank_translated(self, question: str, k: int) -> tuple[list[tuple[int, float]], float]:
        """BM25 with the glossary terms alone, and their ceiling; ([], 0) when there are none."""
        groups = glossary_groups(self.glossary, question)
        if not groups:
            return [], 0.0
        keyword = self.index.keyword
        return keyword.search_terms(_flatten(groups), k), keyword.ceiling_groups(groups, self.unseen_weight)

    def retrieve(self, question: str, k: int) -> list[Hit]:
        return [
            Hit(self.index.chunks[row], score, {"bm25": score})
            for row, score in self.rank(question, k)
        ]


class ChunkRows:
    """The row of each chunk id of ``index``, mapped on first use (a scan of every chunk) and
    then kept; one map can serve every stage of a retrieval chain over the same index."""

    def __init__(self, index: ReportIndex) -> None:
        self.index = index
        self._rows: dict[str, int] | None = None

    def _map(self) -> dict[str, int]:
        if self._rows is None:  # built whole, then published: a reader never sees half of it
            self._rows = {c.id: i for i, c in enumerate(self.index.chunks)}
        return self._rows

    def get(self, chunk_id: str) -> int | None:
        """The row of ``chunk_id``, or None for a chunk not in the index."""
        return self._map().get(chunk_id)

    def __getitem__(self, chunk_id: str) -> int:
        return self._map()[chunk_id]


class PassageLanguages:
    """The language of each row's passage (:func:`detect_language`), detected once per row and
    kept; shared by the stages of a chain that ask (fusion's cross-lingual test, rescoring)."""

    def __init__(self, index: ReportIndex, rows: ChunkRows | None = None) -> None:
        self.index = index
        self.rows = rows if rows is not None else ChunkRows(index)
        self._languages: dict[int, str] = {}
        self._votes: dict[int, str] = {}

    def __call__(self, row: int) -> str:
        if row not in self._languages:
            self._languages[row] = detect_language(self.index.chunks[row].text)
        return self._languages[row]

    def vote(self, row: int) -> str:
        """The row's vote in the cross-lingual test (:func:`vote_language`), kept like its
        language."""
        if row not in self._votes:
            self._votes[row] = vote_language(self.index.chunks[row])
        return self._votes[row]

    def of_hit(self, hit: Hit) -> str:
        """The language of ``hit``'s passage (by its row; detected afresh for a chunk the index
        does not hold)."""
        row = self.rows.get(hit.chunk.id)
        return self(row) if row is not None else detect_language(hit.chunk.text)


class HybridRetriever:
    """Dense and BM25 rankings over ``candidates`` each, fused (by default: confidence fusion).

    Every hit carries both retrievers' scores when known (the dense cosine of a BM25-only hit is
    computed from its stored vector), since the answer step uses the cosine to decide relevance.
    With ``sentence_share`` > 0, confidence fusion sees each candidate's cosine mixed with its
    best stored sentence's (:func:`passage_cosine`); the hit keeps the passage's own cosine.
    With ``phrase_weight`` > 0 a candidate holding one of the question's compound nouns verbatim
    gains in BM25 (:func:`phrase_matches`), whatever way Kiwi split the compound there.
    ``languages``: the passages' languages (:class:`PassageLanguages`), when the chain shares them.
    """

    name = "hybrid"

    def __init__(
        self,
        dense: DenseRetriever,
        bm25: Bm25Retriever,
        dense_weight: float = _D.dense_weight,
        bm25_weight: float = _D.bm25_weight,
        rrf_k: int = _D.rrf_k,
        candidates: int = _D.candidates,
        fusion: str = _D.fusion,
        confidence: tuple[float, float, float, float] = (
            _D.fusion_bm25_share, _D.fusion_cos_floor, _D.fusion_cos_span, _D.fusion_power
        ),
        glossary_weight: float = _D.glossary_weight,
        glossary_weight_own: float = _D.glossary_weight_own,
        sentence_share: float = _D.fusion_sentence_share,
        own_confident: float = OWN_CONFIDENT,
        cross_bm25_share: float = _D.fusion_cross_bm25_share,
        cross_sentence_candidates: int = _D.cross_sentence_candidates,
        cross_sentence_share: float = _D.fusion_cross_sentence_share,
        language_votes: int = LANGUAGE_VOTES,
        cross_coverage: tuple[float, float] = (_D.cross_coverage_low, _D.cross_coverage_high),
        cross_coverage_en: tuple[float, float] = (_D.cross_coverage_low_en, _D.cross_coverage_high_en),
        phrase_weight: float = PHRASE_WEIGHT,
        languages: PassageLanguages | None = None,
    ) -> None:
        self.dense = dense
        self.bm25 = bm25
        self.weights = {"dense": dense_weight, "bm25": bm25_weight}
        self.rrf_k = rrf_k
        self.candidates = candidates
        self.fusion = fusion
        self.confidence = confidence  # bm25 share, cos floor, cos span, power
        self.glossary_weight = glossary_weight
        self.glossary_weight_own = glossary_weight_own
        self.sentence_share = sentence_share
        self.own_confident = own_confident
        self.cross_bm25_share = cross_bm25_share
        self.cross_sentence_candidates = cross_sentence_candidates
        self.cross_sentence_share = cross_sentence_share
        self.language_votes = language_votes
        self.cross_coverage = cross_coverage  # translation coverage: dense first below, as usual above
        self.cross_coverage_en = cross_coverage_en  # the same for English questions (content words)
        self.phrase_weight = phrase_weight
        self.languages = languages if languages is not None else PassageLanguages(dense.index)
        self._squashed: dict[int, str] = {}
        self._evidence: dict[int, np.ndarray] = {}

    def _evidence_cosines(self, row: int, qvec: np.ndarray) -> np.ndarray:
        """The cosines to ``qvec`` of the row's stored sentences that can be evidence
        (:func:`evidence_mask`: a ")." left by a PDF is close to every question)."""
        cosines = self.dense.index.sentence_vectors_of(row) @ qvec
        if row not in self._evidence:
            self._evidence[row] = evidence_mask(self.dense.index.chunks[row])
        mask = self._evidence[row]
        return cosines[mask] if len(mask) == len(cosines) else cosines

    def _squashed_text(self, row: int) -> str:
        if row not in self._squashed:
            self._squashed[row] = "".join(passage_text(self.dense.index.chunks[row]).lower().split())
        return self._squashed[row]

    def _with_phrases(
        self, question: str, dense: list[tuple[int, float]], bm25: list[tuple[int, float]]
    ) -> tuple[list[tuple[int, float]], float]:
        """BM25 of the dense and BM25 candidates with the question's compound nouns matched
        verbatim (:func:`phrase_matches`), and the part those add to BM25's ceiling."""
        keyword = self.bm25.index.keyword
        phrases = keyword.phrases(question, PHRASE_MIN_CHARS) if self.phrase_weight > 0 else []
        if not phrases:
            return bm25, 0.0
        rows = dict.fromkeys([row for row, _ in [*dense, *bm25]])
        texts = {row: self._squashed_text(row) for row in rows}
        scale = self.phrase_weight * (keyword.params[0] + 1)
        scores, ceiling = phrase_matches(dict(bm25), texts, phrases, scale)
        return sorted(scores.items(), key=lambda rs: -rs[1]), ceiling

    def is_cross_lingual(
        self, question: str, dense: list[tuple[int, float]], language: str | None = None
    ) -> bool:
        """Whether most of the best dense matches are in another language than the question
        (:func:`passages_language`, each passage's vote by :func:`vote_language`): an English
        question about a Korean report, even when an English passage of some other document is
        the single best match. ``language``: the
        question's, when the caller has it (:func:`detect_language`)."""
        language = language or detect_language(question)
        votes = passages_language(question, dense, self.languages.vote, self.language_votes)
        return bool(dense) and votes != language

    def _own_words_answer(
        self, cross_lingual: bool, dense: list[tuple[int, float]], bm25: list[tuple[int, float]],
        ceiling: float, power: float,
    ) -> bool:
        """Whether the question's own words answer it (so its translation only helps): the best
        dense matches are in its language (not ``cross_lingual``, :meth:`is_cross_lingual`) and
        its own BM25 is sure (:data:`OWN_CONFIDENT`)."""
        if not dense or cross_lingual:
            return False
        confidence, _ = lexical_confidence(dict(bm25), ceiling, power)
        return confidence >= self.own_confident

    def retrieve(self, question: str, k: int) -> list[Hit]:
        n = max(k, self.candidates)
        dense = self.dense.rank(question, n)
        bm25, phrase_ceiling = self._with_phrases(
            question, dense, self.bm25.index.keyword.search(question, n)
        )
        translated, translated_ceiling = self.bm25.rank_translated(question, n)
        index = self.dense.index
        qvec = self.dense.encode(question)
        # 0: fused as usual; 1: dense first (a cross-lingual question its translation hardly covers).
        lean = 0.0
        language = detect_language(question)
        cross_lingual = self.is_cross_lingual(question, dense, language)
        if cross_lingual:
            glossary = self.bm25.glossary
            coverage = glossary.coverage(question) if glossary is not None and len(glossary) else 0.0
            band = self.cross_coverage_en if language == "en" else self.cross_coverage
            lean = dense_first(coverage, *band)
        sentence_rows: list[tuple[int, float]] = []
        if lean > 0 and self.cross_sentence_candidates > 0:
            # The answering sentence of a passage the question's words miss can still be close.
            sentence_rows = best_sentence_rows(
                getattr(index, "sentence_vectors", np.zeros((0, 1))),
                getattr(index, "sentence_offsets", np.zeros(1)),
                qvec, self.cross_sentence_candidates,
            )
        # Every candidate gets its exact cosine (also those only BM25 found): fusion and the
        # relevance gate downstream both use it.
        cosines = dict(dense)
        for row, _ in [*bm25, *translated, *sentence_rows]:
            if row not in cosines:
                cosines[row] = float(index.vectors.reconstruct(row) @ qvec)
        bm25_scores = dict(bm25)
        for row, score in translated:
            bm25_scores[row] = max(score, bm25_scores.get(row, 0.0))
        if self.fusion == "confidence":
            share, floor, span, power = self.confidence
            # The question's own words match only the other language's stray terms (a keyword
            # line, a reference list), and a partial translation whatever mentions its one term.
            share += (self.cross_bm25_share - share) * lean
            extra = [(dict(translated), translated_ceiling)] if translated else []
            ceiling = self.bm25.ceiling(question) + phrase_ceiling
            weight = self.glossary_weight
            if translated and self._own_words_answer(cross_lingual, dense, bm25, ceiling, power):
                weight = self.glossary_weight_own
            evidence = cosines
            sentence_share = self.sentence_share + (self.cross_sentence_share - self.sentence_share) * lean
            if sentence_share > 0:
                evidence = {
                    row: passage_cosine(cos, self._evidence_cosines(row, qvec), sentence_share)
                    for row, cos in cosines.items()
                }
            fused = confidence_fusion(
                evidence, dict(bm25), ceiling, share, floor, span, power, extra, weight
            )[:k]
        elif self.fusion == "score":
            share = self.weights["bm25"] / ((self.weights["bm25"] + self.weights["dense"]) or 1.0)
            fused = score_fusion(dict(dense), bm25_scores, share)[:k]
        else:
            rankings = {"dense": dense, "bm25": sorted(bm25_scores.items(), key=lambda rs: -rs[1])}
            fused = weighted_rrf(rankings, self.weights, self.rrf_k)[:k]
        return [
            Hit(index.chunks[row], score, {"dense": cosines[row], "bm25": bm25_scores.get(row, 0.0), "fused": score})
            for row, score in fused
        ]


class RerankingRetriever:
    """Retrieves ``candidates`` passages with ``base`` and reorders them with ``reranker``."""

    def __init__(self, base: Retriever, reranker: Reranker, candidates: int = 20) -> None:
        self.base = base
        self.reranker = reranker
        self.candidates = candidates

    def retrieve(self, question: str, k: int) -> list[Hit]:
        hits = self.base.retrieve(question, max(k, self.candidates))
        return self.reranker.rerank(question, hits)[:k]


class MmrRetriever:
    """Drops near-identical passages and, with ``lambda_ < 1``, trades relevance for novelty.

    ``rows``: the index's chunk rows (:class:`ChunkRows`), when the chain already maps them."""

    def __init__(
        self, base: Retriever, index: ReportIndex, lambda_: float = 1.0, duplicate: float = 0.97,
        rows: ChunkRows | None = None,
    ) -> None:
        self.base = base
        self.index = index
        self.lambda_ = lambda_
        self.duplicate = duplicate
        self._rows = rows if rows is not None else ChunkRows(index)

    def retrieve(self, question: str, k: int) -> list[Hit]:
        hits = self.base.retrieve(question, k * 2)
        if len(hits) <= 1:
            return hits[:k]
        vectors = np.vstack([self.index.vectors.reconstruct(self._rows[h.chunk.id]) for h in hits])
        scores = [h.score for h in hits]
        lo, hi = min(scores), max(scores)
        relevance = [(s - lo) / (hi - lo) if hi > lo else 1.0 for s in scores]
        return [hits[i] for i in mmr_select(relevance, vectors, k, self.lambda_, self.duplicate)]


_UNSET = Glossary()


def sentence_cosines(
    index: ReportIndex, encode: QueryEncoder, rows: ChunkRows | None = None
) -> Callable[[str, Hit], np.ndarray]:
    """``(question, hit) ->`` the cosines of the hit's stored sentence vectors to the question
    (empty for an index without them), for :class:`EvidenceReranker`. ``rows``: as for
    :class:`MmrRetriever`."""
    rows = rows if rows is not None else ChunkRows(index)

    def cosines(question: str, hit: Hit) -> np.ndarray:
        row = rows.get(hit.chunk.id)
        if row is None or not hasattr(index, "sentence_vectors_of"):
            return np.zeros(0, dtype=np.float32)
        return np.asarray(index.sentence_vectors_of(row) @ encode(question), dtype=np.float32)

    return cosines


def make_retriever(
    index: ReportIndex,
    encode: QueryEncoder,
    settings: Settings,
    glossary: Glossary | None = _UNSET,
    rows: ChunkRows | None = None,
) -> Retriever:
    """The retrieval chain ``settings`` ask for: base mode, label reranking, the cross-encoder
    if one is configured, MMR, then evidence rescoring (without a cross-encoder).

    ``glossary``: for cross-lingual questions; by default the one ``settings`` name. ``rows``:
    the index's chunk id -> row map, when the caller keeps one (else the chain makes its own)."""
    dense = DenseRetriever(index, encode)
    rows = rows if rows is not None else ChunkRows(index)  # one map, and one language per row
    languages = PassageLanguages(index, rows)
    if glossary is _UNSET:
        glossary = with_induced_lexicon(load_glossary(settings, index), index, encode, encode.embedder, settings)
    retriever: Retriever
    if settings.retrieval_mode == "dense":
        retriever = dense
    elif settings.retrieval_mode == "bm25":
        retriever = Bm25Retriever(index, glossary, settings.fusion_unseen_weight)
    else:
        retriever = HybridRetriever(
            dense,
            Bm25Retriever(index, glossary, settings.fusion_unseen_weight),
            settings.dense_weight,
            settings.bm25_weight,
            settings.rrf_k,
            settings.candidates,
            settings.fusion,
            (settings.fusion_bm25_share, settings.fusion_cos_floor, settings.fusion_cos_span, settings.fusion_power),
            settings.glossary_weight,
            settings.glossary_weight_own,
            settings.fusion_sentence_share,
            cross_bm25_share=settings.fusion_cross_bm25_share,
            cross_sentence_candidates=settings.cross_sentence_candidates,
            cross_sentence_share=settings.fusion_cross_sentence_share,
            cross_coverage=(settings.cross_coverage_low, settings.cross_coverage_high),
            cross_coverage_en=(settings.cross_coverage_low_en, settings.cross_coverage_high_en),
            languages=languages,
        )
    if settings.label_boost > 0:
        labelled = LabelReranker(index.keyword.idf, settings.label_boost, settings.label_min_match)
        retriever = RerankingRetriever(retriever, labelled, settings.label_candidates)
    if settings.reranker:
        retriever = RerankingRetriever(retriever, CrossEncoderReranker(settings.reranker), settings.rerank_candidates)
    if settings.mmr_lambda < 1.0 or settings.mmr_duplicate < 1.0:
        retriever = MmrRetriever(retriever, index, settings.mmr_lambda, settings.mmr_duplicate, rows)
    if settings.rescore_candidates > 0 and not settings.reranker:
        # After MMR: near-identical passages (a page printed twice) are gone, so rescoring cannot
        # put the copy MMR would have dropped above the one it keeps.
        rescore = EvidenceReranker(
            sentence_cosines(index, encode, rows), settings.rescore_candidates, language_of=languages.of_hit
        )
        retriever = RerankingRetriever(retriever, rescore, settings.rescore_candidates)
    return retriever


def load_glossary(settings: Settings, index: ReportIndex | None = None) -> Glossary | None:
    """The bundled glossary (unless turned off) merged with ``settings.glossary`` and the terms
    mined from ``index``'s documents at ingest (those the files do not already translate);
    None if there is none of them."""
    paths = [BUNDLED_GLOSSARY] if settings.bundled_glossary else []
    if settings.glossary is not None:
        paths.append(settings.glossary)
    glossary = Glossary.load(paths)
    if index is not None:
        glossary.add_terms(mined_terms(index.documents), fill_gaps=True)
    return glossary if len(glossary) else None
