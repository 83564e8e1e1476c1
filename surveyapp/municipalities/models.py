"""Municipality model, and the register's history (numbers with their periods, changes)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from surveyapp.extensions import db


class Municipality(db.Model):  # type: ignore[name-defined]
    """A municipality by its official four-digit number (SSB Klass 131).

    Today's register is the rows with ``current`` set. A former number (one that was
    renumbered, merged or split away) stays as a row with ``current`` unset, so that
    survey rounds and figures stored under it keep their number; the register's history
    (``MunicipalityPeriod``, ``MunicipalityChange``) says where it belongs today.
    """

    __tablename__ = "municipality"
    __table_args__ = (sa.CheckConstraint("length(code) = 4", name="code_four_digits"),)

    code: Mapped[str] = mapped_column(sa.String(4), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    county_code: Mapped[str] = mapped_column(sa.String(2), index=True)
    county_name: Mapped[str] = mapped_column(sa.String(120))
    population_band: Mapped[str | None] = mapped_column(sa.String(20))
    current: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())

    def __repr__(self) -> str:
        return f"<Municipality {self.code} {self.name}>"


class MunicipalityPeriod(db.Model):  # type: ignore[name-defined]
    """A number under one name, from ``valid_from`` to ``valid_to`` (inclusive).

    Derived from the stored changes and the register each time changes are loaded.
    ``valid_from`` is empty for a number in use before the history begins (2005),
    ``valid_to`` while it is in use.
    """

    __tablename__ = "municipality_period"
    __table_args__ = (
        sa.UniqueConstraint("code", "valid_from"),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from",
            name="ends_after_start",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.ForeignKey("municipality.code"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    valid_from: Mapped[date | None] = mapped_column(sa.Date)
    valid_to: Mapped[date | None] = mapped_column(sa.Date)


class MunicipalityChange(db.Model):  # type: ignore[name-defined]
    """One row of a change list (SSB Klass 131): from a number and name to another."""

    __tablename__ = "municipality_change"
    __table_args__ = (
        sa.UniqueConstraint("from_code", "to_code", "valid_from"),
        sa.CheckConstraint(
            "kind IN ('renumbered', 'name', 'merged', 'split', 'border')", name="kind_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    from_code: Mapped[str] = mapped_column(sa.ForeignKey("municipality.code"), index=True)
    from_name: Mapped[str] = mapped_column(sa.String(120))
    to_code: Mapped[str] = mapped_column(sa.ForeignKey("municipality.code"), index=True)
    to_name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(sa.String(12))
    valid_from: Mapped[date] = mapped_column(sa.Date)
