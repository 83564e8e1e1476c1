"""Numbers as text, one way in every output: pages, charts, workbooks, CSV, PDF and the CLI.

Plain Python (no Flask): the language is a parameter ("nb", "nn" or "en").

The rounding rule (docs/statistics.md, "One number everywhere"):

* A share k/n is rounded from the exact fraction, half away from zero. Excel shows a
  stored number by taking its 15 significant digits and rounding half away from zero,
  so a share stored as the float k/n and formatted ``0.0%`` shows the same digits
  (37/80 → 46.3 %, 63/80 → 78.8 %, 1599/2000 → 80.0 %).
* Any other number (an interval end, a mean) is rounded the way Excel shows it: its
  15 significant digits, half away from zero.
* Where a rounded share or interval end would sit on the other side of the target
  than its verdict says, more decimals are shown (``share_decimals``,
  ``interval_decimals``); the target itself is always shown exactly (``target``).

Norwegian text uses a decimal comma, a narrow no-break space between thousands (from
five digits), U+2212 as the minus sign and a no-break space before "%"; English uses a
decimal point and commas between thousands. p-values below 0.001 read "p < 0,001".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

MINUS = "\u2212"
NBSP = "\u00a0"  # between a number and "%"
NNBSP = "\u202f"  # between thousands in Norwegian
DASH = "\u2013"  # between the ends of an interval
NORWEGIAN = ("nb", "nn")
MAX_DECIMALS = 12
P_FLOOR = Decimal("0.001")

Number = int | float | Fraction | Decimal


def is_norwegian(language: str) -> bool:
    return language in NORWEGIAN


def pick(texts: Mapping[str, str] | None, language: str) -> str:
    """One language's text from a translation map, falling back to bokmål."""
    if not texts:
        return ""
    return texts.get(language) or texts.get("nb") or next(iter(texts.values()), "")


def pick_with_language(
    texts: Mapping[str, str] | None, language: str, fallback: str = "nb"
) -> tuple[str, str]:
    """One language's text and the language it is in: the reader's, else ``fallback``'s,
    else bokmål's, else any. A page marks text in another language with ``lang``."""
    if not texts:
        return "", language
    for candidate in (language, fallback, "nb", *texts):
        if texts.get(candidate):
            return texts[candidate], candidate
    return "", language


_SORT_LETTERS = str.maketrans({"æ": "{", "ä": "{", "ø": "|", "ö": "|", "å": "}"})


def norwegian_sort_key(text: str) -> str:
    """Alphabetical order as a Norwegian reader expects: a–z, then æ, ø, å; Sámi letters
    (á, č, đ, ŋ, š, ŧ, ž) with their base letters."""
    folded = text.casefold().translate(_SORT_LETTERS)
    plain = unicodedata.normalize("NFKD", folded.replace("đ", "d").replace("ŧ", "t"))
    return "".join(ch for ch in plain if not unicodedata.combining(ch)).replace("ŋ", "n")


# --------------------------------------------------------------------------- rounding


def exact(value: Number) -> Fraction:
    """The value the rounding starts from: a fraction as it is, a float as Excel keeps it
    (its 15 significant digits)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, Decimal):
        return Fraction(value)
    return Fraction(Decimal(format(value, ".15g")))


def round_half_up(value: Number, decimals: int) -> Decimal:
    """``value`` rounded to ``decimals`` places, halves away from zero (Excel's rule)."""
    fraction = exact(value)
    scaled = abs(fraction) * 10**decimals
    whole = int(scaled + Fraction(1, 2))  # floor(x + 1/2) for x >= 0
    rounded = Decimal(whole).scaleb(-decimals)
    return -rounded if fraction < 0 and whole else rounded


def round_percent(value: Number, decimals: int = 1) -> Decimal:
    """A share as a rounded percentage: 0.4625 → Decimal("46.3")."""
    return round_half_up(exact(value) * 100, decimals)


# --------------------------------------------------------------------------- text


def _digits(rounded: Decimal, language: str, group_from: int | None = None) -> str:
    """A rounded number in the language's writing, with U+2212 for minus."""
    negative = rounded < 0
    text = format(abs(rounded), "f")
    whole, _, fraction = text.partition(".")
    if group_from is None:
        group_from = 5 if is_norwegian(language) else 4
    if len(whole) >= group_from:
        separator = NNBSP if is_norwegian(language) else ","
        groups: list[str] = []
        while whole:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = separator.join(groups)
    decimal_sign = "," if is_norwegian(language) else "."
    body = whole + (decimal_sign + fraction if fraction else "")
    return (MINUS if negative else "") + body


def number(value: Number | None, language: str, decimals: int = 1) -> str:
    """A number: "1 234,5" (nb), "1,234.5" (en); "–" when there is none."""
    if value is None:
        return DASH
    return _digits(round_half_up(value, decimals), language)


def count(value: int | None, language: str) -> str:
    """A count of answers or responses: "12 345" (nb), "12,345" (en)."""
    if value is None:
        return DASH
    return _digits(Decimal(value), language)


def percent(value: Number | None, language: str, decimals: int = 1) -> str:
    """A share as a percentage: 0.4625 → "46,3 %" (nb), "46.3 %" (en)."""
    if value is None:
        return DASH
    return _digits(round_percent(value, decimals), language) + NBSP + "%"


def share(k: int, n: int, language: str, decimals: int = 1) -> str:
    """The share k/n as a percentage, rounded from the exact fraction."""
    return percent(Fraction(k, n), language, decimals)


def interval(low: Number, high: Number, language: str, decimals: int = 1) -> str:
    """Both ends of an interval of shares: "35,7 % – 57,1 %"."""
    return f"{percent(low, language, decimals)} {DASH} {percent(high, language, decimals)}"


def points(value: Number | None, language: str, decimals: int = 1) -> str:
    """A difference of shares in percentage points, signed: −0.06 → "−6,0"."""
    if value is None:
        return DASH
    return _digits(round_percent(value, decimals), language)


def target(value: Number, language: str) -> str:
    """A target exactly as set, without trailing zeros: 0.8 → "80 %", 0.825 → "82,5 %"."""
    figure = (exact(value) * 100).limit_denominator(10**MAX_DECIMALS)
    decimals = 0
    while decimals < MAX_DECIMALS and (figure * 10**decimals).denominator != 1:
        decimals += 1
    return percent(exact(value), language, decimals)


def p_value(value: float | None, language: str, alpha: float = 0.05) -> str:
    """ "p = 0,052", or "p < 0,001" rather than a misleading "p = 0,000".

    Three decimals, more where three would put p on the other side of ``alpha`` than it
    is (p = 0.0496 reads "p = 0,0496", not "p = 0,050").
    """
    if value is None:
        return DASH
    if exact(value) < Fraction(P_FLOOR):
        return "p < " + _digits(P_FLOOR, language)
    decimals = 3
    significant = exact(value) < exact(alpha)
    while (
        decimals < MAX_DECIMALS
        and (Fraction(round_half_up(value, decimals)) < exact(alpha)) != significant
    ):
        decimals += 1
    return "p = " + _digits(round_half_up(value, decimals), language)


def duration(seconds: Number | None, language: str) -> str:
    """Seconds as minutes and seconds: 125.4 → "2 min 5 s"; an hour or more "1 t 2 min"."""
    if seconds is None:
        return DASH
    total = int(round_half_up(seconds, 0))
    sign = MINUS if total < 0 else ""
    total = abs(total)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    hour = "t" if is_norwegian(language) else "h"
    if hours:
        return f"{sign}{hours}{NBSP}{hour} {minutes}{NBSP}min"
    if minutes:
        return f"{sign}{minutes}{NBSP}min {secs}{NBSP}s"
    return f"{sign}{secs}{NBSP}s"


# --------------------------------------------------------------------------- decimals that
# keep a rounded figure on the side of the target its verdict says


def share_decimals(value: Number, goal: Number, at_or_above: bool, minimum: int = 1) -> int:
    """Fewest decimals at which the rounded percentage stands where the share does:
    at or above the target exactly when the share is (1599/2000 reads "79.95 %")."""
    shown_goal = exact(goal) * 100
    for decimals in range(minimum, MAX_DECIMALS + 1):
        if (Fraction(round_percent(value, decimals)) >= shown_goal) == at_or_above:
            return decimals
    return MAX_DECIMALS


def interval_decimals(
    low: Number, high: Number, goal: Number, verdict: str, minimum: int = 1
) -> int:
    """Fewest decimals at which both rounded ends tell the verdict: above (low > target),
    below (high < target), or indistinguishable (low <= target <= high).

    ``verdict`` is "above", "below" or "indistinguishable" (stats.Verdict values).
    """
    shown_goal = exact(goal) * 100
    for decimals in range(minimum, MAX_DECIMALS + 1):
        shown_low = Fraction(round_percent(low, decimals))
        shown_high = Fraction(round_percent(high, decimals))
        if verdict == "above":
            ok = shown_low > shown_goal
        elif verdict == "below":
            ok = shown_high < shown_goal
        else:
            ok = shown_low <= shown_goal <= shown_high
        if ok:
            return decimals
    return MAX_DECIMALS


def side(low: Number, high: Number, reference: Number = 0) -> str:
    """Where an interval lies against a reference: "above", "below" or "indistinguishable"."""
    if exact(low) > exact(reference):
        return "above"
    if exact(high) < exact(reference):
        return "below"
    return "indistinguishable"
