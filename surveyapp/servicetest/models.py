"""Service-test rounds, assignments of contacts to callers, and recorded results."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.dbtypes import UTCDateTime
from surveyapp.extensions import db
from surveyapp.timeutil import utcnow

#: Attachments of a locked round are deleted this many days after the lock, unless the
#: organiser sets another number for the round.
EVIDENCE_RETENTION_DAYS = 365

test_round_municipality = sa.Table(
    "test_round_municipality",
    db.metadata,
    sa.Column(
        "test_round_id", sa.ForeignKey("test_round.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("municipality_code", sa.ForeignKey("municipality.code"), primary_key=True),
)


class TestRound(db.Model):  # type: ignore[name-defined]
    """A mystery-shopper test over many municipalities with one protocol."""

    __tablename__ = "test_round"
    __test__ = False  # not a pytest test class
    __table_args__ = (
        sa.CheckConstraint("status IN ('planned', 'running', 'locked')", name="status_known"),
        sa.CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        sa.CheckConstraint("evidence_retention_days >= 1", name="retention_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    protocol_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaire.id"), index=True)
    year: Mapped[int] = mapped_column(sa.Integer, index=True)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(10), default="planned")
    seed: Mapped[int] = mapped_column(sa.Integer, default=0)
    selection: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    is_demo: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Field work (issue 15): when the round was locked (evidence retention counts from
    # then), and how many days attachments are kept after the lock.
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    evidence_retention_days: Mapped[int] = mapped_column(
        sa.Integer, default=EVIDENCE_RETENTION_DAYS, server_default=str(EVIDENCE_RETENTION_DAYS)
    )

    protocol = relationship("Questionnaire")
    municipalities = relationship(
        "Municipality", secondary=test_round_municipality, order_by="Municipality.code"
    )


class TestAssignment(db.Model):  # type: ignore[name-defined]
    """One contact to carry out: a municipality, a scenario, a channel, a caller and a time."""

    __tablename__ = "test_assignment"
    __test__ = False
    __table_args__ = (
        sa.CheckConstraint("channel IN ('phone', 'email', 'web')", name="channel_known"),
        sa.CheckConstraint("status IN ('open', 'done', 'cancelled')", name="status_known"),
        sa.CheckConstraint("tester_slot BETWEEN 1 AND 3", name="tester_slot_range"),
        sa.UniqueConstraint(
            "test_round_id",
            "municipality_code",
            "unit_code",
            "scenario_code",
            "channel",
            "tester_slot",
            name="uq_test_assignment_contact",
        ),
        sa.Index("ix_test_assignment_caller_due", "caller_id", "due_at"),
        sa.CheckConstraint(
            "follow_up IS NULL OR follow_up IN ('callback', 'reply')", name="follow_up_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    test_round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("test_round.id", ondelete="CASCADE"), index=True
    )
    municipality_code: Mapped[str] = mapped_column(sa.ForeignKey("municipality.code"))
    # A test unit below the municipality (TestUnit.code), or "" for the municipality itself.
    unit_code: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    scenario_code: Mapped[str] = mapped_column(sa.String(80))
    sector: Mapped[str] = mapped_column(sa.String(40))
    channel: Mapped[str] = mapped_column(sa.String(10))
    # Web items are checked by two independent testers (slots 1, 2); slot 3 decides.
    tester_slot: Mapped[int] = mapped_column(sa.Integer, default=1)
    caller_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(sa.String(10), default="open")
    # An open contact that was started: a call-back due at follow_up_at, or an e-mail
    # awaiting its reply until follow_up_at (after which it scores 0).
    follow_up: Mapped[str | None] = mapped_column(sa.String(10))
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    test_round = relationship("TestRound")
    caller = relationship("User")
    result: Mapped[TestResult | None] = relationship(
        back_populates="assignment", uselist=False, cascade="all, delete-orphan"
    )


class TestResult(db.Model):  # type: ignore[name-defined]
    """What the caller recorded for an assignment, and the points it scored."""

    __tablename__ = "test_result"
    __test__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("test_assignment.id", ondelete="CASCADE"), unique=True
    )
    # The channel-specific record (attempts, times, checkpoints, courtesy, found, quality).
    record: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    assignment: Mapped[TestAssignment] = relationship(back_populates="result")


class TestUnit(db.Model):  # type: ignore[name-defined]
    """A test unit below a municipality (one of Oslo's city districts), tested and ranked
    on its own when a round includes units, and rolled up to its municipality on request."""

    __tablename__ = "test_unit"
    __test__ = False

    code: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    municipality_code: Mapped[str] = mapped_column(sa.ForeignKey("municipality.code"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    source: Mapped[str] = mapped_column(sa.String(300), default="")
