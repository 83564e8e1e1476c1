"""Store the municipality register; adds and flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.municipalities.models import Municipality
from surveyapp.municipalities.register import RegisterRow


def store_register(rows: Sequence[RegisterRow]) -> tuple[int, int]:
    """Insert new municipalities and update changed names; returns (added, updated)."""
    existing = {m.code: m for m in db.session.scalars(sa.select(Municipality))}
    added = updated = 0
    for row in rows:
        current = existing.get(row.code)
        if current is None:
            db.session.add(
                Municipality(
                    code=row.code,
                    name=row.name,
                    county_code=row.county_code,
                    county_name=row.county_name,
                )
            )
            added += 1
        elif (current.name, current.county_code, current.county_name) != (
            row.name,
            row.county_code,
            row.county_name,
        ):
            current.name = row.name
            current.county_code = row.county_code
            current.county_name = row.county_name
            updated += 1
    db.session.flush()
    return added, updated
