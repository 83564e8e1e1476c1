"""The Alembic migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from surveyapp.extensions import db
from tests.conftest import build_app

pytestmark = pytest.mark.storage


@pytest.fixture
def empty_app(app_config: dict[str, Any], backend: str) -> Any:
    app = build_app(app_config)
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


def test_models_and_migrations_agree(empty_app: Any) -> None:
    upgrade()
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_as_batch": True}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_downgrade_to_empty_and_back(empty_app: Any) -> None:
    upgrade()
    downgrade(revision="base")
    tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    upgrade()
    assert "answer" in sa.inspect(db.engine).get_table_names()


def test_the_history_migration_keeps_a_populated_register(empty_app: Any) -> None:
    """0009 adds ``municipality.current`` to a register that rounds, users and answers
    already point at (SQLite with foreign keys on must not rebuild the table)."""
    upgrade(revision="0008")
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO municipality (code, name, county_code, county_name) "
                "VALUES ('5501', 'Tromsø', '55', 'Troms')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO user_account (email, name, password_hash, role, active, is_demo, "
                "raw_data, created_at) "
                "VALUES ('p@example.no', 'P', 'x', 'planner', :yes, :no, :no, :now)"
            ),
            {"yes": True, "no": False, "now": "2026-01-01 00:00:00"},
        )
        conn.execute(
            sa.text(
                "INSERT INTO user_municipality (user_id, municipality_code) "
                "SELECT id, '5501' FROM user_account"
            )
        )
    upgrade()
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT code, name, current FROM municipality")).all()
        links = conn.execute(sa.text("SELECT municipality_code FROM user_municipality")).all()
    assert [(code, name, bool(current)) for code, name, current in rows] == [
        ("5501", "Tromsø", True)
    ]
    assert [code for (code,) in links] == ["5501"]
    downgrade(revision="0008")
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT code FROM municipality")).all() == [("5501",)]
        columns = {c["name"] for c in sa.inspect(conn).get_columns("municipality")}
    assert "current" not in columns
