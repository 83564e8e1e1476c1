"""Starting a run of e-mails (invitations or a reminder) for a round, from a page or the CLI.

These add and flush; the caller commits and hands the job to the queue (or runs it).
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from surveyapp.channels import email, email_job
from surveyapp.jobs import operations as job_operations
from surveyapp.jobs.models import Job
from surveyapp.surveys.models import SurveyRound


def due(survey_round: SurveyRound, kind: str) -> int:
    """How many addresses a run of ``kind`` would write to now."""
    if kind == "invitation":
        return len(email.to_send(survey_round.id))
    limit = int(current_app.config["SURVEYAPP_MAIL_REMINDERS"])
    return len(email.to_remind(survey_round.id, limit))


def blocked(survey_round: SurveyRound, kind: str, now: datetime) -> str | None:
    """Why a run of ``kind`` cannot start now (a message key), or None."""
    try:
        email.check_can_send(survey_round, now, kind)
    except email.EmailError as err:
        return err.reason
    if not current_app.config["MAIL_DEFAULT_SENDER"]:
        return "no_sender"
    if due(survey_round, kind) == 0:
        return "nothing"
    return None


def queue_job(user_id: int | None, survey_round: SurveyRound, kind: str) -> Job:
    """Make the links still missing and create the job (commit, then enqueue or run it)."""
    if kind == "invitation":
        email.make_links(survey_round, email.to_send(survey_round.id))
    return job_operations.create_job(
        email_job.KIND,
        user_id,
        email_job.params(survey_round, kind),
        total=due(survey_round, kind),
        round_id=survey_round.id,
    )
