"""Builders for the export tests: survey rounds (shared with tests/results), raw answers,
a scored service-test round, and a workbook reader."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl.workbook.workbook import Workbook

from surveyapp.extensions import db
from surveyapp.models import Municipality, Response, SurveyRound, TestRound
from surveyapp.questionnaires.cli import load_definitions
from surveyapp.questionnaires.store import definition_of, latest_version
from surveyapp.servicetest import operations
from surveyapp.surveys.flow import answer_rows
from surveyapp.surveys.models import Answer
from tests.conftest import PROJECT_ROOT
from tests.results.conftest import add_round, reworded  # noqa: F401  (shared fixtures)
from tests.servicetest_records import record_everything

ALL_TYPES = PROJECT_ROOT / "tests" / "surveys" / "all-types.yaml"


def open_workbook(data: bytes) -> Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def excel(values: Any) -> list[Any]:
    """Values as a workbook holds them: floats as openpyxl writes them (16 significant
    digits), then to Excel's 15; everything else as it is."""
    return [float(f"{float(f'{v:.16g}'):.15g}") if isinstance(v, float) else v for v in values]


@pytest.fixture
def planner(make_user: Callable[..., Any], login: Callable[[Any], FlaskClient]) -> Any:
    """A planner of Tromsø (5501), logged in (without the raw-data right)."""
    user = make_user("planner", municipalities=["5501"])
    login(user)
    return user


@pytest.fixture
def raw_planner(make_user: Callable[..., Any], login: Callable[[Any], FlaskClient]) -> Any:
    """A planner of Tromsø (5501) with the raw-data right, logged in."""
    user = make_user("planner", municipalities=["5501"], raw_data=True)
    login(user)
    return user


@pytest.fixture
def in_english(app: Flask) -> Any:
    """A request context in English (the labels' language), for calling exports directly."""
    with app.test_request_context("/?lang=en") as context:
        yield context


@pytest.fixture
def add_responses(app: Flask, questionnaires: None) -> Callable[..., SurveyRound]:
    """add_responses("all-types", [{"rating_q": ["4"]}, ...]): answers as the form stores them."""
    counter = iter(range(1, 1_000_000))

    def build(
        questionnaire: str,
        inputs: list[dict[str, list[str]]],
        municipality: str = "5501",
        year: int = 2026,
        precision: str = "date",
    ) -> SurveyRound:
        if latest_version(questionnaire) is None:
            load_definitions([PROJECT_ROOT / "tests" / "surveys" / f"{questionnaire}.yaml"])
        version = latest_version(questionnaire)
        assert version is not None
        definition = definition_of(version)
        survey_round = SurveyRound(
            slug=f"raw{next(counter)}",
            title=f"Runde {year}",
            year=year,
            questionnaire_id=version.id,
            status="closed",
            time_precision=precision,
        )
        survey_round.municipalities = [db.session.get(Municipality, municipality)]
        db.session.add(survey_round)
        db.session.flush()
        for i, raw in enumerate(inputs):
            response = Response(
                round_id=survey_round.id,
                municipality_code=municipality,
                language="nb",
                submitted=datetime(year, 3, 1 + i % 28, 14, tzinfo=UTC),
                submission_key=f"{survey_round.slug}-{i}",
            )
            response.answers = [
                Answer(
                    round_id=survey_round.id,
                    municipality_code=municipality,
                    question_code=row.question_code,
                    option=row.option,
                    value_num=row.value_num,
                    value_text=row.value_text,
                )
                for row in answer_rows(definition, raw)
            ]
            db.session.add(response)
        db.session.commit()
        return survey_round

    return build


@pytest.fixture
def scored_round(make_user: Callable[..., Any], questionnaires: None) -> TestRound:
    """A service-test round in 5501, 1804 and 0301 with every contact recorded."""
    callers = [make_user("caller"), make_user("caller")]
    protocol = latest_version("servicetest-protocol")
    assert protocol is not None
    test_round = operations.plan(
        None,
        title="Servicetest 2026",
        protocol=protocol,
        year=2026,
        starts_on=date(2026, 9, 7),
        ends_on=date(2026, 9, 25),
        municipalities=["5501", "1804", "0301"],
        callers=[c.id for c in callers],
        seed=7,
        selection={"mode": "list"},
    )
    db.session.commit()
    record_everything(test_round, {"5501": 1.0, "1804": 0.5, "0301": 0.0})
    return test_round
