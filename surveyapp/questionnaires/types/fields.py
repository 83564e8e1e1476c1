"""WTForms validators shared by several question types (messages through ``gettext``)."""

from __future__ import annotations

from typing import Any

from wtforms.validators import ValidationError

from surveyapp.questionnaires.types.base import Gettext, Validator


def max_length(limit: int, gettext: Gettext) -> Validator:
    _ = gettext

    def check(_form: Any, field: Any) -> None:
        if len(str(field.data or "")) > limit:
            raise ValidationError(
                _(
                    "Write at most %(n)s characters (you wrote %(m)s).",
                    n=limit,
                    m=len(str(field.data)),
                )
            )

    return check
