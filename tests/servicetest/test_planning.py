"""The schedule: daily cap, one call per caller per slot, one call per municipality a day,
both web checks on one day by two testers, and what the plan needs when it does not fit."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from surveyapp.municipalities.register import REGISTER_FILE, parse_register
from surveyapp.questionnaires.definition import load_file
from surveyapp.questionnaires.protocol import Protocol
from surveyapp.servicetest import planning
from surveyapp.servicetest.planning import CONSTRAINTS, OSLO, PlanDoesNotFit, check_plan
from surveyapp.servicetest.workdays import add_working_days, working_days_in

SHIPPED = Path(__file__).resolve().parents[2] / "surveyapp/questionnaires/definitions"
START = date(2026, 9, 7)
END = add_working_days(START, 39)  # 40 working days
CALLERS = list(range(1, 13))


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    found = load_file(SHIPPED / "servicetest-protocol.yaml").protocol
    assert found is not None
    return found


@pytest.fixture(scope="module")
def everyone() -> list[str]:
    return [row.code for row in parse_register(REGISTER_FILE.read_bytes(), "register")]


def test_the_national_round_is_planned_with_no_violation_in_seconds(
    protocol: Protocol, everyone: list[str]
) -> None:
    assert len(working_days_in(START, END)) == 40 and len(everyone) == 357
    started = time.perf_counter()
    plan = planning.plan_round(protocol, everyone, CALLERS, START, END, seed=1)
    seconds = time.perf_counter() - started
    assert len(plan) == 11_424
    assert check_plan(plan, protocol, planning.DEFAULT_DAILY_CAP) == dict.fromkeys(CONSTRAINTS, 0)
    assert seconds < 5
    shown = planning.preview(plan, protocol, planning.DEFAULT_DAILY_CAP)
    assert shown.busiest_caller_day <= planning.DEFAULT_DAILY_CAP
    assert max(shown.calls_per_caller_day.values()) <= 22  # slots of 15 min in 09:30–15:00
    assert all(m["busiest_day"] <= 2 for m in shown.per_municipality.values())  # a web pair
    loads = [sum(p.caller == c for p in plan) for c in CALLERS]
    assert max(loads) - min(loads) <= 1


def _contact(
    caller: int | None,
    at: datetime,
    channel: str = "phone",
    municipality: str = "5501",
    scenario: str = "water-fee",
    slot: int = 1,
) -> planning.PlannedContact:
    return planning.PlannedContact(municipality, scenario, "technical", channel, slot, caller, at)


def test_check_plan_counts_each_constraint(protocol: Protocol) -> None:
    ten = datetime(2026, 9, 8, 10, 0, tzinfo=OSLO)
    bad = [
        _contact(1, ten),
        _contact(1, ten, municipality="1804"),  # caller 1 twice at 10:00
        _contact(2, ten.replace(hour=11)),  # 5501's second call that day
        _contact(3, ten.replace(hour=16)),  # after the phone hours, third call
        _contact(None, datetime(2026, 9, 12, 10, tzinfo=OSLO), municipality="0301"),  # Saturday
        _contact(4, ten, "web", "0301", "tool-shed", 1),
        _contact(5, ten.replace(day=9), "web", "0301", "tool-shed", 2),  # the next day
        _contact(6, ten, "web", "1804", "tool-shed", 1),
        _contact(6, ten, "web", "1804", "tool-shed", 2),  # one tester twice
        *[_contact(7, ten, "email", scenario=f"s{n}") for n in range(3)],
    ]
    assert check_plan(bad, protocol, daily_cap=2) == {
        "over_daily_cap": 1,
        "caller_double_booked": 1,
        "municipality_calls_per_day": 2,
        "web_checks_apart": 1,
        "same_tester_twice": 1,
        "outside_phone_hours": 2,
        "without_caller": 1,
    }


def test_calls_per_municipality_per_day_is_a_protocol_setting(
    protocol: Protocol, everyone: list[str]
) -> None:
    phone = protocol.channels.phone
    assert phone is not None
    two = protocol.model_copy(
        update={
            "channels": protocol.channels.model_copy(
                update={"phone": phone.model_copy(update={"calls_per_municipality_per_day": 2})}
            )
        }
    )
    few = everyone[:20]
    days = add_working_days(START, 3)  # 4 days for 8 calls each: two a day
    plan = planning.plan_round(two, few, CALLERS, START, days, seed=3, daily_cap=40)
    assert check_plan(plan, two, 40)["municipality_calls_per_day"] == 0
    assert check_plan(plan, protocol, 40)["municipality_calls_per_day"] > 0
    with pytest.raises(PlanDoesNotFit) as refused:
        planning.plan_round(protocol, few, CALLERS, START, days, seed=3, daily_cap=40)
    assert refused.value.shortfall.callers_needed is None  # more callers cannot help
    assert refused.value.shortfall.days_needed == 8  # 8 calls a municipality, 1 a day


def test_when_the_work_does_not_fit_the_plan_says_what_it_needs(
    protocol: Protocol, everyone: list[str]
) -> None:
    with pytest.raises(PlanDoesNotFit) as refused:
        planning.plan_round(protocol, everyone, CALLERS, START, END, seed=1, daily_cap=23)
    need = refused.value.shortfall
    assert (need.contacts, need.callers, need.working_days, need.daily_cap) == (11_424, 12, 40, 23)
    assert need.callers_needed == 13 and need.days_needed == 42
    assert need.last_day == add_working_days(START, 41)
    # What it says is enough, and one fewer is not.
    more = list(range(1, 14))
    assert planning.plan_round(protocol, everyone, more, START, END, 1, 23)
    longer = need.last_day
    assert longer is not None
    assert planning.plan_round(protocol, everyone, CALLERS, START, longer, 1, 23)
    shorter = add_working_days(START, 40)
    with pytest.raises(PlanDoesNotFit):
        planning.plan_round(protocol, everyone, CALLERS, START, shorter, 1, 23)


def test_web_items_need_two_testers(protocol: Protocol) -> None:
    with pytest.raises(PlanDoesNotFit) as refused:
        planning.plan_round(protocol, ["5501"], [1], START, END, seed=1)
    assert refused.value.shortfall.callers_needed == 2
    assert refused.value.shortfall.days_needed is None


@pytest.mark.parametrize(
    ("starts", "ends", "municipalities", "callers", "key"),
    [
        (END, START, ["5501"], [1, 2], "ends_before_start"),
        (date(2026, 9, 12), date(2026, 9, 13), ["5501"], [1, 2], "no_working_days"),
        (START, END, [], [1, 2], "no_municipalities"),
        (START, END, ["5501"], [], "no_callers"),
    ],
)
def test_planning_errors(
    protocol: Protocol,
    starts: date,
    ends: date,
    municipalities: list[str],
    callers: list[int],
    key: str,
) -> None:
    with pytest.raises(planning.PlanningError, match=key):
        planning.plan_round(protocol, municipalities, callers, starts, ends, seed=1)


def test_the_plan_stays_inside_the_cap_when_it_is_tight(
    protocol: Protocol, everyone: list[str]
) -> None:
    plan = planning.plan_round(protocol, everyone[:30], [1, 2, 3], START, END, 5, daily_cap=8)
    shown = planning.preview(plan, protocol, 8)
    assert shown.busiest_caller_day <= 8
    assert shown.violations == dict.fromkeys(CONSTRAINTS, 0)
    assert replace(shown, violations={}).days[0] >= START


def test_the_protocols_closed_days_are_not_planned_and_count_as_outside(
    protocol: Protocol, everyone: list[str]
) -> None:
    closed = protocol.model_copy(update={"non_working_days": ((12, 24), (12, 31))})
    christmas_eve = datetime(2026, 12, 24, 10, 0, tzinfo=OSLO)  # a Thursday
    call = [_contact(1, christmas_eve)]
    assert check_plan(call, protocol, 10)["outside_phone_hours"] == 0  # legal calendar
    assert check_plan(call, closed, 10)["outside_phone_hours"] == 1
    few = everyone[:12]
    start, end = date(2026, 12, 21), date(2027, 1, 8)
    plan = planning.plan_round(closed, few, CALLERS, start, end, seed=2, daily_cap=40)
    days = {p.due_at.astimezone(OSLO).date() for p in plan}
    assert date(2026, 12, 24) not in days and date(2026, 12, 31) not in days
    assert check_plan(plan, closed, 40) == dict.fromkeys(CONSTRAINTS, 0)
    # Too short: the days it says it needs skip the closed days too.
    with pytest.raises(PlanDoesNotFit) as refused:
        planning.plan_round(closed, few, CALLERS, start, date(2026, 12, 23), seed=2)
    last = refused.value.shortfall.last_day
    assert last is not None
    need = refused.value.shortfall.days_needed
    assert need is not None and len(working_days_in(start, last, closed.non_working_days)) == need
