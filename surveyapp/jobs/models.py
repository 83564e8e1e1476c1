"""The job table: what the pages show about work done in the background."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from surveyapp.dbtypes import UTCDateTime
from surveyapp.extensions import db
from surveyapp.timeutil import utcnow

STATUS_VALUES = ("queued", "running", "done", "failed")
FINISHED = ("done", "failed")


def new_job_id() -> str:
    """128 random bits: a job's address cannot be guessed from another's."""
    return secrets.token_urlsafe(16)


class Job(db.Model):  # type: ignore[name-defined]
    """One piece of background work, its progress and its result file."""

    __tablename__ = "job"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name="status_known"
        ),
        sa.CheckConstraint(
            "progress_done >= 0 AND progress_total >= 0", name="progress_not_negative"
        ),
        sa.Index("ix_job_round_owner", "round_id", "owner_id"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_job_id)
    kind: Mapped[str] = mapped_column(sa.String(40))
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    round_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("survey_round.id", ondelete="CASCADE")
    )
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    status: Mapped[str] = mapped_column(sa.String(10), default="queued", index=True)
    progress_done: Mapped[int] = mapped_column(sa.Integer, default=0)
    progress_total: Mapped[int] = mapped_column(sa.Integer, default=0)
    # A key the pages translate (why a job failed), never free text from an exception.
    message: Mapped[str | None] = mapped_column(sa.String(60))
    # The result file: a random name inside the job-files folder, and what to call it.
    file_path: Mapped[str | None] = mapped_column(sa.String(100))
    file_name: Mapped[str | None] = mapped_column(sa.String(200))
    file_type: Mapped[str | None] = mapped_column(sa.String(100))
    file_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    downloaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Moved by every progress report: a running job that stops moving has died.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def share_done(self) -> float | None:
        if not self.progress_total:
            return None
        return min(1.0, self.progress_done / self.progress_total)
