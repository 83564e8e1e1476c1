"""What the choice types (rating, single, multiple, yesno) share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from surveyapp.questionnaires.problems import Text
from surveyapp.questionnaires.types.base import (
    DONT_KNOW,
    AnswerRow,
    DemoContext,
    ExportColumn,
    FieldContext,
    Gettext,
    QuestionType,
    RawInputs,
    TypeParts,
    XlsQuestion,
    chosen,
    row,
)

if TYPE_CHECKING:  # pragma: no cover
    from wtforms import Field

    from surveyapp.questionnaires.survey import Question, Scales, SurveyReader
    from surveyapp.questionnaires.yaml_source import Map


class ChoiceType(QuestionType):
    """Options from a list or a scale; one answer row per chosen option."""

    chooses = True
    summary = "options"
    widget = "choice"
    xlsform_types = ("select_one",)
    export_kind: ClassVar[str] = "choice"
    #: Numbers are stored beside the option (rating points).
    numeric: ClassVar[bool] = False

    def required_message(self, gettext: Gettext) -> str:
        return gettext("Choose an answer.")

    def read(self, reader: SurveyReader, item: Map, where: Text, scales: Scales) -> TypeParts:
        options_ok, options = reader.question_options(item, self.name, where, scales)
        dont_know = reader.get_bool(item, "dont_know", where, False)
        return TypeParts(options, options_ok, dont_know)

    def answer_rows(self, question: Question, raw: RawInputs) -> list[AnswerRow]:
        # Only the question's own options: a value saved unchecked (the back button keeps
        # what was typed) is never stored.
        allowed = self.allowed_values(question)
        values = [v for v in chosen(question, raw) if v in allowed]
        return [
            AnswerRow(
                question.code,
                value,
                float(value) if self.numeric and value != DONT_KNOW else None,
                None,
            )
            for value in values[:1]
        ]

    def form_fields(self, question: Question, ctx: FieldContext) -> dict[str, Field]:
        from wtforms import RadioField

        field = RadioField(ctx.label, choices=ctx.choices(question), validators=[ctx.required])
        return {question.code: field}

    def export_columns(self, question: Question) -> list[ExportColumn]:
        return [ExportColumn(question.code, self.export_kind)]

    def demo_rows(self, question: Question, demo: DemoContext) -> list[dict[str, Any]]:
        return [row(question.code, str(demo.rng.choice(question.options).value))]

    def to_xlsform(self, question: Question) -> XlsQuestion:
        marker = (self.xlsform_marker,) if self.xlsform_marker else ()
        return XlsQuestion(self.xlsform_types[0], appearance=marker, uses_choices=True)
