"""Service-test rounds in the database: plan, record, reassign, lock and score.

Functions add and flush (and audit); the request or the CLI command commits.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from surveyapp.audit.operations import record as audit
from surveyapp.extensions import db
from surveyapp.municipalities.contacts import shared_phone_units
from surveyapp.municipalities.models import Municipality
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.questionnaires.protocol import Protocol
from surveyapp.questionnaires.store import definition_of
from surveyapp.servicetest import agreement, followup, planning, scoring
from surveyapp.servicetest.models import (
    TestAssignment,
    TestResult,
    TestRound,
    test_round_municipality,
)
from surveyapp.servicetest.records import (
    DECIDING_SLOT,
    StoredAssignment,
    contact_for,
    group_assignments,
    not_tested,
)
from surveyapp.timeutil import utcnow


class ServiceTestError(ValueError):
    """A refused change, with a message key for the UI."""


def protocol_in(questionnaire: Questionnaire) -> Protocol:
    """The protocol a stored ``kind: protocol`` questionnaire version defines."""
    protocol = definition_of(questionnaire).protocol
    if protocol is None:
        raise ServiceTestError("not_a_protocol")
    return protocol


def protocol_of(test_round: TestRound) -> Protocol:
    return protocol_in(test_round.protocol)


def select_municipalities(
    mode: str,
    *,
    county: str | None = None,
    codes: Sequence[str] = (),
    per_band: int = 0,
    seed: int = 0,
) -> list[str]:
    """All, one county, a list, or a seeded stratified sample by size band."""
    query = sa.select(
        Municipality.code, Municipality.county_code, Municipality.population_band
    ).where(Municipality.current)
    rows = db.session.execute(query.order_by(Municipality.code)).all()
    if mode == "all":
        return [r.code for r in rows]
    if mode == "county":
        return [r.code for r in rows if r.county_code == county]
    if mode == "list":
        known = {r.code for r in rows}
        unknown = sorted(set(codes) - known)
        if unknown:
            raise ServiceTestError("unknown_municipalities:" + ",".join(unknown))
        return sorted(set(codes))
    if mode == "sample":
        bands = {r.code: r.population_band for r in rows if r.population_band}
        if not bands:
            raise ServiceTestError("no_size_bands")
        return planning.stratified_sample(bands, per_band, seed)
    raise ServiceTestError("unknown_mode")


def plan(
    actor_id: int | None,
    *,
    title: str,
    protocol: Questionnaire,
    year: int,
    starts_on: date,
    ends_on: date,
    municipalities: Sequence[str],
    callers: Sequence[int],
    seed: int,
    selection: dict[str, Any],
    daily_cap: int = planning.DEFAULT_DAILY_CAP,
    units: Mapping[str, Sequence[str]] | None = None,
) -> TestRound:
    """Create a round and all its assignments (one bulk insert).

    ``units`` (municipality → unit codes) plans those municipalities per test unit.
    Raises ``planning.PlanDoesNotFit`` (with what the work needs) when the contacts do not
    fit the callers, days and daily cap, ``ServiceTestError`` for other planning errors.
    """
    test_round = TestRound(
        title=title,
        protocol_id=protocol.id,
        year=year,
        starts_on=starts_on,
        ends_on=ends_on,
        status="planned",
        seed=seed,
        selection=selection,
    )
    test_round.municipalities = list(
        db.session.scalars(sa.select(Municipality).where(Municipality.code.in_(municipalities)))
    )
    db.session.add(test_round)
    db.session.flush()
    try:
        targets, parent = planning_targets(municipalities, units or {})
        planned = planning.plan_round(
            protocol_in(protocol),
            targets,
            callers,
            starts_on,
            ends_on,
            seed,
            daily_cap,
            switchboards(parent),
        )
    except planning.PlanDoesNotFit:
        raise
    except planning.PlanningError as error:
        raise ServiceTestError(str(error)) from error
    if planned:
        db.session.execute(
            sa.insert(TestAssignment.__table__),
            [
                {
                    "test_round_id": test_round.id,
                    "municipality_code": parent.get(p.municipality, p.municipality),
                    "unit_code": p.municipality if p.municipality in parent else "",
                    "scenario_code": p.scenario,
                    "sector": p.sector,
                    "channel": p.channel,
                    "tester_slot": p.tester_slot,
                    "caller_id": p.caller,
                    "due_at": p.due_at,
                    "status": "open",
                }
                for p in planned
            ],
        )
    audit(
        actor_id,
        "plan",
        "test_round",
        test_round.id,
        None,
        {
            "title": title,
            "municipalities": len(municipalities),
            "contacts": len(planned),
            "callers": list(callers),
            "seed": seed,
            "daily_cap": daily_cap,
        },
    )
    return test_round


def planning_targets(
    municipalities: Sequence[str], units: Mapping[str, Sequence[str]]
) -> tuple[list[str], dict[str, str]]:
    """What the planner spreads contacts over: municipalities, or their units instead;
    and each unit's municipality."""
    targets: list[str] = []
    parent: dict[str, str] = {}
    for code in municipalities:
        own = units.get(code) or ()
        targets.extend(own or [code])
        parent.update({unit: code for unit in own})
    return targets, parent


def switchboards(parent: Mapping[str, str]) -> dict[str, str]:
    """The units (of ``planning_targets``' unit → municipality) whose calls reach their
    municipality's switchboard, having no phone number of their own: the planner counts
    their calls with the municipality's (at most so many test calls a day to one
    switchboard, wherever they are meant to end up)."""
    shared = shared_phone_units([(municipality, unit) for unit, municipality in parent.items()])
    return {unit: parent[unit] for unit in shared}


def _editable(test_round: TestRound) -> None:
    if test_round.status == "locked":
        raise ServiceTestError("round_locked")


def reassign(actor_id: int | None, assignment: TestAssignment, caller_id: int | None) -> None:
    _editable(assignment.test_round)
    old = assignment.caller_id
    assignment.caller_id = caller_id
    db.session.flush()
    audit(
        actor_id,
        "reassign",
        "test_assignment",
        assignment.id,
        {"caller_id": old},
        {"caller_id": caller_id},
    )


def cancel(actor_id: int | None, assignment: TestAssignment) -> None:
    _editable(assignment.test_round)
    old = assignment.status
    assignment.status = "cancelled"
    db.session.flush()
    audit(
        actor_id,
        "cancel",
        "test_assignment",
        assignment.id,
        {"status": old},
        {"status": "cancelled"},
    )


def _follow_up(
    assignment: TestAssignment, record: dict[str, Any], now: datetime
) -> followup.FollowUp | None:
    """Set the contact done, or open with what it waits for (a call-back, a reply)."""
    due = followup.follow_up(assignment.channel, record, protocol_of(assignment.test_round))
    if due is not None and due.kind == followup.REPLY and due.at <= now:
        due = None  # the reply can no longer earn points: no reply scores 0, done
    assignment.status = "open" if due is not None else "done"
    assignment.follow_up = due.kind if due is not None else None
    assignment.follow_up_at = due.at if due is not None else None
    return due


def save_result(
    actor_id: int | None,
    assignment: TestAssignment,
    record: dict[str, Any],
    now: datetime | None = None,
) -> TestResult:
    """Store or replace what a caller recorded; audited with the old and new record.

    The contact is done unless it still waits for something (``followup``): a phone
    contact with attempts left where nobody was reached stays open as a call-back, an
    e-mail without a reply stays open awaiting it until its cut-off.
    """
    _editable(assignment.test_round)
    if assignment.status == "cancelled":
        raise ServiceTestError("assignment_cancelled")
    result = assignment.result
    old = dict(result.record) if result is not None else None
    if result is None:
        result = TestResult(assignment_id=assignment.id, record=record, recorded_by_id=actor_id)
        db.session.add(result)
    else:
        result.record = record
        result.recorded_by_id = actor_id
    _follow_up(assignment, record, now or utcnow())
    if assignment.test_round.status == "planned":
        assignment.test_round.status = "running"
    db.session.flush()
    audit(actor_id, "record" if old is None else "edit", "test_result", assignment.id, old, record)
    return result


def _counted(status: str, waits: str | None, until: datetime | None, moment: datetime) -> bool:
    """Whether a contact's record is scored now: done, or an e-mail whose reply cut-off
    has passed (no reply, 0) before the periodic maintenance marked it done. An open
    contact otherwise is not scored yet (a call-back still to make, a reply awaited)."""
    if status == "done":
        return True
    return waits == followup.REPLY and until is not None and until <= moment


def _assignment_rows(test_round_id: int, record: Any, *extra: Any) -> Sequence[sa.Row[Any]]:
    """Every assignment of a round in one query: municipality, scenario, sector, channel,
    tester slot, status, ``record`` (the column or an expression of it), unit, follow-up
    and its time, then ``extra`` columns."""
    return db.session.execute(
        sa.select(
            TestAssignment.municipality_code,
            TestAssignment.scenario_code,
            TestAssignment.sector,
            TestAssignment.channel,
            TestAssignment.tester_slot,
            TestAssignment.status,
            record,
            TestAssignment.unit_code,
            TestAssignment.follow_up,
            TestAssignment.follow_up_at,
            *extra,
        )
        .outerjoin(TestResult, TestResult.assignment_id == TestAssignment.id)
        .where(TestAssignment.test_round_id == test_round_id)
    ).all()


def stored_assignments(test_round_id: int, now: datetime | None = None) -> list[StoredAssignment]:
    """Every assignment of a round with its record, test unit, tester and time: one query.

    The record of an open contact is left out unless it counts already (``_counted``).
    """
    moment = now or utcnow()
    rows = _assignment_rows(
        test_round_id, TestResult.record, TestResult.recorded_by_id, TestResult.recorded_at
    )
    return [
        StoredAssignment(
            municipality,
            scenario,
            sector,
            channel,
            slot,
            status,
            record if _counted(status, waits, until, moment) else None,
            unit,
            recorded_by,
            recorded_at,
        )
        for (
            municipality,
            scenario,
            sector,
            channel,
            slot,
            status,
            record,
            unit,
            waits,
            until,
            recorded_by,
            recorded_at,
        ) in rows
    ]


def close_expired_replies(now: datetime | None = None, test_round_id: int | None = None) -> int:
    """Mark e-mails done whose reply can no longer earn points (audited); the count."""
    moment = now or utcnow()
    query = sa.select(TestAssignment).where(
        TestAssignment.status == "open",
        TestAssignment.follow_up == followup.REPLY,
        TestAssignment.follow_up_at <= moment,
    )
    if test_round_id is not None:
        query = query.where(TestAssignment.test_round_id == test_round_id)
    expired = list(db.session.scalars(query.join(TestRound).where(TestRound.status != "locked")))
    for assignment in expired:
        audit(
            None,
            "reply_cutoff",
            "test_assignment",
            assignment.id,
            {"status": "open", "follow_up": followup.REPLY},
            {"status": "done", "follow_up": None},
        )
        assignment.status, assignment.follow_up, assignment.follow_up_at = "done", None, None
    db.session.flush()
    return len(expired)


def assignments_for_scoring(
    test_round_id: int, now: datetime | None = None
) -> list[StoredAssignment]:
    """What scoring needs of every assignment, in one lean query: the record as the JSON
    text it is stored as (``raw``, decoded only where needed), without the tester or
    the times (the ORM's column types cost more than the scoring of a national round).
    Records that do not count yet are left out, as in ``stored_assignments``."""
    moment = now or utcnow()
    rows = _assignment_rows(test_round_id, sa.cast(TestResult.record, sa.Text))
    return [
        StoredAssignment(
            m,
            scenario,
            sector,
            channel,
            slot,
            status,
            None,
            unit,
            raw=raw if _counted(status, waits, until, moment) else None,
        )
        for m, scenario, sector, channel, slot, status, raw, unit, waits, until in rows
    ]


ScoredContact = tuple[scoring.Contact, scoring.ContactScore]
ContactMemo = dict[tuple[Any, ...], ScoredContact]


def scored_contacts(
    protocol: Protocol, assignments: Sequence[StoredAssignment], memo: ContactMemo | None = None
) -> list[ScoredContact]:
    """Every contact of the round with its score. A contact whose stored records are the
    same text as when ``memo`` was filled is not decoded or scored again (the memo is
    for one round and one protocol; it is updated in place to hold this round's now)."""
    groups = group_assignments(assignments)
    known = memo if memo is not None else {}
    out: list[ScoredContact | None] = []
    todo: list[tuple[int, tuple[Any, ...], Any, list[StoredAssignment]]] = []
    keys: list[tuple[Any, ...]] = []
    for key, group in groups.items():
        memo_key = (key, tuple((item.tester_slot, item.raw) for item in group))
        keys.append(memo_key)
        hit = known.get(memo_key)
        if hit is None:
            todo.append((len(out), memo_key, key, group))
        out.append(hit)
    if todo:
        contacts = []
        for _index, _memo_key, key, group in todo:
            decoded = [
                replace(item, record=json.loads(item.raw)) if item.raw is not None else item
                for item in group
            ]
            contacts.append(contact_for(key, decoded))
        for (index, memo_key, _key, _group), pair in zip(
            todo, scoring.score_contacts(protocol, contacts), strict=True
        ):
            out[index] = pair
            known[memo_key] = pair
    if memo is not None and len(memo) > len(keys):  # forget contacts changed since
        wanted = set(keys)
        for stale in [k for k in memo if k not in wanted]:
            del memo[stale]
    return [pair for pair in out if pair is not None]


def round_municipalities(test_round_id: int) -> list[str]:
    """The municipality numbers a round covers (as planned)."""
    return list(
        db.session.scalars(
            sa.select(test_round_municipality.c.municipality_code).where(
                test_round_municipality.c.test_round_id == test_round_id
            )
        )
    )


@contextmanager
def _without_collector_pauses() -> Iterator[None]:
    """Scoring a national round allocates ~10⁵ small acyclic objects; the cyclic garbage
    collector would scan the whole heap several times over them (half the time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def score(
    test_round: TestRound, roll_up: bool = False, memo: ContactMemo | None = None
) -> scoring.RoundResult:
    """Score the whole round from what is recorded now (units rolled up on request);
    ``memo`` keeps the contacts' scores between calls (see ``scored_contacts``)."""
    protocol = protocol_of(test_round)
    in_round = round_municipalities(test_round.id)
    with _without_collector_pauses():
        assignments = assignments_for_scoring(test_round.id)
        return scoring.summarise_round(
            protocol,
            scored_contacts(protocol, assignments, memo),
            not_tested(assignments, in_round),
            roll_up=roll_up,
        )


#: A web item of a round: municipality, test unit ("" for the whole municipality), scenario.
WebItem = tuple[str, str, str]


def awaiting_decision(test_round: TestRound) -> list[WebItem]:
    """Web items whose testers disagree and that have no deciding tester yet."""
    result = score(test_round)
    return sorted((c.municipality, c.unit, c.scenario) for c in result.awaiting_decision)


def _raters(test_round: TestRound, municipality: str, scenario: str, unit: str = "") -> set[int]:
    """Who has the two independent checks of a web item, or recorded them."""
    rows = db.session.execute(
        sa.select(TestAssignment.caller_id, TestResult.recorded_by_id)
        .outerjoin(TestResult, TestResult.assignment_id == TestAssignment.id)
        .where(
            TestAssignment.test_round_id == test_round.id,
            TestAssignment.municipality_code == municipality,
            TestAssignment.unit_code == unit,
            TestAssignment.scenario_code == scenario,
            TestAssignment.channel == "web",
            TestAssignment.tester_slot != DECIDING_SLOT,
        )
    ).tuples()
    return {person for pair in rows for person in pair if person is not None}


def assign_decider(
    actor_id: int | None,
    test_round: TestRound,
    municipality: str,
    scenario: str,
    caller_id: int,
    unit: str = "",
) -> TestAssignment:
    """Give a web item on which the testers disagree to a third tester (never one of the
    two who checked it: ``decider_is_rater``); ``unit`` for an item of a test unit."""
    _editable(test_round)
    first = db.session.scalar(
        sa.select(TestAssignment)
        .where(
            TestAssignment.test_round_id == test_round.id,
            TestAssignment.municipality_code == municipality,
            TestAssignment.unit_code == unit,
            TestAssignment.scenario_code == scenario,
            TestAssignment.channel == "web",
        )
        .order_by(TestAssignment.tester_slot)
    )
    if first is None:
        raise ServiceTestError("unknown_item")
    if caller_id in _raters(test_round, municipality, scenario, unit):
        raise ServiceTestError("decider_is_rater")
    existing = db.session.scalar(
        sa.select(TestAssignment).where(
            TestAssignment.test_round_id == test_round.id,
            TestAssignment.municipality_code == municipality,
            TestAssignment.unit_code == unit,
            TestAssignment.scenario_code == scenario,
            TestAssignment.channel == "web",
            TestAssignment.tester_slot == DECIDING_SLOT,
        )
    )
    if existing is not None:
        reassign(actor_id, existing, caller_id)
        return existing
    decider = TestAssignment(
        test_round_id=test_round.id,
        municipality_code=municipality,
        unit_code=unit,
        scenario_code=scenario,
        sector=first.sector,
        channel="web",
        tester_slot=DECIDING_SLOT,
        caller_id=caller_id,
        due_at=first.due_at,
        status="open",
    )
    db.session.add(decider)
    db.session.flush()
    audit(
        actor_id,
        "assign_decider",
        "test_assignment",
        decider.id,
        None,
        {"municipality": municipality, "unit": unit, "scenario": scenario, "caller_id": caller_id},
    )
    return decider


def agreement_of(test_round: TestRound) -> agreement.AgreementReport:
    """Agreement between the independent web testers of a round (as recorded now)."""
    protocol = protocol_of(test_round)
    web = protocol.channels.web
    if web is None:
        return agreement.report([])
    ratings = agreement.web_ratings(stored_assignments(test_round.id), web.time_limit_seconds)
    return agreement.report(ratings, [s.code for s in protocol.scenarios])


def tester_names() -> dict[int, str]:
    """Staff ids → names, to name the testers of a round's checks."""
    from surveyapp.accounts.models import User

    return {user_id: name for user_id, name in db.session.execute(sa.select(User.id, User.name))}
