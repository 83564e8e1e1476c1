"""One number everywhere: the plain formatting module and the Flask-free catalogues."""

from __future__ import annotations

import ast
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveyapp import catalogs, formatting
from surveyapp.formatting import MINUS, NBSP, NNBSP

PROPERTY_SETTINGS = settings(max_examples=500, deadline=None, database=None)


def _imports(path: str) -> set[str]:
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("module", [formatting, catalogs])
def test_modules_are_plain(module: object) -> None:
    assert not _imports(module.__file__) & {"flask", "flask_babel", "sqlalchemy"}  # type: ignore[attr-defined]


def excel_shows(value: float, decimals: int) -> Decimal:
    """What Excel shows for a stored number in a ``0.0%`` cell: its 15 significant digits,
    times 100, rounded half away from zero."""
    return (Decimal(f"{value:.15g}") * 100).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)


@pytest.mark.parametrize(
    ("k", "n", "nb", "en"),
    [
        (37, 80, "46,3", "46.3"),  # a float f-string said 46.2
        (63, 80, "78,8", "78.8"),  # a Decimal of the float said 78.7
        (1599, 2000, "80,0", "80.0"),
        (1, 3, "33,3", "33.3"),
        (2, 3, "66,7", "66.7"),
        (0, 7, "0,0", "0.0"),
        (7, 7, "100,0", "100.0"),
    ],
)
def test_shares_from_the_exact_fraction_half_away_from_zero(
    k: int, n: int, nb: str, en: str
) -> None:
    assert formatting.share(k, n, "nb") == nb + NBSP + "%"
    assert formatting.share(k, n, "nn") == nb + NBSP + "%"
    assert formatting.share(k, n, "en") == en + NBSP + "%"
    assert str(excel_shows(k / n, 1)) == en


def test_every_share_up_to_n_400_shows_excels_digits() -> None:
    for n in range(1, 401):
        for k in range(n + 1):
            for decimals in (1, 2):
                assert formatting.round_percent(Fraction(k, n), decimals) == excel_shows(
                    k / n, decimals
                ), (k, n, decimals)


@PROPERTY_SETTINGS
@given(st.integers(1, 10**6).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_large_shares_show_excels_digits(case: tuple[int, int]) -> None:
    k, n = case
    for decimals in (1, 2, 3):
        assert formatting.round_percent(Fraction(k, n), decimals) == excel_shows(k / n, decimals)


@PROPERTY_SETTINGS
@given(st.floats(min_value=-1.0, max_value=1.0, allow_nan=False))
def test_floats_show_excels_digits(value: float) -> None:
    assert formatting.round_percent(value, 1) == excel_shows(value, 1)


def test_norwegian_minus_comma_and_thousands() -> None:
    assert formatting.points(-0.06, "nb") == MINUS + "6,0"
    assert formatting.points(-0.06, "en") == MINUS + "6.0"
    assert formatting.points(0.0004, "nb") == "0,0"  # never "−0,0" or "+0,0"
    assert formatting.points(-0.0004, "nb") == "0,0"
    assert formatting.number(12345.25, "nb") == "12" + NNBSP + "345,3"
    assert formatting.number(1234.5, "nb", 1) == "1234,5"  # four digits stay together
    assert formatting.number(1234.5, "en", 1) == "1,234.5"
    assert formatting.count(5587, "nb") == "5587" and formatting.count(5587, "en") == "5,587"
    assert formatting.count(15587, "nn") == "15" + NNBSP + "587"
    assert formatting.number(None, "nb") == "–"
    assert formatting.percent(None, "nb") == "–"


def test_interval_and_target() -> None:
    assert formatting.interval(0.3575, 0.5710, "nb") == f"35,8{NBSP}% – 57,1{NBSP}%"
    assert formatting.target(0.8, "nb") == f"80{NBSP}%"
    assert formatting.target(0.825, "nb") == f"82,5{NBSP}%"
    assert formatting.target(0.8125, "en") == f"81.25{NBSP}%"


@pytest.mark.parametrize(
    ("p", "nb", "en"),
    [
        (0.0004, "p < 0,001", "p < 0.001"),
        (0.00099, "p < 0,001", "p < 0.001"),
        (0.001, "p = 0,001", "p = 0.001"),
        (0.052, "p = 0,052", "p = 0.052"),
        (0.10256, "p = 0,103", "p = 0.103"),
        (0.0496, "p = 0,0496", "p = 0.0496"),  # "0,050" would read as not significant
        (0.05, "p = 0,050", "p = 0.050"),
    ],
)
def test_p_values(p: float, nb: str, en: str) -> None:
    assert formatting.p_value(p, "nb") == nb
    assert formatting.p_value(p, "en") == en


@pytest.mark.parametrize(
    ("seconds", "nb", "en"),
    [
        (125.4, f"2{NBSP}min 5{NBSP}s", f"2{NBSP}min 5{NBSP}s"),
        (59.5, f"1{NBSP}min 0{NBSP}s", f"1{NBSP}min 0{NBSP}s"),
        (42, f"42{NBSP}s", f"42{NBSP}s"),
        (3720, f"1{NBSP}t 2{NBSP}min", f"1{NBSP}h 2{NBSP}min"),
    ],
)
def test_durations_in_minutes_and_seconds(seconds: float, nb: str, en: str) -> None:
    assert formatting.duration(seconds, "nb") == nb
    assert formatting.duration(seconds, "en") == en


def test_a_share_just_below_the_target_gets_the_decimals_to_say_so() -> None:
    share = Fraction(1599, 2000)
    decimals = formatting.share_decimals(share, 0.8, at_or_above=False)
    assert decimals == 2
    assert formatting.percent(share, "en", decimals) == f"79.95{NBSP}%"
    assert formatting.share_decimals(Fraction(312, 400), 0.8, at_or_above=False) == 1


def test_an_interval_end_a_hair_below_the_target() -> None:
    # 4411/5587: the Wilson interval ends at 79.99999953 %, below the target of 80 %.
    high = 0.7999999953105752
    decimals = formatting.interval_decimals(0.778624890375662, high, 0.8, "below")
    shown = formatting.round_percent(high, decimals)
    assert shown < 80 and decimals <= formatting.MAX_DECIMALS
    assert formatting.interval_decimals(0.70, 0.85, 0.8, "indistinguishable") == 1


@PROPERTY_SETTINGS
@given(
    st.floats(min_value=0, max_value=1),
    st.floats(min_value=0, max_value=1),
    st.floats(min_value=0.01, max_value=0.99),
)
def test_the_chosen_decimals_never_contradict_the_side(a: float, b: float, goal: float) -> None:
    low, high = min(a, b), max(a, b)
    verdict = formatting.side(low, high, goal)
    decimals = formatting.interval_decimals(low, high, goal, verdict)
    shown_low = Fraction(formatting.round_percent(low, decimals))
    shown_high = Fraction(formatting.round_percent(high, decimals))
    shown_goal = formatting.exact(goal) * 100
    if decimals < formatting.MAX_DECIMALS:
        if verdict == "above":
            assert shown_low > shown_goal
        elif verdict == "below":
            assert shown_high < shown_goal
        else:
            assert shown_low <= shown_goal <= shown_high


def test_pick_falls_back_to_bokmal() -> None:
    assert formatting.pick({"nb": "Hei", "en": "Hello"}, "nn") == "Hei"
    assert formatting.pick({"en": "Hello"}, "nb") == "Hello"
    assert formatting.pick(None, "nb") == ""


def test_the_catalogues_translate_without_flask() -> None:
    nb = catalogs.translator("nb")
    assert nb("Share satisfied") == "Andel fornøyde"
    assert nb("Figures resting on fewer than %(n)s answers are hidden.", n=5).startswith("Tal")
    en = catalogs.translator("en")
    assert en("95 %% interval") == "95 % interval"
    with pytest.raises(ValueError):
        catalogs.translator("de")


@given(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
    st.integers(min_value=0, max_value=6),
)
def test_the_fast_float_rounding_is_the_same_rule(value: float, decimals: int) -> None:
    from surveyapp.formatting import _rounded, exact, round_half_up

    slow = _rounded(exact(value), 0, decimals)
    fast = round_half_up(value, decimals)
    assert (fast, str(fast)) == (slow, str(slow))


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (80.95, 1, "81.0"),
        (80.9499999999, 1, "80.9"),
        (-0.04, 1, "0.0"),
        (2.5, 0, "3"),
        (-2.5, 0, "-3"),
        (1e300, 1, None),
        (0.125, 2, "0.13"),
    ],
)
def test_fast_rounding_cases(value: float, decimals: int, text: str | None) -> None:
    from surveyapp.formatting import _rounded, exact, round_half_up

    assert round_half_up(value, decimals) == _rounded(exact(value), 0, decimals)
    if text is not None:
        assert str(round_half_up(value, decimals)) == text


@given(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
    st.integers(min_value=0, max_value=6),
)
def test_the_fast_float_percentage_is_the_same_rule(value: float, decimals: int) -> None:
    from surveyapp.formatting import _rounded, exact, round_percent

    slow = _rounded(exact(value), 2, decimals)
    fast = round_percent(value, decimals)
    assert (fast, str(fast)) == (slow, str(slow))
