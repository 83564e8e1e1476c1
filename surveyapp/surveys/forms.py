"""WTForms forms built from a questionnaire definition, one form per page (section)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Field, SelectChoice
from wtforms.validators import StopValidation

from surveyapp.questionnaires import types as question_types
from surveyapp.questionnaires.definition import Definition
from surveyapp.questionnaires.survey import Question
from surveyapp.questionnaires.types.base import FieldContext
from surveyapp.surveys import flow
from surveyapp.web.i18n import pick, wtforms_translations

Validator = Callable[[FlaskForm, Field], None]


def _dont_know_label() -> str:
    return _("Don't know")


def option_choices(question: Question, language: str) -> list[SelectChoice]:
    choices = [SelectChoice(str(o.value), pick(o.label, language)) for o in question.options]
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


def required_message(question: Question, language: str) -> str:
    """What to do about an unanswered required question: the question's own words when the
    questionnaire gives them ("Velg hva saken gjaldt."), else what its type asks for."""
    if question.error:
        return pick(question.error, language)
    return question_types.get(question.type).required_message(_)


def _required(definition: Definition, question: Question, language: str) -> Validator:
    def check(form: SurveyPageForm, field: Field) -> None:
        if not _shown_now(definition, question, form):
            field.errors = []
            raise StopValidation()  # hidden: not required, not validated
        data = field.data
        names = question_types.get(question.type).answered_by(question)
        if len(names) > 1:  # one answer typed in several boxes (minutes and seconds)
            data = "".join(str(form[name].data or "").strip() for name in names)
        empty = data in (None, "", []) or (isinstance(data, str) and not data.strip())
        if empty and question.required:
            field.errors.clear()  # one clear message, not also "Not a valid choice"
            raise StopValidation(required_message(question, language))
        if empty:
            field.errors = []
            raise StopValidation()

    return check


def _fields_for(definition: Definition, question: Question, language: str) -> dict[str, Field]:
    context = FieldContext(
        language=language,
        gettext=_,
        label=pick(question.text, language),
        required=_required(definition, question, language),
        choices=lambda q: option_choices(q, language),
    )
    return question_types.get(question.type).form_fields(question, context)


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
