"""Plan a service-test round: which municipalities, and who contacts whom when.

Plain data in and out (no Flask, no database), seeded so a plan can be repeated.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from surveyapp.questionnaires.protocol import Protocol
from surveyapp.servicetest.workdays import working_days_in

OSLO = ZoneInfo("Europe/Oslo")


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
    """The round cannot be planned as asked (message in plain words)."""


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


def _assign_callers(
    contacts: list[tuple[str, str, str, str, int]], callers: Sequence[int], rng: random.Random
) -> list[int | None]:
    """Spread contacts evenly; avoid giving one caller the same municipality twice."""
    if not callers:
        return [None] * len(contacts)
    load = dict.fromkeys(callers, 0)
    seen: dict[int, set[str]] = {c: set() for c in callers}
    chosen: list[int | None] = []
    order = list(callers)
    for municipality, _scenario, _sector, _channel, slot in contacts:
        rng.shuffle(order)
        # Prefer callers who have not met this municipality, then the least loaded.
        candidates = sorted(order, key=lambda c: (municipality in seen[c], load[c]))
        if slot > 1:  # a second web tester must be someone else than the first
            previous = chosen[-1]
            others = [c for c in candidates if c != previous]
            candidates = others or candidates
        caller = candidates[0]
        load[caller] += 1
        seen[caller].add(municipality)
        chosen.append(caller)
    return chosen


def plan_round(
    protocol: Protocol,
    municipalities: Sequence[str],
    callers: Sequence[int],
    starts_on: date,
    ends_on: date,
    seed: int,
) -> list[PlannedContact]:
    """Every municipality × scenario × channel, spread over callers and working days.

    Phone contacts get a slot inside the protocol's phone hours on a working day; e-mail
    and web contacts are due at the start of their working day. Web items get one
    assignment per independent tester.
    """
    if ends_on < starts_on:
        raise PlanningError("the test window ends before it starts")
    days = working_days_in(starts_on, ends_on, protocol.non_working_days)
    if not days:
        raise PlanningError("the test window has no working days")
    if not municipalities:
        raise PlanningError("no municipalities are selected")
    rng = random.Random(seed)
    web = protocol.channels.web
    testers = web.testers if web is not None else 1  # no web channel: no web contacts
    contacts: list[tuple[str, str, str, str, int]] = []
    for municipality in sorted(municipalities):
        for item in protocol.scenarios:
            for way in item.channels:
                slots = range(1, testers + 1) if way == "web" else range(1, 2)
                for slot in slots:
                    contacts.append((municipality, item.code, item.sector, way, slot))
    start_t, end_t = protocol.phone_hours.start, protocol.phone_hours.end
    window_minutes = (end_t.hour * 60 + end_t.minute) - (start_t.hour * 60 + start_t.minute)
    callers_for = _assign_callers(contacts, callers, rng)
    planned: list[PlannedContact] = []
    # Spread over the window: contact i goes to day i mod len(days), after a seeded shuffle.
    positions = list(range(len(contacts)))
    rng.shuffle(positions)
    for index, ((municipality, scenario, sector, channel, slot), caller) in enumerate(
        zip(contacts, callers_for, strict=True)
    ):
        day = days[positions[index] % len(days)]
        if channel == "phone":
            offset = rng.randrange(0, max(window_minutes - 10, 1), 5)
            moment = datetime.combine(day, start_t, OSLO) + timedelta(minutes=offset)
        else:
            moment = datetime.combine(day, start_t, OSLO)
        planned.append(
            PlannedContact(municipality, scenario, sector, channel, slot, caller, moment)
        )
    planned.sort(key=lambda p: (p.due_at, p.municipality, p.scenario, p.channel, p.tester_slot))
    return planned
