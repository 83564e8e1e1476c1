"""The test caller's pages: my assignments, the call sheet, recording, editing and locking."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from surveyapp.audit.models import AuditEntry
from surveyapp.extensions import db
from surveyapp.questionnaires.store import latest_version
from surveyapp.servicetest import controls, operations
from surveyapp.servicetest.models import TestAssignment, TestResult, TestRound

MUNICIPALITIES = ["1101", "1103"]  # Eigersund, Stavanger


@dataclass
class Setup:
    round_id: int
    callers: list[Any]


@pytest.fixture
def setup(app: Flask, questionnaires: None, make_user: Callable[..., Any]) -> Setup:
    """A round over Easter 2026 with the shipped protocol, 2 municipalities and 2 callers."""
    callers = [make_user("caller"), make_user("caller")]
    protocol = latest_version("servicetest-protocol")
    assert protocol is not None
    test_round = operations.plan(
        None,
        title="Testrunde 2026",
        protocol=protocol,
        year=2026,
        starts_on=date(2026, 3, 30),
        ends_on=date(2026, 4, 17),
        municipalities=MUNICIPALITIES,
        callers=[c.id for c in callers],
        seed=7,
        selection={"mode": "list", "codes": MUNICIPALITIES},
    )
    db.session.commit()
    return Setup(test_round.id, callers)


@pytest.fixture
def as_user(
    client: FlaskClient, login: Callable[[Any], FlaskClient]
) -> Callable[[Any], FlaskClient]:
    """Log in and switch to English, so the tests read the English texts."""

    def go(user: Any) -> FlaskClient:
        login(user)
        client.get("/calls?lang=en")
        return client

    return go


def assignments(caller_id: int | None = None, **where: Any) -> list[TestAssignment]:
    query = sa.select(TestAssignment).order_by(TestAssignment.due_at, TestAssignment.id)
    if caller_id is not None:
        query = query.where(TestAssignment.caller_id == caller_id)
    for key, value in where.items():
        query = query.where(getattr(TestAssignment, key) == value)
    return list(db.session.scalars(query))


def stored(assignment_id: int) -> dict[str, Any] | None:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(TestResult.record).where(TestResult.assignment_id == assignment_id)
    )


def sheet_links(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/calls/(\d+)"', html)]


def phone_post(**overrides: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "attempt1_at": "2026-04-08T10:00",
        "attempt1_reached": "no",
        "attempt2_at": "2026-04-08T13:00",
        "attempt2_reached": "yes",
        "attempt2_wait_min": "1",
        "attempt2_wait_sec": "30",
        "answered_first_contact": "yes",
        "checkpoints": ["amount", "basis"],
        "referred": "not_needed",
        "courtesy": "3",
    }
    data.update(overrides)
    return data


def water_fee_phone(setup: Setup) -> TestAssignment:
    [assignment] = assignments(municipality_code="1101", scenario_code="water-fee", channel="phone")
    return assignment


def water_fee_email(setup: Setup) -> TestAssignment:
    [assignment] = assignments(municipality_code="1101", scenario_code="water-fee", channel="email")
    return assignment


def user_of(setup: Setup, assignment: TestAssignment) -> Any:
    return next(c for c in setup.callers if c.id == assignment.caller_id)


# --------------------------------------------------------------------------- access and list


def test_caller_sees_only_own_assignments_sorted_by_due_time(
    setup: Setup, as_user: Callable[[Any], FlaskClient]
) -> None:
    first, second = setup.callers
    mine = assignments(first.id)
    theirs = assignments(second.id)
    assert mine and theirs
    client = as_user(first)
    response = client.get("/calls?section=overdue")  # the round was in spring 2026
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    shown = sheet_links(html)
    assert shown == [a.id for a in mine]  # all open and past: overdue, soonest first
    assert not set(shown) & {a.id for a in theirs}
    assert "Eigersund" in html and "Stavanger" in html
    assert "What is the annual water and sewage fee for a 150 m² detached house?" in html
    assert "My assignments" in html  # the menu item

    assert client.get(f"/calls/{theirs[0].id}").status_code == 403
    assert client.post(f"/calls/{theirs[0].id}", data=phone_post()).status_code == 403
    assert client.get("/calls/999999").status_code == 404


def test_done_contacts_are_listed_separately(
    setup: Setup, as_user: Callable[[Any], FlaskClient]
) -> None:
    assignment = water_fee_email(setup)
    user = user_of(setup, assignment)
    operations.save_result(
        user.id,
        assignment,
        {
            "sent_at": "2026-04-01T10:00:00+02:00",
            "replied_at": None,
            "checkpoints_covered": [],
            "courtesy": None,
        },
    )
    db.session.commit()
    # Sent in April 2026 without a reply: its cut-off has passed, so it is done (0 points).
    client = as_user(user)
    done = client.get("/calls?section=done").get_data(as_text=True)
    overdue = client.get("/calls?section=overdue").get_data(as_text=True)
    assert f'href="/calls/{assignment.id}"' in done
    assert f'href="/calls/{assignment.id}"' not in overdue


def test_anonymous_and_planner_are_refused(
    setup: Setup,
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
) -> None:
    some = assignments()[0]
    for url in ("/calls", f"/calls/{some.id}"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    login(make_user("planner"))
    assert client.get("/calls").status_code == 403
    assert client.get(f"/calls/{some.id}").status_code == 403


def test_admin_may_open_any_sheet_and_sees_own_assignments(
    setup: Setup, make_user: Callable[..., Any], as_user: Callable[[Any], FlaskClient]
) -> None:
    admin = make_user("admin")
    assignment = water_fee_phone(setup)
    own = assignments()[-1]
    db.session.execute(
        sa.update(TestAssignment).where(TestAssignment.id == own.id).values(caller_id=admin.id)
    )
    db.session.commit()
    client = as_user(admin)
    assert sheet_links(client.get("/calls?section=overdue").get_data(as_text=True)) == [own.id]
    response = client.get(f"/calls/{assignment.id}")
    assert response.status_code == 200
    assert 'id="record-form"' in response.get_data(as_text=True)


# --------------------------------------------------------------------------- phone


def test_phone_sheet_shows_the_task_and_the_rules(
    setup: Setup, as_user: Callable[[Any], FlaskClient]
) -> None:
    assignment = water_fee_phone(setup)
    html = as_user(user_of(setup, assignment)).get(f"/calls/{assignment.id}").get_data(as_text=True)
    assert "Eigersund" in html and "1101" in html
    assert "Home buyer considering a detached house" in html  # persona
    assert "Introduce yourself by first name." in html  # script
    assert "Gives an annual amount in kroner" in html  # a checkpoint
    assert "between 09:30 and 15:00" in html
    assert "At most 2 attempts." in html
    assert (
        "Call back only if nobody answered, or the wait was over 4 minutes, at attempt 1." in html
    )
    assert 'type="datetime-local"' not in html  # its display follows the browser's locale
    assert re.search(r'name="attempt1_at" pattern="[^"]+" placeholder="dd.mm.yyyy hh:mm"', html)
    assert 'name="attempt1_wait_min"' in html and 'name="attempt1_wait_sec"' in html
    assert 'src="/static/js/timer.js"' in html and "<script>" not in html
    assert "0 – poor" in html and "3 – very good" in html


def test_recording_a_phone_call_stores_the_record_and_shows_the_points(
    setup: Setup, as_user: Callable[[Any], FlaskClient]
) -> None:
    assignment = water_fee_phone(setup)
    client = as_user(user_of(setup, assignment))
    response = client.post(f"/calls/{assignment.id}", data=phone_post(), follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert stored(assignment.id) == {
        "attempts": [
            {"at": "2026-04-08T10:00:00+02:00", "reached": False, "waiting_seconds": None},
            {"at": "2026-04-08T13:00:00+02:00", "reached": True, "waiting_seconds": 90},
        ],
        "answered_first_contact": True,
        "checkpoints_covered": ["amount", "basis"],
        "referred_correctly": None,
        "courtesy": 3,
    }
    assert "Saved" in html
    # 2 (first contact) + 2 checkpoints + 1 (no referral needed) + 3 (courtesy) of 9.
    assert "8 of 9 points" in html
    assert "Attempt 1: nobody answered." in html
    assert "Reached at attempt 2." in html
    # The form is pre-filled from the stored record.
    assert 'value="08.04.2026 13:00"' in html
    assert re.search(r'name="attempt2_wait_sec"[^>]*value="30"', html)
    db.session.expire_all()
    assert db.session.get(TestAssignment, assignment.id).status == "done"


def test_call_back_after_reaching_someone_is_an_error(
    setup: Setup, as_user: Callable[[Any], FlaskClient]
) -> None:
    assignment = water_fee_phone(setup)
    client = as_user(user_of(setup, assignment))
    response = client.post(
        f"/calls/{assignment.id}",
        data=phone_post(attempt1_reached="yes", attempt1_wait_min="0", attempt1_wait_sec="30"),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert stored(assignment.id) is None
    error = re.search(r'<p class="error-message" id="attempt2_at-error">(.*?)</p>', html, re.S)
    assert (
        error
        and "Call back only if nobody answered, or the wait was over 4 minutes, at attempt 1."
        in error.group(1)
    )
    assert 'href="#attempt2_at"' in html  # the error summary links to the field


def test_call_back_after_a_too_long_wait_is_allowed(
    setup: Setup, as_user: Callable[[Any], FlaskClient]
) -> None:
    assignment = water_fee_phone(setup)
    client = as_user(user_of(setup, assignment))
    client.post(
        f"/calls/{assignment.id}",
        data=phone_post(attempt1_reached="yes", attempt1_wait_min="5", attempt1_wait_sec="0"),
    )
    record = stored(assignment.id)
    assert record is not None
    assert record["attempts"][0] == {
        "at": "2026-04-08T10:00:00+02:00",
        "reached": True,
        "waiting_seconds": 300,
    }


PHONE_PROBLEMS: list[tuple[dict[str, Any], str, str]] = [
    ({"attempt2_wait_min": "-1"}, "attempt2_wait_min", "cannot be negative"),
    ({"attempt2_wait_min": "two"}, "attempt2_wait_min", "as a whole number"),
    ({"attempt2_wait_sec": "75"}, "attempt2_wait_sec", "Seconds must be from 0 to 59."),
    ({"attempt2_wait_sec": "9" * 5000}, "attempt2_wait_sec", "Seconds must be from 0 to 59."),
    # Only ASCII digits: int() would read "٣" as 3 and "1_0" as 10; "²" it refuses.
    ({"attempt2_wait_min": "²"}, "attempt2_wait_min", "as a whole number"),
    ({"attempt2_wait_min": "٣"}, "attempt2_wait_min", "as a whole number"),
    ({"attempt2_wait_min": "1_0"}, "attempt2_wait_min", "as a whole number"),
    ({"attempt2_wait_min": "99999"}, "attempt2_wait_min", "at most 1440 minutes"),
    ({"attempt1_at": "2026-03-27T10:00"}, "attempt1_at", "within the test round"),
    ({"attempt2_at": "2026-04-18T10:00"}, "attempt2_at", "within the test round"),
    ({"attempt1_at": "yesterday"}, "attempt1_at", "Enter a date and time"),
    ({"attempt2_at": "2026-04-08T09:00"}, "attempt2_at", "must come after attempt 1"),
    ({"courtesy": "5"}, "courtesy", "Choose a rating from 0 to 3."),
    ({"checkpoints": ["amount", "forged"]}, "checkpoints", "Unknown checkpoint: forged"),
    ({"attempt1_at": "", "attempt1_reached": ""}, "attempt1_at", "first call"),
    ({"referred": ""}, "referred", "Choose yes, no or not needed."),
]


def error_next_to(html: str, field: str) -> str:
    """The error message shown next to a field (empty when there is none)."""
    found = re.search(rf'<p class="error-message" id="{field}-error">(.*?)</p>', html, re.S)
    return found.group(1) if found else ""


def test_phone_validation(setup: Setup, as_user: Callable[[Any], FlaskClient]) -> None:
    assignment = water_fee_phone(setup)
    client = as_user(user_of(setup, assignment))
    for overrides, field, message in PHONE_PROBLEMS:
        html = client.post(f"/calls/{assignment.id}", data=phone_post(**overrides)).get_data(
            as_text=True
        )
        assert message in error_next_to(html, field), (overrides, html[:3000])
        assert f'href="#{field}' in html  # the error summary links to the field
        assert stored(assignment.id) is None


def test_call_outside_phone_hours_is_saved_with_a_warning(
    setup: Setup, as_user: Callable[[Any], FlaskClient]
) -> None:
    assignment = water_fee_phone(setup)
    client = as_user(user_of(setup, assignment))
    response = client.post(
        f"/calls/{assignment.id}",
        data=phone_post(
            attempt1_at="2026-04-08T16:10",
            attempt1_reached="yes",
            attempt2_at="",
            attempt2_reached="",
            attempt2_wait_min="",
            attempt2_wait_sec="",
        ),
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    record = stored(assignment.id)
    assert record is not None and len(record["attempts"]) == 1
    assert "Attempt 1 was made at 16:10, outside the allowed phone hours (09:30–15:00)" in html


def test_nobody_reached_stores_no_conversation(
    setup: Setup, as_user: Callable[[Any], FlaskClient]
) -> None:
    assignment = water_fee_phone(setup)
    client = as_user(user_of(setup, assignment))
    response = client.post(
        f"/calls/{assignment.id}",
        data=phone_post(attempt2_reached="no", attempt2_wait_min="", attempt2_wait_sec=""),
        follow_redirects=True,
    )
    assert stored(assignment.id) == {
        "attempts": [
            {"at": "2026-04-08T10:00:00+02:00", "reached": False, "waiting_seconds": None},
            {"at": "2026-04-08T13:00:00+02:00", "reached": False, "waiting_seconds": None},
        ],
        "answered_first_contact": None,
        "checkpoints_covered": [],
        "referred_correctly": None,
        "courtesy": None,
    }
    assert "0 of 9 points" in response.get_data(as_text=True)


# --------------------------------------------------------------------------- e-mail


def test_email_reply_before_sending_is_an_error(
    setup: Setup, as_user: Callable[[Any], FlaskClient]
) -> None:
    assignment = water_fee_email(setup)
    client = as_user(user_of(setup, assignment))
    html = client.post(
        f"/calls/{assignment.id}",
        data={
            "sent_at": "2026-04-01T10:00",
            "replied_at": "2026-03-31T10:00",
            "courtesy": "2",
        },
    ).get_data(as_text=True)
    error = re.search(r'<p class="error-message" id="replied_at-error">(.*?)</p>', html, re.S)
    assert error and "The reply cannot come before the e-mail was sent." in error.group(1)
    assert stored(assignment.id) is None


def test_email_over_easter_counts_working_days(
    setup: Setup, as_user: Callable[[Any], FlaskClient]
) -> None:
    assignment = water_fee_email(setup)
    client = as_user(user_of(setup, assignment))
    # Wednesday before Easter → Tuesday after Easter Monday: 1 working day.
    response = client.post(
        f"/calls/{assignment.id}",
        data={
            "sent_at": "2026-04-01T10:00",
            "replied_at": "2026-04-07T10:00",
            "checkpoints": ["amount"],
            "courtesy": "2",
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert stored(assignment.id) == {
        "sent_at": "2026-04-01T10:00:00+02:00",
        "replied_at": "2026-04-07T10:00:00+02:00",
        "checkpoints_covered": ["amount"],
        "courtesy": 2,
    }
    points = html.split('id="points"', 1)[1]
    assert re.search(r"<dt>Reply time</dt><dd>1 working day</dd>", points)
    assert re.search(r"<dt>Speed points</dt><dd>5 of 5</dd>", points)
    assert "8 of 11 points" in points  # 5 speed + 1 checkpoint + 2 courtesy


def test_email_without_reply(setup: Setup, as_user: Callable[[Any], FlaskClient]) -> None:
    assignment = water_fee_email(setup)
    client = as_user(user_of(setup, assignment))
    html = client.post(f"/calls/{assignment.id}", data={"sent_at": "2026-04-01T10:00"}).get_data(
        as_text=True
    )
    assert 'id="replied_at-error"' in html  # neither a reply time nor "no reply"
    client.post(
        f"/calls/{assignment.id}",
        data={"sent_at": "2026-04-01T10:00", "no_reply": "y", "courtesy": "3"},
    )
    assert stored(assignment.id) == {
        "sent_at": "2026-04-01T10:00:00+02:00",
        "replied_at": None,
        "checkpoints_covered": [],
        "courtesy": None,
    }


# --------------------------------------------------------------------------- web


def test_web_testers_are_independent_and_the_decider_sees_both(
    setup: Setup,
    as_user: Callable[[Any], FlaskClient],
    client: FlaskClient,
    make_user: Callable[..., Any],
) -> None:
    first = assignments(
        municipality_code="1103", scenario_code="tool-shed", channel="web", tester_slot=1
    )[0]
    second = assignments(
        municipality_code="1103", scenario_code="tool-shed", channel="web", tester_slot=2
    )[0]
    assert first.caller_id != second.caller_id
    operations.save_result(
        second.caller_id, second, {"found": False, "seconds": 117, "quality": None}
    )
    db.session.commit()

    tester1 = user_of(setup, first)
    browser = as_user(tester1)
    html = browser.get(f"/calls/{first.id}").get_data(as_text=True)
    assert "Another tester checks the same item independently" in html
    assert "1 min 57 s" not in html and "Tester 2" not in html
    response = browser.post(
        f"/calls/{first.id}",
        data={"found": "yes", "time_used": "0:40", "quality": "3"},
        follow_redirects=True,
    )
    assert stored(first.id) == {"found": True, "seconds": 40, "quality": 3}
    html = response.get_data(as_text=True)
    assert "1 min 57 s" not in html and "Tester 2" not in html
    assert "5 of 5 points" in html  # this check alone: found (2) + quality 3 (3)

    # The testers disagree: a third tester (neither of the two) decides and sees both checks.
    test_round = db.session.get(TestRound, setup.round_id)
    with pytest.raises(operations.ServiceTestError, match="decider_is_rater"):
        operations.assign_decider(None, test_round, "1103", "tool-shed", second.caller_id)
    third = make_user("caller")
    decider = operations.assign_decider(None, test_round, "1103", "tool-shed", third.id)
    db.session.commit()
    browser.post("/logout")
    browser = as_user(third)
    html = browser.get(f"/calls/{decider.id}").get_data(as_text=True)
    assert "deciding tester" in html
    assert "Tester 1" in html and "Tester 2" in html
    assert "0 min 40 s" in html and "1 min 57 s" in html
    response = browser.post(
        f"/calls/{decider.id}",
        data={"found": "yes", "time_used": "90", "quality": "2"},
        follow_redirects=True,
    )
    assert stored(decider.id) == {"found": True, "seconds": 90, "quality": 2}
    assert "A third tester decided." in response.get_data(as_text=True)


WEB_PROBLEMS: list[tuple[dict[str, str], str, str]] = [
    ({"found": "yes", "time_used": "1:75", "quality": "2"}, "time_used", "0 to 59"),
    ({"found": "yes", "time_used": "abc", "quality": "2"}, "time_used", "minutes:seconds"),
    ({"found": "yes", "time_used": "-5", "quality": "2"}, "time_used", "negative"),
    ({"found": "yes", "time_used": "²", "quality": "2"}, "time_used", "minutes:seconds"),
    ({"found": "yes", "time_used": "٣٠", "quality": "2"}, "time_used", "minutes:seconds"),
    ({"found": "yes", "time_used": "1:²", "quality": "2"}, "time_used", "minutes:seconds"),
    ({"found": "yes", "time_used": "9999999999", "quality": "2"}, "time_used", "24 hours"),
    ({"found": "yes", "time_used": "1441:00", "quality": "2"}, "time_used", "24 hours"),
    ({"found": "yes", "time_used": "30"}, "quality", "Rate the quality"),
    ({"time_used": "30"}, "found", "Choose yes or no."),
]


def test_web_validation(setup: Setup, as_user: Callable[[Any], FlaskClient]) -> None:
    assignment = assignments(
        municipality_code="1101", scenario_code="tool-shed", channel="web", tester_slot=1
    )[0]
    client = as_user(user_of(setup, assignment))
    for data, field, message in WEB_PROBLEMS:
        html = client.post(f"/calls/{assignment.id}", data=data).get_data(as_text=True)
        assert message in error_next_to(html, field), data
        assert stored(assignment.id) is None


def test_web_not_found_drops_the_quality(
    setup: Setup, as_user: Callable[[Any], FlaskClient]
) -> None:
    assignment = assignments(
        municipality_code="1101", scenario_code="tool-shed", channel="web", tester_slot=1
    )[0]
    as_user(user_of(setup, assignment)).post(
        f"/calls/{assignment.id}", data={"found": "no", "time_used": "", "quality": "2"}
    )
    assert stored(assignment.id) == {"found": False, "seconds": None, "quality": None}


# --------------------------------------------------------------------------- edit and lock


def test_editing_is_audited_and_a_locked_round_refuses_changes(
    setup: Setup,
    as_user: Callable[[Any], FlaskClient],
    make_user: Callable[..., Any],
    client: FlaskClient,
) -> None:
    assignment = water_fee_phone(setup)
    user = user_of(setup, assignment)
    browser = as_user(user)
    browser.post(f"/calls/{assignment.id}", data=phone_post())
    old = stored(assignment.id)
    browser.post(f"/calls/{assignment.id}", data=phone_post(courtesy="1"))
    new = stored(assignment.id)
    assert old is not None and new is not None
    assert old["courtesy"] == 3 and new["courtesy"] == 1
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity_type == "test_result", AuditEntry.entity_id == str(assignment.id))
        .order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["record", "edit"]
    assert entries[1].user_id == user.id
    # The audit trail keeps the fields that changed, from the old record to the new one.
    assert entries[0].new_value == old
    assert entries[1].old_value == {"courtesy": 3} and entries[1].new_value == {"courtesy": 1}

    controls.lock(None, db.session.get(TestRound, setup.round_id), reason="test of the lock")
    db.session.commit()
    response = browser.get(f"/calls/{assignment.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The round is locked" in html and 'id="record-form"' not in html
    response = browser.post(f"/calls/{assignment.id}", data=phone_post(courtesy="0"))
    assert response.status_code == 409
    assert stored(assignment.id) == new
    assert sheet_links(browser.get("/calls").get_data(as_text=True)) == []  # locked: not listed

    browser.post("/logout")
    browser = as_user(make_user("admin"))
    html = browser.get(f"/calls/{assignment.id}").get_data(as_text=True)
    assert "The round is locked. The result is shown read-only." in html
    assert "Recorded result" in html and 'id="record-form"' not in html
    assert browser.post(f"/calls/{assignment.id}", data=phone_post(courtesy="0")).status_code == 409
    assert stored(assignment.id) == new


# --------------------------------------------------------------------------- bounded queries


@pytest.fixture
def count_statements(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    yield statements
    sa.event.remove(db.engine, "before_cursor_execute", record)


def test_my_assignments_uses_a_bounded_number_of_queries(
    setup: Setup,
    make_user: Callable[..., Any],
    as_user: Callable[[Any], FlaskClient],
    count_statements: list[str],
) -> None:
    caller = make_user("caller")
    ids = [a.id for a in assignments()]
    assert len(ids) >= 25
    client = as_user(caller)
    counts = []
    for n in (5, 25):
        db.session.execute(
            sa.update(TestAssignment)
            .where(TestAssignment.id.in_(ids[:n]))
            .values(caller_id=caller.id)
        )
        # Some done contacts too, with results, so results are loaded as well.
        db.session.execute(
            sa.update(TestAssignment).where(TestAssignment.id.in_(ids[:3])).values(status="done")
        )
        db.session.commit()
        count_statements.clear()
        response = client.get("/calls?section=overdue")
        assert response.status_code == 200
        assert len(sheet_links(response.get_data(as_text=True))) == n - 3
        counts.append(len(count_statements))
    assert counts[0] == counts[1], counts
