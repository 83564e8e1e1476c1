"""Running a job in the worker: claim it, build, store, finish or fail; delete old files.

Called by the worker inside an app context (``surveyapp.jobs.queue``). This module
owns the job's transactions, as a view or a CLI command does for a request: the
long ``build`` runs with no transaction open, and ``store`` plus the job's "done"
are committed together in one short write transaction.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from surveyapp.database import write_transaction
from surveyapp.extensions import db
from surveyapp.jobs import files
from surveyapp.jobs.models import Job
from surveyapp.jobs.registry import KINDS, JobError, JobOutput, JobRun
from surveyapp.timeutil import utcnow

PROGRESS_INTERVAL = 0.5  # seconds between two progress writes
#: A running job whose progress has not moved for this long has died with its worker.
STALLED_AFTER = timedelta(minutes=30)


class _Progress:
    """Writes a job's progress in short transactions of its own, at most every half second."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self.last = 0.0
        self.total: int | None = None

    def __call__(self, done: int, total: int | None = None) -> None:
        self.total = total if total is not None else self.total
        now = time.monotonic()
        last_one = self.total is not None and done >= self.total
        if now - self.last < PROGRESS_INTERVAL and not last_one:
            return
        self.last = now
        values: dict[str, object] = {"progress_done": done, "updated_at": utcnow()}
        if total is not None:
            values["progress_total"] = total
        with write_transaction(), db.engine.begin() as connection:
            connection.execute(sa.update(Job).where(Job.id == self.job_id).values(**values))


def _claim(job_id: str) -> tuple[JobRun, str] | None:
    """Mark a queued job running: its run and kind; None when it is not queued."""
    now = utcnow()
    with write_transaction():
        claimed = db.session.execute(
            sa.update(Job)
            .where(Job.id == job_id, Job.status == "queued")
            .values(status="running", started_at=now, updated_at=now)
        ).rowcount  # type: ignore[attr-defined]
        db.session.commit()
    if not claimed:
        return None
    job = db.session.get(Job, job_id)
    assert job is not None
    run = JobRun(
        job_id=job.id,
        owner_id=job.owner_id,
        params=dict(job.params or {}),
        output=files.new_output(),
        report=_Progress(job.id),
    )
    kind_name = job.kind
    db.session.commit()  # end the read: nothing is held while the job builds
    return run, kind_name


def run_job(job_id: str) -> None:
    """Run one queued job to its end: done with its file, or failed with a message key."""
    claimed = _claim(job_id)
    if claimed is None:
        return
    run, kind_name = claimed
    try:
        kind = KINDS.get(kind_name)
        if kind is None:
            raise JobError("unknown_kind")
        prepared = kind.prepare(run)
        db.session.commit()  # end the read: no transaction is open while the job builds
        built = kind.build(run, prepared)
        with write_transaction():
            output = kind.store(run, built)
            _finish(run, output)
            db.session.commit()
    except Exception as err:  # noqa: BLE001 - every failure ends as a failed job
        db.session.rollback()
        key = err.key if isinstance(err, JobError) else "unexpected"
        if not isinstance(err, JobError):
            current_app.logger.exception("Job %s (%s) failed", job_id, kind_name)
        try:
            files.delete(run.output)
        finally:
            _fail(job_id, key)


def _finish(run: JobRun, output: JobOutput | None) -> None:
    job = db.session.get(Job, run.job_id, populate_existing=True)
    assert job is not None
    now = utcnow()
    job.status = "done"
    job.finished_at = now
    job.updated_at = now
    job.progress_done = max(job.progress_done, job.progress_total)
    if output is None:
        files.delete(run.output)
        return
    hours = int(current_app.config["SURVEYAPP_JOB_FILE_HOURS"])
    job.file_path = run.output.name
    job.file_name = output.name
    job.file_type = output.mimetype
    job.file_expires_at = now + timedelta(hours=hours)
    db.session.flush()


def _fail(job_id: str, key: str) -> None:
    now = utcnow()
    with write_transaction():
        db.session.execute(
            sa.update(Job)
            .where(Job.id == job_id)
            .values(status="failed", message=key, finished_at=now, updated_at=now)
        )
        db.session.commit()


# --------------------------------------------------------------------------- maintenance
# These add and flush inside write transactions; the worker's task wrapper commits.


def file_is_due(job: Job, now: datetime) -> bool:
    """A result file goes when it expires, or a grace period after its first download."""
    if job.file_expires_at is not None and job.file_expires_at <= now:
        return True
    if job.downloaded_at is None:
        return False
    grace = timedelta(minutes=float(current_app.config["SURVEYAPP_JOB_DOWNLOAD_GRACE_MINUTES"]))
    return job.downloaded_at + grace <= now


def _delete_files(jobs: list[Job]) -> int:
    for job in jobs:
        files.delete(files.path_of(job.file_path))
        job.file_path = None
    db.session.flush()
    return len(jobs)


def delete_due_file(job_id: str) -> bool:
    """Delete one job's result file if it is due (the worker runs this after a download)."""
    with write_transaction():
        job = db.session.get(Job, job_id)
        if job is None or not job.file_path or not file_is_due(job, utcnow()):
            return False
        _delete_files([job])
    return True


def delete_due_files() -> int:
    """Delete every result file that is due, and files no job refers to; returns how many."""
    now = utcnow()
    with write_transaction():
        candidates = db.session.scalars(
            sa.select(Job).where(Job.file_path.is_not(None)).order_by(Job.created_at)
        ).all()
        due = [job for job in candidates if file_is_due(job, now)]
        count = _delete_files(due)
        known = {job.file_path for job in candidates if job.file_path}
        # A worker killed between writing a file and committing its job leaves a stray one.
        cutoff = time.time() - 3600 * float(current_app.config["SURVEYAPP_JOB_FILE_HOURS"])
        for path in files.stored_files():
            if path.name not in known and path.stat().st_mtime < cutoff:
                files.delete(path)
                count += 1
    return count


def fail_stalled_jobs() -> int:
    """Mark running jobs whose progress stopped long ago (their worker died) as failed."""
    now = utcnow()
    with write_transaction():
        stalled = db.session.execute(
            sa.update(Job)
            .where(Job.status == "running", Job.updated_at < now - STALLED_AFTER)
            .values(status="failed", message="interrupted", finished_at=now, updated_at=now)
        ).rowcount  # type: ignore[attr-defined]
    return int(stalled or 0)
