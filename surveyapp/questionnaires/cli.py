"""`flask questionnaires check|load`: validate and store definition files."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from surveyapp.extensions import db
from surveyapp.questionnaires.schema import Definition, DefinitionError, load_file
from surveyapp.questionnaires.store import store_definition

questionnaires_cli = AppGroup("questionnaires", help="Questionnaire definition files.")


def shipped_files() -> list[Path]:
    folder = Path(current_app.config["SURVEYAPP_QUESTIONNAIRE_DIR"])
    return sorted(folder.glob("*.yaml"))


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
    """Validate definition files without touching the database."""
    paths = list(files) or shipped_files()
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
    """Store new versions of definition files (default: the shipped questionnaires/)."""
    try:
        report = load_definitions(list(files) or shipped_files())
    except click.ClickException:
        db.session.rollback()
        raise
    db.session.commit()
    for line in report:
        click.echo(line)
