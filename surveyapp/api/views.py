"""The read-only open-data API under /api/v1/ (flask-smorest: the OpenAPI document at
/api/v1/openapi.json is generated from these views and their schemas).

Thin views: who asks (``http.client``), the data version for the ETag (304 before
anything is built), one call to ``data``/``tables``, then the answer with its caching
headers. Unpublished rounds are 404 without a token; a token outside its owner's scope
gets 403.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_smorest import Blueprint, abort
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response as WerkzeugResponse

from surveyapp import formatting
from surveyapp.accounts.access import PUBLIC, access
from surveyapp.api import catalog, data, schemas, tables
from surveyapp.api.http import cache_headers, client, not_modified
from surveyapp.api.jsonstat import Cube, to_csv, to_jsonstat
from surveyapp.municipalities import phrases
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.questionnaires.store import definition_of
from surveyapp.results.report import (
    Breakdown,
    MunicipalityReport,
    NoData,
    OptionShare,
    QuestionSummary,
    Share,
)
from surveyapp.web.templating import current_language


class Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400  # a bad query argument is a bad request, not 422


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = Parser()


bp = ApiBlueprint(
    "api",
    __name__,
    url_prefix="/api/v1",
    description="Published results of citizen surveys and service tests (read-only).",
)

ERRORS = {
    400: "The request is not valid (a query argument).",
    401: "The API token is unknown, expired or revoked.",
    403: "The token's owner may not see this.",
    404: "Not found, or not published (without a token).",
    429: "Too many requests from this client; see Retry-After.",
}
CSV_TYPE = "text/csv; charset=utf-8"
CSV_SCHEMA = {
    "type": "string",
    "description": "CSV (RFC 4180): a header line, then one line per row",
}
JSONLD_TYPE = "application/ld+json"


def documented_errors(*codes: int) -> Any:
    """Document the JSON errors a view may answer (and 304 for conditional requests)."""

    def decorate(view: Any) -> Any:
        for code in codes:
            view = bp.alt_response(code, schema=schemas.ErrorSchema, description=ERRORS[code])(view)
        return bp.alt_response(
            304, description="Not modified: the data behind the ETag sent in If-None-Match"
        )(view)

    return decorate


def absolute(endpoint: str, **values: Any) -> str:
    """An address on SURVEYAPP_BASE_URL (catalogues harvest these)."""
    base = str(current_app.config["SURVEYAPP_BASE_URL"]).rstrip("/")
    return base + url_for(endpoint, **values)


def _link(endpoint: str, **values: Any) -> dict[str, str]:
    return {
        "jsonstat": absolute(endpoint, format="jsonstat", **values),
        "csv": absolute(endpoint, format="csv", **values),
    }


def _version(*parts: Any, fmt: str = "json") -> str:
    """ETag: the data's version, and everything else the body depends on."""
    who = client()
    codes = who.codes
    scope = None if who.owner is None else (sorted(codes) if codes is not None else "all")
    return data.digest(
        *parts,
        fmt,
        current_language(),
        scope,
        current_app.config["SURVEYAPP_MIN_GROUP_SIZE"],
        current_app.config["SURVEYAPP_BASE_URL"],
    )


def _json(payload: Any, etag: str, mimetype: str = "application/json") -> Response:
    response = current_app.response_class(current_app.json.dumps(payload) + "\n", mimetype=mimetype)
    return cache_headers(response, etag)


def _table(cube: Cube, fmt: str, etag: str, filename: str) -> Response:
    if fmt == "csv":
        response = Response(to_csv(cube), content_type=CSV_TYPE)
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return cache_headers(response, etag)
    return _json(to_jsonstat(cube), etag)


def _source() -> str:
    return str(current_app.config["SURVEYAPP_PUBLISHER_NAME"])


def _updated(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def _min_group_size() -> int:
    return int(current_app.config["SURVEYAPP_MIN_GROUP_SIZE"])


# --------------------------------------------------------------------------- catalogue


@bp.route("/catalog")
@access(PUBLIC)
@bp.response(200, content_type=JSONLD_TYPE, description="DCAT-AP-NO catalogue (JSON-LD)")
@documented_errors(429)
def catalogue() -> Response:
    """The published datasets as a DCAT-AP-NO catalogue (JSON-LD), for data.norge.no."""
    published = data.catalogue_entries()
    etag = _version("catalog", published.version)
    return not_modified(etag) or _json(
        catalog.build(published, catalog.Settings.from_config(current_app.config, absolute)),
        etag,
        JSONLD_TYPE,
    )


# --------------------------------------------------------------------------- questionnaires


def _question(question: Any, indicator: str | None) -> dict[str, Any]:
    return {
        "code": question.code,
        "type": question.type,
        "text": question.text,
        "fingerprint": question.fingerprint,
        "options": [{"value": str(o.value), "label": o.label} for o in question.options],
        "dont_know": question.dont_know,
        "show_if": (
            {
                "question": question.show_if.question,
                "values": [str(v) for v in question.show_if.values],
            }
            if question.show_if
            else None
        ),
        "indicator": question.code == indicator,
    }


@bp.route("/questionnaires")
@access(PUBLIC)
@bp.arguments(schemas.LanguageQuery, location="query")
@bp.response(200, schemas.QuestionnaireSummary(many=True))
@documented_errors(400, 401, 429)
def questionnaires(_args: dict[str, Any]) -> Any:
    """Survey questionnaires with published rounds (with a token: also the owner's)."""
    versions = data.visible_questionnaires(client())
    etag = _version("questionnaires", [(q.id, q.content_hash) for q in versions])
    if (cached := not_modified(etag)) is not None:
        return cached
    by_code: dict[str, list[Questionnaire]] = {}
    for version in versions:
        by_code.setdefault(version.code, []).append(version)
    items = []
    for code, found in by_code.items():
        definition = definition_of(found[0])
        items.append(
            {
                "code": code,
                "kind": found[0].kind,
                "title": definition.title,
                "versions": [v.version for v in found],
                "url": absolute("api.questionnaire", code=code),
                "national_table": (
                    _link("api.national", questionnaire=code) if definition.indicator else None
                ),
            }
        )
    return _json(schemas.QuestionnaireSummary(many=True).dump(items), etag)


@bp.route("/questionnaires/<code>")
@access(PUBLIC)
@bp.arguments(schemas.LanguageQuery, location="query")
@bp.response(200, schemas.QuestionnaireDetail)
@documented_errors(400, 401, 404, 429)
def questionnaire(_args: dict[str, Any], code: str) -> Any:
    """A questionnaire's versions and questions: texts in three languages, fingerprints."""
    versions = [q for q in data.visible_questionnaires(client()) if q.code == code]
    if not versions:
        abort(404)
    etag = _version("questionnaire", code, [(q.id, q.content_hash) for q in versions])
    if (cached := not_modified(etag)) is not None:
        return cached
    listed: list[dict[str, Any]] = []
    body = {"code": code, "kind": versions[0].kind, "versions": listed}
    for version in versions:
        definition = definition_of(version)
        indicator = definition.indicator.question if definition.indicator else None
        listed.append(
            {
                "version": version.version,
                "title": definition.title,
                "content_hash": version.content_hash,
                "loaded_at": version.loaded_at,
                "questions": [_question(q, indicator) for q in definition.questions],
            }
        )
    return _json(schemas.QuestionnaireDetail().dump(body), etag)


# --------------------------------------------------------------------------- rounds


def _round(info: data.RoundInfo) -> dict[str, Any]:
    survey_round = info.survey_round
    return {
        "id": survey_round.id,
        "title": survey_round.title,
        "questionnaire": survey_round.questionnaire.code,
        "questionnaire_version": survey_round.questionnaire.version,
        "year": survey_round.year,
        "period": survey_round.period,
        "status": survey_round.status,
        "target": survey_round.target,
        "municipalities": info.municipalities,
        "published": info.published_at is not None,
        "published_at": info.published_at,
        "results": {
            code: absolute(
                "api.results",
                questionnaire=survey_round.questionnaire.code,
                year=survey_round.year,
                municipality=code,
            )
            for code in info.municipalities
        },
    }


@bp.route("/rounds")
@access(PUBLIC)
@bp.arguments(schemas.LanguageQuery, location="query")
@bp.response(200, schemas.RoundSchema(many=True))
@documented_errors(400, 401, 429)
def rounds(_args: dict[str, Any]) -> Any:
    """Published survey rounds (with a token: also the rounds its owner may see)."""
    found = data.visible_rounds(client())
    etag = _version(
        "rounds",
        [
            (i.survey_round.id, i.survey_round.status, i.published_at, i.municipalities)
            for i in found
        ],
    )
    return not_modified(etag) or _json(
        schemas.RoundSchema(many=True).dump([_round(i) for i in found]), etag
    )


@bp.route("/rounds/<int:round_id>")
@access(PUBLIC)
@bp.arguments(schemas.LanguageQuery, location="query")
@bp.response(200, schemas.RoundSchema)
@documented_errors(400, 401, 403, 404, 429)
def round_detail(_args: dict[str, Any], round_id: int) -> Any:
    """One survey round: 404 unless published (or visible to the token's owner)."""
    try:
        info = data.round_for(client(), round_id)
    except data.Hidden:
        abort(403)
    if info is None:
        abort(404)
    assert info is not None  # abort raises
    etag = _version(
        "round", round_id, info.survey_round.status, info.published_at, info.municipalities
    )
    return not_modified(etag) or _json(schemas.RoundSchema().dump(_round(info)), etag)


# --------------------------------------------------------------------------- results


def share_out(share: Share) -> dict[str, Any]:
    """A share as plain data: exact figures, the figures as shown, or why it is hidden."""
    values, status = tables.share_values(share)
    shown = status is None and share.proportion is not None
    proportion = share.proportion
    return {
        "status": status,
        "k": values.get("k"),
        "n": values.get("n"),
        "share": proportion.share if shown and proportion else None,
        "low": proportion.interval.low if shown and proportion else None,
        "high": proportion.interval.high if shown and proportion else None,
        "share_percent": values.get("share"),
        "low_percent": values.get("low"),
        "high_percent": values.get("high"),
        "interval_method": proportion.interval.method if shown and proportion else None,
        "verdict": values.get("verdict"),
    }


def _option_out(option: OptionShare) -> dict[str, Any]:
    if option.protected:
        return {
            "value": option.value,
            "label": option.label,
            "status": tables.PROTECTED,
            "count": None,
            "share": None,
        }
    if option.share.proportion is None:
        return {
            "value": option.value,
            "label": option.label,
            "status": tables.EXCLUDED,
            "count": option.count,
            "share": None,
        }
    return {
        "value": option.value,
        "label": option.label,
        "status": None,
        "count": option.count,
        "share": share_out(option.share),
    }


def _group_out(breakdown: Breakdown) -> dict[str, Any]:
    return {
        "question": breakdown.question.code,
        "whole_hidden": breakdown.whole_hidden,
        "hidden_groups": breakdown.hidden_groups,
        "rows": [
            {"value": r.value, "label": r.label, "share": share_out(r.share)}
            for r in breakdown.rows
        ],
    }


def _question_out(summary: QuestionSummary) -> dict[str, Any]:
    question = summary.question
    hidden = summary.protected or summary.suppressed
    status = (
        tables.PROTECTED
        if summary.protected
        else tables.SMALL
        if summary.suppressed and summary.n > 0
        else (tables.EMPTY if summary.suppressed else None)
    )
    numeric = summary.numeric
    return {
        "code": question.code,
        "type": question.type,
        "text": question.text,
        "status": status,
        "n": None if hidden else summary.n,
        "dont_know": None if hidden else summary.dont_know,
        "options": [] if hidden else [_option_out(o) for o in summary.options],
        "mean": summary.mean.mean if summary.mean and not hidden else None,
        "index": summary.index.mean if summary.index and not hidden else None,
        "numeric": (
            {"n": numeric.n, "mean": numeric.mean, "low": numeric.low, "high": numeric.high}
            if numeric is not None and not hidden
            else None
        ),
    }


def report_out(report: MunicipalityReport) -> dict[str, Any]:
    change = report.change
    service_test = report.service_test
    args = {
        "questionnaire": report.questionnaire_code,
        "year": report.year,
        "municipality": report.municipality.code,
    }
    return {
        "municipality": {
            "code": report.municipality.code,
            "name": report.municipality.name,
            "county": report.municipality.county_name,
        },
        "questionnaire": report.questionnaire_code,
        "title": report.definition.title,
        "year": report.year,
        "years": report.years,
        "target": report.target,
        "min_group_size": report.min_group_size,
        "responses": report.responses,  # shown on the dashboard too
        "headline": share_out(report.headline),
        "change": (
            {
                "estimate": change.estimate,
                "low": change.interval.low,
                "high": change.interval.high,
                "p_value": change.p_value,
                "direction": change.direction,
                "test_agrees": change.agrees,
                "since": report.previous.year if report.previous else None,
            }
            if change is not None
            else None
        ),
        "trend": [
            {
                "year": p.year,
                # The number and name the municipality had that year (its years under an
                # earlier number are its own: Tromsø's 2019 was 1902's).
                "number": p.then.code if p.then else report.municipality.code,
                "name": p.then.name if p.then else report.municipality.name,
                "fingerprint": p.fingerprint,
                "comparable": p.comparable,
                "wording_changed": p.break_before,
                "share": share_out(p.share),
            }
            for p in report.trend
        ],
        "peers": [
            {
                "code": p.code,
                "name": p.name,
                "county": p.county,
                "own": p.is_own,
                "number_then": p.then.code if p.then and p.then.code != p.code else None,
                "now_part_of": list(p.part_of),
                "share": share_out(p.share),
            }
            for p in report.peers
        ],
        "groups": [_group_out(b) for b in report.breakdowns],
        "channels": _group_out(report.channels) if report.channels is not None else None,
        "questions": [_question_out(q) for q in report.questions],
        "service_test": (
            {
                "round_id": service_test.round_id,
                "title": service_test.title,
                "locked": service_test.locked,
                "score": service_test.score,
                "rank": service_test.rank,
                "ranked": service_test.ranked,
                "quartile": service_test.quartile,
                "national_average": service_test.national_average,
            }
            if service_test is not None
            else None
        ),
        "tables": {
            name: _link("api.results_table", table=name, **args)
            for name in tables.table_names(report)
        },
    }


def _old_number(year: int, municipality: str) -> WerkzeugResponse | None:
    """A number no longer in use: the same URL under today's number when it was only
    renumbered (301), else 404 saying what became of it (merged or split: its figures are
    its own, kept as a predecessor's)."""
    old = data.old_number(municipality, year)
    if old is None:
        return None
    said = phrases.old_number(old, current_language())
    if old.continuous:
        values: dict[str, Any] = {
            **request.args.to_dict(flat=False),
            **(request.view_args or {}),
            "municipality": old.now[0][0],
        }
        target = url_for(str(request.endpoint), **values)
        return redirect(target, 301)
    raise NotFound(
        description=" ".join(
            [
                said,
                _(
                    "Its figures are kept as its own, under today's municipality as a "
                    "predecessor's: they are not added to anyone else's."
                ),
            ]
        )
    )


def _report(questionnaire: str, year: int, municipality: str) -> MunicipalityReport:
    try:
        return data.report_for(client(), questionnaire, year, municipality, _min_group_size())
    except NoData:
        abort(404)
        raise  # unreachable: abort raises


MOVED = (
    "A number no longer in use, only renumbered since: the same URL under today's number "
    "(Location). A merged or split one answers 404 saying what became of it."
)


@bp.route("/results/<questionnaire>/<int:year>/<string(length=4):municipality>")
@access(PUBLIC)
@bp.arguments(schemas.LanguageQuery, location="query")
@bp.response(200, schemas.ReportSchema)
@bp.alt_response(301, description=MOVED)
@documented_errors(400, 401, 404, 429)
def results(_args: dict[str, Any], questionnaire: str, year: int, municipality: str) -> Any:
    """A municipality's results for a year: what its dashboard shows (share satisfied with
    n, interval and verdict, years, peers, groups, every question, the service test).
    A number no longer in use answers with today's (301) or says what became of it."""
    if (moved := _old_number(year, municipality)) is not None:
        return moved
    etag = _version(data.report_version(client(), questionnaire, year, municipality))
    if (cached := not_modified(etag)) is not None:
        return cached
    report = _report(questionnaire, year, municipality)
    return _json(schemas.ReportSchema().dump(report_out(report)), etag)


@bp.route("/results/<questionnaire>/<int:year>/<string(length=4):municipality>/tables/<table>")
@access(PUBLIC)
@bp.arguments(schemas.TableQuery, location="query")
@bp.response(200, schemas.JsonStatSchema, description="JSON-stat 2.0 dataset")
@bp.alt_response(
    200,
    schema=CSV_SCHEMA,
    content_type="text/csv",
    description="CSV, one line per row",
    success=True,
)
@bp.alt_response(301, description=MOVED)
@documented_errors(400, 401, 404, 429)
def results_table(
    args: dict[str, Any], questionnaire: str, year: int, municipality: str, table: str
) -> Any:
    """One of a report's tables (years, peers, groups-QUESTION, response-channels,
    answers-QUESTION) as JSON-stat 2.0 or CSV; hidden cells have no value and a status
    saying why."""
    if (moved := _old_number(year, municipality)) is not None:
        return moved
    fmt = args["format"]
    etag = _version(
        data.report_version(client(), questionnaire, year, municipality), table, fmt=fmt
    )
    if (cached := not_modified(etag)) is not None:
        return cached
    report = _report(questionnaire, year, municipality)
    meta = tables.Meta(
        title=formatting.pick(report.definition.title, current_language()),
        source=_source(),
        updated="",
        language=current_language(),
    )
    cube = tables.report_cube(report, table, meta)
    if cube is None:
        abort(404)
    assert cube is not None
    return _table(cube, fmt, etag, f"{questionnaire}-{year}-{municipality}-{table}")


@bp.route("/national/<questionnaire>")
@access(PUBLIC)
@bp.arguments(schemas.TableQuery, location="query")
@bp.response(200, schemas.JsonStatSchema, description="JSON-stat 2.0 dataset")
@bp.alt_response(
    200,
    schema=CSV_SCHEMA,
    content_type="text/csv",
    description="CSV, one line per row",
    success=True,
)
@documented_errors(400, 401, 404, 429)
def national(args: dict[str, Any], questionnaire: str) -> Any:
    """Share satisfied per municipality and year: each cell as that municipality's
    dashboard shows it for that year (n, interval, verdict against its target)."""
    fmt = args["format"]
    etag = _version(data.national_version(client(), questionnaire), fmt=fmt)
    if (cached := not_modified(etag)) is not None:
        return cached
    found = data.national_data(client(), questionnaire, _min_group_size())
    if found is None or not found.cells:
        abort(404)
    assert found is not None
    language = current_language()
    meta = tables.Meta(
        title=_(
            "%(survey)s: share satisfied per municipality and year",
            survey=formatting.pick(found.info.title, language),
        ),
        source=_source(),
        updated=_updated(found.updated),
        language=language,
    )
    cube = tables.national_cube(
        found.info.question,
        found.info.text,
        found.municipalities,
        found.years,
        found.cells,
        meta,
        _min_group_size(),
    )
    return _table(cube, fmt, etag, f"{questionnaire}-national")


# --------------------------------------------------------------------------- service test


def _test_round(test_round: Any, published_at: datetime | None) -> dict[str, Any]:
    return {
        "id": test_round.id,
        "title": test_round.title,
        "year": test_round.year,
        "status": test_round.status,
        "published": published_at is not None,
        "published_at": published_at,
        "ranking": _link("api.ranking", round_id=test_round.id),
    }


@bp.route("/servicetest")
@access(PUBLIC)
@bp.arguments(schemas.LanguageQuery, location="query")
@bp.response(200, schemas.TestRoundSchema(many=True))
@documented_errors(400, 401, 429)
def test_rounds(_args: dict[str, Any]) -> Any:
    """Published service-test rounds (with a token: also those its owner may see)."""
    found = data.visible_test_rounds(client())
    etag = _version("test_rounds", [(r.id, r.status, moment) for r, moment in found])
    return not_modified(etag) or _json(
        schemas.TestRoundSchema(many=True).dump([_test_round(r, m) for r, m in found]), etag
    )


@bp.route("/servicetest/<int:round_id>/ranking")
@access(PUBLIC)
@bp.arguments(schemas.TableQuery, location="query")
@bp.response(200, schemas.JsonStatSchema, description="JSON-stat 2.0 dataset")
@bp.alt_response(
    200,
    schema=CSV_SCHEMA,
    content_type="text/csv",
    description="CSV, one line per row",
    success=True,
)
@documented_errors(400, 401, 403, 404, 429)
def ranking(args: dict[str, Any], round_id: int) -> Any:
    """A service-test round's scores, ranks, grades and quartile bands per municipality,
    and its scores per channel and sector."""
    fmt = args["format"]
    try:
        found = data.test_round_for(client(), round_id)
    except data.Hidden:
        abort(403)
    if found is None:
        abort(404)
    assert found is not None
    test_round, published_at, rows_of = found
    etag = _version(data.test_round_version(test_round, published_at, rows_of), fmt=fmt)
    if (cached := not_modified(etag)) is not None:
        return cached
    rows, channels, sectors = data.ranking_rows(test_round, rows_of)
    meta = tables.Meta(
        title=test_round.title,
        source=_source(),
        updated=_updated(published_at),
        language=current_language(),
    )
    cube = tables.ranking_cube(rows, channels, sectors, test_round.year, meta)
    return _table(cube, fmt, etag, f"servicetest-{round_id}-ranking")
