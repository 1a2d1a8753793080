"""Answer-type evidence (issue 13.1): what a question asks for, the noun it asks about, and the
refusal when no sentence of its passages holds a value of that kind beside that noun."""

from __future__ import annotations

import pytest

from answer.gate import (
    GateFeatures,
    asked_kind,
    asked_value_evidence,
    focus_share,
    judge,
    lacks_asked_value,
    question_focus,
)
from answer.tuning import GATE_FOCUS_NEARBY, GATE_HARD_KINDS
from reportqa.settings import Settings


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("이 계획의 총사업비 예산은 얼마인가요?", "amount"),
        ("KCMVP 검증 신청할 때 수수료는 얼마나 들어?", "amount"),
        ("How much is the call-out fee?", "amount"),
        ("서비스센터는 몇 시부터 몇 시까지 운영해?", "time"),
        ("몇 시간 걸려?", "measure"),
        ("이 청소기 흡입력은 몇 W야?", "measure"),
        ("형상관리용 git 서버 주소는 어떻게 돼?", "contact"),
        ("Who should I email with questions about this guide?", "contact"),
        ("GVI Part 2는 언제 발행될 예정이야?", "date"),
        ("When a backup runs overnight, how long does it take?", "number"),  # 'when' opens a clause
        ("핵심과제는 몇 개인가?", "number"),
        ("점검은 1년에 몇 회 해야 하나요?", "count"),
        ("새 장비로 바꾸면 처리량이 몇 배로 늘어?", "count"),
        ("접수된 민원은 모두 몇 건이었지?", "count"),
        ("이번 대회는 몇 회째 열리는 거야?", "number"),  # an ordinal, not a count
        ("경과원의 기관장은 누구인가요?", "person"),
        ("이 구현안내서를 발행하고 관리하는 기관은?", "organisation"),
        ("보고서를 낸 기관의 이름은?", "organisation"),
        ("보안기관이 참고하는 지침은 무엇인가?", None),  # names a body, asks for a guideline
        ("3대 추진 전략은 무엇인가요?", None),
        ("연간 이용권 가격은?", "amount"),  # the money word asked about, no 얼마
        ("공사비용 문제를 처음 제기한 의원은?", None),  # names a cost, asks for a person
        ("예비용 발전기가 놓인 곳은?", None),  # 예비용 holds 비용
        # "야기한" holds 기한 and "promise to address" the word address: neither asks for one.
        ("청일전쟁 이후 청나라에 혼란을 야기한 정변은 무엇인가?", None),
        ("What else did the president promise to address?", None),
    ],
)
def test_asked_kind(question: str, kind: str | None) -> None:
    found = asked_kind(question)
    assert (found.name if found else None) == kind


def test_a_measure_is_held_only_in_its_unit() -> None:
    kind = asked_kind("이 청소기 흡입력은 몇 W야?")
    assert kind is not None
    assert kind.evidence.search("최대 흡입력 150 W") and kind.evidence.search("150W")
    assert not kind.evidence.search("배터리 2개") and not kind.evidence.search("10 Wh")
    bits = asked_kind("키 길이는 최소 몇 비트야?")
    assert bits is not None and bits.evidence.search("최소 112-비트 이상")  # "112-비트" as written
    dollars = asked_kind("가방에 몇 달러가 들어 있었어?")
    assert dollars is not None and dollars.evidence.search("3만 달러를 건넸다")


def test_a_when_question_is_answered_by_a_date_or_an_occasion() -> None:
    kind = asked_kind("점검 장비는 교정을 언제 받아야 하나요?")
    assert kind is not None and kind.name == "date"
    for held in ("장비를 옮길 때마다 교정한다", "설치 직후 교정한다", "1998년 도입", "19세기 말",
                 "전원이 꺼져도 값이 유지되는 경우 체크한다"):  # a condition answers "언제" too
        assert kind.evidence.search(held), held
    assert not kind.evidence.search("교정 기관이 맡는다")
    assert not kind.evidence.search("경우의 수를 센다")  # "경우" after no verb ending
    assert asked_kind("심판이 언제나 볼 수 있어야 하는 것은?") is None  # 언제나: always


def test_an_organisation_is_held_by_its_suffix_before_a_particle_or_by_the_named_body() -> None:
    kind = asked_kind("이 사건을 조사한 기관은?")
    assert kind is not None and kind.name == "organisation"
    for held in ("감사원은 이 사건을 조사했다", "IMF에 구제금융을 요청했다", "서울중앙지방법원이 판결했다"):
        assert kind.evidence.search(held), held
    # The slot noun (기관) asks for any organisation; a named kind of body (회계법인) must be there.
    plain = [("감사원은 이 사건을 조사했다", {"감사원", "사건", "조사"})]
    assert asked_value_evidence("이 사건을 조사한 기관은?", plain, False)["focus_typed"] == 1.0
    audit = [("외부 감사인은 삼정회계법인이다", {"외부", "감사인", "삼정", "회계", "법인"})]
    assert asked_value_evidence("감사한 회계법인은 어디야?", audit, False)["focus_typed"] == 1.0
    assert asked_value_evidence("감사한 회계법인은 어디야?", plain, False)["focus_typed"] == 0.0


def test_a_count_is_held_only_with_its_counter() -> None:
    kind = asked_kind("새 장비로 바꾸면 처리량이 몇 배로 늘어?")
    assert kind is not None and kind.name == "count"
    assert kind.evidence.search("처리량이 약 3배 늘었다") and kind.evidence.search("두 배 빠르다")
    assert not kind.evidence.search("2개 장비를 배포한다") and not kind.evidence.search("처리량 300 MB/s")


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("삼성전자 2022년 연결 매출액은 얼마야?", "매출액"),
        ("이 계획의 총사업비 예산은 얼마인가요?", "예산"),
        ("GVI Part 2는 언제 발행될 예정이야?", "Part"),
        ("오스카는 1년에 얼마나 자라나?", "오스카"),  # a number with its unit is no focus
        ("이순신이 태어난 곳은 어디인가?", None),  # a slot noun after a verb: nothing to look for
        ("보상해 줄지 여부는 요청한 날부터 며칠 안에 알려줘?", None),  # one syllable is too weak
        ("What is the capital of Australia?", None),
        # "항목" names the guide's entry, not its topic: the words before it are the focus
        ("비침투 공격 대응기술 항목은 언제 처음 작성됐어?", "대응기술"),
    ],
)
def test_question_focus(question: str, focus: str | None) -> None:
    assert question_focus(question) == focus


def test_focus_share_ignores_the_spaces_tables_put_in_labels() -> None:
    assert focus_share("부채총계", "부 채 총 계 | 93,674,903", set()) == 1.0
    assert focus_share("매출액", "자산총계 448,424,507", {"자산", "총계"}) == 0.0
    assert focus_share("연결 매출액", "연결 기준 자산", {"연결", "기준", "자산"}) == 0.25
    assert focus_share(None, "anything", set()) == 1.0


def test_an_amount_question_is_refused_when_no_sentence_holds_an_amount_beside_its_focus() -> None:
    question = "이 계획의 총사업비 예산은 얼마인가요?"
    # The article's sentences: a number of tasks and an amount of another story, no budget.
    sentences = [
        ("이를 실행하기 위해 10대 핵심과제도 함께 제안했다.", {"실행", "핵심", "과제", "제안"}),
        ("현금 여력에도 1450억 CPS", {"현금", "여력", "cps"}),
    ]
    evidence = asked_value_evidence(question, sentences, cross_lingual=False)
    assert evidence == {"asked": "amount", "focus_typed": 0.0}
    features = GateFeatures("ko", False, 0.9, 1.0, **evidence)
    assert lacks_asked_value(features)
    assert not judge(features, Settings())  # however close the passages are
    held = [*sentences, ("사업 예산은 총 500억 원이다.", {"사업", "예산"})]
    assert asked_value_evidence(question, held, cross_lingual=False)["focus_typed"] == 1.0
    # The former thresholds rule does not look at it.
    assert judge(features, Settings(gate="thresholds"))


def test_across_languages_any_sentence_of_the_kind_counts() -> None:
    question = "How much is the call-out fee when a technician visits?"
    korean = [("출장비는 별도로 청구됩니다.", {"출장비", "청구"})]
    assert asked_value_evidence(question, korean, cross_lingual=True)["focus_typed"] == 0.0
    priced = [*korean, ("출장비 20,000원", {"출장비"})]
    assert asked_value_evidence(question, priced, cross_lingual=True)["focus_typed"] == 1.0


def test_only_the_trusted_kinds_refuse() -> None:
    assert "number" not in GATE_HARD_KINDS and "person" not in GATE_HARD_KINDS
    count = GateFeatures("ko", False, 0.9, 1.0, asked="number", focus_typed=0.0)
    assert not lacks_asked_value(count)
    assert not lacks_asked_value(GateFeatures("ko", False, 0.9, 1.0))  # asks for nothing


def test_an_address_is_a_numbered_road_or_lot_not_any_word_before_a_number() -> None:
    kind = asked_kind("Who should I email with questions about this guide?")
    assert kind is not None and kind.name == "contact"
    for address in ("본사: 서울특별시 송파구 중대로 135", "세종특별자치시 도움6로 11", "테헤란로7길 22",
                    "역삼동 123-4", "문의: help@example.or.kr", "전화 02-123-4567"):
        assert kind.evidence.search(address), address
    for other in ("∘예시1) 중요 정보의 무결성을 검증하기 위한 값", "요구 2를 만족한다", "보안수준 3 이상"):
        assert not kind.evidence.search(other), other
    # An English question about a Korean guide whose passages give no address is refused.
    sentences = [("∘예시2) 소프트웨어의 무결성을 검증하기 위한 값", {"예시", "소프트웨어", "무결성"})]
    evidence = asked_value_evidence("Who should I email about it?", sentences, cross_lingual=True)
    assert evidence == {"asked": "contact", "focus_typed": 0.0}


def test_a_value_right_after_the_sentence_naming_the_focus_holds_it() -> None:
    """KorQuAD writes the subject once and its dates in the next sentence ("김을동은 …" then
    "1964년 연극배우 첫 데뷔하였고"); a value elsewhere in the passage, or a focus held only in
    part, is no evidence."""
    question = "김을동은 몇년도에 연극배우에 첫 데뷔했나?"
    sentences = [
        ("김을동은 대한민국의 배우이자 정치인이다.", {"김을동", "대한민국", "배우", "정치인"}),
        ("1964년 연극배우 첫 데뷔하였고 성우로 입사하였다.", {"연극", "배우", "데뷔", "성우", "입사"}),
    ]
    alone = asked_value_evidence(question, sentences, cross_lingual=False)
    assert alone == {"asked": "date", "focus_typed": 0.0}
    nearby = [("", set()), sentences[0]]
    near = asked_value_evidence(question, sentences, False, nearby)
    assert near["focus_typed"] == GATE_FOCUS_NEARBY > 0.0
    assert not lacks_asked_value(GateFeatures("ko", False, 0.9, 1.0, **near))
    # The title or headings before a passage count too; a sentence before naming another subject not.
    headed = asked_value_evidence(question, sentences[1:], False, [(" 김을동", {"김을동"})])
    assert headed["focus_typed"] == GATE_FOCUS_NEARBY
    other = asked_value_evidence(question, sentences[1:], False, [("윤상은 가수이다.", {"윤상", "가수"})])
    assert other["focus_typed"] == 0.0


def test_an_organisation_question_without_the_body_it_names_is_refused() -> None:
    assert "organisation" in GATE_HARD_KINDS
    plain = [("외부 감사인의 감사의견은 적정이다", {"외부", "감사인", "감사", "의견", "적정"})]
    evidence = asked_value_evidence("이 연결재무제표를 감사한 회계법인은 어디야?", plain, False)
    assert evidence == {"asked": "organisation", "focus_typed": 0.0}
    assert not judge(GateFeatures("ko", False, 0.9, 1.0, **evidence), Settings())
