"""The service-test rubric: contact scores, weighting, ranking, bands, indicators, headlines."""

from __future__ import annotations

import copy
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveyapp.questionnaires.definition import load_file
from surveyapp.questionnaires.protocol import Protocol
from surveyapp.servicetest.scoring import (
    AWAITING,
    BOTTOM,
    MIDDLE,
    MISSING,
    SCORED,
    TOP,
    UNREACHED,
    Contact,
    ContactScore,
    EmailRecord,
    PhoneAttempt,
    PhoneRecord,
    Reason,
    WebCheck,
    WebRecord,
    as_fraction_phrase,
    band_for,
    competition_ranks,
    grade_bands,
    headlines,
    max_points,
    quartile_bands,
    round_score,
    score_contact,
    score_round,
)
from surveyapp.servicetest.workdays import add_working_days
from tests.conftest import SHIPPED


def tr(nb: str, nn: str | None = None, en: str | None = None) -> dict[str, str]:
    return {"nb": nb, "nn": nn or nb, "en": en or nb}


def checkpoint(code: str) -> dict[str, Any]:
    return {"code": code, "text": tr(code)}


BASE_DATA: dict[str, Any] = {
    "channels": {
        "phone": {
            "weight": 0.30,
            "max_attempts": 2,
            "max_wait_seconds": 240,
            "points": {
                "answered_first_contact": 2,
                "checkpoint": 1,
                "referred_correctly": 1,
                "courtesy": 3,
            },
        },
        "email": {
            "weight": 0.30,
            "speed": [
                {"within_days": 1, "points": 5},
                {"within_days": 3, "points": 3},
                {"within_days": 5, "points": 1},
            ],
            "quality_cutoff_days": 10,
            "points": {"checkpoint": 1, "courtesy": 3},
        },
        "web": {
            "weight": 0.40,
            "time_limit_seconds": 120,
            "testers": 2,
            "points": {"found": 2, "quality": 3},
        },
    },
    # Forbrukerrådet's 2016 sector weights.
    "sectors": {
        "technical": {"title": tr("Tekniske tjenester"), "weight": 0.275},
        "care": {"title": tr("Pleie og omsorg"), "weight": 0.175},
        "health": {"title": tr("Helse"), "weight": 0.15},
        "children": {"title": tr("Barn og skole"), "weight": 0.125},
        "culture": {"title": tr("Kultur og fritid"), "weight": 0.125},
        "social": {"title": tr("Sosiale tjenester"), "weight": 0.10},
        "general": {"title": tr("Generelt"), "weight": 0.05},
    },
    "scenarios": [
        {
            "code": "water-fee",
            "sector": "technical",
            "channels": ["phone", "email"],
            "persona": tr("Huseier"),
            "script": tr("Spør om vannavgift"),
            "question": tr("Hva koster vann for en enebolig?"),
            "checkpoints": [checkpoint("amount"), checkpoint("meter")],
        },
        {
            "code": "sfo-hours",
            "sector": "children",
            "channels": ["phone", "email", "web"],
            "persona": tr("Forelder"),
            "script": tr("Spør om SFO"),
            "question": tr("Når åpner SFO?"),
            "checkpoints": [checkpoint("opening"), checkpoint("closing")],
        },
        {
            "code": "home-help",
            "sector": "care",
            "channels": ["phone", "web"],
            "persona": tr("Pårørende"),
            "script": tr("Spør om hjemmehjelp"),
            "question": tr("Hvordan får man hjemmehjelp?"),
            "checkpoints": [checkpoint("apply"), checkpoint("fee")],
        },
    ],
    "grade_bands": [
        {"min": 81, "label": tr("Meget bra", "Svært bra", "Very good")},
        {"min": 61, "label": tr("Bra", "Bra", "Good")},
        {"min": 0, "label": tr("Dårlig", "Dårleg", "Poor")},
    ],
    "missing_contacts": "zero",
    "phone_hours": {"start": "09:30", "end": "15:00"},
}

BASE_PROTOCOL = Protocol.model_validate(BASE_DATA)
SCENARIOS = {s.code: s for s in BASE_PROTOCOL.scenarios}
SECTOR_OF = {code: s.sector for code, s in SCENARIOS.items()}
MONDAY = datetime(2025, 3, 3, 10, 0)


@pytest.fixture
def protocol() -> Protocol:
    return BASE_PROTOCOL


@pytest.fixture
def data() -> dict[str, Any]:
    """The protocol as written, to change before validating it again."""
    return copy.deepcopy(BASE_DATA)


# ----------------------------------------------------------------- builders


def phone(
    *attempts: tuple[bool, int | None],
    first: bool | None = True,
    covered: set[str] | None = None,
    referred: bool | None = None,
    courtesy: int | None = 3,
) -> PhoneRecord:
    calls = [
        PhoneAttempt(MONDAY + timedelta(hours=i), reached, wait)
        for i, (reached, wait) in enumerate(attempts)
    ]
    return PhoneRecord(calls, first, covered or set(), referred, courtesy)


def email(
    days: int | None, covered: set[str] | None = None, courtesy: int | None = None
) -> EmailRecord:
    replied = None
    if days is not None:
        replied = datetime.combine(add_working_days(MONDAY.date(), days), time(14, 0))
    return EmailRecord(MONDAY, replied, covered or set(), courtesy)


def web(
    *checks: tuple[bool, int | None, int | None], decision: WebCheck | None = None
) -> WebRecord:
    return WebRecord([WebCheck(*check) for check in checks], decision)


def contact(
    record: PhoneRecord | EmailRecord | WebRecord | None,
    scenario: str = "water-fee",
    channel: str | None = None,
    municipality: str = "0301",
) -> Contact:
    if channel is None:
        channel = {PhoneRecord: "phone", EmailRecord: "email", WebRecord: "web"}[type(record)]
    return Contact(municipality, scenario, SECTOR_OF[scenario], channel, record)


def score(protocol: Protocol, c: Contact) -> ContactScore:
    return score_contact(protocol, SCENARIOS[c.scenario], c)


def codes(result: ContactScore) -> list[str]:
    return [reason.code for reason in result.reasons]


# ----------------------------------------------------------------- maxima


def test_maximum_points_are_the_sum_of_the_protocol_items(protocol: Protocol) -> None:
    water = SCENARIOS["water-fee"]
    assert max_points(protocol, water, "phone") == 2 + 1 * 2 + 1 + 3
    assert max_points(protocol, water, "email") == 5 + 1 * 2 + 3
    assert max_points(protocol, SCENARIOS["sfo-hours"], "web") == 2 + 3


# ----------------------------------------------------------------- e-mail


@pytest.mark.parametrize(
    ("days", "speed_points"), [(0, 5), (1, 5), (2, 3), (3, 3), (4, 1), (5, 1), (6, 0)]
)
def test_email_speed_table(protocol: Protocol, days: int, speed_points: int) -> None:
    result = score(protocol, contact(email(days)))
    assert result.status == SCORED
    assert result.points == speed_points
    assert result.max_points == 10
    assert result.score == speed_points / 10
    assert result.reply_working_days == days
    speed = next(r for r in result.reasons if r.code == "email_speed")
    assert speed.params["days"] == days
    assert speed.params["points"] == speed_points


def test_email_full_marks(protocol: Protocol) -> None:
    result = score(protocol, contact(email(0, {"amount", "meter"}, courtesy=3)))
    assert result.points == 10
    assert result.score == 1.0
    assert result.checkpoints_answered == result.checkpoints_asked == 2


def test_email_after_speed_table_still_gets_quality_points(protocol: Protocol) -> None:
    # 10 working days: no speed points, but inside the quality cut-off: 2 + 2 = 4 of 10.
    result = score(protocol, contact(email(10, {"amount", "meter"}, courtesy=2)))
    assert result.points == 4
    assert result.checkpoints_answered == 2


def test_email_after_quality_cutoff_scores_nothing(protocol: Protocol) -> None:
    result = score(protocol, contact(email(11, {"amount", "meter"}, courtesy=3)))
    assert result.points == 0
    assert result.status == SCORED
    assert Reason("after_quality_cutoff", {"days": 11, "cutoff_days": 10}) in result.reasons
    assert result.checkpoints_answered == 0
    assert result.checkpoints_asked == 2


def test_email_without_reply_scores_nothing(protocol: Protocol) -> None:
    result = score(protocol, contact(email(None)))
    assert (result.points, result.max_points, result.status) == (0, 10, SCORED)
    assert codes(result) == ["no_reply"]
    assert result.reply_working_days is None


def test_email_speed_table_comes_from_the_protocol(data: dict[str, Any]) -> None:
    data["channels"]["email"]["speed"] = [{"within_days": 0, "points": 4}]
    protocol = Protocol.model_validate(data)
    assert score(protocol, contact(email(0))).points == 4
    assert score(protocol, contact(email(1))).points == 0
    assert score(protocol, contact(email(0))).max_points == 4 + 2 + 3


def test_email_send_cutoff_from_the_protocol(data: dict[str, Any]) -> None:
    data["channels"]["email"]["send_cutoff"] = "12:00"
    protocol = Protocol.model_validate(data)
    late = EmailRecord(datetime(2025, 3, 3, 13, 0), datetime(2025, 3, 5, 9, 0))
    assert score(protocol, contact(late)).reply_working_days == 1
    del data["channels"]["email"]["send_cutoff"]
    protocol = Protocol.model_validate(data)
    assert score(protocol, contact(late)).reply_working_days == 2


@given(days=st.integers(min_value=0, max_value=14))
def test_email_points_never_rise_with_a_slower_reply(days: int) -> None:
    protocol = BASE_PROTOCOL
    slower = score(protocol, contact(email(days + 1, {"amount"}, courtesy=3)))
    faster = score(protocol, contact(email(days, {"amount"}, courtesy=3)))
    assert 0 <= slower.score <= faster.score <= 1


# ----------------------------------------------------------------- phone


def test_phone_reached_at_first_attempt(protocol: Protocol) -> None:
    # Direct answer 2 + one checkpoint 1 + no referral needed 1 + courtesy 2/3 × 3 = 6 of 8.
    result = score(protocol, contact(phone((True, 30), covered={"amount"}, courtesy=2)))
    assert result.status == SCORED
    assert result.points == 6
    assert result.score == 0.75
    assert result.direct_answer is True
    checkpoints = [r for r in result.reasons if r.code == "checkpoint"]
    assert checkpoints == [
        Reason("checkpoint", {"code": "amount", "covered": True, "points": 1.0}),
        Reason("checkpoint", {"code": "meter", "covered": False, "points": 0.0}),
    ]


def test_call_back_after_no_answer_is_scored(protocol: Protocol) -> None:
    result = score(protocol, contact(phone((False, None), (True, 60), covered={"amount"})))
    assert result.status == SCORED
    assert result.points == 2 + 1 + 1 + 3
    assert codes(result)[:2] == ["attempt_no_answer", "reached"]


def test_no_contact_after_two_attempts_scores_zero(protocol: Protocol) -> None:
    result = score(protocol, contact(phone((False, None), (False, None))))
    assert result.status == UNREACHED
    assert (result.points, result.score, result.max_points) == (0, 0, 8)
    assert result.reasons[-1] == Reason("no_contact_after_attempts", {"attempts": 2})
    assert result.direct_answer is False


def test_third_attempt_beyond_max_attempts_is_ignored(protocol: Protocol) -> None:
    result = score(protocol, contact(phone((False, None), (False, None), (True, 10))))
    assert result.status == UNREACHED
    assert result.points == 0
    assert Reason("attempts_ignored", {"count": 1, "max_attempts": 2}) in result.reasons


def test_attempts_are_taken_in_time_order(protocol: Protocol) -> None:
    late_success = PhoneAttempt(MONDAY + timedelta(days=2), True, 10)
    record = PhoneRecord(
        [
            late_success,
            PhoneAttempt(MONDAY + timedelta(days=1), False, None),
            PhoneAttempt(MONDAY, False, None),
        ],
        True,
        set(),
        None,
        3,
    )
    assert score(protocol, contact(record)).status == UNREACHED


@pytest.mark.parametrize(("wait", "status"), [(240, SCORED), (241, UNREACHED)])
def test_waiting_over_the_limit_counts_as_not_reached(
    protocol: Protocol, wait: int, status: str
) -> None:
    result = score(protocol, contact(phone((True, wait), (False, None))))
    assert result.status == status


def test_long_wait_then_call_back_answered(protocol: Protocol) -> None:
    result = score(protocol, contact(phone((True, 300), (True, 20))))
    assert result.status == SCORED
    assert result.reasons[0] == Reason(
        "attempt_wait_too_long", {"attempt": 1, "waiting_seconds": 300, "limit_seconds": 240}
    )


def test_attempt_rules_come_from_the_protocol(data: dict[str, Any]) -> None:
    data["channels"]["phone"]["max_attempts"] = 3
    data["channels"]["phone"]["max_wait_seconds"] = 300
    protocol = Protocol.model_validate(data)
    third_time_lucky = contact(phone((False, None), (False, None), (True, 10)))
    assert score(protocol, third_time_lucky).status == SCORED
    assert score(protocol, contact(phone((True, 300)))).status == SCORED


@pytest.mark.parametrize(
    ("first", "referred", "points"),
    [
        (True, None, 2 + 1),  # answered directly: nobody to refer, referral points kept
        (False, True, 1),  # put through to the right person
        (False, False, 0),
        (False, None, 0),
    ],
)
def test_referral(protocol: Protocol, first: bool, referred: bool | None, points: int) -> None:
    result = score(protocol, contact(phone((True, 5), first=first, referred=referred, courtesy=0)))
    assert result.points == points


def test_unknown_checkpoint_code_is_rejected(protocol: Protocol) -> None:
    with pytest.raises(ValueError, match="price"):
        score(protocol, contact(phone((True, 5), covered={"amount", "price"})))


def test_ratings_outside_0_to_3_are_rejected() -> None:
    with pytest.raises(ValueError, match="courtesy"):
        PhoneRecord([], True, set(), None, 4)
    with pytest.raises(ValueError, match="quality"):
        WebCheck(True, 10, -1)


def test_record_must_fit_the_channel_and_scenario(protocol: Protocol) -> None:
    with pytest.raises(ValueError, match="PhoneRecord"):
        score(protocol, contact(email(0), channel="phone"))
    with pytest.raises(ValueError, match="not tested by web"):
        score(protocol, contact(web((True, 10, 3), (True, 10, 3)), scenario="water-fee"))
    wrong_sector = Contact("0301", "water-fee", "care", "phone", phone((True, 5)))
    with pytest.raises(ValueError, match="sector"):
        score(protocol, wrong_sector)


@given(
    attempts=st.lists(
        st.tuples(st.booleans(), st.one_of(st.none(), st.integers(0, 600))), max_size=4
    ),
    first=st.one_of(st.none(), st.booleans()),
    referred=st.one_of(st.none(), st.booleans()),
    courtesy=st.one_of(st.none(), st.integers(0, 3)),
    covered=st.sets(st.sampled_from(["amount", "meter"])),
)
def test_phone_score_is_a_fraction(
    attempts: list[tuple[bool, int | None]],
    first: bool | None,
    referred: bool | None,
    courtesy: int | None,
    covered: set[str],
) -> None:
    result = score(
        BASE_PROTOCOL,
        contact(
            phone(*attempts, first=first, covered=covered, referred=referred, courtesy=courtesy)
        ),
    )
    assert 0 <= result.score <= 1
    assert result.status in (SCORED, UNREACHED)


# ----------------------------------------------------------------- web


def web_contact(record: WebRecord) -> Contact:
    return contact(record, scenario="sfo-hours")


def test_web_testers_agree_mean_quality(protocol: Protocol) -> None:
    # Both found in time, quality 2 and 3: 2 + 2.5/3 × 3 = 4.5 of 5.
    result = score(protocol, web_contact(web((True, 40, 2), (True, 90, 3))))
    assert result.status == SCORED
    assert result.points == pytest.approx(4.5)
    assert result.score == pytest.approx(0.9)
    assert "testers_agree" in codes(result)


def test_web_testers_agree_not_found(protocol: Protocol) -> None:
    result = score(protocol, web_contact(web((False, None, None), (True, 150, 3))))
    # Found after 150 s is over the 120 s limit: both count as not found.
    assert result.status == SCORED
    assert result.points == 0


def test_web_disagreement_waits_for_a_third_tester(protocol: Protocol) -> None:
    result = score(protocol, web_contact(web((True, 60, 3), (False, None, None))))
    assert result.status == AWAITING
    # Never scored as if found: counted, as not found, until the third tester decides.
    assert (result.included, result.points) == (True, 0)
    assert result.reasons[-2:] == [
        Reason("awaiting_decision", {"on": "found"}),
        Reason("pending_counts_as_not_found", {}),
    ]


def test_web_disagreement_settled_by_the_decision(protocol: Protocol) -> None:
    record = web((True, 60, 3), (False, None, None), decision=WebCheck(True, 90, 3))
    result = score(protocol, web_contact(record))
    assert result.status == SCORED
    assert result.points == 5
    record = web((True, 60, 3), (False, None, None), decision=WebCheck(True, 121, 3))
    assert score(protocol, web_contact(record)).points == 0  # the decider was too slow


def test_web_quality_two_apart_needs_a_decision(protocol: Protocol) -> None:
    record = web((True, 60, 1), (True, 60, 3))
    assert score(protocol, web_contact(record)).status == AWAITING
    record.decision = WebCheck(True, 30, 2)
    result = score(protocol, web_contact(record))
    assert result.status == SCORED
    assert result.points == 2 + 2  # found 2 + quality 2/3 × 3


def test_web_decision_is_not_used_when_testers_agree(protocol: Protocol) -> None:
    record = web((True, 60, 2), (True, 60, 2), decision=WebCheck(False, None, None))
    assert score(protocol, web_contact(record)).points == 4


def test_web_with_one_check_of_two_is_not_finished(protocol: Protocol) -> None:
    result = score(protocol, web_contact(web((True, 60, 2))))
    assert result.status == AWAITING
    assert "checks_incomplete" in codes(result)


# ----------------------------------------------------------------- missing contacts


def test_missing_contact_scores_zero_by_default(protocol: Protocol) -> None:
    result = score(protocol, contact(None, channel="phone"))
    assert (result.status, result.points, result.included) == (MISSING, 0, True)


def test_missing_contact_excluded_when_the_protocol_says_so(data: dict[str, Any]) -> None:
    data["missing_contacts"] = "exclude"
    protocol = Protocol.model_validate(data)
    result = score(protocol, contact(None, channel="phone"))
    assert (result.status, result.included) == (MISSING, False)


# ----------------------------------------------------------------- weighting


def hand_computed_contacts(municipality: str = "A") -> list[Contact]:
    return [
        # phone, technical: 6/8 = 0.75
        contact(phone((True, 5), covered={"amount"}, courtesy=2), municipality=municipality),
        # e-mail, technical: 10/10 = 1.0
        contact(email(0, {"amount", "meter"}, 3), municipality=municipality),
        # e-mail, children: 5/10 = 0.5
        contact(email(0), scenario="sfo-hours", municipality=municipality),
        # web, children: (2 + 2.5)/5 = 0.9
        contact(web((True, 10, 2), (True, 10, 3)), scenario="sfo-hours", municipality=municipality),
        # web, care: found, quality 0: 2/5 = 0.4
        contact(web((True, 10, 0), (True, 10, 0)), scenario="home-help", municipality=municipality),
    ]


BASE_SCORE = (0.275 * 87.5 + 0.125 * (51 / 0.7) + 0.175 * 40) / 0.575


def test_channel_and_sector_weighting_by_hand(protocol: Protocol) -> None:
    result = score_round(protocol, hand_computed_contacts())
    (a,) = result.municipalities
    # Channel scores: phone 75; e-mail (100 + 50)/2 = 75; web (90 + 40)/2 = 65.
    assert a.channel_scores["phone"] == pytest.approx(75)
    assert a.channel_scores["email"] == pytest.approx(75)
    assert a.channel_scores["web"] == pytest.approx(65)
    # Municipality: sector-weighted mean of the sector scores below, re-normalised
    # over the sectors present (technical 0.275, children 0.125, care 0.175):
    # (0.275 × 87.5 + 0.125 × 72.857… + 0.175 × 40) / 0.575 = 40.1696… / 0.575 = 69.860…
    assert a.score == pytest.approx(BASE_SCORE)
    assert a.score == pytest.approx(69.86024845, abs=1e-6)
    assert a.band is not None and a.band.label["nb"] == "Bra"
    # Technical: phone 75, e-mail 100 → (0.3 × 75 + 0.3 × 100) / 0.6 = 52.5 / 0.6 = 87.5.
    assert a.sector_scores["technical"] == pytest.approx(87.5)
    # Children: e-mail 50, web 90 → (0.3 × 50 + 0.4 × 90) / 0.7 = 51 / 0.7 = 72.857…
    assert a.sector_scores["children"] == pytest.approx(51 / 0.7)
    # Care: web only → 40.
    assert a.sector_scores["care"] == pytest.approx(40)
    assert a.sector_scores["health"] is None
    assert (a.contacts, a.missing, a.awaiting) == (5, 0, 0)


def test_weights_renormalise_over_the_channels_present(protocol: Protocol) -> None:
    # Phone 75 and e-mail 100, no web: (0.3 × 75 + 0.3 × 100) / 0.6 = 87.5.
    contacts = hand_computed_contacts()[:2]
    (a,) = score_round(protocol, contacts).municipalities
    assert a.channel_scores["web"] is None
    assert a.score == pytest.approx(87.5)


def test_channel_weights_come_from_the_protocol(data: dict[str, Any]) -> None:
    data["channels"]["web"]["weight"] = 0.2
    data["channels"]["phone"]["weight"] = 0.5
    protocol = Protocol.model_validate(data)
    (a,) = score_round(protocol, hand_computed_contacts()).municipalities
    # Technical: (0.5 × 75 + 0.3 × 100) / 0.8 = 84.375; children: (0.3 × 50 + 0.2 × 90) / 0.5
    # = 66; care: web 40. Sectors: (0.275 × 84.375 + 0.125 × 66 + 0.175 × 40) / 0.575 = 66.875
    assert a.sector_scores["technical"] == pytest.approx(84.375)
    assert a.sector_scores["children"] == pytest.approx(66.0)
    assert a.score == pytest.approx(66.875)


@pytest.mark.parametrize(
    ("rule", "phone_score", "total", "excluded"),
    [
        # zero: technical phone (75 + 0)/2 = 37.5, so technical (0.3 × 37.5 + 0.3 × 100) / 0.6
        # = 68.75; (0.275 × 68.75 + 0.125 × 72.857… + 0.175 × 40) / 0.575 = 60.892…
        ("zero", 37.5, (0.275 * 68.75 + 0.125 * (51 / 0.7) + 0.175 * 40) / 0.575, 0),
        # exclude: as if the contact had not been planned
        ("exclude", 75.0, BASE_SCORE, 1),
    ],
)
def test_missing_contacts_zero_versus_exclude(
    data: dict[str, Any], rule: str, phone_score: float, total: float, excluded: int
) -> None:
    data["missing_contacts"] = rule
    protocol = Protocol.model_validate(data)
    contacts = [*hand_computed_contacts(), contact(None, channel="phone", municipality="A")]
    result = score_round(protocol, contacts)
    (a,) = result.municipalities
    assert a.channel_scores["phone"] == pytest.approx(phone_score)
    assert a.score == pytest.approx(total)
    assert a.missing == 1
    assert (result.missing, result.missing_excluded) == (1, excluded)
    # A contact not carried out is in no KKiK denominator, whatever the rule.
    assert a.indicators["phone_direct_answer"].denominator == 1


def test_awaiting_web_items_count_as_not_found_with_a_best_case(protocol: Protocol) -> None:
    undecided = contact(
        web((True, 10, 3), (False, None, None)), scenario="home-help", municipality="A"
    )
    result = score_round(protocol, [*hand_computed_contacts(), undecided])
    (a,) = result.municipalities
    # Web: (90 + 40 + 0)/3; care: (40 + 0)/2 = 20 while undecided.
    assert a.channel_scores["web"] == pytest.approx(130 / 3)
    assert a.sector_scores["care"] == pytest.approx(20)
    assert a.score == pytest.approx((0.275 * 87.5 + 0.125 * (51 / 0.7) + 0.175 * 20) / 0.575)
    # Best case: the item found with full quality, care (40 + 100)/2 = 70.
    assert a.best_score == pytest.approx((0.275 * 87.5 + 0.125 * (51 / 0.7) + 0.175 * 70) / 0.575)
    assert a.awaiting == 1
    assert result.awaiting_decision == [undecided]
    # An undecided item is in no KKiK indicator.
    assert (
        a.indicators["checkpoints_answered"]
        == score_round(protocol, hand_computed_contacts())
        .municipality("A")
        .indicators["checkpoints_answered"]
    )


def test_unknown_scenario_is_rejected(protocol: Protocol) -> None:
    stray = Contact("0301", "dog-licence", "technical", "phone", None)
    with pytest.raises(ValueError, match="dog-licence"):
        score_round(protocol, [stray])


# ----------------------------------------------------------------- ranking and bands


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (100.0, "Meget bra"),
        (81.0, "Meget bra"),
        (80.95, "Meget bra"),  # rounds to 81.0
        (80.94, "Bra"),
        (61.0, "Bra"),
        (60.95, "Bra"),
        (60.94, "Dårlig"),
        (0.0, "Dårlig"),
    ],
)
def test_band_edges(value: float, label: str) -> None:
    assert band_for(grade_bands(BASE_PROTOCOL), value).label["nb"] == label


def test_rounding_is_half_up_and_ignores_float_noise() -> None:
    assert round_score(80.95) == 81.0
    assert round_score(80.94999999999999) == 81.0
    assert round_score(80.9499) == 80.9
    assert round_score(0.05) == 0.1
    assert round_score(2.25) == 2.3


def test_bands_are_configuration(data: dict[str, Any]) -> None:
    data["grade_bands"] = [
        {"min": 75, "label": tr("Godkjent")},
        {"min": 0, "label": tr("Ikke godkjent")},
    ]
    bands = grade_bands(Protocol.model_validate(data))
    assert [band.min for band in bands] == [75, 0]
    assert band_for(bands, 74.96).label["nb"] == "Godkjent"
    assert band_for(bands, 74.94).label["nb"] == "Ikke godkjent"


def test_competition_ranking_with_ties_on_rounded_scores() -> None:
    ranks = competition_ranks({"a": 81.0, "b": 80.95, "c": 75.04, "d": 75.0, "e": 70.0})
    # a and b both show 81.0; c and d both show 75.0.
    assert ranks == {"a": 1, "b": 1, "c": 3, "d": 3, "e": 5}


def test_quartiles_of_eight_distinct_scores() -> None:
    scores = {str(i): 100.0 - 10 * i for i in range(8)}
    bands = quartile_bands(scores)
    assert [bands[str(i)] for i in range(8)] == [TOP] * 2 + [MIDDLE] * 4 + [BOTTOM] * 2


def test_quartile_ties_share_the_outer_band() -> None:
    scores = {"a": 90.0, "b": 80.0, "c": 80.0, "d": 70, "e": 60, "f": 50, "g": 40, "h": 40}
    bands = quartile_bands(scores)
    assert (bands["b"], bands["c"]) == (TOP, TOP)  # positions 2–3, rank 2 ≤ 8/4
    assert (bands["g"], bands["h"]) == (BOTTOM, BOTTOM)
    assert bands["f"] == MIDDLE


def test_quartiles_small_or_all_equal() -> None:
    assert set(quartile_bands({"a": 90.0, "b": 50.0, "c": 10.0}).values()) == {MIDDLE}
    assert set(quartile_bands({str(i): 50.0 for i in range(8)}).values()) == {MIDDLE}
    assert quartile_bands({"a": 90.0, "b": 50.0, "c": 30.0, "d": 10.0}) == {
        "a": TOP,
        "b": MIDDLE,
        "c": MIDDLE,
        "d": BOTTOM,
    }


def quality_round(qualities: dict[str, int | None]) -> list[Contact]:
    """One web contact per municipality: None = not found (0), q = found with quality q."""
    return [
        contact(
            web((q is not None, 10, q), (q is not None, 10, q)),
            scenario="home-help",
            municipality=code,
        )
        for code, q in qualities.items()
    ]


def test_round_ranks_and_national_average(protocol: Protocol) -> None:
    # Web scores: q3 → 100, q2 → 80, q1 → 60, not found → 0.
    result = score_round(protocol, quality_round({"b": 3, "a": 3, "c": 2, "d": 1, "e": None}))
    assert [m.municipality for m in result.municipalities] == ["a", "b", "c", "d", "e"]
    assert [m.rank for m in result.municipalities] == [1, 1, 3, 4, 5]
    assert result.national_average == pytest.approx((100 + 100 + 80 + 60 + 0) / 5)
    assert result.municipality("c").band is not None
    assert [m.quartile for m in result.municipalities] == [TOP, TOP, MIDDLE, MIDDLE, BOTTOM]


# ----------------------------------------------------------------- KKiK indicators


def test_kkik_indicators(protocol: Protocol) -> None:
    contacts = [
        contact(email(0, courtesy=3)),
        contact(email(1, courtesy=2)),
        contact(email(2)),
        contact(email(None)),
        contact(None, channel="email"),  # not sent: in no denominator
        contact(phone((True, 5), first=True, courtesy=3)),
        contact(phone((True, 5), first=False, referred=True, courtesy=1)),
        contact(phone((False, None), (False, None))),  # unreached: no direct answer
    ]
    result = score_round(protocol, contacts)
    ind = result.municipality("0301").indicators
    assert (ind["email_within_1"].numerator, ind["email_within_1"].denominator) == (2, 4)
    assert (ind["email_within_2"].numerator, ind["email_within_2"].denominator) == (3, 4)
    assert (ind["phone_direct_answer"].numerator, ind["phone_direct_answer"].denominator) == (1, 3)
    # Courtesy: ratings 3 + 2 (e-mail) + 3 + 1 (phone) = 9 of 4 × 3 = 12 → 75 %.
    assert (ind["courtesy"].numerator, ind["courtesy"].denominator) == (9, 12)
    assert ind["courtesy"].value == 0.75


def test_national_indicators_mean_pooled_best_worst(protocol: Protocol) -> None:
    contacts = [
        contact(email(0), municipality="A"),
        contact(email(0), municipality="B"),
        contact(email(3), municipality="B"),
        contact(email(3), municipality="B"),
        contact(email(3), municipality="B"),
    ]
    summary = score_round(protocol, contacts).indicators["email_within_1"]
    assert summary.mean == pytest.approx((1.0 + 0.25) / 2)
    assert (summary.pooled.numerator, summary.pooled.denominator) == (2, 5)
    assert (summary.best, summary.worst, summary.municipalities) == (1.0, 0.25, 2)


# ----------------------------------------------------------------- headlines


def test_headlines_on_scores_and_bands(protocol: Protocol) -> None:
    # Scores 100, 100, 80, 80, 60, 60, 60 and 0: one in eight under 40.
    result = score_round(
        protocol,
        quality_round({"a": 3, "b": 3, "c": 2, "d": 2, "e": 1, "f": 1, "g": 1, "h": None}),
    )
    facts = headlines(result)
    under = next(h for h in facts if h.code == "score_under")
    assert (under.numerator, under.denominator, under.params["threshold"]) == (1, 8, 40.0)
    assert as_fraction_phrase(under.numerator, under.denominator) == (1, 8)
    bands = [(h.params["label"]["nb"], h.numerator) for h in facts if h.code == "grade_band"]
    assert bands == [("Meget bra", 2), ("Bra", 2), ("Dårlig", 4)]
    care = next(h for h in facts if h.code == "sector_pass" and h.params["sector"] == "care")
    # The pass mark is the protocol's ("godkjent", 75 by default), not a band's edge.
    assert (care.numerator, care.denominator, care.params["pass_mark"]) == (4, 8, 75.0)
    passed = next(h for h in facts if h.code == "passed")
    assert (passed.numerator, passed.denominator, passed.params["pass_mark"]) == (4, 8, 75.0)


def test_headlines_on_questions_answered_and_sectors(protocol: Protocol) -> None:
    def answered(covered: set[str]) -> PhoneRecord:
        return phone((True, 5), covered=covered)

    contacts: list[Contact] = []
    for code in ("A", "B"):
        contacts.append(contact(answered({"amount"}), municipality=code))  # 7/8 = 87.5
        contacts.append(contact(answered({"opening", "closing"}), "sfo-hours", municipality=code))
    contacts.append(contact(phone((False, None), (False, None)), municipality="C"))  # 0
    contacts.append(contact(answered({"opening", "closing"}), "sfo-hours", municipality="C"))
    result = score_round(protocol, contacts)
    facts = {(h.code, h.params.get("sector")): h for h in headlines(result)}
    # Checkpoints: technical 1 + 1 + 0 of 6, children 2 + 2 + 2 of 6 → 8 of 12.
    overall = facts[("checkpoints_answered", None)]
    assert (overall.numerator, overall.denominator) == (8, 12)
    assert as_fraction_phrase(overall.numerator, overall.denominator) == (2, 3)
    technical = facts[("checkpoints_answered_sector", "technical")]
    assert (technical.numerator, technical.denominator) == (2, 6)
    # National sector scores: technical (87.5 + 87.5 + 0)/3 = 58.3, children 100.
    best = next(h for h in facts.values() if h.code == "best_sector")
    worst = next(h for h in facts.values() if h.code == "worst_sector")
    assert (best.params["sector"], best.params["score"]) == ("children", 100.0)
    assert (worst.params["sector"], worst.params["score"]) == ("technical", 58.3)
    # Technical passes (≥ 75) in two of three municipalities.
    assert (worst.numerator, worst.denominator) == (2, 3)


@pytest.mark.parametrize(
    ("numerator", "denominator", "phrase"),
    [
        (45, 357, (1, 8)),
        (2, 3, (2, 3)),
        (667, 1000, (2, 3)),
        (119, 357, (1, 3)),
        (90, 357, (1, 4)),
        (1, 357, (1, 357)),
        (3, 10, (3, 10)),
        (356, 357, (356, 357)),
        (0, 357, (0, 1)),
        (357, 357, (1, 1)),
        (180, 357, (1, 2)),
    ],
)
def test_as_fraction_phrase(numerator: int, denominator: int, phrase: tuple[int, int]) -> None:
    assert as_fraction_phrase(numerator, denominator) == phrase


def test_as_fraction_phrase_rejects_non_shares() -> None:
    with pytest.raises(ValueError):
        as_fraction_phrase(1, 0)
    with pytest.raises(ValueError):
        as_fraction_phrase(5, 4)


# ----------------------------------------------------------------- a whole round


def synthetic_round(protocol: Protocol, municipalities: int = 357) -> list[Contact]:
    """About 30 contacts per municipality with varied outcomes (deterministic)."""
    contacts: list[Contact] = []
    for m in range(municipalities):
        code = f"{m:04d}"
        for k in range(10):
            v = (m * 7 + k * 3) % 11
            for scenario in protocol.scenarios:
                sector = scenario.sector
                cps = scenario.checkpoint_codes
                covered = set(cps[: v % (len(cps) + 1)])
                channel = scenario.channels[k % len(scenario.channels)]
                record: PhoneRecord | EmailRecord | WebRecord | None
                if v == 10:
                    record = None
                elif channel == "phone":
                    record = phone(
                        (v > 2, 30 * v),
                        (v > 1, 20),
                        first=v % 2 == 0,
                        covered=covered,
                        courtesy=v % 4,
                    )
                elif channel == "email":
                    record = email(None if v == 0 else v - 1, covered, v % 4)
                else:
                    record = web((v > 1, 10 * v, v % 4), (v > 1, 12 * v, (v + 1) % 4))
                contacts.append(Contact(code, scenario.code, sector, channel, record))
    return contacts


def test_whole_national_round_is_consistent(protocol: Protocol) -> None:
    # Speed is measured by benchmarks/, not here: this pins the national-scale results.
    contacts = synthetic_round(protocol)
    assert len(contacts) == 357 * 30
    result = score_round(protocol, contacts)
    assert len(result.municipalities) == 357
    scored = [m for m in result.municipalities if m.score is not None]
    assert all(0 <= (m.score or 0) <= 100 for m in scored)
    assert sum(m.quartile == TOP for m in scored) >= 357 // 4
    assert sum(h.numerator for h in headlines(result) if h.code == "grade_band") == len(scored)
    assert result.awaiting_decision  # quality 3 against 0 needs a third tester
    assert result.missing == sum(m.missing for m in result.municipalities) > 0


REAL_PROTOCOL = SHIPPED / "servicetest-protocol.yaml"


def test_the_shipped_protocol_scores_a_synthetic_round() -> None:
    real = load_file(REAL_PROTOCOL).protocol
    assert real is not None
    result = score_round(real, synthetic_round(real, municipalities=20))
    assert len(result.municipalities) == 20
    assert result.national_average is not None
    assert 0 <= result.national_average <= 100
    assert any(h.code == "checkpoints_answered" for h in headlines(result))
