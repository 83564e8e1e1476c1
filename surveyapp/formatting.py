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

import functools
import math
import unicodedata
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
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
    numerator, denominator = Decimal(format(value, ".15g")).as_integer_ratio()
    return Fraction(numerator, denominator)


@functools.lru_cache(maxsize=256)
def _goal_percent(goal: Number) -> Fraction:
    """A target as a percentage, exactly (targets are few; tables compare thousands of
    figures with the same one)."""
    return exact(goal) * 100


def _whole(fraction: Fraction, power: int) -> int:
    """``fraction × 10**power`` rounded to a whole number, halves away from zero.

    floor(|x| + 1/2) in whole numbers, (2·num + den) // (2·den), so that tables of
    thousands of figures are rounded without Fraction arithmetic (the same result)."""
    numerator, denominator = abs(fraction.numerator), fraction.denominator
    if power >= 0:
        numerator *= 10**power
    else:
        denominator *= 10**-power
    whole = (2 * numerator + denominator) // (2 * denominator)
    return -whole if fraction.numerator < 0 else whole


def _rounded(fraction: Fraction, shift: int, decimals: int) -> Decimal:
    """``fraction × 10**shift`` to ``decimals`` places, halves away from zero."""
    whole = _whole(fraction, decimals + shift)
    rounded = Decimal(abs(whole)).scaleb(-decimals)
    return -rounded if whole < 0 else rounded


_FAST = Context(prec=40, rounding=ROUND_HALF_UP, traps=[InvalidOperation])


def _round_float(value: float, decimals: int, shift: int = 0) -> Decimal | None:
    """The same rounding for a float (× 10**shift), done on its 15-digit Decimal
    (Decimal's ROUND_HALF_UP rounds halves away from zero): several times faster than
    through a Fraction, for the thousands of scores a ranking prints. None where the
    digits do not fit the context."""
    try:
        digits = Decimal(format(value, ".15g")).scaleb(shift)
        rounded = _FAST.quantize(digits, Decimal(1).scaleb(-decimals))
    except InvalidOperation:  # too many digits for the context (huge values): the slow way
        return None
    return rounded.copy_abs() if rounded.is_zero() else rounded


def round_half_up(value: Number, decimals: int) -> Decimal:
    """``value`` rounded to ``decimals`` places, halves away from zero (Excel's rule)."""
    if type(value) is float and math.isfinite(value):
        fast = _round_float(value, decimals)
        if fast is not None:
            return fast
    return _rounded(exact(value), 0, decimals)


def round_percent(value: Number, decimals: int = 1) -> Decimal:
    """A share as a rounded percentage: 0.4625 → Decimal("46.3")."""
    if type(value) is float and math.isfinite(value):
        fast = _round_float(value, decimals, 2)
        if fast is not None:
            return fast
    return _rounded(exact(value), 2, decimals)


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
    share, shown_goal = exact(value), _goal_percent(goal)
    for decimals in range(minimum, MAX_DECIMALS + 1):
        # the rounded percentage whole / 10^decimals against the goal, in whole numbers
        whole = _whole(share, decimals + 2)
        at_or_over = whole * shown_goal.denominator >= shown_goal.numerator * 10**decimals
        if at_or_over == at_or_above:
            return decimals
    return MAX_DECIMALS


def interval_decimals(
    low: Number, high: Number, goal: Number, verdict: str, minimum: int = 1
) -> int:
    """Fewest decimals at which both rounded ends tell the verdict: above (low > target),
    below (high < target), or indistinguishable (low <= target <= high).

    ``verdict`` is "above", "below" or "indistinguishable" (stats.Verdict values).
    """
    low_exact, high_exact, shown_goal = exact(low), exact(high), _goal_percent(goal)
    goal_numerator, goal_denominator = shown_goal.numerator, shown_goal.denominator
    for decimals in range(minimum, MAX_DECIMALS + 1):
        # a rounded end whole / 10^decimals against the goal, in whole numbers
        scale = goal_numerator * 10**decimals
        shown_low = _whole(low_exact, decimals + 2) * goal_denominator
        shown_high = _whole(high_exact, decimals + 2) * goal_denominator
        if verdict == "above":
            ok = shown_low > scale
        elif verdict == "below":
            ok = shown_high < scale
        else:
            ok = shown_low <= scale <= shown_high
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
