"""What a caller keeps beside a contact's result: notes, pasted texts, URLs, attachments."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.dbtypes import UTCDateTime
from surveyapp.extensions import db
from surveyapp.timeutil import utcnow


class ContactEvidence(db.Model):  # type: ignore[name-defined]
    """The caller's note, the e-mail sent and the reply (pasted) and the URLs visited."""

    __tablename__ = "contact_evidence"

    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("test_assignment.id", ondelete="CASCADE"), primary_key=True
    )
    note: Mapped[str] = mapped_column(sa.Text, default="")
    email_sent: Mapped[str] = mapped_column(sa.Text, default="")
    email_reply: Mapped[str] = mapped_column(sa.Text, default="")
    urls: Mapped[str] = mapped_column(sa.Text, default="")  # one URL a line
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def url_list(self) -> list[str]:
        return [line for line in self.urls.splitlines() if line.strip()]


class ContactAttachment(db.Model):  # type: ignore[name-defined]
    """A file (PNG, JPEG or PDF) kept in the file store, not in the database."""

    __tablename__ = "contact_attachment"
    __table_args__ = (
        sa.CheckConstraint(
            "content_type IN ('image/png', 'image/jpeg', 'application/pdf')",
            name="content_type_known",
        ),
        sa.CheckConstraint("size > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("test_assignment.id", ondelete="CASCADE"), index=True
    )
    storage_key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int] = mapped_column(sa.Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    uploaded_by = relationship("User")
