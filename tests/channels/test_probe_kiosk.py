"""Outside probe: the kiosk shows every question on one page, so a visitor (or a
script) can post answers to a question its condition hides; they must not be stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.extensions import db
from surveyapp.models import Answer, SurveyRound
from tests.channels.test_kiosk import ANSWERS, admin, register, responses, visit

__all__ = ["admin"]  # the fixture, used by name


def test_answers_to_hidden_dependent_questions_posted_anyway_are_not_stored(
    app: Any, admin: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    survey_round = make_round()
    secret = register(admin, survey_round)
    # got_answer is "yes" (told_when hidden) and the channel e-mail (wait_time hidden).
    posted = {**ANSWERS, "told_when": "no", "wait_time__min": "9", "wait_time__sec": "5"}
    done = visit(app, secret, posted)
    assert done.status_code in (200, 302)
    (response,) = responses()
    codes = set(
        db.session.scalars(sa.select(Answer.question_code).where(Answer.response_id == response.id))
    )
    assert "overall" in codes
    assert "told_when" not in codes and "wait_time" not in codes
