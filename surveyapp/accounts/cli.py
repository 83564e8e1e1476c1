"""`flask users ...`: create accounts, set passwords, deactivate."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from surveyapp.accounts import operations
from surveyapp.accounts.forms import policy_message
from surveyapp.accounts.models import ROLES
from surveyapp.extensions import db
from surveyapp.plaintext import strip_controls

users_cli = AppGroup("users", help="Manage staff accounts.")


def _fail(err: operations.AccountError) -> None:
    """The refusal in words (English, like the rest of the command line), not message keys."""
    db.session.rollback()
    with force_locale("en"):
        reasons = [policy_message(problem) for problem in err.problems]
    raise click.ClickException(" ".join(reasons))


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--municipality", "municipalities", multiple=True, help="Four-digit number.")
@click.password_option(help="Prompted for when not given.")
def create_command(
    email: str, name: str, role: str, municipalities: tuple[str, ...], password: str
) -> None:
    """Create a staff account."""
    try:
        user = operations.create_user(
            None, strip_controls(email), strip_controls(name), role, password, municipalities
        )
    except operations.AccountError as err:
        _fail(err)
        return
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}")


@users_cli.command("set-password")
@click.option("--email", required=True)
@click.password_option()
def set_password_command(email: str, password: str) -> None:
    """Set a new password; every session of the account is logged out."""
    user = operations.find_by_email(email)
    if user is None:
        raise click.ClickException(f"no account {email}")
    try:
        operations.set_password(None, user, password)
    except operations.AccountError as err:
        _fail(err)
        return
    db.session.commit()
    click.echo(f"Password changed for {user.email}; other sessions are logged out")


@users_cli.command("deactivate")
@click.option("--email", required=True)
def deactivate_command(email: str) -> None:
    """Deactivate an account (it can no longer log in)."""
    user = operations.find_by_email(email)
    if user is None:
        raise click.ClickException(f"no account {email}")
    operations.deactivate(None, user)
    db.session.commit()
    click.echo(f"Deactivated {user.email}")
