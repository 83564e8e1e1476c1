"""Store the municipality register and its history; adds and flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import g

from surveyapp.extensions import db
from surveyapp.municipalities.history import Change, History
from surveyapp.municipalities.models import Municipality, MunicipalityChange, MunicipalityPeriod
from surveyapp.municipalities.register import RegisterError, RegisterRow

HISTORY_CACHE = "_municipality_history"


def forget_history() -> None:
    """Drop this app context's copy of the history (after the register or history changed)."""
    g.pop(HISTORY_CACHE, None)


def store_register(rows: Sequence[RegisterRow], filename: str = "") -> tuple[int, int]:
    """Insert new municipalities and update changed names; returns (added, updated).

    Refuses (RegisterError, with line numbers) numbers the stored history says are no
    longer in use: loading an old register would make them current again.
    """
    ended = _ended_numbers()
    problems = [
        f"line {row.line}: {row.code} {row.name} is no longer in use: {ended[row.code]}"
        for row in rows
        if row.code in ended
    ]
    if problems:
        raise RegisterError(filename, problems)
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
                    current=True,
                )
            )
            added += 1
        elif (current.name, current.county_code, current.county_name, current.current) != (
            row.name,
            row.county_code,
            row.county_name,
            True,
        ):
            current.name = row.name
            current.county_code = row.county_code
            current.county_name = row.county_name
            current.current = True
            updated += 1
    db.session.flush()
    forget_history()
    return added, updated


def _ended_numbers() -> dict[str, str]:
    """Numbers whose last stored period has ended, with what became of them."""
    last: dict[str, MunicipalityPeriod] = {}
    for period in db.session.scalars(sa.select(MunicipalityPeriod)):
        known = last.get(period.code)
        if known is None or (period.valid_from or date.min) > (known.valid_from or date.min):
            last[period.code] = period
    ended = {code: p.valid_to for code, p in last.items() if p.valid_to is not None}
    if not ended:
        return {}
    into: dict[str, list[str]] = {}
    for from_code, to_code, to_name, day in db.session.execute(
        sa.select(
            MunicipalityChange.from_code,
            MunicipalityChange.to_code,
            MunicipalityChange.to_name,
            MunicipalityChange.valid_from,
        ).where(MunicipalityChange.from_code.in_(ended), MunicipalityChange.kind != "border")
    ):
        if day == ended[from_code] + timedelta(1):
            into.setdefault(from_code, []).append(f"{to_code} {to_name}")
    return {
        code: f"it became {' and '.join(sorted(into.get(code, [])))} on {end + timedelta(1)}"
        for code, end in ended.items()
    }


def stored_changes() -> list[Change]:
    return [
        Change(c.from_code, c.from_name, c.to_code, c.to_name, c.kind, c.valid_from)
        for c in db.session.scalars(sa.select(MunicipalityChange).order_by(MunicipalityChange.id))
    ]


def register_names(*, current: bool = True) -> dict[str, str]:
    """Number → name of today's register (or, with ``current=False``, of former numbers)."""
    return {
        str(code): str(name)
        for code, name in db.session.execute(
            sa.select(Municipality.code, Municipality.name).where(Municipality.current.is_(current))
        )
    }


@dataclass(frozen=True)
class HistoryCounts:
    changes: int  # stored after the load
    added: int  # of which new
    numbers: int  # numbers with a period
    former: int  # of which no longer in use
    moved: int = 0  # staff accounts' and peer groups' numbers moved to today's


def store_history(history: History) -> HistoryCounts:
    """Replace the stored changes and periods with the history's, add former numbers to
    the municipality table (not current) and mark each number current or former."""
    before = {c.key for c in stored_changes()}
    db.session.execute(sa.delete(MunicipalityPeriod))
    db.session.execute(sa.delete(MunicipalityChange))
    existing = {m.code: m for m in db.session.scalars(sa.select(Municipality))}
    former = 0
    for code, periods in history.periods.items():
        head = periods[-1]
        row = existing.get(code)
        if row is None:
            # A former number: county number from its first two digits; no source here
            # gives former county names (data/municipality-changes.md).
            db.session.add(
                Municipality(
                    code=code,
                    name=head.name,
                    county_code=code[:2],
                    county_name="",
                    current=head.current,
                )
            )
        elif not head.current:
            row.current = False
            row.name = head.name
        former += not head.current
    db.session.flush()
    db.session.execute(
        sa.insert(MunicipalityPeriod),
        [
            {"code": p.code, "name": p.name, "valid_from": p.valid_from, "valid_to": p.valid_to}
            for periods in history.periods.values()
            for p in periods
        ],
    )
    db.session.execute(
        sa.insert(MunicipalityChange),
        [
            {
                "from_code": c.from_code,
                "from_name": c.from_name,
                "to_code": c.to_code,
                "to_name": c.to_name,
                "kind": c.kind,
                "valid_from": c.valid_from,
            }
            for c in history.changes
        ],
    )
    db.session.flush()
    moved = _follow_renumbering(history)
    forget_history()
    return HistoryCounts(
        changes=len(history.changes),
        added=len({c.key for c in history.changes} - before),
        numbers=len(history.periods),
        former=former,
        moved=moved,
    )


def _follow_renumbering(history: History) -> int:
    """Staff accounts and peer groups that name a number since only renumbered (or
    renamed) name today's number instead: they meant the municipality. A number merged or
    split away stays as it is (its successor is another municipality). Audited."""
    from surveyapp.accounts.models import user_municipality
    from surveyapp.audit.operations import record
    from surveyapp.results.models import peer_group_member

    moves: dict[str, str] = {}
    for code, periods in history.periods.items():
        if periods[-1].current:
            continue
        found = history.resolve(code, periods[-1].last_year or 0)
        if found is not None and found.continuous:
            moves[code] = found.lineage.code
    if not moves:
        return 0
    moved = 0
    for table, owner, entity in (
        (user_municipality, "user_id", "user_account"),
        (peer_group_member, "group_id", "peer_group"),
    ):
        rows = db.session.execute(
            sa.select(table.c[owner], table.c.municipality_code).where(
                table.c.municipality_code.in_(sorted(moves))
            )
        ).all()
        for owner_id, old in rows:
            new = moves[old]
            taken = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(table)
                .where(table.c[owner] == owner_id, table.c.municipality_code == new)
            )
            if not taken:
                db.session.execute(
                    sa.insert(table).values({owner: owner_id, "municipality_code": new})
                )
            db.session.execute(
                sa.delete(table).where(table.c[owner] == owner_id, table.c.municipality_code == old)
            )
            record(None, "renumber", entity, owner_id, {"municipality": old}, {"municipality": new})
            moved += 1
    db.session.flush()
    return moved
