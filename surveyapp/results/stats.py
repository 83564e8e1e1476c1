"""Statistics core: shares with intervals, target verdicts, comparisons, trends, sample sizes.

Plain data in, plain data out: no Flask, no database. Shares are fractions in [0, 1];
"points" means percentage points. Background: DOMAIN.md §2 (80 % target), §4, §5.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

import numpy as np
from scipy import stats as sps

from surveyapp import formatting
from surveyapp.results import disclosure

__all__ = [
    "CLOPPER_PEARSON",
    "Counts",
    "METHODS",
    "MIN_GROUP_SIZE",
    "SMALL_SAMPLE",
    "WILSON",
    "Difference",
    "Interval",
    "Mean",
    "PeerSummary",
    "Precision",
    "Proportion",
    "QuartileBand",
    "RatingComparison",
    "TargetComparison",
    "Trend",
    "Verdict",
    "compare_rating_counts",
    "compare_ratings",
    "compare_to_target",
    "difference",
    "index_from_counts",
    "interval_method",
    "is_suppressed",
    "judge",
    "margin_of_error",
    "mean_from_counts",
    "peer_summary",
    "percent",
    "precision",
    "proportion",
    "sample_size_for_margin",
    "sample_size_to_distinguish",
    "to_index",
    "trend",
]

MIN_GROUP_SIZE = disclosure.MIN_GROUP_SIZE
"""Figures based on fewer answers than this are hidden (DOMAIN.md §5); a setting."""

WILSON = "wilson"
CLOPPER_PEARSON = "clopper-pearson"
METHODS = (WILSON, CLOPPER_PEARSON)

SMALL_SAMPLE = 30
"""Below this many answers a share's interval (and so its verdict) is the exact
Clopper-Pearson interval instead of Wilson's (docs/statistics.md, "Very small samples")."""

# value -> number of answers, as an SQL GROUP BY returns it (Mapping keys are invariant).
Counts = Mapping[float, int] | Mapping[int, int]


# ---------------------------------------------------------------------------
# Result types


@dataclass(frozen=True)
class Interval:
    """A confidence interval and the method that produced it."""

    low: float
    high: float
    method: str


@dataclass(frozen=True)
class Proportion:
    """A share k/n with its confidence interval."""

    k: int
    n: int
    share: float
    interval: Interval


class Verdict(StrEnum):
    """How a share relates to a target, judged only from the interval shown."""

    ABOVE = "above"
    BELOW = "below"
    INDISTINGUISHABLE = "indistinguishable"


@dataclass(frozen=True)
class TargetComparison:
    """A share, the target and the verdict; point_at_or_above is share >= target."""

    proportion: Proportion
    target: float
    verdict: Verdict
    point_at_or_above: bool


@dataclass(frozen=True)
class Difference:
    """Difference of two shares (first minus second) with interval and p-value.

    The verdict on a difference follows the interval (``direction``); ``agrees`` says
    whether the test at the interval's level (alpha = 1 - confidence) decides the same,
    so that every output can say plainly when the two disagree.
    """

    estimate: float
    interval: Interval
    p_value: float
    test: str
    alpha: float = 0.05

    @property
    def direction(self) -> str:
        """ "up" or "down" when the interval lies wholly above or below 0, else "none"."""
        if self.interval.low > 0:
            return "up"
        if self.interval.high < 0:
            return "down"
        return "none"

    @property
    def significant(self) -> bool:
        """Whether the test rejects "no difference" at level alpha."""
        return self.p_value < self.alpha

    @property
    def agrees(self) -> bool:
        """Whether the interval and the test say the same (both a change or neither)."""
        return (self.direction != "none") == self.significant


@dataclass(frozen=True)
class Precision:
    """Decimals (of a percentage) to show a share and its interval with, so that neither
    reads as being on the other side of the target than its verdict says."""

    share: int
    interval: int


@dataclass(frozen=True)
class RatingComparison:
    """Mann-Whitney U comparison of two groups of ratings (U is for the first group)."""

    u_statistic: float
    p_value: float
    n1: int
    n2: int


@dataclass(frozen=True)
class Mean:
    """A mean with sample SD and t-interval; sd and interval are None when n == 1."""

    mean: float
    sd: float | None
    n: int
    interval: Interval | None


@dataclass(frozen=True)
class Trend:
    """Change in a share per year (fraction per year), with interval and p-value.

    interval is None when every answer in every year is the same (no variation).
    """

    slope_per_year: float
    interval: Interval | None
    p_value: float
    years: tuple[int, ...]
    test: str


class QuartileBand(StrEnum):
    """KKiK-style band of a municipality among its peers (DOMAIN.md §4)."""

    TOP = "top"
    MIDDLE = "middle"
    BOTTOM = "bottom"


@dataclass(frozen=True)
class PeerSummary:
    """Own municipality among peers; peers below the minimum group size are left out.

    own, own_rank, own_percentile and band are None when the own figure is suppressed.
    mean_share, best_share, worst_share and pooled are None when no municipality is shown.
    """

    own_code: str
    own: Proportion | None
    own_rank: int | None
    n_ranked: int
    own_percentile: float | None
    band: QuartileBand | None
    mean_share: float | None
    best_share: float | None
    worst_share: float | None
    pooled: Proportion | None
    count_suppressed: int


# ---------------------------------------------------------------------------
# Validation helpers


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence}")


def _check_counts(k: int, n: int) -> None:
    if n <= 0:
        raise ValueError(f"the number of answers n must be at least 1, got {n}")
    if not 0 <= k <= n:
        raise ValueError(f"k must be between 0 and n = {n}, got {k}")


def _check_share(name: str, value: float, *, open_ends: bool) -> None:
    ok = 0.0 < value < 1.0 if open_ends else 0.0 <= value <= 1.0
    if not ok:
        bounds = "(exclusive)" if open_ends else "(inclusive)"
        raise ValueError(f"{name} must be between 0 and 1 {bounds}, got {value}")


def _check_planning_share(name: str, value: float) -> None:
    if not 0.0 < value < 1.0:
        raise ValueError(
            f"{name} must be above 0 and below 1 (a share of 0 or 1 means every answer is "
            f"the same, and no sample size follows from it), got {value}"
        )


def _z(confidence: float) -> float:
    """Two-sided normal quantile for the given confidence level."""
    _check_confidence(confidence)
    return _normal_quantile(0.5 + confidence / 2.0)


@functools.lru_cache(maxsize=64)
def _normal_quantile(probability: float) -> float:
    """scipy's quantile, kept: a report asks for the same few levels hundreds of times
    and each scipy call costs about 0.15 ms."""
    return float(sps.norm.ppf(probability))


def _ceil(x: float) -> int:
    """Round up, ignoring floating-point noise just above an integer."""
    return math.ceil(round(x, 9))


# ---------------------------------------------------------------------------
# Single proportion


def _wilson(k: int, n: int, z: float) -> tuple[float, float]:
    # Newcombe (1998a) method 3: (2np + z^2 +/- z sqrt(z^2 + 4npq)) / (2(n + z^2)).
    p = k / n
    centre = 2 * n * p + z * z
    spread = z * math.sqrt(z * z + 4 * n * p * (1 - p))
    denominator = 2 * (n + z * z)
    low = 0.0 if k == 0 else (centre - spread) / denominator
    high = 1.0 if k == n else (centre + spread) / denominator
    return low, high


def _clopper_pearson(k: int, n: int, confidence: float) -> tuple[float, float]:
    alpha = 1.0 - confidence
    low = 0.0 if k == 0 else float(sps.beta.ppf(alpha / 2, k, n - k + 1))
    high = 1.0 if k == n else float(sps.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return low, high


def proportion(k: int, n: int, confidence: float = 0.95, method: str = WILSON) -> Proportion:
    """Share k/n with a Wilson score (default) or Clopper-Pearson exact interval."""
    _check_counts(k, n)
    _check_confidence(confidence)
    if method == WILSON:
        low, high = _wilson(k, n, _z(confidence))
    elif method == CLOPPER_PEARSON:
        low, high = _clopper_pearson(k, n, confidence)
    else:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    share = k / n
    # Guard against rounding noise: the interval stays in [0, 1] and contains the share.
    low = min(max(low, 0.0), share)
    high = max(min(high, 1.0), share)
    return Proportion(k=k, n=n, share=share, interval=Interval(low, high, method))


def compare_to_target(
    k: int,
    n: int,
    target: float = 0.80,
    confidence: float = 0.95,
    method: str = WILSON,
) -> TargetComparison:
    """Compare k/n with a target; the verdict comes only from the interval.

    ABOVE when the whole interval lies above the target (low > target), BELOW when it
    lies below (high < target), otherwise INDISTINGUISHABLE (endpoints included). With
    the Wilson interval this is exactly the two-sided score test of share == target.
    """
    _check_share("target", target, open_ends=True)
    result = proportion(k, n, confidence, method)
    if result.interval.low > target:
        verdict = Verdict.ABOVE
    elif result.interval.high < target:
        verdict = Verdict.BELOW
    else:
        verdict = Verdict.INDISTINGUISHABLE
    return TargetComparison(
        proportion=result,
        target=target,
        verdict=verdict,
        point_at_or_above=result.share >= target,
    )


def interval_method(n: int) -> str:
    """The interval every output shows for n answers: exact below SMALL_SAMPLE, else Wilson."""
    return CLOPPER_PEARSON if n < SMALL_SAMPLE else WILSON


def judge(k: int, n: int, target: float = 0.80, confidence: float = 0.95) -> TargetComparison:
    """The verdict every output shows: compare_to_target with ``interval_method(n)``.

    Below SMALL_SAMPLE answers the Wilson verdict can disagree with the exact binomial
    test (2/5 "missed" at exact p = .058, 16/16 "met" at p = .055); the exact
    Clopper-Pearson interval does not call a target met or missed that the exact test
    cannot tell apart.
    """
    return compare_to_target(k, n, target, confidence, interval_method(n))


def percent(value: float | Fraction, decimals: int = 1) -> Decimal:
    """A share as a rounded percentage, with the rule every output uses (half away from
    zero; see ``formatting``): 0.4625 -> 46.3."""
    return formatting.round_percent(value, decimals)


def precision(comparison: TargetComparison) -> Precision:
    """Fewest percent decimals at which the shown share and interval agree with the verdict.

    With one decimal, a lower limit of 80.04 % reads "80.0 %" beside a target of 80 % and
    a verdict of "above", and a share of 79.95 % reads "80.0 %" while it is below the
    target. The share is compared exactly (k/n), the target as set.
    """
    result = comparison.proportion
    share = formatting.share_decimals(
        Fraction(result.k, result.n), comparison.target, comparison.point_at_or_above
    )
    interval = formatting.interval_decimals(
        result.interval.low, result.interval.high, comparison.target, comparison.verdict.value
    )
    return Precision(share, interval)


# ---------------------------------------------------------------------------
# Two proportions


def difference(k1: int, n1: int, k2: int, n2: int, confidence: float = 0.95) -> Difference:
    """p1 - p2 with Newcombe's hybrid score interval and Fisher's exact two-sided p.

    Interval: Newcombe (1998b) method 10, built from the two Wilson intervals:
    low = d - sqrt((p1 - l1)^2 + (u2 - p2)^2), high = d + sqrt((u1 - p1)^2 + (p2 - l2)^2).
    """
    first = proportion(k1, n1, confidence, WILSON)
    second = proportion(k2, n2, confidence, WILSON)
    p1, p2 = first.share, second.share
    l1, u1 = first.interval.low, first.interval.high
    l2, u2 = second.interval.low, second.interval.high
    estimate = p1 - p2
    low = estimate - math.hypot(p1 - l1, u2 - p2)
    high = estimate + math.hypot(u1 - p1, p2 - l2)
    table = [[k1, n1 - k1], [k2, n2 - k2]]
    p_value = float(sps.fisher_exact(table, alternative="two-sided").pvalue)
    return Difference(
        estimate=estimate,
        interval=Interval(max(low, -1.0), min(high, 1.0), "newcombe-hybrid-score"),
        p_value=min(p_value, 1.0),
        test="fisher-exact-two-sided",
        alpha=round(1.0 - confidence, 12),
    )


# ---------------------------------------------------------------------------
# Ratings


def _finite_array(values: Sequence[float], name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty list of numbers")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain only finite numbers")
    return array


def compare_ratings(a: Sequence[float], b: Sequence[float]) -> RatingComparison:
    """Two-sided Mann-Whitney U test of two groups of ratings (scipy's automatic method)."""
    return _mann_whitney(_finite_array(a, "a"), _finite_array(b, "b"))


def _mann_whitney(first: np.ndarray, second: np.ndarray) -> RatingComparison:
    result = sps.mannwhitneyu(first, second, alternative="two-sided")
    return RatingComparison(
        u_statistic=float(result.statistic),
        p_value=float(result.pvalue),
        n1=int(first.size),
        n2=int(second.size),
    )


def _counts_arrays(counts: Counts, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Values and counts as arrays; zero counts dropped, at least one answer required."""
    values = np.asarray(list(counts.keys()), dtype=float)
    weights = np.asarray(list(counts.values()), dtype=np.int64)
    if values.size and not np.all(np.isfinite(values)):
        raise ValueError(f"{name}: values must be finite numbers")
    if np.any(weights < 0):
        raise ValueError(f"{name}: counts must not be negative")
    keep = weights > 0
    values, weights = values[keep], weights[keep]
    if weights.sum() == 0:
        raise ValueError(f"{name}: there must be at least one answer")
    return values, weights


def compare_rating_counts(counts_a: Counts, counts_b: Counts) -> RatingComparison:
    """Mann-Whitney U test from value -> count tables (as an SQL GROUP BY returns them)."""
    values_a, weights_a = _counts_arrays(counts_a, "counts_a")
    values_b, weights_b = _counts_arrays(counts_b, "counts_b")
    return _mann_whitney(np.repeat(values_a, weights_a), np.repeat(values_b, weights_b))


def mean_from_counts(counts: Counts, confidence: float = 0.95) -> Mean:
    """Mean, sample SD and Student t interval from a value -> count table.

    With a single answer there is no SD and no interval: both are None (n == 0 raises).
    """
    _check_confidence(confidence)
    values, weights = _counts_arrays(counts, "counts")
    n = int(weights.sum())
    mean = float(np.dot(values, weights) / n)
    if n == 1:
        return Mean(mean=mean, sd=None, n=1, interval=None)
    sd = math.sqrt(float(np.dot(weights, (values - mean) ** 2)) / (n - 1))
    half = float(sps.t.ppf(0.5 + confidence / 2.0, n - 1)) * sd / math.sqrt(n)
    return Mean(mean=mean, sd=sd, n=n, interval=Interval(mean - half, mean + half, "t"))


def to_index(value: float, scale_min: float, scale_max: float) -> float:
    """Map a rating linearly to 0-100 (1-5: 1 -> 0, 3 -> 50, 5 -> 100)."""
    if not scale_max > scale_min:
        raise ValueError(f"scale_max must exceed scale_min, got {scale_min}..{scale_max}")
    if not scale_min <= value <= scale_max:
        raise ValueError(f"value {value} is outside the scale {scale_min}..{scale_max}")
    return (value - scale_min) / (scale_max - scale_min) * 100.0


def index_from_counts(
    counts: Counts, scale_min: float, scale_max: float, confidence: float = 0.95
) -> Mean:
    """Mean 0-100 index from a value -> count table; the t interval is clipped to 0-100."""
    indexed = {to_index(value, scale_min, scale_max): count for value, count in counts.items()}
    result = mean_from_counts(indexed, confidence)
    if result.interval is None:
        return result
    interval = Interval(max(result.interval.low, 0.0), min(result.interval.high, 100.0), "t")
    return Mean(mean=result.mean, sd=result.sd, n=result.n, interval=interval)


# ---------------------------------------------------------------------------
# Trend over years


def trend(points: Sequence[tuple[int, int, int]], confidence: float = 0.95) -> Trend:
    """Linear trend of a share over years, from (year, k, n) points.

    Points for the same year are pooled; at least 3 distinct years are required.
    slope_per_year is the least-squares slope of the yearly shares weighted by n (the
    same as fitting each 0/1 answer against its year), as a fraction per year.
    p_value is the two-sided Cochran-Armitage test for trend with the years as scores
    (R's prop.trend.test). The interval is slope +/- z * SE with the Cochran-Armitage
    standard error sqrt(p(1-p) / sum n_i (year_i - mean year)^2), so it excludes 0
    exactly when p_value < 1 - confidence (slightly conservative under a real trend).
    When every answer is the same, p_value is 1 and interval is None.
    """
    _check_confidence(confidence)
    pooled: dict[int, list[int]] = {}
    for year, k, n in points:
        _check_counts(k, n)
        totals = pooled.setdefault(int(year), [0, 0])
        totals[0] += k
        totals[1] += n
    if len(pooled) < 3:
        raise ValueError(f"a trend needs at least 3 distinct years, got {len(pooled)}")
    years = tuple(sorted(pooled))
    x = np.asarray(years, dtype=float)
    k_arr = np.asarray([pooled[year][0] for year in years], dtype=float)
    n_arr = np.asarray([pooled[year][1] for year in years], dtype=float)
    total = n_arr.sum()
    p_bar = k_arr.sum() / total
    x_centred = x - np.dot(n_arr, x) / total
    sxx = float(np.dot(n_arr, x_centred**2))
    slope = float(np.dot(x_centred, k_arr - n_arr * p_bar)) / sxx
    variance = p_bar * (1.0 - p_bar)
    test = "cochran-armitage"
    if variance <= 0.0:
        return Trend(slope_per_year=0.0, interval=None, p_value=1.0, years=years, test=test)
    se = math.sqrt(variance / sxx)
    z_stat = slope / se
    p_value = float(2.0 * sps.norm.sf(abs(z_stat)))
    half = _z(confidence) * se
    interval = Interval(slope - half, slope + half, "cochran-armitage-wald")
    return Trend(
        slope_per_year=slope, interval=interval, p_value=min(p_value, 1.0), years=years, test=test
    )


# ---------------------------------------------------------------------------
# Margins and sample sizes


def _fpc_size(n0: float, population: int | None) -> float:
    if population is None:
        return n0
    if population < 1:
        raise ValueError(f"population must be at least 1, got {population}")
    # Cochran's correction n = n0 / (1 + (n0 - 1) / N), as in Krejcie & Morgan (1970).
    return n0 / (1.0 + (n0 - 1.0) / population)


def margin_of_error(
    n: int, share: float = 0.5, confidence: float = 0.95, population: int | None = None
) -> float:
    """Half-width of the normal-approximation interval, z * sqrt(p(1-p)/n), as a fraction.

    With a population size the finite-population correction sqrt((N - n)/(N - 1)) applies.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    _check_share("share", share, open_ends=False)
    margin = _z(confidence) * math.sqrt(share * (1.0 - share) / n)
    if population is not None:
        if population < n:
            raise ValueError(f"population ({population}) must be at least n ({n})")
        margin *= math.sqrt((population - n) / (population - 1)) if population > 1 else 0.0
    return margin


def sample_size_for_margin(
    margin: float,
    expected_share: float = 0.5,
    confidence: float = 0.95,
    population: int | None = None,
) -> int:
    """Answers needed for a given margin of error: z^2 p(1-p) / margin^2, rounded up.

    With a population size, Cochran's finite-population correction is applied. An
    expected share of 0 or 1 is refused: every answer would be the same and the formula
    would answer "1".
    """
    _check_share("margin", margin, open_ends=True)
    _check_planning_share("expected_share", expected_share)
    n0 = _z(confidence) ** 2 * expected_share * (1.0 - expected_share) / margin**2
    return max(1, _ceil(_fpc_size(n0, population)))


def sample_size_to_distinguish(
    share: float, target: float = 0.80, confidence: float = 0.95, power: float = 0.80
) -> int:
    """Answers needed to tell a true share apart from the target (one-sample, two-sided).

    n = ((z_a sqrt(t(1-t)) + z_b sqrt(p(1-p))) / (p - t))^2, rounded up, with
    z_a = z(1 - alpha/2) and z_b = z(power). The test is the score test, i.e. the
    Wilson verdict of compare_to_target, so power is approximately the chance that
    the verdict is ABOVE (or BELOW) when the true share is `share`.
    """
    _check_planning_share("share", share)
    _check_share("target", target, open_ends=True)
    _check_share("power", power, open_ends=True)
    if share == target:
        raise ValueError("share equals the target: no sample size can tell them apart")
    z_alpha = _z(confidence)
    z_beta = float(sps.norm.ppf(power))
    spread = z_alpha * math.sqrt(target * (1 - target)) + z_beta * math.sqrt(share * (1 - share))
    return max(1, _ceil((spread / (share - target)) ** 2))


# ---------------------------------------------------------------------------
# Small numbers and peers


def is_suppressed(n: int, min_group_size: int = MIN_GROUP_SIZE) -> bool:
    """True when a figure based on n answers must be hidden (n < min_group_size)."""
    if min_group_size < 1:
        raise ValueError(f"min_group_size must be at least 1, got {min_group_size}")
    return disclosure.is_small(n, min_group_size)


def peer_summary(
    values: Sequence[tuple[str, int, int]],
    own_code: str,
    min_group_size: int = MIN_GROUP_SIZE,
    confidence: float = 0.95,
) -> PeerSummary:
    """Own municipality among peers from (code, k, n) rows, own row included.

    Rows with n < min_group_size are left out of every figure and only counted in
    count_suppressed. Among the rest (own included):
    - own_rank: competition ranking by share, 1 = highest, ties share the lower
      number (1, 2, 2, 4); shares are compared exactly as fractions.
    - own_percentile: mid-rank percentile (ranked below + half of those tied, own
      included) / n_ranked, in (0, 1); band is TOP when >= 0.75, BOTTOM when <= 0.25,
      else MIDDLE. With 4 or 260 distinct shares exactly a quarter is top; a lone
      municipality, or one tied with all others, is MIDDLE.
    - mean_share: unweighted mean of municipality shares (Kolada style).
    - pooled: sum k / sum n with its Wilson interval.
    """
    codes = [code for code, _, _ in values]
    if len(set(codes)) != len(codes):
        raise ValueError("each municipality code may appear only once")
    if own_code not in codes:
        raise ValueError(f"own municipality {own_code!r} is not among the values")
    shown: list[tuple[str, int, int]] = []
    for code, k, n in values:
        if n < 0 or not 0 <= k <= max(n, 0):
            raise ValueError(f"{code}: k must be between 0 and n, got k = {k}, n = {n}")
        if not is_suppressed(n, min_group_size):
            shown.append((code, k, n))
    count_suppressed = len(values) - len(shown)
    if not shown:
        return PeerSummary(
            own_code=own_code,
            own=None,
            own_rank=None,
            n_ranked=0,
            own_percentile=None,
            band=None,
            mean_share=None,
            best_share=None,
            worst_share=None,
            pooled=None,
            count_suppressed=count_suppressed,
        )

    shares = [k / n for _, k, n in shown]
    pooled = proportion(sum(k for _, k, _ in shown), sum(n for _, _, n in shown), confidence)
    own_row = next((row for row in shown if row[0] == own_code), None)
    own: Proportion | None = None
    own_rank: int | None = None
    own_percentile: float | None = None
    band: QuartileBand | None = None
    if own_row is not None:
        own = proportion(own_row[1], own_row[2], confidence)
        own_exact = Fraction(own_row[1], own_row[2])
        exact = [Fraction(k, n) for _, k, n in shown]
        higher = sum(share > own_exact for share in exact)
        lower = sum(share < own_exact for share in exact)
        tied = len(exact) - higher - lower
        own_rank = higher + 1
        own_percentile = (lower + tied / 2) / len(exact)
        if own_percentile >= 0.75:
            band = QuartileBand.TOP
        elif own_percentile <= 0.25:
            band = QuartileBand.BOTTOM
        else:
            band = QuartileBand.MIDDLE
    return PeerSummary(
        own_code=own_code,
        own=own,
        own_rank=own_rank,
        n_ranked=len(shown),
        own_percentile=own_percentile,
        band=band,
        mean_share=float(np.mean(shares)),
        best_share=max(shares),
        worst_share=min(shares),
        pooled=pooled,
        count_suppressed=count_suppressed,
    )
