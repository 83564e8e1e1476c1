"""The report a request asks for, loaded and authorised in one place.

The dashboard, its charts, the printable report and every download take the same query
arguments (questionnaire, year, peers, compare) and the same access rule: the one in
``accounts.scope`` (admins see every municipality, planners their own).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, request
from flask_login import current_user

from surveyapp.accounts import scope
from surveyapp.extensions import db
from surveyapp.municipalities import lookup
from surveyapp.municipalities.models import Municipality
from surveyapp.results.models import PeerGroup
from surveyapp.results.report import (
    MunicipalityReport,
    NoData,
    PeerScope,
    build_report,
    survey_questionnaires_for,
)
from surveyapp.surveys.models import SurveyRound, round_municipality
from surveyapp.web.routing import int_arg, whole_number

MAX_COMPARED = 10


def visible_municipality(code: str) -> Municipality:
    """The municipality, if this user may see its results (404 unknown, 403 not theirs)."""
    municipality = db.get_or_404(Municipality, code)
    if not scope.may_see(current_user, code):
        abort(403)
    return municipality


def my_municipalities() -> list[Municipality]:
    """Today's municipalities with survey rounds (under any number they or their
    predecessors had) that this user may see, by name."""
    history = lookup.history()
    today: set[str] = set()
    for code, year in db.session.execute(
        sa.select(round_municipality.c.municipality_code, SurveyRound.year)
        .join(SurveyRound, SurveyRound.id == round_municipality.c.round_id)
        .distinct()
    ):
        found = history.resolve(code, year)
        today |= {m.code for m in found.current} if found else {code}
    query = sa.select(Municipality).where(Municipality.code.in_(today), Municipality.current)
    codes = scope.visible_codes(current_user)
    if codes is not None:
        query = query.where(Municipality.code.in_(codes))
    return list(db.session.scalars(query.order_by(Municipality.name)))


def own_groups() -> list[PeerGroup]:
    return list(
        db.session.scalars(
            sa.select(PeerGroup)
            .where(PeerGroup.owner_id == current_user.id)
            .order_by(PeerGroup.name)
        )
    )


def _peer_scope(municipality: Municipality) -> tuple[PeerScope, list[str] | None]:
    asked = request.args.get("peers", "all")
    if asked == "county":
        return PeerScope("county", municipality.county_name), None
    if asked.startswith("group:"):
        number = asked.split(":", 1)[1]
        group_id = whole_number(number)
        group = db.session.get(PeerGroup, group_id) if group_id is not None else None
        if group is None or group.owner_id != current_user.id:
            abort(404)
        return PeerScope(f"group:{group.id}", group.name), [m.code for m in group.members]
    return PeerScope("all", ""), None


def pooling_asked() -> bool:
    """The planner chose to compare the merged whole (``pool=1``)."""
    return request.args.get("pool") == "1"


def report_for_request(code: str) -> MunicipalityReport:
    """The report this request asks for, if the user may see it (else 403 or 404)."""
    municipality = visible_municipality(code)
    available = survey_questionnaires_for(code)
    if not available:
        abort(404)
    questionnaire = request.args.get("q") or available[0][0]
    years = dict(available).get(questionnaire)
    if not years:
        abort(404)
    year = int_arg("year", high=9999) or years[0]
    peers, members = _peer_scope(municipality)
    compare = [c for c in request.args.getlist("compare") if c.isdigit() and len(c) == 4]
    try:
        return build_report(
            code,
            questionnaire,
            year,
            min_group_size=current_app.config["SURVEYAPP_MIN_GROUP_SIZE"],
            peer_scope=peers.kind,
            peer_scope_name=peers.name,
            group_members=members,
            compare_with=compare[:MAX_COMPARED],
            pool=pooling_asked(),
        )
    except NoData:
        abort(404)
