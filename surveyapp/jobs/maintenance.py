"""The jobs package's own periodic maintenance, run by the worker."""

from __future__ import annotations

from huey import crontab

from surveyapp.jobs import runner
from surveyapp.jobs.registry import periodic


@periodic(crontab(minute="*/5"), name="jobs.delete_due_files")
def delete_due_files() -> None:
    """Result files hold live links: delete them when expired or downloaded (plus grace)."""
    runner.delete_due_files()


@periodic(crontab(minute="*/10"), name="jobs.fail_stalled_jobs")
def fail_stalled_jobs() -> None:
    """A job whose worker died is marked failed, so its page stops waiting."""
    runner.fail_stalled_jobs()
