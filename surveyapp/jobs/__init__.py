"""Background jobs: long work (letters for thousands, large exports) outside any request.

A view validates, creates a ``Job`` row, commits and hands its id to the queue
(huey: SQLite in the instance folder by default, Redis when
``SURVEYAPP_TASK_QUEUE_URL`` says so). The worker (``flask jobs worker``) runs it
in an app context, writes its progress and its result file, and the job's page
shows both. Features add kinds of job with ``register_kind`` and periodic
maintenance with ``@periodic(crontab(...))``.
"""

from huey import crontab

from surveyapp.jobs.registry import (
    JobError,
    JobKind,
    JobOutput,
    JobRun,
    periodic,
    register_kind,
)

__all__ = [
    "JobError",
    "JobKind",
    "JobOutput",
    "JobRun",
    "crontab",
    "periodic",
    "register_kind",
]
