"""A caller's day: call-backs, awaited replies, the list's sections, Norwegian dates, the
web time limit. The round runs around today, so "today", "overdue" and "due now" are real."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from surveyapp import norwegian_time
from surveyapp.audit.models import AuditEntry
from surveyapp.extensions import db
from surveyapp.questionnaires.definition import load_file
from surveyapp.questionnaires.store import latest_version
from surveyapp.servicetest import cache, caller_forms, caller_list, followup, operations, scoring
from surveyapp.servicetest.models import TestAssignment, TestRound
from surveyapp.servicetest.workdays import (
    NORWAY,
    add_working_days,
    previous_working_day,
    working_days_between,
)
from surveyapp.timeutil import utcnow
from tests.conftest import SHIPPED

MUNICIPALITIES = ["1101", "1103"]


@dataclass
class Round:
    id: int
    callers: list[Any]
    today: date
    workday: date  # the last working day before today


def _today() -> date:
    return utcnow().astimezone(NORWAY).date()


@pytest.fixture
def live_round(questionnaires: None, make_user: Callable[..., Any]) -> Round:
    callers = [make_user("caller"), make_user("caller")]
    protocol = latest_version("servicetest-protocol")
    assert protocol is not None
    today = _today()
    test_round = operations.plan(
        None,
        title="Runde nå",
        protocol=protocol,
        year=today.year,
        starts_on=today - timedelta(days=14),
        ends_on=today + timedelta(days=28),
        municipalities=MUNICIPALITIES,
        callers=[c.id for c in callers],
        seed=5,
        selection={"mode": "list"},
    )
    db.session.commit()
    return Round(test_round.id, callers, today, previous_working_day(today - timedelta(days=1)))


@pytest.fixture
def as_user(
    client: FlaskClient, login: Callable[[Any], FlaskClient]
) -> Callable[[Any], FlaskClient]:
    def go(user: Any) -> FlaskClient:
        login(user)
        client.get("/calls?lang=en")
        return client

    return go


def one(**where: Any) -> TestAssignment:
    query = sa.select(TestAssignment).order_by(TestAssignment.id)
    for key, value in where.items():
        query = query.where(getattr(TestAssignment, key) == value)
    found = db.session.scalars(query).first()
    assert found is not None
    return found


def owner(live: Round, assignment: TestAssignment) -> Any:
    return next(c for c in live.callers if c.id == assignment.caller_id)


def typed(day: date, clock: str) -> str:
    return f"{norwegian_time.date_text(day)} {clock}"


def links(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/calls/(\d+)(?:#replied_at)?"', html)]


# --------------------------------------------------------------------------- call-backs


def test_callback_times_follow_the_protocol() -> None:
    protocol = load_file(SHIPPED / "servicetest-protocol.yaml").protocol
    assert protocol is not None
    phone = protocol.channels.phone
    assert phone is not None
    hours = protocol.phone_hours
    at = datetime(2026, 9, 8, 10, 0, tzinfo=NORWAY)  # a Tuesday
    assert followup.callback_time(at, phone, hours) == at + timedelta(minutes=120)
    late = datetime(2026, 9, 8, 13, 30, tzinfo=NORWAY)  # 15:30 is after the phone hours
    assert followup.callback_time(late, phone, hours) == datetime(2026, 9, 9, 13, 30, tzinfo=NORWAY)
    friday = datetime(2026, 9, 11, 14, 0, tzinfo=NORWAY)
    assert followup.callback_time(friday, phone, hours) == datetime(
        2026, 9, 14, 14, 0, tzinfo=NORWAY
    )
    # Maundy Thursday 2026 (2 April): the next working day is the Tuesday after Easter.
    easter = datetime(2026, 4, 1, 14, 0, tzinfo=NORWAY)
    assert followup.callback_time(easter, phone, hours) == datetime(
        2026, 4, 7, 14, 0, tzinfo=NORWAY
    )
    early = datetime(2026, 9, 8, 7, 0, tzinfo=NORWAY)  # 09:00 is before the phone hours
    assert followup.callback_time(early, phone, hours) == datetime(2026, 9, 8, 9, 30, tzinfo=NORWAY)


def test_follow_ups_skip_the_protocols_closed_days_as_the_scoring_does() -> None:
    shipped = load_file(SHIPPED / "servicetest-protocol.yaml").protocol
    assert shipped is not None
    protocol = shipped.model_copy(update={"non_working_days": ((12, 24), (12, 31))})
    phone, email = protocol.channels.phone, protocol.channels.email
    assert phone is not None and email is not None
    # A call at 14:00 on Wednesday 23 December: the call-back is not on Christmas Eve
    # (closed) but on Monday 28 December (25 and 26 are holidays, 27 a Sunday).
    attempt = {"at": "2026-12-23T14:00:00+01:00", "reached": False, "waiting_seconds": None}
    legal = followup.phone_follow_up({"attempts": [attempt]}, shipped)
    due = followup.phone_follow_up({"attempts": [attempt]}, protocol)
    assert legal is not None and legal.at == datetime(2026, 12, 24, 14, 0, tzinfo=NORWAY)
    assert due is not None and due.at == datetime(2026, 12, 28, 14, 0, tzinfo=NORWAY)
    # An e-mail sent Wednesday 16 December: 10 working days without 24 and 31 December
    # end on Tuesday 5 January; the scoring counts a reply that day as 10 days, the next
    # day as 11 (0 points), so the reply is awaited until midnight before 6 January.
    sent = datetime(2026, 12, 16, 10, 0, tzinfo=NORWAY)
    closed = protocol.non_working_days
    last = followup.last_reply_day(sent, email, closed)
    assert last == date(2027, 1, 5)
    assert followup.last_reply_day(sent, email) == date(2026, 12, 31)  # the legal calendar
    cutoff = email.quality_cutoff_days
    at_last = datetime.combine(last, time(12), NORWAY)
    after = datetime.combine(date(2027, 1, 6), time(12), NORWAY)
    assert working_days_between(sent, at_last, email.send_cutoff, closed) == cutoff
    assert working_days_between(sent, after, email.send_cutoff, closed) == cutoff + 1
    awaited = followup.email_follow_up({"sent_at": sent.isoformat()}, protocol)
    assert awaited is not None and awaited.at == datetime(2027, 1, 6, 0, 0, tzinfo=NORWAY)


def test_a_call_on_a_closed_day_is_flagged_on_the_sheet(app: Flask) -> None:
    shipped = load_file(SHIPPED / "servicetest-protocol.yaml").protocol
    assert shipped is not None
    protocol = shipped.model_copy(update={"non_working_days": ((12, 24),)})
    scenario = protocol.scenarios[0]
    record = {"attempts": [{"at": "2026-12-24T10:00:00+01:00", "reached": True}]}
    with app.test_request_context("/?lang=en"):
        legal = caller_forms.rules_for(shipped, scenario, date(2026, 12, 1), date(2026, 12, 31))
        closed = caller_forms.rules_for(protocol, scenario, date(2026, 12, 1), date(2026, 12, 31))
        assert caller_forms.phone_hour_warnings(record, legal) == []
        [warning] = caller_forms.phone_hour_warnings(record, closed)
    assert "which is not a working day" in warning


def test_a_first_unanswered_call_is_a_callback_not_a_zero(
    live_round: Round, as_user: Callable[[Any], FlaskClient]
) -> None:
    call = one(test_round_id=live_round.id, channel="phone", municipality_code="1101")
    client = as_user(owner(live_round, call))
    response = client.post(
        f"/calls/{call.id}",
        data={"attempt1_at": typed(live_round.workday, "10:00"), "attempt1_reached": "no"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    db.session.expire_all()
    call = db.session.get(TestAssignment, call.id)
    assert call is not None
    assert (call.status, call.follow_up) == ("open", followup.CALLBACK)
    due = datetime.combine(live_round.workday, time(12, 0), NORWAY)
    assert call.follow_up_at == due
    assert f"call back at {typed(live_round.workday, '12:00')}" in html
    # Not scored until the last attempt: the contact counts as not carried out yet.
    result = operations.score(db.session.get(TestRound, live_round.id))
    [(_contact, score)] = [
        (c, s)
        for c, s in result.contact_scores
        if (c.municipality, c.scenario, c.channel) == ("1101", call.scenario_code, "phone")
    ]
    assert score.status == scoring.MISSING
    # On the list: under "Call back", due now; not under done.
    listing = client.get("/calls?section=callback").get_data(as_text=True)
    assert call.id in links(listing) and "Due now" in listing
    assert "1 call-back is due now." in client.get("/calls").get_data(as_text=True)
    assert call.id not in links(client.get("/calls?section=done").get_data(as_text=True))

    # The call-back reaches nobody either: attempts used up, done, 0 points (unreached).
    client.post(
        f"/calls/{call.id}",
        data={
            "attempt1_at": typed(live_round.workday, "10:00"),
            "attempt1_reached": "no",
            "attempt2_at": typed(live_round.workday, "12:05"),
            "attempt2_reached": "no",
        },
    )
    db.session.expire_all()
    call = db.session.get(TestAssignment, call.id)
    assert call is not None and (call.status, call.follow_up) == ("done", None)
    result = operations.score(db.session.get(TestRound, live_round.id))
    statuses = {
        c.scenario: s.status
        for c, s in result.contact_scores
        if c.municipality == "1101" and c.channel == "phone"
    }
    assert statuses[call.scenario_code] == scoring.UNREACHED
    assert call.id in links(client.get("/calls?section=done").get_data(as_text=True))


def test_a_wait_over_the_limit_also_means_call_back(
    live_round: Round, as_user: Callable[[Any], FlaskClient]
) -> None:
    call = one(test_round_id=live_round.id, channel="phone", municipality_code="1103")
    as_user(owner(live_round, call)).post(
        f"/calls/{call.id}",
        data={
            "attempt1_at": typed(live_round.workday, "14:00"),
            "attempt1_reached": "yes",
            "attempt1_wait_min": "5",
            "attempt1_wait_sec": "0",
            "answered_first_contact": "yes",
            "referred": "not_needed",
            "courtesy": "2",
        },
    )
    db.session.expire_all()
    call = db.session.get(TestAssignment, call.id)
    assert call is not None and call.follow_up == followup.CALLBACK
    following = add_working_days(live_round.workday + timedelta(days=1), 0)
    assert call.follow_up_at == datetime.combine(following, time(14, 0), NORWAY)


# --------------------------------------------------------------------------- awaited replies


def test_an_unanswered_email_awaits_its_reply_until_the_cutoff(
    live_round: Round, as_user: Callable[[Any], FlaskClient]
) -> None:
    mail = one(test_round_id=live_round.id, channel="email", municipality_code="1101")
    client = as_user(owner(live_round, mail))
    html = client.post(
        f"/calls/{mail.id}",
        data={"sent_at": typed(live_round.workday, "10:00"), "no_reply": "y"},
        follow_redirects=True,
    ).get_data(as_text=True)
    db.session.expire_all()
    mail = db.session.get(TestAssignment, mail.id)
    assert mail is not None and (mail.status, mail.follow_up) == ("open", followup.REPLY)
    last = add_working_days(live_round.workday, 10)  # the 10th working day still counts
    assert mail.follow_up_at == datetime.combine(add_working_days(last, 1), time(0), NORWAY)
    assert f"A reply counts until {norwegian_time.date_text(last)}" in html
    awaiting = client.get("/calls?section=awaiting").get_data(as_text=True)
    assert f'href="/calls/{mail.id}#replied_at"' in awaiting and "Record the reply" in awaiting
    assert f"<td>{norwegian_time.date_text(last)}" in awaiting
    assert mail.id not in links(client.get("/calls?section=done").get_data(as_text=True))

    # The reply comes: recorded from the list, the e-mail is done and scored.
    client.post(
        f"/calls/{mail.id}",
        data={
            "sent_at": typed(live_round.workday, "10:00"),
            "replied_at": typed(live_round.today, "08:00"),
            "courtesy": "3",
        },
    )
    db.session.expire_all()
    mail = db.session.get(TestAssignment, mail.id)
    assert mail is not None and (mail.status, mail.follow_up) == ("done", None)


def test_the_cutoff_closes_an_awaited_reply_with_zero_points(live_round: Round) -> None:
    mail = one(test_round_id=live_round.id, channel="email", municipality_code="1103")
    sent = datetime.combine(live_round.workday, time(10), NORWAY)
    record = {"sent_at": sent.isoformat(), "replied_at": None, "checkpoints_covered": []}
    operations.save_result(None, mail, {**record, "courtesy": None})
    db.session.commit()
    assert mail.status == "open"
    later = mail.follow_up_at
    assert later is not None
    assert operations.close_expired_replies(later - timedelta(seconds=1)) == 0
    assert operations.close_expired_replies(later) == 1
    db.session.commit()
    assert (mail.status, mail.follow_up) == ("done", None)
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "reply_cutoff")
    ).one()
    assert entry.entity_id == str(mail.id) and entry.user_id is None
    result = operations.score(db.session.get(TestRound, live_round.id))
    [score] = [
        s
        for c, s in result.contact_scores
        if (c.municipality, c.scenario, c.channel) == ("1103", mail.scenario_code, "email")
    ]
    assert score.status == scoring.SCORED and score.points == 0
    assert score.reasons[0].code == "no_reply"


def test_the_ranking_counts_a_reply_cutoff_as_soon_as_it_passes(live_round: Round) -> None:
    """The scored-round cache must not keep an awaited reply as "not carried out" after
    its cut-off just because nothing was stored since (the maintenance runs hourly)."""
    mail = one(test_round_id=live_round.id, channel="email", municipality_code="1103")
    sent = datetime.combine(live_round.today, time(10), NORWAY)
    record = {"sent_at": sent.isoformat(), "replied_at": None, "checkpoints_covered": []}
    operations.save_result(None, mail, {**record, "courtesy": None})
    db.session.commit()
    assert mail.status == "open" and mail.follow_up_at is not None

    def status() -> str:
        test_round = db.session.get(TestRound, live_round.id)
        assert test_round is not None
        result = cache.scored_round(test_round)
        [score] = [
            s
            for c, s in result.contact_scores
            if (c.municipality, c.scenario, c.channel) == ("1103", mail.scenario_code, "email")
        ]
        return score.status

    assert status() == scoring.MISSING  # awaited: not scored yet
    # The cut-off passes; nothing in the round is stored anew (no maintenance run yet).
    db.session.execute(
        sa.update(TestAssignment)
        .where(TestAssignment.id == mail.id)
        .values(follow_up_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    assert status() == scoring.SCORED


def test_the_worker_closes_expired_replies(live_round: Round) -> None:
    from surveyapp.jobs.registry import PERIODIC

    assert "servicetest.close_expired_replies" in PERIODIC
    assert "servicetest.delete_expired_evidence" in PERIODIC
    mail = one(test_round_id=live_round.id, channel="email", municipality_code="1103")
    long_ago = datetime.combine(live_round.today - timedelta(days=40), time(10), NORWAY)
    db.session.execute(
        sa.update(TestAssignment)
        .where(TestAssignment.id == mail.id)
        .values(follow_up=followup.REPLY, follow_up_at=long_ago)
    )
    db.session.commit()
    PERIODIC["servicetest.close_expired_replies"].run()
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(TestAssignment, mail.id).status == "done"  # type: ignore[union-attr]


# --------------------------------------------------------------------------- the list


def test_the_list_has_sections_marks_overdue_and_pages(
    live_round: Round,
    as_user: Callable[[Any], FlaskClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caller = live_round.callers[0]
    mine = list(
        db.session.scalars(
            sa.select(TestAssignment)
            .where(TestAssignment.caller_id == caller.id)
            .order_by(TestAssignment.id)
        )
    )
    today_at = datetime.combine(live_round.today, time(9, 30), NORWAY)
    overdue_at = datetime.combine(live_round.today - timedelta(days=3), time(9, 30), NORWAY)
    later_at = datetime.combine(live_round.today + timedelta(days=3), time(9, 30), NORWAY)
    plan = {a.id: today_at for a in mine[:12]}
    plan.update({a.id: overdue_at for a in mine[12:14]})
    plan.update({a.id: later_at for a in mine[14:]})
    for assignment_id, due in plan.items():
        db.session.execute(
            sa.update(TestAssignment).where(TestAssignment.id == assignment_id).values(due_at=due)
        )
    db.session.commit()
    client = as_user(caller)
    html = client.get("/calls").get_data(as_text=True)
    assert 'Today <span class="count">(12)</span>' in html
    assert 'Overdue <span class="count">(2)</span>' in html
    assert f'Upcoming <span class="count">({len(mine) - 14})</span>' in html
    assert "2 contacts are overdue." in html
    assert sorted(links(html)) == sorted(a.id for a in mine[:12])
    overdue = client.get("/calls?section=overdue").get_data(as_text=True)
    assert overdue.count('<span class="tag tag-warning">Overdue</span>') == 2
    assert norwegian_time.datetime_text(overdue_at) in overdue  # dd.mm.åååå tt:mm

    # Filters: municipality and channel, and the date of the row.
    code = mine[0].municipality_code
    filtered = client.get(f"/calls?section=today&municipality={code}").get_data(as_text=True)
    assert sorted(links(filtered)) == sorted(a.id for a in mine[:12] if a.municipality_code == code)
    mails = client.get("/calls?section=upcoming&channel=email").get_data(as_text=True)
    assert sorted(links(mails)) == sorted(a.id for a in mine[14:] if a.channel == "email")
    day = norwegian_time.date_text(later_at.date())
    on_day = client.get(f"/calls?section=upcoming&day={day}").get_data(as_text=True)
    assert len(links(on_day)) == len(mine) - 14
    nothing = client.get(f"/calls?section=today&day={day}").get_data(as_text=True)
    assert links(nothing) == []

    # Paging.
    monkeypatch.setattr(caller_list, "PAGE_SIZE", 5)
    first = client.get("/calls?section=today").get_data(as_text=True)
    third = client.get("/calls?section=today&page=3").get_data(as_text=True)
    assert len(links(first)) == 5 and len(links(third)) == 2
    assert "Page 3 of 3" in third and "page=2" in third


def test_the_sheet_offers_the_next_contact(
    live_round: Round, as_user: Callable[[Any], FlaskClient]
) -> None:
    caller = live_round.callers[0]
    first, second = list(
        db.session.scalars(
            sa.select(TestAssignment)
            .where(TestAssignment.caller_id == caller.id, TestAssignment.channel != "web")
            .order_by(TestAssignment.id)
            .limit(2)
        )
    )
    later = datetime.combine(live_round.today + timedelta(days=3), time(9, 30), NORWAY)
    db.session.execute(
        sa.update(TestAssignment).where(TestAssignment.caller_id == caller.id).values(due_at=later)
    )
    first.due_at = datetime.combine(live_round.today, time(9, 30), NORWAY)
    second.due_at = datetime.combine(live_round.today, time(10, 0), NORWAY)
    db.session.commit()
    html = as_user(caller).get(f"/calls/{first.id}").get_data(as_text=True)
    assert f'href="/calls/{second.id}" id="next-contact"' in html


# --------------------------------------------------------------------------- dates and limits


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08.04.2026 10:30", datetime(2026, 4, 8, 10, 30, tzinfo=NORWAY)),
        ("8.4.2026 kl. 10.30", datetime(2026, 4, 8, 10, 30, tzinfo=NORWAY)),
        ("08.04.2026 1030", datetime(2026, 4, 8, 10, 30, tzinfo=NORWAY)),
        ("2026-04-08T10:30", datetime(2026, 4, 8, 10, 30, tzinfo=NORWAY)),
        ("31.02.2026 10:00", None),
        ("08.04.2026 24:00", None),
        ("04/08/2026 10:30 AM", None),
        ("٠٨.٠٤.٢٠٢٦ 10:30", None),
        ("08.04.2026", None),
    ],
)
def test_norwegian_date_and_time(text: str, expected: datetime | None) -> None:
    assert norwegian_time.parse_datetime(text) == expected


def test_dates_are_shown_and_typed_the_norwegian_way_in_english_too(
    live_round: Round, as_user: Callable[[Any], FlaskClient]
) -> None:
    mail = one(test_round_id=live_round.id, channel="email", municipality_code="1101")
    client = as_user(owner(live_round, mail))
    html = client.post(f"/calls/{mail.id}", data={"sent_at": "04/08/2026 10:30 AM"}).get_data(
        as_text=True
    )
    assert "Enter a date and time as dd.mm.yyyy hh:mm, for example 14.09.2026 10:30." in html
    sent = typed(live_round.workday, "kl. 9.05")
    client.post(
        f"/calls/{mail.id}",
        data={
            "sent_at": sent,
            "replied_at": typed(live_round.workday, "11:45"),
            "courtesy": "2",
        },
    )
    html = client.get(f"/calls/{mail.id}").get_data(as_text=True)
    assert f'value="{typed(live_round.workday, "09:05")}"' in html
    assert f"due {norwegian_time.datetime_text(mail.due_at)}" in html
    assert re.search(r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}", html)


def test_found_within_the_time_limit_over_the_limit_is_refused(
    live_round: Round, as_user: Callable[[Any], FlaskClient]
) -> None:
    web = one(test_round_id=live_round.id, channel="web", tester_slot=1)
    client = as_user(owner(live_round, web))
    html = client.post(
        f"/calls/{web.id}", data={"found": "yes", "time_used": "2:30", "quality": "3"}
    ).get_data(as_text=True)
    error = re.search(r'<p class="error-message" id="found-error">(.*?)</p>', html, re.S)
    assert error and "You recorded 2:30, over the time limit of 2:00" in error.group(1)
    assert web.result is None
    client.post(f"/calls/{web.id}", data={"found": "no", "time_used": "2:30"})
    db.session.expire_all()
    stored = db.session.get(TestAssignment, web.id)
    assert stored is not None and stored.result is not None
    assert stored.result.record == {"found": False, "seconds": 150, "quality": None}
    client.post(f"/calls/{web.id}", data={"found": "yes", "time_used": "2:00", "quality": "3"})
    db.session.expire_all()
    assert db.session.get(TestAssignment, web.id).result.record["found"] is True  # type: ignore[union-attr]


def test_the_timers_carry_the_protocols_limits(
    live_round: Round, as_user: Callable[[Any], FlaskClient]
) -> None:
    call = one(test_round_id=live_round.id, channel="phone")
    web = one(test_round_id=live_round.id, channel="web", tester_slot=1)
    client = as_user(owner(live_round, call))
    html = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert 'data-limit="240"' in html and "You have waited over 4 minutes" in html
    client.post("/logout")
    client = as_user(owner(live_round, web))
    html = client.get(f"/calls/{web.id}").get_data(as_text=True)
    assert 'data-limit="120"' in html and "The time limit of 2:00 has passed" in html
