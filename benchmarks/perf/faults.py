"""SIGKILL gunicorn in the middle of the load, restart it, and check that nothing is lost.

    python -m benchmarks.perf.faults [--database-url URL] [--kills 2] [--phase 8]

Virtual citizens (see ``load.py``) answer the survey without pause. After ``--phase``
seconds of load the whole gunicorn process group (master and workers) gets SIGKILL
while requests are in flight; gunicorn is started again on the same port and
database, and the load goes on for another phase; repeated ``--kills`` times.

A citizen whose request met a connection error (refused while the server is down,
reset by the kill) sends the same request again with the same cookies, as a person
would press "send" again — so the exactly-once storage is tested too: a final POST
that was stored before the kill but never answered must not be stored twice when it
is sent again. Afterwards:

* every submission that got its "thank you" (302 → /thanks) is stored, each marker
  exactly once, and nothing else is stored (except a final POST that never got any
  answer at all, reported separately);
* no answer without its response, no response without answers, no response with a
  different number of answers than the others (nothing half-written);
* SQLite: ``PRAGMA integrity_check`` = ok and ``PRAGMA foreign_key_check`` empty;
* no 5xx answer and no page saying "database is locked" reached a citizen.

Drafts (answers in progress) may remain; their count is reported.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchmarks.perf import load


@dataclass
class Kill:
    at: float  # seconds since the load started
    in_flight: int  # requests under way when the signal was sent
    downtime: float  # from SIGKILL until GET /healthz answered 200 again
    boot: float  # of which gunicorn's start


@dataclass
class FaultRun:
    backend: str
    server: str
    flow: load.LoadResult
    kills: list[Kill]
    stored: list[str]
    checks: dict[str, Any]
    log_errors: int
    problems: list[str] = field(default_factory=list)
    error_sites: Counter[str] = field(default_factory=Counter)

    @property
    def successes(self) -> set[str]:
        return set(self.flow.stats.successes)

    @property
    def lost(self) -> list[str]:
        return sorted(self.successes - set(self.stored))

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in Counter(self.stored).values() if n > 1)

    @property
    def unexpected(self) -> list[str]:
        """Stored, but the citizen never got its thank-you and no final POST went unanswered."""
        return sorted(set(self.stored) - self.successes - set(self.flow.stats.ambiguous))

    @property
    def nothing_lost(self) -> bool:
        return not self.lost and not self.duplicates and not self.unexpected

    @property
    def no_citizen_errors(self) -> bool:
        stats = self.flow.stats
        return stats.server_errors == 0 and stats.locked == 0

    @property
    def ok(self) -> bool:
        return (
            self.nothing_lost
            and self.no_citizen_errors
            and load.integrity_ok(self.checks)
            and len(self.kills) > 0
            and not self.problems
        )


def fault_run(
    database_url: str,
    backend: str,
    kills: int = 2,
    phase: float = 8.0,
    concurrency: int = load.CONCURRENCY,
    workers: int = load.WORKERS,
    threads: int = load.THREADS,
    retry_window: float = 120.0,
    log: Callable[[str], None] = print,
    app_spec: str = "wsgi:app",
    pythonpath: str | None = None,
    round_id: int | None = None,
) -> FaultRun:
    """Load, SIGKILL + restart ``kills`` times (``phase`` seconds of load between), check.

    ``round_id`` names the open round of a database the caller prepared already.
    """
    key = load.new_secret_key()
    if round_id is None:
        log(f"[{backend} faults] preparing the database …")
        round_id = load.prepare_database(database_url, key)
    server = load.Gunicorn(
        database_url,
        key,
        workers=workers,
        threads=threads,
        app_spec=app_spec,
        pythonpath=pythonpath,
    )
    server.start()
    log(f"[{backend} faults] gunicorn ready on port {server.port}")
    stats = load.Stats()
    stop = threading.Event()
    box: dict[str, load.LoadResult] = {}
    horizon = (kills + 1) * phase + kills * 120 + 60  # generous upper bound; stop ends it

    def drive() -> None:
        box["result"] = load.run_load(
            server.port,
            duration=horizon,
            concurrency=concurrency,
            retry=True,
            retry_grace=retry_window,
            marker_prefix=f"fault-{secrets.token_hex(4)}",
            stats=stats,
            stop=stop,
        )

    driver = threading.Thread(target=drive, name="load-driver", daemon=True)
    started = time.monotonic()
    driver.start()
    records: list[Kill] = []
    problems: list[str] = []
    try:
        for number in range(kills):
            time.sleep(phase)
            in_flight = stats.in_flight
            killed_at = time.monotonic()
            server.kill()
            try:
                boot = server.start()
            except load.ServerError as err:
                problems.append(f"restart {number + 1} failed: {err}")
                break
            down = time.monotonic() - killed_at
            records.append(Kill(killed_at - started, in_flight, down, boot))
            log(
                f"[{backend} faults] SIGKILL {number + 1} with {in_flight} requests in flight; "
                f"serving again after {down:.1f} s"
            )
        time.sleep(phase)
    finally:
        stop.set()
        driver.join(timeout=retry_window + 6 * load.REQUEST_TIMEOUT + 30)
        server.stop()
    if driver.is_alive() or "result" not in box:
        problems.append("the load client did not finish in time")
        flow = load.LoadResult(time.monotonic() - started, concurrency, stats)
    else:
        flow = box["result"]
    stored = load.stored_markers(database_url, round_id)
    checks = load.integrity(database_url, round_id)
    log_text = server.log_text()
    server.remove_log()
    return FaultRun(
        backend,
        server.describe(),
        flow,
        records,
        stored,
        checks,
        load.log_errors(log_text),
        problems,
        load.log_error_sites(log_text),
    )


def markdown(run: FaultRun) -> tuple[str, bool]:
    yes = {True: "met", False: "**not met**"}
    stats = run.flow.stats
    kills = "; ".join(
        f"at {k.at:.0f} s with {k.in_flight} requests in flight, serving again after "
        f"{k.downtime:.1f} s"
        for k in run.kills
    )
    c = run.checks
    lines = [
        f"Server: `{run.server}`; {run.flow.concurrency} virtual citizens for "
        f"{run.flow.seconds:.0f} s; SIGKILL to the whole process group "
        f"{len(run.kills)} time(s): {kills or 'none'}.",
        "",
        "| check | value | goal | result |",
        "|---|---|---|---|",
        f"| submissions answered 302 → /thanks (client side) | {len(run.successes)} | – | – |",
        f"| stored responses of the round | {c['responses']} | – | – |",
        f"| thanked but not stored (lost) | {len(run.lost)} | 0 | {yes[not run.lost]} |",
        f"| stored twice (same marker) | {run.duplicates} | 0 | {yes[run.duplicates == 0]} |",
        f"| stored without a thank-you and not explained by an unanswered final POST "
        f"| {len(run.unexpected)} | 0 | {yes[not run.unexpected]} |",
        f"| final POSTs never answered (citizen gave up) | {len(stats.ambiguous)} | – | – |",
        f"| connection errors during the outages (sent again) | {stats.connection_errors} "
        f"({stats.retried} retried) | – | – |",
        f'| 5xx answers / pages saying "database is locked" | {stats.server_errors} / '
        f"{stats.locked} | 0 / 0 | {yes[run.no_citizen_errors]} |",
        f"| citizens who gave up (any error) | {sum(stats.errors.values())} | – | – |",
        f"| orphan answers / responses without answers | {c['orphan_answers']} / "
        f"{c['responses_without_answers']} | 0 / 0 "
        f"| {yes[c['orphan_answers'] == 0 and c['responses_without_answers'] == 0]} |",
        f"| answers per response (count: responses) | "
        f"{', '.join(f'{n}: {m}' for n, m in c['answers_per_response'].items()) or '–'} "
        f"| one size | {yes[len(c['answers_per_response']) <= 1]} |",
        f"| integrity_check / foreign_key_check violations | {c['integrity_check']} / "
        f"{c['foreign_key_violations']} | ok / 0 "
        f"| {yes[load.integrity_ok(c)]} |",
        f"| unhandled errors in the gunicorn log | {run.log_errors} | – | – |",
    ]
    if stats.errors:
        lines += ["", "Errors seen by citizens:", ""]
        lines += [
            f"- {n} × {' '.join(message.split())[:100]}"
            for message, n in stats.errors.most_common(8)
        ]
    if run.error_sites:
        lines += [
            "",
            "Unhandled errors in the gunicorn log (exception at innermost app frame):",
            "",
        ]
        lines += [f"- {n} × `{site}`" for site, n in run.error_sites.most_common(5)]
    if run.problems:
        lines += ["", "Problems:", ""] + [f"- {p}" for p in run.problems]
    return "\n".join(lines), run.ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.perf.faults")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp folder")
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument("--phase", type=float, default=8.0, help="seconds of load per phase")
    parser.add_argument("--concurrency", type=int, default=load.CONCURRENCY)
    parser.add_argument("--workers", type=int, default=load.WORKERS)
    parser.add_argument("--threads", type=int, default=load.THREADS)
    parser.add_argument("--app", default="wsgi:app", help="WSGI app (experiments only)")
    parser.add_argument("--pythonpath", help="extra import path for --app (experiments only)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="surveyapp-faults.") as folder:
        url = args.database_url or f"sqlite:///{folder}/faults.db"
        backend = load.backend_name(url)
        run = fault_run(
            url,
            backend,
            args.kills,
            args.phase,
            args.concurrency,
            args.workers,
            args.threads,
            app_spec=args.app,
            pythonpath=args.pythonpath,
        )
        text, ok = markdown(run)
        print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
