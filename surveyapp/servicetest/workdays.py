"""Norwegian working days, and reply times counted in working days.

A working day is a weekday (Monday to Friday) that is not a Norwegian public
holiday (helligdag), as listed by the ``holidays`` package: New Year's Day,
Maundy Thursday, Good Friday, Easter Monday, 1 May, 17 May, Ascension Day,
Whit Monday, Christmas Day and Boxing Day. Christmas Eve and New Year's Eve
are ordinary working days by default (they are not public holidays, even if many
offices close); a protocol can declare such days closed (``non_working_days``), and
every function here takes them as ``closed``: (month, day) pairs that are not
working days in any year.

Reply-time convention (``working_days_between``)
------------------------------------------------
The reply time is the number of working days strictly after the day the
clock starts, up to and including the day of the reply:

* the clock starts on the sending day if that is a working day and the mail
  was sent before the optional ``cutoff`` time of day; otherwise on the next
  working day (a mail sent on Saturday, or on Monday at 16:00 with a 12:00
  cutoff, counts as sent on the next working day);
* a reply on the start day, or before it (e.g. on the Sunday after a Saturday
  mail), is 0 working days;
* otherwise it is the count of working days in (start day, reply day].

So "answered within 1 working day" means answered by the end of the next
working day: sent Monday 10:00, answered Tuesday 15:00 = 1; sent Friday,
answered Monday = 1; sent Wednesday before Easter, answered the Tuesday after
Easter Monday = 1 (Maundy Thursday, Good Friday and Easter Monday do not
count); sent on Maundy Thursday, answered that Tuesday = 0 (the clock starts
on Tuesday). A reply on a non-working day counts as given on the previous
working day's count (sent Friday, answered Saturday = 0).

No published Forbrukerrådet or KKiK rule spells out the counting; this is the
usual "next working day" reading of "svar innen én virkedag", and it makes the
time of day of the reply irrelevant, so only calendar days are compared.

Time zones: naive datetimes are taken to be Norwegian local time; aware
datetimes are converted to Europe/Oslo before their date is taken (a mail sent
23:30 UTC on a Monday in summer is sent on Tuesday in Norway).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from holidays.countries.norway import Norway

NORWAY = ZoneInfo("Europe/Oslo")
_ONE_DAY = timedelta(days=1)


Closed = Iterable[tuple[int, int]]  # (month, day) closed every year, e.g. (12, 24)


@lru_cache(maxsize=64)
def _legal_holidays(year: int) -> frozenset[date]:
    """Norwegian public holidays in ``year``, without the package's optional Sundays."""
    # holidays.Norway can list every Sunday as a holiday (include_sundays=True);
    # weekends are handled separately, so ask for the named holidays only.
    return frozenset(Norway(years=year, include_sundays=False).keys())


@lru_cache(maxsize=256)
def _days_off(year: int, closed: frozenset[tuple[int, int]]) -> frozenset[date]:
    extra = set()
    for month, day in closed:
        try:
            extra.add(date(year, month, day))
        except ValueError:  # 29 February in a common year
            continue
    return _legal_holidays(year) | extra


def _public_holidays(year: int, closed: Closed = ()) -> frozenset[date]:
    """The public holidays of ``year`` and the ``closed`` days that fall in it."""
    return _days_off(year, frozenset(closed))


def is_working_day(d: date, closed: Closed = ()) -> bool:
    """True if ``d`` is a weekday that is neither a Norwegian public holiday nor closed."""
    if isinstance(d, datetime):
        d = d.date()
    return d.weekday() < 5 and d not in _public_holidays(d.year, closed)


def next_working_day(d: date, closed: Closed = ()) -> date:
    """The first working day on or after ``d``."""
    while not is_working_day(d, closed):
        d += _ONE_DAY
    return d


def previous_working_day(d: date, closed: Closed = ()) -> date:
    """The last working day on or before ``d``."""
    while not is_working_day(d, closed):
        d -= _ONE_DAY
    return d


def local_time(moment: datetime) -> datetime:
    """``moment`` as a naive Norwegian wall-clock time (naive input is already local)."""
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        return moment
    return moment.astimezone(NORWAY).replace(tzinfo=None)


def clock_start(sent: datetime, cutoff: time | None = None, closed: Closed = ()) -> date:
    """The working day on which the reply clock starts for a mail sent at ``sent``."""
    local = local_time(sent)
    day = local.date()
    if cutoff is not None and is_working_day(day, closed) and local.time() >= cutoff:
        day += _ONE_DAY
    return next_working_day(day, closed)


def _is_aware(moment: datetime) -> bool:
    return moment.tzinfo is not None and moment.tzinfo.utcoffset(moment) is not None


def working_days_between(
    sent: datetime, replied: datetime, cutoff: time | None = None, closed: Closed = ()
) -> int:
    """Reply time in working days (see the module docstring for the convention).

    ``cutoff`` is a local time of day: a mail sent on a working day at or after it
    counts as sent on the next working day ("sent before 12:00" → ``time(12, 0)``).
    Raises ValueError if ``replied`` is before ``sent`` or if one is timezone-aware
    and the other is not.
    """
    if _is_aware(sent) != _is_aware(replied):
        raise ValueError("sent and replied must both be naive or both timezone-aware")
    if replied < sent:
        raise ValueError(f"reply ({replied.isoformat()}) is before sending ({sent.isoformat()})")
    start = clock_start(sent, cutoff, closed)
    reply_day = local_time(replied).date()
    if reply_day <= start:
        return 0
    return _count_working_days(start + _ONE_DAY, reply_day, closed)


def _count_working_days(start: date, end: date, closed: Closed = ()) -> int:
    """Working days in [start, end] (0 when end < start), in O(weeks + holidays)."""
    if end < start:
        return 0
    days = (end - start).days + 1
    full_weeks, rest = divmod(days, 7)
    count = full_weeks * 5
    first_weekday = start.weekday()
    count += sum(1 for i in range(rest) if (first_weekday + i) % 7 < 5)
    for year in range(start.year, end.year + 1):
        count -= sum(
            1 for h in _public_holidays(year, closed) if start <= h <= end and h.weekday() < 5
        )
    return count


def add_working_days(d: date, n: int, closed: Closed = ()) -> date:
    """The day ``n`` working days after ``d``, so that a reply on it counts as ``n`` days.

    ``d`` is first moved to the next working day if it is not one (the clock
    starts there), then ``n`` working days are stepped forward:
    ``add_working_days(friday, 1)`` is the next Monday, ``add_working_days(saturday, 0)``
    the next Monday, ``add_working_days(saturday, 1)`` the Tuesday. Negative ``n``
    steps backwards from the last working day on or before ``d``.
    """
    if n >= 0:
        day = next_working_day(d, closed)
        step = _ONE_DAY
    else:
        day = previous_working_day(d, closed)
        step = -_ONE_DAY
    for _ in range(abs(n)):
        day += step
        while not is_working_day(day, closed):
            day += step
    return day


def working_days_in(start: date, end: date, closed: Closed = ()) -> list[date]:
    """All working days from ``start`` to ``end``, both included, in order."""
    days: list[date] = []
    day = start
    while day <= end:
        if is_working_day(day, closed):
            days.append(day)
        day += _ONE_DAY
    return days
