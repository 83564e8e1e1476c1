"""Date and time fields written the Norwegian way: 17.05.2026 and 14:30 (24-hour clock).

A browser's own date and time controls follow the browser's locale, so an English
browser shows "mm/dd/yyyy, --:-- --" on a Norwegian page. These fields are text inputs
that show dates as dd.mm.yyyy and times on the 24-hour clock in every language, and
accept what people type: "17.5.2026 9:30", "17.05.2026 kl. 09.30", "2026-05-17 09:30".
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import StringField

_DATE = r"(?P<day>\d{1,2})\s*[./-]\s*(?P<month>\d{1,2})\s*[./-]\s*(?P<year>\d{4})"
_ISO_DATE = r"(?P<iyear>\d{4})-(?P<imonth>\d{1,2})-(?P<iday>\d{1,2})"
_TIME = r"(?P<hour>\d{1,2})(?:\s*[:.]\s*(?P<minute>\d{2}))?"
_DATE_ONLY = re.compile(rf"^\s*(?:{_DATE}|{_ISO_DATE})\s*$")
_DATE_TIME = re.compile(
    rf"^\s*(?:{_DATE}|{_ISO_DATE})\s*(?:,|T|kl\.?|klokka|klokken|at)?\s*{_TIME}\s*(?:h)?\s*$",
    re.IGNORECASE,
)

DATE_FORMAT = "%d.%m.%Y"
DATETIME_FORMAT = "%d.%m.%Y %H:%M"


def _date_of(match: re.Match[str]) -> date | None:
    parts = match.groupdict()
    if parts.get("year"):
        year, month, day = parts["year"], parts["month"], parts["day"]
    else:
        year, month, day = parts["iyear"], parts["imonth"], parts["iday"]
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_date(text: str) -> date | None:
    """A date written dd.mm.yyyy (also d.m.yyyy, dd-mm-yyyy or yyyy-mm-dd), else None."""
    match = _DATE_ONLY.match(text or "")
    return _date_of(match) if match else None


def parse_datetime(text: str) -> datetime | None:
    """A date and a 24-hour time ("17.05.2026 14:30", "17.5.2026 kl. 9.30"), else None."""
    match = _DATE_TIME.match(text or "")
    if not match:
        return None
    day = _date_of(match)
    hour, minute = int(match.group("hour")), int(match.group("minute") or 0)
    if day is None or hour > 23 or minute > 59:
        return None
    return datetime.combine(day, time(hour, minute))


class LocalDateTimeField(StringField):
    """A moment typed as "dd.mm.yyyy hh:mm" in a time zone; ``data`` is timezone-aware."""

    data: datetime | None

    def __init__(self, *args: Any, tz: ZoneInfo, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {})
        kwargs["render_kw"].setdefault("autocomplete", "off")
        kwargs["render_kw"].setdefault("spellcheck", "false")
        super().__init__(*args, **kwargs)
        self.tz = tz

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        parsed = parse_datetime(str(valuelist[0]))
        if parsed is None:
            self.data = None
            raise ValueError(str(_l("Write the date and time like this: 17.05.2026 09:00.")))
        self.data = parsed.replace(tzinfo=self.tz)

    def process_data(self, value: Any) -> None:
        self.data = value.astimezone(self.tz) if isinstance(value, datetime) else None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return self.data.strftime(DATETIME_FORMAT) if self.data else ""


class LocalDateField(StringField):
    """A date typed as "dd.mm.yyyy"; ``data`` is a ``date``."""

    data: date | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {})
        kwargs["render_kw"].setdefault("autocomplete", "off")
        kwargs["render_kw"].setdefault("spellcheck", "false")
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        parsed = parse_date(str(valuelist[0]))
        if parsed is None:
            self.data = None
            raise ValueError(str(_l("Write the date as dd.mm.yyyy, for example 17.05.2026.")))
        self.data = parsed

    def process_data(self, value: Any) -> None:
        self.data = value if isinstance(value, date) else None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return self.data.strftime(DATE_FORMAT) if self.data else ""
