"""Periodic field-work maintenance, run by the job worker."""

from __future__ import annotations

from huey import crontab

from surveyapp.database import write_transaction
from surveyapp.jobs.registry import periodic
from surveyapp.servicetest import evidence, operations


@periodic(crontab(minute="*/15"), name="servicetest.close_expired_replies")
def close_expired_replies() -> None:
    """E-mails whose reply can no longer earn points are done (no reply scores 0)."""
    with write_transaction():
        operations.close_expired_replies()


@periodic(crontab(minute="20", hour="*"), name="servicetest.delete_expired_evidence")
def delete_expired_evidence() -> None:
    """Attachments of locked rounds past their retention are deleted from the file store."""
    with write_transaction():
        evidence.delete_expired_attachments()
