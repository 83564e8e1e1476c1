"""The job machinery itself: maintenance of result files, stalled jobs, periodic tasks,
the queue settings, and Redis as the queue (a real redis-server on 127.0.0.1)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from surveyapp import create_app
from surveyapp.config import ConfigurationError
from surveyapp.extensions import db, task_queue
from surveyapp.jobs import files, runner
from surveyapp.jobs.models import Job
from surveyapp.jobs.registry import (
    KINDS,
    PERIODIC,
    JobKind,
    JobOutput,
    JobRun,
    periodic,
    register_kind,
)
from surveyapp.timeutil import utcnow
from tests.job_helpers import start_consumer, wait_for_job


def _job(**values: Any) -> Job:
    job = Job(kind="tests.echo", params={}, status="done", progress_done=0, progress_total=0)
    for key, value in values.items():
        setattr(job, key, value)
    db.session.add(job)
    db.session.commit()
    return job


def _file(folder: Path, name: str, age_hours: float = 0.0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"live links")
    if age_hours:
        moment = time.time() - age_hours * 3600
        os.utime(path, (moment, moment))
    return path


def test_maintenance_deletes_expired_and_downloaded_files_and_strays(app: Flask) -> None:
    folder = Path(app.config["SURVEYAPP_JOB_FILES_DIR"])
    now = utcnow()
    names = {
        key: f"{index:032x}"
        for index, key in enumerate(
            [
                "expired",
                "downloaded_long_ago",
                "downloaded_just_now",
                "fresh",
                "stray_old",
                "stray_new",
            ]
        )
    }
    for key in ("expired", "downloaded_long_ago", "downloaded_just_now", "fresh"):
        _file(folder, names[key])
    _file(folder, names["stray_old"], age_hours=25)
    _file(folder, names["stray_new"], age_hours=1)
    later = now + timedelta(hours=20)
    _job(file_path=names["expired"], file_expires_at=now - timedelta(minutes=1))
    _job(
        file_path=names["downloaded_long_ago"],
        file_expires_at=later,
        downloaded_at=now - timedelta(minutes=11),
    )
    _job(
        file_path=names["downloaded_just_now"],
        file_expires_at=later,
        downloaded_at=now - timedelta(minutes=1),
    )
    _job(file_path=names["fresh"], file_expires_at=later)

    assert runner.delete_due_files() == 3
    db.session.commit()

    left = {path.name for path in folder.iterdir()}
    assert left == {names["downloaded_just_now"], names["fresh"], names["stray_new"]}
    kept = db.session.scalars(sa.select(Job.file_path).where(Job.file_path.is_not(None))).all()
    assert set(kept) == {names["downloaded_just_now"], names["fresh"]}


def test_stalled_running_jobs_are_marked_failed(app: Flask) -> None:
    stalled = _job(status="running", updated_at=utcnow() - timedelta(minutes=31))
    moving = _job(status="running", updated_at=utcnow() - timedelta(minutes=1))

    assert runner.fail_stalled_jobs() == 1
    db.session.commit()

    assert (db.session.get(Job, stalled.id).status, stalled.message) == ("failed", "interrupted")
    assert db.session.get(Job, moving.id).status == "running"


def test_result_file_names_are_only_our_random_names(app: Flask) -> None:
    assert files.path_of("../../etc/passwd") is None
    assert files.path_of(None) is None
    made = files.new_output()
    assert files.path_of(made.name) == made
    assert made.name != files.new_output().name


@pytest.fixture
def every_minute() -> Iterator[threading.Event]:
    """A periodic task registered as another feature would (run at every scheduler check)."""
    ran = threading.Event()

    @periodic(lambda _moment: True, name="tests.every_minute")
    def note_that_it_ran() -> None:
        ran.set()

    try:
        yield ran
    finally:
        PERIODIC.pop("tests.every_minute")


def test_the_worker_runs_periodic_maintenance_registered_by_features(
    app: Flask, every_minute: threading.Event, start_worker: Callable[[], Any]
) -> None:
    consumer = start_worker(periodic=True)
    registered = {task.__name__ for task in consumer.huey._registry._periodic_tasks}
    assert {"jobs.delete_due_files", "jobs.fail_stalled_jobs", "tests.every_minute"} <= registered
    assert every_minute.wait(timeout=15), "the periodic task did not run"


@pytest.mark.parametrize(
    "url", ["postgresql://localhost/queue", "sqlite:///", "memory://", "redis-ish"]
)
def test_an_unusable_queue_setting_stops_the_app_from_starting(
    app_config: dict[str, Any], url: str
) -> None:
    with pytest.raises(ConfigurationError, match="SURVEYAPP_TASK_QUEUE_URL"):
        create_app({**app_config, "SURVEYAPP_TASK_QUEUE_URL": url})


def test_the_default_queue_is_a_sqlite_file_in_the_instance_folder(
    app_config: dict[str, Any],
) -> None:
    config = {**app_config, "SURVEYAPP_TASK_QUEUE_URL": None}
    made = create_app(config)
    from surveyapp.jobs.queue import queue_url

    assert queue_url(made) == "sqlite:///" + str(Path(made.instance_path) / "tasks.db")
    with made.app_context():
        db.engine.dispose()


def test_worker_command_is_there(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--help"])
    assert result.exit_code == 0
    assert "Run queued jobs and periodic maintenance" in result.output


# --------------------------------------------------------------------------- Redis


@pytest.fixture
def echo_kind() -> Iterator[str]:
    """A small kind of job that writes its parameter to a file."""

    def build(run: JobRun, prepared: None) -> None:
        run.progress(1, 1)
        with run.open_output() as out:
            out.write(str(run.params["text"]).encode())

    register_kind(
        JobKind(
            name="tests.echo",
            prepare=lambda run: None,
            build=build,
            store=lambda run, built: JobOutput("echo.txt", "text/plain"),
            title="Echo",
            progress_text=lambda done, total: f"{done}/{total}",
        )
    )
    try:
        yield "tests.echo"
    finally:
        KINDS.pop("tests.echo")


@pytest.fixture
def redis_app(app_config: dict[str, Any], redis_url: str) -> Iterator[Flask]:
    from tests.conftest import build_app

    app = build_app({**app_config, "SURVEYAPP_TASK_QUEUE_URL": redis_url})
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_jobs_run_through_redis_when_it_is_configured(redis_app: Flask, echo_kind: str) -> None:
    from redis import Redis

    from surveyapp.jobs.operations import create_job

    job = create_job(echo_kind, None, {"text": "hei fra redis"}, total=1)
    db.session.commit()
    task_queue.enqueue(job.id)
    redis = Redis.from_url(redis_app.config["SURVEYAPP_TASK_QUEUE_URL"])
    assert redis.llen("huey.redis.surveyapp") == 1  # queued in Redis, not in a file
    redis.close()

    consumer = start_consumer(redis_app)
    try:
        done = wait_for_job(job.id, timeout=30)
    finally:
        consumer.stop(graceful=True)

    assert done.status == "done", done.message
    path = files.path_of(done.file_path)
    assert path is not None and path.read_text() == "hei fra redis"
