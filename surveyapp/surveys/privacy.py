"""Keeping stored answers unlinkable after the fact (see docs/privacy.md).

What the database can still tell about the order in which things happened, and what
``flask privacy scrub`` removes:

- claim hashes of invitations (recognise a double click) are needed only while a round
  takes answers: dropped when it closes;
- SQLite keeps nothing in order (random ids; the write-ahead log is checkpointed after
  every transaction): VACUUM rebuilds the file so that not even page allocation hints
  at the order rows arrived in;
- PostgreSQL writes rows in arrival order (``ctid``) and stamps each with its
  transaction (``xmin``): a closed round's responses and answers are rewritten in a
  random order in one transaction, and its invitations in the same transaction, so
  that all carry one transaction id; VACUUM FULL then drops the old row versions. The
  server's own write-ahead log and its archives are outside the application's reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from surveyapp.database import checkpoint
from surveyapp.extensions import db
from surveyapp.surveys.models import Answer, Invitation, Response, SurveyRound

_CLOSED = sa.or_(SurveyRound.status == "closed", SurveyRound.closes_at <= sa.bindparam("now"))


@dataclass(frozen=True)
class ScrubReport:
    rounds: tuple[int, ...]
    claims_forgotten: int
    reordered: int


def closed_round_ids(now: datetime) -> list[int]:
    return list(db.session.scalars(sa.select(SurveyRound.id).where(_CLOSED), {"now": now}))


def forget_claims(round_ids: list[int]) -> int:
    """Drop claim hashes of rounds that take no more answers. Adds and flushes only."""
    if not round_ids:
        return 0
    result = db.session.execute(
        sa.update(Invitation)
        .where(Invitation.round_id.in_(round_ids), Invitation.claim_hash.is_not(None))
        .values(claim_hash=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def reorder_rows(round_id: int) -> int:
    """PostgreSQL: rewrite a round's responses, answers and invitations in a random
    order, in this one transaction. Returns the responses rewritten (0 on SQLite, whose
    row order already follows the random ids)."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return 0
    params = {"round_id": round_id}
    for table in ("response", "answer"):
        connection.exec_driver_sql(
            f"CREATE TEMP TABLE scrub_{table} ON COMMIT DROP AS "
            f"SELECT * FROM {table} WHERE round_id = %(round_id)s",
            params,
        )
    connection.execute(sa.delete(Response).where(Response.round_id == round_id))
    count = connection.exec_driver_sql(
        "INSERT INTO response SELECT * FROM scrub_response ORDER BY random()"
    ).rowcount
    connection.exec_driver_sql("INSERT INTO answer SELECT * FROM scrub_answer ORDER BY random()")
    connection.execute(
        sa.update(Invitation).where(Invitation.round_id == round_id).values(used=Invitation.used)
    )
    return int(count)


def compact(engine: sa.Engine) -> None:
    """Rebuild the tables so that dropped row versions and page order are gone."""
    if engine.dialect.name == "sqlite":
        checkpoint(engine, truncate=True)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM")
        checkpoint(engine, truncate=True)
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in (Response.__tablename__, Answer.__tablename__, Invitation.__tablename__):
            connection.exec_driver_sql(f"VACUUM FULL {table}")


def scrub_closed_rounds(now: datetime, round_ids: list[int] | None = None) -> ScrubReport:
    """Forget claims and reorder rows of closed rounds. Flushes; the caller commits,
    then calls ``compact``."""
    closed = set(closed_round_ids(now))
    chosen = sorted(closed if round_ids is None else closed & set(round_ids))
    forgotten = forget_claims(chosen)
    reordered = sum(reorder_rows(round_id) for round_id in chosen)
    return ScrubReport(tuple(chosen), forgotten, reordered)
