"""Time the open-data API's national table on the 1,000,000-response database.

    python -m benchmarks.perf.api_bench [--source /tmp/bench-1m.db] [--restarts 5]

The national table of one question (share satisfied, 357 municipalities × 10 years) as
JSON-stat, fetched from gunicorn on 127.0.0.1 without a token:

* cold: the first request after a restart of the server (a new process: no definition
  cache, no open connection), median over ``--restarts`` restarts;
* unchanged: requests with ``If-None-Match`` carrying the table's ETag (304), median and
  p95 over ``--repeat`` requests on a warm server.

The national database (``benchmarks.perf.generate``) is copied first (SQLite's backup
API), so the shared file is never migrated or changed; on the copy the schema is
upgraded and every benchmark round is published (which stores each round's counts).
Goals from issue 22: < 300 ms cold, < 20 ms unchanged.
"""

from __future__ import annotations

import argparse
import http.client
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.perf.load import HOST, Gunicorn, new_secret_key, percentile

PATH = "/api/v1/national/citizen-satisfaction?format=jsonstat"
QUESTIONNAIRE = "citizen-satisfaction"
COLD_GOAL = 0.300
UNCHANGED_GOAL = 0.020


def copy_database(source: Path, target: Path) -> float:
    started = time.perf_counter()
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    return time.perf_counter() - started


def publish_everything(database_url: str) -> tuple[int, float]:
    """Upgrade the copy and publish every closed round of the questionnaire."""
    from flask_migrate import upgrade

    from surveyapp import create_app
    from surveyapp.api.publishing import publish_all_closed
    from surveyapp.extensions import db

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SURVEYAPP_DEMO": True, "TESTING": True}
    )
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        count = publish_all_closed(None, QUESTIONNAIRE)
        db.session.commit()
        seconds = time.perf_counter() - started
        db.engine.dispose()
    return count, seconds


def _get(port: int, headers: dict[str, str] | None = None) -> tuple[int, bytes, str, float]:
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    started = time.perf_counter()
    try:
        conn.request("GET", PATH, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        return response.status, body, response.getheader("ETag") or "", elapsed
    finally:
        conn.close()


def run(source: Path, restarts: int, repeat: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="surveyapp-api-bench."))
    target = folder / "national.db"
    try:
        copy_seconds = copy_database(source, target)
        database_url = f"sqlite:///{target}"
        published, publish_seconds = publish_everything(database_url)
        server = Gunicorn(
            database_url,
            new_secret_key(),
            workers=1,
            threads=1,
            env={"SURVEYAPP_API_LIMIT": "1000000 per minute"},
        )
        cold: list[float] = []
        size = 0
        etag = ""
        try:
            for _ in range(restarts):
                server.start()
                status, body, etag, elapsed = _get(server.port)
                if status != 200:
                    raise RuntimeError(f"national table answered {status}: {body[:300]!r}")
                cold.append(elapsed)
                size = len(body)
                server.stop()
            server.start()
            _get(server.port)  # warm
            unchanged: list[float] = []
            for _ in range(repeat):
                status, body, _tag, elapsed = _get(server.port, {"If-None-Match": etag})
                if status != 304:
                    raise RuntimeError(f"expected 304, got {status}")
                unchanged.append(elapsed)
            warm = [_get(server.port)[3] for _ in range(5)]
        finally:
            server.stop()
            server.remove_log()
        return {
            "copy": copy_seconds,
            "published": published,
            "publish": publish_seconds,
            "bytes": size,
            "cold": statistics.median(cold),
            "cold_max": max(cold),
            "warm": statistics.median(warm),
            "unchanged": statistics.median(unchanged),
            "unchanged_p95": percentile(unchanged, 0.95) or 0.0,
        }
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.rmdir(folder)


def markdown(result: dict[str, Any]) -> str:
    cold_ok = result["cold"] < COLD_GOAL
    unchanged_ok = result["unchanged_p95"] < UNCHANGED_GOAL
    return "\n".join(
        [
            f"National table of `citizen-satisfaction` (357 municipalities × 10 years) as "
            f"JSON-stat, {result['bytes']:,} bytes, from gunicorn (1 worker, 1 thread) without "
            f"a token. {result['published']:,} rounds published on a copy of the database in "
            f"{result['publish']:.1f} s (copy {result['copy']:.0f} s).",
            "",
            "| figure | seconds | goal | met |",
            "|---|---|---|---|",
            f"| cold: first request after a restart (median; max {result['cold_max']:.3f}) | "
            f"{result['cold']:.3f} | < 0.300 | {'yes' if cold_ok else 'no'} |",
            f"| warm, full table (median) | {result['warm']:.3f} | – | – |",
            f"| unchanged: If-None-Match → 304 (median; p95 {result['unchanged_p95']:.4f}) | "
            f"{result['unchanged']:.4f} | p95 < 0.020 | {'yes' if unchanged_ok else 'no'} |",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=Path("/tmp/bench-1m.db"))
    parser.add_argument("--restarts", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    print(markdown(run(args.source, args.restarts, args.repeat)))


if __name__ == "__main__":
    main()
