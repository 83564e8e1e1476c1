"""`flask municipalities load|changes|bands`: the official register and its history."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from surveyapp.extensions import db
from surveyapp.input_files import FileTooLarge, read_at_most
from surveyapp.municipalities.history import ChangeFileError, build_history, merge_changes
from surveyapp.municipalities.history import parse_changes as parse_change_file
from surveyapp.municipalities.models import Municipality
from surveyapp.municipalities.operations import (
    HistoryCounts,
    register_names,
    store_history,
    store_register,
    stored_changes,
)
from surveyapp.municipalities.register import (
    REGISTER_FILE,
    RegisterError,
    parse_bands,
    parse_register,
)

CHANGES_FILE = REGISTER_FILE.parent / "municipality-changes.csv"

municipalities_cli = AppGroup("municipalities", help="The municipality register.")


def _read(path: Path) -> bytes:
    """The file's bytes, or the one-line refusal of a file too large to load."""
    try:
        return read_at_most(path)
    except FileTooLarge as err:
        raise click.ClickException(f"{path}: {err}; nothing was loaded") from err


def load_register(path: Path = REGISTER_FILE) -> tuple[int, int]:
    try:
        data = read_at_most(path)
    except FileTooLarge as err:
        raise RegisterError(str(path), [str(err)]) from err
    rows = parse_register(data, str(path))
    return store_register(rows, str(path))


def load_changes(path: Path = CHANGES_FILE) -> HistoryCounts:
    """Add a change file to the stored history; all-or-nothing (ChangeFileError).

    The caller commits.
    """
    name = str(path)
    try:
        data = read_at_most(path)
    except FileTooLarge as err:
        raise ChangeFileError(name, [str(err)]) from err
    loaded = parse_change_file(data, name)
    register = register_names(current=True)
    if not register:
        raise ChangeFileError(
            name, ["the register is empty: run `flask municipalities load` first"]
        )
    try:
        changes = merge_changes(stored_changes(), loaded)
    except ChangeFileError as err:
        raise ChangeFileError(name, err.problems) from err
    history = build_history(changes, register, filename=name, known=register_names(current=False))
    return store_history(history)


@municipalities_cli.command("load")
@click.argument(
    "path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False
)
def load_command(path: Path | None) -> None:
    """Load the register (default: the shipped 2026 list of 357 municipalities)."""
    try:
        added, updated = load_register(path or REGISTER_FILE)
    except RegisterError as err:
        db.session.rollback()
        raise click.ClickException(str(err)) from err
    db.session.commit()
    click.echo(f"Municipalities: {added} added, {updated} updated")


@municipalities_cli.command("changes")
@click.argument(
    "path",
    metavar="[FILE]",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=False,
)
def changes_command(path: Path | None) -> None:
    """Add municipality changes (SSB Klass 131) to the register's history: every row, or
    none if any is wrong (default: the shipped changes 2005–2026)."""
    try:
        counts = load_changes(path or CHANGES_FILE)
    except ChangeFileError as err:
        db.session.rollback()
        for problem in err.problems:
            click.echo(f"{err.filename}: {problem}", err=True)
        raise click.ClickException(
            f"{len(err.problems)} problem(s) in {err.filename}; nothing was loaded."
        ) from err
    db.session.commit()
    click.echo(
        f"Municipality history: {counts.changes} changes ({counts.added} new), "
        f"{counts.numbers} numbers of which {counts.former} no longer in use"
    )
    if counts.moved:
        click.echo(
            f"{counts.moved} staff account or peer group numbers moved to today's numbers "
            "(renumbered municipalities; see the audit trail)"
        )


@municipalities_cli.command("bands")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def bands_command(path: Path) -> None:
    """Load size bands (CSV: code,band) used for stratified service-test samples."""
    known = set(db.session.scalars(sa.select(Municipality.code).where(Municipality.current)))
    try:
        bands = parse_bands(_read(path), str(path), known)
    except RegisterError as err:
        raise click.ClickException(str(err)) from err
    for municipality in db.session.scalars(sa.select(Municipality).where(Municipality.current)):
        municipality.population_band = bands.get(municipality.code)
    db.session.commit()
    click.echo(f"Size bands: {len(bands)} municipalities in {len(set(bands.values()))} bands")


@municipalities_cli.command("contacts")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def contacts_command(path: Path) -> None:
    """Load contact details (CSV: code,phone,email,website); all or nothing.

    A code is a municipality's number or a test unit's (Oslo's districts: 030101 …); what
    a unit leaves empty is reached through its municipality's details."""
    from surveyapp.municipalities.contact_details import ContactFileError, parse_contacts
    from surveyapp.municipalities.contacts import store_contacts
    from surveyapp.servicetest.units import unit_parents

    known = set(db.session.scalars(sa.select(Municipality.code)))
    try:
        rows = parse_contacts(_read(path), str(path), known, unit_parents())
    except ContactFileError as err:
        raise click.ClickException(f"nothing was loaded:\n{err}") from err
    added, changed = store_contacts(None, rows)
    db.session.commit()
    click.echo(f"Contact details: {added} added, {changed} changed, {len(rows)} in the file")
