"""Test units below a municipality (Oslo's 15 city districts): the shipped list, stored
in ``test_unit``, and how a round plans them.

Forbrukerrådet's 2016 test ranked Oslo's districts (bydeler) as units of their own
beside the 428 municipalities (DOMAIN.md §9). A round that includes units plans every
contact per unit instead of once for the municipality; the ranking lists the units with
their own rank, or pools them into their municipality when asked (``roll_up``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.servicetest.models import TestUnit

UNITS_FILE = Path(__file__).resolve().parent.parent / "data" / "test-units-oslo.csv"
SOURCE = "Statistics Norway, Klass 103 (bydelsinndeling), Oslo"


def read_units(path: Path = UNITS_FILE) -> list[tuple[str, str, str]]:
    """(code, municipality, name) rows of a units file (lines starting with # are notes)."""
    text = path.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return [
        (row["code"], row["municipality"], row["name"])
        for row in csv.DictReader(io.StringIO("\n".join(lines)))
    ]


def store_units(rows: Iterable[tuple[str, str, str]], source: str = SOURCE) -> int:
    """Add or update the units (add and flush; the caller commits); how many are new."""
    existing = {unit.code: unit for unit in db.session.scalars(sa.select(TestUnit))}
    added = 0
    for code, municipality, name in rows:
        unit = existing.get(code)
        if unit is None:
            db.session.add(
                TestUnit(code=code, municipality_code=municipality, name=name, source=source)
            )
            added += 1
        else:
            unit.municipality_code, unit.name, unit.source = municipality, name, source
    db.session.flush()
    return added


def load_units(path: Path = UNITS_FILE) -> int:
    return store_units(read_units(path))


def unit_names() -> dict[str, str]:
    """Unit code → name."""
    return {
        code: name for code, name in db.session.execute(sa.select(TestUnit.code, TestUnit.name))
    }


def unit_parents() -> dict[str, str]:
    """Unit code → its municipality."""
    return dict(
        db.session.execute(sa.select(TestUnit.code, TestUnit.municipality_code)).tuples().all()
    )


def units_of(municipalities: Sequence[str]) -> dict[str, list[str]]:
    """The units of each of these municipalities that has any (municipality → unit codes)."""
    out: dict[str, list[str]] = {}
    for code, municipality in db.session.execute(
        sa.select(TestUnit.code, TestUnit.municipality_code)
        .where(TestUnit.municipality_code.in_(municipalities))
        .order_by(TestUnit.code)
    ):
        out.setdefault(municipality, []).append(code)
    return out
