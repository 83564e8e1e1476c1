"""A fast, seeded generator of a national-scale benchmark database.

    python -m benchmarks.perf.generate --database-url sqlite:////tmp/bench-1m.db \\
        [--responses 1000000] [--years 2017-2026] [--seed 1] \\
        [--questionnaire citizen-satisfaction] [--append]

Builds the schema (migrations, register, shipped questionnaires), then creates one
closed round per municipality per year, marked ``is_demo`` and titled "Benchmark –
fiktive tall", and spreads the responses over them: municipalities differ in size
(a lognormal weight each), the overall-satisfaction share differs by municipality and
drifts by year, and every response answers the questionnaire as a respondent would
(conditions from the definition respected, "don't know" sometimes, free text rarely).

Speed comes from generating each round's answers as numpy columns, assigning the ids
here (no RETURNING), and writing with the driver's bulk path: ``executemany`` on
SQLite (synchronous=OFF while loading) and ``COPY`` on PostgreSQL.

The same seed gives the same rounds, the same per-round counts and the same answers.
A database that already has survey rounds is refused unless ``--append`` is given.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from scipy.special import expit, logit, ndtr

Array = npt.NDArray[Any]
Echo = Callable[[str], None]

ROUND_TITLE = "Benchmark – fiktive tall"
DONT_KNOW = "dont_know"
BATCH_ROWS = 50_000  # answer rows per bulk statement
SKIP_RATE = 0.04  # optional questions left unanswered
DONT_KNOW_RATE = 0.03
LATENT_CORRELATION = 0.75  # between a respondent's ratings
ROUND_DAYS = 60  # a round is open from 1 March for this many days
SIZE_SIGMA = 0.75  # spread of the lognormal municipality size weights
SUGGESTIONS = (
    "Fiktivt: Lengre åpningstid på servicetorget.",
    "Fiktivt: Raskere svar på e-post.",
    "Fiktivt: Enklere skjema på nettsiden.",
    "Fiktivt: Bedre informasjon om saksbehandlingstid.",
    "Fiktivt: Færre ledd før man når rett person.",
    "Fiktivt: Takk for god hjelp!",
    "Fiktivt: Mer hjelp på telefon, ikke bare chat.",
    "Fiktivt: Svar på nynorsk når jeg skriver nynorsk.",
)
COMMENTS = ("Fiktivt: Måtte ringe to ganger.", "Fiktivt: Fikk svar etter en uke.")


class GenerateRefused(RuntimeError):
    """The database already has survey rounds and --append was not given."""


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class QuestionPlan:
    """What the generator needs of one question, fixed for a run."""

    position: int
    code: str
    type: str
    required: bool
    values: Array  # object array of the stored option values; "dont_know" last if allowed
    numbers: Array  # float value_num per value (nan: none)
    dont_know: bool
    # Controlling question, and which of its value indexes show this one (one more
    # entry than values, False, so that -1, "not answered", never matches).
    condition: tuple[str, Array] | None
    satisfied_split: Array | None  # rating: each option's part of the satisfied share
    rest_split: Array | None  # rating: each option's part of the rest
    is_indicator: bool
    share_offset: float  # this question's share relative to the round's satisfaction
    weights: Array | None  # single: base weights; multiple: per-option probability
    drift: Array | None  # single: log-weight change per year
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def option_count(self) -> int:
        return len(self.values) - (1 if self.dont_know else 0)


@dataclass(frozen=True)
class Plan:
    questions: tuple[QuestionPlan, ...]
    municipalities: tuple[str, ...]
    years: tuple[int, ...]
    counts: Array  # responses per (municipality, year)
    satisfaction: Array  # share satisfied per (municipality, year)
    nynorsk: Array  # share of nynorsk responses per municipality
    profiles: dict[str, Array]  # single questions: option weights per municipality


def _question_rng(seed: int, code: str) -> np.random.Generator:
    return np.random.default_rng([seed, 2, zlib.crc32(code.encode())])


def build_questions(definition: Any, seed: int) -> tuple[QuestionPlan, ...]:
    """The per-question parameters, derived from the definition (schema API objects)."""
    indicator = definition.indicator
    plans: list[QuestionPlan] = []
    index: dict[str, QuestionPlan] = {}
    for position, q in enumerate(definition.questions):
        rng = _question_rng(seed, q.code)
        if q.type == "yesno":
            raw: list[Any] = ["yes", "no"]
        else:
            raw = [o.value for o in q.options]
        dont_know = bool(q.dont_know) and q.type in ("rating", "single", "yesno")
        values = [str(v) for v in raw] + ([DONT_KNOW] if dont_know else [])
        numbers = np.full(len(values), np.nan)
        if q.type == "rating":
            for i, v in enumerate(raw):
                try:
                    numbers[i] = float(v)
                except (TypeError, ValueError):
                    pass
        elif q.type == "yesno":
            numbers[:2] = (1.0, 0.0)
        condition = None
        if q.show_if is not None:
            controller = index[q.show_if.question]
            wanted = {str(v) for v in q.show_if.values}
            lookup = np.zeros(len(controller.values) + 1, dtype=bool)
            lookup[[i for i, v in enumerate(controller.values) if v in wanted]] = True
            condition = (controller.code, lookup)
        is_indicator = bool(indicator and indicator.question == q.code)
        satisfied_split = rest_split = None
        if q.type == "rating":
            satisfied_split, rest_split = _rating_split(
                [str(v) for v in raw],
                {str(v) for v in indicator.satisfied} if is_indicator else None,
            )
        weights = drift = None
        if q.type == "single":
            weights = rng.dirichlet(np.full(len(raw), 5.0))
            drift = rng.normal(0.0, 0.06, len(raw))
        elif q.type == "multiple":
            weights = rng.uniform(0.08, 0.45, len(raw))
        plan = QuestionPlan(
            position=position,
            code=q.code,
            type=q.type,
            required=bool(q.required),
            values=np.array(values, dtype=object),
            numbers=numbers,
            dont_know=dont_know,
            condition=condition,
            satisfied_split=satisfied_split,
            rest_split=rest_split,
            is_indicator=is_indicator,
            share_offset=0.0 if is_indicator else float(rng.uniform(-0.14, 0.06)),
            weights=weights,
            drift=drift,
            settings=dict(q.settings or {}),
        )
        plans.append(plan)
        index[q.code] = plan
    return tuple(plans)


def _rating_split(values: list[str], satisfied: set[str] | None) -> tuple[Array, Array]:
    """How a rating's satisfied share and the rest spread over its options.

    Satisfied are the indicator's values, or else the top two of five (40 %) of the
    scale; within them the lower value is a little more common, and among the rest
    the values nearer the top are more common.
    """
    k = len(values)
    if satisfied is None:
        top = max(1, round(k * 0.4))
        satisfied = set(values[k - top :])
    sat = [i for i, v in enumerate(values) if v in satisfied] or [k - 1]
    rest = [i for i in range(k) if i not in sat]
    satisfied_split = np.zeros(k)
    satisfied_split[sat] = np.linspace(1.2, 0.9, len(sat))
    satisfied_split /= satisfied_split.sum()
    rest_split = np.zeros(k)
    if rest:
        rest_split[rest] = np.arange(1, len(rest) + 1, dtype=float)
        rest_split /= rest_split.sum()
    return satisfied_split, rest_split


def round_counts(total: int, municipalities: int, years: int, seed: int) -> Array:
    """Responses per (municipality, year): lognormal sizes, exactly ``total`` in all."""
    rng = np.random.default_rng([seed, 0])
    size = rng.lognormal(0.0, SIZE_SIGMA, municipalities)
    yearly = rng.lognormal(0.0, 0.2, (municipalities, years)) * (1 + 0.03 * np.arange(years))
    weights = (size[:, None] * yearly).ravel()
    counts = rng.multinomial(total, weights / weights.sum())
    return np.asarray(counts, dtype=np.int64).reshape(municipalities, years)


def satisfaction_levels(municipalities: int, years: int, seed: int) -> Array:
    """Share satisfied per (municipality, year): a level each, drifting by year."""
    rng = np.random.default_rng([seed, 1])
    base = rng.normal(float(logit(0.74)), 0.5, municipalities)
    slope = rng.normal(0.02, 0.06, municipalities)
    common = np.cumsum(rng.normal(0.0, 0.06, years))
    steps = np.arange(years)
    level = expit(base[:, None] + slope[:, None] * steps[None, :] + common[None, :])
    return np.clip(level, 0.3, 0.97)


def build_plan(
    definition: Any, municipalities: Sequence[str], years: Sequence[int], total: int, seed: int
) -> Plan:
    questions = build_questions(definition, seed)
    m, y = len(municipalities), len(years)
    rng = np.random.default_rng([seed, 3])
    nynorsk = rng.beta(0.6, 4.0, m)
    profiles = {}
    for q in questions:
        if q.type == "single" and q.weights is not None:
            profiles[q.code] = rng.dirichlet(q.weights * 40 + 0.05, m)
    return Plan(
        questions=questions,
        municipalities=tuple(municipalities),
        years=tuple(years),
        counts=round_counts(total, m, y, seed),
        satisfaction=satisfaction_levels(m, y, seed),
        nynorsk=nynorsk,
        profiles=profiles,
    )


# --------------------------------------------------------------------------- one round


@dataclass
class RoundAnswers:
    """A round's answers as columns, in (respondent, question) order."""

    respondent: Array  # int64, 0..n-1
    question_code: Array  # object
    option: Array  # object (str or None)
    value_num: Array  # object (float or None)
    value_text: Array  # object (str or None)


def _nullable(values: Array) -> Array:
    """Floats as an object column with None for nan (NULL in the database)."""
    column = values.astype(object)
    column[np.isnan(values)] = None
    return column


def _pick_text(rng: np.random.Generator, pool: Sequence[str], n: int) -> Array:
    return np.array(pool, dtype=object)[rng.integers(0, len(pool), n)]


def generate_round(
    plan: Plan, m_index: int, y_index: int, n: int, rng: np.random.Generator
) -> RoundAnswers:
    """Answers of ``n`` respondents to one round, vectorised per question."""
    share = float(plan.satisfaction[m_index, y_index])
    latent = rng.standard_normal(n)
    noise_scale = float(np.sqrt(1 - LATENT_CORRELATION**2))
    chosen: dict[str, Array] = {}  # index into values (-1: none), or a choice matrix
    shown: dict[str, Array] = {}
    parts: list[tuple[Array, Array, Array, Array, Array]] = []
    everyone = np.ones(n, dtype=bool)
    for q in plan.questions:
        visible = everyone
        if q.condition is not None:
            ctrl, wanted = q.condition
            picked = chosen[ctrl]
            if picked.ndim == 2:  # a multiple-choice controller
                match = (picked & wanted[: picked.shape[1]]).any(axis=1)
            else:
                match = wanted[picked]
            visible = shown[ctrl] & match
        shown[q.code] = visible
        answered = visible if q.required else visible & (rng.random(n) >= SKIP_RATE)
        option: Array | None = None
        number: Array | None = None
        text: Array | None = None
        if q.type in ("rating", "single", "yesno"):
            if q.type == "rating":
                assert q.satisfied_split is not None and q.rest_split is not None
                p = min(max(share + q.share_offset, 0.05), 0.98)
                cumulative = np.cumsum(p * q.satisfied_split + (1 - p) * q.rest_split)
                z = LATENT_CORRELATION * latent + noise_scale * rng.standard_normal(n)
                idx = np.searchsorted(cumulative, ndtr(z), side="right")
                idx = np.minimum(idx, q.option_count - 1)
            elif q.type == "single":
                assert q.drift is not None
                weights = plan.profiles[q.code][m_index] * np.exp(q.drift * y_index)
                cumulative = np.cumsum(weights / weights.sum())
                idx = np.searchsorted(cumulative, rng.random(n), side="right")
                idx = np.minimum(idx, q.option_count - 1)
            else:
                p_yes = min(max(share + q.share_offset + 0.05, 0.05), 0.98)
                z = LATENT_CORRELATION * latent + noise_scale * rng.standard_normal(n)
                idx = np.where(ndtr(z) > 1 - p_yes, 0, 1)
            if q.dont_know:
                rate = DONT_KNOW_RATE * (0.7 if q.is_indicator else 1.0)
                idx = np.where(rng.random(n) < rate, len(q.values) - 1, idx)
            chosen[q.code] = np.where(answered, idx, -1)
            rows = np.flatnonzero(answered)
            option = q.values[idx[rows]]
            number = q.numbers[idx[rows]]
            if q.type == "yesno" and q.settings.get("comment"):
                text = np.full(len(rows), None, dtype=object)
                noted = rng.random(len(rows)) < 0.03
                text[noted] = _pick_text(rng, COMMENTS, int(noted.sum()))
        elif q.type == "multiple":
            assert q.weights is not None
            k = q.option_count
            matrix = rng.random((n, k)) < q.weights
            low_raw, high_raw = q.settings.get("min_choices"), q.settings.get("max_choices")
            low = 1 if low_raw is None else int(low_raw)
            high = k if high_raw is None else int(high_raw)
            keys = rng.random((n, k))
            # Respondents with too few choices take the options they rank highest;
            # those with too many keep their highest-ranked choices.
            rank = np.argsort(np.argsort(-keys, axis=1), axis=1)
            count = matrix.sum(axis=1)
            matrix |= (count < low)[:, None] & (rank < low)
            ranked_in = np.argsort(np.argsort(-(keys + matrix * 2.0), axis=1), axis=1)
            matrix &= ~((matrix.sum(axis=1) > high)[:, None] & (ranked_in >= high))
            matrix &= answered[:, None]
            chosen[q.code] = matrix
            rows, cols = np.nonzero(matrix)
            option = q.values[cols]
        elif q.type == "number":
            lo_raw, hi_raw = q.settings.get("min"), q.settings.get("max")
            lo = 0.0 if lo_raw is None else float(lo_raw)
            hi = lo + 100.0 if hi_raw is None else float(hi_raw)
            rows = np.flatnonzero(answered)
            number = lo + (hi - lo) * rng.beta(2.0, 5.0, len(rows))
            if q.settings.get("integer"):
                number = np.round(number)
        elif q.type == "duration":
            longest = float(q.settings.get("max_minutes") or 60) * 60
            rows = np.flatnonzero(answered)
            seconds = rng.lognormal(np.log(longest / 25), 0.9, len(rows))
            number = np.clip(np.round(seconds / 15) * 15, 0, longest)
        elif q.type in ("date", "datetime"):
            rows = np.flatnonzero(answered)
            year = plan.years[y_index]
            days = np.array(
                [(date(year, 3, 1) - timedelta(days=d)).isoformat() for d in range(30)],
                dtype=object,
            )
            text = days[rng.integers(0, 30, len(rows))]
            if q.type == "datetime":
                times = np.array([f"T{h:02d}:{mi:02d}" for h in range(8, 16) for mi in (0, 30)])
                text = text + times.astype(object)[rng.integers(0, len(times), len(rows))]
        elif q.type == "text":
            wants = rng.random(n) < np.where(latent < -0.5, 0.12, 0.04)
            rows = np.flatnonzero(answered & wants)
            text = _pick_text(rng, SUGGESTIONS, len(rows))
        else:  # pragma: no cover - the schema knows no other types
            continue
        none = np.full(len(rows), None, dtype=object)
        parts.append(
            (
                rows,
                np.full(len(rows), q.code, dtype=object),
                none if option is None else option,
                none if number is None else _nullable(number),
                none if text is None else text,
            )
        )
    respondent = np.concatenate([part[0] for part in parts])
    order = np.argsort(respondent, kind="stable")
    return RoundAnswers(
        respondent=respondent[order],
        question_code=np.concatenate([part[1] for part in parts])[order],
        option=np.concatenate([part[2] for part in parts])[order],
        value_num=np.concatenate([part[3] for part in parts])[order],
        value_text=np.concatenate([part[4] for part in parts])[order],
    )


def round_rng(seed: int, year: int, code: str) -> np.random.Generator:
    return np.random.default_rng([seed, 4, year, int(code)])


# --------------------------------------------------------------------------- writers

RESPONSE_COLUMNS = (
    "id",
    "round_id",
    "municipality_code",
    "language",
    "submitted",
    "submission_key",
)
ANSWER_COLUMNS = (
    "id",
    "response_id",
    "round_id",
    "municipality_code",
    "question_code",
    "option",
    "value_num",
    "value_text",
)


class Writer:
    """Bulk writes over one SQLAlchemy connection; subclasses pick the driver's fast path.

    The connection autobegins its transactions: :meth:`after_batch` decides whether a
    batch is committed on its own (SQLite) or the whole load is one transaction
    (PostgreSQL), and :meth:`finish` completes the load before the final commit.
    """

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def prepare(self) -> None:
        """Session settings for the load (before the first statement)."""

    def begin_load(self) -> None:
        """Called in the load's transaction before the first response is written."""

    def after_batch(self) -> None:
        """Called after each batch of responses and answers."""

    def finish(self) -> None:
        """Complete the load and refresh the planner's statistics (then commit)."""

    def restore(self) -> None:
        """Undo :meth:`prepare` (after the final commit)."""

    def submitted(self, moment: datetime) -> Any:
        return moment

    def rows(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def _raw(self) -> Any:
        raw = self.connection.connection.driver_connection
        assert raw is not None
        return raw


class SQLiteWriter(Writer):
    """``executemany`` on the driver with synchronous=OFF; one commit per batch."""

    def prepare(self) -> None:
        from surveyapp.surveys.models import Response

        raw = self._raw()
        # Outside a transaction (pysqlite's own handling is off), so these take effect.
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=OFF")
        raw.execute("PRAGMA foreign_keys=OFF")  # the generated ids are consistent
        raw.execute("PRAGMA cache_size=-262144")  # 256 MiB for the index pages
        dialect = self.connection.dialect
        column_type = Response.__table__.c.submitted.type
        self._datetime = column_type.dialect_impl(dialect).bind_processor(dialect)

    def after_batch(self) -> None:
        self.connection.commit()

    def finish(self) -> None:
        self.connection.exec_driver_sql("ANALYZE")

    def restore(self) -> None:
        raw = self._raw()
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.execute("PRAGMA synchronous=NORMAL")
        raw.execute("PRAGMA foreign_keys=ON")
        raw.execute("PRAGMA cache_size=-2000")

    def submitted(self, moment: datetime) -> Any:
        # What the UTCDateTime column stores on SQLite, formatted once per day.
        return self._datetime(moment) if self._datetime else moment

    def rows(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        marks = ", ".join("?" * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        for start in range(0, len(rows), BATCH_ROWS):
            self.connection.exec_driver_sql(sql, rows[start : start + BATCH_ROWS])


class PostgresWriter(Writer):
    """``COPY`` in one transaction; foreign keys checked once at the end, not per row.

    Per-row foreign-key triggers make COPY several times slower, so the load drops the
    foreign keys of ``response`` and ``answer`` and adds them back (validating all rows
    in one pass) before it commits. DDL is transactional in PostgreSQL: if the run
    fails, the rollback restores the constraints along with everything else.
    """

    TABLES = ("response", "answer")

    def begin_load(self) -> None:
        self._foreign_keys = self.connection.execute(
            sa.text(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
                " FROM pg_constraint WHERE contype = 'f'"
                " AND conrelid IN ('response'::regclass, 'answer'::regclass)"
                " ORDER BY 1, 2"
            )
        ).all()
        for table, name, _ in self._foreign_keys:
            self.connection.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')

    def finish(self) -> None:
        for table, name, definition in self._foreign_keys:
            self.connection.exec_driver_sql(
                f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
            )
        # Responses and answers have random ids in the app (no sequence); the generated
        # ones are consecutive, which only a benchmark's synthetic data may be.
        self.connection.exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence('survey_round', 'id'),"
            " (SELECT max(id) FROM survey_round))"
        )
        for table in ("survey_round", "round_municipality", "response", "answer"):
            self.connection.exec_driver_sql(f"ANALYZE {table}")

    def rows(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        with self._raw().cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)


# --------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class Summary:
    rounds: int
    responses: int
    answers: int
    seconds: float  # the whole run, schema included
    load_seconds: float

    @property
    def rows(self) -> int:
        return self.rounds + self.responses + self.answers

    def line(self) -> str:
        rate = self.rows / self.load_seconds if self.load_seconds > 0 else 0.0
        return (
            f"done: {self.rounds:,} rounds, {self.responses:,} responses, {self.answers:,} answers"
            f" in {self.seconds:.1f} s (load {self.load_seconds:.1f} s, {rate:,.0f} rows/s)"
        )


def parse_years(text: str) -> list[int]:
    """ "2017-2026", "2024" or "2019,2021,2023"."""
    years: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            first, last = (int(x) for x in part.split("-", 1))
            if last < first:
                raise ValueError(f"year range {part} runs backwards")
            years.update(range(first, last + 1))
        elif part:
            years.add(int(part))
    if not years:
        raise ValueError("no years given")
    return sorted(years)


def _existing_rounds(engine: sa.Engine) -> int:
    if not sa.inspect(engine).has_table("survey_round"):
        return 0
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM survey_round")).scalar_one())


def _next_id(conn: sa.Connection, table: str) -> int:
    return int(conn.execute(sa.text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one()) + 1


def _submission_keys(seed: int, first: int, count: int) -> list[str]:
    return [
        hashlib.sha256(f"benchmark:{seed}:{i}".encode()).hexdigest()
        for i in range(first, first + count)
    ]


@dataclass
class _Pending:
    responses: list[tuple[Any, ...]] = field(default_factory=list)
    answer_parts: list[tuple[int, str, Array, RoundAnswers]] = field(default_factory=list)
    answer_count: int = 0


def _answer_rows(pending: _Pending, first_id: int) -> Iterator[tuple[Any, ...]]:
    next_id = first_id
    for round_id, code, response_ids, a in pending.answer_parts:
        m = len(a.respondent)
        yield from zip(
            range(next_id, next_id + m),
            response_ids[a.respondent].tolist(),
            [round_id] * m,
            [code] * m,
            a.question_code,
            a.option,
            a.value_num,
            a.value_text,
            strict=True,
        )
        next_id += m


def generate(
    database_url: str,
    responses: int = 1_000_000,
    years: Sequence[int] = tuple(range(2017, 2027)),
    seed: int = 1,
    questionnaire: str = "citizen-satisfaction",
    append: bool = False,
    echo: Echo = print,
) -> Summary:
    """Build the schema and fill it; returns the counts and timings."""
    from flask_migrate import upgrade

    from surveyapp import create_app
    from surveyapp.config import database_url_from_env
    from surveyapp.extensions import db
    from surveyapp.municipalities.cli import load_changes, load_register
    from surveyapp.municipalities.models import Municipality
    from surveyapp.questionnaires.cli import load_definitions, shipped_files
    from surveyapp.questionnaires.store import definition_of, latest_version
    from surveyapp.surveys.models import SurveyRound, round_municipality

    started = time.perf_counter()
    url = database_url_from_env(database_url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SURVEYAPP_DEMO": True})
    with app.app_context():
        engine = db.engine
        try:
            existing = _existing_rounds(engine)
            if existing and not append:
                raise GenerateRefused(
                    f"the database already has {existing:,} survey rounds; refusing to add"
                    " benchmark data (use --append to add to it anyway)"
                )
            upgrade()
            added, _ = load_register()
            load_changes()  # the register's history: the dashboard maps earlier numbers
            loaded = load_definitions(shipped_files())
            db.session.commit()
            echo(f"schema ready: {added} municipalities added; " + "; ".join(loaded))
            stored = latest_version(questionnaire)
            if stored is None:
                raise GenerateRefused(f"questionnaire '{questionnaire}' is not loaded")
            definition = definition_of(stored)
            if not definition.questions:
                raise GenerateRefused(f"questionnaire '{questionnaire}' has no questions")
            codes = list(
                db.session.scalars(
                    sa.select(Municipality.code).where(Municipality.current).order_by("code")
                )
            )
            questionnaire_id = stored.id
            target = definition.indicator.target if definition.indicator else 0.8
            db.session.remove()
            plan = build_plan(definition, codes, years, responses, seed)
            summary = _load(
                engine,
                plan,
                seed,
                questionnaire_id,
                target,
                SurveyRound.__table__,
                round_municipality,
                echo,
            )
        finally:
            db.session.remove()
            engine.dispose()
    total = time.perf_counter() - started
    result = Summary(summary[0], summary[1], summary[2], total, summary[3])
    echo(result.line())
    return result


def _rounds(
    plan: Plan, first_id: int, questionnaire_id: int, target: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Array]:
    """Round rows (year by year, municipalities in code order) and their ids."""
    now = datetime.now(UTC)
    round_rows: list[dict[str, Any]] = []
    link_rows: list[dict[str, Any]] = []
    round_ids = np.zeros(plan.counts.shape, dtype=np.int64)
    for y_index, year in enumerate(plan.years):
        opens = datetime(year, 3, 1, tzinfo=UTC)
        for m_index, code in enumerate(plan.municipalities):
            rid = first_id + y_index * len(plan.municipalities) + m_index
            round_ids[m_index, y_index] = rid
            round_rows.append(
                {
                    "id": rid,
                    "slug": f"bench-{rid}-{code}-{year}",
                    "title": ROUND_TITLE,
                    "questionnaire_id": questionnaire_id,
                    "year": year,
                    "period": str(year),
                    "opens_at": opens,
                    "closes_at": opens + timedelta(days=ROUND_DAYS),
                    "access": "open",
                    "status": "closed",
                    "target": target,
                    "language": "nb",
                    "time_precision": "date",
                    "is_demo": True,
                    "created_at": now,
                }
            )
            link_rows.append({"round_id": rid, "municipality_code": code})
    return round_rows, link_rows, round_ids


def _load(
    engine: sa.Engine,
    plan: Plan,
    seed: int,
    questionnaire_id: int,
    target: float,
    round_table: sa.Table,
    link_table: sa.Table,
    echo: Echo,
) -> tuple[int, int, int, float]:
    started = time.perf_counter()
    rounds = responses = answers = 0
    with engine.connect() as conn:
        writer: Writer = (
            SQLiteWriter(conn) if engine.dialect.name == "sqlite" else PostgresWriter(conn)
        )
        writer.prepare()
        round_id = _next_id(conn, "survey_round")
        response_id = _next_id(conn, "response")
        answer_id = _next_id(conn, "answer")
        round_rows, link_rows, round_ids = _rounds(plan, round_id, questionnaire_id, target)
        conn.execute(round_table.insert(), round_rows)
        conn.execute(link_table.insert(), link_rows)
        rounds = len(round_rows)
        writer.begin_load()
        echo(f"{rounds:,} rounds created; generating {int(plan.counts.sum()):,} responses")

        pending = _Pending()

        def flush() -> None:
            nonlocal answer_id
            if not pending.responses:
                return
            writer.rows("response", RESPONSE_COLUMNS, pending.responses)
            writer.rows("answer", ANSWER_COLUMNS, list(_answer_rows(pending, answer_id)))
            writer.after_batch()
            answer_id += pending.answer_count
            pending.responses.clear()
            pending.answer_parts.clear()
            pending.answer_count = 0

        languages = np.array(["nb", "nn", "en"], dtype=object)
        for y_index, year in enumerate(plan.years):
            opens = datetime(year, 3, 1, tzinfo=UTC)
            days = [writer.submitted(opens + timedelta(days=d)) for d in range(ROUND_DAYS)]
            for m_index, code in enumerate(plan.municipalities):
                n = int(plan.counts[m_index, y_index])
                if n == 0:
                    continue
                rid = int(round_ids[m_index, y_index])
                rng = round_rng(seed, year, code)
                round_answers = generate_round(plan, m_index, y_index, n, rng)
                nn_share = float(plan.nynorsk[m_index])
                lang = languages[rng.choice(3, size=n, p=[1 - nn_share - 0.04, nn_share, 0.04])]
                # Most answers come in the first weeks after the invitations.
                day = np.minimum(rng.exponential(12.0, n).astype(np.int64), ROUND_DAYS - 1)
                ids = np.arange(response_id, response_id + n, dtype=np.int64)
                pending.responses.extend(
                    zip(
                        ids.tolist(),
                        [rid] * n,
                        [code] * n,
                        lang,
                        [days[d] for d in day.tolist()],
                        _submission_keys(seed, response_id, n),
                        strict=True,
                    )
                )
                pending.answer_parts.append((rid, code, ids, round_answers))
                pending.answer_count += len(round_answers.respondent)
                response_id += n
                responses += n
                answers += len(round_answers.respondent)
                if pending.answer_count >= 4 * BATCH_ROWS:
                    flush()
            flush()
            elapsed = time.perf_counter() - started
            echo(
                f"  {year}: {responses:,} responses, {answers:,} answers"
                f" – {elapsed:.1f} s, {(responses + answers) / elapsed:,.0f} rows/s"
            )
        flush()
        echo("checking and analysing …")
        writer.finish()
        conn.commit()
        writer.restore()
    return rounds, responses, answers, time.perf_counter() - started


# --------------------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.perf.generate",
        description="Fill a database with seeded, fictitious survey data for benchmarks.",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="SQLAlchemy URL, e.g. sqlite:////tmp/bench-1m.db (default: $DATABASE_URL)",
    )
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--years", default="2017-2026", help='e.g. "2017-2026" or "2024,2025"')
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--questionnaire", default="citizen-satisfaction")
    parser.add_argument(
        "--append", action="store_true", help="add to a database that already has rounds"
    )
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("--database-url is required (or set DATABASE_URL)")
    if args.responses < 0:
        parser.error("--responses must be 0 or more")
    try:
        years = parse_years(args.years)
    except ValueError as err:
        parser.error(f"--years: {err}")

    def echo(line: str) -> None:
        print(line, flush=True)

    try:
        generate(
            args.database_url,
            responses=args.responses,
            years=years,
            seed=args.seed,
            questionnaire=args.questionnaire,
            append=args.append,
            echo=echo,
        )
    except GenerateRefused as err:
        print(f"refused: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
