"""Peer reference values imported from files, and planners' named peer groups."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.dbtypes import UTCDateTime
from surveyapp.extensions import db
from surveyapp.timeutil import utcnow


class PeerValue(db.Model):  # type: ignore[name-defined]
    """A published reference figure for a municipality, year and indicator."""

    __tablename__ = "peer_value"
    __table_args__ = (
        sa.UniqueConstraint("municipality_code", "year", "indicator", "source"),
        sa.CheckConstraint("n IS NULL OR n >= 0", name="n_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_code: Mapped[str] = mapped_column(sa.ForeignKey("municipality.code"))
    year: Mapped[int] = mapped_column(sa.Integer)
    indicator: Mapped[str] = mapped_column(sa.String(80))
    value: Mapped[float] = mapped_column(sa.Float)
    n: Mapped[int | None] = mapped_column(sa.Integer)
    source: Mapped[str] = mapped_column(sa.String(200))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


peer_group_member = sa.Table(
    "peer_group_member",
    db.metadata,
    sa.Column("group_id", sa.ForeignKey("peer_group.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("municipality_code", sa.ForeignKey("municipality.code"), primary_key=True),
)


class PeerGroup(db.Model):  # type: ignore[name-defined]
    """A named list of municipalities a planner compares against."""

    __tablename__ = "peer_group"
    __table_args__ = (sa.UniqueConstraint("owner_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    members = relationship(
        "Municipality", secondary=peer_group_member, order_by="Municipality.code"
    )
