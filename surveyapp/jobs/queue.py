"""The task queue: huey, with SQLite storage in the instance folder unless Redis is set.

Huey carries only job ids (the job table holds the rest). Each app gets its own huey
instance, built on first use from the app's settings; its tasks run inside an app
context of that app, so the worker (``flask jobs worker``) runs them with the same
settings as the web server.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer
from sqlalchemy.engine import make_url

from surveyapp.config import ConfigurationError
from surveyapp.jobs.registry import PERIODIC

QUEUE_NAME = "surveyapp"
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def queue_url(app: Flask) -> str:
    """``SURVEYAPP_TASK_QUEUE_URL``, or a SQLite file in the instance folder."""
    url = app.config.get("SURVEYAPP_TASK_QUEUE_URL")
    if url:
        return str(url)
    return "sqlite:///" + str(Path(app.instance_path) / "tasks.db")


def check_queue_url(url: str) -> None:
    if url.startswith(_REDIS_SCHEMES):
        return
    if url.startswith("sqlite:///") and make_url(url).database:
        return
    raise ConfigurationError(
        f"SURVEYAPP_TASK_QUEUE_URL must be sqlite:///PATH or redis://HOST:PORT/DB, not {url!r}"
    )


def make_huey(url: str) -> Huey:
    """A huey instance on Redis or on a SQLite file (results are not kept: the job table is)."""
    check_queue_url(url)
    if url.startswith(_REDIS_SCHEMES):
        return RedisHuey(QUEUE_NAME, url=url, results=False)
    path = Path(str(make_url(url).database))
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(QUEUE_NAME, filename=str(path), results=False)


class _AppQueue:
    """One app's huey instance and its tasks."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.url = queue_url(app)
        check_queue_url(self.url)
        self._huey: Huey | None = None
        self._lock = threading.Lock()
        self.run_job: Any = None
        self.delete_file: Any = None

    @property
    def huey(self) -> Huey:
        # Built on first use, so that an app that never queues anything makes no file.
        with self._lock:
            if self._huey is None:
                self._huey = self._build()
            return self._huey

    def _in_app(self, function: Callable[..., Any]) -> Callable[..., None]:
        """``function`` in an app context; committed when it returns, rolled back if it raises."""
        app = self.app

        def task(*args: Any) -> None:
            from surveyapp.extensions import db

            with app.app_context():
                try:
                    function(*args)
                    db.session.commit()
                except BaseException:
                    db.session.rollback()
                    raise

        task.__name__ = function.__name__
        task.__module__ = __name__
        return task

    def _build(self) -> Huey:
        from surveyapp.jobs import runner

        huey = make_huey(self.url)
        self.run_job = huey.task(name="run_job")(self._in_app(runner.run_job))
        self.delete_file = huey.task(name="delete_job_file")(self._in_app(runner.delete_due_file))
        for item in PERIODIC.values():
            huey.periodic_task(item.schedule, name=item.name)(self._in_app(item.run))
        return huey


class JobQueue:
    """The extension: ``init_app`` gives the app its queue; the methods use the current app's."""

    key = "surveyapp_jobs"

    def init_app(self, app: Flask) -> None:
        app.extensions[self.key] = _AppQueue(app)

    def _state(self, app: Flask | None = None) -> _AppQueue:
        found: _AppQueue = (app or current_app).extensions[self.key]
        return found

    def huey(self, app: Flask | None = None) -> Huey:
        return self._state(app).huey

    def enqueue(self, job_id: str) -> None:
        """Hand a job (already committed to the job table) to the worker."""
        state = self._state()
        state.huey  # noqa: B018 - builds the tasks on first use
        state.run_job(job_id)

    def schedule_file_deletion(self, job_id: str, delay_seconds: float) -> None:
        """Ask the worker to delete a job's file once it is due (after the download grace)."""
        state = self._state()
        state.huey  # noqa: B018
        state.delete_file.schedule(args=(job_id,), delay=max(0.0, delay_seconds))

    def consumer(self, app: Flask | None = None, workers: int = 1, **options: Any) -> Consumer:
        """A huey consumer for the app: worker threads plus the periodic scheduler."""
        options.setdefault("worker_type", "thread")
        options.setdefault("periodic", True)
        options.setdefault("max_delay", 1.0)  # wait at most a second for new work
        return self.huey(app).create_consumer(workers=workers, **options)
