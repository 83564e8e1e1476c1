"""``flask invitations add|send|remind``: e-mail invitations from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from surveyapp.channels import addresses, email, sending
from surveyapp.extensions import db
from surveyapp.jobs.models import Job
from surveyapp.jobs.runner import run_job
from surveyapp.surveys.models import SurveyRound
from surveyapp.timeutil import utcnow

invitations_cli = AppGroup("invitations", help="E-mail invitations and reminders.")

_REASONS = {
    "not_invitation_round": "the round is answered through an open link, not invitations",
    "closed": "the round has closed",
    "not_open": "reminders are sent only while the round is open",
    "nothing": "there is nobody to send to",
    "no_sender": "no sender address is set (MAIL_DEFAULT_SENDER)",
}
_JOB_FAILURES = {
    "server_down": "the mail server could not be reached; nothing more was sent",
    "round_gone": "the round no longer exists",
    "unexpected": "the run failed (see the log)",
}


def _round(round_id: int) -> SurveyRound:
    survey_round = db.session.get(SurveyRound, round_id)
    if survey_round is None:
        raise click.ClickException(f"there is no round {round_id}")
    return survey_round


@invitations_cli.command("add")
@click.option("--round", "round_id", type=int, required=True, help="The round's id.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def add_command(round_id: int, file: Path) -> None:
    """Put the e-mail addresses in FILE (CSV) on the round's list; all or nothing."""
    survey_round = _round(round_id)
    with file.open("rb") as stream:
        data = stream.read(addresses.MAX_FILE_BYTES + 1)
    parsed = addresses.parse_addresses(
        data,
        [m.code for m in survey_round.municipalities],
        email.stored_addresses(survey_round.id),
    )
    if parsed.problems:
        for problem in parsed.problems:
            text = _PROBLEMS[problem.code] % {"value": problem.value}
            where = f"line {problem.line}: " if problem.line else ""
            click.echo(f"{file}: {where}{text}", err=True)
        raise click.ClickException("nothing was added")
    try:
        added = email.add_addresses(None, survey_round, parsed)
    except email.EmailError as err:
        raise click.ClickException(_REASONS[err.reason]) from err
    db.session.commit()
    click.echo(f"Addresses added: {added}; duplicates merged: {parsed.duplicates}.")


_PROBLEMS = {
    "too_large": "the file is too large (at most 2 MB)",
    "encoding": "the file must be text (UTF-8)",
    "empty": "the file holds no addresses",
    "columns": "write an address and at most a municipality number",
    "bad_address": "%(value)r is not an e-mail address",
    "no_municipality": "write the municipality number after the address",
    "unknown_municipality": "%(value)s is not one of the round's municipalities",
    "too_many": "a round's list holds at most %(value)s addresses",
}


def _run(round_id: int, kind: str, dry_run: bool) -> None:
    survey_round = _round(round_id)
    reason = sending.blocked(survey_round, kind, utcnow())
    if reason == "nothing":
        click.echo("E-mails to send: 0.")
        return
    if reason is not None:
        raise click.ClickException(_REASONS[reason])
    if dry_run:
        click.echo(f"E-mails to send: {sending.due(survey_round, kind)} (dry run: none sent).")
        return
    before = _tally(survey_round.id, kind)
    job = sending.queue_job(None, survey_round, kind)
    db.session.commit()
    job_id = job.id
    # The same job the pages queue, run here: the command is the worker for it.
    run_job(job_id)
    db.session.rollback()
    after = _tally(round_id, kind)
    sent, failed = after[0] - before[0], after[1] - before[1]
    click.echo(f"E-mails sent: {sent}; failed: {failed}.")
    finished = db.session.get(Job, job_id)
    if finished is not None and finished.status == "failed":
        key = finished.message or "unexpected"
        raise click.ClickException(_JOB_FAILURES.get(key, _REASONS.get(key, key)))


def _tally(round_id: int, kind: str) -> tuple[int, int]:
    from sqlalchemy import func, select

    from surveyapp.channels.models import EmailRecipient, EmailSendLog

    rows: dict[str, int] = dict(
        db.session.execute(  # type: ignore[arg-type]
            select(EmailSendLog.outcome, func.count(EmailSendLog.id))
            .join(EmailRecipient, EmailRecipient.id == EmailSendLog.recipient_id)
            .where(EmailRecipient.round_id == round_id, EmailSendLog.kind == kind)
            .group_by(EmailSendLog.outcome)
        ).all()
    )
    return int(rows.get("sent", 0)), int(rows.get("failed", 0))


@invitations_cli.command("send")
@click.option("--round", "round_id", type=int, required=True, help="The round's id.")
@click.option("--dry-run", is_flag=True, help="Only count the addresses.")
def send_command(round_id: int, dry_run: bool) -> None:
    """Send the invitation to every address not sent yet (failed ones are tried again)."""
    _run(round_id, "invitation", dry_run)


@invitations_cli.command("remind")
@click.option("--round", "round_id", type=int, required=True, help="The round's id.")
@click.option("--dry-run", is_flag=True, help="Only count the addresses.")
def remind_command(round_id: int, dry_run: bool) -> None:
    """Send a reminder to every address whose link is unused (at most N times per address)."""
    _run(round_id, "reminder", dry_run)
