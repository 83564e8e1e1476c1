"""``single``: one option of a list (codes or numbers)."""

from __future__ import annotations

from typing import Any

from surveyapp.questionnaires.types.base import N_, Bound, ImportProblem
from surveyapp.questionnaires.types.choice import ChoiceType


class SingleType(ChoiceType):
    name = "single"
    keys = ("scale", "options", "dont_know")
    label = N_("One choice")
    indicator = True
    limesurvey_types = ("L", "!")

    def from_xlsform(
        self, base: str, appearance: tuple[str, ...], bounds: list[Bound], extra: dict[str, Any]
    ) -> dict[str, Any]:
        if bounds:
            raise ImportProblem("constraint", N_("the app has no equivalent of this constraint"))
        return {"dont_know": True} if extra.get("dont_know") else {}
