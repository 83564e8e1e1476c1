"""`flask setup` builds a working database from nothing; demo data is seeded and labelled."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import (
    Answer,
    Municipality,
    MunicipalityContact,
    Response,
    SurveyRound,
    TestAssignment,
    User,
)
from tests.conftest import build_app


@pytest.fixture
def demo_app(app_config: dict[str, Any], backend: str) -> Any:
    app = build_app({**app_config, "SURVEYAPP_DEMO": True})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        yield app
        db.session.remove()
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.engine.dispose()


def _digest() -> str:
    rows = db.session.execute(
        sa.select(SurveyRound.slug, Answer.question_code, Answer.option, sa.func.count())
        .join(SurveyRound, SurveyRound.id == Answer.round_id)
        .group_by(SurveyRound.slug, Answer.question_code, Answer.option)
        .order_by(SurveyRound.slug, Answer.question_code, Answer.option)
    ).all()
    return hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()


@pytest.mark.storage
def test_setup_with_demo_from_an_empty_database(demo_app: Any) -> None:
    runner = demo_app.test_cli_runner()
    result = runner.invoke(args=["setup"])
    assert result.exit_code == 0, result.output
    assert "Demo data – fictitious figures" in result.output
    assert "admin@demo.surveyapp.no" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).where(Municipality.current)) == 357
    assert "Municipality history: 530 changes (530 new)" in result.output
    rounds = db.session.scalars(sa.select(SurveyRound)).all()
    # Tromsø 2019 and 21 municipalities 2022–2026; Indre Østfold's 5 predecessors in 2019
    # and Indre Østfold itself in 2025 and 2026.
    assert len(rounds) == 1 + 21 * 5 + 5 + 2
    assert all(r.is_demo and "Demodata" in r.title for r in rounds)
    # Tromsø's rounds are stored under the number it had each year.
    home = sorted(r.slug for r in rounds if r.slug.split("-")[1] in ("1902", "5401", "5501"))
    assert home == [
        "demo-1902-2019",
        "demo-5401-2022",
        "demo-5401-2023",
        "demo-5501-2024",
        "demo-5501-2025",
        "demo-5501-2026",
    ]
    from surveyapp.results.report import build_report

    tromso = build_report("5501", "citizen-satisfaction", 2026)
    assert [p.year for p in tromso.trend] == [2019, 2022, 2023, 2024, 2025, 2026]
    assert not tromso.wording_changed and tromso.trend_test is not None
    indre = build_report("3118", "citizen-satisfaction", 2026)
    assert indre.continuity is not None and indre.continuity.pool_years == (2019,)
    tested = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(TestAssignment.municipality_code)))
    )
    assert tested == 50
    # Contact details for every municipality and Oslo's 15 districts, clearly fictitious
    # (issue 15).
    contacts = db.session.scalars(sa.select(MunicipalityContact)).all()
    assert all(c.is_fictitious for c in contacts)
    assert len([c for c in contacts if not c.unit_code]) == 357
    districts = [c for c in contacts if c.unit_code]
    assert len(districts) == 15 and {c.municipality_code for c in districts} == {"0301"}
    assert all(c.phone and c.phone.startswith("+4700") for c in districts)
    tromso = next(c for c in contacts if c.municipality_code == "5501")
    assert (tromso.phone, tromso.email, tromso.website) == (
        "+4700550100",
        "postmottak@tromso.kommune.example",
        "https://tromso.kommune.example/",
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) > 20_000
    users = db.session.scalars(sa.select(User)).all()
    assert users and all(u.is_demo for u in users)
    first = _digest()

    # Running setup again upgrades nothing, loads nothing new and adds no second demo.
    again = runner.invoke(args=["setup"])
    assert again.exit_code == 0, again.output
    assert "already has survey rounds" in again.output
    assert _digest() == first


def test_demo_is_the_same_every_run(demo_app: Any) -> None:
    runner = demo_app.test_cli_runner()
    assert runner.invoke(args=["setup"]).exit_code == 0
    first = _digest()
    db.session.remove()
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE alembic_version"))
    assert runner.invoke(args=["setup"]).exit_code == 0
    assert _digest() == first
