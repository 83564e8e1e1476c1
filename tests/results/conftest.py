"""Builders for survey results with known counts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from surveyapp.extensions import db
from surveyapp.models import Answer, Municipality, Response, SurveyRound
from surveyapp.questionnaires.cli import load_definitions
from surveyapp.questionnaires.store import latest_version
from tests.conftest import SHIPPED


@pytest.fixture
def add_round(app: Any, questionnaires: None) -> Callable[..., SurveyRound]:
    """add_round("5501", 2025, overall=[5, 4, 2, ...], channel=[...]) with real answer rows."""
    counter = iter(range(1, 1_000_000))

    def build(
        municipality: str,
        year: int,
        overall: Sequence[int | str],
        channel: Sequence[str] | None = None,
        questionnaire: str = "citizen-satisfaction",
    ) -> SurveyRound:
        version = latest_version(questionnaire)
        assert version is not None
        survey_round = SurveyRound(
            slug=f"r{next(counter)}",
            title=f"Runde {year}",
            year=year,
            questionnaire_id=version.id,
            status="closed",
        )
        survey_round.municipalities = [db.session.get(Municipality, municipality)]
        db.session.add(survey_round)
        db.session.flush()
        for i, value in enumerate(overall):
            response = Response(
                round_id=survey_round.id,
                municipality_code=municipality,
                language="nb",
                submitted=datetime(year, 3, 1, tzinfo=UTC),
                submission_key=f"{survey_round.slug}-{i}",
            )
            answers = [
                Answer(
                    round_id=survey_round.id,
                    municipality_code=municipality,
                    question_code="overall",
                    option=str(value),
                    value_num=None if value == "dont_know" else float(value),
                )
            ]
            if channel:
                answers.append(
                    Answer(
                        round_id=survey_round.id,
                        municipality_code=municipality,
                        question_code="channel",
                        option=channel[i % len(channel)],
                    )
                )
            response.answers = answers
            db.session.add(response)
        db.session.commit()
        return survey_round

    return build


@pytest.fixture
def reworded(app: Any, questionnaires: None, tmp_path: Path) -> None:
    """A second version of the citizen survey whose overall question is worded differently."""
    data = yaml.safe_load((SHIPPED / "citizen-satisfaction.yaml").read_text(encoding="utf-8"))
    for section in data["sections"]:
        for question in section["questions"]:
            if question["code"] == "overall":
                question["text"]["nb"] = "Alt i alt, hvor fornøyd er du med kommunen?"
    path = tmp_path / "citizen-satisfaction.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    load_definitions([path])
    db.session.commit()


def satisfied(k: int, n: int) -> list[int]:
    """n answers of which k are satisfied (5) and the rest not (2)."""
    return [5] * k + [2] * (n - k)


def count_queries(engine: Any) -> tuple[list[str], Callable[[], None]]:
    statements: list[str] = []

    def listener(*args: Any) -> None:
        statements.append(str(args[2]))

    sa.event.listen(engine, "before_cursor_execute", listener)
    return statements, lambda: sa.event.remove(engine, "before_cursor_execute", listener)
