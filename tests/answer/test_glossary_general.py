"""The general word list (data/glossary/ko-en-general.tsv): English questions about Korean
documents get everyday Korean search terms without a glossary written for the report."""

from __future__ import annotations

from answer.glossary import Glossary, Table, segments, with_general_words
from reportqa.language import content_terms, english_stems
from reportqa.settings import GENERAL_GLOSSARY, Settings

SHIPPED = Glossary.parse("계획\tplan\n연도\tyear\n")
GENERAL = Glossary.parse("회계연도\tfiscal year\n보증\twarranty\n수리\trepair\n사업\tplan; project\n")


def _with_general(base: Glossary, known: set[str] | None = None) -> Glossary:
    merged = Glossary()
    for phrase, korean in base.entries.items():
        merged.add(phrase, korean, base.english[phrase])
    merged.add_general(GENERAL, None if known is None else known.__contains__)
    return merged


def test_general_words_translate_what_the_other_entries_leave_and_never_replace_them() -> None:
    g = _with_general(SHIPPED)
    # "plan" keeps the shipped 계획 alone (the general list's 사업 is not added to it) and the
    # general "fiscal year" does not swallow the shipped "year".
    assert g.translate("Which plan covers the warranty repair for the fiscal year?") == [
        [content_terms("계획")],
        [content_terms("보증")],
        [content_terms("수리")],
        [content_terms("연도")],
    ]
    assert english_stems("fiscal year") in g.general and english_stems("year") not in g.general


def test_general_words_count_towards_coverage_like_the_others() -> None:
    g = _with_general(SHIPPED)
    # plan, warranty, repair, year: the shipped glossary knows two of the four words.
    question = "Which plan covers the warranty repair this year?"
    assert SHIPPED.coverage(question) < g.coverage(question)
    assert g.coverage("warranty repair") == 1.0
    assert g.coverage("보증 수리 계획") == 1.0 > SHIPPED.coverage("보증 수리 계획")


def test_general_words_the_index_lacks_are_left_out() -> None:
    g = _with_general(Glossary(), known={"보증"})
    assert g.translate("warranty repair") == [[content_terms("보증")]]


def test_segments_take_the_first_tables_runs_then_the_next_among_the_rest() -> None:
    first: Table = ({("a", "b"): ("AB",)}, 2)
    second: Table = ({("b", "c"): ("BC",), ("c",): ("C",)}, 2)
    assert segments(["a", "b", "c"], [first, second]) == [(0, 2, ("AB",)), (2, 1, ("C",))]
    assert segments(["b", "c"], [first, second]) == [(0, 2, ("BC",))]


def test_the_shipped_general_list_loads_and_the_setting_turns_it_off() -> None:
    general = Glossary.load([GENERAL_GLOSSARY])
    assert len(general) > 500
    merged = with_general_words(None, Settings())
    assert merged is not None
    assert [content_terms("단기차입금")] in merged.translate("What were the short-term borrowings?")
    assert with_general_words(None, Settings(general_glossary=False)) is None
    # Written as the format asks: every English side is a phrase, no question word alone.
    for phrase in general.entries:
        assert phrase not in {("how",), ("when",), ("can",), ("what",)}
