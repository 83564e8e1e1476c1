"""The organiser's controls over a round's field work: what is still open before locking
(with the testers' agreement and the places pending decisions could change), lock and
unlock with a reason, the round's dates, deciding testers for web items, and
moving a caller's open contacts to others. Add and flush (and audit); the view commits.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from surveyapp.accounts.models import User
from surveyapp.audit.operations import record as audit
from surveyapp.extensions import db
from surveyapp.municipalities.models import Municipality
from surveyapp.servicetest import cache, followup, operations
from surveyapp.servicetest.agreement import AgreementReport
from surveyapp.servicetest.models import TestAssignment, TestResult, TestRound
from surveyapp.servicetest.operations import WebItem
from surveyapp.servicetest.records import DECIDING_SLOT
from surveyapp.servicetest.scoring import MunicipalityScore
from surveyapp.servicetest.units import unit_names
from surveyapp.timeutil import utcnow

#: Rows listed per kind of open work on the lock page (the count is always complete).
LISTED = 50
OPEN_KINDS = ("not_done", "callbacks", "awaiting_replies", "awaiting_decision", "single_attempt")


class ControlError(ValueError):
    """A refused change (a message key for the views, with details)."""

    def __init__(self, key: str, **details: Any) -> None:
        super().__init__(key)
        self.key = key
        self.details = details


@dataclass(frozen=True)
class OpenItem:
    municipality: str
    municipality_name: str  # with the test unit's name for a unit ("Oslo – Frogner")
    scenario: str
    channel: str
    caller: str | None
    when: datetime | None = None
    unit: str = ""


@dataclass
class OpenWork:
    """What is not finished in a round, by kind (see ``OPEN_KINDS``)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OPEN_KINDS, 0))
    items: dict[str, list[OpenItem]] = field(default_factory=lambda: defaultdict(list))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, kind: str, item: OpenItem) -> None:
        self.counts[kind] += 1
        if len(self.items[kind]) < LISTED:
            self.items[kind].append(item)


def _names() -> dict[str, str]:
    """Municipality and test-unit codes → names."""
    names = dict(db.session.execute(sa.select(Municipality.code, Municipality.name)).tuples().all())
    return names | unit_names()


def _name(names: Mapping[str, str], municipality: str, unit: str = "") -> str:
    """A municipality's name, or "municipality – unit" for a test unit."""
    name = names.get(municipality, municipality)
    return f"{name} – {names.get(unit, unit)}" if unit else name


def open_work(test_round: TestRound, now: datetime | None = None) -> OpenWork:
    """Contacts not done, call-backs, replies awaited before their cut-off, web items
    awaiting a decision, and done calls with a single unanswered attempt."""
    moment = now or utcnow()
    protocol = operations.protocol_of(test_round)
    phone = protocol.channels.phone
    names = _names()
    work = OpenWork()
    rows = db.session.execute(
        sa.select(TestAssignment, User.name, TestResult.record)
        .outerjoin(User, User.id == TestAssignment.caller_id)
        .outerjoin(TestResult, TestResult.assignment_id == TestAssignment.id)
        .where(TestAssignment.test_round_id == test_round.id, TestAssignment.status != "cancelled")
        .order_by(
            TestAssignment.municipality_code, TestAssignment.unit_code, TestAssignment.scenario_code
        )
    ).tuples()
    for assignment, caller, record in rows:
        item = OpenItem(
            assignment.municipality_code,
            _name(names, assignment.municipality_code, assignment.unit_code),
            assignment.scenario_code,
            assignment.channel,
            caller,
            assignment.follow_up_at or assignment.due_at,
            assignment.unit_code,
        )
        if assignment.status == "open":
            if assignment.follow_up == followup.CALLBACK:
                work.add("callbacks", item)
            elif assignment.follow_up == followup.REPLY:
                if assignment.follow_up_at is None or assignment.follow_up_at > moment:
                    work.add("awaiting_replies", item)
            else:
                work.add("not_done", item)
        elif (
            assignment.channel == "phone"
            and phone is not None
            and record
            and len(record.get("attempts") or []) < phone.max_attempts
            and not any(followup.was_reached(a, phone) for a in record.get("attempts") or [])
        ):
            work.add("single_attempt", item)
    for contact in cache.scored_round(test_round).awaiting_decision:
        work.add(
            "awaiting_decision",
            OpenItem(
                contact.municipality,
                _name(names, contact.municipality, contact.unit),
                contact.scenario,
                "web",
                None,
                unit=contact.unit,
            ),
        )
    return work


@dataclass(frozen=True)
class LockChecks:
    """What the organiser sees before locking: the open work (which needs a reason to
    lock anyway), the agreement between the web testers (κ below 0.40 flagged), and the
    municipalities whose place the pending decisions could still change."""

    work: OpenWork
    agreement: AgreementReport
    open_places: list[MunicipalityScore]


def lock_checks(test_round: TestRound, now: datetime | None = None) -> LockChecks:
    return LockChecks(
        open_work(test_round, now),
        operations.agreement_of(test_round),
        cache.scored_round(test_round).open_places,
    )


def lock(actor_id: int | None, test_round: TestRound, reason: str = "") -> OpenWork:
    """Lock the round; refused (``open_work``) while work is open unless a reason is given."""
    if test_round.status == "locked":
        raise ControlError("round_locked")
    operations.close_expired_replies(test_round_id=test_round.id)
    checks = lock_checks(test_round)
    work = checks.work
    reason = reason.strip()
    if work.total and not reason:
        raise ControlError("open_work", total=work.total)
    shown = checks.agreement.round
    old = test_round.status
    test_round.status = "locked"
    test_round.locked_at = utcnow()
    db.session.flush()
    audit(
        actor_id,
        "lock",
        "test_round",
        test_round.id,
        {"status": old},
        {
            "status": "locked",
            "reason": reason or None,
            "open": {k: v for k, v in work.counts.items() if v},
            # What the organiser was shown beside the open work, kept with the lock.
            "agreement": {
                "items": shown.n,
                "percent": shown.percent,
                "kappa": shown.kappa,
                "flagged": shown.flagged,
            },
            "places_open": len(checks.open_places),
        },
    )
    return work


def unlock(actor_id: int | None, test_round: TestRound, reason: str) -> None:
    """Open a locked round again (a reason is required; not while it is published)."""
    from surveyapp.api.publishing import test_publication_of

    if test_round.status != "locked":
        raise ControlError("not_locked")
    if not reason.strip():
        raise ControlError("reason_required")
    if test_publication_of(test_round) is not None:
        raise ControlError("published")
    test_round.status = "running"
    test_round.locked_at = None
    db.session.flush()
    audit(
        actor_id,
        "unlock",
        "test_round",
        test_round.id,
        {"status": "locked"},
        {"status": "running", "reason": reason.strip()},
    )


def change_settings(
    actor_id: int | None,
    test_round: TestRound,
    starts_on: date,
    ends_on: date,
    retention_days: int,
) -> None:
    """Extend the round's dates (never shorten them: recorded times must stay inside) and
    set how long attachments are kept after the lock."""
    if test_round.status == "locked":
        raise ControlError("round_locked")
    if ends_on < starts_on:
        raise ControlError("ends_before_start")
    if starts_on > test_round.starts_on or ends_on < test_round.ends_on:
        raise ControlError("shorter", starts_on=test_round.starts_on, ends_on=test_round.ends_on)
    if not 1 <= retention_days <= 3650:
        raise ControlError("retention")
    old = {
        "starts_on": test_round.starts_on.isoformat(),
        "ends_on": test_round.ends_on.isoformat(),
        "evidence_retention_days": test_round.evidence_retention_days,
    }
    test_round.starts_on, test_round.ends_on = starts_on, ends_on
    test_round.evidence_retention_days = retention_days
    db.session.flush()
    new = {
        "starts_on": starts_on.isoformat(),
        "ends_on": ends_on.isoformat(),
        "evidence_retention_days": retention_days,
    }
    if old != new:
        audit(actor_id, "settings", "test_round", test_round.id, old, new)


# --------------------------------------------------------------------------- decisions


@dataclass(frozen=True)
class PendingDecision:
    """A web item whose two testers disagree: who rated it, and who decides (if anyone)."""

    municipality: str
    municipality_name: str  # with the test unit's name for a unit
    scenario: str
    raters: tuple[int, ...]
    rater_names: tuple[str, ...]
    decider: int | None
    decider_name: str | None
    unit: str = ""

    @property
    def key(self) -> WebItem:
        return (self.municipality, self.unit, self.scenario)


def _web_slots(test_round: TestRound, item: WebItem) -> list[Any]:
    municipality, unit, scenario = item
    return list(
        db.session.execute(
            sa.select(TestAssignment, TestResult.recorded_by_id)
            .outerjoin(TestResult, TestResult.assignment_id == TestAssignment.id)
            .where(
                TestAssignment.test_round_id == test_round.id,
                TestAssignment.municipality_code == municipality,
                TestAssignment.unit_code == unit,
                TestAssignment.scenario_code == scenario,
                TestAssignment.channel == "web",
            )
            .order_by(TestAssignment.tester_slot)
        ).tuples()
    )


def raters_of(test_round: TestRound, item: WebItem) -> set[int]:
    """The testers of the two independent checks (given the item, or who recorded it)."""
    municipality, unit, scenario = item
    return operations._raters(test_round, municipality, scenario, unit)


def pending_decisions(test_round: TestRound) -> list[PendingDecision]:
    users = dict(db.session.execute(sa.select(User.id, User.name)).tuples().all())
    names = _names()
    pending = []
    for item in operations.awaiting_decision(test_round):
        municipality, unit, scenario = item
        decider = None
        raters: set[int] = set()
        for assignment, recorded_by in _web_slots(test_round, item):
            if assignment.tester_slot == DECIDING_SLOT:
                decider = assignment.caller_id
            else:
                raters.update(x for x in (assignment.caller_id, recorded_by) if x is not None)
        ordered = tuple(sorted(raters))
        pending.append(
            PendingDecision(
                municipality,
                _name(names, municipality, unit),
                scenario,
                ordered,
                tuple(users.get(r, "?") for r in ordered),
                decider,
                users.get(decider) if decider is not None else None,
                unit,
            )
        )
    return pending


def suggest_deciders(
    pending: Sequence[PendingDecision], callers: Sequence[int], round_id: int
) -> dict[WebItem, int | None]:
    """For each item, its decider or the least busy caller who rated neither check."""
    load = Counter(
        dict(
            db.session.execute(
                sa.select(TestAssignment.caller_id, sa.func.count())
                .where(TestAssignment.test_round_id == round_id, TestAssignment.status == "open")
                .group_by(TestAssignment.caller_id)
            )
            .tuples()
            .all()
        )
    )
    chosen: dict[WebItem, int | None] = {}
    for item in pending:
        if item.decider is not None:
            chosen[item.key] = item.decider
            continue
        able = [c for c in callers if c not in item.raters]
        pick = min(able, key=lambda c: (load[c], c), default=None)
        if pick is not None:
            load[pick] += 1
        chosen[item.key] = pick
    return chosen


def assign_deciders(
    actor_id: int | None, test_round: TestRound, choices: Mapping[WebItem, int]
) -> int:
    """Give every item (municipality, unit, scenario) its chosen deciding tester in one
    step (all or nothing): refused (``decider_is_rater``) when a chosen tester rated one
    of the item's checks."""
    refused = [key for key, caller in choices.items() if caller in raters_of(test_round, key)]
    if refused:
        raise ControlError("decider_is_rater", items=refused)
    changed = 0
    for (municipality, unit, scenario), caller in choices.items():
        slots = {
            a.tester_slot: a for a, _r in _web_slots(test_round, (municipality, unit, scenario))
        }
        current = slots.get(DECIDING_SLOT)
        if current is not None and current.caller_id == caller:
            continue
        operations.assign_decider(actor_id, test_round, municipality, scenario, caller, unit)
        changed += 1
    return changed


# --------------------------------------------------------------------------- re-assigning


@dataclass(frozen=True)
class Moved:
    moved: int
    kept_awaiting: int  # e-mails awaiting a reply stay: the reply goes to their sender
    not_moved: int  # web checks none of the others may take (independence)


def move_open_contacts(
    actor_id: int | None, test_round: TestRound, from_caller: int, to_callers: Sequence[int]
) -> Moved:
    """Move every open contact of one caller to others in one step, evenly by their open
    load; a web check never goes to a tester of the same item's other check or decision."""
    if test_round.status == "locked":
        raise ControlError("round_locked")
    targets = [c for c in dict.fromkeys(to_callers) if c != from_caller]
    if not targets:
        raise ControlError("no_targets")
    open_ = list(
        db.session.scalars(
            sa.select(TestAssignment)
            .where(
                TestAssignment.test_round_id == test_round.id,
                TestAssignment.caller_id == from_caller,
                TestAssignment.status == "open",
            )
            .order_by(TestAssignment.due_at, TestAssignment.id)
        )
    )
    load = Counter(
        dict(
            db.session.execute(
                sa.select(TestAssignment.caller_id, sa.func.count())
                .where(
                    TestAssignment.test_round_id == test_round.id,
                    TestAssignment.status == "open",
                    TestAssignment.caller_id.in_(targets),
                )
                .group_by(TestAssignment.caller_id)
            )
            .tuples()
            .all()
        )
    )
    web_testers: dict[WebItem, set[int]] = defaultdict(set)
    for municipality, unit, scenario, caller in db.session.execute(
        sa.select(
            TestAssignment.municipality_code,
            TestAssignment.unit_code,
            TestAssignment.scenario_code,
            TestAssignment.caller_id,
        ).where(TestAssignment.test_round_id == test_round.id, TestAssignment.channel == "web")
    ).tuples():
        if caller is not None:
            web_testers[municipality, unit, scenario].add(caller)
    moved = kept = blocked = 0
    for assignment in open_:
        if assignment.follow_up == followup.REPLY:
            kept += 1
            continue
        able = targets
        item = (assignment.municipality_code, assignment.unit_code, assignment.scenario_code)
        if assignment.channel == "web":
            taken = web_testers[item]
            able = [c for c in targets if c not in taken]
        if not able:
            blocked += 1
            continue
        to = min(able, key=lambda c: (load[c], targets.index(c)))
        load[to] += 1
        if assignment.channel == "web":
            web_testers[item].add(to)
        operations.reassign(actor_id, assignment, to)
        moved += 1
    return Moved(moved, kept, blocked)
