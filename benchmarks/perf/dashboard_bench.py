"""Time the planner dashboard on a national-scale database against its bare SQL query.

    python -m benchmarks.perf.dashboard_bench --database-url sqlite:////tmp/bench-1m.db

The database comes from ``python -m benchmarks.perf.generate``. The dashboard is
fetched through the real app (log-in, access check, report, template) with Flask's
test client; the baseline is the single SQL aggregate the national comparison rests
on (satisfied and valid answers per municipality for one year). Prints a Markdown
table; goals from the issues: dashboard under 0.5 s and under 3 × the bare query.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

BENCH_EMAIL = "benchmark-admin@example.invalid"
BENCH_PASSWORD = "Fjellrev-og-lemen-i-snoen-7"


def _timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    fn()  # warm-up: caches, first connection, template compilation
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def run(database_url: str, municipality: str, year: int | None, repeat: int) -> dict[str, Any]:
    from flask_migrate import upgrade

    from surveyapp import create_app
    from surveyapp.accounts.models import User
    from surveyapp.accounts.operations import create_user
    from surveyapp.extensions import db
    from surveyapp.questionnaires.store import definition_of, latest_version
    from surveyapp.results import queries
    from surveyapp.results.report import survey_questionnaires_for

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SURVEYAPP_DEMO": True,
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        upgrade()  # a reused database may predate the newest tables (staff sessions)
        if db.session.scalar(sa.select(User).where(User.email == BENCH_EMAIL)) is None:
            create_user(None, BENCH_EMAIL, "Benchmark", "admin", BENCH_PASSWORD)
            db.session.commit()
        responses = db.session.scalar(sa.text("SELECT count(*) FROM response"))
        answers = db.session.scalar(sa.text("SELECT count(*) FROM answer"))
        code, years = survey_questionnaires_for(municipality)[0]
        year = year or years[0]
        indicator = definition_of(latest_version(code)).indicator  # type: ignore[arg-type]
        assert indicator is not None
        bare = _timed(lambda: queries.indicator_counts(code, indicator, year=year), repeat)
        own = _timed(
            lambda: queries.indicator_counts(code, indicator, municipality=municipality), repeat
        )
    client = app.test_client()
    login = client.post("/login", data={"email": BENCH_EMAIL, "password": BENCH_PASSWORD})
    assert login.status_code == 302, "log-in failed"

    def dashboard() -> None:
        response = client.get(f"/results/{municipality}?year={year}")
        assert response.status_code == 200, response.status_code

    page = _timed(dashboard, repeat)
    return {
        "responses": responses,
        "answers": answers,
        "year": year,
        "bare": statistics.median(bare),
        "own": statistics.median(own),
        "dashboard": statistics.median(page),
        "dashboard_max": max(page),
    }


def markdown(result: dict[str, Any], municipality: str) -> str:
    ratio = result["dashboard"] / result["bare"]
    ok_time = result["dashboard"] < 0.5
    ok_ratio = ratio < 3
    return "\n".join(
        [
            f"Database: {result['responses']:,} responses, {result['answers']:,} answers; "
            f"municipality {municipality}, year {result['year']} (medians).",
            "",
            "| figure | seconds | ratio to bare query | goal | met |",
            "|---|---|---|---|---|",
            f"| bare national aggregate query (baseline) | {result['bare']:.3f} | 1.00 | – | – |",
            f"| own municipality, all years (query) | {result['own']:.3f} | "
            f"{result['own'] / result['bare']:.2f} | – | – |",
            f"| planner dashboard, full HTTP request | {result['dashboard']:.3f} | {ratio:.2f} | "
            f"< 0.5 s and < 3× | {'yes' if ok_time and ok_ratio else 'no'} |",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="sqlite:////tmp/bench-1m.db")
    parser.add_argument("--municipality", default="5501")
    parser.add_argument("--year", type=int)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    result = run(args.database_url, args.municipality, args.year, args.repeat)
    print(markdown(result, args.municipality))


if __name__ == "__main__":
    main()
