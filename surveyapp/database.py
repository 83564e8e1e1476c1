"""Connection settings per database engine, and how requests take SQLite's write lock."""

from __future__ import annotations

import contextlib
import contextvars
import enum
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

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


_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "surveyapp_write_intent", default=False
)


@contextlib.contextmanager
def write_transaction() -> Iterator[None]:
    """Transactions begun inside this block take SQLite's write lock at BEGIN.

    For writers outside the request cycle (background jobs): a deferred transaction
    that has read cannot become a write one once another process has committed
    ("database is locked", without waiting), so a job's short write transaction
    begins with BEGIN IMMEDIATE and waits its turn instead.
    """
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def _begin_mode() -> BeginMode:
    from flask import has_request_context, request

    if _write_intent.get():
        return BeginMode.WRITE
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
    if engine.dialect.name == "postgresql":
        _end_reads_with_commit(engine)
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
        # Privacy (docs/privacy.md): deleted content is overwritten with zeros, and the
        # write-ahead log is cut back to nothing when it starts over; a background
        # checkpointer (below) copies it into the database right after every write, so a
        # copy of the -wal file holds the last moments' transactions, not the order of
        # the day's claims and submissions.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute("PRAGMA journal_size_limit=0")
        cursor.close()

    database = engine.url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        checkpointer = Checkpointer(database)
        _CHECKPOINTERS[engine] = checkpointer

        @sa.event.listens_for(engine, "before_cursor_execute")
        def _note_sqlite_writes(connection: Any, _cursor: Any, statement: str, *_a: Any) -> None:
            if statement.lstrip()[:7].upper().startswith(_WRITE_STATEMENTS):
                connection.info["surveyapp_sqlite_wrote"] = True

        @sa.event.listens_for(engine, "commit")
        def _checkpoint_soon(connection: Any) -> None:
            if connection.info.pop("surveyapp_sqlite_wrote", False):
                checkpointer.wrote()

    turns = threading.Lock()  # this process's queue for the write lock
    _TURNS[engine] = turns

    @sa.event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Any) -> None:
        if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return  # checkpoints and VACUUM must run outside a transaction
        mode = _begin_mode()
        if mode is BeginMode.WRITE:
            _take_write_turn(turns)
        if mode is not BeginMode.LATE:
            connection.exec_driver_sql(mode.value)

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _sqlite_write_begins(connection: Any, cursor: Any, statement: str, *_args: Any) -> None:
        dbapi_connection = connection.connection.dbapi_connection
        if dbapi_connection.in_transaction:
            return
        if statement.lstrip()[:7].upper().startswith(_WRITE_STATEMENTS):
            _take_write_turn(turns)
            dbapi_connection.execute(BeginMode.WRITE.value)

    sa.event.listen(engine, "checkin", _end_write_turn)  # a safety net; normally done


# SQLite's busy handler makes a waiting writer sleep 1, 2, 5, 10 … 100 ms between
# tries, so under load a writer often sleeps long after the lock came free. Threads of
# one process therefore queue for their turn on a Python lock first (woken the moment
# the previous writer commits); only the few writers of other processes meet SQLite's
# busy handler. The turn ends when the session commits or rolls back.
WRITE_TURN_TIMEOUT = 30.0  # seconds; then go ahead and let SQLite's busy timeout decide

_turn = threading.local()
_TURNS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()


def write_turn_is_free(engine: Engine) -> bool:
    """No thread holds this process's turn for the engine's write lock (for checks)."""
    turns = _TURNS.get(engine)
    if turns is None or not turns.acquire(blocking=False):
        return turns is None
    turns.release()
    return True


def _take_write_turn(turns: threading.Lock) -> None:
    if getattr(_turn, "lock", None) is not None:
        return  # this thread's turn already
    if turns.acquire(timeout=WRITE_TURN_TIMEOUT):
        _turn.lock = turns


def _end_write_turn(*_args: Any) -> None:
    lock = getattr(_turn, "lock", None)
    if lock is not None:
        _turn.lock = None
        lock.release()


for _event in ("after_commit", "after_rollback", "after_soft_rollback"):
    sa.event.listen(Session, _event, _end_write_turn)


def _end_reads_with_commit(engine: Engine) -> None:
    """PostgreSQL: end a transaction that only read with COMMIT, not ROLLBACK.

    psycopg forgets its prepared statements at every ROLLBACK (in case the transaction
    changed the schema), and every request that only reads ends with one, so no
    statement stayed prepared and PostgreSQL parsed and planned each query anew. A
    transaction that ran nothing but SELECTs and is not in error is committed instead,
    which changes nothing and keeps the statements prepared.
    """
    from psycopg.pq import TransactionStatus

    @sa.event.listens_for(engine, "begin")
    def _reads_only(connection: Any) -> None:
        connection.info["surveyapp_wrote"] = False

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _note_writes(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip()[:6].upper().startswith("SELECT"):
            connection.info["surveyapp_wrote"] = True

    @sa.event.listens_for(engine, "rollback")
    def _commit_reads(connection: Any) -> None:
        if connection.info.get("surveyapp_wrote", True):
            return
        dbapi_connection = connection.connection.dbapi_connection
        if dbapi_connection.info.transaction_status == TransactionStatus.INTRANS:
            dbapi_connection.commit()


class Checkpointer:
    """Copies SQLite's write-ahead log into the database soon after each write.

    A daemon thread of the process waits for a commit that wrote, lets ``DELAY`` pass
    (commits in the meantime share one checkpoint) and runs a PASSIVE checkpoint on a
    connection of its own: it never blocks readers or writers, and the request that
    wrote does not wait for the file's fsync. The next write then starts the log over
    (``journal_size_limit=0`` cuts the file back), so the log holds the last moments'
    transactions only (docs/privacy.md). Started lazily, again after a fork.
    """

    DELAY = 0.05  # seconds

    def __init__(self, path: str) -> None:
        self.path = path
        self._wake = threading.Event()
        self._lock = threading.Condition()
        self._asked = 0  # writes noted
        self._done = 0  # writes covered by a finished checkpoint
        self._pid: int | None = None

    def wrote(self) -> None:
        with self._lock:
            self._asked += 1
            if self._pid != os.getpid():
                self._pid = os.getpid()
                threading.Thread(target=self._run, name="sqlite-checkpointer", daemon=True).start()
        self._wake.set()

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        try:
            while True:
                self._wake.wait()
                time.sleep(self.DELAY)
                self._wake.clear()
                with self._lock:
                    covered = self._asked
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:
                    self._wake.set()  # the file is busy or gone: try again later
                    time.sleep(1.0)
                    continue
                with self._lock:
                    self._done = max(self._done, covered)
                    self._lock.notify_all()
        finally:
            connection.close()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every write noted so far is checkpointed (for tests and tools)."""
        with self._lock:
            wanted = self._asked
            return self._lock.wait_for(lambda: self._done >= wanted, timeout)


_CHECKPOINTERS: weakref.WeakKeyDictionary[Engine, Checkpointer] = weakref.WeakKeyDictionary()


def flush_checkpoints(engine: Engine, timeout: float = 10.0) -> bool:
    """Wait for the background checkpoint of every write so far (True when done)."""
    checkpointer = _CHECKPOINTERS.get(engine)
    return True if checkpointer is None else checkpointer.flush(timeout)


def checkpoint(engine: Engine, truncate: bool = False) -> None:
    """SQLite: copy the write-ahead log into the database.

    PASSIVE (the default) never waits for readers or blocks writers; the next write then
    starts the log over and ``journal_size_limit=0`` cuts it back. TRUNCATE empties the
    file at once but waits for every reader, so only maintenance commands use it."""
    if engine.dialect.name != "sqlite":
        return
    mode = "TRUNCATE" if truncate else "PASSIVE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"PRAGMA wal_checkpoint({mode})")


def is_lock_conflict(error: BaseException) -> bool:
    """SQLite's "database is locked" (a writer raced us); PostgreSQL serialization failures."""
    text = str(getattr(error, "orig", error)).lower()
    return "database is locked" in text or "could not serialize" in text
