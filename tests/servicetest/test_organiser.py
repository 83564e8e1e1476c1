"""The organiser's controls: lock with checks and a reason, unlock, extended dates,
deciding testers in one step, moving an absent caller's contacts, the plan's preview."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.api import publishing
from surveyapp.audit.models import AuditEntry
from surveyapp.extensions import db
from surveyapp.questionnaires.store import latest_version
from surveyapp.servicetest import controls, evidence, operations
from surveyapp.servicetest.models import TestAssignment, TestResult, TestRound
from surveyapp.servicetest.units import load_units, unit_names, units_of
from surveyapp.servicetest.workdays import NORWAY
from tests.servicetest_records import record_everything


@pytest.fixture
def callers(make_user: Callable[..., Any]) -> list[Any]:
    # Two callers with the same display name: "contacts by caller" must keep them apart.
    return [
        make_user("caller", name="Kari Nordmann"),
        make_user("caller", name="Kari Nordmann"),
        make_user("caller", name="Ola Nordmann"),
    ]


@pytest.fixture
def test_round(questionnaires: None, callers: list[Any]) -> TestRound:
    protocol = latest_version("servicetest-protocol")
    assert protocol is not None
    planned = operations.plan(
        None,
        title="Servicetest 2026",
        protocol=protocol,
        year=2026,
        starts_on=date(2026, 9, 7),
        ends_on=date(2026, 9, 25),
        municipalities=["5501", "1804"],
        callers=[c.id for c in callers],
        seed=7,
        selection={"mode": "list"},
    )
    db.session.commit()
    return planned


@pytest.fixture
def admin(
    client: FlaskClient, make_user: Callable[..., Any], login: Callable[[Any], FlaskClient]
) -> Any:
    user = make_user("admin")
    login(user)
    client.get("/servicetest?lang=en")
    return user


def refresh(test_round: TestRound) -> TestRound:
    db.session.expire_all()
    found = db.session.get(TestRound, test_round.id)
    assert found is not None
    return found


# --------------------------------------------------------------------------- lock


def test_lock_lists_open_work_and_needs_a_reason(
    client: FlaskClient, admin: Any, test_round: TestRound
) -> None:
    phone = db.session.scalars(
        sa.select(TestAssignment).where(TestAssignment.channel == "phone")
    ).first()
    assert phone is not None
    # A call marked done after one unanswered attempt (as the old sheet did).
    attempt = {"at": "2026-09-08T10:00:00+02:00", "reached": False, "waiting_seconds": None}
    db.session.add(
        TestResult(assignment_id=phone.id, record={"attempts": [attempt]}, recorded_by_id=None)
    )
    phone.status = "done"
    db.session.commit()

    page = client.get(f"/servicetest/{test_round.id}/lock").get_data(as_text=True)
    assert "Contacts not done" in page
    assert "Calls marked done after a single unanswered attempt: 1" in page
    assert "Tromsø" in page and "Bodø" in page  # names, not only numbers
    refused = client.post(f"/servicetest/{test_round.id}/lock", data={"reason": ""})
    assert refused.status_code == 200
    assert "The round still has open work" in refused.get_data(as_text=True)
    assert refresh(test_round).status == "planned"

    locked = client.post(
        f"/servicetest/{test_round.id}/lock", data={"reason": "Fristen er ute; resten er tapt."}
    )
    assert locked.status_code == 302
    test_round = refresh(test_round)
    assert test_round.status == "locked" and test_round.locked_at is not None
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "lock")).one()
    assert entry.new_value is not None
    assert entry.new_value["reason"] == "Fristen er ute; resten er tapt."
    assert entry.new_value["open"]["single_attempt"] == 1
    assert entry.new_value["open"]["not_done"] > 0


def test_lock_page_shows_tester_agreement_and_the_places_pending_decisions_could_change(
    client: FlaskClient, admin: Any, test_round: TestRound
) -> None:
    record_everything(test_round, {"5501": 1.0, "1804": 0.6})
    web = list(
        db.session.scalars(
            sa.select(TestAssignment)
            .where(TestAssignment.channel == "web", TestAssignment.municipality_code == "5501")
            .order_by(TestAssignment.scenario_code, TestAssignment.tester_slot)
        )
    )
    for first, second in list(zip(web[::2], web[1::2], strict=True))[:8]:  # disagree on 8
        operations.save_result(None, first, {"found": True, "seconds": 30, "quality": 3})
        operations.save_result(None, second, {"found": False, "seconds": 120, "quality": None})
    db.session.commit()
    checks = controls.lock_checks(test_round)
    assert checks.work.counts["awaiting_decision"] == 8
    tromso = next(m for m in checks.open_places if m.municipality == "5501")
    assert tromso.best_place != tromso.worst_place
    assert checks.agreement.round.n > 0 and checks.agreement.round.percent is not None

    page = client.get(f"/servicetest/{test_round.id}/lock?lang=en").get_data(as_text=True)
    assert "Web items awaiting a decision (8)" in page
    assert "Places that pending decisions could change" in page
    assert f"{tromso.best_place}–{tromso.worst_place}" in page
    assert "Agreement between web testers" in page and "The whole round" in page
    nb = client.get(f"/servicetest/{test_round.id}/lock?lang=nb").get_data(as_text=True)
    assert "Samsvar mellom nettesterne" in nb

    locked = client.post(f"/servicetest/{test_round.id}/lock", data={"reason": "Avgjøres ikke."})
    assert locked.status_code == 302
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "lock")).one()
    assert entry.new_value is not None
    assert entry.new_value["open"] == {"awaiting_decision": 8}
    assert entry.new_value["places_open"] == len(checks.open_places)
    shown = entry.new_value["agreement"]
    assert (shown["items"], shown["percent"]) == (
        checks.agreement.round.n,
        checks.agreement.round.percent,
    )


def test_a_round_with_nothing_open_locks_without_a_reason(
    client: FlaskClient, admin: Any, test_round: TestRound
) -> None:
    record_everything(test_round, {"5501": 1.0, "1804": 0.6})
    ranking = client.get(f"/servicetest/{test_round.id}/ranking").get_data(as_text=True)
    assert "<h1>Ranking (provisional): Servicetest 2026</h1>" in ranking
    page = client.get(f"/servicetest/{test_round.id}/lock").get_data(as_text=True)
    assert "Nothing is open" in page
    assert client.post(f"/servicetest/{test_round.id}/lock", data={}).status_code == 302
    assert refresh(test_round).status == "locked"
    ranking = client.get(f"/servicetest/{test_round.id}/ranking").get_data(as_text=True)
    assert "<h1>Ranking: Servicetest 2026</h1>" in ranking


def test_call_backs_awaited_replies_and_decisions_are_open_work(
    test_round: TestRound, callers: list[Any]
) -> None:
    call = db.session.scalars(
        sa.select(TestAssignment).where(TestAssignment.channel == "phone")
    ).first()
    mail = db.session.scalars(
        sa.select(TestAssignment).where(TestAssignment.channel == "email")
    ).first()
    assert call is not None and mail is not None
    moment = datetime(2026, 9, 8, 10, tzinfo=NORWAY)
    attempt = {"at": moment.isoformat(), "reached": False, "waiting_seconds": None}
    operations.save_result(None, call, {"attempts": [attempt]}, now=moment)
    mail_record = {"sent_at": moment.isoformat(), "replied_at": None, "courtesy": None}
    operations.save_result(None, mail, mail_record, now=moment)
    web = db.session.scalars(
        sa.select(TestAssignment)
        .where(TestAssignment.channel == "web")
        .order_by(TestAssignment.scenario_code, TestAssignment.municipality_code)
    ).all()[:2]
    operations.save_result(None, web[0], {"found": True, "seconds": 30, "quality": 3})
    operations.save_result(None, web[1], {"found": False, "seconds": 100, "quality": None})
    db.session.commit()
    work = controls.open_work(test_round, now=moment)
    assert work.counts["callbacks"] == 1
    assert work.counts["awaiting_replies"] == 1
    assert work.counts["awaiting_decision"] == 1
    with pytest.raises(controls.ControlError, match="open_work"):
        controls.lock(None, test_round)


def test_unlock_needs_a_reason_and_is_refused_while_published(
    client: FlaskClient, admin: Any, test_round: TestRound
) -> None:
    record_everything(test_round, {"5501": 1.0, "1804": 0.6})
    controls.lock(None, test_round)
    db.session.commit()
    page = client.get(f"/servicetest/{test_round.id}").get_data(as_text=True)
    assert "Unlock the round" in page
    client.post(f"/servicetest/{test_round.id}/unlock", data={"reason": ""})
    assert refresh(test_round).status == "locked"
    publishing.publish_test_round(None, refresh(test_round))
    db.session.commit()
    response = client.post(
        f"/servicetest/{test_round.id}/unlock",
        data={"reason": "Feil i en registrering"},
        follow_redirects=True,
    )
    assert "Withdraw the publication before unlocking it." in response.get_data(as_text=True)
    assert refresh(test_round).status == "locked"
    publishing.unpublish_test_round(None, refresh(test_round))
    db.session.commit()
    client.post(f"/servicetest/{test_round.id}/unlock", data={"reason": "Feil i en registrering"})
    test_round = refresh(test_round)
    assert test_round.status == "running" and test_round.locked_at is None
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "unlock")).one()
    assert entry.new_value == {"status": "running", "reason": "Feil i en registrering"}


# --------------------------------------------------------------------------- dates


def test_extended_dates_let_overdue_contacts_be_recorded(
    client: FlaskClient,
    admin: Any,
    test_round: TestRound,
    login: Callable[[Any], FlaskClient],
    callers: list[Any],
) -> None:
    shorter = client.post(
        f"/servicetest/{test_round.id}/settings",
        data={"starts_on": "07.09.2026", "ends_on": "18.09.2026", "evidence_retention_days": "90"},
    )
    assert "The dates can only be extended" in shorter.get_data(as_text=True)
    mail = db.session.scalars(
        sa.select(TestAssignment).where(TestAssignment.channel == "email")
    ).first()
    assert mail is not None
    owner = next(c for c in callers if c.id == mail.caller_id)
    client.post("/logout")
    login(owner)
    late = {"sent_at": "01.10.2026 10:00", "replied_at": "01.10.2026 12:00", "courtesy": "2"}
    html = client.post(f"/calls/{mail.id}?lang=en", data=late).get_data(as_text=True)
    assert "The time must be within the test round" in html
    client.post("/logout")
    login(admin)
    response = client.post(
        f"/servicetest/{test_round.id}/settings",
        data={"starts_on": "07.09.2026", "ends_on": "09.10.2026", "evidence_retention_days": "90"},
    )
    assert response.status_code == 302
    test_round = refresh(test_round)
    assert test_round.ends_on == date(2026, 10, 9) and test_round.evidence_retention_days == 90
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "settings")).one()
    assert entry.old_value == {"ends_on": "2026-09-25", "evidence_retention_days": 365}
    client.post("/logout")
    login(owner)
    assert client.post(f"/calls/{mail.id}", data=late).status_code == 302
    db.session.expire_all()
    assert db.session.get(TestAssignment, mail.id).status == "done"  # type: ignore[union-attr]


# --------------------------------------------------------------------------- decisions


def _disagree(test_round: TestRound, municipality: str) -> tuple[TestAssignment, TestAssignment]:
    first, second = db.session.scalars(
        sa.select(TestAssignment)
        .where(
            TestAssignment.test_round_id == test_round.id,
            TestAssignment.channel == "web",
            TestAssignment.municipality_code == municipality,
        )
        .order_by(TestAssignment.scenario_code, TestAssignment.tester_slot)
        .limit(2)
    ).all()
    operations.save_result(first.caller_id, first, {"found": True, "seconds": 30, "quality": 3})
    operations.save_result(second.caller_id, second, {"found": False, "seconds": 110})
    return first, second


def test_all_pending_decisions_are_assigned_in_one_step(
    client: FlaskClient, admin: Any, test_round: TestRound, callers: list[Any]
) -> None:
    items = [_disagree(test_round, "1804"), _disagree(test_round, "5501")]  # as listed
    db.session.commit()
    page = client.get(f"/servicetest/{test_round.id}/decisions").get_data(as_text=True)
    assert "Tromsø" in page and "Bodø" in page
    assert "none yet" in page
    scenario = items[0][0].scenario_code
    question = operations.protocol_of(test_round).scenario(scenario).question["en"]
    assert question in page  # the item by its name, not its code
    # Neither rater is offered; a third is suggested.
    for n, (first, second) in enumerate(items):
        options = page.split(f'id="decider-{n}"', 1)[1].split("</select>", 1)[0]
        assert f'value="{first.caller_id}"' not in options
        assert f'value="{second.caller_id}"' not in options
        third = next(c for c in callers if c.id not in (first.caller_id, second.caller_id))
        assert f'value="{third.id}" selected' in options

    forged = client.post(
        f"/servicetest/{test_round.id}/decisions",
        data={"decider-0": str(items[0][0].caller_id)},
    )
    assert "must be neither of the two testers" in forged.get_data(as_text=True)
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(TestAssignment)
            .where(TestAssignment.tester_slot == 3)
        )
        == 0
    )

    thirds = [next(c for c in callers if c.id not in (a.caller_id, b.caller_id)) for a, b in items]
    response = client.post(
        f"/servicetest/{test_round.id}/decisions",
        data={f"decider-{n}": str(t.id) for n, t in enumerate(thirds)},
    )
    assert response.status_code == 302
    deciders = db.session.scalars(
        sa.select(TestAssignment).where(TestAssignment.tester_slot == 3)
    ).all()
    assert sorted(d.caller_id for d in deciders) == sorted(t.id for t in thirds)
    page = client.get(f"/servicetest/{test_round.id}/decisions").get_data(as_text=True)
    assert "none yet" not in page and thirds[0].name in page


def test_decisions_calls_and_evidence_keep_test_units_apart(
    questionnaires: None,
    client: FlaskClient,
    admin: Any,
    callers: list[Any],
    login: Callable[[Any], FlaskClient],
) -> None:
    """Oslo's districts as test units: the same web item in two districts is two items,
    each with its own deciding tester, and a decider sees only their own district's checks."""
    load_units()
    db.session.commit()
    protocol = latest_version("servicetest-protocol")
    assert protocol is not None
    test_round = operations.plan(
        None,
        title="Bydeler 2026",
        protocol=protocol,
        year=2026,
        starts_on=date(2026, 9, 7),
        ends_on=date(2026, 10, 2),
        municipalities=["0301"],
        callers=[c.id for c in callers],
        seed=5,
        selection={"mode": "list"},
        daily_cap=60,
        units=units_of(["0301"]),
    )
    db.session.commit()
    scenario = operations.protocol_of(test_round).scenarios[-1].code
    web = {
        (a.unit_code, a.tester_slot): a
        for a in db.session.scalars(
            sa.select(TestAssignment).where(
                TestAssignment.channel == "web", TestAssignment.scenario_code == scenario
            )
        )
    }
    districts = ["030101", "030102"]
    for unit in districts:
        operations.save_result(None, web[unit, 1], {"found": True, "seconds": 30, "quality": 3})
        operations.save_result(None, web[unit, 2], {"found": False, "seconds": 110})
    db.session.commit()
    assert operations.awaiting_decision(test_round) == [("0301", u, scenario) for u in districts]
    names = unit_names()
    pending = controls.pending_decisions(test_round)
    assert [p.municipality_name.split(" – ")[-1] for p in pending] == [names[u] for u in districts]
    lock_page = client.get(f"/servicetest/{test_round.id}/lock").get_data(as_text=True)
    assert f"– {names['030101']}" in lock_page and f"– {names['030102']}" in lock_page

    page = client.get(f"/servicetest/{test_round.id}/decisions").get_data(as_text=True)
    chosen = {}
    for n, unit in enumerate(districts):
        options = page.split(f'id="decider-{n}"', 1)[1].split("</select>", 1)[0]
        chosen[unit] = int(options.split('" selected', 1)[0].rsplit('value="', 1)[1])
        assert chosen[unit] not in (web[unit, 1].caller_id, web[unit, 2].caller_id)
    response = client.post(
        f"/servicetest/{test_round.id}/decisions",
        data={f"decider-{n}": str(chosen[u]) for n, u in enumerate(districts)},
    )
    assert response.status_code == 302
    deciders = {
        d.unit_code: d
        for d in db.session.scalars(
            sa.select(TestAssignment).where(TestAssignment.tester_slot == 3)
        )
    }
    assert sorted(deciders) == districts
    assert {u: d.caller_id for u, d in deciders.items()} == chosen

    # The first district decided: only the second still awaits a decision.
    operations.save_result(None, deciders["030101"], {"found": True, "seconds": 40, "quality": 2})
    db.session.commit()
    assert operations.awaiting_decision(test_round) == [("0301", "030102", scenario)]
    # Each decider sees the checks of their own district only.
    decider = next(c for c in callers if c.id == chosen["030101"])
    assert evidence.may_see(decider, web["030101", 1])
    if decider.id not in (web["030102", 1].caller_id, deciders["030102"].caller_id):
        assert not evidence.may_see(decider, web["030102", 1])
    client.post("/logout")
    login(decider)
    listing = client.get("/calls?section=done").get_data(as_text=True)
    assert f"– {names['030101']}" in listing
    sheet = client.get(f"/calls/{deciders['030101'].id}").get_data(as_text=True)
    assert f"Oslo - Oslove – {names['030101']}" in sheet


# --------------------------------------------------------------------------- moving


def test_an_ill_callers_open_contacts_move_in_one_step(
    client: FlaskClient, admin: Any, test_round: TestRound, callers: list[Any]
) -> None:
    ill, *others = callers
    mine = db.session.scalars(
        sa.select(TestAssignment).where(TestAssignment.caller_id == ill.id)
    ).all()
    done = next(a for a in mine if a.channel == "web")
    operations.save_result(ill.id, done, {"found": True, "seconds": 20, "quality": 2})
    db.session.commit()
    open_before = len(mine) - 1
    response = client.post(
        f"/servicetest/{test_round.id}/move",
        data={"from_caller": str(ill.id), "to_callers": [str(c.id) for c in others]},
        follow_redirects=True,
    )
    assert f"{open_before} open contacts were given to other callers." in response.get_data(
        as_text=True
    )
    db.session.expire_all()
    left = db.session.scalars(
        sa.select(TestAssignment).where(TestAssignment.caller_id == ill.id)
    ).all()
    assert [a.id for a in left] == [done.id]  # the done contact stays with who did it
    # Evenly shared, and no web item ends up with one tester twice.
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "reassign"))
    moved = Counter(e.new_value["caller_id"] for e in entries if e.new_value)
    assert sum(moved.values()) == open_before and set(moved) == {c.id for c in others}
    web = db.session.execute(
        sa.select(
            TestAssignment.municipality_code, TestAssignment.scenario_code, TestAssignment.caller_id
        ).where(TestAssignment.channel == "web")
    ).all()
    per_item = Counter((m, s) for m, s, _c in web)
    people = {(m, s): set() for m, s, _c in web}
    for m, s, c in web:
        people[m, s].add(c)
    assert all(len(people[key]) == n for key, n in per_item.items())


def test_contacts_by_caller_are_grouped_by_account(
    client: FlaskClient, admin: Any, test_round: TestRound, callers: list[Any]
) -> None:
    page = client.get(f"/servicetest/{test_round.id}").get_data(as_text=True)
    table = page.split("Contacts by caller", 1)[1].split("</table>", 1)[0]
    assert table.count("Kari Nordmann") == 2
    assert callers[0].email in table and callers[1].email in table


# --------------------------------------------------------------------------- the plan


def test_the_plan_form_says_what_the_work_needs(
    client: FlaskClient, admin: Any, questionnaires: None, callers: list[Any]
) -> None:
    protocol = latest_version("servicetest-protocol")
    assert protocol is not None
    html = client.post(
        "/servicetest/new",
        data={
            "title": "For mye",
            "protocol": str(protocol.id),
            "year": "2026",
            "starts_on": "07.09.2026",
            "ends_on": "18.09.2026",
            "mode": "list",
            "codes": "5501 1804 0301",
            "seed": "1",
            "callers": [str(c.id) for c in callers],
            "daily_cap": "3",
        },
    ).get_data(as_text=True)
    assert "The work does not fit" in html
    assert "96 contacts with 3 callers over 10 working days" in html
    assert "With these dates it needs 4 callers." in html
    assert "With these callers it needs 11 working days, to 21.09.2026." in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TestRound)) == 0
