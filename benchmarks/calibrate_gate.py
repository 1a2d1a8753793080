"""Calibrate the relevance gate on questions nobody here wrote, answerable and not.

Three sources, each asked twice where it can be:

- **KorQuAD** (held-out tuning questions, ``korquad_data.tuning_questions``): asked of the index
  with their article (answerable) and without it (unanswerable and on topic: the other 139
  articles are Wikipedia too) — "without" drops the article's passages from the candidates
  retrieved over the whole index, which keeps its words' idf in BM25 (a close approximation);
- **real documents** (``data/eval/realdocs.jsonl``, tuning rows only): their answerable and
  unanswerable questions on the index of ``../shared/realdocs`` (build it with
  ``benchmarks/realdocs.py --index DIR``);
- **the sample sets** (``data/eval/sample.jsonl`` on the bundled sample index).

It prints, for a grid of gate settings, the share of unanswerable questions refused against the
share of answerable ones wrongly refused, per source, and the best point that keeps wrongly refused
answerable questions at or under ``--max-wrong`` on every source.

    python benchmarks/calibrate_gate.py [--korquad-index DIR] [--realdocs-index DIR]
                                        [--questions 600] [--features OUT.jsonl]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from korquad_data import (
    BENCHMARK_SEED,
    DEFAULT_PATH,
    load_articles,
    sample_questions,
    tuning_questions,
)

from answer.gate import (
    GateFeatures,
    answer_probability,
    asked_kind,
    judge,
    lacks_asked_value,
    model_inputs,
)
from answer.pipeline import QAPipeline
from evaluation.datasets import load_eval_set
from evaluation.realdocs import load_questions
from index.indexing import ensure_index
from reportqa.errors import IndexNotFoundError
from reportqa.settings import REPO_ROOT, Settings

CANDIDATES = 30


@dataclass(frozen=True)
class Row:
    source: str
    id: str
    answerable: bool
    features: GateFeatures


def _features(pipeline: QAPipeline, question: str, exclude_doc: str | None = None) -> GateFeatures | None:
    hits = pipeline.retrieve(question, CANDIDATES)
    if exclude_doc is not None:
        hits = [h for h in hits if h.chunk.doc_id != exclude_doc]
    hits = hits[: pipeline.settings.top_k]
    return pipeline.gate_features(question, hits) if hits else None


def korquad_rows(settings: Settings, index_dir: Path, n: int, held_out: int = 0) -> list[Row]:
    """Tuning questions (source ``korquad``) and, with ``held_out``, that many of the benchmark's
    own questions (``korquad-heldout``), each with and without its article."""
    pipeline = QAPipeline(settings.replace(index_dir=index_dir))
    articles = load_articles(DEFAULT_PATH)
    batches = [("korquad", tuning_questions(articles, n))]
    if held_out:
        batches.append(("korquad-heldout", sample_questions(articles, held_out, BENCHMARK_SEED)))
    rows = []
    for source, questions in batches:
        for q in questions:
            with_article = _features(pipeline, q["question"])
            without = _features(pipeline, q["question"], exclude_doc=q["doc_id"])
            if with_article is not None:
                rows.append(Row(source, q["id"], True, with_article))
            if without is not None:
                rows.append(Row(f"{source}-without-article", q["id"], False, without))
    return rows


def kind_rows(settings: Settings, index_dir: Path, n: int) -> list[Row]:
    """Every KorQuAD dev question outside the benchmark's 1,000 and the first ``n`` tuning ones
    that asks for a kind of value (``asked_kind``), with and without its article (source
    ``korquad-kinds``): scored in the answer-type evidence table, not fitted."""
    pipeline = QAPipeline(settings.replace(index_dir=index_dir))
    articles = load_articles(DEFAULT_PATH)
    skip = {q["id"] for q in sample_questions(articles, 1000, BENCHMARK_SEED)}
    skip |= {q["id"] for q in tuning_questions(articles, n)}
    rows = []
    for q in sample_questions(articles, 10**9, BENCHMARK_SEED):
        if q["id"] in skip or asked_kind(q["question"]) is None:
            continue
        with_article = _features(pipeline, q["question"])
        without = _features(pipeline, q["question"], exclude_doc=q["doc_id"])
        if with_article is not None:
            rows.append(Row("korquad-kinds", q["id"], True, with_article))
        if without is not None:
            rows.append(Row("korquad-kinds-without-article", q["id"], False, without))
    return rows


# Realdocs batches written after session 7's gate work: their tuning rows are scored on their own
# (source ``realdocs-tune-<batch>``) and not fitted, the honest check of whether a change made on
# the older tuning rows generalizes.
CHECK_BATCHES = ("s8", "s9")


def realdocs_rows(settings: Settings, index_dir: Path) -> list[Row]:
    """The realdocs rows: tuning (``realdocs-tune``; ``realdocs-tune-s8`` … for
    :data:`CHECK_BATCHES`) and held-out (``realdocs-heldout``)."""
    path = REPO_ROOT / "data" / "eval" / "realdocs.jsonl"
    batch = {
        str(o["id"]): str(o.get("batch") or "")
        for o in map(json.loads, filter(str.strip, path.read_text(encoding="utf-8").splitlines()))
    }
    pipeline = QAPipeline(settings.replace(index_dir=index_dir))
    rows = []
    for q in load_questions(path):
        f = _features(pipeline, q.question)
        if f is not None:
            source = "realdocs-tune" if q.split == "tune" else "realdocs-heldout"
            if q.split == "tune" and batch.get(q.id) in CHECK_BATCHES:
                source = f"realdocs-tune-{batch[q.id]}"
            rows.append(Row(source, q.id, q.answerable, f))
    return rows


def sample_rows(settings: Settings) -> list[Row]:
    ensure_index(settings)
    pipeline = QAPipeline(settings)
    rows = []
    for name in ("sample.jsonl", "crosslingual.jsonl"):
        for item in load_eval_set(REPO_ROOT / "data" / "eval" / name):
            f = _features(pipeline, item.question)
            if f is not None:
                rows.append(Row(f"sample:{name.split('.')[0]}", item.id, item.answerable, f))
    return rows


# Off-topic questions (ours; none of them is about the sample report or the real documents),
# asked of the sample and realdocs indexes: the KorQuAD and realdocs unanswerable rows are all on
# topic, and without these the fit learned that words no passage holds mean a chatty, answerable
# question ("오늘 서울 날씨는 어때?" was answered).
OFF_TOPIC = (
    "내일 부산 날씨 알려줘", "주말에 비 온대?", "점심 메뉴 추천해줘", "된장찌개 끓이는 법 알려줘",
    "파스타 면 삶는 시간은?", "서울에서 제주도 가는 비행기 표 얼마야?", "요즘 볼 만한 영화 뭐 있어?",
    "손흥민 이번 시즌 골 몇 개야?", "BTS 멤버 이름 알려줘", "아이폰 배터리 오래 쓰는 법",
    "파이썬에서 리스트 정렬하는 방법은?", "다이어트에 좋은 운동 추천해 줘", "강아지 예방접종 시기는 언제야?",
    "고양이가 밥을 안 먹어요", "피아노 독학 방법 알려줘", "로마는 언제 건국됐어?",
    "달까지 거리는 몇 km야?", "감기 빨리 낫는 법", "커피 하루에 몇 잔까지 괜찮아?",
    "이번 주 로또 번호 알려줘", "제일 높은 산은 어디야?", "연말정산 서류는 언제까지 내?",
    "What's the weather like in Seoul tomorrow?", "Recommend a good pasta recipe",
    "How many goals did Messi score in 2012?", "What is the capital of Australia?",
    "How do I reverse a list in Python?", "Best exercises to lose belly fat?",
    "When was the Eiffel Tower built?", "How far is the Moon from Earth?",
    "Who wrote Pride and Prejudice?", "How do I train my puppy to sit?",
    "What time does the sun set today?", "Suggest a movie for tonight",
    "How much caffeine is in an espresso?", "What are the rules of chess castling?",
)


def off_topic_rows(settings: Settings, index_dir: Path, label: str) -> list[Row]:
    """:data:`OFF_TOPIC` asked of one index (unanswerable, source ``offtopic:<label>``)."""
    pipeline = QAPipeline(settings.replace(index_dir=index_dir))
    rows = []
    for i, question in enumerate(OFF_TOPIC):
        f = _features(pipeline, question)
        if f is not None:
            rows.append(Row(f"offtopic:{label}", f"off-{i:02d}", False, f))
    return rows


GRID = {
    "min_score_ko": [0.82, 0.83, 0.84, 0.85, 0.86, 0.87],
    "min_score_en": [0.80, 0.808, 0.82, 0.83],
    "min_score_with_terms": [0.80, 0.81, 0.82],
    "min_term_coverage": [0.3, 0.4, 0.5, 0.6, 0.7],
    "min_score_typed_override": [0.0, 0.86, 0.88, 1.01],
}
# What the logistic gate is fitted on; the held-out sources are only scored.
TUNING_SOURCES = (
    "korquad", "realdocs-tune", "sample:sample", "sample:crosslingual", "offtopic:sample",
    "offtopic:realdocs",
)
HELD_OUT_SOURCES = ("korquad-heldout", "realdocs-heldout")
# L2 penalty of the fit (no penalty on the bias): 1e-3 and 1e-2 gave the same tuning curve.
L2 = 1e-3
FOLDS = 5
THRESHOLDS = [round(0.01 * i, 2) for i in range(1, 61)]
# Each answerable KorQuAD question refused costs the README's containment: the former gate refused
# 0.003 of the tuning questions, so one more in 600 is allowed. With the thresholds rule deciding
# between 0.1 and gate_sure_probability 0.2 (the highest sure point whose threshold keeps these
# limits: at 0.3 the rule wrongly refuses 0.086 of the cross-lingual set), the point is 0.1.
MAX_WRONG_KORQUAD = 0.005


def base_source(source: str) -> str:
    return source.replace("-without-article", "")


def rates(rows: Sequence[Row], decide: Callable[[GateFeatures], bool]) -> dict[str, tuple[float, float, int, int]]:
    """Per source: (unanswerable refused, answerable refused, n unanswerable, n answerable)."""
    out: dict[str, tuple[float, float, int, int]] = {}
    for source in sorted({base_source(r.source) for r in rows}):
        mine = [r for r in rows if base_source(r.source) == source]
        un = [r for r in mine if not r.answerable]
        an = [r for r in mine if r.answerable]
        refused_un = sum(not decide(r.features) for r in un) / len(un) if un else float("nan")
        refused_an = sum(not decide(r.features) for r in an) / len(an) if an else float("nan")
        out[source] = (refused_un, refused_an, len(un), len(an))
    return out


def grid_points(base: Settings) -> Iterable[Settings]:
    keys = list(GRID)
    for values in itertools.product(*(GRID[k] for k in keys)):
        yield base.replace(gate="thresholds", **dict(zip(keys, values, strict=True)))


def fit_logistic(rows: Sequence[Row], l2: float = L2) -> tuple[dict[str, float], float]:
    """Weights and bias of a logistic model of "answerable" (Newton's method), each source and
    class weighted equally so that 600 KorQuAD rows do not drown 14 realdocs ones."""
    names = list(model_inputs(rows[0].features))
    x = np.array([[model_inputs(r.features)[n] for n in names] + [1.0] for r in rows])
    y = np.array([float(r.answerable) for r in rows])
    groups = [(base_source(r.source), r.answerable) for r in rows]
    counts = {g: groups.count(g) for g in set(groups)}
    w = np.array([1.0 / counts[g] for g in groups])
    w *= len(rows) / w.sum()
    penalty = l2 * np.diag([1.0] * len(names) + [0.0])
    beta = np.zeros(len(names) + 1)
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ beta, -60, 60)))
        step = np.linalg.solve((x * (w * p * (1 - p))[:, None]).T @ x + penalty,
                               x.T @ (w * (p - y)) + penalty @ beta)
        beta -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return {n: float(b) for n, b in zip(names, beta[:-1], strict=True)}, float(beta[-1])


def operating_point(
    rows: Sequence[Row], weights: dict[str, float], bias: float, max_wrong: float,
    max_wrong_korquad: float = MAX_WRONG_KORQUAD, sure: float = 1.0,
) -> float | None:
    """The highest threshold (up to ``sure``) keeping every source's answerable wrongly refused
    ≤ ``max_wrong`` (KorQuAD's ≤ ``max_wrong_korquad``)."""
    answerable = [r for r in rows if r.answerable]
    best = None
    for t in [x for x in THRESHOLDS if x <= sure]:
        by_source: dict[str, list[bool]] = {}
        for r in answerable:
            refused = not model_decides(r.features, weights, bias, t, sure)
            by_source.setdefault(base_source(r.source), []).append(refused)
        if all(
            sum(v) / len(v) <= (max_wrong_korquad if src.startswith("korquad") else max_wrong)
            for src, v in by_source.items()
        ):
            best = t
    return best


def cross_validate(
    rows: Sequence[Row], max_wrong: float, sure: float = 1.0
) -> dict[str, tuple[float, float, int, int]]:
    """Rates on each fold's rows, the model and its threshold fitted on the other folds (folds by
    question, so one KorQuAD question's two rows stay together)."""
    ids = sorted({r.id for r in rows})
    fold = {q: int(hashlib.sha256(q.encode()).hexdigest(), 16) % FOLDS for q in ids}
    decided: list[tuple[Row, bool]] = []
    for k in range(FOLDS):
        train = [r for r in rows if fold[r.id] != k]
        weights, bias = fit_logistic(train)
        t = operating_point(train, weights, bias, max_wrong, sure=sure) or THRESHOLDS[0]
        decided += [(r, model_decides(r.features, weights, bias, t, sure))
                    for r in rows if fold[r.id] == k]
    return rates_of(decided)


def rates_of(decided: Sequence[tuple[Row, bool]]) -> dict[str, tuple[float, float, int, int]]:
    """:func:`rates` of rows already decided (True: answered)."""
    out: dict[str, tuple[float, float, int, int]] = {}
    for source in sorted({base_source(r.source) for r, _ in decided}):
        un = [ok for r, ok in decided if base_source(r.source) == source and not r.answerable]
        an = [ok for r, ok in decided if base_source(r.source) == source and r.answerable]
        out[source] = (
            (len(un) - sum(un)) / len(un) if un else float("nan"),
            (len(an) - sum(an)) / len(an) if an else float("nan"),
            len(un), len(an),
        )
    return out


def show(label: str, r: dict[str, tuple[float, float, int, int]]) -> None:
    parts = [f"{src}: refused {un:.3f} of {nu} unanswerable, {an:.3f} of {na} answerable"
             for src, (un, an, nu, na) in r.items()]
    print(f"{label}\n  " + "\n  ".join(parts))


def model_decides(
    f: GateFeatures, weights: dict[str, float], bias: float, threshold: float, sure: float = 1.0,
    settings: Settings | None = None,
) -> bool:
    """:func:`answer.gate.judge` with these weights: refused below ``threshold``, answered from
    ``sure`` on, the thresholds rule of ``settings`` between."""
    rule = (settings or Settings()).replace(gate="thresholds")
    if lacks_asked_value(f):  # as judge: answer-type evidence refuses first
        return False
    if f.cross_lingual and sure > threshold:  # as judge: across languages the rule decides
        return judge(f, rule)
    p = answer_probability(f, weights, bias)
    if p < threshold:
        return False
    return p >= sure or judge(f, rule)


def print_asked_values(rows: Sequence[Row]) -> None:
    """Per kind of asked-for value (answer/gate.py asked_kind): the rows of each source where no
    sentence of the top passages holds one beside the question's focus, unanswerable and
    answerable; answer/tuning.py GATE_HARD_KINDS refuses the kinds that refuse no answerable one."""
    kinds = sorted({r.features.asked for r in rows if r.features.asked})
    sources = sorted({base_source(r.source) for r in rows})
    print("kind | " + " | ".join(f"{s} unans. / ans. lacking it" for s in sources))
    for kind in kinds:
        cells = []
        for src in sources:
            mine = [r for r in rows if base_source(r.source) == src]
            lack = [r for r in mine if r.features.asked == kind and r.features.focus_typed <= 0]
            un, an = sum(not r.answerable for r in mine), sum(r.answerable for r in mine)
            cells.append(f"{sum(not r.answerable for r in lack)}/{un} / {sum(r.answerable for r in lack)}/{an}")
        print(f"{kind} | " + " | ".join(cells))


def gold_sentence_evidence(articles: Sequence[dict], skip: set[str]) -> dict[str, tuple[int, int]]:
    """Per asked-for kind: (KorQuAD questions of that kind, those whose gold answer's sentence holds
    the kind's evidence), over the dev questions whose ids are not in ``skip`` (the benchmark's
    own). How often the evidence pattern of a kind sees the answer where it is written."""
    counts: dict[str, list[int]] = {}
    for article in articles:
        for para in article["paragraphs"]:
            text = para["context"]
            for qa in para["qas"]:
                kind = asked_kind(qa["question"])
                if qa["id"] in skip or kind is None:
                    continue
                answer = qa["answers"][0]
                start, end = answer["answer_start"], answer["answer_start"] + len(answer["text"])
                lo = max(text.rfind(".", 0, start), text.rfind("\n", 0, start)) + 1
                hi = text.find(".", end)
                sentence = text[lo : len(text) if hi < 0 else hi + 1]
                seen = counts.setdefault(kind.name, [0, 0])
                seen[0] += 1
                seen[1] += bool(kind.evidence.search(sentence))
    return {k: (v[0], v[1]) for k, v in sorted(counts.items())}


def print_curve(rows: Sequence[Row], weights: dict[str, float], bias: float) -> None:
    """Unanswerable refused / answerable wrongly refused per source at each threshold."""
    sources = sorted({base_source(r.source) for r in rows})
    print("threshold | " + " | ".join(f"{s} unans. refused / ans. refused" for s in sources))
    for t in THRESHOLDS[::2]:
        r = rates(rows, partial(model_decides, weights=weights, bias=bias, threshold=t, sure=t))
        print(f"{t:.2f} | " + " | ".join(f"{r[s][0]:.3f} / {r[s][1]:.3f}" for s in sources))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    base = Settings.load()
    ap.add_argument("--korquad-index", type=Path, default=base.home / "bench" / "korquad")
    ap.add_argument("--realdocs-index", type=Path, default=None)
    ap.add_argument("--questions", type=int, default=600, help="KorQuAD tuning questions")
    ap.add_argument("--held-out", type=int, default=0,
                    help="also this many of the KorQuAD benchmark's own questions (held out)")
    ap.add_argument("--max-wrong", type=float, default=0.05)
    ap.add_argument("--features", type=Path, default=None, help="write each row's features here")
    ap.add_argument("--load", type=Path, default=None, help="read rows written by --features")
    ap.add_argument("--fit", action="store_true",
                    help="fit the logistic gate on the tuning rows; print weights, CV and the curve")
    ap.add_argument("--grid", action="store_true", help="also sweep the former thresholds rule")
    ap.add_argument("--kind-questions", action="store_true",
                    help="also every other KorQuAD dev question asking for a kind of value (scored, not fitted)")
    ap.add_argument("--gold-sentences", action="store_true",
                    help="per asked-for kind, how often the KorQuAD gold answer's sentence holds its evidence")
    args = ap.parse_args(argv)

    rows: list[Row] = []
    if args.load:
        for line in args.load.read_text(encoding="utf-8").splitlines():
            obj = json.loads(line)
            rows.append(Row(obj["source"], obj["id"], obj["answerable"], GateFeatures(**obj["features"])))
    else:
        try:
            rows += korquad_rows(base, args.korquad_index, args.questions, args.held_out)
            if args.kind_questions:
                rows += kind_rows(base, args.korquad_index, args.questions)
        except (IndexNotFoundError, FileNotFoundError) as exc:
            print(f"note: KorQuAD skipped ({exc}); build it with benchmarks/korquad.py", file=sys.stderr)
        if args.realdocs_index:
            rows += realdocs_rows(base, args.realdocs_index)
            rows += off_topic_rows(base, args.realdocs_index, "realdocs")
        rows += sample_rows(base)
        rows += off_topic_rows(base, base.resolved_index_dir, "sample")
    if args.features:
        args.features.write_text(
            "".join(json.dumps({"source": r.source, "id": r.id, "answerable": r.answerable,
                                "features": asdict(r.features)}, ensure_ascii=False) + "\n"
                    for r in rows),
            encoding="utf-8",
        )
    print(f"{len(rows)} rows: " + ", ".join(
        f"{s} {sum(r.source == s for r in rows)}" for s in sorted({r.source for r in rows})))
    tuning = [r for r in rows if base_source(r.source) in TUNING_SOURCES]
    held_out = [r for r in rows if base_source(r.source) in HELD_OUT_SOURCES]
    show(f"current settings (gate {base.gate})", rates(rows, lambda f: judge(f, base)))

    if tuning:
        print("\nanswer-type evidence on the tuning rows (the hard rule refuses a kind in GATE_HARD_KINDS):")
        print_asked_values(tuning + [r for r in rows if base_source(r.source) == "korquad-kinds"])

    if args.gold_sentences:
        articles = load_articles(DEFAULT_PATH)
        benchmark = {q["id"] for q in sample_questions(articles, 1000, BENCHMARK_SEED)}
        print("\nKorQuAD dev questions outside the benchmark's sample, per asked-for kind: the gold "
              "answer's sentence holds the kind's evidence")
        for kind, (n, held) in gold_sentence_evidence(articles, benchmark).items():
            print(f"  {kind}: {held} of {n} ({held / n:.3f})")

    if args.fit and tuning:
        weights, bias = fit_logistic(tuning)
        sure = base.gate_sure_probability
        t = operating_point(tuning, weights, bias, args.max_wrong, sure=sure)
        print("\nfitted on the tuning rows:\nGATE_WEIGHTS = {\n" + "".join(
            f'    "{k}": {v:.3f},\n' for k, v in weights.items()) + f"}}\nGATE_BIAS = {bias:.3f}")
        print(f"operating point (every tuning source's answerable refused ≤ {args.max_wrong}, "
              f"KorQuAD's ≤ {MAX_WRONG_KORQUAD}): {t}")
        show(f"\n{FOLDS}-fold cross-validation on the tuning rows (threshold chosen per fold)",
             cross_validate(tuning, args.max_wrong, sure))
        print("\nthe curve (fitted weights alone, no thresholds rule; tuning and held-out sources):")
        print_curve(rows, weights, bias)
        print(f"\nthe gate as shipped (GATE_WEIGHTS; the thresholds rule decides between each threshold "
              f"and gate_sure_probability {base.gate_sure_probability}):")
        sources = sorted({base_source(r.source) for r in rows})
        for th in [x for x in THRESHOLDS if x <= base.gate_sure_probability]:
            r = rates(rows, partial(judge, settings=base.replace(gate_min_probability=th)))
            print(f"{th:.2f} | " + " | ".join(f"{r[x][0]:.3f} / {r[x][1]:.3f}" for x in sources))
        if t is not None:
            show(f"\nat the operating point {t} (held-out rows: scored once)",
                 rates(tuning + held_out,
                       partial(model_decides, weights=weights, bias=bias, threshold=t, sure=sure)))

    if args.grid:
        best: tuple[float, Settings] | None = None
        curve: list[tuple[float, float]] = []
        for s in grid_points(base):
            r = rates(tuning, partial(judge, settings=s))
            wrong = max((an for _, an, _, na in r.values() if na), default=0.0)
            refused = min((un for un, _, nu, _ in r.values() if nu), default=0.0)
            curve.append((wrong, refused))
            if wrong <= args.max_wrong and (best is None or refused > best[0]):
                best = (refused, s)
        print("\nthresholds rule, worst tuning source: answerable wrongly refused → best unanswerable refused")
        for limit in (0.0, 0.02, 0.05, 0.10, 0.15, 0.20, 0.30):
            reach = max((ref for wrong, ref in curve if wrong <= limit), default=float("nan"))
            print(f"  ≤ {limit:.2f} → {reach:.3f}")
        if best is not None:
            chosen = {k: getattr(best[1], k) for k in GRID}
            show(f"best with every source's answerable refused ≤ {args.max_wrong}: {chosen}",
                 rates(tuning, partial(judge, settings=best[1])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
