"""The stored history as a ``History`` for this request or command, and what an old
number means today (for URLs, command-line options and imports)."""

from __future__ import annotations

from flask import g

from surveyapp.municipalities.history import History, OldNumber, build_history
from surveyapp.municipalities.operations import HISTORY_CACHE, register_names, stored_changes


def history() -> History:
    """The register's history, read once per app context (a request or a command)."""
    cached = g.get(HISTORY_CACHE)
    if cached is None:
        cached = build_history(
            stored_changes(),
            register_names(current=True),
            known=register_names(current=False),
            check_register=False,
        )
        setattr(g, HISTORY_CACHE, cached)
    return cached


def old_number(code: str, year: int | None = None) -> OldNumber | None:
    """What a number no longer in use became (in a year, else when it was last used)."""
    return history().old_number(code, year)
