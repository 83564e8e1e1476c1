"""What the open-data API stores: publications of rounds, their frozen counts, API tokens.

* ``Publication``: a round whose results are public (a survey round or a service-test
  round, one of the two). Deleting the row unpublishes; both are in the audit trail.
* ``PublishedCount``: the share-satisfied counts of a published survey round, per
  municipality and wording, written once when the round is published (it is closed, so
  its answers no longer change). The national table reads these few rows instead of
  aggregating every answer of every year again.
* ``ApiToken``: a random secret for what is not public; only its SHA-256 is stored.
* ``ApiTokenUse``: one row per request made with a token (a compact log, not the audit
  trail, which is for staff changes and would drown in API calls).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.dbtypes import UTCDateTime
from surveyapp.extensions import db
from surveyapp.timeutil import utcnow


class Publication(db.Model):  # type: ignore[name-defined]
    """A round whose results anyone may fetch from the API."""

    __tablename__ = "publication"
    __table_args__ = (
        sa.CheckConstraint(
            "(survey_round_id IS NULL) <> (test_round_id IS NULL)", name="one_round"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_round_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("survey_round.id", ondelete="CASCADE"), unique=True
    )
    test_round_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("test_round.id", ondelete="CASCADE"), unique=True
    )
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    counts: Mapped[list[PublishedCount]] = relationship(
        back_populates="publication", cascade="all, delete-orphan", passive_deletes=True
    )


class PublishedCount(db.Model):  # type: ignore[name-defined]
    """Satisfied (k) and valid (n) answers to the indicator question of a published round."""

    __tablename__ = "published_count"

    publication_id: Mapped[int] = mapped_column(
        sa.ForeignKey("publication.id", ondelete="CASCADE"), primary_key=True
    )
    municipality_code: Mapped[str] = mapped_column(sa.String(4), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    k: Mapped[int] = mapped_column(sa.Integer)
    n: Mapped[int] = mapped_column(sa.Integer)

    publication: Mapped[Publication] = relationship(back_populates="counts")


class ApiToken(db.Model):  # type: ignore[name-defined]
    """A bearer token for the API, scoped to what its owner may see."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    owner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    owner = relationship("User")

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


class ApiTokenUse(db.Model):  # type: ignore[name-defined]
    """One request made with a token: when, what, and the answer's status."""

    __tablename__ = "api_token_use"
    __table_args__ = (sa.Index("ix_api_token_use_token_at", "token_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(sa.ForeignKey("api_token.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    method: Mapped[str] = mapped_column(sa.String(8))
    path: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[int] = mapped_column(sa.Integer)
