"""Forms for the staff pages that run survey rounds."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    Field,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from surveyapp import typed_numbers
from surveyapp.surveys.rounds import MAX_INVITATIONS
from surveyapp.web.forms import StaffForm, WholeNumberField
from surveyapp.web.i18n import LANGUAGES
from surveyapp.web.templating import current_language

LOCAL_ZONE = ZoneInfo("Europe/Oslo")
# The first format is what the browser's datetime-local control expects back.
_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]

STATUS_LABELS = {
    "draft": _l("Draft"),
    "open": _l("Open"),
    "paused": _l("Paused"),
    "closed": _l("Closed"),
}
ACCESS_LABELS = {"open": _l("Open link"), "invitation": _l("Invitations")}
PRECISION_LABELS = {"date": _l("Date only"), "hour": _l("Date and hour")}
#: How responses reached the round (surveys.models.CHANNEL_VALUES).
CHANNEL_LABELS = {
    "web": _l("Open link"),
    "invitation": _l("Letter"),
    "e-mail": _l("E-mail"),
    "kiosk": _l("Kiosk"),
    "paper": _l("Paper form"),
}
KIND_LABELS = {
    "survey": _l("Citizen survey"),
    "checklist": _l("Checklist"),
    "census": _l("Census"),
    "protocol": _l("Service-test protocol"),
}


def parse_share(text: str) -> float:
    """A share from "80", "80 %", "0,8" or "0.8" (all meaning 80 %); ValueError if unreadable.

    A number above 1, or one written with a per cent sign, is a percentage.
    """
    cleaned = text.strip()
    percent = cleaned.endswith("%")
    number = typed_numbers.parse_number(cleaned.removesuffix("%"))  # ASCII digits, finite
    if number is None:
        raise ValueError(text)
    return number / 100 if percent or number > 1 else number


def format_share(share: float, language: str) -> str:
    """A share as the percentage a person would type: 0.8 → "80", 0.755 → "75,5"."""
    text = f"{round(share * 100, 4):g}"
    return text.replace(".", ",") if language in ("nb", "nn") else text


class ShareField(StringField):
    """A target share, typed as a percentage or a fraction; ``data`` is the share (0–1)."""

    data: float | None

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        try:
            self.data = parse_share(str(valuelist[0]))
        except ValueError:
            self.data = None
            raise ValueError(str(_l("Write the target as a percentage, for example 80."))) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if isinstance(self.data, float):
            return format_share(self.data, current_language())
        return ""


def _strictly_a_share(_form: FlaskForm, field: Field) -> None:
    if field.data is not None and not 0 < field.data < 1:
        raise ValidationError(str(_l("The target must be more than 0 % and less than 100 %.")))


class RoundForm(StaffForm):
    questionnaire = SelectField(
        _l("Questionnaire"), coerce=int, validators=[InputRequired()], choices=[]
    )
    municipalities = SelectMultipleField(
        _l("Municipalities"),
        description=_l("Choose at least one. Hold Ctrl (or Cmd) to choose several."),
        choices=[],
        validators=[DataRequired(message=_l("Choose at least one municipality."))],
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    year = WholeNumberField(_l("Year"), validators=[InputRequired(), NumberRange(2000, 2100)])
    period = StringField(
        _l("Period"),
        description=_l("Optional, for example “spring” or “Q3”."),
        validators=[Optional(), Length(max=40)],
    )
    target = ShareField(
        _l("Target share satisfied (%)"),
        description=_l("For example 80. The share of satisfied answers the municipality aims for."),
        validators=[InputRequired(), _strictly_a_share],
    )
    opens_at = DateTimeLocalField(
        _l("Opens"),
        description=_l("Norwegian time."),
        format=_LOCAL_FORMATS,
        tz=LOCAL_ZONE,
        validators=[InputRequired()],
    )
    closes_at = DateTimeLocalField(
        _l("Closes"),
        description=_l("Norwegian time. Must be after the opening time."),
        format=_LOCAL_FORMATS,
        tz=LOCAL_ZONE,
        validators=[InputRequired()],
    )
    access = RadioField(
        _l("Who can answer"),
        choices=[
            SelectChoice("open", _l("Anyone with the link")),
            SelectChoice("invitation", _l("Only people with a personal invitation")),
        ],
        default="open",
    )
    language = SelectField(
        _l("Default language"),
        description=_l("Respondents can change the language themselves."),
        choices=[SelectChoice(code, label) for code, label in LANGUAGES.items()],
        default="nb",
    )
    time_precision = RadioField(
        _l("Time of answer stored as"),
        description=_l("Less precision makes it harder to tell respondents apart."),
        choices=[
            SelectChoice("date", _l("Date only")),
            SelectChoice("hour", _l("Date and hour")),
        ],
        default="date",
    )
    paper_double_keying = BooleanField(
        _l("Key paper forms twice"),
        description=_l(
            "Two people key each paper form; a third settles any differences."
            " Each form then needs a form number."
        ),
    )
    kiosk_records_place = BooleanField(
        _l("Store the kiosk's place with each answer"),
        description=_l("Answers from a kiosk then say where it stands (never which device)."),
    )

    def validate_closes_at(self, field: Field) -> None:
        opens = self.opens_at.data
        if opens is not None and field.data is not None and field.data <= opens:
            raise ValidationError(str(_l("The round must close after it opens.")))


class StatusForm(StaffForm):
    status = StringField(validators=[AnyOf(["open", "paused", "closed"])])
    confirm = BooleanField(_l("I understand that a closed round cannot be opened again"))


class InvitationForm(StaffForm):
    count = WholeNumberField(
        _l("Number of invitations"),
        description=_l("Between 1 and %(max)s.", max=MAX_INVITATIONS),
        validators=[InputRequired(), NumberRange(1, MAX_INVITATIONS)],
    )
    municipality = SelectField(_l("Municipality"), choices=[])
