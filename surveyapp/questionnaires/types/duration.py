"""``duration``: minutes and seconds typed in two boxes, stored as seconds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wtforms.validators import ValidationError

from surveyapp import typed_numbers
from surveyapp.questionnaires.problems import Text
from surveyapp.questionnaires.types.base import (
    N_,
    AnswerRow,
    Bound,
    DemoContext,
    ExportColumn,
    FieldContext,
    Gettext,
    ImportProblem,
    QuestionType,
    RawInputs,
    TypeParts,
    Validator,
    XlsQuestion,
    bounds_of,
    first,
    row,
)

if TYPE_CHECKING:  # pragma: no cover
    from wtforms import Field

    from surveyapp.questionnaires.survey import Question, Scales, SurveyReader
    from surveyapp.questionnaires.yaml_source import Map

MINUTES_SUFFIX = "__min"
SECONDS_SUFFIX = "__sec"
#: Minutes a duration may have when its question names no ``max_minutes``.
DEFAULT_MAX_MINUTES = 99_999


def max_minutes(question: Question) -> int:
    """The most minutes a duration question takes."""
    return int(question.settings.get("max_minutes") or DEFAULT_MAX_MINUTES)


def read_part(question: Question, part: str, text: str) -> tuple[int | None, str | None]:
    """Minutes (``part`` "min", up to the question's maximum) or seconds ("sec", 0–59)."""
    return typed_numbers.read_whole(text, 59 if part == "sec" else max_minutes(question))


def seconds(question: Question, minutes: str, secs: str) -> int | None:
    """The duration in seconds when both parts are valid (an empty part counts as 0)."""
    total = 0
    for part, text, factor in (("min", minutes, 60), ("sec", secs, 1)):
        if not text.strip():
            continue
        value, _problem = read_part(question, part, text)
        if value is None:
            return None
        total += value * factor
    return total


class DurationType(QuestionType):
    name = "duration"
    keys = ("max_minutes",)
    label = N_("Duration (minutes and seconds)")
    summary = "numeric"
    duration = True
    widget = "duration"
    xlsform_types = ("integer",)
    xlsform_appearances = ("duration",)
    xlsform_marker = "duration"

    def required_message(self, gettext: Gettext) -> str:
        return gettext("Write how many minutes and seconds.")

    def read(self, reader: SurveyReader, item: Map, where: Text, scales: Scales) -> TypeParts:
        return TypeParts(
            settings={"max_minutes": reader.get_int(item, "max_minutes", where, minimum=1)}
        )

    def field_names(self, question: Question) -> list[str]:
        return [question.code + MINUTES_SUFFIX, question.code + SECONDS_SUFFIX]

    def answered_by(self, question: Question) -> list[str]:
        return self.field_names(question)

    def answer_rows(self, question: Question, raw: RawInputs) -> list[AnswerRow]:
        code = question.code
        minutes, secs = first(raw, code + MINUTES_SUFFIX), first(raw, code + SECONDS_SUFFIX)
        if not minutes and not secs:
            return []
        total = seconds(question, minutes, secs)
        return [] if total is None else [AnswerRow(code, None, float(total), None)]

    def form_fields(self, question: Question, ctx: FieldContext) -> dict[str, Field]:
        from wtforms import StringField

        _ = ctx.gettext
        return {
            question.code + MINUTES_SUFFIX: StringField(
                _("Minutes"), validators=[ctx.required, _part_check(question, "min", ctx)]
            ),
            question.code + SECONDS_SUFFIX: StringField(
                _("Seconds"), validators=[_part_check(question, "sec", ctx)]
            ),
        }

    def details(self, question: Question, gettext: Any, pick: Any) -> list[str]:
        _ = gettext
        if question.settings.get("max_minutes"):
            return [_("At most %(n)s minutes.", n=question.settings["max_minutes"])]
        return []

    def export_columns(self, question: Question) -> list[ExportColumn]:
        return [ExportColumn(question.code, "number")]

    def demo_rows(self, question: Question, demo: DemoContext) -> list[dict[str, Any]]:
        return [row(question.code, num=float(int(demo.rng.expovariate(1 / 240))))]

    def to_xlsform(self, question: Question) -> XlsQuestion:
        limit = question.settings.get("max_minutes")
        constraint = f". <= {int(limit) * 60 + 59}" if limit else ""
        return XlsQuestion("integer", appearance=("duration",), constraint=constraint)

    def from_xlsform(
        self, base: str, appearance: tuple[str, ...], bounds: list[Bound], extra: dict[str, Any]
    ) -> dict[str, Any]:
        low, high = bounds_of(bounds, ".")
        if low not in (None, 0):
            raise ImportProblem(
                "constraint", N_("a duration starts at 0 seconds; remove the lower bound")
            )
        if high is None:
            return {}
        if high < 119 or (high - 59) % 60:
            raise ImportProblem(
                "constraint",
                N_(
                    "a duration's upper bound is in seconds and must be whole minutes plus"
                    " 59 seconds (for example . <= 7259 for 120 minutes)"
                ),
            )
        return {"max_minutes": int((high - 59) // 60)}


def _part_check(question: Question, part: str, ctx: FieldContext) -> Validator:
    _ = ctx.gettext

    def check(_form: Any, field: Any) -> None:
        text = str(field.data or "").strip()
        if not text:
            return
        _value, problem = read_part(question, part, text)
        if problem is None:
            return
        if problem == typed_numbers.TOO_HIGH and part == "sec":
            raise ValidationError(_("Seconds must be between 0 and 59."))
        if problem == typed_numbers.TOO_HIGH:
            raise ValidationError(_("At most %(max)s minutes.", max=max_minutes(question)))
        raise ValidationError(_("Write whole minutes and seconds, for example 4 and 30."))

    return check
