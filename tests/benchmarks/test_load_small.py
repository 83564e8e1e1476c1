"""A small fault test: gunicorn on 127.0.0.1, 4 virtual citizens, one SIGKILL mid-run.

gunicorn (1 worker) serves a temporary SQLite database; after a few seconds of load
the whole process group gets SIGKILL, gunicorn starts again on the same database and
the load goes on. Every submission a citizen was thanked for must be stored exactly
once, nothing half-written, ``PRAGMA integrity_check`` ok. ``make bench`` runs the
same at full size (2 workers × 4 threads, two kills, also on PostgreSQL).
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from benchmarks.perf import faults, load

BIND_PROBLEMS = ("Connection in use", "Can't connect", "Permission denied", "Address already")


def _quiet(_line: str) -> None:
    pass


def test_sigkill_mid_load_loses_no_thanked_submission(tmp_path: Path) -> None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((load.HOST, 0))
    except OSError as err:
        pytest.skip(f"cannot bind a port on {load.HOST}: {err}")
    url = f"sqlite:///{tmp_path / 'load.db'}"
    try:
        run = faults.fault_run(
            url,
            "SQLite",
            kills=1,
            phase=2.5,
            concurrency=4,
            workers=1,
            threads=1,
            retry_window=60,
            log=_quiet,
        )
    except load.ServerError as err:
        if any(problem in str(err) for problem in BIND_PROBLEMS):
            pytest.skip(f"gunicorn could not bind {load.HOST}: {err}")
        raise
    text, ok = faults.markdown(run)
    assert len(run.kills) == 1, text
    assert len(run.successes) >= 5, text  # the load did run, before and after the kill
    assert run.nothing_lost, text
    assert not run.lost and run.duplicates == 0, text
    assert run.checks["responses"] == len(run.successes) + len(
        set(run.stored) & set(run.flow.stats.ambiguous)
    ), text
    assert load.integrity_ok(run.checks), text
    assert run.checks["integrity_check"] == "ok", text
    assert run.no_citizen_errors, text
    assert ok, text
