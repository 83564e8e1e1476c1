"""Run every benchmark and write the Markdown report (``make bench``).

    python -m benchmarks.perf.run_all [--quick] [--no-postgres] [--skip-national]
        [--skip-export] [--strict] [--output benchmarks/results/latest.md]

1. Submission throughput: gunicorn (production settings) on 127.0.0.1, virtual
   citizens walking the survey, against the same server's ``GET /healthz``;
   SQLite (WAL) and PostgreSQL (``SURVEYAPP_BENCH_POSTGRES_URL`` or a throwaway
   cluster started here, as .ci/run does; "not run" when neither is possible).
2. Nothing lost: stored responses against the client's successes, marker by marker.
3. Faults: SIGKILL of the whole gunicorn process group mid-load, restart, go on;
   storage and integrity checks.
4. National scale: 1,000,000 generated responses (``/tmp/bench-1m.db`` reused when it
   holds them) and the planner dashboard against its bare query.
5. Exports at scale: ``benchmarks.perf.export_bench`` when present.
6. Bad input: the corpus through ``flask questionnaires check``, ``flask peers import``
   and HTTP form posts.
7. Background jobs: the final POST's p99 under citizen load while the job worker makes
   5,000 invitation letters (``benchmarks.perf.jobs_bench``).
8. Open-data API: the national table of one question (357 municipalities × 10 years) as
   JSON-stat on the 1,000,000-response database, cold and unchanged (304)
   (``benchmarks.perf.api_bench``, on a copy of the national database).
9. Field work: the 357-municipality service-test schedule (each constraint's violations,
   the planning time) and the caller's list at national scale from gunicorn
   (``benchmarks.perf.fieldwork_bench``).
10. Service-test ranking page for one round over 357 municipalities, after a change, after
   a restart and unchanged, beside the bare scoring call (``benchmarks.perf.servicetest_bench``).

Everything is bounded in time; with the defaults the whole run takes about 10–15
minutes on a 2-core machine (a minute or three more when the 1M database must be
generated). Exit status 0 unless ``--strict`` is given and a goal was not met.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.perf import bad_input, faults, jobs_bench, load

PROJECT_ROOT = load.PROJECT_ROOT
DEFAULT_OUTPUT = PROJECT_ROOT / "benchmarks" / "results" / "latest.md"
NATIONAL_DB = Path("/tmp/bench-1m.db")
NATIONAL_FALLBACK = Path("/tmp/surveyapp-bench-1m.db")  # when /tmp/bench-1m.db is not usable
NATIONAL_RESPONSES = 1_000_000
EXPORT_TIMEOUT = 600
GENERATE_TIMEOUT = 900


@dataclass
class Goal:
    number: str  # the figure's number in the brief, e.g. "1"
    figure: str
    goal: str
    measured: str
    met: bool | None  # None: not run

    @property
    def result(self) -> str:
        return {True: "met", False: "**not met**", None: "not run"}[self.met]


@dataclass
class Section:
    title: str
    body: str
    goals: list[Goal] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Settings:
    load_seconds: float = 30.0
    baseline_seconds: float = 15.0
    warmup_seconds: float = 3.0
    alternative_seconds: float = 20.0  # SQLite with 4 threads, for comparison (0: skip)
    fault_kills: int = 2
    fault_phase: float = 8.0
    profile_walks: int = 30
    jobs_baseline_seconds: float = 15.0
    postgres: bool = True
    national: bool = True
    export: bool = True


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------- machine


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine_lines() -> list[str]:
    cpu = re.search(r"^model name\s*:\s*(.+)$", _read("/proc/cpuinfo"), re.M)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", _read("/proc/meminfo"), re.M)
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    try:
        from importlib.metadata import version

        gunicorn_version = version("gunicorn")
    except Exception:  # noqa: BLE001 - informative only
        gunicorn_version = "?"
    load1, load5, _ = os.getloadavg()
    now = dt.datetime.now().astimezone()
    return [
        f"- Date: {now:%Y-%m-%d %H:%M %Z}"
        + ("" if now.utcoffset() == dt.timedelta(0) else f" ({now.astimezone(dt.UTC):%H:%M} UTC)"),
        f"- Git commit: `{commit or 'unknown'}`",
        f"- Machine: {os.cpu_count()} cores (nproc), "
        f"{int(mem.group(1)) / 2**20:.1f} GiB memory, "
        f"CPU {cpu.group(1).strip() if cpu else platform.processor() or 'unknown'}",
        f"- Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"gunicorn {gunicorn_version}, {platform.system()} {platform.release()}",
        f"- Load average when the run started: {load1:.2f} (1 min), {load5:.2f} (5 min) — "
        "the machine may be shared with other jobs; the ratios compare figures taken "
        "minutes apart on the same machine",
    ]


# --------------------------------------------------------------------------- databases


class SqliteFactory:
    """Fresh SQLite databases, each a copy of one prepared with `flask setup --no-demo`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.template = folder / "template.db"
        self.count = 0

    def prepare_template(self) -> None:
        seconds = load.setup_database(f"sqlite:///{self.template}", load.new_secret_key())
        log(f"SQLite template prepared (flask setup --no-demo) in {seconds:.1f} s")

    def new(self, name: str) -> tuple[str, int]:
        """(URL, round id) of a fresh copy with one open round."""
        self.count += 1
        target = self.folder / f"{self.count:02d}-{name}.db"
        source = sqlite3.connect(self.template)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        url = f"sqlite:///{target}"
        return url, load.create_open_round(url)


class PostgresFactory:
    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls

    def new(self, name: str) -> tuple[str, int]:
        url = self.urls[name]
        load.setup_database(url, load.new_secret_key())
        return url, load.create_open_round(url)


# --------------------------------------------------------------------------- sections


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:.0f} ms"


def throughput_section(
    backend: str,
    factory: SqliteFactory | PostgresFactory,
    settings: Settings,
    workers: int = load.WORKERS,
    threads: int = load.THREADS,
    seconds: float | None = None,
    key: str = "load",
) -> tuple[str, list[Goal]]:
    url, round_id = factory.new(key)
    run = load.throughput_run(
        url,
        backend,
        duration=seconds or settings.load_seconds,
        baseline_duration=settings.baseline_seconds,
        warmup=settings.warmup_seconds,
        workers=workers,
        threads=threads,
        log=log,
        round_id=round_id,
    )
    text, _ok = load.throughput_markdown(run)
    flow = run.flow
    p99 = flow.latency("POST page 3", 0.99)
    label = f"{backend}, {workers}×{threads}"
    exact = run.lost == 0 and run.unexpected == 0 and run.duplicates == 0
    exact = exact and len(run.stored) == flow.submissions
    goals = [
        Goal(
            "1",
            f"{label}: survey requests/s ÷ `GET /healthz` requests/s",
            "≥ 0.40",
            f"{flow.requests_per_second:.0f} ÷ {run.baseline.requests_per_second:.0f} = "
            f"{run.requests_ratio:.3f} ({flow.submissions_per_second:.1f} submissions/s)",
            run.requests_ratio >= load.GOAL_RATIO,
        ),
        Goal(
            "1",
            f"{label}: p99 latency of the final POST",
            "< 250 ms",
            f"{_ms(p99)} (p50 {_ms(flow.latency('POST page 3', 0.5))})",
            p99 is not None and p99 < load.GOAL_P99,
        ),
        Goal(
            "1",
            f"{label}: request errors (non-2xx/3xx or exception)",
            "0",
            f"{flow.error_count} of {flow.stats.requests} "
            f"({flow.stats.server_errors} answered 5xx)",
            flow.error_count == 0 and run.baseline.error_count == 0,
        ),
        Goal(
            "2",
            f"{label}: stored responses = client successes, marker by marker",
            "equal",
            f"{len(run.stored)} stored / {flow.submissions} thanked, lost {run.lost}, "
            f"twice {run.duplicates}, unexplained {run.unexpected}",
            exact and load.integrity_ok(run.checks),
        ),
    ]
    return text, goals


def fault_section(
    backend: str, factory: SqliteFactory | PostgresFactory, settings: Settings
) -> tuple[str, list[Goal]]:
    url, round_id = factory.new("faults")
    run = faults.fault_run(
        url,
        backend,
        kills=settings.fault_kills,
        phase=settings.fault_phase,
        log=log,
        round_id=round_id,
    )
    text, _ok = faults.markdown(run)
    stats = run.flow.stats
    goals = [
        Goal(
            "3",
            f"{backend}: every thanked submission stored exactly once after "
            f"{len(run.kills)} SIGKILL(s)",
            "lost 0, twice 0",
            f"{len(run.stored)} stored / {len(run.successes)} thanked; lost {len(run.lost)}, "
            f"twice {run.duplicates}, unexplained {len(run.unexpected)}",
            run.nothing_lost and len(run.kills) == settings.fault_kills and not run.problems,
        ),
        Goal(
            "3",
            f"{backend}: integrity after the kills (integrity_check, FKs, orphans, half-written)",
            "ok, 0, 0, 0",
            f"{run.checks['integrity_check']}, {run.checks['foreign_key_violations']}, "
            f"{run.checks['orphan_answers']}, {run.checks['responses_without_answers']}",
            load.integrity_ok(run.checks),
        ),
        Goal(
            "3",
            f'{backend}: 5xx / "database is locked" pages reaching citizens under load',
            "0 / 0",
            f"{stats.server_errors} / {stats.locked}",
            run.no_citizen_errors,
        ),
    ]
    return text, goals


def bad_input_section(
    backend: str, factory: SqliteFactory | PostgresFactory, cli: bool
) -> tuple[str, list[Goal]]:
    url, round_id = factory.new("bad")
    run = bad_input.bad_input_run(url, backend, http=True, cli=cli, round_id=round_id, log=log)
    text, ok = bad_input.markdown(run)
    bad = [o for o in run.outcomes if not o.ok]
    where = "CLI and HTTP" if cli else "HTTP"
    goals = [
        Goal(
            "6",
            f"{backend} ({where}): every malformed input gets a clear error, nothing "
            "half-written, server up",
            "all",
            f"{len(run.outcomes) - len(bad)} of {len(run.outcomes)}"
            + (f"; failing: {', '.join(o.name for o in bad)}" if bad else ""),
            ok,
        )
    ]
    return text, goals


def jobs_section(
    backend: str, factory: SqliteFactory | PostgresFactory, settings: Settings
) -> tuple[str, list[Goal]]:
    url, round_id = factory.new("jobs")
    run = jobs_bench.jobs_run(
        url, backend, round_id=round_id, baseline_seconds=settings.jobs_baseline_seconds, log=log
    )
    p99 = run.p99
    goals = [
        Goal(
            "7",
            f"{backend}: final POST p99 while the worker makes {run.count:,} invitations",
            "< 250 ms",
            f"{_ms(p99)} (worker idle: {_ms(run.baseline.latency(jobs_bench.FINAL, 0.99))}); "
            f"job {run.job_status} in {run.job_seconds:.0f} s, {run.invitations:,} stored, "
            f"{run.during.error_count} request errors",
            run.ok,
        )
    ]
    return jobs_bench.markdown(run), goals


def profile_section(
    factory: SqliteFactory | PostgresFactory, settings: Settings
) -> tuple[str, list[Goal]]:
    url, round_id = factory.new("profile")
    profile = load.profile_steps(url, settings.profile_walks, round_id=round_id)
    return load.profile_markdown(profile), []


def _responses_in(path: Path) -> int | None:
    if not path.exists():
        return None
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            (count,) = conn.execute("SELECT count(*) FROM response").fetchone()
            return int(count)
    except sqlite3.Error:
        return None


def national_database() -> tuple[Path, str]:
    for path in (NATIONAL_DB, NATIONAL_FALLBACK):
        count = _responses_in(path)
        if count is not None and count >= NATIONAL_RESPONSES:
            return path, f"reused `{path}` ({count:,} responses)"
    # /tmp/bench-1m.db may belong to someone else's run: never delete it.
    target = NATIONAL_DB if not NATIONAL_DB.exists() else NATIONAL_FALLBACK
    if target == NATIONAL_FALLBACK:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
    log(f"generating {NATIONAL_RESPONSES:,} responses into {target} …")
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.perf.generate",
            "--database-url",
            f"sqlite:///{target}",
            "--responses",
            str(NATIONAL_RESPONSES),
            "--years",
            "2017-2026",
            "--seed",
            "1",
        ],
        cwd=PROJECT_ROOT,
        check=True,
        timeout=GENERATE_TIMEOUT,
    )
    return target, f"generated `{target}` in {time.perf_counter() - started:.0f} s"


def national_section(settings: Settings) -> tuple[str, list[Goal]]:
    from benchmarks.perf import dashboard_bench

    path, note = national_database()
    municipality = "5501"
    result = dashboard_bench.run(f"sqlite:///{path}", municipality, None, 7)
    ratio = result["dashboard"] / result["bare"]
    text = (
        f"{note}; `benchmarks.perf.generate --responses 1000000 --years 2017-2026 --seed 1`.\n\n"
        + dashboard_bench.markdown(result, municipality)
        + "\n\nThe service-test ranking page for 357 municipalities: section 9."
    )
    goals = [
        Goal(
            "4",
            "planner dashboard on 1,000,000 responses vs its bare SQL query",
            "< 0.5 s and < 3×",
            f"{result['dashboard']:.3f} s vs {result['bare']:.3f} s = {ratio:.2f}×",
            result["dashboard"] < 0.5 and ratio < 3,
        )
    ]
    return text, goals


def api_section(settings: Settings) -> tuple[str, list[Goal]]:
    from benchmarks.perf import api_bench

    path, note = national_database()
    result = api_bench.run(path, restarts=5, repeat=50)
    text = f"{note}.\n\n" + api_bench.markdown(result)
    goals = [
        Goal(
            "8",
            "open-data API: national table as JSON-stat, first request after a restart",
            "< 300 ms",
            f"{result['cold'] * 1000:.0f} ms (median of 5 restarts)",
            result["cold"] < api_bench.COLD_GOAL,
        ),
        Goal(
            "8",
            "open-data API: national table unchanged (If-None-Match → 304)",
            "< 20 ms",
            f"p95 {result['unchanged_p95'] * 1000:.1f} ms, median "
            f"{result['unchanged'] * 1000:.1f} ms",
            result["unchanged_p95"] < api_bench.UNCHANGED_GOAL,
        ),
    ]
    return text, goals


def fieldwork_section(settings: Settings) -> tuple[str, list[Goal]]:
    from benchmarks.perf import fieldwork_bench as bench

    plan = bench.plan_figures()
    listing = bench.list_figures(10 if settings.load_seconds < 10 else 30)
    text = bench.markdown(plan, listing)
    broken = {name: n for name, n in plan["violations"].items() if n}
    slowest = max(listing["pages"], key=lambda p: p.p95)
    largest = max(listing["pages"], key=lambda p: p.size)
    goals = [
        Goal(
            "9",
            "schedule of 357 municipalities, 12 callers, 40 working days: violations of each "
            "constraint (cap, slot, calls per municipality a day, web checks same day, testers)",
            "0 each",
            ", ".join(f"{k} {v}" for k, v in broken.items()) or "0 for every constraint",
            not broken,
        ),
        Goal(
            "9",
            "schedule: planning time (11,424 contacts)",
            "< 5 s",
            f"{plan['seconds']:.2f} s",
            plan["seconds"] < bench.PLAN_GOAL,
        ),
        Goal(
            "9",
            "caller's list at national scale: slowest page (p95)",
            "< 300 ms",
            f"{slowest.p95 * 1000:.0f} ms (`{slowest.path}`)",
            slowest.p95 < bench.PAGE_GOAL,
        ),
        Goal(
            "9",
            "caller's list at national scale: largest page",
            "< 100 KB",
            f"{largest.size / 1024:.1f} KB (`{largest.path}`)",
            largest.size < bench.SIZE_GOAL,
        ),
    ]
    return text, goals


def servicetest_section(settings: Settings) -> tuple[str, list[Goal]]:
    from benchmarks.perf import servicetest_bench

    result = servicetest_bench.run(servicetest_bench.DEFAULT_DATABASE, repeat=7)
    text = (
        f"`{servicetest_bench.DEFAULT_DATABASE}` (built once, reused; "
        f"{result['built']:.0f} s this run).\n\n" + servicetest_bench.markdown(result)
    )
    goals = [
        Goal(
            "10",
            "service-test ranking page, 357 municipalities, first request after a change",
            "< 300 ms",
            f"{result['changed'] * 1000:.0f} ms (CPU {result['changed_cpu'] * 1000:.0f} ms); "
            f"bare scoring call {result['bare'] * 1000:.0f} ms",
            result["changed"] < servicetest_bench.GOAL_SECONDS,
        ),
        Goal(
            "10",
            "service-test ranking page, unchanged round",
            "< 300 ms",
            f"{result['warm'] * 1000:.0f} ms",
            result["warm"] < servicetest_bench.GOAL_SECONDS,
        ),
    ]
    return text, goals


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def export_section(settings: Settings) -> tuple[str, list[Goal]]:
    module = PROJECT_ROOT / "benchmarks" / "perf" / "export_bench.py"
    not_run = Goal("5", "workbook export of 100,000 responses vs openpyxl", "see table", "–", None)
    if not module.exists():
        return "Not run: `benchmarks/perf/export_bench.py` is not there.", [not_run]
    try:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.perf.export_bench"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=EXPORT_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return f"Not run to the end: timed out after {EXPORT_TIMEOUT} s.", [not_run]
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip()[-1200:]
        return (
            f"Not run: `python -m benchmarks.perf.export_bench` exited {done.returncode}:\n\n"
            f"```\n{tail}\n```",
            [not_run],
        )
    out = done.stdout
    start = out.find("responses × ")
    start = out.rfind("\n", 0, start) + 1 if start >= 0 else 0
    table = out[start:].strip()
    goals: list[Goal] = []
    time_row = re.search(
        r"^\| (?:wall-clock )?time[^|]*\| ([\d,.]+) s \| (?:([\d,.]+) s|–) \| (?:([\d.]+)×|–) \|",
        table,
        re.M,
    )
    rss = re.search(r"^\| peak RSS growth[^|]*\| ([\d,.]+) MB", table, re.M)
    traced = re.search(r"^\| tracemalloc peak \| ([\d,.]+) MB", table, re.M)
    if time_row:
        seconds = _number(time_row.group(1))
        ratio = float(time_row.group(3)) if time_row.group(3) else None
        goals.append(
            Goal(
                "5",
                "workbook export of 100,000 responses: time, ratio to plain openpyxl",
                "< 15 s and < 1.3×",
                f"{seconds:.1f} s, {ratio:.2f}×" if ratio else f"{seconds:.1f} s, no baseline",
                seconds < 15 and ratio is not None and ratio < 1.3,
            )
        )
    if rss and traced:
        growth, peak = _number(rss.group(1)), _number(traced.group(1))
        goals.append(
            Goal(
                "5",
                "workbook export: memory (RSS growth, tracemalloc peak)",
                "< 300 MB",
                f"{growth:.0f} MB, {peak:.0f} MB",
                growth < 300 and peak < 300,
            )
        )
    if not goals:
        goals.append(
            Goal("5", "workbook export of 100,000 responses", "see table", "see table", None)
        )
    return table, goals


# --------------------------------------------------------------------------- driver


def run_section(
    sections: list[Section],
    title: str,
    build: Callable[[], tuple[str, list[Goal]]],
    fallback_goals: list[Goal],
) -> None:
    log(f"— {title}")
    started = time.perf_counter()
    try:
        body, goals = build()
    # SystemExit too: flask_migrate's upgrade() exits on an unknown revision, and one
    # section's database must not end the whole run without a report.
    except (Exception, SystemExit) as err:  # noqa: BLE001 - reported; the rest runs
        trace = traceback.format_exc(limit=6)
        log(f"{title} failed: {err!r}")
        body = f"Failed: `{type(err).__name__}: {err}`\n\n```\n{trace[-2500:]}\n```"
        goals = [
            Goal(g.number, g.figure, g.goal, f"failed: {type(err).__name__}", False)
            for g in fallback_goals
        ]
    sections.append(Section(title, body, goals, time.perf_counter() - started))


def _not_run(number: str, figure: str, reason: str) -> Goal:
    return Goal(number, figure, "–", f"not run: {reason}", None)


@contextlib.contextmanager
def maybe_postgres(enabled: bool) -> Iterator[tuple[dict[str, str] | None, str]]:
    if not enabled:
        yield None, "switched off (--no-postgres)"
        return
    try:
        with load.postgres_databases(["load", "faults", "bad", "profile", "jobs"]) as urls:
            source = (
                "SURVEYAPP_BENCH_POSTGRES_URL"
                if os.environ.get("SURVEYAPP_BENCH_POSTGRES_URL")
                else "a throwaway cluster started for this run"
            )
            yield urls, source
    except load.PostgresUnavailable as err:
        yield None, str(err)


def postgres_version(url: str) -> str:
    import sqlalchemy as sa

    engine = load.engine_for(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(sa.text("SHOW server_version")).scalar_one())
    finally:
        engine.dispose()


def build_report(
    sections: list[Section], machine: list[str], settings: Settings, wall: float, notes: list[str]
) -> str:
    goals = [g for s in sections for g in s.goals]
    lines = [
        "# Benchmark report: does the platform hold?",
        "",
        "Written by `make bench` (`python -m benchmarks.perf.run_all`); this file is an "
        "output (git-ignored). Every figure is measured in this run, each with the baseline "
        "it is compared with.",
        "",
        *machine,
        f"- Wall time of the whole run: {wall / 60:.1f} min",
        "",
        "## Production settings under test",
        "",
        f"- gunicorn: `--workers {load.WORKERS} --worker-class gthread "
        f"--timeout {load.GUNICORN_TIMEOUT} --keep-alive 5` (one worker per core) with "
        f"`--threads {load.SQLITE_THREADS}` on SQLite and `--threads {load.THREADS}` on "
        "PostgreSQL (README.md; SQLite writers share one lock, PostgreSQL requests wait for "
        "the server), `SECRET_KEY` from the environment, `SURVEYAPP_DEMO` off, bound to "
        "127.0.0.1; the fault runs use 4 threads on both, for more writers at once",
        "- SQLite: WAL journal, `synchronous=NORMAL`, `foreign_keys=ON`, 30 s busy timeout, "
        "write requests begin with `BEGIN IMMEDIATE`; the citizen pages read outside a "
        "transaction and begin it right before their first write (surveyapp/database.py)",
        "- PostgreSQL: psycopg 3, a pre-pinged pool of `SURVEYAPP_DB_POOL_SIZE` = 5 "
        "connections per worker, transactions that only read end with COMMIT so that "
        "statements stay prepared (server defaults: fsync and synchronous_commit on)",
        f"- Load: {load.CONCURRENCY} virtual citizens at once, "
        f"{settings.load_seconds:.0f} s per run after a {settings.warmup_seconds:.0f} s warm-up; "
        f"baseline `GET /healthz` for {settings.baseline_seconds:.0f} s at the same "
        "concurrency, half before and half after the load",
        "",
        "**How submissions are compared with the trivial page.** A submission is 5 requests: "
        "`GET /s/<slug>` (302), `GET /s/<slug>/1` (the form and its CSRF token), and the "
        "POSTs of pages 1, 2 and 3 (the last answers 302 → /thanks); redirects after the "
        "POSTs are not followed. The goal compares *requests per second*: survey-flow "
        "requests/s ÷ `GET /healthz` requests/s at the same concurrency on the same server "
        "(≥ 0.40), counting only requests answered as expected (an error answer is not work "
        "done). Requests, not submissions, because both sides then count the same unit of "
        "server work (one HTTP round trip through gunicorn, Flask, the session and the "
        "database); submissions/s is also given (= survey requests/s ÷ 5 for completed walks).",
        "",
        "## Summary",
        "",
        "| # | figure | goal | measured | result |",
        "|---|---|---|---|---|",
    ]
    for g in goals:
        lines.append(
            f"| {g.number} | {g.figure} | {g.goal} | {g.measured.replace('|', '/')} | {g.result} |"
        )
    met = sum(1 for g in goals if g.met)
    missed = sum(1 for g in goals if g.met is False)
    skipped = sum(1 for g in goals if g.met is None)
    lines += ["", f"{met} met, {missed} not met, {skipped} not run."]
    if notes:
        lines += ["", "## Findings", ""] + notes
    for section in sections:
        lines += ["", f"## {section.title}", "", f"_({section.seconds:.0f} s)_", "", section.body]
    return "\n".join(lines) + "\n"


def findings(sections: list[Section]) -> list[str]:
    """What the measurements say about goals not met (see the sections for the figures)."""
    notes = []
    missed = [g for s in sections for g in s.goals if g.met is False]
    ratio_missed = [g for g in missed if "÷" in g.figure]
    p99_missed = [g for g in missed if "p99" in g.figure]
    if ratio_missed:
        which = ", ".join(g.figure.split(":")[0] for g in ratio_missed)
        notes.append(
            f"- **Request rate below 0.40 of `GET /healthz` ({which}).** The profile sections "
            "give each survey request's time and SQL statements next to `GET /healthz`. The "
            "citizen pages already read the round and the draft in one Core query, write with "
            "one compare-and-set statement and reuse cached form classes; what is left is the "
            "work a survey page must do (parse and check the form and its CSRF token, render "
            "the page, sign the session cookie) and, on PostgreSQL, a network round trip per "
            "statement plus BEGIN and COMMIT, served by PostgreSQL processes that share the "
            "same two cores as gunicorn and the load client."
        )
    if p99_missed:
        which = ", ".join(f"{g.figure.split(':')[0]} {g.measured}" for g in p99_missed)
        notes.append(
            f"- **Tail latency ({which}).** With more requests in progress than cores, a "
            "request waits for the CPU (Python's GIL within a worker) and, on SQLite, for the "
            "single write lock, which waiting writers poll for with SQLite's busy handler. "
            "Compare the two SQLite thread settings (sections 1 and 1b)."
        )
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.perf.run_all")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke test)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--skip-national", action="store_true")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is not met")
    args = parser.parse_args(argv)
    settings = Settings(
        postgres=not args.no_postgres, national=not args.skip_national, export=not args.skip_export
    )
    if args.quick:
        settings = Settings(
            load_seconds=6,
            baseline_seconds=3,
            warmup_seconds=1,
            alternative_seconds=0,
            fault_kills=1,
            fault_phase=3,
            profile_walks=5,
            jobs_baseline_seconds=3,
            postgres=settings.postgres,
            national=False,
            export=False,
        )
    started = time.perf_counter()
    machine = machine_lines()
    sections: list[Section] = []
    with tempfile.TemporaryDirectory(prefix="surveyapp-bench.") as folder:
        sqlite = SqliteFactory(Path(folder))
        sqlite.prepare_template()
        s_goals = [Goal("1", "SQLite throughput", "", "", False)]
        run_section(
            sections,
            "1–2. Submission throughput and nothing lost — SQLite (WAL)",
            lambda: throughput_section("SQLite", sqlite, settings, threads=load.SQLITE_THREADS),
            s_goals,
        )
        if settings.alternative_seconds:
            run_section(
                sections,
                f"1b. For comparison — SQLite with `--threads {load.THREADS}` (same 8 citizens)",
                lambda: throughput_section(
                    "SQLite",
                    sqlite,
                    settings,
                    threads=load.THREADS,
                    seconds=settings.alternative_seconds,
                    key="alt",
                ),
                s_goals,
            )
        with maybe_postgres(settings.postgres) as (pg_urls, pg_source):
            pg = PostgresFactory(pg_urls) if pg_urls else None
            if pg is not None and pg_urls is not None:
                version = postgres_version(pg_urls["load"])
                machine.append(f"- PostgreSQL {version} ({pg_source})")
                run_section(
                    sections,
                    "1–2. Submission throughput and nothing lost — PostgreSQL",
                    lambda: throughput_section("PostgreSQL", pg, settings),
                    [Goal("1", "PostgreSQL throughput", "", "", False)],
                )
            else:
                sections.append(
                    Section(
                        "1–2. Submission throughput and nothing lost — PostgreSQL",
                        f"Not run: {pg_source}",
                        [_not_run("1", "PostgreSQL throughput", pg_source)],
                    )
                )
            run_section(
                sections,
                "3. Faults: SIGKILL mid-load and restart — SQLite",
                lambda: fault_section("SQLite", sqlite, settings),
                [Goal("3", "SQLite faults", "", "", False)],
            )
            if pg is not None:
                run_section(
                    sections,
                    "3. Faults: SIGKILL mid-load and restart — PostgreSQL",
                    lambda: fault_section("PostgreSQL", pg, settings),
                    [Goal("3", "PostgreSQL faults", "", "", False)],
                )
            run_section(
                sections,
                "6. Bad input — command line, and HTTP on SQLite",
                lambda: bad_input_section("SQLite", sqlite, cli=True),
                [Goal("6", "bad input (SQLite)", "", "", False)],
            )
            if pg is not None:
                run_section(
                    sections,
                    "6. Bad input — HTTP on PostgreSQL",
                    lambda: bad_input_section("PostgreSQL", pg, cli=False),
                    [Goal("6", "bad input (PostgreSQL)", "", "", False)],
                )
            run_section(
                sections,
                "7. Background jobs: citizens while 5,000 invitations are made — SQLite",
                lambda: jobs_section("SQLite", sqlite, settings),
                [Goal("7", "SQLite background job", "", "", False)],
            )
            if pg is not None:
                run_section(
                    sections,
                    "7. Background jobs: citizens while 5,000 invitations are made — PostgreSQL",
                    lambda: jobs_section("PostgreSQL", pg, settings),
                    [Goal("7", "PostgreSQL background job", "", "", False)],
                )
            if pg is not None:
                run_section(
                    sections,
                    "Profile: where a survey request's time goes — PostgreSQL",
                    lambda: profile_section(pg, settings),
                    [],
                )
        run_section(
            sections,
            "Profile: where a survey request's time goes — SQLite",
            lambda: profile_section(sqlite, settings),
            [],
        )
    run_section(
        sections,
        "9. Field work: the national schedule and the caller's list",
        lambda: fieldwork_section(settings),
        [Goal("9", "field work (schedule and caller's list)", "", "", False)],
    )
    if settings.national:
        run_section(
            sections,
            "4. National scale: 1,000,000 responses",
            lambda: national_section(settings),
            [Goal("4", "national dashboard", "", "", False)],
        )
        run_section(
            sections,
            "8. Open-data API: the national table on 1,000,000 responses",
            lambda: api_section(settings),
            [Goal("8", "open-data API national table", "", "", False)],
        )
    else:
        sections.append(
            Section(
                "4. National scale: 1,000,000 responses",
                "Not run (skipped).",
                [_not_run("4", "national dashboard", "skipped")],
            )
        )
        sections.append(
            Section(
                "8. Open-data API: the national table on 1,000,000 responses",
                "Not run (skipped).",
                [_not_run("8", "open-data API national table", "skipped")],
            )
        )
    if settings.export:
        run_section(
            sections,
            "5. Exports at scale: 100,000 responses to a workbook",
            lambda: export_section(settings),
            [Goal("5", "workbook export", "", "", False)],
        )
    else:
        sections.append(
            Section(
                "5. Exports at scale",
                "Not run (skipped).",
                [_not_run("5", "workbook export", "skipped")],
            )
        )
    run_section(
        sections,
        "10. Service-test ranking page: 357 municipalities",
        lambda: servicetest_section(settings),
        [Goal("10", "service-test ranking page", "< 300 ms", "", False)],
    )
    order = ["1–2", "1b", "3", "4", "5", "6", "7", "8", "9", "10", "Profile"]
    sections.sort(key=lambda s: next(i for i, p in enumerate(order) if s.title.startswith(p)))
    wall = time.perf_counter() - started
    report = build_report(sections, machine, settings, wall, findings(sections))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report, encoding="utf-8")
    print()
    print(report)
    log(f"report written to {args.output} ({wall / 60:.1f} min)")
    missed = any(g.met is False for s in sections for g in s.goals)
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
