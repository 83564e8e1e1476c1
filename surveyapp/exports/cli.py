"""``flask export …``: the same workbooks and CSV files as the downloads, to a file."""

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
from flask_babel import force_locale

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
from surveyapp.municipalities.models import Municipality
from surveyapp.results.report import MunicipalityReport, NoData, build_report
from surveyapp.servicetest.models import TestRound

export_cli = AppGroup("export", help="Write result workbooks and CSV files.")

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


def _report(municipality: str, questionnaire: str, year: int) -> MunicipalityReport:
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


@export_cli.command("xlsx")
@_survey_options
@LANGUAGE
@OUTPUT
def xlsx_command(
    municipality: str, year: int, questionnaire: str, language: str, output: Path
) -> None:
    """The municipality workbook: summary, peers, years, every question, all answers."""
    with force_locale(language):
        report = _report(municipality, questionnaire, year)
        with _replacing(output) as out:
            result = write_municipality_workbook(report, out, language=language)
    _audit(
        f"{municipality}/{questionnaire}/{year}",
        {
            "municipality": municipality,
            "questionnaire": questionnaire,
            "year": year,
            "format": "xlsx",
            "content": "workbook",
            "responses": result.responses,
        },
    )
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
@LANGUAGE
@OUTPUT
def csv_command(
    municipality: str, year: int, questionnaire: str, kind: str, language: str, output: Path
) -> None:
    """Answers or figures as CSV (UTF-8 with BOM), formulas neutralised."""
    with force_locale(language):
        report = _report(municipality, questionnaire, year)
        if kind == "answers":
            source = raw.RawAnswers.for_rounds(
                [r.id for r in rounds_of(report)], municipality, report.definition
            )
            pieces = raw.csv_stream(source.header(), source.rows())
        else:
            pieces = raw.csv_stream(aggregate_header(), aggregate_rows(report, language))
        with _replacing(output) as out:
            for piece in pieces:
                out.write(piece.encode("utf-8"))
    _audit(
        f"{municipality}/{questionnaire}/{year}",
        {
            "municipality": municipality,
            "questionnaire": questionnaire,
            "year": year,
            "format": "csv",
            "content": kind,
        },
    )
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
    with force_locale(language), _replacing(output) as out:
        sheets = write_servicetest_workbook(test_round, out, names=names, language=language)
    _audit(
        f"servicetest/{round_id}",
        {"round": round_id, "format": "xlsx", "content": "servicetest", "municipalities": "all"},
    )
    click.echo(f"{output}: {', '.join(sheets)}")
