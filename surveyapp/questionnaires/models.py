"""Stored questionnaire versions and the fingerprints of their questions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.dbtypes import UTCDateTime
from surveyapp.extensions import db
from surveyapp.timeutil import utcnow

KIND_VALUES = ("survey", "checklist", "census", "protocol")


class Questionnaire(db.Model):  # type: ignore[name-defined]
    """One version of a questionnaire definition file."""

    __tablename__ = "questionnaire"
    __table_args__ = (
        sa.UniqueConstraint("code", "version"),
        sa.UniqueConstraint("code", "content_hash"),
        sa.CheckConstraint(
            "kind IN ('survey', 'checklist', 'census', 'protocol')", name="kind_known"
        ),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(80), index=True)
    version: Mapped[int] = mapped_column(sa.Integer)
    kind: Mapped[str] = mapped_column(sa.String(20))
    title_nb: Mapped[str] = mapped_column(sa.String(300))
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    source_file: Mapped[str] = mapped_column(sa.String(300))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A municipality's own questionnaire (uploaded by its planner); None: national.
    owner_code: Mapped[str | None] = mapped_column(
        sa.String(4),
        sa.ForeignKey("municipality.code", name="fk_questionnaire_owner_code_municipality"),
        index=True,
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(
            "user_account.id",
            name="fk_questionnaire_uploaded_by_id_user_account",
            ondelete="SET NULL",
        )
    )
    # What the file said its version was (XLSForm settings.version); not compared.
    source_version: Mapped[str | None] = mapped_column(sa.String(100))

    questions: Mapped[list[QuestionFingerprint]] = relationship(
        back_populates="questionnaire",
        cascade="all, delete-orphan",
        order_by="QuestionFingerprint.position",
    )

    def __repr__(self) -> str:
        return f"<Questionnaire {self.code} v{self.version}>"


class QuestionFingerprint(db.Model):  # type: ignore[name-defined]
    """A question of a questionnaire version, with the hash of its wording and options."""

    __tablename__ = "question_fingerprint"

    questionnaire_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questionnaire.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    type: Mapped[str] = mapped_column(sa.String(20))
    fingerprint: Mapped[str] = mapped_column(sa.String(64), index=True)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="questions")
