"""Builders for survey rounds and invitations."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Invitation, Municipality, SurveyRound
from surveyapp.questionnaires.store import latest_version
from surveyapp.surveys.tokens import hash_token, new_token


@pytest.fixture
def make_round(app: Any, questionnaires: None) -> Callable[..., SurveyRound]:
    """make_round(status="open", access="open", municipalities=["5501"], ...)."""
    counter = iter(range(1, 10_000))

    def build(**kw: Any) -> SurveyRound:
        code = kw.pop("questionnaire", "citizen-satisfaction")
        questionnaire = latest_version(code)
        assert questionnaire is not None
        municipalities = kw.pop("municipalities", ["5501"])
        now = datetime.now(UTC)
        values: dict[str, Any] = {
            "slug": f"round{next(counter)}",
            "title": "Innbyggerundersøkelse 2026",
            "year": 2026,
            "questionnaire_id": questionnaire.id,
            "status": "open",
            "access": "open",
            "opens_at": now - timedelta(days=1),
            "closes_at": now + timedelta(days=30),
        }
        values.update(kw)
        survey_round = SurveyRound(**values)
        survey_round.municipalities = list(
            db.session.scalars(sa.select(Municipality).where(Municipality.code.in_(municipalities)))
        )
        db.session.add(survey_round)
        db.session.commit()
        return survey_round

    return build


@pytest.fixture
def make_invitations(app: Any) -> Callable[[SurveyRound, int], list[str]]:
    """Issue invitations for a round; returns the raw tokens (as a letter would carry)."""

    def build(survey_round: SurveyRound, count: int = 1) -> list[str]:
        tokens = [new_token() for _ in range(count)]
        for token in tokens:
            db.session.add(
                Invitation(
                    round_id=survey_round.id,
                    municipality_code=survey_round.municipalities[0].code,
                    token_hash=hash_token(token),
                )
            )
        db.session.commit()
        return tokens

    return build


_STATE = re.compile(r'name="state" value="([^"]+)"')


def form_state(response: Any) -> str:
    """The signed answers-so-far a survey page's form carries (as a browser sends it back)."""
    found = _STATE.search(response.get_data(as_text=True))
    assert found is not None, "the page has no state field"
    return found.group(1)


class WriteCounter:
    """Counts INSERT, UPDATE and DELETE statements the app sends while it is attached."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            self.statements.append(statement)


@pytest.fixture
def count_writes(app: Any) -> Any:
    """A WriteCounter attached to the app's engine for the test."""
    counter = WriteCounter()
    sa.event.listen(db.engine, "before_cursor_execute", counter)
    yield counter
    sa.event.remove(db.engine, "before_cursor_execute", counter)
