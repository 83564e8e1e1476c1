"""The question types: one module each, looked up by name (see :mod:`.base`).

Adding a type is one module here (a :class:`~.base.QuestionType` subclass registered
below) and, only if it needs a new kind of input, one macro in
``templates/surveys/public/page.html``.
"""

from __future__ import annotations

from surveyapp.questionnaires.types.base import QuestionType
from surveyapp.questionnaires.types.dates import DateTimeType, DateType
from surveyapp.questionnaires.types.duration import DurationType
from surveyapp.questionnaires.types.multiple import MultipleType
from surveyapp.questionnaires.types.number import NumberType
from surveyapp.questionnaires.types.rating import RatingType
from surveyapp.questionnaires.types.single import SingleType
from surveyapp.questionnaires.types.text import TextType
from surveyapp.questionnaires.types.yesno import YesNoType

REGISTRY: dict[str, QuestionType] = {
    t.name: t
    for t in (
        RatingType(),
        SingleType(),
        MultipleType(),
        YesNoType(),
        NumberType(),
        DurationType(),
        DateType(),
        DateTimeType(),
        TextType(),
    )
}
NAMES = tuple(REGISTRY)


def get(name: str) -> QuestionType:
    """The type called ``name``; KeyError for a name no module registers."""
    return REGISTRY[name]


def choosing() -> tuple[str, ...]:
    """Types whose answers are option values (they may control a show_if condition)."""
    return tuple(name for name, t in REGISTRY.items() if t.chooses)


def for_indicator() -> tuple[str, ...]:
    return tuple(name for name, t in REGISTRY.items() if t.indicator)
