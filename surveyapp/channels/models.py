"""The address list of e-mail invitations, kiosk devices and paper forms being keyed.

The address list is personal data: it is kept apart from anything a response stores,
and deleted when the round closes (plus a grace period). An address points to its
invitation (to send reminders only to unused links); an invitation never points to a
response, so an address can never be joined to answers.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.dbtypes import UTCDateTime
from surveyapp.extensions import db
from surveyapp.timeutil import utcnow

RECIPIENT_STATUSES = ("pending", "sent", "failed")
MESSAGE_KINDS = ("invitation", "reminder")
OUTCOMES = ("sent", "failed")


class EmailRecipient(db.Model):  # type: ignore[name-defined]
    """One address on a round's list, with how its invitation and reminders went."""

    __tablename__ = "email_recipient"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "address"),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_round.id", ondelete="CASCADE"), index=True
    )
    municipality_code: Mapped[str] = mapped_column(sa.ForeignKey("municipality.code"))
    address: Mapped[str] = mapped_column(sa.String(254))
    # The link: its invitation row, and a random value from which the token is derived
    # with the app's key (so that reminders can repeat the same link).
    invitation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invitation.id", ondelete="SET NULL"), unique=True
    )
    link_nonce: Mapped[str | None] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(8), default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    error: Mapped[str | None] = mapped_column(sa.String(500))
    reminders: Mapped[int] = mapped_column(sa.Integer, default=0)

    log: Mapped[list[EmailSendLog]] = relationship(
        back_populates="recipient", cascade="all, delete-orphan", order_by="EmailSendLog.id"
    )


class EmailSendLog(db.Model):  # type: ignore[name-defined]
    """One try to send one message to one address (no time: the job has it)."""

    __tablename__ = "email_send_log"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('invitation', 'reminder')", name="kind_known"),
        sa.CheckConstraint("outcome IN ('sent', 'failed')", name="outcome_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("email_recipient.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(10))
    outcome: Mapped[str] = mapped_column(sa.String(6))
    attempt: Mapped[int] = mapped_column(sa.Integer)
    reason: Mapped[str | None] = mapped_column(sa.String(500))

    recipient: Mapped[EmailRecipient] = relationship(back_populates="log")


class KioskDevice(db.Model):  # type: ignore[name-defined]
    """A tablet at a service desk that may take answers for a round (secret hashed)."""

    __tablename__ = "kiosk_device"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_round.id", ondelete="CASCADE"), index=True
    )
    municipality_code: Mapped[str] = mapped_column(sa.ForeignKey("municipality.code"))
    name: Mapped[str] = mapped_column(sa.String(80))
    place: Mapped[str] = mapped_column(sa.String(80))
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PaperKeying(db.Model):  # type: ignore[name-defined]
    """One keying of a paper form, kept only until the form's answers are settled.

    The form number serves the double keying; when the keyings agree (or a third
    person settles them) the response is stored without it and these rows go.
    """

    __tablename__ = "paper_keying"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "form_number", "keying"),
        sa.CheckConstraint("keying IN (1, 2)", name="keying_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_round.id", ondelete="CASCADE"), index=True
    )
    form_number: Mapped[str] = mapped_column(sa.String(20))
    keying: Mapped[int] = mapped_column(sa.Integer)
    municipality_code: Mapped[str] = mapped_column(sa.ForeignKey("municipality.code"))
    language: Mapped[str] = mapped_column(sa.String(2))
    received: Mapped[date] = mapped_column(sa.Date)
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    keyed_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
