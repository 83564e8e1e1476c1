"""Speed and memory of the municipality workbook export, against plain openpyxl.

    python -m benchmarks.perf.export_bench [--database /tmp/surveyapp-export-bench.db]
        [--responses 100000] [--repeat 3] [--skip-baseline]

Builds (or reuses) a SQLite database with ONE closed round of ``--responses``
fictitious responses to a 15-question survey in one municipality, made with the
seeded generator in ``benchmarks/perf/generate.py``. Then, each in a fresh
subprocess so that peak memory is the export's own:

* **export** – the real ``write_municipality_workbook`` (report, summary sheets,
  charts and the streamed "Svar" sheets, as a holder of the raw-data right gets it with
  free text), to a file;
* **baseline** – the same answer rows (the same streaming query) appended with
  openpyxl's write-only workbook, nothing else;
* **csv-excel-no** and **csv-standard** – the answers CSV in each dialect (what the
  download streams), to a file.

Each is run ``--repeat`` times and the median run by wall-clock time is reported
(with its CPU time, which a busy shared machine disturbs less). Memory is the growth
of the peak resident set (VmHWM, else ``ru_maxrss``) during the export, and separately the
``tracemalloc`` peak of Python allocations (one more run: tracing slows Python down).
The baseline shares the export's rows, so the ratio isolates the sheet writing; the
export also builds the report and the summary sheets. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import yaml

from surveyapp.config import SHIPPED_QUESTIONNAIRES

PROJECT_ROOT = Path(__file__).resolve().parents[2]
QUESTIONNAIRE = "export-bench"
MUNICIPALITY = "5501"
YEAR = 2026
SEED = 1
GOAL_SECONDS = 15.0
GOAL_MB = 300.0
GOAL_RATIO = 1.3


# --------------------------------------------------------------------------- data


def bench_definition() -> dict[str, Any]:
    """The shipped citizen survey plus four questions: 15 in all."""
    data = yaml.safe_load(
        (SHIPPED_QUESTIONNAIRES / "citizen-satisfaction.yaml").read_text(encoding="utf-8")
    )
    data["code"] = QUESTIONNAIRE
    data["title"] = {lang: f"Benchmark ({lang}) – fiktive tall" for lang in ("nb", "nn", "en")}
    extra: list[dict[str, Any]] = [
        {
            "code": f"extra_rating_{i}",
            "type": "rating",
            "scale": "satisfaction5",
            "dont_know": True,
            "text": {lang: f"Ekstra spørsmål {i} ({lang})" for lang in ("nb", "nn", "en")},
        }
        for i in (1, 2, 3)
    ]
    extra.append(
        {
            "code": "extra_multiple",
            "type": "multiple",
            "text": {lang: f"Flere valg ({lang})" for lang in ("nb", "nn", "en")},
            "options": [
                {"value": value, "label": {lang: value for lang in ("nb", "nn", "en")}}
                for value in ("alpha", "beta", "gamma", "delta")
            ],
        }
    )
    data["sections"][1]["questions"].extend(extra)
    return data


def build_database(url: str, responses: int) -> None:
    """Schema, register, the 15-question survey and one round of ``responses`` answers."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from benchmarks.perf.generate import _load, build_plan
    from surveyapp import create_app
    from surveyapp.extensions import db
    from surveyapp.municipalities.cli import load_register
    from surveyapp.questionnaires.cli import load_definitions
    from surveyapp.questionnaires.store import definition_of, latest_version
    from surveyapp.surveys.models import SurveyRound, round_municipality

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SURVEYAPP_DEMO": True})
    with app.app_context(), tempfile.TemporaryDirectory() as folder:
        upgrade()
        load_register()
        path = Path(folder) / f"{QUESTIONNAIRE}.yaml"
        path.write_text(yaml.safe_dump(bench_definition(), allow_unicode=True), encoding="utf-8")
        load_definitions([path])
        db.session.commit()
        stored = latest_version(QUESTIONNAIRE)
        assert stored is not None
        definition = definition_of(stored)
        print(f"{len(definition.questions)} questions", flush=True)
        plan = build_plan(definition, [MUNICIPALITY], [YEAR], responses, SEED)
        questionnaire_id = stored.id
        db.session.remove()
        _load(
            db.engine,
            plan,
            SEED,
            questionnaire_id,
            0.8,
            SurveyRound.__table__,
            round_municipality,
            lambda line: print(line, flush=True),
        )
        with db.engine.connect() as conn:
            count = conn.execute(sa.text("SELECT count(*) FROM response")).scalar_one()
        print(f"{count:,} responses stored", flush=True)
        db.engine.dispose()


def _schema_head() -> str:
    """The newest migration of this checkout."""
    from alembic.script import ScriptDirectory

    import surveyapp

    folder = Path(surveyapp.__file__).resolve().parent / "migrations"
    heads = ScriptDirectory(str(folder)).get_heads()
    return str(heads[0])


def database_ready(path: Path, responses: int) -> bool:
    """Whether the database holds the responses at this checkout's schema (a file left
    by an older or another checkout is built anew: its tables would not match)."""
    if not path.exists():
        return False
    import sqlite3

    with sqlite3.connect(path) as conn:
        try:
            (count,) = conn.execute("SELECT count(*) FROM response").fetchone()
            (revision,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except (sqlite3.Error, TypeError):
            return False
    return int(count) == responses and revision == _schema_head()


# --------------------------------------------------------------------------- one measurement


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_mb() -> float:
    """Peak resident set of this process, MB. VmHWM where Linux has it: ru_maxrss keeps
    the peak of the process image before exec, so a child of a parent that had just
    built the database showed that parent's peak and no growth."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def measure(mode: str, url: str, output: Path, trace: bool) -> dict[str, Any]:
    """Run one export in this process; called in a fresh subprocess."""
    from surveyapp import create_app
    from surveyapp.exports import raw, workbook
    from surveyapp.extensions import db
    from surveyapp.results import queries
    from surveyapp.results.report import build_report

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SURVEYAPP_DEMO": True})
    with app.app_context(), app.test_request_context("/?lang=nb"):
        db.session.execute(db.text("SELECT 1"))  # connect before measuring
        if trace:
            tracemalloc.start()
        before = _rss_mb()
        cpu = _cpu_seconds()
        started = time.perf_counter()
        rows = 0
        if mode.startswith("csv-"):
            from surveyapp.exports import csv_files

            report = build_report(MUNICIPALITY, QUESTIONNAIRE, YEAR)
            answers = raw.selection_for_report(report, workbook.rounds_of(report), free_text=True)
            source = raw.RawAnswers.for_selection(answers, MUNICIPALITY, report.definition)
            dialect = csv_files.DIALECTS[mode.removeprefix("csv-")]
            counted = _counting(source.rows("nb"))
            with output.open("w", encoding="utf-8", newline="") as target:
                for piece in raw.csv_stream(source.header("nb"), counted, dialect):
                    target.write(piece)
            rows = counted.rows
        elif mode == "export":
            report = build_report(MUNICIPALITY, QUESTIONNAIRE, YEAR)
            answers = raw.selection_for_report(report, workbook.rounds_of(report), free_text=True)
            with output.open("wb") as target:
                rows = workbook.write_municipality_workbook(
                    report, target, language="nb", answers=answers
                ).responses
        else:
            from openpyxl import Workbook

            rounds = queries.round_ids(QUESTIONNAIRE, MUNICIPALITY, YEAR)
            source = raw.RawAnswers.for_rounds(rounds, MUNICIPALITY)
            book = Workbook(write_only=True)
            sheet = book.create_sheet("Svar")
            sheet.append(source.header("nb"))
            for row in source.rows("nb"):
                sheet.append(row)
                rows += 1
            book.save(output)
        seconds = time.perf_counter() - started
        cpu_seconds = _cpu_seconds() - cpu
        peak_traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
        if trace:
            tracemalloc.stop()
        return {
            "mode": mode,
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "rss_growth_mb": _rss_mb() - before,
            "rss_peak_mb": _rss_mb(),
            "traced_peak_mb": peak_traced,
            "rows": rows,
            "bytes": output.stat().st_size,
        }


class _counting:
    """Rows passed through, counted."""

    def __init__(self, rows: Any) -> None:
        self._rows = iter(rows)
        self.rows = 0

    def __iter__(self) -> _counting:
        return self

    def __next__(self) -> Any:
        row = next(self._rows)
        self.rows += 1
        return row


def run_repeated(mode: str, url: str, folder: Path, repeat: int) -> dict[str, Any]:
    """The median run by wall-clock time (shared machines are noisy), with every time kept."""
    runs = sorted(
        (run_child(mode, url, folder, trace=False) for _ in range(repeat)),
        key=lambda run: run["seconds"],
    )
    median = dict(runs[len(runs) // 2])
    median["all_seconds"] = [round(run["seconds"], 1) for run in runs]
    median["rss_growth_mb"] = max(run["rss_growth_mb"] for run in runs)
    return median


def run_child(mode: str, url: str, folder: Path, trace: bool) -> dict[str, Any]:
    suffix = ".csv" if mode.startswith("csv-") else ".xlsx"
    output = folder / f"{mode}{'-traced' if trace else ''}{suffix}"
    command = [
        sys.executable,
        "-m",
        "benchmarks.perf.export_bench",
        "--child",
        mode,
        "--url",
        url,
        "--output",
        str(output),
    ]
    if trace:
        command.append("--trace")
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, check=True, capture_output=True, text=True, timeout=3600
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --------------------------------------------------------------------------- report


def table(
    export: dict[str, Any],
    traced: dict[str, Any],
    baseline: dict[str, Any] | None,
    csvs: dict[str, dict[str, Any]] | None = None,
) -> str:
    def cell(value: float | None, unit: str) -> str:
        return "–" if value is None else f"{value:,.1f} {unit}"

    lines = [
        "| measurement | export (surveyapp) | baseline (openpyxl write-only) | ratio | goal |",
        "|---|---|---|---|---|",
    ]
    for key, label in (
        ("seconds", "wall-clock time (median run)"),
        ("cpu_seconds", "CPU time (user + sys)"),
    ):
        base = baseline[key] if baseline else None
        ratio = f"{export[key] / base:.2f}×" if base else "–"
        lines.append(
            f"| {label} | {cell(export[key], 's')} | {cell(base, 's')} | {ratio} "
            f"| < {GOAL_SECONDS:.0f} s, < {GOAL_RATIO}× |"
        )
    base_rss = baseline["rss_growth_mb"] if baseline else None
    lines.append(
        f"| peak RSS growth (VmHWM, worst run) | {cell(export['rss_growth_mb'], 'MB')} "
        f"| {cell(base_rss, 'MB')} | – | < {GOAL_MB:.0f} MB |"
    )
    lines.append(
        f"| peak RSS of the process | {cell(export['rss_peak_mb'], 'MB')} "
        f"| {cell(baseline['rss_peak_mb'] if baseline else None, 'MB')} | – | – |"
    )
    traced_mb = cell(traced["traced_peak_mb"], "MB")
    lines.append(f"| tracemalloc peak | {traced_mb} | – | – | < {GOAL_MB:.0f} MB |")
    lines.append(
        f'| rows in "Svar" | {export["rows"]:,} | {baseline["rows"] if baseline else 0:,} | – | – |'
    )
    lines.append(
        f"| file size | {cell(export['bytes'] / 2**20, 'MB')} "
        f"| {cell(baseline['bytes'] / 2**20 if baseline else None, 'MB')} | – | – |"
    )
    for name, run in (csvs or {}).items():
        lines.append(
            f"| answers CSV ({name}): time (CPU), RSS growth, size | "
            f"{cell(run['seconds'], 's')} ({cell(run['cpu_seconds'], 's')}), "
            f"{cell(run['rss_growth_mb'], 'MB')}, {cell(run['bytes'] / 2**20, 'MB')}, "
            f"{run['rows']:,} rows | – | – | measured |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.perf.export_bench")
    parser.add_argument("--database", default="/tmp/surveyapp-export-bench.db")
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the median counts")
    parser.add_argument(
        "--child",
        choices=("export", "baseline", "csv-excel-no", "csv-standard"),
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--skip-csv", action="store_true", help="do not time the CSV files")
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        result = measure(args.child, args.url, Path(args.output), args.trace)
        print(json.dumps(result))
        return 0

    database = Path(args.database)
    url = f"sqlite:///{database}"
    if not database_ready(database, args.responses):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        print(f"building {database} with {args.responses:,} responses …", flush=True)
        build_database(url, args.responses)
    else:
        print(f"reusing {database}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        export = run_repeated("export", url, out, args.repeat)
        print(f"export: {export['all_seconds']} s", flush=True)
        traced = run_child("export", url, out, trace=True)
        print(f"export (traced): peak {traced['traced_peak_mb']:.1f} MB", flush=True)
        baseline = None
        if not args.skip_baseline:
            baseline = run_repeated("baseline", url, out, args.repeat)
            print(f"baseline: {baseline['all_seconds']} s", flush=True)
        csvs: dict[str, dict[str, Any]] = {}
        if not args.skip_csv:
            for name in ("excel-no", "standard"):
                csvs[name] = run_repeated(f"csv-{name}", url, out, args.repeat)
                print(f"csv ({name}): {csvs[name]['all_seconds']} s", flush=True)
    print()
    load = os.getloadavg()[0]
    print(
        f"{args.responses:,} responses × 15 questions, one round, SQLite, Python "
        f"{sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load:.1f}"
    )
    print()
    print(table(export, traced, baseline, csvs))
    print()
    print(f"all runs (s): export {export['all_seconds']}", end="")
    print(f", baseline {baseline['all_seconds']}" if baseline else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
