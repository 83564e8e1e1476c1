"""Typed numbers: ASCII digits only, bounded length, finite values inside the bounds."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from surveyapp import typed_numbers
from surveyapp.questionnaires.definition import parse_definition
from surveyapp.surveys import flow
from surveyapp.typed_numbers import (
    FORMAT,
    NOT_WHOLE,
    TOO_HIGH,
    TOO_LONG,
    TOO_LOW,
    parse_number,
    read_number,
    read_whole,
)

# Characters people, phones and attackers type into number fields.
NUMBERISH = st.lists(
    st.sampled_from(list("0123456789 ,.-+eE_\u00a0\u202f²³¹٣०߀９") + ["inf", "nan"]),
    max_size=60,
).map("".join)
BOUNDS = st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False))


@given(
    text=st.one_of(NUMBERISH, st.text(max_size=60)), low=BOUNDS, high=BOUNDS, integer=st.booleans()
)
@example(text="1" * 400, low=None, high=None, integer=False)
@example(text="1" * 5000, low=0.0, high=None, integer=True)
@example(text="9" * 309, low=None, high=None, integer=False)
def test_a_reading_is_a_finite_value_inside_the_bounds_or_a_problem(
    text: str, low: float | None, high: float | None, integer: bool
) -> None:
    value, problem = read_number(text, low=low, high=high, integer=integer)
    assert (value is None) != (problem is None)
    if value is None:
        assert problem in (FORMAT, NOT_WHOLE, TOO_LOW, TOO_HIGH, TOO_LONG)
        return
    assert math.isfinite(value)
    assert low is None or value >= low
    assert high is None or value <= high
    assert not integer or value.is_integer()


OTHER_DIGITS = st.characters(categories=["Nd", "No"]).filter(lambda c: not "0" <= c <= "9")
ASCII_DIGITS = st.text(alphabet="0123456789", max_size=10)


@given(before=ASCII_DIGITS, digit=OTHER_DIGITS, after=ASCII_DIGITS)
@example(before="", digit="²", after="")
def test_only_ascii_digits_count(before: str, digit: str, after: str) -> None:
    """``str.isdigit`` and ``\\d`` accept ``²`` and other scripts' digits; a number does not."""
    assert parse_number(before + digit + after) is None
    assert read_whole(before + digit + after, 10**6)[0] is None


@given(number=st.integers(-(10**15) + 1, 10**15 - 1))
def test_whole_numbers_read_back(number: int) -> None:
    assert read_number(str(number), integer=True) == (float(number), None)
    assert read_number(f"{number:,}".replace(",", "\u00a0")) == (float(number), None)


@given(number=st.decimals(-(10**9), 10**9, places=4, allow_nan=False, allow_infinity=False))
def test_decimals_read_back_with_either_decimal_sign(number: object) -> None:
    text = str(number)
    assert parse_number(text) == float(text)
    assert parse_number(text.replace(".", ",")) == float(text)


@pytest.mark.parametrize(
    ("text", "kwargs", "expected"),
    [
        ("2,5", {}, (2.5, None)),
        (" 1 200 ", {}, (1200.0, None)),
        ("1\u202f200", {}, (1200.0, None)),
        ("-0", {"low": 0}, (0.0, None)),
        ("007", {"integer": True}, (7.0, None)),
        ("2,50", {"integer": True}, (None, NOT_WHOLE)),
        ("2,0", {"integer": True}, (2.0, None)),
        ("²", {}, (None, FORMAT)),
        ("1e309", {}, (None, FORMAT)),
        ("NaN", {}, (None, FORMAT)),
        ("1_000", {}, (None, FORMAT)),
        ("1" * 400, {}, (None, TOO_LONG)),
        ("1" * 400, {"high": 100}, (None, TOO_HIGH)),
        ("-" + "1" * 400, {"low": 0}, (None, TOO_LOW)),
        ("-" + "1" * 400, {"high": 0}, (None, TOO_LONG)),
        ("0," + "1" * 20, {}, (None, TOO_LONG)),
        ("1" * 10_001, {"high": 5}, (None, FORMAT)),
        ("100,5", {"high": 100}, (None, TOO_HIGH)),
    ],
)
def test_examples(text: str, kwargs: dict[str, float], expected: tuple[object, object]) -> None:
    assert read_number(text, **kwargs) == expected  # type: ignore[arg-type]


def test_whole_numbers_for_durations() -> None:
    assert read_whole("59", 59) == (59, None)
    assert read_whole("60", 59) == (None, TOO_HIGH)
    assert read_whole("-1", 59) == (None, TOO_LOW)
    assert read_whole("1" * 5000, 120) == (None, TOO_HIGH)
    assert read_whole("³", 120) == (None, FORMAT)


@settings(max_examples=200)
@given(
    posted=st.fixed_dictionaries(
        {
            "n": st.lists(st.one_of(NUMBERISH, st.text(max_size=20)), max_size=2),
            "d__min": st.lists(st.one_of(NUMBERISH, st.text(max_size=20)), max_size=2),
            "d__sec": st.lists(st.one_of(NUMBERISH, st.text(max_size=20)), max_size=2),
            "r": st.lists(
                st.one_of(NUMBERISH, st.sampled_from(["1", "2", "dont_know"])), max_size=2
            ),
        }
    )
)
def test_stored_rows_are_finite_and_inside_the_questions_range(posted: flow.RawInputs) -> None:
    """Whatever a draft holds (the back button saves unchecked input), the rows to store
    are valid: answer_rows never raises and never stores what the page would refuse."""
    rows = flow.answer_rows(_DEFINITION, posted)
    for row in rows:
        if row.value_num is not None:
            assert math.isfinite(row.value_num)
        if row.question_code == "n":
            assert row.value_num is not None and 1 <= row.value_num <= 10
        if row.question_code == "d":
            assert row.value_num is not None and 0 <= row.value_num <= 90 * 60 + 59
        if row.question_code == "r":
            assert row.option in ("1", "2", "dont_know")


_DEFINITION = parse_definition(
    """\
format: 1
code: numbers
kind: survey
title: {nb: Tall, nn: Tal, en: Numbers}
sections:
  - code: one
    title: {nb: En, nn: Ein, en: One}
    questions:
      - {code: n, type: number, min: 1, max: 10, integer: false, text: {nb: N, nn: N, en: N}}
      - {code: d, type: duration, max_minutes: 90, text: {nb: D, nn: D, en: D}}
      - code: r
        type: rating
        dont_know: true
        text: {nb: R, nn: R, en: R}
        options:
          - {value: 1, label: {nb: A, nn: A, en: A}}
          - {value: 2, label: {nb: B, nn: B, en: B}}
""",
    "numbers.yaml",
)


def test_max_digits_keeps_every_value_exact() -> None:
    assert typed_numbers.MAX_DIGITS == 15
    assert parse_number("9" * 15) == 999_999_999_999_999.0
    assert parse_number("9" * 16) is None
