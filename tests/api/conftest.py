"""Builders for the open-data API tests: published rounds, tokens, clients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from surveyapp.api import publishing, tokens
from surveyapp.extensions import db
from surveyapp.surveys.models import SurveyRound
from tests.results.conftest import add_round, satisfied  # noqa: F401  (fixtures and helper)


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["SURVEYAPP_BASE_URL"] = "https://kommune.example.no"
    return app_config


@pytest.fixture
def publish(app: Any) -> Callable[[SurveyRound], Any]:
    """Publish a (closed) survey round, as its owner would on the round page."""

    def do(survey_round: SurveyRound) -> Any:
        publication = publishing.publish_survey_round(None, survey_round)
        db.session.commit()
        return publication

    return do


@pytest.fixture
def make_token(app: Any, make_user: Callable[..., Any]) -> Callable[..., str]:
    """make_token("planner", ["5501"]) → the secret of a new token of a new user."""

    def build(role: str = "admin", municipalities: list[str] | None = None, days: int = 30) -> str:
        owner = make_user(role, municipalities)
        _token, secret = tokens.create_token(owner, "test", days, 365)
        db.session.commit()
        return secret

    return build


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def api(client: FlaskClient) -> FlaskClient:
    return client
