"""Small groups stay hidden: primary and secondary suppression, checked against an attacker
who adds and subtracts everything a table shows."""

from __future__ import annotations

import ast
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from surveyapp.results import disclosure
from surveyapp.results.disclosure import Part, decide, protects, splits

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, database=None)


def test_module_is_plain() -> None:
    tree = ast.parse(Path(disclosure.__file__).read_text(encoding="utf-8"))
    imported = {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    } | {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert not imported & {"flask", "sqlalchemy", "flask_sqlalchemy"}


# --------------------------------------------------------------------------- the attacker


class Attacker:
    """Everything a reader can work out from the shown parts and the column totals.

    Unknowns per hidden part: respondents s, answers n, satisfied k (integers) with
    0 <= k <= n <= s and s >= 1 (a hidden part is not empty), or s >= 0 when the whole
    table is hidden. The hidden parts' column sums are the totals minus the shown parts.
    Each question is answered by integer programming (scipy's HiGHS), independently of
    how ``decide`` chose. Bounds are kept finite and presolve off: HiGHS's presolve
    has called small feasible problems with infinite bounds infeasible.
    """

    def __init__(self, parts: list[Part], hidden: set[str], whole: bool) -> None:
        self.hidden = [p for p in parts if p.key in hidden]
        self.h = len(self.hidden)
        self.with_k = any(p.k is not None for p in parts)
        self.sums = (
            sum(p.respondents for p in self.hidden),
            sum(p.n for p in self.hidden),
            sum(p.k or 0 for p in self.hidden),
        )
        self.floor = 0 if whole else 1
        rows, low, high = [], [], []
        width = 3 * self.h  # s_0..s_h-1, n_0.., k_0..
        for column, total in enumerate(self.sums):
            if column == 2 and not self.with_k:
                continue
            row = np.zeros(width)
            row[column * self.h : (column + 1) * self.h] = 1
            rows.append(row)
            low.append(total)
            high.append(total)
        for i in range(self.h):
            for big, small in ((0, 1), (1, 2)):  # n <= s, k <= n
                row = np.zeros(width)
                row[big * self.h + i] = 1
                row[small * self.h + i] = -1
                rows.append(row)
                low.append(0)
                high.append(self.sums[0])
        self.base = [LinearConstraint(np.array(rows), low, high)]
        lower = np.zeros(width)
        lower[: self.h] = self.floor
        upper = np.repeat(np.array(self.sums, dtype=float), self.h)
        self.bounds = Bounds(lower, upper)

    def _optimum(
        self, objective: np.ndarray, extra: tuple[LinearConstraint, ...] = ()
    ) -> float | None:
        result = milp(
            objective,
            constraints=[*self.base, *extra],
            integrality=np.ones(3 * self.h),
            bounds=self.bounds,
            options={"presolve": False},
        )
        return None if result.status != 0 else float(result.fun)

    def range_of(self, column: int, i: int) -> tuple[float, float]:
        c = np.zeros(3 * self.h)
        c[column * self.h + i] = 1
        low = self._optimum(c)
        high = self._optimum(-c)
        assert low is not None and high is not None
        return low, -high

    def share_is_known(self, i: int) -> bool:
        part = self.hidden[i]
        if part.k is None or part.n == 0:
            return False
        ratio = Fraction(part.k, part.n)
        for sign in (1, -1):
            # q k_i - p n_i >= 1 (or <= -1): another share, with n_i >= 1
            row = np.zeros(3 * self.h)
            row[2 * self.h + i] = sign * ratio.denominator
            row[self.h + i] = -sign * ratio.numerator
            answered = np.zeros(3 * self.h)
            answered[self.h + i] = 1
            big = float(ratio.denominator + ratio.numerator) * self.sums[0] + 1
            extra = (LinearConstraint(row, 1, big), LinearConstraint(answered, 1, big))
            if self._optimum(np.zeros(3 * self.h), extra) is not None:
                return False
        return True


@st.composite
def breakdowns(draw: st.DrawFn) -> tuple[list[Part], int]:
    min_size = draw(st.sampled_from([3, 5, 10]))
    count = draw(st.integers(min_value=2, max_value=7))
    separate_sizes = draw(st.booleans())
    with_shares = draw(st.booleans())
    parts = []
    for i in range(count):
        size = draw(st.one_of(st.integers(0, 2 * min_size), st.integers(0, 60)))
        n = draw(st.integers(0, size)) if separate_sizes else size
        k = draw(st.integers(0, n)) if with_shares else None
        parts.append(Part(f"g{i}", n, k, size if separate_sizes else None))
    return parts, min_size


@PROPERTY_SETTINGS
@given(breakdowns())
def test_no_hidden_cell_is_determined_by_the_shown_cells_and_the_totals(
    case: tuple[list[Part], int],
) -> None:
    parts, min_size = case
    decision = decide(parts, min_size)
    small = {p.key for p in parts if any(0 < c < min_size for c in (p.n, p.respondents))}
    assert small <= decision.hidden  # every small part is hidden
    if not decision.hidden:
        return
    attacker = Attacker(parts, set(decision.hidden), decision.whole)
    total_k = sum(p.k or 0 for p in parts)
    total_n = sum(p.n for p in parts)
    column_totals = (sum(p.respondents for p in parts), total_n)
    for i, part in enumerate(attacker.hidden):
        for column in (0, 1):  # respondents and answers (the n columns)
            if column_totals[column] == 0:
                continue  # a total of nothing tells every part anyway
            low, high = attacker.range_of(column, i)
            assert low < high, (part, column, decision)
        if total_k not in (0, total_n):  # a 0 % or 100 % total tells every share anyway
            assert not attacker.share_is_known(i), (part, decision)


@PROPERTY_SETTINGS
@given(breakdowns())
def test_the_attacker_would_find_a_lone_hidden_part(case: tuple[list[Part], int]) -> None:
    """The check above has teeth: with primary suppression only, a lone small part among
    shown ones is pinned down exactly (the total minus the rest)."""
    parts, min_size = case
    small = [p for p in parts if 0 < p.respondents < min_size and p.n == p.respondents]
    if len(small) != 1:
        return
    attacker = Attacker(parts, {small[0].key}, whole=False)
    low, high = attacker.range_of(0, 0)
    assert low == high == small[0].respondents


# --------------------------------------------------------------------------- the rule


def test_the_issue_example_letter_three_of_409() -> None:
    """Headline 319/409; letter has 3 answers: hiding it alone gives it away (409 minus
    the rest), so the next smallest group is hidden too."""
    parts = [
        Part("phone", 160, 125),
        Part("email", 120, 95),
        Part("web", 80, 63),
        Part("in_person", 46, 34),
        Part("letter", 3, 2),
    ]
    decision = decide(parts, 5)
    assert decision.small == {"letter"}
    assert decision.hidden == {"letter", "in_person"}
    assert not decision.whole
    assert not protects(parts, {"letter"})


def test_the_complement_mixes_satisfied_and_not() -> None:
    # letter: 3 of 3 satisfied; the smallest other group is all satisfied too, so both
    # hidden shares would read 100 %: the next group with someone not satisfied is added.
    parts = [Part("a", 50, 20), Part("b", 30, 12), Part("c", 8, 8), Part("letter", 3, 3)]
    decision = decide(parts, 5)
    assert decision.hidden == {"letter", "b"}


def test_a_breakdown_without_small_parts_hides_nothing() -> None:
    parts = [Part("a", 50, 20), Part("b", 5, 1), Part("empty", 0, 0)]
    assert decide(parts, 5) == disclosure.Decision(frozenset(), frozenset())


def test_empty_parts_are_shown_and_never_chosen_to_protect() -> None:
    parts = [Part("a", 50, 20), Part("b", 40, 10), Part("empty", 0, 0), Part("c", 2, 1)]
    decision = decide(parts, 5)
    assert "empty" not in decision.hidden and decision.hidden == {"c", "b"}


def test_when_nothing_can_protect_the_whole_table_goes() -> None:
    # Five groups of one answer each: hidden, their sizes would all be known to be one.
    parts = [Part(f"g{i}", 1, i % 2) for i in range(5)] + [Part("empty", 0, 0)]
    decision = decide(parts, 5)
    assert decision.whole and decision.hidden == {p.key for p in parts}
    assert not decision.shows("empty")


def test_parts_beside_a_total_of_the_shown_parts_need_no_complement() -> None:
    parts = [Part("5501", 100, 80), Part("1804", 4, 3), Part("1806", 40, 31)]
    decision = decide(parts, 5, total_shown=False)
    assert decision.hidden == {"1804"}


def test_a_part_is_small_by_its_respondents_or_its_answers() -> None:
    # letter: 3 respondents of whom none answered the indicator (n = 0).
    parts = [Part("phone", 60, 40, size=61), Part("web", 30, 20), Part("letter", 0, 0, size=3)]
    decision = decide(parts, 5)
    assert "letter" in decision.small
    assert len(decision.hidden) >= 2


@pytest.mark.parametrize(
    ("values", "expected"),
    [({"phone", "in_person"}, True), ({"phone"}, False), ({"letter", "in_person"}, False)],
)
def test_a_condition_splitting_the_hidden_parts(values: set[str], expected: bool) -> None:
    assert splits({"letter", "in_person"}, values) is expected


def test_bad_parts_are_refused() -> None:
    with pytest.raises(ValueError):
        Part("a", 3, 4)
    with pytest.raises(ValueError):
        Part("a", 5, 1, size=4)
    with pytest.raises(ValueError):
        decide([Part("a", 1), Part("a", 2)], 5)
    with pytest.raises(ValueError):
        decide([Part("a", 1)], 0)
