"""Jobs as the pages see them: create, find the ones a user may see, note a download.

These add and flush; the view commits (and then hands the job to the queue).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from surveyapp.audit.operations import record
from surveyapp.extensions import db
from surveyapp.jobs.models import Job
from surveyapp.jobs.registry import KINDS
from surveyapp.timeutil import utcnow

ENTITY = "job"


def create_job(
    kind: str,
    owner_id: int | None,
    params: Mapping[str, Any],
    total: int = 0,
    round_id: int | None = None,
) -> Job:
    """A queued job; commit it before handing it to the queue."""
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job(
        kind=kind,
        owner_id=owner_id,
        round_id=round_id,
        params=dict(params),
        status="queued",
        progress_done=0,
        progress_total=total,
    )
    db.session.add(job)
    db.session.flush()
    return job


def visible_job(job_id: str, user_id: int, is_admin: bool) -> Job | None:
    """The job if this user may see it: its owner, or an admin."""
    job = db.session.get(Job, job_id)
    if job is None or not (is_admin or job.owner_id == user_id):
        return None
    return job


def round_jobs(round_id: int, kind: str, user_id: int, is_admin: bool, limit: int = 5) -> list[Job]:
    """The latest jobs of a kind for a round that this user may see, newest first."""
    query = sa.select(Job).where(Job.round_id == round_id, Job.kind == kind)
    if not is_admin:
        query = query.where(Job.owner_id == user_id)
    query = query.order_by(Job.created_at.desc(), Job.id).limit(limit)
    return list(db.session.scalars(query))


def record_download(user_id: int, job: Job) -> None:
    """Audit the download of a job's file and note the first one (its deletion counts from it)."""
    if job.downloaded_at is None:
        job.downloaded_at = utcnow()
    record(
        user_id,
        "download",
        ENTITY,
        job.id,
        new={"kind": job.kind, "round": job.round_id, "file": job.file_name},
    )
    db.session.flush()
