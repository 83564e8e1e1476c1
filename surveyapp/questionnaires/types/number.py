"""``number``: a typed number inside optional bounds, whole or with decimals, with a unit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wtforms.validators import ValidationError

from surveyapp import typed_numbers
from surveyapp.questionnaires.checks import fmt
from surveyapp.questionnaires.problems import Text, msg
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
    number_text,
    row,
)

if TYPE_CHECKING:  # pragma: no cover
    from wtforms import Field

    from surveyapp.questionnaires.survey import Question, Scales, SurveyReader
    from surveyapp.questionnaires.yaml_source import Map


def read_number_answer(question: Question, text: str) -> tuple[float | None, str | None]:
    """A number question's answer checked against its settings (see ``typed_numbers``)."""
    settings = question.settings
    return typed_numbers.read_number(
        text,
        low=settings.get("min"),
        high=settings.get("max"),
        integer=bool(settings.get("integer", True)),
    )


def bound_text(value: float, language: str) -> str:
    """A question's bound as the citizen would type it: 1990, 0,5 (0.5 in English)."""
    text = f"{value:f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return text.replace(".", ",") if language in ("nb", "nn") else text


class NumberType(QuestionType):
    name = "number"
    keys = ("min", "max", "integer", "unit")
    label = N_("Number")
    summary = "numeric"
    xlsform_types = ("integer", "decimal")
    limesurvey_types = ("N",)

    def required_message(self, gettext: Gettext) -> str:
        return gettext("Write a number.")

    def read(self, reader: SurveyReader, item: Map, where: Text, scales: Scales) -> TypeParts:
        low = reader.get_number(item, "min", where)
        high = reader.get_number(item, "max", where)
        if low is not None and high is not None and low > high:
            reader.err(
                item.entries["min"].line,
                where,
                msg(
                    N_("'min' (%(low)s) is greater than 'max' (%(high)s)"),
                    low=fmt(low),
                    high=fmt(high),
                ),
            )
        settings = {
            "min": low,
            "max": high,
            "integer": reader.get_bool(item, "integer", where, True),
            "unit": reader.get_translation(item, "unit", where),
        }
        return TypeParts(settings=settings)

    def answer_rows(self, question: Question, raw: RawInputs) -> list[AnswerRow]:
        number, _problem = read_number_answer(question, first(raw, question.code))
        return [] if number is None else [AnswerRow(question.code, None, number, None)]

    def form_fields(self, question: Question, ctx: FieldContext) -> dict[str, Field]:
        from wtforms import StringField

        check = _number_check(question, ctx)
        return {question.code: StringField(ctx.label, validators=[ctx.required, check])}

    def details(self, question: Question, gettext: Any, pick: Any) -> list[str]:
        _ = gettext
        settings = question.settings
        found = []
        if settings.get("min") is not None:
            found.append(_("Lowest: %(n)s.", n=settings["min"]))
        if settings.get("max") is not None:
            found.append(_("Highest: %(n)s.", n=settings["max"]))
        found.append(
            _("Whole numbers only.") if settings.get("integer") else _("Decimals allowed.")
        )
        if settings.get("unit"):
            found.append(_("Unit: %(unit)s.", unit=pick(settings["unit"])))
        return found

    def export_columns(self, question: Question) -> list[ExportColumn]:
        return [ExportColumn(question.code, "number")]

    def demo_rows(self, question: Question, demo: DemoContext) -> list[dict[str, Any]]:
        low = float(question.settings.get("min", 0) or 0)
        high = float(question.settings.get("max", low + 100) or low + 100)
        return [row(question.code, num=float(round(demo.rng.uniform(low, high))))]

    def to_xlsform(self, question: Question) -> XlsQuestion:
        settings = question.settings
        parts = []
        if settings.get("min") is not None:
            parts.append(f". >= {number_text(settings['min'])}")
        if settings.get("max") is not None:
            parts.append(f". <= {number_text(settings['max'])}")
        kind = "integer" if settings.get("integer", True) else "decimal"
        return XlsQuestion(kind, constraint=" and ".join(parts), unit=settings.get("unit"))

    def from_xlsform(
        self, base: str, appearance: tuple[str, ...], bounds: list[Bound], extra: dict[str, Any]
    ) -> dict[str, Any]:
        low, high = bounds_of(bounds, ".")
        found: dict[str, Any] = {"integer": base == "integer"}
        if low is not None:
            found["min"] = _plain(low)
        if high is not None:
            found["max"] = _plain(high)
        if low is not None and high is not None and low > high:
            raise ImportProblem("constraint", N_("the lowest value allowed is above the highest"))
        if extra.get("unit"):
            found["unit"] = extra["unit"]
        return found


def _plain(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _number_check(question: Question, ctx: FieldContext) -> Validator:
    _ = ctx.gettext
    language = ctx.language
    low, high = question.settings.get("min"), question.settings.get("max")

    def check(_form: Any, field: Any) -> None:
        _value, problem = read_number_answer(question, str(field.data or ""))
        if problem is None:
            return
        if problem == typed_numbers.NOT_WHOLE:
            raise ValidationError(_("Write a whole number."))
        if problem in (typed_numbers.TOO_LOW, typed_numbers.TOO_HIGH):
            if low is not None and high is not None:
                raise ValidationError(
                    _(
                        "Write a number from %(min)s to %(max)s.",
                        min=bound_text(low, language),
                        max=bound_text(high, language),
                    )
                )
            if low is not None:
                raise ValidationError(
                    _("The number must be at least %(min)s.", min=bound_text(low, language))
                )
            if high is not None:
                raise ValidationError(
                    _("The number must be at most %(max)s.", max=bound_text(high, language))
                )
        if problem == typed_numbers.TOO_LONG:
            raise ValidationError(
                _("Write a number with at most %(n)s digits.", n=typed_numbers.MAX_DIGITS)
            )
        raise ValidationError(_("Write a number, for example 12 or 2,5."))

    return check
