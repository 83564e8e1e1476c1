"""The planner's dashboard: target, peers, years, questions, groups and the service test."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from surveyapp.accounts.access import ADMIN, PLANNER, access
from surveyapp.extensions import db
from surveyapp.municipalities.models import Municipality
from surveyapp.questionnaires.store import definition_of, latest_version
from surveyapp.results import charts, stats
from surveyapp.results.models import PeerGroup
from surveyapp.results.report import (
    MunicipalityReport,
    NoData,
    build_report,
    survey_questionnaires_for,
)
from surveyapp.surveys.models import round_municipality
from surveyapp.typed_numbers import parse_number
from surveyapp.web.routing import int_arg, whole_number
from surveyapp.web.templating import current_language

bp = Blueprint("results", __name__, url_prefix="/results")

MAX_POPULATION = 10**9  # more people than any municipality has; keeps the formulas finite


def _allowed(code: str) -> Municipality:
    """The municipality, if this user may see its full results."""
    municipality = db.get_or_404(Municipality, code)
    if current_user.role != ADMIN and code not in current_user.municipality_codes():
        abort(403)
    return municipality


def _my_municipalities() -> list[Municipality]:
    if current_user.role == ADMIN:
        codes = db.session.scalars(
            sa.select(round_municipality.c.municipality_code).distinct()
        ).all()
        return list(
            db.session.scalars(
                sa.select(Municipality)
                .where(Municipality.code.in_(codes))
                .order_by(Municipality.name)
            )
        )
    return sorted(current_user.municipalities, key=lambda m: m.name)


def _groups() -> list[PeerGroup]:
    return list(
        db.session.scalars(
            sa.select(PeerGroup)
            .where(PeerGroup.owner_id == current_user.id)
            .order_by(PeerGroup.name)
        )
    )


def _report_from_request(code: str) -> MunicipalityReport:
    municipality = _allowed(code)
    available = survey_questionnaires_for(code)
    if not available:
        abort(404)
    questionnaire = request.args.get("q") or available[0][0]
    years = dict(available).get(questionnaire)
    if not years:
        abort(404)
    year = int_arg("year", high=9999) or years[0]
    scope = request.args.get("peers", "all")
    members: list[str] | None = None
    label = gettext("all municipalities with this survey")
    if scope == "county":
        label = gettext("municipalities in %(county)s", county=municipality.county_name)
    elif scope.startswith("group:"):
        group_id = whole_number(scope.split(":", 1)[1])
        group = db.session.get(PeerGroup, group_id) if group_id is not None else None
        if group is None or group.owner_id != current_user.id:
            abort(404)
        members = [m.code for m in group.members]
        label = gettext("the group “%(name)s”", name=group.name)
    else:
        scope = "all"
    compare = [c for c in request.args.getlist("compare") if c.isdigit() and len(c) == 4][:10]
    try:
        return build_report(
            code,
            questionnaire,
            year,
            min_group_size=current_app.config["SURVEYAPP_MIN_GROUP_SIZE"],
            peer_scope=scope,
            peer_label=label,
            group_members=members,
            compare_with=compare,
        )
    except NoData:
        abort(404)


@bp.get("")
@access(PLANNER)
def index() -> str | WerkzeugResponse:
    municipalities = _my_municipalities()
    if len(municipalities) == 1:
        return redirect(url_for("results.dashboard", code=municipalities[0].code))
    return render_template("results/index.html", municipalities=municipalities)


def _percent_arg(name: str, default: float) -> tuple[float, bool]:
    """A share from a query argument written as percent ("5", "2,5") or share ("0.05")."""
    raw = (request.args.get(name) or "").strip().rstrip("%").strip()
    if not raw:
        return default, True
    value = parse_number(raw)  # ASCII digits, bounded, finite ("1e400" and "٥" are not)
    if value is None:
        return default, False
    value = value / 100 if value >= 1 else value
    return value, 0 < value < 1


@bp.get("/sample-size")
@access(PLANNER)
def sample_size() -> str:
    """Answers a round needs: for a margin of error, and to tell a share from the target."""
    margin, margin_ok = _percent_arg("margin", 0.05)
    expected, expected_ok = _percent_arg("share", 0.5)
    target, target_ok = _percent_arg("target", current_app.config["SURVEYAPP_DEFAULT_TARGET"])
    typed_population = (request.args.get("population") or "").strip()
    population = whole_number(typed_population, high=MAX_POPULATION) if typed_population else None
    errors = []
    if not margin_ok or not 0 < margin < 0.5:
        errors.append(gettext("Write the margin of error as a percentage between 0 and 50."))
    if not expected_ok:
        errors.append(gettext("Write the expected share as a percentage between 0 and 100."))
    if not target_ok:
        errors.append(gettext("Write the target as a percentage between 0 and 100."))
    if typed_population and population is None:
        errors.append(gettext("The population must be a positive whole number."))
    result: dict[str, Any] = {}
    if not errors:
        result["for_margin"] = stats.sample_size_for_margin(margin, expected, population=population)
        if abs(expected - target) >= 0.005:
            result["to_distinguish"] = stats.sample_size_to_distinguish(expected, target)
        result["margins"] = [
            (n, stats.margin_of_error(n, expected, population=population))
            for n in (100, 200, 300, 400, 600, 1000)
            if population is None or n <= population
        ]
    return render_template(
        "results/sample_size.html",
        margin=margin,
        expected=expected,
        target=target,
        population=population,
        errors=errors,
        result=result,
    )


@bp.get("/<code>")
@access(PLANNER)
def dashboard(code: str) -> str:
    report = _report_from_request(code)
    decimals = stats.display_decimals(report.comparison) if report.comparison else 1
    available = survey_questionnaires_for(code)
    titles = {}
    for questionnaire_code, _years in available:
        latest = latest_version(questionnaire_code)
        titles[questionnaire_code] = definition_of(latest).title if latest else {}
    return render_template(
        "results/dashboard.html",
        report=report,
        decimals=decimals,
        available=available,
        titles=titles,
        groups=_groups(),
        args=request.args.to_dict(flat=False),
        peers_scope=request.args.get("peers", "all"),
        compare=request.args.getlist("compare"),
    )


@bp.get("/<code>/chart/<kind>.<fmt>")
@access(PLANNER)
def chart(code: str, kind: str, fmt: str) -> Response:
    if fmt not in charts.FORMATS:
        abort(404)
    report = _report_from_request(code)
    language = current_language()
    body: bytes
    if kind == "trend":
        body = charts.trend_chart(report, language, gettext, fmt)
    elif kind == "peers":
        body = charts.peers_chart(report, language, gettext, fmt)
    elif kind == "question":
        wanted = request.args.get("question", "")
        summary = next(
            (
                q
                for q in report.questions
                if q.question.code == wanted and q.options and not q.suppressed
            ),
            None,
        )
        if summary is None:
            abort(404)
        body = charts.question_chart(summary, language, gettext, fmt)
    else:
        abort(404)
    response = Response(body, mimetype=charts.FORMATS[fmt])
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


def chart_args(args: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Query arguments for a chart URL that match the page's own."""
    merged = {k: v for k, v in args.items() if k in ("q", "year", "peers", "compare", "lang")}
    merged.update(extra)
    return merged


@bp.app_template_global()
def results_chart_args(args: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return chart_args(args, **extra)
