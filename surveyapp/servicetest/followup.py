"""What an open contact waits for, from its record and the protocol. Plain, no Flask.

* **Call back.** A phone contact where nobody was reached (or someone answered only after
  more than ``max_wait_seconds``, which scores as not reached) and whose attempts are
  not used up is not done: it is due again ``callback_after_minutes`` after the last
  attempt when that is still inside the phone hours of the same working day (at their
  start if it is before them); otherwise on the next working day at the same time of day
  (moved inside the phone hours). It is not
  scored until the last attempt.
* **Awaiting reply.** An e-mail without a reply waits until the reply can no longer earn
  points: replies are counted for ``quality_cutoff_days`` working days after the clock
  starts (``workdays.clock_start``); from the next working day on it scores 0 and is done.

Working days are those of the scoring: the legal calendar and the days the protocol
declares closed (``non_working_days``, e.g. 24 and 31 December).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from surveyapp.questionnaires.protocol import EmailChannel, PhoneChannel, PhoneHours, Protocol
from surveyapp.servicetest.workdays import (
    NORWAY,
    Closed,
    add_working_days,
    clock_start,
    is_working_day,
)

#: What an open contact waits for (``test_assignment.follow_up``).
CALLBACK = "callback"
REPLY = "reply"


@dataclass(frozen=True)
class FollowUp:
    """What the contact waits for (``CALLBACK`` or ``REPLY``) and until when."""

    kind: str
    at: datetime


def _moment(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def was_reached(attempt: Mapping[str, Any], phone: PhoneChannel) -> bool:
    """Reached as the scoring counts it: someone answered within the waiting limit."""
    waited = attempt.get("waiting_seconds")
    return bool(attempt.get("reached")) and (waited is None or waited <= phone.max_wait_seconds)


def callback_time(
    last: datetime, phone: PhoneChannel, hours: PhoneHours, closed: Closed = ()
) -> datetime:
    """When the call-back after an attempt at ``last`` is due (aware, Norwegian time)."""
    local = last.astimezone(NORWAY)
    later = local + timedelta(minutes=phone.callback_after_minutes)
    if later.date() == local.date() and is_working_day(local.date(), closed):
        clock = later.time().replace(tzinfo=None)
        if clock < hours.start:  # an attempt before the phone hours: at their start
            return datetime.combine(local.date(), hours.start, NORWAY)
        if clock < hours.end:
            return later
    day = add_working_days(local.date() + timedelta(days=1), 0, closed)
    clock = local.time().replace(tzinfo=None, second=0, microsecond=0)
    if not hours.start <= clock < hours.end:
        clock = hours.start
    return datetime.combine(day, clock, NORWAY)


def phone_follow_up(record: Mapping[str, Any], protocol: Protocol) -> FollowUp | None:
    """The call-back a phone record still needs, or None when the contact is done."""
    phone = protocol.channels.phone
    attempts = sorted(record.get("attempts") or [], key=lambda a: _moment(a["at"]))
    if phone is None or not attempts or len(attempts) >= phone.max_attempts:
        return None
    if any(was_reached(attempt, phone) for attempt in attempts):
        return None
    last = _moment(attempts[-1]["at"])
    return FollowUp(
        CALLBACK, callback_time(last, phone, protocol.phone_hours, protocol.non_working_days)
    )


def last_reply_day(sent: datetime, email: EmailChannel, closed: Closed = ()) -> date:
    """The last working day on which a reply still earns points."""
    start = clock_start(sent, email.send_cutoff, closed)
    return add_working_days(start, email.quality_cutoff_days, closed)


def email_follow_up(record: Mapping[str, Any], protocol: Protocol) -> FollowUp | None:
    """How long an e-mail without a reply is awaited, or None when it has a reply."""
    email = protocol.channels.email
    if email is None or record.get("replied_at") or not record.get("sent_at"):
        return None
    closed = protocol.non_working_days
    after = add_working_days(last_reply_day(_moment(record["sent_at"]), email, closed), 1, closed)
    return FollowUp(REPLY, datetime.combine(after, time(0, 0), NORWAY))


def follow_up(channel: str, record: Mapping[str, Any], protocol: Protocol) -> FollowUp | None:
    if channel == "phone":
        return phone_follow_up(record, protocol)
    if channel == "email":
        return email_follow_up(record, protocol)
    return None
