"""``flask jobs worker``: the background worker (huey's consumer) for this app's settings."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import AppGroup

from surveyapp.extensions import task_queue
from surveyapp.jobs.queue import queue_url

jobs_cli = AppGroup("jobs", help="Background jobs.")


@jobs_cli.command("worker")
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 16), help="Worker threads."
)
def worker_command(workers: int) -> None:
    """Run queued jobs and periodic maintenance until stopped (Ctrl-C or SIGTERM)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    url = queue_url(app)
    shown = url.split("@")[-1] if url.startswith(("redis", "unix")) else url
    click.echo(f"Job worker: {workers} thread(s), queue {shown}", err=True)
    task_queue.consumer(app, workers=workers).run()
