"""Outside probe: the channel table of an unpublished round is invisible without a
token (and after its publication is taken back), in JSON-stat and CSV; a hidden channel
cannot be worked out from the shown channels and the headline figure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from surveyapp.api import publishing
from surveyapp.extensions import db
from surveyapp.models import SurveyRound
from tests.results.conftest import satisfied
from tests.results.test_channel_breakdown import mark_channels

RESULTS = "/api/v1/results/citizen-satisfaction"
TABLE = f"{RESULTS}/2026/5501/tables/response-channels"


def test_an_unpublished_rounds_channel_table_is_not_found_without_a_token(
    api: FlaskClient, add_round: Callable[..., Any], publish: Callable[..., Any]
) -> None:
    survey_round = add_round("5501", 2026, satisfied(48, 60))
    mark_channels(survey_round.id, ["web"] * 10 + ["paper"] * 4 + ["kiosk"])
    for url in (TABLE, f"{TABLE}?format=csv", f"{RESULTS}/2026/5501"):
        assert api.get(url).status_code == 404, url
    publish(survey_round)
    assert api.get(TABLE).status_code == 200
    publishing.unpublish_survey_round(None, db.session.get(SurveyRound, survey_round.id))  # type: ignore[arg-type]
    db.session.commit()
    for url in (TABLE, f"{TABLE}?format=csv"):
        assert api.get(url).status_code == 404, url


def test_the_hidden_channels_are_two_or_more_with_a_mix_of_answers(
    api: FlaskClient, add_round: Callable[..., Any], publish: Callable[..., Any]
) -> None:
    """The reader's arithmetic: headline k and n minus the shown channels leaves the
    hidden ones' sum, which must not pin any of them down."""
    survey_round = add_round("5501", 2026, satisfied(48, 60))
    mark_channels(survey_round.id, ["web"] * 10 + ["paper"] * 4 + ["kiosk"])
    publish(survey_round)
    report = api.get(f"{RESULTS}/2026/5501").get_json()
    rows = report["channels"]["rows"]
    hidden = [r for r in rows if r["share"]["n"] is None]
    shown = [r["share"] for r in rows if r["share"]["n"] is not None]
    assert len(hidden) >= 2
    headline = report["headline"]
    left_n = headline["n"] - sum(s["n"] for s in shown)
    left_k = headline["k"] - sum(s["k"] for s in shown)
    assert 0 < left_k < left_n  # neither all satisfied nor none: no hidden share is known
    csv_text = api.get(f"{TABLE}?format=csv").get_data(as_text=True)
    for row in hidden:
        line = next(line for line in csv_text.splitlines() if row["value"] in line)
        assert not any(ch.isdigit() for ch in line.split(row["value"], 1)[1].split(",protected")[0])
