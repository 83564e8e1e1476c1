"""Numbers as people type them into a form. Plain data, no Flask.

Only ASCII digits count: ``str.isdigit`` and the regular expression ``\\d`` also accept
superscripts (``²``) and other scripts' digits, which ``int()`` then refuses or reads
in surprising ways. The length is bounded before anything is converted, so a
5,000-digit number costs nothing and can never become ``inf`` (``float()`` of a
400-digit number is) or exceed Python's limit on converting long digit strings.
"""

from __future__ import annotations

import re
from typing import Final

#: Digits a typed number may have: a double holds 15 significant decimal digits exactly.
MAX_DIGITS: Final = 15

# What reading a typed number can find wrong with it.
FORMAT: Final = "format"  # not a number as people write one
NOT_WHOLE: Final = "not_whole"  # has a fraction where a whole number is wanted
TOO_LOW: Final = "too_low"  # below the lowest value allowed
TOO_HIGH: Final = "too_high"  # above the highest value allowed
TOO_LONG: Final = "too_long"  # more digits than MAX_DIGITS and no bound to name instead

# Spaces people (and phones) put between thousands: space, no-break and narrow no-break.
_SPACES = re.compile("[ \t\u00a0\u202f]")
_NUMBER = re.compile(r"([-+]?)([0-9]+)(?:[.,]([0-9]+))?")
# Longer input is refused before any expression runs (the citizen pages keep 10,000
# characters of a field; a number of any length up to that gets the range message).
_MAX_TEXT = 10_000


def read_number(
    text: str,
    *,
    low: float | None = None,
    high: float | None = None,
    integer: bool = False,
    max_digits: int = MAX_DIGITS,
) -> tuple[float | None, str | None]:
    """``(value, None)`` for a typed number inside ``low``–``high``, else ``(None, problem)``.

    Accepts "12", "-3", "2,5", "2.5", "1 200" (spaces between digits); the value is
    always a finite float. ``problem`` is one of the module's constants.
    """
    cleaned = _SPACES.sub("", text.strip()) if len(text) <= _MAX_TEXT else ""
    found = _NUMBER.fullmatch(cleaned)
    if found is None:
        return None, FORMAT
    sign, whole, fraction = found.group(1), found.group(2), found.group(3) or ""
    whole = whole.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    negative = sign == "-" and (whole != "0" or bool(fraction))
    if integer and fraction:
        return None, NOT_WHOLE
    if len(whole) > max_digits:
        # Beyond every bound a question may name (bounds are ordinary numbers).
        if negative:
            return None, TOO_LOW if low is not None else TOO_LONG
        return None, TOO_HIGH if high is not None else TOO_LONG
    if len(whole) + len(fraction) > max_digits:
        return None, TOO_LONG
    value = float(f"{'-' if negative else ''}{whole}.{fraction or '0'}")
    if low is not None and value < low:
        return None, TOO_LOW
    if high is not None and value > high:
        return None, TOO_HIGH
    return value, None


def parse_number(text: str) -> float | None:
    """A finite number as people type it ("2,5", "2.5", "1 200"), or None."""
    return read_number(text)[0]


def read_whole(text: str, high: int) -> tuple[int | None, str | None]:
    """A whole number from 0 to ``high`` typed in ASCII digits, as for ``read_number``."""
    value, problem = read_number(text, low=0, high=high, integer=True)
    return (None, problem) if value is None else (int(value), None)
