"""``text``: free text on one line or several, at most ``max_length`` characters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from surveyapp.questionnaires.problems import Text
from surveyapp.questionnaires.types.base import (
    N_,
    AnswerRow,
    Bound,
    DemoContext,
    ExportColumn,
    FieldContext,
    ImportProblem,
    QuestionType,
    RawInputs,
    TypeParts,
    XlsQuestion,
    bounds_of,
    row,
)
from surveyapp.questionnaires.types.fields import max_length

if TYPE_CHECKING:  # pragma: no cover
    from wtforms import Field

    from surveyapp.questionnaires.survey import Question, Scales, SurveyReader
    from surveyapp.questionnaires.yaml_source import Map

DEFAULT_MAX_LENGTH = 2000
_LENGTH = "string-length(.)"


class TextType(QuestionType):
    name = "text"
    keys = ("max_length", "multiline")
    label = N_("Free text")
    xlsform_types = ("text",)
    xlsform_appearances = ("multiline",)
    limesurvey_types = ("S", "T", "U")

    def read(self, reader: SurveyReader, item: Map, where: Text, scales: Scales) -> TypeParts:
        settings = {
            "max_length": reader.get_int(item, "max_length", where, DEFAULT_MAX_LENGTH, minimum=1),
            "multiline": reader.get_bool(item, "multiline", where, True),
        }
        return TypeParts(settings=settings)

    def answer_rows(self, question: Question, raw: RawInputs) -> list[AnswerRow]:
        text = (raw.get(question.code) or [""])[0].strip()
        return [AnswerRow(question.code, None, None, text)] if text else []

    def form_fields(self, question: Question, ctx: FieldContext) -> dict[str, Field]:
        from wtforms import StringField, TextAreaField

        limit = int(question.settings.get("max_length") or DEFAULT_MAX_LENGTH)
        field_class = TextAreaField if question.settings.get("multiline", True) else StringField
        check = max_length(limit, ctx.gettext)
        return {question.code: field_class(ctx.label, validators=[ctx.required, check])}

    def details(self, question: Question, gettext: Any, pick: Any) -> list[str]:
        _ = gettext
        return [
            _("At most %(n)s characters.", n=question.settings.get("max_length")),
            _("Several lines.") if question.settings.get("multiline") else _("One line."),
        ]

    def export_columns(self, question: Question) -> list[ExportColumn]:
        return [ExportColumn(question.code, "text", free_text=True)]

    def demo_rows(self, question: Question, demo: DemoContext) -> list[dict[str, Any]]:
        if demo.rng.random() > 0.12:
            return []
        return [row(question.code, text=demo.rng.choice(demo.texts))]

    def to_xlsform(self, question: Question) -> XlsQuestion:
        settings = question.settings
        appearance = ("multiline",) if settings.get("multiline", True) else ()
        limit = int(settings.get("max_length") or DEFAULT_MAX_LENGTH)
        return XlsQuestion("text", appearance=appearance, constraint=f"{_LENGTH} <= {limit}")

    def from_xlsform(
        self, base: str, appearance: tuple[str, ...], bounds: list[Bound], extra: dict[str, Any]
    ) -> dict[str, Any]:
        low, high = bounds_of(bounds, _LENGTH)
        if low is not None:
            raise ImportProblem("constraint", N_("the app has no equivalent of a shortest length"))
        found: dict[str, Any] = {"multiline": "multiline" in appearance}
        if high is not None:
            if not float(high).is_integer() or high < 1:
                raise ImportProblem(
                    "constraint", N_("string-length(.) must be compared with a whole number")
                )
            found["max_length"] = int(high)
        return found
