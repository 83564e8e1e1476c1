"""Connection settings per database engine, and how requests take SQLite's write lock."""

from __future__ import annotations

import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

#: The citizen pages: they read without a transaction and take the write lock only
#: for the few statements that write, so that SQLite's single write lock is held for
#: a millisecond, not for the whole request. Their writes are compare-and-set on what
#: they read (``surveyapp.surveys.submission``), so reading outside the write
#: transaction loses nothing.
LATE_WRITE_ENDPOINTS = frozenset(
    {"surveys.start", "surveys.invitation", "surveys.where", "surveys.page"}
)

_WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class BeginMode(enum.Enum):
    READ = "BEGIN"  # a deferred transaction: a consistent snapshot for reading
    WRITE = "BEGIN IMMEDIATE"  # take the write lock now (waits for other writers)
    LATE = ""  # no transaction until the first write (or begin_write)


def _begin_mode() -> BeginMode:
    from flask import has_request_context, request

    if not has_request_context():
        return BeginMode.READ
    if request.endpoint in LATE_WRITE_ENDPOINTS:
        return BeginMode.LATE
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return BeginMode.READ
    return BeginMode.WRITE


def configure_engine_events(engine: Engine) -> None:
    """SQLite: WAL journal, a busy timeout, foreign keys on, NORMAL sync (safe with WAL).

    pysqlite's own transaction handling is switched off so that SQLAlchemy emits BEGIN
    itself. Requests that change data begin with BEGIN IMMEDIATE and so wait (busy
    timeout) for a concurrent writer instead of failing with "database is locked" when
    their read snapshot turns out stale. Reads keep plain deferred transactions. The
    citizen pages (``LATE_WRITE_ENDPOINTS``) read in autocommit mode and begin with
    BEGIN IMMEDIATE right before their first write (INSERT, UPDATE, DELETE), so no
    write ever runs outside a transaction and the write lock is held only while writing.
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
        mode = _begin_mode()
        if mode is not BeginMode.LATE:
            connection.exec_driver_sql(mode.value)

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _sqlite_write_begins(
        connection: Any, cursor: Any, statement: str, *_args: Any
    ) -> None:
        dbapi_connection = connection.connection.dbapi_connection
        if dbapi_connection.in_transaction:
            return
        if statement.lstrip()[:7].upper().startswith(_WRITE_STATEMENTS):
            dbapi_connection.execute(BeginMode.WRITE.value)


def is_lock_conflict(error: BaseException) -> bool:
    """SQLite's "database is locked" (a writer raced us); PostgreSQL serialization failures."""
    text = str(getattr(error, "orig", error)).lower()
    return "database is locked" in text or "could not serialize" in text
