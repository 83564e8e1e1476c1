"""Plan a service-test round: which municipalities, and who contacts whom when.

Plain data in and out (no Flask, no database), seeded so a plan can be repeated.

The schedule is a greedy placement with hard constraints, checked as it goes:

* a **daily cap** per caller (contacts of any channel on one working day); when the
  work does not fit, :class:`PlanDoesNotFit` says how many callers (with these days) or
  working days (with these callers) it needs: the plan never exceeds the cap;
* calls get a **slot** of the protocol's ``slot_minutes`` inside the phone hours; a
  caller is never booked twice in one slot;
* at most ``calls_per_municipality_per_day`` test calls to one municipality on a day
  (counted per switchboard: a test unit without a phone number of its own, such as an
  Oslo district reached through the city's number, counts with its municipality);
* the independent **web checks** of an item are on the same day, by different testers.

Web items (two callers on one day) are placed first, then calls (a slot and the
municipality's day limit), then e-mails, which fit anywhere. Each contact goes to the
day where its municipality has the fewest contacts so far, then the least busy day; and
to the caller with the fewest contacts overall (so loads stay even), then that day, then
the one who has met the municipality least. Placing 11,424 contacts (357 municipalities,
12 callers, 40 working days) takes well under a second; :func:`check_plan` counts each
constraint's violations (``make bench`` prints them).
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from surveyapp.questionnaires.protocol import Protocol
from surveyapp.servicetest.workdays import (
    Closed,
    add_working_days,
    is_working_day,
    working_days_in,
)

OSLO = ZoneInfo("Europe/Oslo")
#: Contacts one caller is given on one working day unless the organiser says otherwise.
DEFAULT_DAILY_CAP = 25
#: How far the "does not fit" advice looks (callers or working days beyond the plan's).
_SEARCH_LIMIT = 400

#: The constraints :func:`check_plan` counts, in the order reports list them.
CONSTRAINTS = (
    "over_daily_cap",
    "caller_double_booked",
    "municipality_calls_per_day",
    "web_checks_apart",
    "same_tester_twice",
    "outside_phone_hours",
    "without_caller",
)


@dataclass(frozen=True)
class PlannedContact:
    municipality: str
    scenario: str
    sector: str
    channel: str
    tester_slot: int
    caller: int | None
    due_at: datetime


class PlanningError(ValueError):
    """The round cannot be planned as asked (a message key, see the views)."""


@dataclass(frozen=True)
class Shortfall:
    """The work does not fit: what it would need (None: no number of them is enough)."""

    contacts: int
    callers: int
    working_days: int
    daily_cap: int
    callers_needed: int | None  # with these working days
    days_needed: int | None  # with these callers, counted from the first day
    last_day: date | None  # the last working day then


class PlanDoesNotFit(PlanningError):
    def __init__(self, shortfall: Shortfall) -> None:
        super().__init__("does_not_fit")
        self.shortfall = shortfall


def stratified_sample(
    bands: dict[str, str], per_band: int | dict[str, int], seed: int
) -> list[str]:
    """Draw municipalities at random within each size band, reproducibly for a seed."""
    rng = random.Random(seed)
    by_band: dict[str, list[str]] = defaultdict(list)
    for code, band in sorted(bands.items()):
        by_band[band].append(code)
    chosen: list[str] = []
    for band in sorted(by_band):
        wanted = per_band if isinstance(per_band, int) else per_band.get(band, 0)
        members = by_band[band]
        chosen.extend(rng.sample(members, min(wanted, len(members))))
    return sorted(chosen)


# --------------------------------------------------------------------------- the work


@dataclass(frozen=True)
class _Unit:
    """What is placed at once: one call, one e-mail, or one web item's checks."""

    municipality: str
    scenario: str
    sector: str
    channel: str
    checks: int = 1  # web: the number of independent testers


def _units(protocol: Protocol, municipalities: Sequence[str]) -> list[_Unit]:
    web = protocol.channels.web
    testers = web.testers if web is not None else 1
    units = []
    for municipality in sorted(municipalities):
        for item in protocol.scenarios:
            for way in item.channels:
                checks = testers if way == "web" else 1
                units.append(_Unit(municipality, item.code, item.sector, way, checks))
    return units


def _slot_times(protocol: Protocol) -> list[time]:
    """The start of every call slot inside the phone hours."""
    phone = protocol.channels.phone
    length = phone.slot_minutes if phone is not None else 15
    start, end = protocol.phone_hours.start, protocol.phone_hours.end
    first = start.hour * 60 + start.minute
    window = end.hour * 60 + end.minute - first
    return [time(*divmod(first + n * length, 60)) for n in range(max(window // length, 1))]


@dataclass
class _Board:
    """Who does what on which day, as the placement goes."""

    days: list[date]
    callers: list[int]
    cap: int
    slots: int
    per_municipality_day: int
    switchboard: Mapping[str, str]  # a place → whose switchboard its calls reach
    load: dict[tuple[int, int], int] = field(default_factory=Counter)  # (caller, day)
    total: dict[int, int] = field(default_factory=Counter)
    day_load: dict[int, int] = field(default_factory=Counter)
    municipality_day: dict[tuple[str, int], int] = field(default_factory=Counter)
    calls: dict[tuple[str, int], int] = field(default_factory=Counter)
    met: dict[tuple[int, str], int] = field(default_factory=Counter)
    busy: dict[tuple[int, int], set[int]] = field(default_factory=lambda: defaultdict(set))

    def free(self, caller: int, day: int) -> int:
        return self.cap - self.load[caller, day]

    def callers_for(self, unit: _Unit, day: int, rng: random.Random) -> list[int] | None:
        """The callers for the unit on this day (best first), or None when it does not fit."""
        able = [c for c in self.callers if self.free(c, day) > 0]
        if unit.channel == "phone":
            able = [c for c in able if len(self.busy[c, day]) < self.slots]
        if len(able) < unit.checks:
            return None
        order = {c: rng.random() for c in able}
        able.sort(
            key=lambda c: (
                self.total[c],
                self.load[c, day],
                self.met[c, unit.municipality],
                order[c],
            )
        )
        return able[: unit.checks]

    def days_for(self, unit: _Unit, rng: random.Random) -> list[int]:
        """The days in the order they are tried for this unit."""
        candidates: list[int] = list(range(len(self.days)))
        if unit.channel == "phone":
            candidates = [
                d for d in candidates if self.calls[self.line(unit), d] < self.per_municipality_day
            ]
        order = {d: rng.random() for d in candidates}
        return sorted(
            candidates,
            key=lambda d: (self.municipality_day[unit.municipality, d], self.day_load[d], order[d]),
        )

    def line(self, unit: _Unit) -> str:
        return self.switchboard.get(unit.municipality, unit.municipality)

    def take(self, unit: _Unit, day: int, callers: list[int]) -> None:
        for caller in callers:
            self.load[caller, day] += 1
            self.total[caller] += 1
            self.met[caller, unit.municipality] += 1
        self.day_load[day] += len(callers)
        self.municipality_day[unit.municipality, day] += 1
        if unit.channel == "phone":
            self.calls[self.line(unit), day] += 1


def _place(
    protocol: Protocol,
    units: list[_Unit],
    days: list[date],
    callers: list[int],
    cap: int,
    seed: int,
    switchboard: Mapping[str, str],
) -> list[PlannedContact] | None:
    """The greedy placement; None as soon as one contact does not fit anywhere."""
    rng = random.Random(seed)
    phone = protocol.channels.phone
    slot_times = _slot_times(protocol)
    board = _Board(
        days,
        callers,
        cap,
        len(slot_times),
        phone.calls_per_municipality_per_day if phone is not None else 1,
        switchboard,
    )
    ordered = list(units)
    rng.shuffle(ordered)
    rank = {"web": 0, "phone": 1, "email": 2}
    ordered.sort(key=lambda u: rank[u.channel])  # stable: seeded order within a channel
    start = protocol.phone_hours.start
    planned: list[PlannedContact] = []
    for unit in ordered:
        for day in board.days_for(unit, rng):
            chosen = board.callers_for(unit, day, rng)
            if chosen is not None:
                break
        else:
            return None
        board.take(unit, day, chosen)
        on = days[day]
        if unit.channel == "phone":
            caller = chosen[0]
            free = [n for n in range(board.slots) if n not in board.busy[caller, day]]
            slot = rng.choice(free)
            board.busy[caller, day].add(slot)
            moment = datetime.combine(on, slot_times[slot], OSLO)
        else:
            moment = datetime.combine(on, start, OSLO)
        for number, caller in enumerate(chosen, start=1):
            planned.append(
                PlannedContact(
                    unit.municipality,
                    unit.scenario,
                    unit.sector,
                    unit.channel,
                    number,
                    caller,
                    moment,
                )
            )
    planned.sort(key=lambda p: (p.due_at, p.municipality, p.scenario, p.channel, p.tester_slot))
    return planned


def _working_days_from(first: date, count: int, closed: Closed = ()) -> list[date]:
    day = first if is_working_day(first, closed) else add_working_days(first, 0, closed)
    return [add_working_days(day, n, closed) for n in range(count)]


def _shortfall(
    protocol: Protocol,
    units: list[_Unit],
    days: list[date],
    callers: list[int],
    cap: int,
    seed: int,
    switchboard: Mapping[str, str],
) -> Shortfall:
    """How many callers or working days the work needs (lower bounds, then tried)."""
    contacts = sum(u.checks for u in units)
    calls = sum(1 for u in units if u.channel == "phone")
    slots = min(cap, len(_slot_times(protocol)))
    phone = protocol.channels.phone
    per_day = phone.calls_per_municipality_per_day if phone is not None else 1
    most_calls = max(
        Counter(
            switchboard.get(u.municipality, u.municipality) for u in units if u.channel == "phone"
        ).values(),
        default=0,
    )
    testers = max((u.checks for u in units), default=1)
    n_days, n_callers = len(days), len(callers)

    callers_needed: int | None = None
    if most_calls <= n_days * per_day:  # more callers cannot help a municipality's calls
        low = max(
            testers,
            math.ceil(contacts / (n_days * cap)),
            math.ceil(calls / (n_days * slots)) if calls else 0,
            n_callers + 1,
        )
        for count in range(low, low + _SEARCH_LIMIT):
            extra = [-(n + 1) for n in range(count)]
            if _place(protocol, units, days, extra, cap, seed, switchboard) is not None:
                callers_needed = count
                break

    days_needed: int | None = None
    last_day: date | None = None
    if n_callers >= testers:
        low = max(
            math.ceil(contacts / (n_callers * cap)),
            math.ceil(calls / (n_callers * slots)) if calls else 0,
            math.ceil(most_calls / per_day),
            n_days + 1,
        )
        for count in range(low, low + _SEARCH_LIMIT):
            longer = _working_days_from(days[0], count, protocol.non_working_days)
            if _place(protocol, units, longer, callers, cap, seed, switchboard) is not None:
                days_needed, last_day = count, longer[-1]
                break
    return Shortfall(contacts, n_callers, n_days, cap, callers_needed, days_needed, last_day)


def plan_round(
    protocol: Protocol,
    municipalities: Sequence[str],
    callers: Sequence[int],
    starts_on: date,
    ends_on: date,
    seed: int,
    daily_cap: int = DEFAULT_DAILY_CAP,
    switchboard: Mapping[str, str] | None = None,
) -> list[PlannedContact]:
    """Every municipality × scenario × channel, placed on callers, working days and slots.

    ``switchboard`` maps a place (a test unit) whose calls reach another's switchboard
    (its municipality's) to that one: their calls share the daily limit.

    Raises :class:`PlanDoesNotFit` (with what the work needs) when the contacts cannot
    be placed within the daily cap and the other constraints, and ``PlanningError`` for
    a window without working days, no municipalities or no callers.
    """
    if ends_on < starts_on:
        raise PlanningError("ends_before_start")
    days = working_days_in(starts_on, ends_on, protocol.non_working_days)
    if not days:
        raise PlanningError("no_working_days")
    if not municipalities:
        raise PlanningError("no_municipalities")
    if not callers:
        raise PlanningError("no_callers")
    if daily_cap < 1:
        raise PlanningError("daily_cap")
    units = _units(protocol, municipalities)
    unique = list(dict.fromkeys(callers))
    lines = dict(switchboard or {})
    planned = _place(protocol, units, days, unique, daily_cap, seed, lines)
    if planned is None:
        raise PlanDoesNotFit(_shortfall(protocol, units, days, unique, daily_cap, seed, lines))
    return planned


# --------------------------------------------------------------------------- checks


def check_plan(
    planned: Sequence[PlannedContact],
    protocol: Protocol,
    daily_cap: int,
    switchboard: Mapping[str, str] | None = None,
) -> dict[str, int]:
    """How often each constraint is broken (every value 0 for a good plan); calls to a
    day's switchboard counted as in ``plan_round``."""
    lines = switchboard or {}
    phone = protocol.channels.phone
    per_day = phone.calls_per_municipality_per_day if phone is not None else 1
    start, end = protocol.phone_hours.start, protocol.phone_hours.end
    closed = protocol.non_working_days
    load: Counter[tuple[int | None, date]] = Counter()
    slots: Counter[tuple[int | None, datetime]] = Counter()
    calls: Counter[tuple[str, date]] = Counter()
    web: dict[tuple[str, str], list[PlannedContact]] = defaultdict(list)
    outside = without = 0  # calls outside the phone hours or on a day not worked
    for contact in planned:
        local = contact.due_at.astimezone(OSLO)
        if contact.caller is None:
            without += 1
        load[contact.caller, local.date()] += 1
        if contact.channel == "phone":
            slots[contact.caller, contact.due_at] += 1
            calls[lines.get(contact.municipality, contact.municipality), local.date()] += 1
            clock = local.time()
            if not is_working_day(local.date(), closed) or not start <= clock < end:
                outside += 1
        elif contact.channel == "web":
            web[contact.municipality, contact.scenario].append(contact)
    return {
        "over_daily_cap": sum(n - daily_cap for n in load.values() if n > daily_cap),
        "caller_double_booked": sum(n - 1 for n in slots.values() if n > 1),
        "municipality_calls_per_day": sum(n - per_day for n in calls.values() if n > per_day),
        "web_checks_apart": sum(
            1
            for checks in web.values()
            if len({c.due_at.astimezone(OSLO).date() for c in checks}) > 1
        ),
        "same_tester_twice": sum(
            1 for checks in web.values() if len({c.caller for c in checks}) < len(checks)
        ),
        "outside_phone_hours": outside,
        "without_caller": without,
    }


# --------------------------------------------------------------------------- the preview


@dataclass(frozen=True)
class Preview:
    """A plan as the organiser checks it before saving."""

    days: list[date]
    callers: list[int]
    per_caller_day: dict[tuple[int, date], int]  # contacts
    calls_per_caller_day: dict[tuple[int, date], int]
    per_municipality: dict[str, dict[str, int]]  # code → contacts, calls, days, busiest_day
    violations: dict[str, int]

    @property
    def busiest_caller_day(self) -> int:
        return max(self.per_caller_day.values(), default=0)


def preview(
    planned: Sequence[PlannedContact],
    protocol: Protocol,
    daily_cap: int,
    switchboard: Mapping[str, str] | None = None,
) -> Preview:
    per_caller_day: Counter[tuple[int, date]] = Counter()
    calls: Counter[tuple[int, date]] = Counter()
    municipal: dict[str, Counter[date]] = defaultdict(Counter)
    municipal_calls: Counter[str] = Counter()
    days: set[date] = set()
    callers: set[int] = set()
    for contact in planned:
        day = contact.due_at.astimezone(OSLO).date()
        days.add(day)
        if contact.caller is not None:
            callers.add(contact.caller)
            per_caller_day[contact.caller, day] += 1
            if contact.channel == "phone":
                calls[contact.caller, day] += 1
        municipal[contact.municipality][day] += 1
        municipal_calls[contact.municipality] += contact.channel == "phone"
    per_municipality = {
        code: {
            "contacts": sum(by_day.values()),
            "calls": municipal_calls[code],
            "days": len(by_day),
            "busiest_day": max(by_day.values()),
        }
        for code, by_day in sorted(municipal.items())
    }
    return Preview(
        sorted(days),
        sorted(callers),
        dict(per_caller_day),
        dict(calls),
        per_municipality,
        check_plan(planned, protocol, daily_cap, switchboard),
    )
