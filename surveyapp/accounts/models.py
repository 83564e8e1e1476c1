"""Staff user accounts. Citizens never have one."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.dbtypes import UTCDateTime
from surveyapp.extensions import db
from surveyapp.timeutil import utcnow

ROLES = ("admin", "planner", "caller")

user_municipality = sa.Table(
    "user_municipality",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("municipality_code", sa.ForeignKey("municipality.code"), primary_key=True),
)


class User(UserMixin, db.Model):  # type: ignore[name-defined]
    """A staff member: admin, planner or test caller."""

    __tablename__ = "user_account"
    __table_args__ = (
        sa.CheckConstraint("role IN ('admin', 'planner', 'caller')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[str] = mapped_column(sa.String(10))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # May download answers row by row (raw data): granted by an admin, audited.
    raw_data: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    municipalities = relationship(
        "Municipality", secondary=user_municipality, order_by="Municipality.code"
    )

    @property
    def is_active(self) -> bool:
        return self.active

    def municipality_codes(self) -> set[str]:
        return {m.code for m in self.municipalities}


class StaffSession(db.Model):  # type: ignore[name-defined]
    """One log-in of a staff member, held on the server.

    The session cookie carries a random token; only its SHA-256 is stored. Log-out
    deletes the row, a password change, a new role or a deactivation deletes all the
    user's rows, and a row past ``expires_at`` no longer counts: a copied cookie stops
    working then, whatever its signature says.
    """

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ThrottleCounter(db.Model):  # type: ignore[name-defined]
    """A counter of failed log-ins (or password checks) for one key, shared by every worker.

    ``key`` is the limits library's key (a keyed hash of the account, the client
    address or a device cookie's id, with the rate); ``expires_at`` ends the window,
    in seconds since the epoch.
    """

    __tablename__ = "throttle_counter"

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    hits: Mapped[int] = mapped_column(sa.Integer)
    expires_at: Mapped[float] = mapped_column(sa.Float, index=True)
