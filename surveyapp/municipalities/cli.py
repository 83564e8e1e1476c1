"""`flask municipalities load`: read the official register into the database."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from surveyapp.extensions import db
from surveyapp.municipalities.models import Municipality
from surveyapp.municipalities.operations import store_register
from surveyapp.municipalities.register import (
    REGISTER_FILE,
    RegisterError,
    parse_bands,
    parse_register,
)

municipalities_cli = AppGroup("municipalities", help="The municipality register.")


def load_register(path: Path = REGISTER_FILE) -> tuple[int, int]:
    rows = parse_register(path.read_bytes(), str(path))
    return store_register(rows)


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


@municipalities_cli.command("bands")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def bands_command(path: Path) -> None:
    """Load size bands (CSV: code,band) used for stratified service-test samples."""
    known = set(db.session.scalars(sa.select(Municipality.code)))
    try:
        bands = parse_bands(path.read_bytes(), str(path), known)
    except RegisterError as err:
        raise click.ClickException(str(err)) from err
    for municipality in db.session.scalars(sa.select(Municipality)):
        municipality.population_band = bands.get(municipality.code)
    db.session.commit()
    click.echo(f"Size bands: {len(bands)} municipalities in {len(set(bands.values()))} bands")


@municipalities_cli.command("contacts")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def contacts_command(path: Path) -> None:
    """Load contact details (CSV: code,phone,email,website); all or nothing."""
    from surveyapp.municipalities.contact_details import ContactFileError, parse_contacts
    from surveyapp.municipalities.contacts import store_contacts

    known = set(db.session.scalars(sa.select(Municipality.code)))
    try:
        rows = parse_contacts(path.read_bytes(), str(path), known)
    except ContactFileError as err:
        raise click.ClickException(f"nothing was loaded:\n{err}") from err
    added, changed = store_contacts(None, rows)
    db.session.commit()
    click.echo(f"Contact details: {added} added, {changed} changed, {len(rows)} in the file")
