"""How requests use database connections (settings that keep the busy pages cheap)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from surveyapp.extensions import db


@pytest.mark.postgresql_only
def test_postgresql_keeps_statements_prepared_across_read_only_requests(
    app: Any, backend: str
) -> None:
    # psycopg forgets its prepared statements at every ROLLBACK; a request that only
    # read ends with COMMIT instead, so a query asked for again and again is prepared
    # once and PostgreSQL does not parse and plan it on every request.
    client = app.test_client()
    for _ in range(8):
        assert client.get("/healthz").status_code == 200
    db.session.rollback()
    with db.engine.connect() as connection:
        prepared = connection.scalar(
            sa.text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT 1%'")
        )
    assert prepared == 1


@pytest.mark.storage
def test_a_failed_read_still_rolls_back(app: Any, backend: str) -> None:
    # Only a transaction that ran nothing but SELECTs, and is not in error, is committed.
    with pytest.raises(sa.exc.DBAPIError):
        db.session.execute(sa.text("SELECT * FROM no_such_table"))
    db.session.rollback()
    assert db.session.scalar(sa.text("SELECT 2")) == 2
