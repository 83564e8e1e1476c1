"""A municipality's coat of arms: a sanitised PNG or SVG in the file store."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from surveyapp.dbtypes import UTCDateTime
from surveyapp.extensions import db
from surveyapp.timeutil import utcnow

CONTENT_TYPES = ("image/png", "image/svg+xml")


class CoatOfArms(db.Model):  # type: ignore[name-defined]
    __tablename__ = "coat_of_arms"
    __table_args__ = (
        sa.CheckConstraint(
            "content_type IN ('image/png', 'image/svg+xml')", name="arms_content_type_known"
        ),
        sa.CheckConstraint("byte_size > 0", name="arms_not_empty"),
    )

    municipality_code: Mapped[str] = mapped_column(
        sa.ForeignKey("municipality.code"), primary_key=True
    )
    #: The file's key in ``surveyapp.storage.file_store()`` (a random name).
    file_key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(20))
    byte_size: Mapped[int] = mapped_column(sa.Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
