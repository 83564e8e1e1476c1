"""``flask export …``: the same workbooks and CSV files as the downloads, to a file.

Answers row by row follow the same rules as the downloads (rounds with fewer responses
than the minimum left out, the report's hidden groups merged, free text only with
``--free-text``); every file written is recorded in the audit trail.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from surveyapp.audit.operations import record
from surveyapp.exports import raw
from surveyapp.exports.servicetest_workbook import write_servicetest_workbook
from surveyapp.exports.workbook import (
    aggregate_header,
    aggregate_rows,
    rounds_of,
    write_municipality_workbook,
)
from surveyapp.extensions import db
from surveyapp.municipalities import phrases
from surveyapp.municipalities.lookup import old_number
from surveyapp.municipalities.models import Municipality
from surveyapp.results.report import MunicipalityReport, NoData, build_report
from surveyapp.servicetest.models import TestRound

export_cli = AppGroup("export", help="Write result workbooks and CSV files.")

FREE_TEXT = click.option(
    "--free-text",
    is_flag=True,
    help="Include free-text answers (they may name people: keep the file safe).",
)
LANGUAGE = click.option(
    "--language",
    type=click.Choice(["nb", "nn", "en"]),
    default="nb",
    show_default=True,
    help="Language of the labels in the file.",
)
OUTPUT = click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The file to write.",
)


def _survey_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            click.option("--municipality", required=True, help="Municipality number, e.g. 5501."),
            click.option("--year", required=True, type=int),
            click.option("--questionnaire", default="citizen-satisfaction", show_default=True),
        ]
    ):
        command = option(command)
    return command


@contextmanager
def _replacing(path: Path) -> Iterator[IO[bytes]]:
    """Write next to ``path`` and move into place only when everything was written."""
    folder = path.resolve().parent
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _today(municipality: str, year: int) -> str:
    """Today's number for an old one ("1902 is now 5501 Tromsø"), or a refusal that says
    where a merged or split municipality's figures are."""
    old = old_number(municipality, year)
    if old is None:
        return municipality
    said = phrases.old_number(old, "en")
    if not old.continuous:
        today = ", ".join(code for code, _ in old.now)
        raise click.ClickException(
            f"{said} Its own figures are kept as a predecessor's: export {today} "
            "(its years stay apart from theirs)."
        )
    click.echo(f"{said} Exporting {' '.join(old.now[0])}.", err=True)
    return old.now[0][0]


def _report(municipality: str, questionnaire: str, year: int) -> MunicipalityReport:
    municipality = _today(municipality, year)
    try:
        return build_report(
            municipality,
            questionnaire,
            year,
            min_group_size=current_app.config["SURVEYAPP_MIN_GROUP_SIZE"],
        )
    except NoData as error:
        raise click.ClickException(
            f"no {questionnaire} results for municipality {municipality} in {year}"
        ) from error


def _audit(entity: str, details: dict[str, Any]) -> None:
    db.session.rollback()  # end the read transaction: the insert then waits for the lock
    record(None, "download", "export", entity[:80], new=details | {"via": "cli"})
    db.session.commit()


def _selection(report: MunicipalityReport, free_text: bool) -> raw.RawSelection:
    try:
        selection = raw.selection_for_report(report, rounds_of(report), free_text=free_text)
    except raw.RawRefused as refused:
        raise click.ClickException(
            f"no answers row by row: every round has fewer than {report.min_group_size} "
            "responses in the municipality"
        ) from refused
    for title, count in selection.withheld:
        click.echo(f"Left out: {title} ({count} responses, fewer than the minimum).", err=True)
    if free_text:
        click.echo(
            "Warning: free-text answers may name people. Keep the file where only those who "
            "need it can read it.",
            err=True,
        )
    return selection


def _raw_details(selection: raw.RawSelection) -> dict[str, Any]:
    return {
        "rows": "answers",
        "free_text": selection.free_text,
        "rounds": list(selection.rounds),
        "withheld_rounds": len(selection.withheld),
    }


@export_cli.command("xlsx")
@_survey_options
@click.option("--answers", is_flag=True, help="Add the answers row by row (the Svar sheets).")
@FREE_TEXT
@LANGUAGE
@OUTPUT
def xlsx_command(
    municipality: str,
    year: int,
    questionnaire: str,
    answers: bool,
    free_text: bool,
    language: str,
    output: Path,
) -> None:
    """The municipality workbook: summary, peers, years, every question; --answers adds
    the answers row by row."""
    if free_text and not answers:
        raise click.UsageError("--free-text applies only with --answers.")
    report = _report(municipality, questionnaire, year)
    selection = _selection(report, free_text) if answers else None
    with _replacing(output) as out:
        result = write_municipality_workbook(
            report,
            out,
            language=language,
            answers=selection,
            max_rows=current_app.config["SURVEYAPP_XLSX_MAX_ROWS"],
        )
    details: dict[str, Any] = {
        "municipality": municipality,
        "questionnaire": questionnaire,
        "year": year,
        "format": "xlsx",
        "content": "workbook",
        "responses": result.responses,
    }
    if selection is not None:
        details |= _raw_details(selection)
    _audit(f"{municipality}/{questionnaire}/{year}", details)
    click.echo(f"{output}: {len(result.sheets)} sheets, {result.responses} responses")


@export_cli.command("csv")
@_survey_options
@click.option(
    "--kind",
    type=click.Choice(["answers", "aggregates"]),
    default="answers",
    show_default=True,
    help="One row per response, or the figures per question and option.",
)
@FREE_TEXT
@LANGUAGE
@OUTPUT
def csv_command(
    municipality: str,
    year: int,
    questionnaire: str,
    kind: str,
    free_text: bool,
    language: str,
    output: Path,
) -> None:
    """Answers or figures as CSV (UTF-8 with BOM), formulas neutralised."""
    if free_text and kind != "answers":
        raise click.UsageError("--free-text applies only with --kind answers.")
    report = _report(municipality, questionnaire, year)
    details: dict[str, Any] = {
        "municipality": municipality,
        "questionnaire": questionnaire,
        "year": year,
        "format": "csv",
        "content": kind,
    }
    if kind == "answers":
        selection = _selection(report, free_text)
        source = raw.RawAnswers.for_selection(selection, municipality, report.definition)
        pieces = raw.csv_stream(source.header(language), source.rows(language))
        details |= _raw_details(selection)
    else:
        pieces = raw.csv_stream(aggregate_header(), aggregate_rows(report, language))
    with _replacing(output) as out:
        for piece in pieces:
            out.write(piece.encode("utf-8"))
    _audit(f"{municipality}/{questionnaire}/{year}", details)
    click.echo(f"{output}: {kind}")


@export_cli.command("servicetest")
@click.option("--round", "round_id", required=True, type=int, help="Service-test round id.")
@LANGUAGE
@OUTPUT
def servicetest_command(round_id: int, language: str, output: Path) -> None:
    """The service-test workbook: ranking, KKiK indicators, every contact and why."""
    test_round = db.session.get(TestRound, round_id)
    if test_round is None:
        raise click.ClickException(f"no service-test round {round_id}")
    names = {
        code: name
        for code, name in db.session.execute(sa.select(Municipality.code, Municipality.name))
    }
    from flask_babel import force_locale  # the service-test reasons read the locale

    with force_locale(language), _replacing(output) as out:
        sheets = write_servicetest_workbook(test_round, out, names=names, language=language)
    _audit(
        f"servicetest/{round_id}",
        {"round": round_id, "format": "xlsx", "content": "servicetest", "municipalities": "all"},
    )
    click.echo(f"{output}: {', '.join(sheets)}")
