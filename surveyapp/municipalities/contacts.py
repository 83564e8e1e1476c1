"""Municipalities' contact details (switchboard, e-mail, web site), kept beside the register.

A separate table from ``municipality`` so the register's own columns (and their history)
change independently. A test unit below a municipality (one of Oslo's districts) has a
row of its own (``unit_code``); what it leaves empty is reached through its
municipality's details (a district may be reached through the city's switchboard and
have an e-mail address and web page of its own). Operations add and flush; the CLI
command or the view commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
    # "" for the municipality itself; a test unit's code (checked against ``test_unit``
    # by the loaders) for one of its units.
    unit_code: Mapped[str] = mapped_column(
        sa.String(20), primary_key=True, default="", server_default=""
    )
    phone: Mapped[str | None] = mapped_column(sa.String(20))  # E.164, "+4777790000"
    email: Mapped[str | None] = mapped_column(sa.String(254))
    website: Mapped[str | None] = mapped_column(sa.String(300))
    # Demo data: clearly fictitious details, labelled wherever they show.
    is_fictitious: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def as_row(self) -> ContactRow:
        return ContactRow(
            self.municipality_code, self.phone, self.email, self.website, self.unit_code
        )


def contact_of(code: str, unit: str = "") -> MunicipalityContact | None:
    return db.session.get(MunicipalityContact, (code, unit))


@dataclass(frozen=True)
class Reach:
    """How a caller reaches a municipality or one of its units: each detail with whether
    it is the municipality's, shared by its units (``*_shared``)."""

    phone: str | None
    email: str | None
    website: str | None
    phone_shared: bool = False
    email_shared: bool = False
    website_shared: bool = False
    is_fictitious: bool = False

    @property
    def any(self) -> bool:
        return bool(self.phone or self.email or self.website)


def store_contact(
    actor_id: int | None, row: ContactRow, *, fictitious: bool = False
) -> MunicipalityContact:
    """Create or change one municipality's contact details (audited with the changed fields)."""
    current = contact_of(row.code, row.unit)
    old = current.as_row().as_dict() if current is not None else None
    if current is None:
        current = MunicipalityContact(municipality_code=row.code, unit_code=row.unit)
        db.session.add(current)
    current.phone, current.email, current.website = row.phone, row.email, row.website
    current.is_fictitious = fictitious
    db.session.flush()
    if old != row.as_dict():
        kind = "test_unit" if row.unit else "municipality"
        audit(actor_id, "contact", kind, row.unit or row.code, old, row.as_dict())
    return current


def store_contacts(actor_id: int | None, rows: Sequence[ContactRow]) -> tuple[int, int]:
    """Store every row of a checked file; returns (added, changed)."""
    existing = {
        (c.municipality_code, c.unit_code): c.as_row()
        for c in db.session.scalars(sa.select(MunicipalityContact))
    }
    added = changed = 0
    for row in rows:
        before = existing.get((row.code, row.unit))
        if before is None:
            added += 1
        elif before != row:
            changed += 1
        else:
            continue
        store_contact(actor_id, row)
    return added, changed


def reach(code: str, unit: str = "") -> Reach | None:
    """The details a call sheet shows: a unit's own, and its municipality's where the
    unit has none; None when nothing is registered."""
    own = contact_of(code, unit)
    parent = contact_of(code) if unit else None
    if own is None and parent is None:
        return None

    def pick(field: str) -> tuple[str | None, bool]:
        value = getattr(own, field) if own is not None else None
        if value or parent is None:
            return value, False
        inherited = getattr(parent, field)
        return inherited, inherited is not None

    phone, phone_shared = pick("phone")
    email, email_shared = pick("email")
    website, website_shared = pick("website")
    fictitious = any(c.is_fictitious for c in (own, parent) if c is not None)
    return Reach(phone, email, website, phone_shared, email_shared, website_shared, fictitious)


def shared_phone_units(units: Sequence[tuple[str, str]]) -> set[str]:
    """The units (of ``(municipality, unit)`` pairs) whose call sheet gives their
    municipality's phone number: none of their own, and the municipality has one."""
    if not units:
        return set()
    codes = {code for pair in units for code in pair}
    with_phone = {
        (municipality, unit)
        for municipality, unit in db.session.execute(
            sa.select(MunicipalityContact.municipality_code, MunicipalityContact.unit_code).where(
                sa.or_(
                    MunicipalityContact.unit_code.in_(codes),
                    sa.and_(
                        MunicipalityContact.unit_code == "",
                        MunicipalityContact.municipality_code.in_(codes),
                    ),
                ),
                MunicipalityContact.phone.is_not(None),
                MunicipalityContact.phone != "",
            )
        ).tuples()
    }
    return {
        unit
        for municipality, unit in units
        if (municipality, unit) not in with_phone and (municipality, "") in with_phone
    }
