"""Whole numbers in URLs and query strings, bounded so they always fit the database.

A number above 2^63 − 1 in a URL used to reach the database and fail there (SQLite:
``OverflowError``; PostgreSQL already fails above 2^31 − 1, "integer out of range"), so
every page with an id, a page number or a year in its address answered 500, not 404.
"""

from __future__ import annotations

import re

from flask import Flask, request
from werkzeug.routing import IntegerConverter, Map

#: The largest id: the id columns are PostgreSQL ``integer`` (32 bits).
MAX_ID = 2**31 - 1
#: Page numbers beyond this are no page (page × page size must still fit an OFFSET).
MAX_PAGE = 10**9

_DIGITS = re.compile(r"[0-9]{1,19}")  # never more digits than a 64-bit number has


class BoundedIntegerConverter(IntegerConverter):
    """``<int:...>``: ASCII digits only (``\\d`` also matches other scripts' digits) and at
    most ``MAX_ID``; anything else matches no route, so the answer is 404."""

    regex = r"[0-9]+"

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)


def register_url_converters(app: Flask) -> None:
    """Replace the ``int`` converter before any route is added."""
    app.url_map.converters["int"] = BoundedIntegerConverter


def whole_number(text: str | None, low: int = 1, high: int = MAX_ID) -> int | None:
    """``text`` as a whole number from ``low`` to ``high`` in ASCII digits, else None."""
    if text is None or not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def int_arg(name: str, low: int = 1, high: int = MAX_ID) -> int | None:
    """A query-string argument as ``whole_number`` (None when missing or out of range)."""
    return whole_number(request.args.get(name), low, high)
