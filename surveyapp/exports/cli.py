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
from surveyapp.exports import analysts, csv_files, figures, pack, raw
from surveyapp.exports.servicetest_workbook import write_servicetest_workbook
from surveyapp.exports.workbook import rounds_of, write_municipality_workbook
from surveyapp.extensions import db
from surveyapp.municipalities import phrases
from surveyapp.municipalities.lookup import old_number
from surveyapp.municipalities.models import Municipality
from surveyapp.results.models import PeerGroup
from surveyapp.results.report import MunicipalityReport, NoData, build_report
from surveyapp.servicetest.models import TestRound
from surveyapp.timeutil import utcnow

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


DIALECT = click.option(
    "--dialect",
    type=click.Choice(list(csv_files.DIALECTS)),
    default=None,
    help="excel-no: ';' and a decimal comma (what Norwegian Excel reads); standard: ',' and "
    "a decimal point. Default: excel-no for nb and nn, standard for en.",
)


def _survey_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Which report: municipality, year, questionnaire, and the peers as on the dashboard."""
    for option in reversed(
        [
            click.option("--municipality", required=True, help="Municipality number, e.g. 5501."),
            click.option("--year", required=True, type=int),
            click.option("--questionnaire", default="citizen-satisfaction", show_default=True),
            click.option(
                "--peers",
                type=click.Choice(["all", "county"]),
                default="all",
                show_default=True,
                help="Compare with all municipalities with this survey or the same county.",
            ),
            click.option(
                "--group", type=int, default=None, help="Compare with a saved peer group (id)."
            ),
            click.option(
                "--compare",
                multiple=True,
                help="A municipality number to show the difference to (repeatable, up to 10).",
            ),
        ]
    ):
        command = option(command)
    return command


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def _replacing(path: Path) -> Iterator[IO[bytes]]:
    """Write next to ``path`` and move into place only when everything was written.

    The file gets the permissions any new file of the user gets (0666 less the umask);
    ``mkstemp`` alone would leave it 0600.
    """
    folder = path.resolve().parent
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
        os.chmod(temporary, 0o666 & ~_umask())
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


def _report(
    municipality: str,
    questionnaire: str,
    year: int,
    peers: str = "all",
    group: int | None = None,
    compare: tuple[str, ...] = (),
) -> MunicipalityReport:
    """The report the dashboard shows for the same choices."""
    municipality = _today(municipality, year)
    scope, name, members = peers, "", None
    if group is not None:
        found = db.session.get(PeerGroup, group)
        if found is None:
            raise click.BadParameter(f"no peer group {group}", param_hint="--group")
        scope, name, members = f"group:{found.id}", found.name, [m.code for m in found.members]
    if len(compare) > 10:
        raise click.BadParameter("at most 10 municipalities", param_hint="--compare")
    try:
        return build_report(
            municipality,
            questionnaire,
            year,
            min_group_size=current_app.config["SURVEYAPP_MIN_GROUP_SIZE"],
            peer_scope=scope,
            peer_scope_name=name,
            group_members=members,
            compare_with=list(compare),
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
    peers: str,
    group: int | None,
    compare: tuple[str, ...],
    answers: bool,
    free_text: bool,
    language: str,
    output: Path,
) -> None:
    """The municipality workbook: summary, peers, years, every question; --answers adds
    the answers row by row."""
    if free_text and not answers:
        raise click.UsageError("--free-text applies only with --answers.")
    report = _report(municipality, questionnaire, year, peers, group, compare)
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
@DIALECT
@OUTPUT
def csv_command(
    municipality: str,
    year: int,
    questionnaire: str,
    peers: str,
    group: int | None,
    compare: tuple[str, ...],
    kind: str,
    free_text: bool,
    language: str,
    dialect: str | None,
    output: Path,
) -> None:
    """Answers or figures as CSV (UTF-8 with BOM), every text quoted, formulas neutralised."""
    if free_text and kind != "answers":
        raise click.UsageError("--free-text applies only with --kind answers.")
    report = _report(municipality, questionnaire, year, peers, group, compare)
    chosen = csv_files.dialect_for(dialect, language)
    details: dict[str, Any] = {
        "municipality": municipality,
        "questionnaire": questionnaire,
        "year": year,
        "format": "csv",
        "content": kind,
        "dialect": chosen.name,
    }
    if kind == "answers":
        selection = _selection(report, free_text)
        source = raw.RawAnswers.for_selection(selection, report.data_codes, report.definition)
        pieces = raw.csv_stream(source.header(language), source.rows(language), chosen)
        details |= _raw_details(selection)
    else:
        rows = (row.csv_values(language) for row in figures.figure_rows(report, language))
        pieces = csv_files.stream([figures.header(language), figures.codes()], rows, chosen)
    with _replacing(output) as out:
        for piece in pieces:
            out.write(piece.encode("utf-8"))
    _audit(f"{municipality}/{questionnaire}/{year}", details)
    click.echo(f"{output}: {kind} ({chosen.name})")


def _analyst_command(fmt: str, program: str) -> None:
    @export_cli.command(
        fmt,
        help=f"The answers row by row for {program} (.{fmt}), with "
        "variable and value labels; same rules and audit as the download.",
    )
    @_survey_options
    @FREE_TEXT
    @LANGUAGE
    @OUTPUT
    def command(
        municipality: str,
        year: int,
        questionnaire: str,
        peers: str,
        group: int | None,
        compare: tuple[str, ...],
        free_text: bool,
        language: str,
        output: Path,
    ) -> None:
        if not analysts.available():
            raise click.ClickException(
                "install the analysts extra: pip install 'surveyapp[analysts]'"
            )
        report = _report(municipality, questionnaire, year, peers, group, compare)
        selection = _selection(report, free_text)
        source = raw.RawAnswers.for_selection(selection, report.data_codes, report.definition)
        with tempfile.TemporaryDirectory(prefix="surveyapp-analysts-") as folder:
            written = Path(folder) / f"answers.{fmt}"
            responses = analysts.write_answers(source, report.definition, written, fmt, language)
            with _replacing(output) as out:
                out.write(written.read_bytes())
        details: dict[str, Any] = {
            "municipality": municipality,
            "questionnaire": questionnaire,
            "year": year,
            "format": fmt,
            "content": "answers",
        }
        _audit(f"{municipality}/{questionnaire}/{year}", details | _raw_details(selection))
        click.echo(f"{output}: {responses} responses")


_analyst_command("sav", "SPSS")
_analyst_command("dta", "Stata")


@export_cli.command("pack")
@_survey_options
@LANGUAGE
@OUTPUT
def pack_command(
    municipality: str,
    year: int,
    questionnaire: str,
    peers: str,
    group: int | None,
    compare: tuple[str, ...],
    language: str,
    output: Path,
) -> None:
    """The council pack (ZIP): the report PDF, the workbook without answers, the charts
    as PNG and SVG, and a README."""
    from surveyapp.exports.report_views import print_facts, slug

    report = _report(municipality, questionnaire, year, peers, group, compare)
    stem = (
        f"{slug(report.questionnaire_code)}-{municipality}-{slug(report.municipality.name)}-{year}"
    )
    names = pack.PackNames(pdf=f"{stem}-report.pdf", workbook=f"{stem}.xlsx")
    body = pack.build_council_pack(report, language, print_facts(report), names, utcnow())
    with _replacing(output) as out:
        out.write(body)
    _audit(
        f"{municipality}/{questionnaire}/{year}",
        {
            "municipality": municipality,
            "questionnaire": questionnaire,
            "year": year,
            "format": "zip",
            "content": "council-pack",
        },
    )
    click.echo(f"{output}: council pack")


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
