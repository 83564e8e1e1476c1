"""The stored history as a ``History`` for this request or command, and what an old
number means today (for URLs, command-line options and imports)."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import g

from surveyapp.extensions import db
from surveyapp.municipalities.history import Change, History, OldNumber, build_history
from surveyapp.municipalities.models import Municipality, MunicipalityChange
from surveyapp.municipalities.operations import HISTORY_CACHE

# Built histories by the exact stored rows they come from: every request reads the rows
# (two small queries) but builds the history only when they changed.
_BUILT: dict[tuple[Any, ...], History] = {}
_BUILT_MAX = 4
_LOCK = threading.Lock()


def history() -> History:
    """The register's history, read once per app context (a request or a command)."""
    cached = g.get(HISTORY_CACHE)
    if cached is None:
        changes = tuple(
            tuple(row)
            for row in db.session.execute(
                sa.select(
                    MunicipalityChange.from_code,
                    MunicipalityChange.from_name,
                    MunicipalityChange.to_code,
                    MunicipalityChange.to_name,
                    MunicipalityChange.kind,
                    MunicipalityChange.valid_from,
                ).order_by(MunicipalityChange.id)
            )
        )
        names = tuple(
            tuple(row)
            for row in db.session.execute(
                sa.select(Municipality.code, Municipality.name, Municipality.current).order_by(
                    Municipality.code
                )
            )
        )
        key = (changes, names)
        with _LOCK:
            cached = _BUILT.get(key)
        if cached is None:
            cached = _build(changes, names)
            with _LOCK:
                if len(_BUILT) >= _BUILT_MAX:
                    _BUILT.pop(next(iter(_BUILT)))
                _BUILT[key] = cached
        setattr(g, HISTORY_CACHE, cached)
    return cached


def _build(changes: tuple[Any, ...], names: tuple[Any, ...]) -> History:
    def day(value: Any) -> date:
        return value if isinstance(value, date) else date.fromisoformat(str(value))

    return build_history(
        [Change(a, b, c, d, kind, day(on)) for a, b, c, d, kind, on in changes],
        {str(code): str(name) for code, name, current in names if current},
        known={str(code): str(name) for code, name, current in names if not current},
        check_register=False,
    )


def old_number(code: str, year: int | None = None) -> OldNumber | None:
    """What a number no longer in use became (in a year, else when it was last used)."""
    return history().old_number(code, year)
