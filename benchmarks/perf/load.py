"""Bounded HTTP load against gunicorn serving ``wsgi:app`` on 127.0.0.1.

    python -m benchmarks.perf.load [--database-url URL] [--duration 30] [--concurrency 8]

Prepares a database (``flask --app surveyapp setup --no-demo`` plus one open survey
round), starts gunicorn with the production settings below on a free port of
127.0.0.1, and runs virtual citizens against it: each one a thread-owned HTTP
connection with its own cookie jar that walks

    GET /s/<slug> (302) → GET /s/<slug>/1 (the form and its CSRF token)
    → POST /s/<slug>/1 (302) → POST /s/<slug>/2 (302) → POST /s/<slug>/3 (302 → /thanks)

Every run is bounded: it stops at its deadline or at a maximum number of
submissions, whichever comes first, and every thread is joined with a timeout.
The baseline is the same server answering ``GET /healthz`` at the same concurrency.

Each submission carries a unique marker in its free-text answer, so that the stored
responses can be compared with the client's successes one by one (nothing lost,
nothing stored twice). Nothing here talks to any address but 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"

# The production settings this benchmark validates (documented in README.md).
WORKERS = 2  # one per core on the 2-core machine
THREADS = 4  # PostgreSQL: gthread worker, 2 × 4 = 8 requests in progress at once
SQLITE_THREADS = 1  # SQLite: one request per worker at a time (writers share one lock)
GUNICORN_TIMEOUT = 30  # seconds; matches SQLite's 30 s busy timeout
CONCURRENCY = 8  # virtual citizens at once


def is_postgresql(database_url: str) -> bool:
    return database_url.startswith("postgres")


def backend_name(database_url: str) -> str:
    return "PostgreSQL" if is_postgresql(database_url) else "SQLite"


def production_threads(database_url: str) -> int:
    """Threads per gunicorn worker as documented in README.md for this database."""
    return THREADS if is_postgresql(database_url) else SQLITE_THREADS


SLUG = "bench"
QUESTIONNAIRE = "citizen-satisfaction"
MUNICIPALITY = "5501"
# Valid answers to the shipped citizen survey (as in tests/surveys/test_public_flow.py).
PAGE1 = {"service_area": "technical", "channel": "email"}
PAGE2 = {
    "courtesy": "4",
    "reach_right_person": "5",
    "wait_satisfaction": "3",
    "got_answer": "yes",
    "understandable": "dont_know",
}
PAGE3 = {"overall": "5"}
MARKER_QUESTION = "suggestion"

REQUEST_TIMEOUT = 20.0  # seconds for one HTTP request
RETRY_PAUSE = 0.1  # seconds between retries after a connection error (fault runs)

_CSRF = re.compile(rb'name="csrf_token"\s+value="([^"]+)"')
_STATE = re.compile(rb'name="state"\s+value="([^"]+)"')


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def new_secret_key() -> str:
    return secrets.token_hex(32)


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (share in 0..1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, int(-(-share * len(ordered) // 1)))  # ceil
    return ordered[min(rank, len(ordered)) - 1]


def server_env(database_url: str, secret_key: str) -> dict[str, str]:
    """The environment of the app under test: production mode, this database."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SURVEYAPP_") and k not in ("DATABASE_URL", "FLASK_DEBUG")
    }
    env.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": secret_key,
            "SURVEYAPP_DEMO": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def engine_for(database_url: str) -> sa.Engine:
    from sqlalchemy.pool import NullPool

    url = database_url
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    return sa.create_engine(url, poolclass=NullPool)


# --------------------------------------------------------------------------- database


def setup_database(database_url: str, secret_key: str, timeout: float = 300) -> float:
    """``flask --app surveyapp setup --no-demo`` on the database; returns seconds taken."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "surveyapp", "setup", "--no-demo"],
        cwd=PROJECT_ROOT,
        env=server_env(database_url, secret_key),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask setup failed ({done.returncode}): {done.stderr[-2000:]}")
    return time.perf_counter() - started


def create_open_round(database_url: str, slug: str = SLUG) -> int:
    """An open round of the shipped citizen survey in one municipality; returns its id."""
    from datetime import UTC, datetime, timedelta

    from surveyapp import create_app
    from surveyapp.extensions import db
    from surveyapp.models import Municipality, SurveyRound
    from surveyapp.questionnaires.store import latest_version

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": new_secret_key(),
            "SURVEYAPP_DEMO": False,
        }
    )
    with app.app_context():
        try:
            questionnaire = latest_version(QUESTIONNAIRE)
            assert questionnaire is not None, "run flask setup first"
            now = datetime.now(UTC)
            survey_round = SurveyRound(
                slug=slug,
                title="Benchmark – fiktive tall",
                year=now.year,
                questionnaire_id=questionnaire.id,
                status="open",
                access="open",
                opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(days=30),
                is_demo=True,
            )
            survey_round.municipalities = list(
                db.session.scalars(sa.select(Municipality).where(Municipality.code == MUNICIPALITY))
            )
            db.session.add(survey_round)
            db.session.commit()
            return int(survey_round.id)
        finally:
            db.session.remove()
            db.engine.dispose()


def prepare_database(database_url: str, secret_key: str, slug: str = SLUG) -> int:
    setup_database(database_url, secret_key)
    return create_open_round(database_url, slug)


def stored_markers(database_url: str, round_id: int) -> list[str]:
    engine = engine_for(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT value_text FROM answer WHERE round_id = :r AND question_code = :q"),
                {"r": round_id, "q": MARKER_QUESTION},
            )
            return [str(row[0]) for row in rows]
    finally:
        engine.dispose()


def integrity(database_url: str, round_id: int) -> dict[str, Any]:
    """Counts and consistency checks after a run (SQLite also runs PRAGMA checks)."""
    engine = engine_for(database_url)
    result: dict[str, Any] = {}
    try:
        with engine.connect() as conn:

            def one(sql: str) -> Any:
                return conn.execute(sa.text(sql), {"r": round_id}).scalar_one()

            result["responses"] = one("SELECT count(*) FROM response WHERE round_id = :r")
            result["answers"] = one("SELECT count(*) FROM answer WHERE round_id = :r")
            result["orphan_answers"] = one(
                "SELECT count(*) FROM answer a WHERE NOT EXISTS "
                "(SELECT 1 FROM response r WHERE r.id = a.response_id)"
            )
            result["responses_without_answers"] = one(
                "SELECT count(*) FROM response r WHERE NOT EXISTS "
                "(SELECT 1 FROM answer a WHERE a.response_id = r.id)"
            )
            sizes = conn.execute(
                sa.text(
                    "SELECT n, count(*) FROM (SELECT response_id, count(*) AS n FROM answer "
                    "WHERE round_id = :r GROUP BY response_id) AS per GROUP BY n ORDER BY n"
                ),
                {"r": round_id},
            ).all()
            result["answers_per_response"] = {int(n): int(c) for n, c in sizes}
            result["duplicate_submission_keys"] = one(
                "SELECT count(*) FROM (SELECT submission_key FROM response "
                "GROUP BY submission_key HAVING count(*) > 1) AS d"
            )
            if engine.dialect.name == "sqlite":
                checks = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA integrity_check")]
                result["integrity_check"] = "; ".join(checks)
                fk = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                result["foreign_key_violations"] = len(fk)
            else:
                result["integrity_check"] = "n/a (PostgreSQL enforces its constraints)"
                result["foreign_key_violations"] = 0
    finally:
        engine.dispose()
    return result


def integrity_ok(checks: dict[str, Any]) -> bool:
    return (
        checks["orphan_answers"] == 0
        and checks["responses_without_answers"] == 0
        and len(checks["answers_per_response"]) <= 1
        and checks["duplicate_submission_keys"] == 0
        and checks["foreign_key_violations"] == 0
        and checks["integrity_check"] in ("ok", "n/a (PostgreSQL enforces its constraints)")
    )


# --------------------------------------------------------------------------- gunicorn


class ServerError(RuntimeError):
    """gunicorn did not start (e.g. it could not bind) or died."""


def _group_alive(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group, from /proc."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            alive.append(int(entry.name))
    return alive


class Gunicorn:
    """gunicorn serving wsgi:app in its own process group on 127.0.0.1."""

    def __init__(
        self,
        database_url: str,
        secret_key: str,
        port: int | None = None,
        workers: int = WORKERS,
        threads: int = THREADS,
        log_path: Path | None = None,
        app_spec: str = "wsgi:app",
        pythonpath: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.env = dict(env or {})  # settings beside the database and key (SURVEYAPP_…)
        self.app_spec = app_spec  # another module only for experiments (profiling a fix)
        self.pythonpath = pythonpath
        self.database_url = database_url
        self.secret_key = secret_key
        self.port = port or free_port()
        self.workers = workers
        self.threads = threads
        self._own_log = log_path is None
        if log_path is None:
            handle, name = tempfile.mkstemp(prefix="surveyapp-gunicorn-", suffix=".log")
            os.close(handle)
            log_path = Path(name)
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--worker-class",
            "gthread",
            "--bind",
            f"{HOST}:{self.port}",
            "--timeout",
            str(GUNICORN_TIMEOUT),
            "--graceful-timeout",
            "10",
            "--keep-alive",
            "5",
            "--log-level",
            "warning",
            *(["--pythonpath", self.pythonpath] if self.pythonpath else []),
            self.app_spec,
        ]

    def describe(self) -> str:
        return (
            f"gunicorn --workers {self.workers} --threads {self.threads} --worker-class gthread "
            f"--timeout {GUNICORN_TIMEOUT} --keep-alive 5 --bind {HOST}:PORT wsgi:app"
        )

    def start(self, ready_timeout: float = 90) -> float:
        """Start and wait for GET /healthz → 200; returns seconds until ready."""
        started = time.perf_counter()
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts + 1} at {time.ctime()}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.command,
                cwd=PROJECT_ROOT,
                env={**server_env(self.database_url, self.secret_key), **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.starts += 1
        deadline = started + ready_timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(
                    f"gunicorn exited with {self.proc.returncode} before it was ready:\n"
                    + self.log_tail()
                )
            conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
            try:
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return time.perf_counter() - started
            except (OSError, http.client.HTTPException):
                pass
            finally:
                conn.close()
            time.sleep(0.1)
        self.kill()
        raise ServerError(f"gunicorn not ready after {ready_timeout:.0f} s:\n" + self.log_tail())

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def remove_log(self) -> None:
        """Delete the log file if this object made it (after its text has been read)."""
        if self._own_log:
            self.log_path.unlink(missing_ok=True)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self, timeout: float = 15) -> None:
        """SIGKILL the master and every worker (the whole process group) and reap them."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=timeout)
        deadline = time.monotonic() + timeout
        while _group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.02)

    def stop(self, timeout: float = 20) -> None:
        """Graceful stop (SIGTERM to the master), then SIGKILL whatever is left."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=timeout)
        self.kill(timeout=5)

    def __enter__(self) -> Gunicorn:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


# --------------------------------------------------------------------------- the client


@dataclass
class Reply:
    status: int
    location: str
    body: bytes
    seconds: float

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class Browser:
    """One virtual citizen: its own keep-alive connection and its own cookie jar."""

    def __init__(self, host: str, port: int, timeout: float = REQUEST_TIMEOUT) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def drop_cookies(self) -> None:
        self.cookies.clear()

    def _store_cookie(self, header: str) -> None:
        first, _, attributes = header.partition(";")
        name, _, value = first.strip().partition("=")
        attrs = attributes.lower().replace(" ", "")
        if not value or "max-age=0" in attrs or "expires=thu,01jan1970" in attrs:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        chunked: bool = False,
    ) -> Reply:
        """One request; ``chunked`` sends the body in 64 KiB chunks without a Content-Length."""
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            sent["Content-Type"] = content_type
        started = time.perf_counter()
        try:
            if chunked and body is not None:
                parts = (body[i : i + 65536] for i in range(0, len(body), 65536))
                self._conn.request(method, path, body=parts, headers=sent, encode_chunked=True)
            else:
                self._conn.request(method, path, body=body, headers=sent)
            response = self._conn.getresponse()
            data = response.read()
        except BaseException:
            self.close()
            raise
        seconds = time.perf_counter() - started
        for header in response.headers.get_all("Set-Cookie") or []:
            self._store_cookie(header)
        if response.will_close:
            self.close()
        return Reply(response.status, response.getheader("Location") or "", data, seconds)

    def form(self, path: str, fields: dict[str, str] | list[tuple[str, str]]) -> Reply:
        return self.request(
            "POST",
            path,
            urllib.parse.urlencode(fields).encode(),
            "application/x-www-form-urlencoded",
        )


def form_state(body: bytes) -> str | None:
    """The signed answers-so-far a citizen survey page carries in its form."""
    found = _STATE.search(body)
    return found.group(1).decode() if found else None


def csrf_token(body: bytes) -> str | None:
    found = _CSRF.search(body)
    return found.group(1).decode() if found else None


# --------------------------------------------------------------------------- statistics


@dataclass
class Stats:
    """What all virtual citizens saw; updated under a lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0  # answered by the server (any status)
    ok_requests: int = 0  # answered as the step expects (the rate counts these)
    started: int = 0  # citizens started
    successes: list[str] = field(default_factory=list)  # markers answered 302 → /thanks
    ambiguous: list[str] = field(default_factory=list)  # final POST sent, no answer seen
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)  # citizen-facing failures
    connection_errors: int = 0  # exceptions (refused, reset, timeout) incl. retried ones
    retried: int = 0
    server_errors: int = 0  # 5xx answers
    locked: int = 0  # answers whose page mentions "database is locked"
    in_flight: int = 0

    def record(self, step: str, reply: Reply) -> None:
        with self.lock:
            self.requests += 1
            self.latencies.setdefault(step, []).append(reply.seconds)
            if reply.status >= 500:
                self.server_errors += 1
            if b"database is locked" in reply.body.lower():
                self.locked += 1

    def passed(self) -> None:
        with self.lock:
            self.ok_requests += 1

    def error(self, message: str) -> None:
        with self.lock:
            self.errors[message[:160]] += 1


@dataclass
class LoadResult:
    seconds: float
    concurrency: int
    stats: Stats

    @property
    def submissions(self) -> int:
        return len(self.stats.successes)

    @property
    def submissions_per_second(self) -> float:
        return self.submissions / self.seconds if self.seconds else 0.0

    @property
    def requests_per_second(self) -> float:
        """Requests answered as expected per second (error answers not counted)."""
        return self.stats.ok_requests / self.seconds if self.seconds else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.stats.errors.values())

    def latency(self, step: str, share: float) -> float | None:
        return percentile(self.stats.latencies.get(step, []), share)

    def latency_all(self, share: float) -> float | None:
        values = [v for vs in self.stats.latencies.values() for v in vs]
        return percentile(values, share)


# --------------------------------------------------------------------------- the walk


def merge(first: LoadResult, second: LoadResult) -> LoadResult:
    """Two runs as one (e.g. a baseline measured before and after the load)."""
    stats = Stats()
    for part in (first.stats, second.stats):
        stats.requests += part.requests
        stats.ok_requests += part.ok_requests
        stats.errors.update(part.errors)
        stats.server_errors += part.server_errors
        stats.locked += part.locked
        for step, values in part.latencies.items():
            stats.latencies.setdefault(step, []).extend(values)
    return LoadResult(first.seconds + second.seconds, first.concurrency, stats)


class _GiveUp(Exception):
    def __init__(self, message: str, no_answer: bool = False) -> None:
        super().__init__(message)
        self.no_answer = no_answer  # the request got no answer at all


def _send(
    stats: Stats,
    step: str,
    call: Callable[[], Reply],
    retry_until: float | None,
) -> Reply:
    """One request; after a connection error, retried (fault runs) until retry_until."""
    while True:
        with stats.lock:
            stats.in_flight += 1
        try:
            reply = call()
        except (OSError, http.client.HTTPException) as err:
            with stats.lock:
                stats.connection_errors += 1
            if retry_until is None or time.monotonic() > retry_until:
                raise _GiveUp(f"{step}: {type(err).__name__}: {err}", no_answer=True) from err
            with stats.lock:
                stats.retried += 1
            time.sleep(RETRY_PAUSE)
            continue
        finally:
            with stats.lock:
                stats.in_flight -= 1
        stats.record(step, reply)
        return reply


def walk(
    browser: Browser,
    slug: str,
    marker: str,
    stats: Stats,
    retry_until: float | None = None,
) -> bool:
    """One citizen answers the survey; True when the final POST answered 302 → /thanks."""
    base = f"/s/{slug}"
    final_sent = False
    try:
        reply = _send(stats, "GET start", lambda: browser.request("GET", base), retry_until)
        if reply.status != 302 or not reply.location.endswith(f"{base}/1"):
            raise _GiveUp(f"GET start: {reply.status} {reply.location or _title(reply.text())}")
        stats.passed()
        reply = _send(stats, "GET page 1", lambda: browser.request("GET", f"{base}/1"), retry_until)
        token = form_state(reply.body)
        if reply.status != 200 or token is None:
            raise _GiveUp(f"GET page 1: {reply.status}, state {'found' if token else 'missing'}")
        stats.passed()
        steps = [
            (1, PAGE1, f"{base}/2"),
            (2, PAGE2, f"{base}/3"),
            (3, {**PAGE3, MARKER_QUESTION: marker}, f"{base}/thanks"),
        ]
        for page, fields, expected in steps:
            data = {**fields, "state": token}  # as a browser sends the form back
            final_sent = page == 3
            reply = _send(
                stats,
                f"POST page {page}",
                lambda p=page, d=data: browser.form(f"{base}/{p}", d),  # type: ignore[misc]
                retry_until,
            )
            if reply.status != 302 or not reply.location.endswith(expected):
                raise _GiveUp(
                    f"POST page {page}: {reply.status} {reply.location or _title(reply.text())}"
                )
            stats.passed()
        with stats.lock:
            stats.successes.append(marker)
        return True
    except _GiveUp as err:
        stats.error(str(err))
        if final_sent and err.no_answer:
            # The last POST may have been stored although no answer came back.
            with stats.lock:
                stats.ambiguous.append(marker)
        return False
    finally:
        browser.close()


def _title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    return (found.group(1).strip() if found else html[:80]).replace("\n", " ")


def run_load(
    port: int,
    slug: str = SLUG,
    duration: float = 30.0,
    concurrency: int = CONCURRENCY,
    max_submissions: int = 100_000,
    retry: bool = False,
    retry_grace: float = 30.0,
    marker_prefix: str | None = None,
    stats: Stats | None = None,
    stop: threading.Event | None = None,
) -> LoadResult:
    """Virtual citizens for ``duration`` seconds (or ``max_submissions``, or until
    ``stop`` is set), then stop.

    A citizen already under way at the end finishes its walk (each request is bounded
    by REQUEST_TIMEOUT; with ``retry``, a request that met a connection error is tried
    again for at most ``retry_grace`` seconds from the walk's start), so no walk is cut
    short on purpose; the rate is completed submissions over the whole elapsed time.
    """
    stats = stats or Stats()
    stop = stop or threading.Event()
    prefix = marker_prefix or f"bench-{secrets.token_hex(4)}"
    counter = iter(range(1, 10**9))
    counter_lock = threading.Lock()
    started = time.monotonic()
    deadline = started + duration

    def citizen_loop() -> None:
        while time.monotonic() < deadline and not stop.is_set():
            with counter_lock:
                number = next(counter)
                if number > max_submissions:
                    return
                stats.started += 1
            retry_until = time.monotonic() + retry_grace if retry else None
            walk(Browser(HOST, port), slug, f"{prefix}-{number}", stats, retry_until)

    threads = [
        threading.Thread(target=citizen_loop, name=f"citizen-{i}", daemon=True)
        for i in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
        if stop.wait(0.05):
            break
    hard_stop = time.monotonic() + (retry_grace if retry else 0) + 5 * REQUEST_TIMEOUT + 10
    for thread in threads:
        thread.join(timeout=max(0.1, hard_stop - time.monotonic()))
    stuck = [t.name for t in threads if t.is_alive()]
    if stuck:
        stats.error(f"client threads still running at the hard stop: {', '.join(stuck)}")
    return LoadResult(time.monotonic() - started, concurrency, stats)


def run_baseline(
    port: int,
    duration: float = 15.0,
    concurrency: int = CONCURRENCY,
    path: str = "/healthz",
    per_connection: int = 5,
    max_requests: int = 1_000_000,
) -> LoadResult:
    """The trivial page at the same concurrency; a new connection every ``per_connection``."""
    stats = Stats()
    started = time.monotonic()
    deadline = started + duration

    def loop() -> None:
        browser = Browser(HOST, port)
        sent = 0
        while time.monotonic() < deadline and stats.requests < max_requests:
            try:
                reply = browser.request("GET", path)
            except (OSError, http.client.HTTPException) as err:
                stats.error(f"GET {path}: {type(err).__name__}: {err}")
                browser.close()
                time.sleep(RETRY_PAUSE)
                continue
            stats.record(f"GET {path}", reply)
            if reply.status != 200:
                stats.error(f"GET {path}: {reply.status}")
            else:
                stats.passed()
            sent += 1
            if sent % per_connection == 0:
                browser.close()
        browser.close()

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.1, deadline + 2 * REQUEST_TIMEOUT - time.monotonic()))
    return LoadResult(time.monotonic() - started, concurrency, stats)


# --------------------------------------------------------------------------- a whole run


@dataclass
class ThroughputRun:
    backend: str
    server: str
    flow: LoadResult
    baseline: LoadResult
    stored: list[str]
    checks: dict[str, Any]
    boot_seconds: float
    server_log_errors: int
    error_sites: Counter[str] = field(default_factory=Counter)

    @property
    def requests_ratio(self) -> float:
        base = self.baseline.requests_per_second
        return self.flow.requests_per_second / base if base else 0.0

    @property
    def lost(self) -> int:
        return len(set(self.flow.stats.successes) - set(self.stored))

    @property
    def unexpected(self) -> int:
        """Stored responses no citizen was told about (a failed final POST can cause one)."""
        return len(set(self.stored) - set(self.flow.stats.successes))

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in Counter(self.stored).values() if n > 1)


def log_errors(text: str) -> int:
    """Errors in a gunicorn log: the app's "Unhandled error" entries and gunicorn's own."""
    return text.count("ERROR in errors: Unhandled error") + text.count("] [ERROR] ")


_FRAME = re.compile(r'File "[^"]*/(surveyapp/[^"]+)", line (\d+), in (\w+)')
_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception)\b.*)$", re.M)


def log_error_sites(text: str) -> Counter[str]:
    """Unhandled errors of the app by innermost surveyapp frame and exception."""
    sites: Counter[str] = Counter()
    for chunk in text.split("ERROR in errors: Unhandled error")[1:]:
        chunk = chunk.split("\n[20", 1)[0]  # up to the next log entry
        frames = _FRAME.findall(chunk)
        exceptions = _EXCEPTION.findall(chunk)
        where = f"{frames[-1][0]}:{frames[-1][1]} in {frames[-1][2]}()" if frames else "?"
        what = exceptions[-1].strip()[:140] if exceptions else "?"
        sites[f"{what} at {where}"] += 1
    return sites


def throughput_run(
    database_url: str,
    backend: str,
    duration: float = 30.0,
    baseline_duration: float = 15.0,
    warmup: float = 3.0,
    concurrency: int = CONCURRENCY,
    workers: int = WORKERS,
    threads: int = THREADS,
    log: Callable[[str], None] = print,
    app_spec: str = "wsgi:app",
    pythonpath: str | None = None,
    round_id: int | None = None,
) -> ThroughputRun:
    """Prepare the database (unless ``round_id`` names a prepared round), start gunicorn,
    warm up, measure the baseline, run the load; check storage."""
    key = new_secret_key()
    if round_id is None:
        log(f"[{backend}] preparing the database …")
        round_id = prepare_database(database_url, key)
    server = Gunicorn(
        database_url,
        key,
        workers=workers,
        threads=threads,
        app_spec=app_spec,
        pythonpath=pythonpath,
    )
    boot = server.start()
    log(f"[{backend}] gunicorn ready on port {server.port} in {boot:.1f} s")
    try:
        stats = Stats()
        prefix = f"bench-{secrets.token_hex(4)}"
        run_load(
            server.port,
            duration=warmup,
            concurrency=concurrency,
            stats=stats,
            marker_prefix=prefix + "w",
        )
        warm_successes = list(stats.successes)
        log(f"[{backend}] warm-up: {len(warm_successes)} submissions")
        # The baseline is measured half before and half after the load, so that a change
        # in the machine's background load weighs on both sides alike.
        before = run_baseline(server.port, duration=baseline_duration / 2, concurrency=concurrency)
        flow = run_load(
            server.port, duration=duration, concurrency=concurrency, marker_prefix=prefix
        )
        log(
            f"[{backend}] flow: {flow.submissions_per_second:.1f} submissions/s, "
            f"{flow.requests_per_second:.0f} requests/s, {flow.error_count} errors"
        )
        after = run_baseline(server.port, duration=baseline_duration / 2, concurrency=concurrency)
        baseline = merge(before, after)
        log(
            f"[{backend}] baseline /healthz: {before.requests_per_second:.0f} before, "
            f"{after.requests_per_second:.0f} after the load"
        )
    finally:
        server.stop()
    stored = [m for m in stored_markers(database_url, round_id) if m not in set(warm_successes)]
    checks = integrity(database_url, round_id)
    checks["warmup_submissions"] = len(warm_successes)
    log_text = server.log_text()
    server.remove_log()
    return ThroughputRun(
        backend,
        server.describe(),
        flow,
        baseline,
        stored,
        checks,
        boot,
        log_errors(log_text),
        log_error_sites(log_text),
    )


# --------------------------------------------------------------------------- PostgreSQL


class PostgresUnavailable(RuntimeError):
    pass


class PostgresCluster:
    """A throwaway PostgreSQL cluster on 127.0.0.1 (as .ci/run starts one)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.folder: Path | None = None
        self.bin: Path | None = None

    def _as_postgres(self, command: list[str], timeout: float = 120) -> None:
        line = " ".join(shlex.quote(part) for part in command)
        if os.geteuid() == 0:
            full = ["su", "postgres", "-c", line]
        else:
            full = ["sh", "-c", line]
        done = subprocess.run(full, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise PostgresUnavailable(f"{command[0]} failed: {done.stderr.strip()[-500:]}")

    def start(self) -> None:
        versions = sorted(
            Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
            key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
        )
        if not versions:
            raise PostgresUnavailable(
                "no PostgreSQL server installed (/usr/lib/postgresql/*/bin/pg_ctl); "
                "set SURVEYAPP_BENCH_POSTGRES_URL or install postgresql"
            )
        self.bin = versions[-1].parent
        self.folder = Path(tempfile.mkdtemp(prefix="surveyapp-bench-pg."))
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        data = self.folder / "data"
        self._as_postgres(
            [
                str(self.bin / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]
        )
        options = f"-c listen_addresses={HOST} -p {self.port} -k {self.folder}"
        self._as_postgres(
            [
                str(self.bin / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(self.folder / "server.log"),
                "-w",
                "-o",
                options,
                "start",
            ]
        )

    def create_database(self, name: str) -> str:
        assert self.bin is not None
        self._as_postgres(
            [str(self.bin / "createdb"), "-h", HOST, "-p", str(self.port), "-U", "postgres", name]
        )
        return f"postgresql+psycopg://postgres@{HOST}:{self.port}/{name}"

    def stop(self) -> None:
        if self.folder is None or self.bin is None:
            return
        with contextlib.suppress(Exception):
            self._as_postgres(
                [
                    str(self.bin / "pg_ctl"),
                    "-D",
                    str(self.folder / "data"),
                    "-m",
                    "fast",
                    "-w",
                    "stop",
                ]
            )
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None


@contextlib.contextmanager
def postgres_databases(names: list[str]) -> Iterator[dict[str, str]]:
    """URLs of empty PostgreSQL databases: from SURVEYAPP_BENCH_POSTGRES_URL, or a new cluster.

    With SURVEYAPP_BENCH_POSTGRES_URL, that server gets databases named
    ``<its database>_<name>``, created here and dropped afterwards.
    """
    given = os.environ.get("SURVEYAPP_BENCH_POSTGRES_URL")
    if given:
        engine = engine_for(given)
        base = engine.url
        made: list[str] = []
        urls: dict[str, str] = {}
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for name in names:
                    db_name = f"{base.database}_{name}"
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db_name}"')
                    conn.exec_driver_sql(f'CREATE DATABASE "{db_name}"')
                    made.append(db_name)
                    urls[name] = base.set(database=db_name).render_as_string(hide_password=False)
            yield urls
        finally:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for db_name in made:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
            engine.dispose()
        return
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield {name: cluster.create_database(name) for name in names}
    finally:
        cluster.stop()


# --------------------------------------------------------------------------- profile


def _package(filename: str, name: str) -> str:
    """Which part of the stack a profiled function belongs to."""
    if filename == "~":
        if "sqlite3" in name or "psycopg" in name:
            return "database driver (C)"
        return "Python built-ins (C)"
    for part, label in (
        ("/sqlalchemy/", "SQLAlchemy"),
        ("/jinja2/", "Jinja2 (templates)"),
        ("/templates/", "Jinja2 (templates)"),
        ("/wtforms/", "WTForms"),
        ("/flask_wtf/", "Flask-WTF (CSRF)"),
        ("/werkzeug/", "Werkzeug"),
        ("/flask_babel/", "Babel / Flask-Babel"),
        ("/babel/", "Babel / Flask-Babel"),
        ("/flask_login/", "Flask-Login"),
        ("/flask_limiter/", "Flask-Limiter"),
        ("/flask/", "Flask"),
        ("/itsdangerous/", "itsdangerous (session cookie)"),
        ("/surveyapp/", "surveyapp"),
        ("/psycopg/", "database driver (C)"),
    ):
        if part in filename:
            return label
    if "/lib/python3" in filename and "site-packages" not in filename:
        return "Python standard library"
    return "other Python"


def profile_steps(
    database_url: str, walks: int = 30, round_id: int | None = None
) -> dict[str, Any]:
    """One request at a time, in-process (Flask test client, production settings, CSRF
    on): median wall time per step and of GET /healthz, and where the CPU goes."""
    import cProfile
    import pstats

    from surveyapp import create_app
    from surveyapp.extensions import db

    if round_id is None:
        round_id = prepare_database(database_url, new_secret_key())
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": new_secret_key(),
            "SURVEYAPP_DEMO": False,
        }
    )
    times: dict[str, list[float]] = {}
    statements: dict[str, list[int]] = {}
    executed = [0]

    with app.app_context():

        @sa.event.listens_for(db.engine, "before_cursor_execute")
        def _count(*_args: Any) -> None:
            executed[0] += 1

    def timed(step: str, call: Callable[[], Any]) -> Any:
        before = executed[0]
        started = time.perf_counter()
        result = call()
        times.setdefault(step, []).append(time.perf_counter() - started)
        statements.setdefault(step, []).append(executed[0] - before)
        return result

    def one_walk(number: int) -> None:
        client = app.test_client()
        base = f"/s/{SLUG}"
        timed("GET start", lambda: client.get(base))
        page = timed("GET page 1", lambda: client.get(f"{base}/1"))
        token = form_state(page.get_data())
        assert token, "no CSRF token on page 1"
        answers = [PAGE1, PAGE2, {**PAGE3, MARKER_QUESTION: f"profile-{number}"}]
        for index, fields in enumerate(answers, start=1):
            reply = timed(
                f"POST page {index}",
                lambda i=index, f=fields: client.post(f"{base}/{i}", data={**f, "state": token}),
            )
            assert reply.status_code == 302, reply.status_code

    health = app.test_client()
    try:
        for number in range(5):  # warm-up
            one_walk(number)
            health.get("/healthz")
        times.clear()
        statements.clear()
        for number in range(walks):
            one_walk(100 + number)
        for _ in range(walks * 5):
            timed("GET /healthz", lambda: health.get("/healthz"))
        profiler = cProfile.Profile()
        profiler.enable()
        for number in range(walks):
            one_walk(1000 + number)
        profiler.disable()
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    by_package: Counter[str] = Counter()
    stats = pstats.Stats(profiler)
    total = 0.0
    for (filename, _line, name), row in stats.stats.items():  # type: ignore[attr-defined]
        by_package[_package(filename, name)] += row[2]  # tottime
        total += row[2]
    medians = {step: statistics.median(values) for step, values in times.items()}
    flow_steps = [v for k, v in medians.items() if k != "GET /healthz"]
    return {
        "walks": walks,
        "backend": backend_name(database_url),
        "statements": {step: statistics.median(v) for step, v in statements.items()},
        "medians": medians,
        "flow_mean": sum(flow_steps) / len(flow_steps),
        "healthz": medians["GET /healthz"],
        "packages": {k: v / total for k, v in by_package.most_common()},
    }


def profile_markdown(profile: dict[str, Any]) -> str:
    medians = profile["medians"]
    counts = profile.get("statements", {})
    ceiling = profile["healthz"] / profile["flow_mean"]
    lines = [
        f"{profile.get('backend', 'SQLite')}: one request at a time in-process (Flask test "
        f"client, production settings, CSRF on; medians of {profile['walks']} walks). "
        "SQL statements are those SQLAlchemy sent (the pool's pre-ping and BEGIN/COMMIT are "
        "not counted):",
        "",
        "| request | median | × `GET /healthz` | SQL statements |",
        "|---|---|---|---|",
    ]
    for step, value in medians.items():
        count = counts.get(step)
        lines.append(
            f"| {step} | {value * 1000:.1f} ms | {value / profile['healthz']:.1f} | "
            f"{'–' if count is None else f'{count:.0f}'} |"
        )
    lines += [
        "",
        f"A survey request costs on average {profile['flow_mean'] * 1000:.1f} ms against "
        f"{profile['healthz'] * 1000:.1f} ms for `GET /healthz` inside the app, so the app "
        f"work alone allows the survey flow about **{ceiling:.2f}×** the trivial page's "
        "request rate when the CPU is the limit. Over HTTP both also pay the same fixed cost "
        "(gunicorn, sockets, the load client on the same cores), which moves the measured "
        "ratio towards 1.",
        "",
        "Where the time of the survey requests goes (cProfile, own time by package):",
        "",
        "| part | share |",
        "|---|---|",
    ]
    for name, share in list(profile["packages"].items())[:10]:
        lines.append(f"| {name} | {share:.0%} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- report


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:.0f} ms"


GOAL_RATIO = 0.40
GOAL_P99 = 0.250


def throughput_markdown(run: ThroughputRun) -> tuple[str, bool]:
    flow, base = run.flow, run.baseline
    p99 = flow.latency("POST page 3", 0.99)
    ratio_ok = run.requests_ratio >= GOAL_RATIO
    p99_ok = p99 is not None and p99 < GOAL_P99
    errors_ok = flow.error_count == 0 and base.error_count == 0
    lost_ok = run.lost == 0 and run.unexpected == 0 and run.duplicates == 0
    stored_ok = len(run.stored) == flow.submissions
    yes = {True: "met", False: "**not met**"}
    lines = [
        f"Server: `{run.server}`; {flow.concurrency} virtual citizens at once; "
        f"{flow.seconds:.1f} s of load after a {run.checks['warmup_submissions']}-submission "
        f"warm-up; baseline {base.seconds:.1f} s of `GET /healthz` at the same concurrency.",
        "",
        "| figure | value | baseline (`GET /healthz`) | ratio | goal | result |",
        "|---|---|---|---|---|---|",
        f"| completed submissions/s (5 requests each) | {flow.submissions_per_second:.1f} "
        f"| – | – | – | – |",
        f"| requests/s answered as expected, survey flow vs trivial page "
        f"| {flow.requests_per_second:.0f} "
        f"| {base.requests_per_second:.0f} | {run.requests_ratio:.3f} | ≥ {GOAL_RATIO:.2f} "
        f"| {yes[ratio_ok]} |",
        f"| submission-equivalents: submissions/s × 5 vs trivial requests/s "
        f"| {flow.submissions_per_second * 5:.0f} | {base.requests_per_second:.0f} "
        f"| {flow.submissions_per_second * 5 / base.requests_per_second if base.requests_per_second else 0:.2f} "  # noqa: E501
        f"| (same as above, completed walks only) | – |",
        f"| final POST latency p50 / p99 | {_ms(flow.latency('POST page 3', 0.5))} / {_ms(p99)} "
        f"| {_ms(base.latency_all(0.5))} / {_ms(base.latency_all(0.99))} "
        f"| {p99 / base.latency_all(0.99) if p99 and base.latency_all(0.99) else 0:.1f} "
        f"| p99 < {GOAL_P99 * 1000:.0f} ms | {yes[p99_ok]} |",
        f"| all flow requests p50 / p99 | {_ms(flow.latency_all(0.5))} / "
        f"{_ms(flow.latency_all(0.99))} | – | – | – | – |",
        f"| request errors (non-2xx/3xx or exception) | {flow.error_count} | {base.error_count} "
        f"| – | 0 | {yes[errors_ok]} |",
        f"| nothing lost: stored responses vs client successes | {len(run.stored)} stored / "
        f"{flow.submissions} successes | – | – | equal, each marker once "
        f"| {yes[lost_ok and stored_ok]} |",
        f'| 5xx answers / pages saying "database is locked" | {flow.stats.server_errors} / '
        f"{flow.stats.locked} | – | – | 0 / 0 "
        f"| {yes[flow.stats.server_errors == 0 and flow.stats.locked == 0]} |",
        f"| integrity: orphan answers, half-written responses, integrity_check "
        f"| {run.checks['orphan_answers']}, {run.checks['responses_without_answers']}, "
        f"{run.checks['integrity_check']} | – | – | 0, 0, ok | {yes[integrity_ok(run.checks)]} |",
    ]
    if flow.stats.errors:
        lines += ["", "Errors seen by citizens:", ""]
        lines += [
            f"- {n} × {' '.join(message.split())[:100]}"
            for message, n in flow.stats.errors.most_common(10)
        ]
    if run.error_sites:
        lines += [
            "",
            "Unhandled errors in the gunicorn log (exception at innermost app frame):",
            "",
        ]
        lines += [f"- {n} × `{site}`" for site, n in run.error_sites.most_common(5)]
    per_step = ", ".join(
        f"{step} {_ms(percentile(values, 0.5))}/{_ms(percentile(values, 0.99))}"
        for step, values in flow.stats.latencies.items()
    )
    lines += ["", f"Latency per step (p50/p99): {per_step}."]
    ok = ratio_ok and p99_ok and errors_ok and lost_ok and stored_ok and integrity_ok(run.checks)
    return "\n".join(lines), ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.perf.load")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp folder")
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--baseline-duration", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--threads", type=int, help="default: as documented per database")
    parser.add_argument("--app", default="wsgi:app", help="WSGI app (experiments only)")
    parser.add_argument("--pythonpath", help="extra import path for --app (experiments only)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="surveyapp-load.") as folder:
        url = args.database_url or f"sqlite:///{folder}/load.db"
        backend = backend_name(url)
        run = throughput_run(
            url,
            backend,
            args.duration,
            args.baseline_duration,
            concurrency=args.concurrency,
            workers=args.workers,
            threads=args.threads or production_threads(url),
            app_spec=args.app,
            pythonpath=args.pythonpath,
        )
        text, ok = throughput_markdown(run)
        print(text)
        print()
        print("stored answers per response:", run.checks["answers_per_response"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
