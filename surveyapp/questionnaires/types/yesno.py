"""``yesno``: yes, no and (by default) don't know, with an optional free-text comment."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from surveyapp.questionnaires.problems import Text
from surveyapp.questionnaires.types.base import (
    COMMENT_SUFFIX,
    N_,
    AnswerRow,
    Bound,
    DemoContext,
    ExportColumn,
    FieldContext,
    Gettext,
    ImportProblem,
    RawInputs,
    TypeParts,
    XlsQuestion,
    chosen,
    first,
    row,
)
from surveyapp.questionnaires.types.choice import ChoiceType
from surveyapp.questionnaires.types.fields import max_length

if TYPE_CHECKING:  # pragma: no cover
    from wtforms import Field

    from surveyapp.questionnaires.survey import Question, Scales, SurveyReader
    from surveyapp.questionnaires.yaml_source import Map

YES_LABEL = {"nb": "Ja", "nn": "Ja", "en": "Yes"}
NO_LABEL = {"nb": "Nei", "nn": "Nei", "en": "No"}
_NUMBERS = {"yes": 1.0, "no": 0.0}
COMMENT_MAX_LENGTH = 2000


class YesNoType(ChoiceType):
    name = "yesno"
    keys = ("dont_know", "comment")
    label = N_("Yes or no")
    xlsform_appearances = ("yesno", "comment")
    xlsform_marker = "yesno"
    limesurvey_types = ("Y",)

    def required_message(self, gettext: Gettext) -> str:
        return gettext("Answer yes or no.")

    def read(self, reader: SurveyReader, item: Map, where: Text, scales: Scales) -> TypeParts:
        from surveyapp.questionnaires.survey import Option

        dont_know = reader.get_bool(item, "dont_know", where, True)
        settings = {"comment": reader.get_bool(item, "comment", where, False)}
        options = (Option("yes", dict(YES_LABEL)), Option("no", dict(NO_LABEL)))
        return TypeParts(options, True, dont_know, settings)

    def field_names(self, question: Question) -> list[str]:
        if question.settings.get("comment"):
            return [question.code, question.code + COMMENT_SUFFIX]
        return [question.code]

    def answer_rows(self, question: Question, raw: RawInputs) -> list[AnswerRow]:
        allowed = self.allowed_values(question)
        values = [v for v in chosen(question, raw) if v in allowed]
        if not values:
            return []
        comment = None
        if question.settings.get("comment"):
            comment = first(raw, question.code + COMMENT_SUFFIX) or None
        return [AnswerRow(question.code, values[0], _NUMBERS.get(values[0]), comment)]

    def form_fields(self, question: Question, ctx: FieldContext) -> dict[str, Field]:
        from wtforms import TextAreaField

        _ = ctx.gettext
        fields = super().form_fields(question, ctx)
        if question.settings.get("comment"):
            fields[question.code + COMMENT_SUFFIX] = TextAreaField(
                _("Comment (optional)"), validators=[max_length(COMMENT_MAX_LENGTH, _)]
            )
        return fields

    def details(self, question: Question, gettext: Any, pick: Any) -> list[str]:
        _ = gettext
        return [_("With a free-text comment.")] if question.settings.get("comment") else []

    def export_columns(self, question: Question) -> list[ExportColumn]:
        columns = [ExportColumn(question.code, "choice")]
        if question.settings.get("comment"):
            columns.append(ExportColumn(question.code + COMMENT_SUFFIX, "comment", True))
        return columns

    def demo_rows(self, question: Question, demo: DemoContext) -> list[dict[str, Any]]:
        rng = demo.rng
        choice = "yes" if rng.random() < 0.75 else ("no" if rng.random() < 0.8 else "dont_know")
        if choice == "dont_know" and not question.dont_know:
            choice = "no"
        return [row(question.code, choice, _NUMBERS.get(choice))]

    def to_xlsform(self, question: Question) -> XlsQuestion:
        appearance = ("yesno", "comment") if question.settings.get("comment") else ("yesno",)
        return XlsQuestion("select_one", appearance=appearance, uses_choices=True)

    def from_xlsform(
        self, base: str, appearance: tuple[str, ...], bounds: list[Bound], extra: dict[str, Any]
    ) -> dict[str, Any]:
        if bounds:
            raise ImportProblem("constraint", N_("the app has no equivalent of this constraint"))
        values = extra.get("values", ())
        if sorted(values) != ["no", "yes"]:
            raise ImportProblem(
                "type",
                N_(
                    "a yesno question's list must have exactly the choices yes and no"
                    " (and dont_know if \u201cdon't know\u201d is offered)"
                ),
            )
        found: dict[str, Any] = {"dont_know": bool(extra.get("dont_know"))}
        if "comment" in appearance:
            found["comment"] = True
        return found
