"""The dashboard shows answers per channel apart, small channels hidden as any breakdown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.extensions import db
from surveyapp.models import Response
from surveyapp.results.report import build_report
from tests.results.conftest import satisfied


def _mark(round_id: int, channels: list[str]) -> None:
    """Give the round's responses these channels, in turn."""
    ids = sorted(db.session.scalars(sa.select(Response.id).where(Response.round_id == round_id)))
    for index, response_id in enumerate(ids):
        db.session.execute(
            sa.update(Response)
            .where(Response.id == response_id)
            .values(channel=channels[index % len(channels)])
        )
    db.session.commit()


def test_channels_are_shown_apart_and_small_ones_hidden_with_a_protector(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    add_round: Callable[..., Any],
) -> None:
    login(make_user("planner", municipalities=["5501"]))
    survey_round = add_round("5501", 2026, satisfied(48, 60))
    # 40 web, 16 paper, 4 kiosk: the kiosk is small, and the smallest other is hidden
    # too, or it could be worked out from the total.
    _mark(survey_round.id, ["web"] * 10 + ["paper"] * 4 + ["kiosk"])
    report = build_report("5501", "citizen-satisfaction", 2026)
    assert report.channels is not None
    shown = {row.value: row.share for row in report.channels.rows}
    assert set(shown) == {"web", "paper", "kiosk"}
    assert shown["kiosk"].protected and shown["kiosk"].proportion is None
    assert shown["paper"].protected  # secondary suppression
    assert shown["web"].proportion is not None and shown["web"].n == 40
    page = client.get("/results/5501?lang=en").get_data(as_text=True)
    assert "Share satisfied by channel" in page
    assert "Paper form" in page and "Open link" in page


def test_one_channel_only_needs_no_breakdown(add_round: Callable[..., Any]) -> None:
    add_round("5501", 2026, satisfied(40, 50))
    assert build_report("5501", "citizen-satisfaction", 2026).channels is None
