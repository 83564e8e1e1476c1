"""Published-results pages of the service test: county lists, the press summary, and a
municipality's results over the rounds (table and chart)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, render_template
from flask_login import current_user

from surveyapp.accounts import scope
from surveyapp.accounts.access import ADMIN, PLANNER, access
from surveyapp.extensions import db
from surveyapp.municipalities.models import Municipality
from surveyapp.servicetest import cache, charts, lists, operations, scoring
from surveyapp.servicetest.admin import _county_of, _load_round, _names_with_units
from surveyapp.servicetest.models import TestRound, test_round_municipality
from surveyapp.servicetest.press import press_summary
from surveyapp.servicetest.trends import RoundPoint, trend
from surveyapp.web.templating import current_language

bp = Blueprint("servicetest_results", __name__, url_prefix="/servicetest")

LANGUAGES = ("nb", "nn", "en")


@bp.get("/<int:round_id>/counties")
@access(PLANNER)
def counties(round_id: int) -> str:
    """Every county's list with its average, passes, best and worst; planners see the
    names of their own municipalities only (the rest in aggregate, as on the ranking)."""
    test_round = _load_round(round_id)
    result = cache.scored_round(test_round)
    county_lists = lists.county_lists(result, _county_of())
    return render_template(
        "servicetest/counties.html",
        test_round=test_round,
        result=result,
        national=lists.national_list(result),
        county_lists=county_lists,
        names=_names_with_units(),
        allowed=scope.visible_codes(current_user),
    )


@bp.get("/<int:round_id>/press")
@access(ADMIN)
def press(round_id: int) -> str:
    """The press summary generated from the data, in bokmål, nynorsk and English."""
    test_round = _load_round(round_id)
    protocol = operations.protocol_of(test_round)
    result = cache.scored_round(test_round)
    facts = scoring.press_facts(result, list(protocol.sectors))
    titles = {code: sector.title for code, sector in protocol.sectors.items()}
    names = _names_with_units()
    summaries = {language: press_summary(facts, names, titles, language) for language in LANGUAGES}
    return render_template(
        "servicetest/press.html",
        test_round=test_round,
        result=result,
        facts=facts,
        summaries=summaries,
        names=names,
    )


def _trend_points(code: str) -> list[RoundPoint]:
    """The municipality's result in every round that covered it (units rolled up)."""
    rounds = db.session.scalars(
        sa.select(TestRound)
        .join(test_round_municipality, test_round_municipality.c.test_round_id == TestRound.id)
        .where(test_round_municipality.c.municipality_code == code)
        .order_by(TestRound.year, TestRound.id)
    ).all()
    points: list[RoundPoint] = []
    for test_round in rounds:
        protocol = operations.protocol_of(test_round)
        result = cache.scored_round(test_round, roll_up=True)
        try:
            own = result.municipality(code)
        except KeyError:
            continue  # not tested in that round (listed there as such)
        points.append(
            RoundPoint(
                round_id=test_round.id,
                title=test_round.title,
                year=test_round.year,
                locked=test_round.status == "locked",
                fingerprint=protocol.scoring_fingerprint,
                score=own.score,
                rank=own.rank,
                ranked=result.ranked,
                band=dict(own.band.label) if own.band else None,
                passed=own.passed,
                pass_mark=result.pass_mark,
                channels=dict(own.channel_scores),
                sectors=dict(own.sector_scores),
                demo=test_round.is_demo,
            )
        )
    return trend(points)


def _load_municipality(code: str) -> Municipality:
    if not scope.may_see(current_user, code):
        abort(403)
    return db.get_or_404(Municipality, code)


@bp.get("/trend/<code>")
@access(PLANNER)
def municipality_trend(code: str) -> str:
    """The municipality's service-test results over the rounds, per channel and sector."""
    place = _load_municipality(code)
    points = _trend_points(code)
    sector_titles: dict[str, dict[str, str]] = {}
    channels: list[str] = []
    for point in points:
        protocol = operations.protocol_of(db.session.get(TestRound, point.round_id))  # type: ignore[arg-type]
        for sector_code, sector in protocol.sectors.items():
            sector_titles.setdefault(sector_code, dict(sector.title))
        channels += [name for name in protocol.channels.names if name not in channels]
    return render_template(
        "servicetest/trend.html",
        place=place,
        points=points,
        sector_titles=sector_titles,
        channels=channels,
    )


@bp.get("/trend/<code>/chart.svg")
@access(PLANNER)
def trend_chart(code: str) -> Response:
    place = _load_municipality(code)
    body = charts.trend_chart(place.name, _trend_points(code), current_language())
    response = Response(body, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/<int:round_id>/press.pdf")
@access(ADMIN)
def press_pdf(round_id: int) -> Response:
    """The press summary in the request's language as a tagged PDF (PDF/UA-1)."""
    from surveyapp.exports.press_pdf import PressSheet, build_pdf

    test_round = _load_round(round_id)
    protocol = operations.protocol_of(test_round)
    result = cache.scored_round(test_round)
    facts = scoring.press_facts(result, list(protocol.sectors))
    titles = {code: sector.title for code, sector in protocol.sectors.items()}
    language = current_language()
    sheet = PressSheet(
        round_title=test_round.title,
        locked=test_round.status == "locked",
        lines=tuple(press_summary(facts, _names_with_units(), titles, language)),
        demo=bool(test_round.is_demo),
    )
    response = Response(build_pdf(sheet, language), mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="press-{test_round.id}-{language}.pdf"'
    )
    return response
