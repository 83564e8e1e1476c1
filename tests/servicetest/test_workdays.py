"""Norwegian working days and reply times in working days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveyapp.servicetest.workdays import (
    add_working_days,
    clock_start,
    is_working_day,
    working_days_between,
    working_days_in,
)

NOON = time(12, 0)


def at(day: str, clock: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}")


@pytest.mark.parametrize(
    ("day", "working"),
    [
        # Easter 2025: Maundy Thursday 17 Apr, Good Friday 18, Easter Monday 21.
        ("2025-04-16", True),
        ("2025-04-17", False),
        ("2025-04-18", False),
        ("2025-04-19", False),
        ("2025-04-20", False),
        ("2025-04-21", False),
        ("2025-04-22", True),
        # Easter 2026: 2, 3 and 6 April.
        ("2026-04-01", True),
        ("2026-04-02", False),
        ("2026-04-03", False),
        ("2026-04-06", False),
        ("2026-04-07", True),
        # 17 May on a weekday: Monday in 2027 (also Whit Monday), Thursday in 2029.
        ("2027-05-17", False),
        ("2027-05-18", True),
        ("2029-05-16", True),
        ("2029-05-17", False),
        ("2029-05-18", True),
        # 1 May, Ascension Day and Whit Monday 2025.
        ("2025-05-01", False),
        ("2025-05-29", False),
        ("2025-05-30", True),
        ("2025-06-09", False),
        # Christmas: Christmas Eve is a working day, 25 and 26 December are not.
        ("2025-12-24", True),
        ("2025-12-25", False),
        ("2025-12-26", False),
        ("2026-01-01", False),
        ("2026-01-02", True),
        # An ordinary weekend and an ordinary Monday.
        ("2025-03-01", False),
        ("2025-03-02", False),
        ("2025-03-03", True),
    ],
)
def test_is_working_day(day: str, working: bool) -> None:
    assert is_working_day(date.fromisoformat(day)) is working


def test_every_sunday_is_off_and_a_plain_year_has_the_right_count() -> None:
    # 2025: 261 weekdays minus 9 holidays on weekdays (17 May is a Saturday).
    days = working_days_in(date(2025, 1, 1), date(2025, 12, 31))
    assert len(days) == 252
    assert all(d.weekday() < 5 for d in days)
    # 2026: 261 weekdays minus 8 holidays on weekdays (17 May is a Sunday).
    assert len(working_days_in(date(2026, 1, 1), date(2026, 12, 31))) == 253


@pytest.mark.parametrize(
    ("sent", "replied", "days"),
    [
        (at("2025-03-03", "10:00"), at("2025-03-03", "16:00"), 0),  # same working day
        (at("2025-03-03", "10:00"), at("2025-03-04", "15:00"), 1),  # Monday → Tuesday
        (at("2025-03-03", "10:00"), at("2025-03-05", "08:00"), 2),
        (at("2025-03-07", "14:00"), at("2025-03-10", "09:00"), 1),  # Friday → Monday
        (at("2025-03-07", "14:00"), at("2025-03-08", "09:00"), 0),  # Friday → Saturday
        # Easter 2025: Wednesday before → Tuesday after is one working day.
        (at("2025-04-16", "11:00"), at("2025-04-22", "15:00"), 1),
        # Sent on Maundy Thursday: the clock starts on Tuesday 22 April.
        (at("2025-04-17", "11:00"), at("2025-04-22", "15:00"), 0),
        (at("2025-04-17", "11:00"), at("2025-04-23", "15:00"), 1),
        # Easter 2026.
        (at("2026-04-01", "11:00"), at("2026-04-07", "15:00"), 1),
        (at("2026-04-02", "11:00"), at("2026-04-08", "15:00"), 1),
        # 17 May 2029 is a Thursday; 17 May 2027 a Monday (and Whit Monday).
        (at("2029-05-16", "11:00"), at("2029-05-18", "11:00"), 1),
        (at("2027-05-14", "11:00"), at("2027-05-18", "11:00"), 1),
        # Ascension Day 2025 (Thursday 29 May) and Whit Monday (9 June).
        (at("2025-05-28", "11:00"), at("2025-05-30", "11:00"), 1),
        (at("2025-06-06", "11:00"), at("2025-06-10", "11:00"), 1),
        # Christmas 2025: 24 Dec counts, 25 and 26 do not.
        (at("2025-12-23", "11:00"), at("2025-12-29", "11:00"), 2),
        # Sent at the weekend: the clock starts on Monday.
        (at("2025-03-08", "11:00"), at("2025-03-09", "11:00"), 0),
        (at("2025-03-08", "11:00"), at("2025-03-10", "11:00"), 0),
        (at("2025-03-08", "11:00"), at("2025-03-11", "11:00"), 1),
    ],
)
def test_working_days_between(sent: datetime, replied: datetime, days: int) -> None:
    assert working_days_between(sent, replied) == days


@pytest.mark.parametrize(
    ("sent", "replied", "days"),
    [
        (at("2025-03-03", "11:59"), at("2025-03-04", "09:00"), 1),
        (at("2025-03-03", "12:00"), at("2025-03-04", "09:00"), 0),  # counts as sent Tuesday
        (at("2025-03-03", "12:00"), at("2025-03-05", "09:00"), 1),
        (at("2025-03-07", "13:00"), at("2025-03-10", "09:00"), 0),  # Friday afternoon
        (at("2025-03-08", "13:00"), at("2025-03-11", "09:00"), 1),  # Saturday: Monday anyway
        (at("2025-04-16", "13:00"), at("2025-04-22", "09:00"), 0),  # before Easter
    ],
)
def test_cutoff_time_moves_late_mails_to_the_next_working_day(
    sent: datetime, replied: datetime, days: int
) -> None:
    assert working_days_between(sent, replied, cutoff=NOON) == days


def test_cutoff_changes_the_start_day() -> None:
    assert clock_start(at("2025-03-03", "11:00"), NOON) == date(2025, 3, 3)
    assert clock_start(at("2025-03-03", "12:30"), NOON) == date(2025, 3, 4)
    assert clock_start(at("2025-04-16", "12:30"), NOON) == date(2025, 4, 22)


def test_aware_times_are_counted_in_norwegian_local_time() -> None:
    # 22:30 UTC on Monday 2 June 2025 is 00:30 on Tuesday in Oslo (CEST).
    sent = datetime(2025, 6, 2, 22, 30, tzinfo=UTC)
    replied = datetime(2025, 6, 3, 10, 0, tzinfo=UTC)
    assert working_days_between(sent, replied) == 0
    assert working_days_between(sent.replace(tzinfo=None), replied.replace(tzinfo=None)) == 1


def test_reply_before_sending_is_an_error() -> None:
    with pytest.raises(ValueError, match="before sending"):
        working_days_between(at("2025-03-04"), at("2025-03-03"))


def test_mixing_naive_and_aware_times_is_an_error() -> None:
    with pytest.raises(ValueError, match="naive"):
        working_days_between(at("2025-03-03"), datetime(2025, 3, 4, tzinfo=UTC))


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2025-03-07", 1, "2025-03-10"),  # Friday + 1 = Monday
        ("2025-03-03", 0, "2025-03-03"),
        ("2025-03-08", 0, "2025-03-10"),  # Saturday: the clock starts Monday
        ("2025-03-08", 1, "2025-03-11"),
        ("2025-04-16", 1, "2025-04-22"),  # over Easter 2025
        ("2025-04-16", 2, "2025-04-23"),
        ("2027-05-14", 1, "2027-05-18"),  # over 17 May 2027
        ("2025-04-22", -1, "2025-04-16"),
        ("2025-04-19", -1, "2025-04-15"),  # from Easter Saturday: back to 16th, then 15th
    ],
)
def test_add_working_days(start: str, n: int, expected: str) -> None:
    assert add_working_days(date.fromisoformat(start), n) == date.fromisoformat(expected)


def test_working_days_in_skips_easter_and_weekends() -> None:
    days = working_days_in(date(2025, 4, 14), date(2025, 4, 25))
    assert [d.day for d in days] == [14, 15, 16, 22, 23, 24, 25]
    assert working_days_in(date(2025, 4, 25), date(2025, 4, 14)) == []


dates = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))


@given(sent=dates, span=st.integers(min_value=0, max_value=400))
def test_reply_time_matches_a_day_by_day_count(sent: date, span: int) -> None:
    replied = sent + timedelta(days=span)
    start = clock_start(datetime.combine(sent, time(9)))
    expected = len(working_days_in(start + timedelta(days=1), replied))
    assert (
        working_days_between(datetime.combine(sent, time(9)), datetime.combine(replied, time(9)))
        == expected
    )


@given(start=dates, n=st.integers(min_value=0, max_value=30))
def test_add_working_days_inverts_the_reply_count(start: date, n: int) -> None:
    target = add_working_days(start, n)
    assert is_working_day(target)
    assert (
        working_days_between(datetime.combine(start, time(9)), datetime.combine(target, time(15)))
        == n
    )


def test_days_declared_closed_are_not_working_days() -> None:
    christmas_eve = date(2026, 12, 24)  # a Thursday: a working day by law
    assert is_working_day(christmas_eve)
    closed = ((12, 24), (12, 31))
    assert not is_working_day(christmas_eve, closed)
    assert not is_working_day(date(2027, 12, 31), closed)  # every year
    assert working_days_in(date(2026, 12, 21), date(2026, 12, 31), closed) == [
        date(2026, 12, 21),
        date(2026, 12, 22),
        date(2026, 12, 23),
        date(2026, 12, 28),
        date(2026, 12, 29),
        date(2026, 12, 30),
    ]
    sent = datetime(2026, 12, 23, 16, 0)
    assert working_days_between(sent, datetime(2026, 12, 28, 9, 0)) == 2
    assert working_days_between(sent, datetime(2026, 12, 28, 9, 0), closed=closed) == 1
    assert add_working_days(date(2026, 12, 23), 1, closed) == date(2026, 12, 28)
    assert (
        working_days_between(datetime(2027, 2, 26, 10), datetime(2027, 3, 1, 10), closed=((2, 29),))
        == 1
    )  # 29 February in a common year closes nothing
