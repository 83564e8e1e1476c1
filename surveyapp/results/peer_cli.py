"""`flask peers import`: peer reference values from a CSV file (see benchmarks/peers/)."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from surveyapp import input_files
from surveyapp.audit.operations import record
from surveyapp.extensions import db
from surveyapp.municipalities.lookup import history
from surveyapp.municipalities.models import Municipality
from surveyapp.results.peer_store import StoreCounts, store_peer_rows
from surveyapp.results.peers import (
    Filing,
    PeerFileError,
    file_under_today,
    parse_peer_csv,
)

peers_cli = AppGroup("peers", help="Peer reference values from other surveys and statistics.")


def read_at_most(path: Path, limit: int) -> bytes:
    """The file's bytes; PeerFileError when it holds more than ``limit``."""
    try:
        return input_files.read_at_most(path, limit)
    except input_files.FileTooLarge as err:
        raise PeerFileError(str(path), [str(err)]) from err


def import_peer_file(path: Path) -> tuple[StoreCounts, list[Filing]]:
    """Parse a peer file against the register and its history and store it, rows under
    numbers no longer in use filed under today's municipalities; the caller commits."""
    known_codes = set(db.session.scalars(sa.select(Municipality.code).where(Municipality.current)))
    if not known_codes:
        raise click.ClickException(
            "The municipality register is empty; run `flask municipalities load` first."
        )
    municipality_history = history()
    parsed = parse_peer_csv(
        read_at_most(path, input_files.MAX_FILE_BYTES),
        str(path),
        known_codes,
        history=municipality_history,
    )
    rows, filings = file_under_today(parsed, municipality_history, str(path))
    counts = store_peer_rows(rows)
    if counts.added or counts.updated:
        record(
            None,
            "import",
            "peer_value",
            path.name[:80],
            None,
            {"rows": len(rows), "added": counts.added, "updated": counts.updated},
        )
    return counts, filings


@peers_cli.command("import")
@click.argument(
    "path", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def import_command(path: Path) -> None:
    """Import peer values from a CSV file: every row, or none if any is bad."""
    try:
        counts, filings = import_peer_file(path)
    except PeerFileError as err:
        db.session.rollback()
        for problem in err.problems:
            click.echo(f"{err.filename}: {problem}", err=True)
        raise click.ClickException(
            f"{len(err.problems)} problem(s) in {err.filename}; nothing was imported."
        ) from err
    except IntegrityError as err:  # e.g. another import of the same values at the same time
        db.session.rollback()
        raise click.ClickException(f"Nothing was imported: {err.orig}") from err
    db.session.commit()
    for filing in filings:
        click.echo(filing.describe())
    click.echo(f"{counts.added} added, {counts.updated} updated, {counts.unchanged} unchanged")
