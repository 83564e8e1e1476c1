"""Forms for planning and managing service-test rounds."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from surveyapp.servicetest.models import TestRound
from surveyapp.servicetest.planning import DEFAULT_DAILY_CAP
from surveyapp.web.date_fields import NorwegianDateField
from surveyapp.web.forms import StaffForm, WholeNumberField

MODE_CHOICES = [
    SelectChoice("all", _l("All municipalities")),
    SelectChoice("county", _l("One county")),
    SelectChoice("list", _l("A list of municipality numbers")),
    SelectChoice("sample", _l("A random sample per size band (stratified, repeatable)")),
]


class PlanForm(StaffForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    protocol = SelectField(_l("Protocol"), choices=[], validators=[DataRequired()])
    year = WholeNumberField(_l("Year"), validators=[InputRequired(), NumberRange(2000, 2100)])
    starts_on = NorwegianDateField(
        _l("First day of testing"), description=_l("dd.mm.yyyy"), validators=[InputRequired()]
    )
    ends_on = NorwegianDateField(
        _l("Last day of testing"), description=_l("dd.mm.yyyy"), validators=[InputRequired()]
    )
    mode = RadioField(_l("Municipalities"), choices=MODE_CHOICES, default="all")
    county = SelectField(_l("County"), choices=[], validators=[Optional()])
    codes = TextAreaField(
        _l("Municipality numbers"),
        description=_l("Four-digit numbers separated by spaces, commas or new lines."),
        validators=[Optional(), Length(max=5000)],
    )
    per_band = WholeNumberField(
        _l("Municipalities per size band"), validators=[Optional(), NumberRange(1, 357)]
    )
    seed = WholeNumberField(
        _l("Random seed"),
        description=_l("The same seed gives the same sample and the same schedule."),
        validators=[InputRequired(), NumberRange(0, 2**31 - 1)],
    )
    callers = SelectMultipleField(_l("Test callers"), choices=[], validators=[DataRequired()])
    daily_cap = WholeNumberField(
        _l("Contacts per caller per working day, at most"),
        description=_l(
            "The plan never gives a caller more; it says so when the work does not fit."
        ),
        default=DEFAULT_DAILY_CAP,
        validators=[Optional(), NumberRange(1, 200)],
    )
    units = BooleanField(
        _l("Test Oslo's city districts as separate units"),
        description=_l(
            "Each district gets every contact and its own rank, as in Forbrukerrådet's 2016 "
            "test; the ranking can roll them up to the municipality."
        ),
    )


class LockForm(StaffForm):
    reason = TextAreaField(
        _l("Reason for locking with open work"),
        description=_l("Required when something is still open. It is kept in the audit trail."),
        validators=[Optional(), Length(max=2000)],
    )


class UnlockForm(StaffForm):
    reason = TextAreaField(
        _l("Reason for unlocking"),
        description=_l("Kept in the audit trail."),
        validators=[DataRequired(message=_l("Give a reason for unlocking.")), Length(max=2000)],
    )


class SettingsForm(StaffForm):
    starts_on = NorwegianDateField(
        _l("First day of testing"), description=_l("dd.mm.yyyy"), validators=[InputRequired()]
    )
    ends_on = NorwegianDateField(
        _l("Last day of testing"), description=_l("dd.mm.yyyy"), validators=[InputRequired()]
    )
    evidence_retention_days = WholeNumberField(
        _l("Keep attachments for this many days after the lock"),
        validators=[InputRequired(), NumberRange(1, 3650)],
    )

    @classmethod
    def of(cls, test_round: TestRound) -> SettingsForm:
        return cls(
            data={
                "starts_on": test_round.starts_on,
                "ends_on": test_round.ends_on,
                "evidence_retention_days": test_round.evidence_retention_days,
            }
        )


class MoveForm(StaffForm):
    from_caller = SelectField(_l("Caller who is away"), choices=[], validators=[DataRequired()])
    to_callers = SelectMultipleField(
        _l("Give their open contacts to"), choices=[], validators=[DataRequired()]
    )


class DeciderForm(StaffForm):
    municipality = StringField(validators=[DataRequired(), Length(max=4)])
    scenario = StringField(validators=[DataRequired(), Length(max=80)])
    unit = StringField(validators=[Optional(), Length(max=20)])  # a test unit's item
    caller = SelectField(_l("Deciding tester"), choices=[], validators=[DataRequired()])


class ReassignForm(StaffForm):
    caller = SelectField(_l("Give to"), choices=[], validators=[DataRequired()])


class ConfirmForm(StaffForm):
    """A POST button with CSRF protection and nothing else."""
