"""The statistics core, pinned to published reference values and to scipy."""

from __future__ import annotations

import ast
import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import scipy.stats as sps
from hypothesis import given, settings
from hypothesis import strategies as st

from surveyapp.formatting import MAX_DECIMALS
from surveyapp.results import stats
from surveyapp.results.stats import (
    Interval,
    QuartileBand,
    Verdict,
    compare_rating_counts,
    compare_ratings,
    compare_to_target,
    difference,
    index_from_counts,
    is_suppressed,
    judge,
    margin_of_error,
    mean_from_counts,
    peer_summary,
    percent,
    precision,
    proportion,
    sample_size_for_margin,
    sample_size_to_distinguish,
    to_index,
    trend,
)

# Published figures are rounded to 4 decimals: a correct value lies within half a unit.
ROUNDED_4DP = 0.5e-4 + 1e-12

PROPERTY_SETTINGS = settings(max_examples=400, deadline=None, database=None)


def test_module_imports_neither_flask_nor_sqlalchemy() -> None:
    tree = ast.parse(Path(stats.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.update(f"{node.module}.{alias.name}" for alias in node.names)
    top = {name.split(".")[0] for name in imported}
    assert not top & {"flask", "flask_sqlalchemy", "sqlalchemy"}
    # Only the other plain cores: the one rounding rule and the one suppression rule.
    assert {name for name in imported if name.startswith("surveyapp")} == {
        "surveyapp.formatting",
        "surveyapp.results.disclosure",
    }


# ---------------------------------------------------------------------------
# Single proportion: Newcombe (1998), Stat Med 17:857-872, worked examples.

NEWCOMBE_SINGLE = [
    # k, n, Wilson (method 3), Clopper-Pearson exact (method 5)
    (81, 263, (0.2553, 0.3662), (0.2527, 0.3676)),
    (15, 148, (0.0624, 0.1605), (0.0578, 0.1617)),
    (0, 20, (0.0, 0.1611), (0.0, 0.1684)),
    (1, 29, (0.0061, 0.1718), (0.0009, 0.1776)),
]


@pytest.mark.parametrize(("k", "n", "wilson", "exact"), NEWCOMBE_SINGLE)
def test_wilson_matches_newcombe_1998(
    k: int, n: int, wilson: tuple[float, float], exact: tuple[float, float]
) -> None:
    result = proportion(k, n)
    assert result.interval.method == "wilson"
    assert result.share == k / n
    assert result.interval.low == pytest.approx(wilson[0], abs=ROUNDED_4DP)
    assert result.interval.high == pytest.approx(wilson[1], abs=ROUNDED_4DP)


@pytest.mark.parametrize(("k", "n", "wilson", "exact"), NEWCOMBE_SINGLE)
def test_clopper_pearson_matches_newcombe_1998(
    k: int, n: int, wilson: tuple[float, float], exact: tuple[float, float]
) -> None:
    result = proportion(k, n, method="clopper-pearson")
    assert result.interval.method == "clopper-pearson"
    assert result.interval.low == pytest.approx(exact[0], abs=ROUNDED_4DP)
    assert result.interval.high == pytest.approx(exact[1], abs=ROUNDED_4DP)


def _binomial_upper_tail(k: int, n: int, p: Fraction) -> Fraction:
    """P(X >= k) for X ~ Bin(n, p), in exact rational arithmetic."""
    return sum((math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1)), Fraction(0))


def test_clopper_pearson_lower_limit_for_15_of_148_rounds_to_0_0578() -> None:
    # The brief quoted 0.0579. The exact lower limit solves P(X >= 15 | p) = 0.025; the
    # tail at p = 0.0578 is still below 0.025 and at 0.05785 already above it, so the
    # limit lies in (0.0578, 0.05785) and rounds to 0.0578, as Newcombe's table gives.
    assert _binomial_upper_tail(15, 148, Fraction("0.0578")) < Fraction(1, 40)
    assert _binomial_upper_tail(15, 148, Fraction("0.05785")) > Fraction(1, 40)
    low = proportion(15, 148, method="clopper-pearson").interval.low
    assert 0.0578 < low < 0.05785


@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95, 0.99])
@pytest.mark.parametrize(
    ("k", "n"), [(0, 1), (1, 1), (0, 7), (3, 7), (7, 7), (81, 263), (312, 400), (4999, 5000)]
)
def test_intervals_agree_with_scipy_binomtest(k: int, n: int, confidence: float) -> None:
    test = sps.binomtest(k, n)
    wilson = test.proportion_ci(confidence_level=confidence, method="wilson")
    exact = test.proportion_ci(confidence_level=confidence, method="exact")
    ours_wilson = proportion(k, n, confidence).interval
    ours_exact = proportion(k, n, confidence, method="clopper-pearson").interval
    assert ours_wilson.low == pytest.approx(wilson.low, abs=1e-12)
    assert ours_wilson.high == pytest.approx(wilson.high, abs=1e-12)
    assert ours_exact.low == pytest.approx(exact.low, abs=1e-12)
    assert ours_exact.high == pytest.approx(exact.high, abs=1e-12)


@pytest.mark.parametrize(("k", "n"), [(1, 29), (15, 148), (81, 263), (28, 29)])
def test_clopper_pearson_is_the_beta_quantile_form(k: int, n: int) -> None:
    result = proportion(k, n, method="clopper-pearson").interval
    assert result.low == pytest.approx(sps.beta.ppf(0.025, k, n - k + 1), abs=1e-12)
    assert result.high == pytest.approx(sps.beta.ppf(0.975, k + 1, n - k), abs=1e-12)


@pytest.mark.parametrize(
    ("k", "n", "kwargs", "message"),
    [
        (1, 0, {}, "at least 1"),
        (-1, 10, {}, "between 0 and n"),
        (11, 10, {}, "between 0 and n"),
        (1, 10, {"confidence": 1.0}, "confidence"),
        (1, 10, {"confidence": 0.0}, "confidence"),
        (1, 10, {"method": "wald"}, "method"),
    ],
)
def test_proportion_rejects_bad_input(k: int, n: int, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        proportion(k, n, **kwargs)


# ---------------------------------------------------------------------------
# Target verdicts


@pytest.mark.parametrize(
    ("k", "n", "verdict", "at_or_above"),
    [
        (312, 400, Verdict.INDISTINGUISHABLE, False),
        (330, 400, Verdict.INDISTINGUISHABLE, True),
        (380, 400, Verdict.ABOVE, True),
        (280, 400, Verdict.BELOW, False),
        (4, 4, Verdict.INDISTINGUISHABLE, True),
        (0, 4, Verdict.BELOW, False),
    ],
)
def test_compare_to_target(k: int, n: int, verdict: Verdict, at_or_above: bool) -> None:
    result = compare_to_target(k, n, target=0.80)
    assert result.verdict is verdict
    assert result.point_at_or_above is at_or_above
    assert result.target == 0.80
    assert result.proportion == proportion(k, n)


def test_verdict_values_are_plain_strings() -> None:
    assert [v.value for v in Verdict] == ["above", "below", "indistinguishable"]
    assert Verdict.ABOVE == "above"


@pytest.mark.parametrize("method", ["wilson", "clopper-pearson"])
def test_target_on_an_interval_endpoint_is_indistinguishable(method: str) -> None:
    interval = proportion(312, 400, method=method).interval
    for endpoint in (interval.low, interval.high):
        comparison = compare_to_target(312, 400, target=endpoint, method=method)
        assert comparison.verdict is Verdict.INDISTINGUISHABLE


def test_the_wilson_verdict_is_the_score_test() -> None:
    # Wilson inverts the score test: the target lies outside the interval exactly
    # when |p - t| / sqrt(t(1 - t)/n) > z.
    z = sps.norm.ppf(0.975)
    n = 250
    for k in range(n + 1):
        for target in (0.5, 0.8, 0.9):
            statistic = abs(k / n - target) / math.sqrt(target * (1 - target) / n)
            verdict = compare_to_target(k, n, target).verdict
            assert (verdict is not Verdict.INDISTINGUISHABLE) == (statistic > z)


@pytest.mark.parametrize("target", [0.0, 1.0, -0.2, 80.0])
def test_compare_to_target_rejects_target_outside_open_unit_interval(target: float) -> None:
    with pytest.raises(ValueError, match="target"):
        compare_to_target(10, 20, target=target)


@st.composite
def counts_and_target(draw: st.DrawFn) -> tuple[int, int, float, str, float]:
    n = draw(st.integers(min_value=1, max_value=5000))
    k = draw(st.integers(min_value=0, max_value=n))
    method = draw(st.sampled_from(["wilson", "clopper-pearson"]))
    confidence = draw(st.sampled_from([0.8, 0.9, 0.95, 0.99]))
    interval = proportion(k, n, confidence, method).interval
    where = draw(st.sampled_from(["free", "low", "high", "share"]))
    candidate = {"low": interval.low, "high": interval.high, "share": k / n}.get(where)
    if candidate is None or not 0.0 < candidate < 1.0:
        candidate = draw(
            st.floats(min_value=0.0, max_value=1.0, exclude_min=True, exclude_max=True)
        )
    return k, n, candidate, method, confidence


@PROPERTY_SETTINGS
@given(counts_and_target())
def test_verdict_never_disagrees_with_the_interval(
    case: tuple[int, int, float, str, float],
) -> None:
    k, n, target, method, confidence = case
    result = compare_to_target(k, n, target, confidence, method)
    interval = result.proportion.interval
    assert 0.0 <= interval.low <= result.proportion.share <= interval.high <= 1.0
    if interval.low <= target <= interval.high:
        assert result.verdict is Verdict.INDISTINGUISHABLE
    if result.verdict is Verdict.ABOVE:
        assert interval.low > target
    if result.verdict is Verdict.BELOW:
        assert interval.high < target
    assert result.point_at_or_above == (k / n >= target)
    # Shown at the precision `precision` picks, the figures tell the same story; the
    # target is shown as set.
    shown = precision(result)
    low, high = percent(interval.low, shown.interval), percent(interval.high, shown.interval)
    shown_target = Fraction(Decimal(format(target, ".15g"))) * 100
    if shown.interval < MAX_DECIMALS:
        if result.verdict is Verdict.ABOVE:
            assert low > shown_target
        elif result.verdict is Verdict.BELOW:
            assert high < shown_target
        else:
            assert low <= shown_target <= high
    if shown.share < MAX_DECIMALS:
        shown_share = percent(Fraction(k, n), shown.share)
        assert (shown_share >= shown_target) == result.point_at_or_above


def _first_case_needing_more_decimals() -> tuple[int, int]:
    for n in range(100, 5001):
        for k in range(int(0.8 * n), n + 1):
            low = proportion(k, n).interval.low
            if 0.8 < low < 0.8005:
                return k, n
            if low > 0.8005:
                break
    raise AssertionError("no case found")


def test_precision_reveals_a_lower_limit_just_above_the_target() -> None:
    k, n = _first_case_needing_more_decimals()
    result = compare_to_target(k, n, 0.8)
    assert result.verdict is Verdict.ABOVE
    assert percent(result.proportion.interval.low, 1) == percent(0.8, 1)  # would mislead
    decimals = precision(result).interval
    assert decimals > 1
    assert percent(result.proportion.interval.low, decimals) > 80


def test_precision_reveals_a_point_just_below_the_target() -> None:
    result = compare_to_target(3999, 5000, 0.8)
    assert precision(result).share == 2
    assert str(percent(result.proportion.share, 2)) == "79.98"
    assert precision(compare_to_target(312, 400, 0.8)) == stats.Precision(1, 1)


@pytest.mark.parametrize(
    ("k", "n", "share", "share_decimals"),
    [(1599, 2000, "79.95", 2), (4411, 5587, "79.0", 1), (37, 80, "46.3", 1), (63, 80, "78.8", 1)],
)
def test_precision_of_the_issue_cases(k: int, n: int, share: str, share_decimals: int) -> None:
    result = judge(k, n, 0.8)
    shown = precision(result)
    assert shown.share == share_decimals
    assert str(percent(Fraction(k, n), shown.share)) == share
    if (k, n) == (4411, 5587):  # the interval ends at 79.99999953 %: missed, just
        assert result.verdict is Verdict.BELOW
        assert percent(result.proportion.interval.high, shown.interval) < 80
        assert shown.interval < MAX_DECIMALS


def test_percent_rounds_halves_away_from_zero_like_excel() -> None:
    assert percent(37 / 80) == Decimal("46.3")  # half to even said 46.2
    assert percent(63 / 80) == Decimal("78.8")  # a Decimal of the float said 78.7
    assert percent(Fraction(1599, 2000)) == Decimal("80.0")


# ---------------------------------------------------------------------------
# Difference of two proportions: Newcombe (1998), Stat Med 17:873-890, method 10.

NEWCOMBE_DIFFERENCE = [
    (56, 70, 48, 80, (0.0524, 0.3339)),
    (9, 10, 3, 10, (0.1705, 0.8090)),
    (6, 7, 2, 7, (0.0582, 0.8062)),
    (5, 56, 0, 29, (-0.0381, 0.1926)),
    (0, 10, 0, 20, (-0.1611, 0.2775)),
    (0, 10, 0, 10, (-0.2775, 0.2775)),
    (10, 10, 0, 20, (0.6791, 1.0)),
    (10, 10, 0, 10, (0.6075, 1.0)),
]


@pytest.mark.parametrize(("k1", "n1", "k2", "n2", "expected"), NEWCOMBE_DIFFERENCE)
def test_difference_matches_newcombe_method_10(
    k1: int, n1: int, k2: int, n2: int, expected: tuple[float, float]
) -> None:
    result = difference(k1, n1, k2, n2)
    assert result.estimate == pytest.approx(k1 / n1 - k2 / n2)
    assert result.interval.method == "newcombe-hybrid-score"
    assert result.interval.low == pytest.approx(expected[0], abs=ROUNDED_4DP)
    assert result.interval.high == pytest.approx(expected[1], abs=ROUNDED_4DP)


@pytest.mark.parametrize(("k1", "n1", "k2", "n2", "expected"), NEWCOMBE_DIFFERENCE)
def test_difference_p_value_is_fishers_exact(
    k1: int, n1: int, k2: int, n2: int, expected: tuple[float, float]
) -> None:
    result = difference(k1, n1, k2, n2)
    reference = sps.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]], alternative="two-sided")
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-12)
    assert result.test == "fisher-exact-two-sided"


def test_difference_rejects_bad_counts() -> None:
    with pytest.raises(ValueError, match="between 0 and n"):
        difference(11, 10, 1, 10)
    with pytest.raises(ValueError, match="at least 1"):
        difference(1, 10, 0, 0)


@PROPERTY_SETTINGS
@given(
    st.integers(1, 3000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.integers(1, 3000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
)
def test_difference_interval_is_within_bounds_and_contains_estimate(
    first: tuple[int, int], second: tuple[int, int]
) -> None:
    result = difference(*first, *second)
    assert -1.0 <= result.interval.low <= result.estimate <= result.interval.high <= 1.0
    assert 0.0 <= result.p_value <= 1.0


# ---------------------------------------------------------------------------
# Ratings, means and indices


def test_compare_ratings_matches_scipy() -> None:
    a = [5, 4, 4, 5, 3, 5, 4, 2, 5, 4]
    b = [3, 2, 4, 3, 1, 3, 2, 4, 3]
    reference = sps.mannwhitneyu(a, b, alternative="two-sided")
    result = compare_ratings(a, b)
    assert result.u_statistic == reference.statistic
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-12)
    assert (result.n1, result.n2) == (10, 9)
    assert result.p_value < 0.05


def test_compare_rating_counts_equals_the_expanded_lists() -> None:
    counts_a = {1: 12, 2: 30, 3: 80, 4: 150, 5: 95}
    counts_b = {1: 20, 2: 41, 3: 90, 4: 120, 5: 60, 6: 0}
    expanded_a = [value for value, count in counts_a.items() for _ in range(count)]
    expanded_b = [value for value, count in counts_b.items() for _ in range(count)]
    assert compare_rating_counts(counts_a, counts_b) == compare_ratings(expanded_a, expanded_b)


def test_identical_groups_are_not_different() -> None:
    result = compare_rating_counts({3: 10}, {3: 7})
    assert result.p_value == 1.0
    assert result.u_statistic == 35.0


@pytest.mark.parametrize(
    ("a", "b"), [([], [1.0]), ([1.0], []), ([1.0, math.nan], [2.0]), ([1.0], [math.inf])]
)
def test_compare_ratings_rejects_empty_or_non_finite(a: list[float], b: list[float]) -> None:
    with pytest.raises(ValueError):
        compare_ratings(a, b)


def test_compare_rating_counts_rejects_negative_and_empty_tables() -> None:
    with pytest.raises(ValueError, match="negative"):
        compare_rating_counts({1: -1, 2: 5}, {1: 3})
    with pytest.raises(ValueError, match="at least one"):
        compare_rating_counts({1: 0}, {1: 3})


def test_mean_from_counts_matches_the_expanded_sample() -> None:
    counts = {1: 3, 2: 5, 3: 11, 4: 20, 5: 9}
    sample = np.repeat(np.array(list(counts), dtype=float), list(counts.values()))
    result = mean_from_counts(counts)
    low, high = sps.t.interval(0.95, sample.size - 1, loc=sample.mean(), scale=sps.sem(sample))
    assert result.n == 48
    assert result.mean == pytest.approx(sample.mean(), rel=1e-12)
    assert result.sd == pytest.approx(sample.std(ddof=1), rel=1e-12)
    assert result.interval is not None
    assert result.interval.method == "t"
    assert result.interval.low == pytest.approx(low, rel=1e-12)
    assert result.interval.high == pytest.approx(high, rel=1e-12)


def test_mean_of_a_single_answer_has_no_sd_or_interval() -> None:
    result = mean_from_counts({4: 1, 5: 0})
    assert result == stats.Mean(mean=4.0, sd=None, n=1, interval=None)


def test_mean_from_counts_needs_an_answer() -> None:
    with pytest.raises(ValueError, match="at least one"):
        mean_from_counts({})


@pytest.mark.parametrize(
    ("value", "scale_min", "scale_max", "expected"),
    [
        (1, 1, 5, 0.0),
        (2, 1, 5, 25.0),
        (3, 1, 5, 50.0),
        (4, 1, 5, 75.0),
        (5, 1, 5, 100.0),
        (-3, -3, 3, 0.0),
        (0, -3, 3, 50.0),
        (3, -3, 3, 100.0),
        (4.5, 1, 6, 70.0),
    ],
)
def test_to_index(value: float, scale_min: float, scale_max: float, expected: float) -> None:
    assert to_index(value, scale_min, scale_max) == pytest.approx(expected)


@pytest.mark.parametrize(("value", "scale_min", "scale_max"), [(0, 1, 5), (6, 1, 5), (3, 5, 5)])
def test_to_index_rejects_values_off_the_scale(
    value: float, scale_min: float, scale_max: float
) -> None:
    with pytest.raises(ValueError):
        to_index(value, scale_min, scale_max)


def test_index_from_counts_is_the_mean_index_clipped_to_0_100() -> None:
    result = index_from_counts({1: 10, 2: 20, 3: 30, 4: 25, 5: 15}, 1, 5)
    assert result.mean == pytest.approx((0 * 10 + 25 * 20 + 50 * 30 + 75 * 25 + 100 * 15) / 100)
    assert result.n == 100
    wide = index_from_counts({1: 1, 5: 1}, 1, 5)
    assert wide.mean == 50.0
    assert wide.interval == Interval(0.0, 100.0, "t")
    all_best = index_from_counts({5: 12}, 1, 5)
    assert all_best.interval == Interval(100.0, 100.0, "t")


# ---------------------------------------------------------------------------
# Trend


def test_trend_matches_r_prop_trend_test_example() -> None:
    # R's ?prop.trend.test: smokers <- c(83, 90, 129, 70); patients <- c(86, 93, 136, 82)
    # gives X-squared = 8.2249, df = 1, p-value = 0.004132 (scores 1:4).
    points = [(2001, 83, 86), (2002, 90, 93), (2003, 129, 136), (2004, 70, 82)]
    result = trend(points)
    assert result.test == "cochran-armitage"
    assert result.years == (2001, 2002, 2003, 2004)
    assert result.p_value == pytest.approx(0.004132, abs=5e-7)
    assert result.interval is not None
    half_width = result.interval.high - result.slope_per_year
    chi_square = (result.slope_per_year / (half_width / sps.norm.ppf(0.975))) ** 2
    assert chi_square == pytest.approx(8.2249, abs=5e-5)


def test_trend_slope_is_the_least_squares_slope_of_the_answers() -> None:
    points = [(2019, 140, 220), (2020, 150, 230), (2022, 171, 240), (2023, 160, 210)]
    result = trend(points)
    years = np.array([p[0] for p in points], dtype=float)
    k = np.array([p[1] for p in points], dtype=float)
    n = np.array([p[2] for p in points], dtype=float)
    weighted = np.polyfit(years, k / n, 1, w=np.sqrt(n))[0]
    answers_x = np.repeat(years, n.astype(int))
    answers_y = np.concatenate(
        [[1.0] * int(ki) + [0.0] * int(ni - ki) for ki, ni in zip(k, n, strict=True)]
    )
    assert result.slope_per_year == pytest.approx(weighted, rel=1e-9)
    assert result.slope_per_year == pytest.approx(sps.linregress(answers_x, answers_y).slope)


def test_clearly_increasing_series_has_a_significant_positive_trend() -> None:
    points = [(2020, 120, 200), (2021, 136, 200), (2022, 150, 200), (2023, 164, 200)]
    result = trend(points)
    assert result.slope_per_year > 0
    assert result.slope_per_year == pytest.approx(0.074, abs=0.005)
    assert result.p_value < 0.001
    assert result.interval is not None and result.interval.low > 0


def test_flat_series_has_no_trend() -> None:
    result = trend([(2021, 150, 200), (2022, 150, 200), (2023, 150, 200)])
    assert result.slope_per_year == pytest.approx(0.0, abs=1e-15)
    assert result.p_value == pytest.approx(1.0)
    assert result.interval is not None
    assert result.interval.low < 0 < result.interval.high


def test_trend_pools_points_of_the_same_year() -> None:
    split = trend([(2021, 50, 100), (2021, 60, 100), (2022, 120, 200), (2023, 130, 200)])
    pooled = trend([(2021, 110, 200), (2022, 120, 200), (2023, 130, 200)])
    assert split == pooled
    assert split.years == (2021, 2022, 2023)


def test_trend_without_any_variation_has_no_interval() -> None:
    result = trend([(2021, 40, 40), (2022, 30, 30), (2023, 50, 50)])
    assert result.slope_per_year == 0.0
    assert result.p_value == 1.0
    assert result.interval is None


@pytest.mark.parametrize(
    "points",
    [[], [(2021, 1, 2)], [(2021, 1, 2), (2022, 1, 2)], [(2021, 1, 2), (2021, 1, 2), (2022, 1, 2)]],
)
def test_trend_needs_three_distinct_years(points: list[tuple[int, int, int]]) -> None:
    with pytest.raises(ValueError, match="3 distinct years"):
        trend(points)


def test_trend_rejects_bad_counts() -> None:
    with pytest.raises(ValueError):
        trend([(2021, 5, 4), (2022, 1, 2), (2023, 1, 2)])


@PROPERTY_SETTINGS
@given(
    st.lists(
        st.integers(5, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
        min_size=3,
        max_size=8,
    )
)
def test_trend_interval_excludes_zero_exactly_when_significant(
    series: list[tuple[int, int]],
) -> None:
    result = trend([(2015 + i, k, n) for i, (k, n) in enumerate(series)])
    if result.interval is None:
        assert result.p_value == 1.0
        return
    assert result.interval.low <= result.slope_per_year <= result.interval.high
    if abs(result.p_value - 0.05) > 1e-9:
        excludes_zero = result.interval.low > 0 or result.interval.high < 0
        assert excludes_zero == (result.p_value < 0.05)


# ---------------------------------------------------------------------------
# Margins and sample sizes


@pytest.mark.parametrize(
    ("n", "share", "points"),
    # DOMAIN.md §2, Sentio: 300 answers ±5.7 (50/50) and ±3.4 (10/90); 400 ±4.9 / ±2.9.
    [(300, 0.5, 5.7), (300, 0.1, 3.4), (400, 0.5, 4.9), (400, 0.1, 2.9), (400, 0.9, 2.9)],
)
def test_margin_of_error_reproduces_the_published_orientation_figures(
    n: int, share: float, points: float
) -> None:
    assert round(100 * margin_of_error(n, share), 1) == points


def test_margin_of_error_with_finite_population() -> None:
    assert margin_of_error(300, population=300) == 0.0
    assert margin_of_error(300, population=1000) < margin_of_error(300)
    assert margin_of_error(300, population=10**9) == pytest.approx(margin_of_error(300))
    with pytest.raises(ValueError, match="population"):
        margin_of_error(300, population=200)


def test_sample_size_for_margin() -> None:
    assert sample_size_for_margin(0.05) == 385  # 1.96^2 * 0.25 / 0.05^2 = 384.1 -> 385
    assert sample_size_for_margin(0.03) == 1068
    assert sample_size_for_margin(0.05, expected_share=0.1) == 139
    # Krejcie & Morgan (1970): N = 1000 needs 278 for +/-5 points at 95 %.
    assert sample_size_for_margin(0.05, population=1000) == 278
    assert sample_size_for_margin(0.05, population=50) <= 50
    assert sample_size_for_margin(0.05, population=1) == 1


@pytest.mark.parametrize("n", [300, 400, 1000])
@pytest.mark.parametrize("share", [0.5, 0.1])
def test_sample_size_for_margin_inverts_margin_of_error(n: int, share: float) -> None:
    assert sample_size_for_margin(margin_of_error(n, share), share) == n


def _power_of_the_verdict(share: float, target: float, n: int) -> float:
    """Exact chance that the Wilson verdict tells share apart from target, in the right way."""
    wanted = Verdict.ABOVE if share > target else Verdict.BELOW
    hits = [k for k in range(n + 1) if compare_to_target(k, n, target).verdict is wanted]
    return float(sps.binom.pmf(hits, n, share).sum())


@pytest.mark.parametrize("share", [0.70, 0.75, 0.78, 0.85, 0.90])
def test_sample_size_to_distinguish_gives_about_80_percent_power(share: float) -> None:
    n = sample_size_to_distinguish(share, target=0.80, power=0.80)
    assert 100 <= n <= 5000
    assert _power_of_the_verdict(share, 0.80, n) == pytest.approx(0.80, abs=0.03)


def test_sample_size_to_distinguish_formula() -> None:
    # ((1.96 * sqrt(0.8 * 0.2) + 0.8416 * sqrt(0.75 * 0.25)) / 0.05)^2 = 527.5
    assert sample_size_to_distinguish(0.75) == 528
    assert sample_size_to_distinguish(0.75, power=0.9) > 528
    assert sample_size_to_distinguish(0.75, confidence=0.99) > 528
    with pytest.raises(ValueError, match="equals the target"):
        sample_size_to_distinguish(0.8, target=0.8)


# ---------------------------------------------------------------------------
# Small numbers and peers


@pytest.mark.parametrize(
    ("n", "min_size", "hidden"), [(0, 5, True), (4, 5, True), (5, 5, False), (9, 10, True)]
)
def test_is_suppressed(n: int, min_size: int, hidden: bool) -> None:
    assert is_suppressed(n, min_size) is hidden


def test_is_suppressed_defaults_and_validation() -> None:
    assert stats.MIN_GROUP_SIZE == 5
    assert is_suppressed(4) and not is_suppressed(5)
    with pytest.raises(ValueError):
        is_suppressed(-1)
    with pytest.raises(ValueError):
        is_suppressed(3, min_group_size=0)


PEERS = [
    ("0301", 80, 100),  # 0.80 rank 1
    ("1103", 14, 20),  # 0.70 rank 2
    ("4601", 35, 50),  # 0.70 rank 2 (tie)
    ("5001", 6, 10),  # 0.60 rank 4
    ("1506", 2, 4),  # suppressed (n < 5)
    ("3201", 0, 0),  # suppressed (no answers)
]


@pytest.mark.parametrize(
    ("own", "rank", "band"),
    [
        ("0301", 1, QuartileBand.TOP),
        ("1103", 2, QuartileBand.MIDDLE),
        ("4601", 2, QuartileBand.MIDDLE),
        ("5001", 4, QuartileBand.BOTTOM),
    ],
)
def test_peer_summary_ranks_with_ties(own: str, rank: int, band: QuartileBand) -> None:
    summary = peer_summary(PEERS, own)
    assert summary.own_rank == rank
    assert summary.band is band
    assert summary.n_ranked == 4
    assert summary.count_suppressed == 2
    assert summary.mean_share == pytest.approx((0.8 + 0.7 + 0.7 + 0.6) / 4)
    assert summary.best_share == 0.8 and summary.worst_share == 0.6
    assert summary.pooled == proportion(135, 180)
    assert summary.own is not None
    assert summary.own.share == next(k / n for code, k, n in PEERS if code == own)


def test_peer_summary_compares_shares_exactly() -> None:
    big = 3 * 10**17
    values = [("a", 10**17, big), ("b", 2 * 10**17, 2 * big), ("c", 10**17 + 1, big)]
    assert (10**17 + 1) / big == 10**17 / big  # as floats these would tie
    assert [peer_summary(values, code).own_rank for code in "abc"] == [2, 2, 1]


def test_peer_summary_with_suppressed_own_figure() -> None:
    summary = peer_summary(PEERS, "1506")
    assert summary.own is None and summary.own_rank is None and summary.band is None
    assert summary.n_ranked == 4
    assert summary.count_suppressed == 2


def test_peer_summary_respects_a_configured_minimum() -> None:
    summary = peer_summary(PEERS, "0301", min_group_size=30)
    assert summary.n_ranked == 2  # 0301 (n = 100) and 4601 (n = 50)
    assert summary.count_suppressed == 4
    assert summary.own_rank == 1


def test_peer_summary_bands_by_mid_rank_percentile() -> None:
    twelve = [(f"m{i:02d}", 10 + i, 30) for i in range(12)]
    bands = [peer_summary(twelve, f"m{i:02d}").band for i in range(12)]
    assert bands.count(QuartileBand.TOP) == 3
    assert bands.count(QuartileBand.BOTTOM) == 3
    assert bands[-3:] == [QuartileBand.TOP] * 3  # highest shares
    assert bands[:3] == [QuartileBand.BOTTOM] * 3
    alone = peer_summary([("a", 5, 10)], "a")
    assert (alone.own_rank, alone.n_ranked, alone.band) == (1, 1, QuartileBand.MIDDLE)
    all_tied = [(c, 5, 10) for c in "abcdef"]
    assert {peer_summary(all_tied, c).band for c in "abcdef"} == {QuartileBand.MIDDLE}
    assert {peer_summary(all_tied, c).own_rank for c in "abcdef"} == {1}


def test_peer_summary_when_everything_is_suppressed() -> None:
    summary = peer_summary([("a", 1, 3), ("b", 2, 4)], "a")
    assert summary.n_ranked == 0
    assert summary.mean_share is None and summary.pooled is None
    assert summary.count_suppressed == 2


@pytest.mark.parametrize(
    ("values", "own", "message"),
    [
        ([("a", 5, 10), ("a", 6, 10)], "a", "only once"),
        ([("a", 5, 10)], "b", "not among"),
        ([("a", 11, 10)], "a", "between 0 and n"),
    ],
)
def test_peer_summary_rejects_bad_input(
    values: list[tuple[str, int, int]], own: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        peer_summary(values, own)


# ---------------------------------------------------------------------------
# Very small samples: below SMALL_SAMPLE answers the verdict uses the exact interval.


@pytest.mark.parametrize(
    ("k", "n", "wilson_verdict", "exact_p"),
    [(2, 5, Verdict.BELOW, 0.058), (16, 16, Verdict.ABOVE, 0.055)],
)
def test_small_samples_are_judged_by_the_exact_interval(
    k: int, n: int, wilson_verdict: Verdict, exact_p: float
) -> None:
    # Wilson alone calls these met or missed although the exact test cannot tell them apart.
    assert compare_to_target(k, n, 0.8).verdict is wilson_verdict
    assert sps.binomtest(k, n, 0.8).pvalue == pytest.approx(exact_p, abs=0.0005)
    judged = judge(k, n, 0.8)
    assert judged.proportion.interval.method == stats.CLOPPER_PEARSON
    assert judged.verdict is Verdict.INDISTINGUISHABLE


@pytest.mark.parametrize(
    ("n", "method"),
    [(5, "clopper-pearson"), (29, "clopper-pearson"), (30, "wilson"), (400, "wilson")],
)
def test_interval_method_switches_at_the_documented_size(n: int, method: str) -> None:
    assert stats.SMALL_SAMPLE == 30
    assert stats.interval_method(n) == method
    assert judge(n // 2, n).proportion.interval.method == method


@PROPERTY_SETTINGS
@given(st.integers(1, 29).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_small_sample_verdicts_agree_with_the_exact_test(case: tuple[int, int]) -> None:
    """Below 30 answers a target is met or missed only when the exact two-sided test
    (doubled smaller tail, the test the Clopper-Pearson interval inverts) rejects it."""
    k, n = case
    judged = judge(k, n, 0.8)
    tails = min(sps.binom.cdf(k, n, 0.8), sps.binom.sf(k - 1, n, 0.8))
    rejected = min(1.0, 2 * tails) < 0.05
    assert (judged.verdict is not Verdict.INDISTINGUISHABLE) == rejected


# ---------------------------------------------------------------------------
# The difference and its test: the verdict follows the interval, disagreement is flagged.


def test_the_reference_case_where_interval_and_fisher_disagree() -> None:
    result = difference(6, 7, 2, 7)  # Newcombe (1998b): .058 to .806; Fisher p = .103
    assert result.interval.low == pytest.approx(0.0582, abs=ROUNDED_4DP)
    assert result.p_value == pytest.approx(0.1026, abs=0.0001)
    assert result.direction == "up"
    assert not result.significant
    assert not result.agrees


@pytest.mark.parametrize(
    ("counts", "direction", "agrees"),
    [
        ((56, 70, 48, 80), "up", True),
        ((50, 100, 50, 100), "none", True),
        ((40, 100, 60, 100), "down", True),
    ],
)
def test_difference_direction_and_agreement(
    counts: tuple[int, int, int, int], direction: str, agrees: bool
) -> None:
    result = difference(*counts)
    assert result.direction == direction
    assert result.agrees is agrees
    assert result.alpha == pytest.approx(0.05)


# ---------------------------------------------------------------------------
# The sample-size planner refuses degenerate inputs.


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_sample_size_refuses_a_share_of_0_or_1(share: float) -> None:
    with pytest.raises(ValueError, match="a share of 0 or 1"):
        sample_size_for_margin(0.05, expected_share=share)
    with pytest.raises(ValueError, match="a share of 0 or 1"):
        sample_size_to_distinguish(share, target=0.8)
