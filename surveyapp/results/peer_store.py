"""Store parsed peer values; adds and flushes, never commits."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.results.models import PeerValue
from surveyapp.results.peers import PeerRow
from surveyapp.timeutil import utcnow

T = TypeVar("T")

# Keeps each IN list and each executemany well inside every database's parameter limits.
_BATCH = 500


@dataclass(frozen=True)
class StoreCounts:
    added: int
    updated: int
    unchanged: int


def store_peer_rows(rows: Sequence[PeerRow]) -> StoreCounts:
    """Insert new values and update changed ones, matched on (municipality, year, indicator,
    source); rows whose value and n are already stored count as unchanged."""
    existing = _existing({row.source for row in rows})
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for row in rows:
        current = existing.get(row.key)
        if current is None:
            inserts.append(
                {
                    "municipality_code": row.municipality_code,
                    "year": row.year,
                    "indicator": row.indicator,
                    "value": row.value,
                    "n": row.n,
                    "source": row.source,
                    "imported_at": now,
                }
            )
        elif current[1:] != (row.value, row.n):
            updates.append({"id": current[0], "value": row.value, "n": row.n, "imported_at": now})
    for chunk in _batches(inserts):
        db.session.execute(sa.insert(PeerValue), chunk)
    for chunk in _batches(updates):
        db.session.execute(sa.update(PeerValue), chunk)
    db.session.flush()
    return StoreCounts(len(inserts), len(updates), len(rows) - len(inserts) - len(updates))


def _batches(items: Iterable[T], size: int = _BATCH) -> Iterator[list[T]]:
    """Lists of at most ``size`` items (itertools.batched needs Python 3.12)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _existing(
    sources: set[str],
) -> dict[tuple[str, int, str, str], tuple[int, float, int | None]]:
    """Stored (id, value, n) by key, for the sources a file mentions."""
    found: dict[tuple[str, int, str, str], tuple[int, float, int | None]] = {}
    for chunk in _batches(sorted(sources)):
        result = db.session.execute(
            sa.select(
                PeerValue.municipality_code,
                PeerValue.year,
                PeerValue.indicator,
                PeerValue.source,
                PeerValue.id,
                PeerValue.value,
                PeerValue.n,
            ).where(PeerValue.source.in_(chunk))
        )
        for code, year, indicator, source, value_id, value, n in result:
            found[(code, year, indicator, source)] = (value_id, value, n)
    return found
