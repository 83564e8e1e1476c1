"""Periodic privacy maintenance, run by the job worker (see docs/privacy.md)."""

from __future__ import annotations

from huey import crontab

from surveyapp.database import checkpoint
from surveyapp.extensions import db
from surveyapp.jobs.registry import periodic
from surveyapp.surveys import privacy
from surveyapp.timeutil import utcnow


@periodic(crontab(minute="*/5"), name="privacy.checkpoint_log")
def checkpoint_log() -> None:
    """SQLite: copy into the database what a busy minute left in the write-ahead log
    (every transaction is checkpointed already; readers can hold a checkpoint back)."""
    checkpoint(db.engine)


@periodic(crontab(minute="*/15"), name="privacy.forget_closed_claims")
def forget_closed_claims() -> None:
    """Rounds that passed their closing time without being closed by hand: drop the
    invitation claim hashes they no longer need."""
    privacy.forget_claims(privacy.closed_round_ids(utcnow()))
