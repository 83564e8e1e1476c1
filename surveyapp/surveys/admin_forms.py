"""Forms for the staff pages that run survey rounds."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
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
from surveyapp.web.fields import LocalDateTimeField
from surveyapp.web.forms import StaffForm, WholeNumberField
from surveyapp.web.i18n import LANGUAGES
from surveyapp.web.picker import Picker
from surveyapp.web.templating import current_language

LOCAL_ZONE = ZoneInfo("Europe/Oslo")

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


def _web_address(_form: FlaskForm, field: Field) -> None:
    text = (field.data or "").strip()
    if text and not re.fullmatch(r"https?://[^\s/]+\.[^\s]+", text):
        raise ValidationError(
            str(
                _l(
                    "Write the whole address, starting with https://, for example https://www.tromso.kommune.no/personvern."
                )
            )
        )


class RoundForm(StaffForm):
    questionnaire = SelectField(
        _l("Questionnaire"),
        coerce=int,
        validators=[InputRequired(message=_l("Choose a questionnaire."))],
        choices=[],
    )
    # The municipalities: ticked one by one, whole counties, saved groups or typed names
    # (surveyapp.web.picker). ``validate_municipalities`` puts them together.
    municipalities = SelectMultipleField(_l("Municipalities"), choices=[], validate_choice=False)
    counties = SelectMultipleField(_l("Whole counties"), choices=[], validate_choice=False)
    groups = SelectMultipleField(_l("Your saved groups"), choices=[], validate_choice=False)
    names = StringField(
        _l("Add by name or number"),
        description=_l("Separate them with commas, for example: Tromsø, Bodø, 1806."),
        validators=[Optional(), Length(max=5000)],
    )
    title = StringField(
        _l("Name for staff"),
        description=_l("Only staff see it, for example in the list of rounds."),
        validators=[
            DataRequired(message=_l("Write a name for the round.")),
            Length(max=200),
        ],
    )
    public_title_nb = StringField(_l("Title in bokmål"), validators=[Optional(), Length(max=200)])
    public_title_nn = StringField(_l("Title in nynorsk"), validators=[Optional(), Length(max=200)])
    public_title_en = StringField(_l("Title in English"), validators=[Optional(), Length(max=200)])
    contact = StringField(
        _l("Contact for questions"),
        description=_l(
            "Shown on every survey page, for example: Servicetorget, phone 77 79 00 00, "
            "postmottak@tromso.kommune.no."
        ),
        validators=[
            DataRequired(message=_l("Write where citizens can ask about the survey.")),
            Length(max=300),
        ],
    )
    privacy_url = StringField(
        _l("The municipality's privacy statement (web address)"),
        description=_l(
            "Optional. The survey always links to its own privacy statement, which says what "
            "is stored; this adds a link to the municipality's general one."
        ),
        validators=[Optional(), Length(max=500), _web_address],
    )
    year = WholeNumberField(
        _l("Year"),
        validators=[
            InputRequired(message=_l("Write the year, for example 2026.")),
            NumberRange(2000, 2100, message=_l("Write a year between 2000 and 2100.")),
        ],
    )
    period = StringField(
        _l("Period"),
        description=_l("Optional, for example “spring” or “Q3”."),
        validators=[Optional(), Length(max=40)],
    )
    target = ShareField(
        _l("Target share satisfied (%)"),
        description=_l("For example 80. The share of satisfied answers the municipality aims for."),
        validators=[
            InputRequired(message=_l("Write the target as a percentage, for example 80.")),
            _strictly_a_share,
        ],
    )
    opens_at = LocalDateTimeField(
        _l("Opens"),
        description=_l("Norwegian time, as dd.mm.yyyy hh:mm, for example 01.03.2026 08:00."),
        tz=LOCAL_ZONE,
        validators=[InputRequired(message=_l("Write when the round opens."))],
    )
    closes_at = LocalDateTimeField(
        _l("Closes"),
        description=_l("Norwegian time, as dd.mm.yyyy hh:mm. Must be after the opening time."),
        tz=LOCAL_ZONE,
        validators=[InputRequired(message=_l("Write when the round closes."))],
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

    #: Set by the view before validation: what may be chosen.
    picker: Picker = Picker(())
    #: Every municipality chosen, after validation (or after "show the choice").
    chosen: list[str]
    unknown: list[str]
    refused: list[str]

    def pick(self) -> list[str]:
        """Put the four ways of choosing together (``chosen``); typed names that match
        nothing are kept in ``unknown``, ticked numbers not to be chosen in ``refused``."""
        self.chosen, self.unknown, self.refused = self.picker.resolve(
            self.municipalities.data or [],
            self.counties.data or [],
            self.groups.data or [],
            self.names.data or "",
        )
        self.show_unknown_names()
        return self.chosen

    def show_unknown_names(self) -> None:
        if self.unknown and not self.names.errors:
            self.names.errors = [
                str(
                    _l(
                        "No municipality or more than one is called: %(names)s. Check the "
                        "spelling, or write the number (names such as Herøy belong to two).",
                        names=", ".join(self.unknown),
                    )
                )
            ]

    def validate_municipalities(self, field: Field) -> None:
        chosen = self.pick()
        if self.refused:
            raise ValidationError(str(_l("Choose municipalities from the list.")))
        if not chosen and not self.unknown:
            raise ValidationError(str(_l("Choose at least one municipality.")))

    def validate_closes_at(self, field: Field) -> None:
        opens = self.opens_at.data
        if opens is not None and field.data is not None and field.data <= opens:
            raise ValidationError(str(_l("The round must close after it opens.")))

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        # After every field's own checks (which start with empty errors).
        self.show_unknown_names()
        valid = valid and not self.unknown
        language = self.language.data if self.language.data in LANGUAGES else "nb"
        title = self[f"public_title_{language}"]
        if not (title.data or "").strip():
            title.errors = list(title.errors) + [
                str(_l("Write the title citizens see, at least in the round's default language."))
            ]
            valid = False
        return valid


class StatusForm(StaffForm):
    status = StringField(validators=[AnyOf(["open", "paused", "closed"])])
    confirm = BooleanField(_l("I understand that a closed round cannot be opened again"))


class InvitationForm(StaffForm):
    count = WholeNumberField(
        _l("Number of invitations"),
        description=_l("Between 1 and %(max)s.", max=MAX_INVITATIONS),
        validators=[
            InputRequired(message=_l("Write how many invitations to make.")),
            NumberRange(
                1,
                MAX_INVITATIONS,
                message=_l("Write a number from 1 to %(max)s.", max=MAX_INVITATIONS),
            ),
        ],
    )
    municipality = SelectField(_l("Municipality"), choices=[])
