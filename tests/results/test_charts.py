"""Standalone charts say what they show: titles, legends, values and n, the demo label,
and SVG text as real text (searchable, readable, translatable)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.extensions import db
from surveyapp.surveys.models import SurveyRound
from tests.results.conftest import satisfied


@pytest.fixture
def planner(make_user: Callable[..., Any], login: Callable[[Any], FlaskClient]) -> Any:
    user = make_user("planner", municipalities=["5501"])
    login(user)
    return user


def _texts(svg: str) -> str:
    """The SVG's text elements' content, as one string."""
    found = re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", t)) for t in found)


def test_svg_text_is_real_text(
    client: FlaskClient, planner: Any, add_round: Callable[..., SurveyRound]
) -> None:
    add_round("5501", 2025, satisfied(70, 100))
    add_round("5501", 2026, satisfied(80, 100))
    svg = client.get("/results/5501/chart/trend.svg?lang=nb").get_data(as_text=True)
    words = _texts(svg)
    # Titled with the questionnaire, not the municipality.
    assert "Hva synes du om servicen i kommunen?" in words
    assert "Tromsø" not in words
    assert "Mål" in words and "2026" in words


def test_the_peers_chart_explains_the_hatching_and_the_target_line(
    client: FlaskClient, planner: Any, add_round: Callable[..., SurveyRound]
) -> None:
    add_round("5501", 2026, satisfied(80, 100))
    add_round("1804", 2026, satisfied(90, 100))
    words = _texts(client.get("/results/5501/chart/peers.svg?lang=en").get_data(as_text=True))
    assert "this municipality" in words
    assert "other municipalities" in words
    assert "Target (80 %)" in words.replace("\u00a0", " ")
    assert "Bodø" in words and "Tromsø" in words


def test_question_charts_show_values_and_n(
    client: FlaskClient, planner: Any, add_round: Callable[..., SurveyRound]
) -> None:
    add_round("5501", 2026, satisfied(78, 100))
    words = _texts(
        client.get("/results/5501/chart/question.svg?lang=nb&question=overall").get_data(
            as_text=True
        )
    ).replace("\u00a0", " ")
    assert "Svar (n = 100)" in words
    assert "78,0 %" in words and "22,0 %" in words


@pytest.mark.parametrize("kind", ["trend", "peers", "question"])
def test_every_chart_of_demo_data_carries_the_demo_label(
    client: FlaskClient, planner: Any, add_round: Callable[..., SurveyRound], kind: str
) -> None:
    made = add_round("5501", 2026, satisfied(80, 100))
    url = f"/results/5501/chart/{kind}.svg?lang=nb&question=overall"
    assert "Demodata" not in _texts(client.get(url).get_data(as_text=True))
    db.session.execute(sa.update(SurveyRound).where(SurveyRound.id == made.id).values(is_demo=True))
    db.session.commit()
    assert "Demodata – fiktive tall" in _texts(client.get(url).get_data(as_text=True))
