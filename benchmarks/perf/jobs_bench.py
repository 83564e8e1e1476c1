"""Citizens keep answering while the background worker makes 5,000 invitation letters.

    python -m benchmarks.perf.jobs_bench [--database-url URL] [--count 5000]

Prepares a database like ``benchmarks.perf.load`` (one open round for the citizens)
plus an invitation round, starts gunicorn with the production settings and
``flask --app surveyapp jobs worker`` beside it (as ``make run`` and the README's
production setup do), and runs virtual citizens (``load.walk``) twice: once with the
worker idle (the baseline), and once while the worker builds ``count`` invitation
letters and stores the invitations. The figure is the final POST's p99 latency in
the window when the job runs; the goal is < 250 ms, as for the plain load.

Before the letters moved to a background job, making 5,000 invitations held SQLite's
write lock for the whole PDF build, and a citizen's submission waited 6.45 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks.perf import load

COUNT = 5000
JOB_TIMEOUT = 300.0  # seconds: the job must finish within this (it takes ~10–30 s)
GOAL_P99 = load.GOAL_P99
FINAL = "POST page 3"


@dataclass
class JobsRun:
    backend: str
    server: str
    count: int
    baseline: load.LoadResult
    during: load.LoadResult
    job_status: str
    job_message: str | None
    job_seconds: float
    invitations: int
    worker_log_errors: int
    notes: list[str] = field(default_factory=list)

    @property
    def p99(self) -> float | None:
        return self.during.latency(FINAL, 0.99)

    @property
    def ok(self) -> bool:
        return (
            self.job_status == "done"
            and self.invitations == self.count
            and self.p99 is not None
            and self.p99 < GOAL_P99
            and self.during.error_count == 0
        )


def queue_env(folder: Path) -> dict[str, str]:
    """Where the worker's queue and result files live for this run."""
    return {
        "SURVEYAPP_TASK_QUEUE_URL": f"sqlite:///{folder / 'tasks.db'}",
        "SURVEYAPP_JOB_FILES_DIR": str(folder / "job-files"),
    }


def _app(database_url: str, secret_key: str, folder: Path) -> Any:
    from surveyapp import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": secret_key,
            "SURVEYAPP_DEMO": False,
            **queue_env(folder),
        }
    )


def queue_invitations(database_url: str, secret_key: str, folder: Path, count: int) -> str:
    """An open invitation round and a queued job for ``count`` letters; returns the job id."""
    from datetime import UTC, datetime, timedelta

    from surveyapp.extensions import db, task_queue
    from surveyapp.jobs.operations import create_job
    from surveyapp.models import Municipality, SurveyRound
    from surveyapp.questionnaires.store import latest_version
    from surveyapp.surveys import invitation_job

    app = _app(database_url, secret_key, folder)
    with app.app_context():
        try:
            questionnaire = latest_version(load.QUESTIONNAIRE)
            assert questionnaire is not None, "run flask setup first"
            now = datetime.now(UTC)
            survey_round = SurveyRound(
                slug="bench-invitations",
                title="Benchmark invitations – fiktive tall",
                year=now.year,
                questionnaire_id=questionnaire.id,
                status="open",
                access="invitation",
                opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(days=30),
                is_demo=True,
            )
            survey_round.municipalities = list(
                db.session.scalars(
                    sa.select(Municipality).where(Municipality.code == load.MUNICIPALITY)
                )
            )
            db.session.add(survey_round)
            db.session.flush()
            job = create_job(
                invitation_job.KIND,
                None,
                invitation_job.params(survey_round, load.MUNICIPALITY, count),
                total=count,
                round_id=survey_round.id,
            )
            db.session.commit()
            task_queue.enqueue(job.id)
            return str(job.id)
        finally:
            db.session.remove()
            db.engine.dispose()


def job_state(database_url: str, job_id: str) -> tuple[str, str | None, int]:
    """(status, message, invitations stored) of the job."""
    engine = load.engine_for(database_url)
    try:
        with engine.connect() as conn:
            status, message, round_id = conn.execute(
                sa.text("SELECT status, message, round_id FROM job WHERE id = :id"),
                {"id": job_id},
            ).one()
            stored = conn.execute(
                sa.text("SELECT count(*) FROM invitation WHERE round_id = :r"), {"r": round_id}
            ).scalar_one()
            return str(status), message, int(stored)
    finally:
        engine.dispose()


class Worker:
    """``flask --app surveyapp jobs worker`` with the server's settings, in its own group."""

    def __init__(self, database_url: str, secret_key: str, folder: Path) -> None:
        self.env = {**load.server_env(database_url, secret_key), **queue_env(folder)}
        self.log_path = folder / "worker.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "surveyapp", "jobs", "worker"],
                cwd=load.PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def log_errors(self) -> int:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return 0
        return text.count(" ERROR ")


def jobs_run(
    database_url: str,
    backend: str,
    round_id: int | None = None,
    count: int = COUNT,
    baseline_seconds: float = 15.0,
    warmup: float = 3.0,
    concurrency: int = load.CONCURRENCY,
    log: Callable[[str], None] = print,
) -> JobsRun:
    """Baseline load, then the same load while the worker makes ``count`` letters."""
    key = load.new_secret_key()
    if round_id is None:
        log(f"[{backend}] preparing the database …")
        load.prepare_database(database_url, key)
    threads = load.production_threads(database_url)
    with tempfile.TemporaryDirectory(prefix="surveyapp-jobs-bench.") as name:
        folder = Path(name)
        server = load.Gunicorn(database_url, key, threads=threads)
        worker = Worker(database_url, key, folder)
        server.start()
        worker.start()
        log(f"[{backend}] gunicorn on port {server.port} and the job worker are running")
        try:
            load.run_load(server.port, duration=warmup, concurrency=concurrency)
            baseline = load.run_load(
                server.port, duration=baseline_seconds, concurrency=concurrency
            )
            log(
                f"[{backend}] baseline (worker idle): final POST p99 "
                f"{load._ms(baseline.latency(FINAL, 0.99))}"
            )
            job_id = queue_invitations(database_url, key, folder, count)
            stop = threading.Event()
            outcome: dict[str, load.LoadResult] = {}
            citizens = threading.Thread(
                target=lambda: outcome.update(
                    during=load.run_load(
                        server.port, duration=JOB_TIMEOUT, concurrency=concurrency, stop=stop
                    )
                ),
                daemon=True,
            )
            started = time.monotonic()
            citizens.start()
            status, message, stored = job_state(database_url, job_id)
            while status in ("queued", "running") and time.monotonic() - started < JOB_TIMEOUT:
                time.sleep(0.25)
                status, message, stored = job_state(database_url, job_id)
            job_seconds = time.monotonic() - started
            stop.set()
            citizens.join(timeout=6 * load.REQUEST_TIMEOUT)
            during = outcome.get("during") or load.LoadResult(0.0, concurrency, load.Stats())
            log(
                f"[{backend}] job {status} in {job_seconds:.1f} s, {stored} invitations; "
                f"final POST p99 meanwhile {load._ms(during.latency(FINAL, 0.99))}"
            )
        finally:
            worker.stop()
            server.stop()
            server.remove_log()
        return JobsRun(
            backend=backend,
            server=server.describe() + " + flask --app surveyapp jobs worker",
            count=count,
            baseline=baseline,
            during=during,
            job_status=status,
            job_message=message,
            job_seconds=job_seconds,
            invitations=stored,
            worker_log_errors=worker.log_errors(),
        )


def markdown(run: JobsRun) -> str:
    def ms(result: load.LoadResult, share: float) -> str:
        return load._ms(result.latency(FINAL, share))

    yes = {True: "met", False: "**not met**"}
    p99_ok = run.p99 is not None and run.p99 < GOAL_P99
    lines = [
        f"Server: `{run.server}`; {run.during.concurrency} virtual citizens at once "
        f"(`load.walk`); the worker makes {run.count:,} invitation letters (PDF with QR "
        "codes, CSV of links, ZIP) and then stores the invitations in one short transaction.",
        "",
        "| figure | while the job runs | worker idle (baseline) | goal | result |",
        "|---|---|---|---|---|",
        f"| final POST latency p50 / p99 | {ms(run.during, 0.5)} / {ms(run.during, 0.99)} "
        f"| {ms(run.baseline, 0.5)} / {ms(run.baseline, 0.99)} "
        f"| p99 < {GOAL_P99 * 1000:.0f} ms | {yes[p99_ok]} |",
        f"| final POST slowest | {load._ms(max(run.during.stats.latencies.get(FINAL, [0])))} "
        f"| {load._ms(max(run.baseline.stats.latencies.get(FINAL, [0])))} | – | – |",
        f"| completed submissions/s | {run.during.submissions_per_second:.1f} "
        f"| {run.baseline.submissions_per_second:.1f} | – | – |",
        f"| request errors | {run.during.error_count} | {run.baseline.error_count} | 0 "
        f"| {yes[run.during.error_count == 0]} |",
        f"| the job | {run.job_status} in {run.job_seconds:.1f} s"
        f"{f' ({run.job_message})' if run.job_message else ''}, "
        f"{run.invitations:,} invitations stored | – | done, {run.count:,} "
        f"| {yes[run.job_status == 'done' and run.invitations == run.count]} |",
    ]
    if run.worker_log_errors:
        lines += ["", f"The worker's log has {run.worker_log_errors} error line(s)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.perf.jobs_bench")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp folder")
    parser.add_argument("--count", type=int, default=COUNT)
    parser.add_argument("--baseline-seconds", type=float, default=15.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="surveyapp-jobs-bench-db.") as folder:
        url = args.database_url or f"sqlite:///{folder}/jobs.db"
        run = jobs_run(
            url,
            load.backend_name(url),
            count=args.count,
            baseline_seconds=args.baseline_seconds,
        )
    print(markdown(run))
    return 0 if run.ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
