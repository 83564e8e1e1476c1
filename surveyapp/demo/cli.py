"""`flask setup` (what `make run` does) and `flask demo` (fictitious demo data)."""

from __future__ import annotations

import time

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from surveyapp.demo.seed import DEMO_LOGINS, DemoRefused, seed_demo
from surveyapp.extensions import db
from surveyapp.municipalities.cli import load_changes, load_register
from surveyapp.questionnaires.cli import load_definitions, shipped_files
from surveyapp.servicetest.units import load_units
from surveyapp.surveys.models import SurveyRound


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Fill an empty database with plainly labelled fictitious demo data (demo mode only)."""
    started = time.perf_counter()
    try:
        summary = seed_demo()
    except DemoRefused as err:
        db.session.rollback()
        raise click.ClickException(str(err)) from err
    db.session.commit()
    click.echo(f"Demo data – fictitious figures: {summary} ({time.perf_counter() - started:.1f} s)")


@click.command("setup")
@click.option("--demo/--no-demo", default=None, help="Seed demo data (default: in demo mode).")
@with_appcontext
def setup_command(demo: bool | None) -> None:
    """Create or upgrade the database, load the register, its history and the questionnaires,
    seed demo data."""
    upgrade()
    added, updated = load_register()
    click.echo(f"Municipalities: {added} added, {updated} updated")
    history = load_changes()
    click.echo(
        f"Municipality history: {history.changes} changes ({history.added} new), "
        f"{history.former} numbers no longer in use"
    )
    click.echo(f"Test units (Oslo's city districts): {load_units()} added")
    for line in load_definitions(shipped_files()):
        click.echo("Questionnaire " + line)
    db.session.commit()
    if demo is None:
        demo = bool(current_app.config["SURVEYAPP_DEMO"])
    if demo:
        try:
            summary = seed_demo()
        except DemoRefused as err:
            db.session.rollback()
            click.echo(f"Demo data: {err}")
        else:
            db.session.commit()
            click.echo(f"Demo data – fictitious figures: {summary}")
        base = current_app.config["SURVEYAPP_BASE_URL"]
        click.echo("")
        click.echo("Open these in a browser:")
        click.echo(f"  {base}/                 front page")
        click.echo(f"  {base}/login            staff log-in")
        for survey_round in db.session.scalars(
            sa.select(SurveyRound).where(
                SurveyRound.is_demo.is_(True), SurveyRound.status == "open"
            )
        ):
            link = f"{base}/s/{survey_round.slug}"
            click.echo(f"  {link:<24} citizen survey (demo round, open)")
        click.echo("Demo log-ins (demo mode only; fictitious data):")
        for role, email, password in DEMO_LOGINS:
            click.echo(f"  {role:<8} {email:<32} {password}")
