"""Form fields for dates and times typed the Norwegian way, whatever the browser's locale.

Text inputs (with a ``pattern`` and a hint) rather than ``type=date``/``datetime-local``,
whose display and typing follow the browser's locale (mm/dd/yyyy and 12-hour clocks in
an English browser). Parsing and writing are in ``surveyapp.norwegian_time``.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Field, widgets

from surveyapp import norwegian_time


class NorwegianDateField(Field):
    """A date typed as dd.mm.åååå; ``data`` is a ``date`` or None (empty)."""

    widget = widgets.TextInput()

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        render_kw = {
            "pattern": norwegian_time.DATE_PATTERN,
            "autocomplete": "off",
            "inputmode": "numeric",
            "placeholder": _l("dd.mm.yyyy"),
            **(kwargs.pop("render_kw", None) or {}),
        }
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return norwegian_time.date_text(self.data)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        self.data = norwegian_time.parse_date(str(valuelist[0]))
        if self.data is None:
            raise ValueError(_l("Enter a date as dd.mm.yyyy, for example 14.09.2026."))


class NorwegianDateTimeField(Field):
    """A date and time typed as dd.mm.åååå tt:mm (Norwegian time); ``data`` is an aware
    datetime in Europe/Oslo, or None (empty)."""

    widget = widgets.TextInput()

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        render_kw = {
            "pattern": norwegian_time.DATETIME_PATTERN,
            "autocomplete": "off",
            "placeholder": _l("dd.mm.yyyy hh:mm"),
            **(kwargs.pop("render_kw", None) or {}),
        }
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return norwegian_time.datetime_text(self.data)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        self.data = norwegian_time.parse_datetime(str(valuelist[0]))
        if self.data is None:
            raise ValueError(
                _l("Enter a date and time as dd.mm.yyyy hh:mm, for example 14.09.2026 10:30.")
            )
