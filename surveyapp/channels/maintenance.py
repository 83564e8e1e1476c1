"""Periodic: delete e-mail address lists once their round has closed and the grace is over."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from huey import crontab

from surveyapp.channels import email
from surveyapp.database import write_transaction
from surveyapp.jobs.registry import periodic
from surveyapp.timeutil import utcnow


@periodic(crontab(minute="7"), name="channels.delete_address_lists")
def delete_address_lists() -> None:
    """The address list is personal data: gone ``SURVEYAPP_EMAIL_LIST_GRACE_DAYS`` after close."""
    grace = timedelta(days=float(current_app.config["SURVEYAPP_EMAIL_LIST_GRACE_DAYS"]))
    with write_transaction():
        email.delete_expired_lists(utcnow(), grace)
