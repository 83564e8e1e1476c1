"""WTForms forms built from a questionnaire definition, one form per page (section)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Field, RadioField, SelectChoice, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import StopValidation, ValidationError

from surveyapp import typed_numbers
from surveyapp.questionnaires.definition import Definition
from surveyapp.questionnaires.survey import Question
from surveyapp.surveys import flow
from surveyapp.web.i18n import pick, wtforms_translations

Validator = Callable[[FlaskForm, Field], None]


def _dont_know_label() -> str:
    return _("Don't know")


def option_choices(question: Question, language: str) -> list[SelectChoice]:
    choices = [SelectChoice(str(o.value), pick(o.label, language)) for o in question.options]
    if question.type == "yesno":
        choices = [
            SelectChoice("yes", pick(question.options[0].label, language)),
            SelectChoice("no", pick(question.options[1].label, language)),
        ]
    if question.dont_know:
        choices.append(SelectChoice(flow.DONT_KNOW, _dont_know_label()))
    return choices


class SurveyPageForm(FlaskForm):
    """Base class; fields are added per page by ``build_page_form``.

    ``saved_answers`` holds the draft's answers so far, for show-if conditions.
    """

    saved_answers: flow.RawInputs = {}

    class Meta:
        # The survey pages carry a signed state instead of a session-bound CSRF token
        # (see surveyapp.surveys.public): a dropped session cookie must lose nothing.
        csrf = False

        def get_translations(self, form: Any) -> Any:
            return wtforms_translations(str(get_locale() or "nb"))


def _shown_now(definition: Definition, question: Question, form: SurveyPageForm) -> bool:
    """Evaluate show-if on saved answers merged with what this page just posted."""
    merged = dict(form.saved_answers)
    for name, field in form._fields.items():
        data = field.data
        if isinstance(data, list):
            merged[name] = [str(v) for v in data]
        elif data not in (None, ""):
            merged[name] = [str(data)]
        else:
            merged[name] = []
    return flow.is_shown(definition, question, merged)


def _required(definition: Definition, question: Question) -> Validator:
    def check(form: SurveyPageForm, field: Field) -> None:
        if not _shown_now(definition, question, form):
            field.errors = []
            raise StopValidation()  # hidden: not required, not validated
        data = field.data
        if question.type == "duration":
            data = "".join(
                str(form[name].data or "").strip() for name in flow.field_names(question)
            )
        empty = data in (None, "", []) or (isinstance(data, str) and not data.strip())
        if empty and question.required:
            field.errors.clear()  # one clear message, not also "Not a valid choice"
            raise StopValidation(_("Answer this question."))
        if empty:
            field.errors = []
            raise StopValidation()

    return check


def _bound_text(value: float, language: str) -> str:
    """A question's bound as the citizen would type it: 1990, 0,5 (0.5 in English)."""
    text = f"{value:f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return text.replace(".", ",") if language in ("nb", "nn") else text


def _number_check(question: Question, language: str) -> Validator:
    settings = question.settings
    low, high = settings.get("min"), settings.get("max")

    def check(_form: FlaskForm, field: Field) -> None:
        _value, problem = flow.read_number_answer(question, str(field.data or ""))
        if problem is None:
            return
        if problem == typed_numbers.NOT_WHOLE:
            raise ValidationError(_("Write a whole number."))
        if problem in (typed_numbers.TOO_LOW, typed_numbers.TOO_HIGH):
            if low is not None and high is not None:
                raise ValidationError(
                    _(
                        "Write a number from %(min)s to %(max)s.",
                        min=_bound_text(low, language),
                        max=_bound_text(high, language),
                    )
                )
            if low is not None:
                raise ValidationError(
                    _("The number must be at least %(min)s.", min=_bound_text(low, language))
                )
            if high is not None:
                raise ValidationError(
                    _("The number must be at most %(max)s.", max=_bound_text(high, language))
                )
        if problem == typed_numbers.TOO_LONG:
            raise ValidationError(
                _("Write a number with at most %(n)s digits.", n=typed_numbers.MAX_DIGITS)
            )
        raise ValidationError(_("Write a number, for example 12 or 2,5."))

    return check


def _duration_check(question: Question, part: str) -> Validator:
    def check(_form: FlaskForm, field: Field) -> None:
        text = str(field.data or "").strip()
        if not text:
            return
        _value, problem = flow.read_duration_part(question, part, text)
        if problem is None:
            return
        if problem == typed_numbers.TOO_HIGH and part == "sec":
            raise ValidationError(_("Seconds must be between 0 and 59."))
        if problem == typed_numbers.TOO_HIGH:
            raise ValidationError(_("At most %(max)s minutes.", max=flow.max_minutes(question)))
        raise ValidationError(_("Write whole minutes and seconds, for example 4 and 30."))

    return check


def _date_check(kind: str) -> Validator:
    def check(_form: FlaskForm, field: Field) -> None:
        parser = flow.parse_date if kind == "date" else flow.parse_datetime
        if parser(str(field.data)) is None:
            if kind == "date":
                raise ValidationError(_("Write the date as dd.mm.yyyy, for example 17.05.2026."))
            raise ValidationError(_("Write the date and time, for example 17.05.2026 14:30."))

    return check


def _choice_count_check(question: Question) -> Validator:
    low, high = question.settings.get("min_choices"), question.settings.get("max_choices")

    def check(_form: FlaskForm, field: Field) -> None:
        chosen = [v for v in field.data or [] if v != flow.DONT_KNOW]
        if low is not None and len(chosen) < low:
            raise ValidationError(_("Choose at least %(n)s.", n=low))
        if high is not None and len(chosen) > high:
            raise ValidationError(_("Choose at most %(n)s.", n=high))

    return check


def _max_length(limit: int) -> Validator:
    def check(_form: FlaskForm, field: Field) -> None:
        if len(str(field.data or "")) > limit:
            raise ValidationError(
                _(
                    "Write at most %(n)s characters (you wrote %(m)s).",
                    n=limit,
                    m=len(str(field.data)),
                )
            )

    return check


def _fields_for(definition: Definition, question: Question, language: str) -> dict[str, Field]:
    label = pick(question.text, language)
    required = _required(definition, question)
    code = question.code
    kind = question.type
    fields: dict[str, Any] = {}
    if kind in ("rating", "single", "yesno"):
        fields[code] = RadioField(
            label, choices=option_choices(question, language), validators=[required]
        )
        if kind == "yesno" and question.settings.get("comment"):
            fields[code + flow.COMMENT_SUFFIX] = TextAreaField(
                _("Comment (optional)"), validators=[_max_length(2000)]
            )
    elif kind == "multiple":
        fields[code] = SelectMultipleField(
            label,
            choices=option_choices(question, language),
            validators=[required, _choice_count_check(question)],
        )
    elif kind == "number":
        fields[code] = StringField(label, validators=[required, _number_check(question, language)])
    elif kind == "duration":
        fields[code + flow.MINUTES_SUFFIX] = StringField(
            _("Minutes"), validators=[required, _duration_check(question, "min")]
        )
        fields[code + flow.SECONDS_SUFFIX] = StringField(
            _("Seconds"), validators=[_duration_check(question, "sec")]
        )
    elif kind in ("date", "datetime"):
        fields[code] = StringField(label, validators=[required, _date_check(kind)])
    else:
        limit = int(question.settings.get("max_length") or 2000)
        field_class = TextAreaField if question.settings.get("multiline", True) else StringField
        fields[code] = field_class(label, validators=[required, _max_length(limit)])
    return fields


_FORM_CLASSES: dict[tuple[str, int, str], type[SurveyPageForm]] = {}


def page_form_class(
    definition: Definition, section_index: int, language: str
) -> type[SurveyPageForm]:
    """The form class of one page in one language, built once per process."""
    key = (definition.content_hash, section_index, language)
    form_class = _FORM_CLASSES.get(key)
    if form_class is None:

        class PageForm(SurveyPageForm):
            pass

        for question in definition.sections[section_index].questions:
            for name, field in _fields_for(definition, question, language).items():
                setattr(PageForm, name, field)
        if len(_FORM_CLASSES) > 500:  # many versions in one process: start again
            _FORM_CLASSES.clear()
        _FORM_CLASSES[key] = form_class = PageForm
    return form_class


def build_page_form(
    definition: Definition,
    section_index: int,
    language: str,
    saved: flow.RawInputs,
    formdata: MultiDict[str, str] | None,
) -> SurveyPageForm:
    """The form for one page, filled from what was posted or else from the saved draft."""
    form_class = page_form_class(definition, section_index, language)
    if formdata is None:
        formdata = MultiDict([(name, value) for name, values in saved.items() for value in values])
    form = form_class(formdata=formdata)
    form.saved_answers = saved
    return form


_QUESTION_FORM_CLASSES: dict[tuple[str, tuple[str, ...], str], type[SurveyPageForm]] = {}


def questions_form_class(
    definition: Definition, codes: tuple[str, ...], language: str
) -> type[SurveyPageForm]:
    """A form of chosen questions on one page (a kiosk's short version), built once."""
    key = (definition.content_hash, codes, language)
    form_class = _QUESTION_FORM_CLASSES.get(key)
    if form_class is None:

        class QuestionsForm(SurveyPageForm):
            pass

        for code in codes:
            for name, field in _fields_for(definition, definition.question(code), language).items():
                setattr(QuestionsForm, name, field)
        if len(_QUESTION_FORM_CLASSES) > 500:
            _QUESTION_FORM_CLASSES.clear()
        _QUESTION_FORM_CLASSES[key] = form_class = QuestionsForm
    return form_class


def build_questions_form(
    definition: Definition,
    codes: tuple[str, ...],
    language: str,
    formdata: MultiDict[str, str] | None,
) -> SurveyPageForm:
    """The one-page form of ``codes``, filled from what was posted (or empty)."""
    form = questions_form_class(definition, codes, language)(formdata=formdata)
    form.saved_answers = {k: formdata.getlist(k) for k in formdata} if formdata else {}
    return form
