"""What the background worker can do: kinds of job, and periodic maintenance.

Features register plain functions here when their module is imported (the factory
imports them in ``register_jobs``); nothing is bound to an app until the queue of
an app is built (``surveyapp.jobs.queue``).

A job kind has three parts. ``prepare`` reads what the job needs and returns it as
plain data (the runner ends that read transaction); ``build`` does the long work
(rendering, writing its file to ``run.output``) with no transaction open, reporting
progress; ``store`` adds and flushes its rows, and the runner commits them together
with the job's "done" in one short write transaction. So a job that fails at any
point leaves nothing behind, and no lock is held while it works.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any


class JobError(Exception):
    """A foreseen reason a job cannot finish; ``key`` names its translated message."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class JobOutput:
    """The file a finished job offers: written to ``run.output``, downloaded as ``name``."""

    name: str
    mimetype: str


@dataclass(frozen=True)
class JobRun:
    """What a job's functions get: its parameters, its output path and a progress callback."""

    job_id: str
    owner_id: int | None
    params: Mapping[str, Any]
    output: Path
    report: Callable[[int, int | None], None]

    def progress(self, done: int, total: int | None = None) -> None:
        """Report how far the job has come (written at most twice a second)."""
        self.report(done, total)

    def open_output(self) -> IO[bytes]:
        """The output file, created new and readable by this user only (mode 0600)."""
        self.output.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(self.output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        return os.fdopen(descriptor, "wb")


@dataclass(frozen=True)
class JobKind:
    """One kind of job: its two parts, and its words for the pages.

    ``title`` and the ``messages`` (failure keys the job may raise as ``JobError``) are
    lazy translations; ``progress_text(done, total)`` says how far it is, translated.
    """

    name: str
    prepare: Callable[[JobRun], Any]
    build: Callable[[JobRun, Any], Any]
    store: Callable[[JobRun, Any], JobOutput | None]
    title: Any
    progress_text: Callable[[str, str], str]
    messages: Mapping[str, Any] = field(default_factory=dict)


KINDS: dict[str, JobKind] = {}


def register_kind(kind: JobKind) -> JobKind:
    """Make a kind of job known to the worker and the pages."""
    KINDS[kind.name] = kind
    return kind


@dataclass(frozen=True)
class Periodic:
    """Maintenance the worker runs on a schedule, in an app context; the runner commits."""

    name: str
    schedule: Callable[[datetime], bool]
    run: Callable[[], None]


PERIODIC: dict[str, Periodic] = {}


def periodic(
    schedule: Callable[[datetime], bool], name: str | None = None
) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Register a maintenance function: ``@periodic(crontab(minute="*/5"))``.

    The function runs in the worker inside an app context; it adds and flushes, and is
    committed afterwards (rolled back if it raises). ``schedule`` is any function of the
    time (UTC) saying whether to run in that minute, such as ``huey.crontab(...)``.
    """

    def decorate(function: Callable[[], None]) -> Callable[[], None]:
        key = name or f"{function.__module__}.{function.__qualname__}"
        PERIODIC[key] = Periodic(key, schedule, function)
        return function

    return decorate
