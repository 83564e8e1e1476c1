"""The caller's list: their contacts in sections, counted and paged in SQL.

Sections (one SQL ``CASE``, so a count per section is one aggregate and a page is one
query with ``LIMIT``, whatever the round's size):

* **call back** — phone contacts with attempts left where nobody was reached, by the
  time the call-back is due;
* **awaiting reply** — e-mails without a reply before their cut-off (after it they are
  done, scored 0), by the cut-off;
* **overdue** — not started, due before today (Norwegian time);
* **today** — not started, due today;
* **upcoming** — not started, due after today;
* **done** — recorded (and e-mails whose reply cut-off has passed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.municipalities.models import Municipality
from surveyapp.servicetest.followup import CALLBACK, REPLY
from surveyapp.servicetest.models import TestAssignment, TestRound, TestUnit
from surveyapp.servicetest.workdays import NORWAY

SECTIONS = ("today", "callback", "awaiting", "overdue", "upcoming", "done")
PAGE_SIZE = 50
CHANNELS = ("phone", "email", "web")


@dataclass(frozen=True)
class Filters:
    municipality: str | None = None
    channel: str | None = None
    day: date | None = None  # the day the row is due (call-back time, reply cut-off)

    def as_args(self) -> dict[str, str]:
        args: dict[str, str] = {}
        if self.municipality:
            args["municipality"] = self.municipality
        if self.channel:
            args["channel"] = self.channel
        if self.day:
            args["day"] = f"{self.day.day:02d}.{self.day.month:02d}.{self.day.year}"
        return args


@dataclass(frozen=True)
class Row:
    id: int
    round_id: int
    municipality: str
    municipality_name: str
    scenario: str
    channel: str
    tester_slot: int
    due_at: datetime | None
    follow_up_at: datetime | None
    status: str
    section: str
    due_now: bool  # a call-back whose time has come, or any overdue contact
    unit_name: str | None = None  # a test unit below the municipality (an Oslo district)

    @property
    def reply_until(self) -> date | None:
        """An awaited reply: the last day on which it still counts."""
        if self.follow_up_at is None:
            return None
        return (self.follow_up_at - timedelta(minutes=1)).astimezone(NORWAY).date()


def _bounds(now: datetime) -> tuple[datetime, datetime]:
    """Today's start and tomorrow's start in Norwegian time."""
    today = now.astimezone(NORWAY).date()
    start = datetime.combine(today, time(0), NORWAY)
    return start, datetime.combine(today + timedelta(days=1), time(0), NORWAY)


def section_of(now: datetime) -> sa.ColumnElement[str]:
    """The section of a TestAssignment row, as SQL."""
    start, tomorrow = _bounds(now)
    a = TestAssignment
    return sa.case(
        (a.status == "done", "done"),
        (sa.and_(a.follow_up == REPLY, a.follow_up_at <= now), "done"),
        (a.follow_up == CALLBACK, "callback"),
        (a.follow_up == REPLY, "awaiting"),
        (a.due_at < start, "overdue"),
        (a.due_at < tomorrow, "today"),
        else_="upcoming",
    )


def _mine(caller_id: int) -> sa.Select[Any]:
    return (
        sa.select(TestAssignment.id)
        .join(TestRound, TestRound.id == TestAssignment.test_round_id)
        .where(
            TestAssignment.caller_id == caller_id,
            TestAssignment.status.in_(("open", "done")),
            TestRound.status != "locked",
        )
    )


def _when(section: str) -> Any:
    """The column a section is ordered and filtered by."""
    if section in ("callback", "awaiting"):
        return TestAssignment.follow_up_at
    return TestAssignment.due_at


def _filtered(query: sa.Select[Any], filters: Filters, section: str | None) -> sa.Select[Any]:
    if filters.municipality:
        query = query.where(TestAssignment.municipality_code == filters.municipality)
    if filters.channel:
        query = query.where(TestAssignment.channel == filters.channel)
    if filters.day is not None:
        start = datetime.combine(filters.day, time(0), NORWAY)
        end = start + timedelta(days=1)
        column = _when(section or "today")
        if section is None:  # counts: each section by its own time
            column = sa.case(
                (TestAssignment.follow_up.is_not(None), TestAssignment.follow_up_at),
                else_=TestAssignment.due_at,
            )
        query = query.where(column >= start, column < end)
    return query


def counts(caller_id: int, now: datetime, filters: Filters) -> dict[str, int]:
    """How many rows each section has (one aggregate)."""
    section = section_of(now).label("section")
    query = _filtered(_mine(caller_id), filters, None).with_only_columns(section, sa.func.count())
    found = dict(db.session.execute(query.group_by(section)).tuples().all())
    result = dict.fromkeys(SECTIONS, 0)
    result.update({str(k): int(v) for k, v in found.items()})
    return result


def due_now(caller_id: int, now: datetime) -> int:
    """Call-backs whose time has come."""
    query = (
        _mine(caller_id)
        .with_only_columns(sa.func.count())
        .where(
            TestAssignment.status == "open",
            TestAssignment.follow_up == CALLBACK,
            TestAssignment.follow_up_at <= now,
        )
    )
    return int(db.session.scalar(query) or 0)


def page(caller_id: int, now: datetime, section: str, filters: Filters, number: int) -> list[Row]:
    """One page of a section, in the order the caller works it (done: latest first)."""
    kind = section_of(now)
    when = _when(section)
    query = (
        _filtered(_mine(caller_id), filters, section)
        .with_only_columns(
            TestAssignment.id,
            TestAssignment.test_round_id,
            TestAssignment.municipality_code,
            Municipality.name,
            TestAssignment.scenario_code,
            TestAssignment.channel,
            TestAssignment.tester_slot,
            TestAssignment.due_at,
            TestAssignment.follow_up_at,
            TestAssignment.status,
            TestUnit.name,
        )
        .join(Municipality, Municipality.code == TestAssignment.municipality_code)
        .outerjoin(TestUnit, TestUnit.code == TestAssignment.unit_code)
        .where(kind == section)
    )
    if section == "done":
        query = query.order_by(TestAssignment.due_at.desc(), TestAssignment.id.desc())
    else:
        query = query.order_by(when.is_(None), when, TestAssignment.id)
    query = query.limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)
    rows = []
    for *values, unit_name in db.session.execute(query).tuples():
        follow_up_at = values[8]
        rows.append(
            Row(
                *values,  # type: ignore[misc]
                section=section,
                unit_name=unit_name,
                due_now=section == "overdue"
                or (section == "callback" and follow_up_at is not None and follow_up_at <= now),
            )
        )
    return rows


def municipalities(caller_id: int) -> list[tuple[str, str]]:
    """The municipalities in the caller's list, for the filter (code, name)."""
    query = (
        _mine(caller_id)
        .with_only_columns(Municipality.code, Municipality.name)
        .join(Municipality, Municipality.code == TestAssignment.municipality_code)
        .distinct()
        .order_by(Municipality.name)
    )
    return [(code, name) for code, name in db.session.execute(query).tuples()]


def next_contact(caller_id: int, now: datetime, after: int) -> int | None:
    """The contact to do next: a call-back whose time has come, else the first one overdue
    or due today (not ``after``, the one just recorded)."""
    kind = section_of(now)
    query = (
        _mine(caller_id)
        .where(TestAssignment.id != after, TestAssignment.status == "open")
        .where(
            sa.or_(
                sa.and_(TestAssignment.follow_up == CALLBACK, TestAssignment.follow_up_at <= now),
                kind.in_(("overdue", "today")),
            )
        )
        .order_by(
            sa.case((TestAssignment.follow_up == CALLBACK, 0), else_=1),
            sa.func.coalesce(TestAssignment.follow_up_at, TestAssignment.due_at),
            TestAssignment.id,
        )
        .limit(1)
    )
    return db.session.scalar(query)
