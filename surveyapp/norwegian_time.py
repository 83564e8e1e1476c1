"""Dates and times the Norwegian way (dd.mm.åååå, 24-hour clock), whatever the browser's
locale: read from what staff type, and written for pages. Plain, no Flask.

Typed dates: ``8.4.2026`` or ``08.04.2026`` (also ISO ``2026-04-08``, what older forms and
scripts send). Typed times: ``10:30``, ``10.30`` or ``1030`` hours and minutes, after the
date with a space and an optional ``kl.``: ``08.04.2026 kl. 10.30``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")

DATE_PATTERN = r"\d{1,2}\.\d{1,2}\.\d{4}"  # for the input's pattern attribute
DATETIME_PATTERN = DATE_PATTERN + r"\s+(kl\.?\s*)?\d{1,2}[.:]?\d{2}"

_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TIME = re.compile(r"(?:kl\.?\s*)?(\d{1,2})[.:]?(\d{2})(?::\d{2})?")


def _ascii(text: str) -> str | None:
    text = text.strip()
    return text if text.isascii() else None


def parse_date(text: str) -> date | None:
    """A typed date, or None when it is not one."""
    raw = _ascii(text)
    if raw is None:
        return None
    found = _DATE.fullmatch(raw)
    if found:
        day, month, year = (int(part) for part in found.groups())
    else:
        iso = _ISO_DATE.fullmatch(raw)
        if not iso:
            return None
        year, month, day = (int(part) for part in iso.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_time(text: str) -> time | None:
    raw = _ascii(text)
    found = _TIME.fullmatch(raw) if raw is not None else None
    if not found:
        return None
    hours, minutes = int(found.group(1)), int(found.group(2))
    if hours > 23 or minutes > 59:
        return None
    return time(hours, minutes)


def parse_datetime(text: str, zone: ZoneInfo = OSLO) -> datetime | None:
    """A typed date and time as an aware moment in ``zone`` (Norwegian time), or None."""
    raw = _ascii(text)
    if raw is None:
        return None
    if "T" in raw:  # ISO, as datetime-local inputs send it
        day_text, _t, clock_text = raw.partition("T")
    else:
        day_text, _sep, clock_text = raw.partition(" ")
    day, clock = parse_date(day_text), parse_time(clock_text.strip())
    if day is None or clock is None:
        return None
    return datetime.combine(day, clock, zone)


def date_text(value: date | None) -> str:
    """08.04.2026 (empty for None)."""
    return "" if value is None else f"{value.day:02d}.{value.month:02d}.{value.year:04d}"


def datetime_text(value: datetime | None, zone: ZoneInfo = OSLO) -> str:
    """08.04.2026 10:30 in Norwegian time (empty for None)."""
    if value is None:
        return ""
    local = value.astimezone(zone) if value.tzinfo is not None else value
    return f"{date_text(local.date())} {local.hour:02d}:{local.minute:02d}"
