"""Stored test results (JSON records) to and from the scoring module's dataclasses.

The JSON shapes, one per assignment:

* phone: ``{"attempts": [{"at": iso, "reached": bool, "waiting_seconds": int|null}],
  "answered_first_contact": bool|null, "checkpoints_covered": [code],
  "referred_correctly": bool|null, "courtesy": 0-3|null}``
* email: ``{"sent_at": iso, "replied_at": iso|null, "checkpoints_covered": [code],
  "courtesy": 0-3|null}``
* web (one per tester; slot 3 is the deciding tester): ``{"found": bool,
  "seconds": int|null, "quality": 0-3|null}``

Plain functions: no Flask, no database session.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from surveyapp.servicetest.scoring import (
    Contact,
    EmailRecord,
    NotTested,
    PhoneAttempt,
    PhoneRecord,
    WebCheck,
    WebRecord,
)

DECIDING_SLOT = 3


@dataclass(frozen=True)
class StoredAssignment:
    """The columns scoring needs from one assignment and its result."""

    municipality: str
    scenario: str
    sector: str
    channel: str
    tester_slot: int
    status: str
    record: Mapping[str, Any] | None
    unit: str = ""
    recorded_by: int | None = None  # the caller who recorded the result (tester id)
    recorded_at: datetime | None = None
    raw: str | None = None  # the record as stored (JSON text), where it was read so


def _moment(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def phone_record(data: Mapping[str, Any]) -> PhoneRecord:
    return PhoneRecord(
        attempts=[
            PhoneAttempt(_moment(a["at"]), bool(a["reached"]), a.get("waiting_seconds"))
            for a in data.get("attempts", [])
        ],
        answered_first_contact=data.get("answered_first_contact"),
        checkpoints_covered=set(data.get("checkpoints_covered", [])),
        referred_correctly=data.get("referred_correctly"),
        courtesy=data.get("courtesy"),
    )


def email_record(data: Mapping[str, Any]) -> EmailRecord:
    replied = data.get("replied_at")
    return EmailRecord(
        sent_at=_moment(data["sent_at"]),
        replied_at=_moment(replied) if replied else None,
        checkpoints_covered=set(data.get("checkpoints_covered", [])),
        courtesy=data.get("courtesy"),
    )


def web_check(data: Mapping[str, Any]) -> WebCheck:
    return WebCheck(bool(data["found"]), data.get("seconds"), data.get("quality"))


ContactKey = tuple[str, str, str, str, str]  # municipality, unit, scenario, sector, channel


def group_assignments(
    assignments: Iterable[StoredAssignment],
) -> dict[ContactKey, list[StoredAssignment]]:
    """The live (not cancelled) assignments of each contact: one per phone or e-mail
    contact, one per tester for a web item; in the order first met."""
    groups: dict[ContactKey, list[StoredAssignment]] = {}
    for item in assignments:
        if item.status == "cancelled":
            continue
        key = (item.municipality, item.unit, item.scenario, item.sector, item.channel)
        group = groups.get(key)
        if group is None:
            groups[key] = [item]
        else:
            group.append(item)
    return groups


def contact_for(key: ContactKey, group: Sequence[StoredAssignment]) -> Contact:
    """The contact a group of assignments records (web testers combined)."""
    municipality, unit, scenario, sector, channel = key
    if channel != "web":
        data = group[0].record
        record: PhoneRecord | EmailRecord | WebRecord | None = None
        if data:
            record = phone_record(data) if channel == "phone" else email_record(data)
        return Contact(municipality, scenario, sector, channel, record, unit)
    slots = {item.tester_slot: item for item in group}
    checks = [
        web_check(slots[s].record or {})
        for s in sorted(slots)
        if s != DECIDING_SLOT and slots[s].record
    ]
    deciding = slots.get(DECIDING_SLOT)
    decision = web_check(deciding.record) if deciding and deciding.record else None
    web_record = WebRecord(checks, decision) if checks or decision else None
    return Contact(municipality, scenario, sector, "web", web_record, unit)


def contacts_from(assignments: Iterable[StoredAssignment]) -> list[Contact]:
    """One contact per municipality × scenario × channel; web testers combined."""
    return [contact_for(key, group) for key, group in group_assignments(assignments).items()]


def not_tested(
    assignments: Iterable[StoredAssignment], in_round: Iterable[str] = ()
) -> list[NotTested]:
    """Municipalities (and units) of a round with no contact left to score, and why:
    every contact cancelled (``all_cancelled``), or none planned (``no_contacts``)."""
    cancelled: dict[tuple[str, str], int] = defaultdict(int)
    live: set[tuple[str, str]] = set()
    for item in assignments:
        key = (item.municipality, item.unit)
        if item.status == "cancelled":
            cancelled[key] += 1
        else:
            live.add(key)
    out = [
        NotTested(municipality, "all_cancelled", count, unit)
        for (municipality, unit), count in cancelled.items()
        if (municipality, unit) not in live
    ]
    planned = {municipality for municipality, _unit in (*cancelled, *live)}
    out += [NotTested(code, "no_contacts") for code in in_round if code not in planned]
    return sorted(out, key=lambda item: (item.municipality, item.unit))
