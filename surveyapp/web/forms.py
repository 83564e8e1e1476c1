"""The base of every staff form, and a strict whole-number field.

``StaffForm`` drops control characters from everything a staff form reads (except
passwords, which are compared as typed), so no stored name or title can carry a NUL
into PostgreSQL or into the XML of a workbook, chart or PDF. The citizen pages clean
their inputs in ``surveyapp.surveys.flow.page_inputs``.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, PasswordField
from wtforms.fields.core import UnboundField

from surveyapp import typed_numbers
from surveyapp.plaintext import strip_controls


def without_controls(data: Any) -> Any:
    """A field filter: text (or a list of texts) without control characters."""
    if isinstance(data, str):
        return strip_controls(data)
    if isinstance(data, list):
        return [strip_controls(item) if isinstance(item, str) else item for item in data]
    return data


class StaffForm(FlaskForm):
    """A FlaskForm whose text fields never hold control characters."""

    class Meta:
        def bind_field(self, form: Any, unbound_field: UnboundField, options: Any) -> Field:
            if issubclass(unbound_field.field_class, PasswordField):
                return unbound_field.bind(form=form, **options)
            filters = (*unbound_field.kwargs.get("filters", ()), without_controls)
            return unbound_field.bind(form=form, **{**options, "filters": filters})


class WholeNumberField(IntegerField):
    """An IntegerField that takes ASCII digits only (``int()`` also reads "٢٠٢٦" and
    "2_026") and at most 15 of them; range checks stay with NumberRange."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        value, _problem = typed_numbers.read_number(str(valuelist[0]), integer=True)
        if value is None:
            self.data = None
            raise ValueError(_("Write a whole number."))
        self.data = int(value)
