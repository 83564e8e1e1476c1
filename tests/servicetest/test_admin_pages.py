"""Organiser and planner pages: plan a round, follow it, decide web items, lock, rank."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.audit.models import AuditEntry
from surveyapp.extensions import db
from surveyapp.models import TestAssignment, TestResult, TestRound
from surveyapp.questionnaires.store import latest_version
from surveyapp.servicetest import operations
from tests.servicetest_records import record_everything


@pytest.fixture
def callers(make_user: Callable[..., Any]) -> list[Any]:
    return [make_user("caller"), make_user("caller")]


@pytest.fixture
def planned_round(questionnaires: None, callers: list[Any]) -> TestRound:
    protocol = latest_version("servicetest-protocol")
    assert protocol is not None
    test_round = operations.plan(
        None,
        title="Servicetest 2026",
        protocol=protocol,
        year=2026,
        starts_on=date(2026, 9, 7),
        ends_on=date(2026, 9, 25),
        municipalities=["5501", "1804", "0301"],
        callers=[c.id for c in callers],
        seed=7,
        selection={"mode": "list"},
    )
    db.session.commit()
    return test_round


def test_admin_plans_a_round_through_the_form(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    questionnaires: None,
    callers: list[Any],
) -> None:
    login(make_user("admin"))
    protocol = latest_version("servicetest-protocol")
    assert protocol is not None
    data = {
        "title": "Kommunetest Troms",
        "protocol": str(protocol.id),
        "year": "2026",
        "starts_on": "07.09.2026",
        "ends_on": "02.10.2026",
        "mode": "county",
        "county": "55",
        "seed": "42",
        "callers": [str(c.id) for c in callers],
        "daily_cap": "40",
    }
    preview = client.post("/servicetest/new?lang=en", data=data)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Preview: the plan before it is saved" in html
    assert 'name="action" value="save"' in html and "Per caller and day" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TestRound)) == 0
    response = client.post("/servicetest/new", data={**data, "action": "save"})
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    test_round = db.session.scalars(sa.select(TestRound)).one()
    codes = {m.code for m in test_round.municipalities}
    assert codes and all(code.startswith("55") for code in codes)
    assignments = db.session.scalars(sa.select(TestAssignment)).all()
    protocol = operations.protocol_of(test_round)
    per_municipality = sum(
        len(s.channels) + ("web" in s.channels) for s in protocol.scenarios
    )  # web items have two testers
    assert len(assignments) == per_municipality * len(codes)
    phone = [a for a in assignments if a.channel == "phone"]
    assert all(
        a.due_at is not None and a.due_at.astimezone(operations.planning.OSLO).weekday() < 5
        for a in phone
    )
    oslo_times = [a.due_at.astimezone(operations.planning.OSLO).time() for a in phone if a.due_at]
    assert min(oslo_times).strftime("%H:%M") >= "09:30"
    assert max(oslo_times).strftime("%H:%M") <= "15:00"
    loads = [sum(a.caller_id == c.id for a in assignments) for c in callers]
    assert max(loads) - min(loads) <= 1  # spread evenly over the callers
    assert db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "plan")).one()


def test_planning_with_the_same_seed_is_repeatable(
    questionnaires: None, callers: list[Any]
) -> None:
    protocol = latest_version("servicetest-protocol")
    assert protocol is not None
    plans = []
    for _ in range(2):
        planned = operations.planning.plan_round(
            operations.protocol_in(protocol),
            ["5501", "1804"],
            [c.id for c in callers],
            date(2026, 9, 7),
            date(2026, 9, 25),
            seed=11,
        )
        plans.append(planned)
    assert plans[0] == plans[1]


def test_plan_form_reports_bad_period_and_unknown_numbers(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    questionnaires: None,
    callers: list[Any],
) -> None:
    login(make_user("admin"))
    protocol = latest_version("servicetest-protocol")
    assert protocol is not None
    base = {
        "title": "X",
        "protocol": str(protocol.id),
        "year": "2026",
        "seed": "1",
        "callers": [str(callers[0].id)],
    }
    bad_period = client.post(
        "/servicetest/new?lang=en",
        data={**base, "starts_on": "10.09.2026", "ends_on": "01.09.2026", "mode": "all"},
    )
    assert "The last day must be on or after the first day." in bad_period.get_data(as_text=True)
    unknown = client.post(
        "/servicetest/new?lang=en",
        data={
            **base,
            "starts_on": "2026-09-01",
            "ends_on": "2026-09-10",
            "mode": "list",
            "codes": "5501 9999",
        },
    )
    assert "Unknown municipality numbers: 9999" in unknown.get_data(as_text=True)
    no_bands = client.post(
        "/servicetest/new?lang=en",
        data={
            **base,
            "starts_on": "2026-09-01",
            "ends_on": "2026-09-10",
            "mode": "sample",
            "per_band": "3",
        },
    )
    assert "No size bands are loaded" in no_bands.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TestRound)) == 0


def test_ranking_municipality_page_and_lock(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    planned_round: TestRound,
) -> None:
    record_everything(planned_round, {"5501": 1.0, "1804": 0.5, "0301": 0.0})
    login(make_user("admin"))
    page = client.get(f"/servicetest/{planned_round.id}/ranking?lang=en").get_data(as_text=True)
    assert page.index("Tromsø") < page.index("Bodø") < page.index("Oslo")
    assert "National average" in page and "Calls with a direct answer" in page
    result = operations.score(planned_round)
    assert [m.municipality for m in result.municipalities] == ["5501", "1804", "0301"]
    assert result.municipalities[0].band is not None
    detail = client.get(f"/servicetest/{planned_round.id}/m/5501?lang=en").get_data(as_text=True)
    assert "Every contact, its points and why" in detail and "Reached at attempt 1." in detail
    assert client.post(f"/servicetest/{planned_round.id}/lock").status_code == 302  # nothing open
    assert db.session.get(TestRound, planned_round.id).status == "locked"  # type: ignore[union-attr]
    assignment = db.session.scalars(sa.select(TestAssignment)).first()
    assert assignment is not None
    with pytest.raises(operations.ServiceTestError):
        operations.save_result(None, assignment, {"found": True, "seconds": 1, "quality": 3})


def test_planner_sees_own_municipality_only(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    planned_round: TestRound,
) -> None:
    record_everything(planned_round, {"5501": 1.0, "1804": 0.5, "0301": 0.0})
    login(make_user("planner", municipalities=["1804"]))
    page = client.get(f"/servicetest/{planned_round.id}/ranking?lang=en").get_data(as_text=True)
    assert "Bodø" in page and "Tromsø" not in page and "Oslo" not in page
    assert "National average" in page
    assert client.get(f"/servicetest/{planned_round.id}/m/5501").status_code == 403
    assert client.get(f"/servicetest/{planned_round.id}/m/1804").status_code == 200
    assert client.get("/servicetest/new").status_code == 403
    assert client.post(f"/servicetest/{planned_round.id}/lock").status_code == 403


def test_disagreeing_web_testers_await_a_decider(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    planned_round: TestRound,
    callers: list[Any],
) -> None:
    web = db.session.scalars(
        sa.select(TestAssignment)
        .where(TestAssignment.channel == "web", TestAssignment.municipality_code == "5501")
        .order_by(TestAssignment.scenario_code, TestAssignment.tester_slot)
    ).all()
    first, second = web[0], web[1]
    assert (first.scenario_code, first.tester_slot, second.tester_slot) == (
        second.scenario_code,
        1,
        2,
    )
    operations.save_result(None, first, {"found": True, "seconds": 30, "quality": 3})
    operations.save_result(None, second, {"found": False, "seconds": 120, "quality": None})
    db.session.commit()
    assert ("5501", "", first.scenario_code) in operations.awaiting_decision(planned_round)
    login(make_user("admin"))
    page = client.get(f"/servicetest/{planned_round.id}?lang=en").get_data(as_text=True)
    assert "The testers disagree on 1 web item." in page
    # A tester who checked the item cannot decide it (one of them used to be accepted).
    for rater in (first.caller_id, second.caller_id):
        refused = client.post(
            f"/servicetest/{planned_round.id}/decider",
            data={"municipality": "5501", "scenario": first.scenario_code, "caller": str(rater)},
        )
        assert refused.status_code == 302
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(TestAssignment)
            .where(TestAssignment.tester_slot == 3)
        )
        == 0
    )
    third = make_user("caller")
    response = client.post(
        f"/servicetest/{planned_round.id}/decider",
        data={"municipality": "5501", "scenario": first.scenario_code, "caller": str(third.id)},
    )
    assert response.status_code == 302
    decider = db.session.scalars(
        sa.select(TestAssignment).where(TestAssignment.tester_slot == 3)
    ).one()
    operations.save_result(None, decider, {"found": True, "seconds": 50, "quality": 2})
    db.session.commit()
    assert ("5501", "", first.scenario_code) not in operations.awaiting_decision(planned_round)


def test_reassign_and_cancel_are_audited(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    planned_round: TestRound,
    callers: list[Any],
) -> None:
    login(make_user("admin"))
    assignment = db.session.scalars(
        sa.select(TestAssignment).where(TestAssignment.caller_id == callers[0].id)
    ).first()
    assert assignment is not None
    aid = assignment.id
    assert (
        client.post(
            f"/servicetest/assignments/{aid}/reassign", data={"caller": str(callers[1].id)}
        ).status_code
        == 302
    )
    assert client.post(f"/servicetest/assignments/{aid}/cancel").status_code == 302
    changed = db.session.get(TestAssignment, aid)
    assert changed is not None and changed.caller_id == callers[1].id
    assert changed.status == "cancelled"
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(
            AuditEntry.entity_type == "test_assignment", AuditEntry.entity_id == str(aid)
        )
    ).all()
    assert actions == ["reassign", "cancel"]
    # A cancelled contact is left out of scoring entirely (not counted as missing).
    result = operations.score(planned_round)
    open_calls_and_mails = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(TestAssignment)
        .where(TestAssignment.status == "open", TestAssignment.channel != "web")
    )
    web_items = db.session.execute(
        sa.select(TestAssignment.municipality_code, TestAssignment.scenario_code)
        .where(TestAssignment.channel == "web")
        .distinct()
    ).all()
    assert result.missing == open_calls_and_mails + len(web_items)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TestResult)) == 0


def test_planner_sees_only_rounds_with_their_municipality_and_only_its_progress(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    planned_round: TestRound,
    callers: list[Any],
) -> None:
    protocol = latest_version("servicetest-protocol")
    assert protocol is not None
    oslo_only = operations.plan(
        None,
        title="Oslo-test",
        protocol=protocol,
        year=2026,
        starts_on=date(2026, 9, 7),
        ends_on=date(2026, 9, 25),
        municipalities=["0301"],
        callers=[c.id for c in callers],
        seed=3,
        selection={"mode": "list"},
    )
    db.session.commit()
    bodo_contacts = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(TestAssignment)
        .where(
            TestAssignment.test_round_id == planned_round.id,
            TestAssignment.municipality_code == "1804",
        )
    )
    all_contacts = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(TestAssignment)
        .where(TestAssignment.test_round_id == planned_round.id)
    )
    assert bodo_contacts and all_contacts and all_contacts == 3 * bodo_contacts

    login(make_user("planner", municipalities=["1804"]))
    listing = client.get("/servicetest?lang=en").get_data(as_text=True)
    assert "Servicetest 2026" in listing and "Oslo-test" not in listing
    assert f"0 / {bodo_contacts}</td>" in listing
    for url in (
        f"/servicetest/{oslo_only.id}",
        f"/servicetest/{oslo_only.id}/ranking",
        f"/servicetest/{oslo_only.id}/by/sector",
        f"/servicetest/{oslo_only.id}/m/1804",
    ):
        assert client.get(url).status_code == 403, url
    detail = client.get(f"/servicetest/{planned_round.id}?lang=en").get_data(as_text=True)
    assert "Figures for your own municipalities only." in detail
    assert f'To do</th><td class="num">{bodo_contacts}</td>' in detail
