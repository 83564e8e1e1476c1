"""The benchmark generator: exact counts, conditions respected, seeded, refuses real data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from benchmarks.perf.generate import (
    ROUND_TITLE,
    GenerateRefused,
    generate,
    main,
    parse_years,
    round_counts,
)
from surveyapp.extensions import db
from surveyapp.questionnaires.definition import load_file
from tests.conftest import SHIPPED, build_app

YEARS = (2025, 2026)
MUNICIPALITIES = 357


def _quiet(_line: str) -> None:
    pass


def _drop_everything() -> None:
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture
def empty_database(app_config: dict[str, Any], backend: str) -> Iterator[str]:
    """The URL of an empty database (the shared PostgreSQL one is emptied before and after)."""
    app = build_app(app_config)
    with app.app_context():
        _drop_everything()
        db.session.remove()
    yield str(app_config["SQLALCHEMY_DATABASE_URI"])
    with app.app_context():
        db.session.remove()
        _drop_everything()
        db.engine.dispose()


def _scalar(url: str, sql: str, **params: Any) -> Any:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar_one()
    finally:
        engine.dispose()


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def _count(url: str, table: str) -> int:
    return int(_scalar(url, f"SELECT count(*) FROM {table}"))


@pytest.mark.storage
def test_generates_exact_counts_respecting_conditions(
    empty_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = empty_database
    lines: list[str] = []
    summary = generate(url, responses=2_000, years=YEARS, seed=5, echo=lines.append)

    rounds = MUNICIPALITIES * len(YEARS)
    assert (summary.rounds, summary.responses) == (rounds, 2_000)
    assert _count(url, "survey_round") == rounds
    assert _count(url, "round_municipality") == rounds
    assert _count(url, "response") == 2_000
    assert _count(url, "answer") == summary.answers >= 2_000 * 5
    assert lines[-1].startswith("done: 714 rounds, 2,000 responses") and "rows/s" in lines[-1]
    assert _rows(
        url,
        "SELECT count(DISTINCT year), count(DISTINCT title), min(status), max(status),"
        " min(CASE WHEN is_demo THEN 1 ELSE 0 END) FROM survey_round",
    ) == [(2, 1, "closed", "closed", 1)]
    assert _scalar(url, "SELECT min(title) FROM survey_round") == ROUND_TITLE
    # Answers carry their response's round and municipality.
    assert (
        _scalar(
            url,
            "SELECT count(*) FROM answer a JOIN response r ON r.id = a.response_id"
            " WHERE a.round_id <> r.round_id OR a.municipality_code <> r.municipality_code",
        )
        == 0
    )
    # Required questions are answered by everyone, once.
    definition = load_file(SHIPPED / "citizen-satisfaction.yaml")
    for question in definition.questions:
        if question.required:
            count = _scalar(
                url, "SELECT count(*) FROM answer WHERE question_code = :q", q=question.code
            )
            assert count == 2_000, question.code
    # A question hidden by its show_if condition is never answered, and shown ones are.
    conditional = [q for q in definition.questions if q.show_if is not None]
    assert {q.code for q in conditional} >= {"wait_time", "told_when"}
    for question in conditional:
        assert question.show_if is not None
        wanted = ", ".join(f"'{v}'" for v in question.show_if.values)
        hidden = _scalar(
            url,
            "SELECT count(*) FROM answer a WHERE a.question_code = :q AND NOT EXISTS ("
            " SELECT 1 FROM answer c WHERE c.response_id = a.response_id"
            f" AND c.question_code = :c AND c.option IN ({wanted}))",
            q=question.code,
            c=question.show_if.question,
        )
        assert hidden == 0, question.code
        shown = _scalar(
            url, "SELECT count(*) FROM answer WHERE question_code = :q", q=question.code
        )
        assert shown > 0, question.code
    # Some "don't know", a little free text, and value_num only on numeric answers.
    assert _scalar(url, "SELECT count(*) FROM answer WHERE option = 'dont_know'") > 0
    texts = _scalar(url, "SELECT count(*) FROM answer WHERE value_text IS NOT NULL")
    assert 0 < texts < 2_000 * 0.2
    assert (
        _scalar(
            url,
            "SELECT count(*) FROM answer WHERE option = 'dont_know' AND value_num IS NOT NULL",
        )
        == 0
    )

    # A database with rounds is refused, on the command line too, and left as it was.
    with pytest.raises(GenerateRefused, match="already has 714 survey rounds"):
        generate(url, responses=10, years=(2026,), echo=_quiet)
    assert main(["--database-url", url, "--responses", "10", "--years", "2026"]) == 2
    assert "refused" in capsys.readouterr().err
    assert _count(url, "survey_round") == rounds and _count(url, "response") == 2_000

    # --append adds to it, with new ids after the existing ones.
    more = generate(url, responses=100, years=(2026,), seed=6, append=True, echo=_quiet)
    assert (more.rounds, more.responses) == (MUNICIPALITIES, 100)
    assert _count(url, "survey_round") == rounds + MUNICIPALITIES
    assert _count(url, "response") == 2_100
    assert _scalar(url, "SELECT max(id) FROM response") == 2_100
    if url.startswith("postgresql"):
        for table in ("survey_round",):  # responses and answers have random ids, no sequence
            sequence = _scalar(url, f"SELECT pg_get_serial_sequence('{table}', 'id')")
            last = _scalar(url, f"SELECT last_value FROM {sequence}")
            assert last == _scalar(url, f"SELECT max(id) FROM {table}"), table
        foreign_keys = _scalar(
            url,
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"
            " AND conrelid IN ('response'::regclass, 'answer'::regclass)",
        )
        assert foreign_keys == 4


def _per_round(url: str) -> list[tuple[Any, ...]]:
    return _rows(
        url,
        "SELECT p.municipality_code, r.year, count(*) FROM response p"
        " JOIN survey_round r ON r.id = p.round_id"
        " GROUP BY p.municipality_code, r.year ORDER BY 1, 2",
    )


def _distribution(url: str) -> list[tuple[Any, ...]]:
    return _rows(
        url,
        "SELECT a.municipality_code, r.year, a.question_code, a.option, count(*),"
        " sum(a.value_num) FROM answer a JOIN survey_round r ON r.id = a.round_id"
        " GROUP BY a.municipality_code, r.year, a.question_code, a.option ORDER BY 1, 2, 3, 4",
    )


def test_same_seed_gives_the_same_rounds_and_answers(tmp_path: Path) -> None:
    first, second = (f"sqlite:///{tmp_path / name}" for name in ("a.db", "b.db"))
    generate(first, responses=600, years=(2026,), seed=3, echo=_quiet)
    generate(second, responses=600, years=(2026,), seed=3, echo=_quiet)
    counts = _per_round(first)
    assert sum(row[2] for row in counts) == 600
    assert counts == _per_round(second)
    assert _distribution(first) == _distribution(second)


def test_round_sizes_differ_like_municipalities() -> None:
    counts = round_counts(1_000_000, MUNICIPALITIES, 10, seed=1)
    assert counts.shape == (MUNICIPALITIES, 10) and counts.sum() == 1_000_000
    assert 1_000 < counts.max() < 10_000  # the largest rounds: a few thousand
    assert 5 <= counts.min() < 100  # the smallest: a few dozen
    assert np.array_equal(counts, round_counts(1_000_000, MUNICIPALITIES, 10, seed=1))
    other = round_counts(1_000_000, MUNICIPALITIES, 10, seed=2)
    assert other.sum() == 1_000_000 and not np.array_equal(counts, other)


def test_years_on_the_command_line() -> None:
    assert parse_years("2017-2026") == list(range(2017, 2027))
    assert parse_years("2024") == [2024]
    assert parse_years("2019, 2021,2019") == [2019, 2021]
    with pytest.raises(ValueError):
        parse_years("2026-2017")
