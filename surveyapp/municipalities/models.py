"""Municipality model."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from surveyapp.extensions import db


class Municipality(db.Model):  # type: ignore[name-defined]
    """A municipality by its official four-digit number (SSB Klass 131)."""

    __tablename__ = "municipality"
    __table_args__ = (sa.CheckConstraint("length(code) = 4", name="code_four_digits"),)

    code: Mapped[str] = mapped_column(sa.String(4), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    county_code: Mapped[str] = mapped_column(sa.String(2), index=True)
    county_name: Mapped[str] = mapped_column(sa.String(120))
    population_band: Mapped[str | None] = mapped_column(sa.String(20))

    def __repr__(self) -> str:
        return f"<Municipality {self.code} {self.name}>"
