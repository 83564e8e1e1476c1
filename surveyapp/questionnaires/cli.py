"""`flask questionnaires check|load`: validate and store definition files."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from surveyapp.extensions import db
from surveyapp.questionnaires.definition import Definition, load_file
from surveyapp.questionnaires.problems import DefinitionError
from surveyapp.questionnaires.store import store_definition

questionnaires_cli = AppGroup("questionnaires", help="Questionnaire definition files.")


def shipped_folder() -> Path:
    """Where the shipped definitions are: SURVEYAPP_QUESTIONNAIRE_DIR (default: inside
    the package, so an installed app has them too)."""
    return Path(current_app.config["SURVEYAPP_QUESTIONNAIRE_DIR"])


def shipped_files() -> list[Path]:
    """The definition files in the shipped folder; a ClickException naming the folder
    when there are none (nothing found is an error, never a silent success)."""
    folder = shipped_folder()
    if not folder.is_dir():
        raise click.ClickException(
            f"no definition files: {folder} is not a folder "
            "(set SURVEYAPP_QUESTIONNAIRE_DIR, or name the files)"
        )
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise click.ClickException(
            f"no definition files (*.yaml) in {folder} "
            "(set SURVEYAPP_QUESTIONNAIRE_DIR, or name the files)"
        )
    return files


def _files_or_shipped(files: tuple[Path, ...]) -> list[Path]:
    if files:
        return list(files)
    found = shipped_files()
    click.echo(f"{len(found)} definition files in {shipped_folder()}", err=True)
    return found


def _check_all(paths: list[Path]) -> tuple[list[tuple[Path, Definition]], list[str]]:
    good: list[tuple[Path, Definition]] = []
    errors: list[str] = []
    for path in paths:
        try:
            good.append((path, load_file(path)))
        except DefinitionError as err:
            errors.extend(str(problem) for problem in err.problems)
    return good, errors


@questionnaires_cli.command("check")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
def check_command(files: tuple[Path, ...]) -> None:
    """Validate definition files without touching the database (default: the shipped ones)."""
    paths = _files_or_shipped(files)
    good, errors = _check_all(paths)
    for path, definition in good:
        click.echo(
            f"ok  {path}: {definition.kind} '{definition.code}', "
            f"{len(definition.questions)} questions"
        )
    for line in errors:
        click.echo(line, err=True)
    if errors:
        raise SystemExit(1)


def load_definitions(paths: list[Path]) -> list[str]:
    """Validate every file first, then store them all (all-or-nothing); returns a report."""
    good, errors = _check_all(paths)
    if errors:
        raise click.ClickException("nothing loaded:\n" + "\n".join(errors))
    report = []
    for path, definition in good:
        outcome = store_definition(definition, str(path))
        q = outcome.questionnaire
        if not outcome.created:
            report.append(f"unchanged  {q.code} v{q.version}")
        else:
            line = f"stored     {q.code} v{q.version}"
            if outcome.changed_questions:
                line += " (wording changed: " + ", ".join(outcome.changed_questions) + ")"
            report.append(line)
    return report


@questionnaires_cli.command("load")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
def load_command(files: tuple[Path, ...]) -> None:
    """Store new versions of definition files (default: the shipped ones)."""
    paths = _files_or_shipped(files)
    try:
        report = load_definitions(paths)
    except click.ClickException:
        db.session.rollback()
        raise
    db.session.commit()
    for line in report:
        click.echo(line)
