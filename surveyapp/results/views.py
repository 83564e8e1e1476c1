"""The planner's dashboard: target, peers, years, questions, groups and the service test."""

from __future__ import annotations

from typing import Any

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
from werkzeug.wrappers import Response as WerkzeugResponse

from surveyapp.accounts.access import PLANNER, access
from surveyapp.municipalities.web import follow_old_numbers
from surveyapp.questionnaires.store import definition_of, latest_version
from surveyapp.results import charts, sentences, stats
from surveyapp.results.loading import (
    my_municipalities,
    own_groups,
    report_for_request,
    visible_municipality,
)
from surveyapp.results.report import (
    build_predecessors,
    predecessor_questionnaires_for,
    survey_questionnaires_for,
)
from surveyapp.typed_numbers import parse_number
from surveyapp.web.routing import whole_number
from surveyapp.web.templating import current_language

bp = Blueprint("results", __name__, url_prefix="/results")
follow_old_numbers(bp, pages=("dashboard", "predecessors"))

MAX_POPULATION = 10**9  # more people than any municipality has; keeps the formulas finite


@bp.get("")
@access(PLANNER)
def index() -> str | WerkzeugResponse:
    municipalities = my_municipalities()
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
    return value, 0 <= value <= 1


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
    elif not 0 < expected < 1:
        errors.append(
            gettext(
                "The expected share must lie strictly between 0 and 100: if every answer is "
                "the same, no margin of error or sample size follows from it."
            )
        )
    if not target_ok or not 0 < target < 1:
        errors.append(gettext("Write the target as a percentage between 0 and 100."))
    if typed_population and population is None:
        errors.append(gettext("The population must be a positive whole number."))
    result: dict[str, Any] = {}
    if not errors:
        result["for_margin"] = stats.sample_size_for_margin(margin, expected, population=population)
        if expected != target:
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


def _titles(available: list[tuple[str, list[int]]]) -> dict[str, dict[str, str]]:
    """The questionnaires' titles (in every language) for the survey choice."""
    titles = {}
    for questionnaire_code, _years in available:
        latest = latest_version(questionnaire_code)
        titles[questionnaire_code] = definition_of(latest).title if latest else {}
    return titles


@bp.get("/<code>")
@access(PLANNER)
def dashboard(code: str) -> str | WerkzeugResponse:
    visible_municipality(code)
    available = survey_questionnaires_for(code)
    if not available and predecessor_questionnaires_for(code):
        # Formed by a merger or split and not asked since: only predecessors' figures.
        return redirect(url_for("results.predecessors", code=code))
    report = report_for_request(code)
    return render_template(
        "results/dashboard.html",
        report=report,
        say=sentences,
        available=available,
        titles=_titles(available),
        groups=own_groups(),
        args=request.args.to_dict(flat=False),
        peers_scope=request.args.get("peers", "all"),
        compare=request.args.getlist("compare"),
    )


@bp.get("/<code>/predecessors")
@access(PLANNER)
def predecessors(code: str) -> str:
    """The figures of the municipalities before this one, each their own (never summed)."""
    municipality = visible_municipality(code)
    available = predecessor_questionnaires_for(code)
    questionnaire = request.args.get("q") or (available[0][0] if available else "")
    if available and questionnaire not in dict(available):
        abort(404)
    found = build_predecessors(
        municipality.code,
        questionnaire,
        min_group_size=current_app.config["SURVEYAPP_MIN_GROUP_SIZE"],
    )
    return render_template(
        "results/predecessors.html",
        report=found,
        available=available,
        titles=_titles(available),
        own=survey_questionnaires_for(code),
        say=sentences,
    )


@bp.get("/<code>/chart/<kind>.<fmt>")
@access(PLANNER)
def chart(code: str, kind: str, fmt: str) -> Response:
    if fmt not in charts.FORMATS:
        abort(404)
    report = report_for_request(code)
    language = current_language()
    body: bytes
    if kind == "trend":
        body = charts.trend_chart(report, language, fmt)
    elif kind == "peers":
        body = charts.peers_chart(report, language, fmt)
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
        body = charts.question_chart(summary, language, fmt, report.min_group_size, report.demo)
    else:
        abort(404)
    response = Response(body, mimetype=charts.FORMATS[fmt])
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


def chart_args(args: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Query arguments for a chart URL that match the page's own."""
    merged = {
        k: v for k, v in args.items() if k in ("q", "year", "peers", "compare", "lang", "pool")
    }
    merged.update(extra)
    return merged


@bp.app_template_global()
def results_chart_args(args: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return chart_args(args, **extra)
