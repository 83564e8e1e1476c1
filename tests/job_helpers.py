"""Helpers for tests that run background jobs through a real worker."""

from __future__ import annotations

import signal
import time
from typing import Any

import sqlalchemy as sa
from flask import Flask
from huey.consumer import Consumer

from surveyapp.extensions import db, task_queue
from surveyapp.jobs.models import Job


def job_id_of(response: Any) -> str:
    """The job a POST handed to the worker (it redirects to the job's page)."""
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    location = response.headers["Location"]
    assert "/jobs/" in location, location
    return str(location.rsplit("/jobs/", 1)[1].split("/")[0])


def load_job(job_id: str) -> Job:
    """The job as stored now (not as this session last saw it)."""
    db.session.rollback()
    job = db.session.scalar(
        sa.select(Job).where(Job.id == job_id).execution_options(populate_existing=True)
    )
    assert job is not None
    return job


def wait_for_job(job_id: str, timeout: float = 120.0, statuses: tuple[str, ...] = ()) -> Job:
    """Wait until the job is finished (or in one of ``statuses``)."""
    wanted = statuses or ("done", "failed")
    deadline = time.monotonic() + timeout
    while True:
        job = load_job(job_id)
        if job.status in wanted:
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job.status} after {timeout} s"
        time.sleep(0.05)


def start_consumer(app: Flask, periodic: bool = False) -> Consumer:
    """huey's real consumer for ``app`` (worker thread and scheduler), started.

    Not huey's immediate mode: jobs go through the queue storage and run in another
    thread with their own app context and database session, as in production. Stop it
    with ``consumer.stop(graceful=True)``. Periodic maintenance only when asked for: it
    would run at once, while the test is still writing its own data (on SQLite a
    fixture's read-then-write transaction then meets a busy database).
    """
    consumer = task_queue.consumer(
        app, workers=1, max_delay=0.1, check_worker_health=False, periodic=periodic
    )
    signals = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]
    handlers = {sig: signal.getsignal(sig) for sig in signals}
    consumer.start()
    for sig, handler in handlers.items():  # keep pytest's own Ctrl-C handling
        signal.signal(sig, handler)
    return consumer
