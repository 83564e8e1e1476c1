"""Field work at national scale: the schedule and the caller's list (issue 15).

    python -m benchmarks.perf.fieldwork_bench [--repeat 30]

1. **The schedule**: the 357 municipalities of the shipped register, the shipped protocol,
   12 callers and 40 working days from 7 September 2026 (11,424 contacts); the planning
   time (median of 3 runs) and each constraint's violations (``planning.check_plan``).
   Goals: 0 violations of every constraint, < 5 s.
2. **The caller's list**: the same round stored in SQLite (``flask setup --no-demo``,
   then the plan), about a third of every caller's contacts recorded, call-backs and
   awaited replies among them; one caller logs in to gunicorn on 127.0.0.1 and fetches
   every section of the list (and a filtered one) ``--repeat`` times. Goals: every page
   < 300 ms (p95) and < 100 KB.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.perf.load import HOST, Browser, Gunicorn, new_secret_key, percentile

START = date(2026, 9, 7)
CALLERS = 12
WORKING_DAYS = 40
PLAN_GOAL = 5.0
PAGE_GOAL = 0.300
SIZE_GOAL = 100 * 1024
PASSWORD = "Benk-og-bord-i-fjellet-2026"
_CSRF = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(body: bytes) -> str | None:
    found = _CSRF.search(body)
    return found.group(1).decode() if found else None


def _protocol() -> Any:
    from surveyapp.questionnaires.definition import load_file

    shipped = Path(__file__).resolve().parents[2] / "surveyapp/questionnaires/definitions"
    protocol = load_file(shipped / "servicetest-protocol.yaml").protocol
    assert protocol is not None
    return protocol


def plan_figures(runs: int = 3) -> dict[str, Any]:
    """Plan the national round; the time and each constraint's violations."""
    from surveyapp.municipalities.register import REGISTER_FILE, parse_register
    from surveyapp.servicetest import planning
    from surveyapp.servicetest.workdays import add_working_days

    protocol = _protocol()
    codes = [row.code for row in parse_register(REGISTER_FILE.read_bytes(), "register")]
    ends = add_working_days(START, WORKING_DAYS - 1)
    callers = list(range(1, CALLERS + 1))
    times: list[float] = []
    planned: list[Any] = []
    for _ in range(runs):
        started = time.perf_counter()
        planned = planning.plan_round(protocol, codes, callers, START, ends, seed=1)
        times.append(time.perf_counter() - started)
    shown = planning.preview(planned, protocol, planning.DEFAULT_DAILY_CAP)
    calls = max(shown.calls_per_caller_day.values())
    return {
        "municipalities": len(codes),
        "contacts": len(planned),
        "callers": CALLERS,
        "working_days": WORKING_DAYS,
        "daily_cap": planning.DEFAULT_DAILY_CAP,
        "seconds": statistics.median(times),
        "violations": shown.violations,
        "busiest_caller_day": shown.busiest_caller_day,
        "quietest_caller_day": min(shown.per_caller_day.values()),
        "most_calls_caller_day": calls,
        "most_contacts_municipality_day": max(
            m["busiest_day"] for m in shown.per_municipality.values()
        ),
    }


def _fill(database_url: str, secret_key: str) -> dict[str, Any]:
    """The national round in the database, a third recorded; returns the caller's e-mail."""
    import sqlalchemy as sa

    from surveyapp import create_app
    from surveyapp.accounts.operations import create_user
    from surveyapp.extensions import db
    from surveyapp.municipalities.models import Municipality
    from surveyapp.questionnaires.store import latest_version
    from surveyapp.servicetest import operations
    from surveyapp.servicetest.models import TestAssignment, TestResult
    from surveyapp.servicetest.workdays import NORWAY, add_working_days

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secret_key})
    with app.app_context():
        callers = [
            create_user(None, f"ringer{n}@bench.example", f"Ringer {n}", "caller", PASSWORD, [])
            for n in range(1, CALLERS + 1)
        ]
        protocol = latest_version("servicetest-protocol")
        assert protocol is not None
        codes = list(db.session.scalars(sa.select(Municipality.code).where(Municipality.current)))
        # The round runs around today, so that today, overdue and upcoming all have rows.
        today = datetime.now(NORWAY).date()
        first = add_working_days(today - timedelta(days=28), 0)
        test_round = operations.plan(
            None,
            title="Benchmark – nasjonal runde",
            protocol=protocol,
            year=today.year,
            starts_on=first,
            ends_on=add_working_days(first, WORKING_DAYS - 1),
            municipalities=codes,
            callers=[c.id for c in callers],
            seed=1,
            selection={"mode": "all"},
        )
        db.session.flush()
        rows = db.session.execute(
            sa.select(TestAssignment.id, TestAssignment.channel, TestAssignment.due_at).where(
                TestAssignment.test_round_id == test_round.id
            )
        ).all()
        done, results, callbacks, replies = [], [], [], []
        for n, (assignment_id, channel, due) in enumerate(rows):
            if due.astimezone(NORWAY).date() >= today or n % 3 == 0:
                continue  # today's, upcoming and a third of the past stay open
            if channel == "phone" and n % 7 == 1:
                record = {"attempts": [{"at": due.isoformat(), "reached": False}]}
                callbacks.append((assignment_id, due + timedelta(hours=2)))
            elif channel == "email" and n % 7 == 2:
                record = {"sent_at": due.isoformat(), "replied_at": None}
                replies.append((assignment_id, due + timedelta(days=14)))
            elif channel == "web":
                record = {"found": True, "seconds": 40, "quality": 2}
                done.append(assignment_id)
            else:
                record = {"sent_at": due.isoformat(), "replied_at": due.isoformat()}
                done.append(assignment_id)
            results.append({"assignment_id": assignment_id, "record": record})
        db.session.execute(sa.insert(TestResult.__table__), results)
        for start in range(0, len(done), 500):
            db.session.execute(
                sa.update(TestAssignment)
                .where(TestAssignment.id.in_(done[start : start + 500]))
                .values(status="done")
            )
        for kind, items in (("callback", callbacks), ("reply", replies)):
            for assignment_id, when in items:
                db.session.execute(
                    sa.update(TestAssignment)
                    .where(TestAssignment.id == assignment_id)
                    .values(follow_up=kind, follow_up_at=when)
                )
        db.session.commit()
        caller = callers[0]
        mine = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(TestAssignment)
            .where(TestAssignment.caller_id == caller.id)
        )
        some = db.session.scalar(
            sa.select(TestAssignment.municipality_code)
            .where(TestAssignment.caller_id == caller.id)
            .limit(1)
        )
        db.session.remove()
        db.engine.dispose()
        return {
            "email": caller.email,
            "contacts": len(rows),
            "recorded": len(results),
            "mine": mine,
            "municipality": some,
        }


@dataclass
class PageFigures:
    path: str
    median: float
    p95: float
    size: int


def list_figures(repeat: int = 30) -> dict[str, Any]:
    from benchmarks.perf.load import setup_database

    with tempfile.TemporaryDirectory(prefix="surveyapp-fieldwork.") as folder:
        database_url = f"sqlite:///{Path(folder) / 'fieldwork.db'}"
        secret_key = new_secret_key()
        setup_database(database_url, secret_key)
        filled = _fill(database_url, secret_key)
        pages: list[PageFigures] = []
        with Gunicorn(database_url, secret_key, workers=1, threads=1) as server:
            browser = Browser(HOST, server.port)
            login = browser.request("GET", "/login")
            token = csrf_token(login.body)
            assert token is not None, "no CSRF token on the log-in page"
            reply = browser.form(
                "/login", {"csrf_token": token, "email": filled["email"], "password": PASSWORD}
            )
            assert reply.status == 302, f"log-in failed: {reply.status}"
            paths = [
                f"/calls?section={name}"
                for name in ("today", "callback", "awaiting", "overdue", "upcoming", "done")
            ]
            paths += [
                f"/calls?section=done&page=3&municipality={filled['municipality']}",
                "/calls?section=upcoming&channel=phone&page=2",
            ]
            for path in paths:
                browser.request("GET", path)  # warm
                seconds, size = [], 0
                for _ in range(repeat):
                    reply = browser.request("GET", path)
                    assert reply.status == 200, f"{path}: {reply.status}"
                    seconds.append(reply.seconds)
                    size = len(reply.body)
                pages.append(
                    PageFigures(
                        path, statistics.median(seconds), percentile(seconds, 0.95) or 0, size
                    )
                )
            browser.close()
        return {**filled, "pages": pages, "repeat": repeat}


def markdown(plan: dict[str, Any], listing: dict[str, Any] | None) -> str:
    lines = [
        f"Schedule: {plan['municipalities']} municipalities, {plan['contacts']:,} contacts, "
        f"{plan['callers']} callers, {plan['working_days']} working days, at most "
        f"{plan['daily_cap']} contacts per caller a day: planned in "
        f"{plan['seconds']:.2f} s (median of 3).",
        "",
        "| constraint | violations |",
        "|---|---|",
        *(f"| {name} | {count} |" for name, count in plan["violations"].items()),
        "",
        f"Per caller and day: {plan['quietest_caller_day']}–{plan['busiest_caller_day']} "
        f"contacts, at most {plan['most_calls_caller_day']} calls; at most "
        f"{plan['most_contacts_municipality_day']} contacts to one municipality on one day "
        "(a web item's two checks count twice).",
    ]
    if listing is not None:
        lines += [
            "",
            f"Caller's list: {listing['contacts']:,} contacts stored, {listing['recorded']:,} "
            f"recorded; the caller has {listing['mine']:,}. gunicorn (1 worker, 1 thread), "
            f"SQLite; each page fetched {listing['repeat']} times after a warm-up.",
            "",
            "| page | median | p95 | size |",
            "|---|---|---|---|",
            *(
                f"| `{p.path}` | {p.median * 1000:.0f} ms | {p.p95 * 1000:.0f} ms | "
                f"{p.size / 1024:.1f} KB |"
                for p in listing["pages"]
            ),
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.perf.fieldwork_bench")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-list", action="store_true", help="only the schedule")
    args = parser.parse_args(argv)
    plan = plan_figures()
    listing = None if args.no_list else list_figures(args.repeat)
    print(markdown(plan, listing))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
