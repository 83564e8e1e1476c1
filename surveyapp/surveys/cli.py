"""`flask privacy scrub`: remove what a closed round's storage says about order."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from surveyapp.extensions import db
from surveyapp.surveys import privacy
from surveyapp.timeutil import utcnow

privacy_cli = AppGroup("privacy", help="Keep stored answers unlinkable (docs/privacy.md).")


@privacy_cli.command("scrub")
@click.option("--round", "round_ids", type=int, multiple=True, help="Only these rounds.")
def scrub_command(round_ids: tuple[int, ...]) -> None:
    """Forget invitation claims of closed rounds, reorder their rows, compact the database."""
    report = privacy.scrub_closed_rounds(utcnow(), list(round_ids) or None)
    db.session.commit()
    privacy.compact(db.engine)
    click.echo(
        f"Closed rounds scrubbed: {len(report.rounds)}; "
        f"invitation claims forgotten: {report.claims_forgotten}; "
        f"responses rewritten in random order: {report.reordered}."
    )
