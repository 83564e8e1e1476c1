"""Municipalities' contact details (switchboard, e-mail, web site), kept beside the register.

A separate table from ``municipality`` so the register's own columns (and their history)
change independently. Operations add and flush; the CLI command or the view commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from surveyapp.audit.operations import record as audit
from surveyapp.dbtypes import UTCDateTime
from surveyapp.extensions import db
from surveyapp.municipalities.contact_details import ContactRow
from surveyapp.timeutil import utcnow


class MunicipalityContact(db.Model):  # type: ignore[name-defined]
    """How a citizen reaches a municipality: the numbers a test caller uses."""

    __tablename__ = "municipality_contact"

    municipality_code: Mapped[str] = mapped_column(
        sa.ForeignKey("municipality.code", ondelete="CASCADE"), primary_key=True
    )
    phone: Mapped[str | None] = mapped_column(sa.String(20))  # E.164, "+4777790000"
    email: Mapped[str | None] = mapped_column(sa.String(254))
    website: Mapped[str | None] = mapped_column(sa.String(300))
    # Demo data: clearly fictitious details, labelled wherever they show.
    is_fictitious: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def as_row(self) -> ContactRow:
        return ContactRow(self.municipality_code, self.phone, self.email, self.website)


def contact_of(code: str) -> MunicipalityContact | None:
    return db.session.get(MunicipalityContact, code)


def store_contact(
    actor_id: int | None, row: ContactRow, *, fictitious: bool = False
) -> MunicipalityContact:
    """Create or change one municipality's contact details (audited with the changed fields)."""
    current = contact_of(row.code)
    old = current.as_row().as_dict() if current is not None else None
    if current is None:
        current = MunicipalityContact(municipality_code=row.code)
        db.session.add(current)
    current.phone, current.email, current.website = row.phone, row.email, row.website
    current.is_fictitious = fictitious
    db.session.flush()
    if old != row.as_dict():
        audit(actor_id, "contact", "municipality", row.code, old, row.as_dict())
    return current


def store_contacts(actor_id: int | None, rows: Sequence[ContactRow]) -> tuple[int, int]:
    """Store every row of a checked file; returns (added, changed)."""
    existing = {
        c.municipality_code: c.as_row() for c in db.session.scalars(sa.select(MunicipalityContact))
    }
    added = changed = 0
    for row in rows:
        before = existing.get(row.code)
        if before is None:
            added += 1
        elif before != row:
            changed += 1
        else:
            continue
        store_contact(actor_id, row)
    return added, changed
