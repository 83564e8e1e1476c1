"""``date`` and ``datetime``: a day, or a day and a time, stored as ISO text."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from wtforms.validators import ValidationError

from surveyapp.questionnaires.types.base import (
    N_,
    AnswerRow,
    ExportColumn,
    FieldContext,
    Gettext,
    QuestionType,
    RawInputs,
    Validator,
    XlsQuestion,
    first,
)

if TYPE_CHECKING:  # pragma: no cover
    from wtforms import Field

    from surveyapp.questionnaires.survey import Question


def parse_date(text: str) -> date | None:
    """ISO (from date inputs) or Norwegian dd.mm.yyyy (typed by hand)."""
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def parse_datetime(text: str) -> datetime | None:
    text = text.strip()
    for pattern in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


class DateType(QuestionType):
    name = "date"
    label = N_("Date")
    xlsform_types = ("date",)
    limesurvey_types: ClassVar[tuple[str, ...]] = ("D",)
    xls_name: ClassVar[str] = "date"

    def required_message(self, gettext: Gettext) -> str:
        return gettext("Write a date, for example 17.05.2026.")

    def stored(self, text: str) -> str | None:
        day = parse_date(text)
        return None if day is None else day.isoformat()

    def answer_rows(self, question: Question, raw: RawInputs) -> list[AnswerRow]:
        text = self.stored(first(raw, question.code))
        return [] if text is None else [AnswerRow(question.code, None, None, text)]

    def form_fields(self, question: Question, ctx: FieldContext) -> dict[str, Field]:
        from wtforms import StringField

        check = self.check(ctx)
        return {question.code: StringField(ctx.label, validators=[ctx.required, check])}

    def check(self, ctx: FieldContext) -> Validator:
        _ = ctx.gettext

        def check(_form: Any, field: Any) -> None:
            if parse_date(str(field.data)) is None:
                raise ValidationError(_("Write the date as dd.mm.yyyy, for example 17.05.2026."))

        return check

    def export_columns(self, question: Question) -> list[ExportColumn]:
        return [ExportColumn(question.code, "text")]

    def to_xlsform(self, question: Question) -> XlsQuestion:
        return XlsQuestion(self.xls_name)


class DateTimeType(DateType):
    name = "datetime"
    label = N_("Date and time")
    xlsform_types = ("datetime",)
    limesurvey_types = ()
    xls_name = "dateTime"

    def required_message(self, gettext: Gettext) -> str:
        return gettext("Write a date and a time, for example 17.05.2026 14:30.")

    def stored(self, text: str) -> str | None:
        moment = parse_datetime(text)
        return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M")

    def check(self, ctx: FieldContext) -> Validator:
        _ = ctx.gettext

        def check(_form: Any, field: Any) -> None:
            if parse_datetime(str(field.data)) is None:
                raise ValidationError(_("Write the date and time, for example 17.05.2026 14:30."))

        return check
