"""``rating``: a scale of integer points, worst first; the satisfaction indicator's type."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from surveyapp.questionnaires.types.base import N_, Bound, DemoContext, ImportProblem, row
from surveyapp.questionnaires.types.choice import ChoiceType

if TYPE_CHECKING:  # pragma: no cover
    from surveyapp.questionnaires.survey import Question


class RatingType(ChoiceType):
    name = "rating"
    keys = ("scale", "options", "dont_know")
    label = N_("Rating scale")
    indicator = True
    scored = True
    numeric = True
    export_kind = "rating"
    xlsform_appearances = ("likert",)
    xlsform_marker = "likert"
    limesurvey_types = ("F",)

    def demo_rows(self, question: Question, demo: DemoContext) -> list[dict[str, Any]]:
        rng = demo.rng
        if question.dont_know and rng.random() < 0.03:
            return [row(question.code, "dont_know")]
        values = [int(o.value) for o in question.options]
        top = values[-2:]
        if demo.satisfied is not None:
            top = [int(v) for v in demo.satisfied]
        p = demo.satisfied_p if rng.random() < 0.9 else demo.satisfied_p - 0.1
        rest = [v for v in values if v not in top]
        value = rng.choice(top) if rng.random() < p or not rest else rng.choice(rest)
        return [row(question.code, str(value), float(value))]

    def from_xlsform(
        self, base: str, appearance: tuple[str, ...], bounds: list[Bound], extra: dict[str, Any]
    ) -> dict[str, Any]:
        if bounds:
            raise ImportProblem("constraint", N_("the app has no equivalent of this constraint"))
        return {"dont_know": True} if extra.get("dont_know") else {}
