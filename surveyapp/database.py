"""Connection settings per database engine."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

#: GET endpoints that write (a citizen's first visit starts a draft).
WRITING_GET_ENDPOINTS = frozenset({"surveys.start", "surveys.invitation"})


def _writes_expected() -> bool:
    """Requests that change data take SQLite's write lock when they begin."""
    from flask import has_request_context, request

    if not has_request_context():
        return False
    return (
        request.method not in ("GET", "HEAD", "OPTIONS")
        or request.endpoint in WRITING_GET_ENDPOINTS
    )


def configure_engine_events(engine: Engine) -> None:
    """SQLite: WAL journal, a busy timeout, foreign keys on, NORMAL sync (safe with WAL).

    pysqlite's own transaction handling is switched off so that SQLAlchemy emits BEGIN
    itself: write requests begin with BEGIN IMMEDIATE and so wait (busy timeout) for a
    concurrent writer instead of failing with "database is locked" when their read
    snapshot turns out stale. Reads keep plain deferred transactions.
    """
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _writes_expected() else "BEGIN")


def is_lock_conflict(error: BaseException) -> bool:
    """SQLite's "database is locked" (a writer raced us); PostgreSQL serialization failures."""
    text = str(getattr(error, "orig", error)).lower()
    return "database is locked" in text or "could not serialize" in text
