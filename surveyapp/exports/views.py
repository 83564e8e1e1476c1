"""Downloads: the municipality workbook, the figures and answers as CSV, the service test.

Same query arguments and access rules as the dashboard (``loading.report_for_request``):
planners only for their own municipalities, admins for all. Answers row by row need the
raw-data right on top (``User.raw_data``, granted by an admin), never come from a round
with fewer responses in the municipality than the minimum, follow the report's hidden
groups, and hold free text only when asked for. Every download is recorded in the audit
trail before the file is sent.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    send_file,
    stream_with_context,
)
from flask_login import current_user

from surveyapp.accounts import scope
from surveyapp.accounts.access import PLANNER, access
from surveyapp.audit.operations import record
from surveyapp.exports import analysts, csv_files, figures, pack, raw
from surveyapp.exports.report_views import print_facts
from surveyapp.exports.servicetest_workbook import write_servicetest_workbook
from surveyapp.exports.workbook import rounds_of, write_municipality_workbook
from surveyapp.extensions import db
from surveyapp.municipalities.models import Municipality
from surveyapp.municipalities.web import follow_old_numbers
from surveyapp.results.loading import report_for_request
from surveyapp.results.report import MunicipalityReport
from surveyapp.servicetest.models import TestRound
from surveyapp.timeutil import utcnow
from surveyapp.web.templating import current_language

bp = Blueprint("exports", __name__, url_prefix="/exports")
follow_old_numbers(bp)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"  # werkzeug adds "; charset=utf-8" once
_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "ae", "Ø": "o", "Å": "a", "đ": "d"})


def slug(text: str) -> str:
    """ASCII for a file name: "Tromsø" → "tromso", "Guovdageaidnu" stays."""
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    plain = folded.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


def today() -> date:
    return utcnow().astimezone(raw.OSLO).date()


def file_name(report: MunicipalityReport, extension: str, kind: str = "") -> str:
    """citizen-satisfaction-5501-tromso-2026-2026-11-24.xlsx (kind before the date)."""
    parts = [
        slug(report.questionnaire_code),
        report.municipality.code,
        slug(report.municipality.name),
        str(report.year),
        kind,
        today().isoformat(),
    ]
    return "-".join(p for p in parts if p) + "." + extension


def attachment(name: str) -> str:
    """Content-Disposition for a download, with an RFC 5987 name when it is not ASCII."""
    simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    simple = simple.replace("\\", "_").replace('"', "_") or "download"
    if simple == name:
        return f'attachment; filename="{simple}"'
    return f"attachment; filename=\"{simple}\"; filename*=UTF-8''{quote(name, safe='')}"


def _audit(entity: str, details: dict[str, Any]) -> None:
    """Record the download and commit, in a transaction of its own.

    The request has only read so far; on SQLite that read transaction cannot become a
    write one if another writer committed meanwhile ("database is locked"). Ending it
    first lets the insert wait for the write lock instead.
    """
    user_id = current_user.id
    db.session.rollback()
    record(user_id, "download", "export", entity[:80], new=details)
    db.session.commit()


def _report_details(report: MunicipalityReport, fmt: str, kind: str) -> dict[str, Any]:
    return {
        "municipality": report.municipality.code,
        "questionnaire": report.questionnaire_code,
        "year": report.year,
        "format": fmt,
        "content": kind,
    }


def _entity(report: MunicipalityReport) -> str:
    return f"{report.municipality.code}/{report.questionnaire_code}/{report.year}"


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _raw_selection(report: MunicipalityReport) -> raw.RawSelection:
    """What this user may download row by row, or a page saying why not (403)."""
    if not current_user.raw_data:
        abort(
            Response(
                render_template("exports/raw.html", report=report, refused="no_right"),
                status=403,
            )
        )
    free_text = request.args.get("free_text") == "1"
    try:
        return raw.selection_for_report(report, rounds_of(report), free_text=free_text)
    except raw.RawRefused as refused:
        abort(
            Response(
                render_template(
                    "exports/raw.html", report=report, refused=refused.reason, withheld=refused
                ),
                status=403,
            )
        )


def _raw_details(selection: raw.RawSelection) -> dict[str, Any]:
    return {
        "rows": "answers",
        "free_text": selection.free_text,
        "rounds": list(selection.rounds),
        "withheld_rounds": len(selection.withheld),
    }


@bp.get("/<code>/workbook.xlsx")
@access(PLANNER)
def workbook(code: str) -> Response:
    report = report_for_request(code)
    answers = _raw_selection(report) if request.args.get("answers") == "1" else None
    out = tempfile.TemporaryFile()
    try:
        result = write_municipality_workbook(
            report,
            out,
            language=current_language(),
            answers=answers,
            max_rows=current_app.config["SURVEYAPP_XLSX_MAX_ROWS"],
        )
    except BaseException:
        out.close()
        raise
    details = _report_details(report, "xlsx", "workbook") | {"responses": result.responses}
    if answers is not None:
        details |= _raw_details(answers)
    name = file_name(report, "xlsx")
    _audit(_entity(report), details)
    out.seek(0)
    return _no_store(send_file(out, mimetype=XLSX, as_attachment=True, download_name=name))


def _csv(rows: Iterator[str], name: str) -> Response:
    response = Response(stream_with_context(rows), mimetype=CSV)
    response.headers["Content-Disposition"] = attachment(name)
    return _no_store(response)


@bp.get("/<code>/raw")
@access(PLANNER)
def raw_data(code: str) -> str:
    """The page for answers row by row: what is in them, the free-text choice, downloads."""
    report = report_for_request(code)
    selection = _raw_selection(report)
    return render_template(
        "exports/raw.html",
        report=report,
        refused=None,
        selection=selection,
        args=request.args.to_dict(flat=True),
    )


def _dialect(language: str) -> csv_files.Dialect:
    """?dialect=excel-no|standard, else the language's (Norwegian Excel's for nb, nn)."""
    return csv_files.dialect_for(request.args.get("dialect"), language)


@bp.get("/<code>/answers.csv")
@access(PLANNER)
def answers_csv(code: str) -> Response:
    report = report_for_request(code)
    selection = _raw_selection(report)
    language = current_language()
    dialect = _dialect(language)
    source = raw.RawAnswers.for_selection(selection, report.data_codes, report.definition)
    header = source.header(language)
    name = file_name(report, "csv", f"answers-{dialect.name}")
    details = _report_details(report, "csv", "answers") | {"dialect": dialect.name}
    _audit(_entity(report), details | _raw_details(selection))
    return _csv(raw.csv_stream(header, source.rows(language), dialect), name)


@bp.get("/<code>/answers.<fmt>")
@access(PLANNER)
def answers_for_analysts(code: str, fmt: str) -> Response:
    """The answers row by row as SPSS .sav or Stata .dta, with labels in the user's
    language: the same rows, right and audit as the CSV."""
    if fmt not in analysts.FORMATS:
        abort(404)
    report = report_for_request(code)
    selection = _raw_selection(report)
    if not analysts.available():
        abort(501)
    language = current_language()
    source = raw.RawAnswers.for_selection(selection, report.data_codes, report.definition)
    with tempfile.TemporaryDirectory(prefix="surveyapp-analysts-") as folder:
        path = Path(folder) / f"answers.{fmt}"
        analysts.write_answers(source, report.definition, path, fmt, language)
        body = path.read_bytes()
    name = file_name(report, fmt, "answers")
    details = _report_details(report, fmt, "answers") | _raw_details(selection)
    _audit(_entity(report), details)
    response = Response(body, mimetype=analysts.FORMATS[fmt])
    response.headers["Content-Disposition"] = attachment(name)
    return _no_store(response)


@bp.get("/<code>/council-pack.zip")
@access(PLANNER)
def council_pack(code: str) -> Response:
    """The PDF, the workbook (aggregates only), the charts and a README in one ZIP."""
    report = report_for_request(code)
    language = current_language()
    names = pack.PackNames(
        pdf=file_name(report, "pdf", "report"), workbook=file_name(report, "xlsx")
    )
    body = pack.build_council_pack(report, language, print_facts(report), names, utcnow())
    _audit(_entity(report), _report_details(report, "zip", "council-pack"))
    response = Response(body, mimetype="application/zip")
    response.headers["Content-Disposition"] = attachment(file_name(report, "zip", "council-pack"))
    return _no_store(response)


@bp.get("/<code>/aggregates.csv")
@access(PLANNER)
def aggregates_csv(code: str) -> Response:
    report = report_for_request(code)
    language = current_language()
    dialect = _dialect(language)
    rows = [row.csv_values(language) for row in figures.figure_rows(report, language)]
    name = file_name(report, "csv", f"figures-{dialect.name}")
    details = _report_details(report, "csv", "aggregates") | {"dialect": dialect.name}
    _audit(_entity(report), details)
    header = [figures.header(language), figures.codes()]
    return _csv(csv_files.stream(header, rows, dialect), name)


@bp.get("/servicetest/<int:round_id>/workbook.xlsx")
@access(PLANNER)
def servicetest_workbook(round_id: int) -> Response:
    test_round = db.session.get(TestRound, round_id)
    if test_round is None:
        abort(404)
    # Planners: their own municipalities' rows and the national figures (as on the page).
    codes = scope.visible_codes(current_user)
    allowed = None if codes is None else set(codes)
    names = {
        code: name
        for code, name in db.session.execute(sa.select(Municipality.code, Municipality.name))
    }
    out = tempfile.TemporaryFile()
    try:
        write_servicetest_workbook(test_round, out, names=names, allowed=allowed)
    except BaseException:
        out.close()
        raise
    name = f"servicetest-{round_id}-{slug(test_round.title)}-{today().isoformat()}.xlsx"
    _audit(
        f"servicetest/{round_id}",
        {
            "round": round_id,
            "format": "xlsx",
            "content": "servicetest",
            "municipalities": "all" if allowed is None else sorted(allowed),
        },
    )
    out.seek(0)
    return _no_store(send_file(out, mimetype=XLSX, as_attachment=True, download_name=name))
