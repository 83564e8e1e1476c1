"""``multiple``: any number of options, one answer row per chosen option."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wtforms.validators import ValidationError

from surveyapp.questionnaires.problems import Text
from surveyapp.questionnaires.types.base import (
    DONT_KNOW,
    N_,
    AnswerRow,
    Bound,
    DemoContext,
    FieldContext,
    Gettext,
    ImportProblem,
    RawInputs,
    TypeParts,
    Validator,
    XlsQuestion,
    bounds_of,
    chosen,
    number_text,
    row,
)
from surveyapp.questionnaires.types.choice import ChoiceType

if TYPE_CHECKING:  # pragma: no cover
    from wtforms import Field

    from surveyapp.questionnaires.survey import Question, Scales, SurveyReader
    from surveyapp.questionnaires.yaml_source import Map

_COUNT = "count-selected(.)"


class MultipleType(ChoiceType):
    name = "multiple"
    keys = ("scale", "options", "min_choices", "max_choices")
    label = N_("Several choices")
    overlapping = True
    widget = "choices"
    export_kind = "multiple"
    xlsform_types = ("select_multiple",)
    limesurvey_types = ("M",)

    def required_message(self, gettext: Gettext) -> str:
        return gettext("Choose at least one answer.")

    def read(self, reader: SurveyReader, item: Map, where: Text, scales: Scales) -> TypeParts:
        options_ok, options = reader.question_options(item, self.name, where, scales)
        count = len(options) if options_ok else None
        settings = reader.multiple_settings(item, where, count)
        return TypeParts(options, options_ok, settings=settings)

    def answer_rows(self, question: Question, raw: RawInputs) -> list[AnswerRow]:
        allowed = self.allowed_values(question)
        return [
            AnswerRow(question.code, value, None, None)
            for value in chosen(question, raw)
            if value in allowed
        ]

    def form_fields(self, question: Question, ctx: FieldContext) -> dict[str, Field]:
        from wtforms import SelectMultipleField

        field = SelectMultipleField(
            ctx.label,
            choices=ctx.choices(question),
            validators=[ctx.required, _count_check(question, ctx)],
        )
        return {question.code: field}

    def details(self, question: Question, gettext: Any, pick: Any) -> list[str]:
        _ = gettext
        found = []
        if question.settings.get("min_choices"):
            found.append(_("Choose at least %(n)s.", n=question.settings["min_choices"]))
        if question.settings.get("max_choices"):
            found.append(_("Choose at most %(n)s.", n=question.settings["max_choices"]))
        return found

    def demo_rows(self, question: Question, demo: DemoContext) -> list[dict[str, Any]]:
        rng = demo.rng
        picks = [rng.choice(question.options)]
        if len(question.options) > 1 and rng.random() < 0.4:
            picks = rng.sample(list(question.options), 2)
        return [row(question.code, str(option.value)) for option in picks]

    def to_xlsform(self, question: Question) -> XlsQuestion:
        parts = []
        low, high = question.settings.get("min_choices"), question.settings.get("max_choices")
        if low is not None:
            parts.append(f"{_COUNT} >= {number_text(low)}")
        if high is not None:
            parts.append(f"{_COUNT} <= {number_text(high)}")
        return XlsQuestion("select_multiple", constraint=" and ".join(parts), uses_choices=True)

    def from_xlsform(
        self, base: str, appearance: tuple[str, ...], bounds: list[Bound], extra: dict[str, Any]
    ) -> dict[str, Any]:
        if extra.get("dont_know"):
            raise ImportProblem(
                "type",
                N_(
                    "a select_multiple list cannot have the choice 'dont_know'"
                    " (the app offers \u201cdon't know\u201d only with one answer)"
                ),
            )
        low, high = bounds_of(bounds, _COUNT)
        found: dict[str, Any] = {}
        for key, value in (("min_choices", low), ("max_choices", high)):
            if value is None:
                continue
            if not float(value).is_integer():
                raise ImportProblem(
                    "constraint", N_("count-selected(.) must be compared with a whole number")
                )
            found[key] = int(value)
        return found


def _count_check(question: Question, ctx: FieldContext) -> Validator:
    _ = ctx.gettext
    low, high = question.settings.get("min_choices"), question.settings.get("max_choices")

    def check(_form: Any, field: Any) -> None:
        picked = [v for v in field.data or [] if v != DONT_KNOW]
        if low is not None and len(picked) < low:
            raise ValidationError(_("Choose at least %(n)s.", n=low))
        if high is not None and len(picked) > high:
            raise ValidationError(_("Choose at most %(n)s.", n=high))

    return check
