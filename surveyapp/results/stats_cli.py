"""Command-line calculator over the statistics core (``flask --app surveyapp stats ...``)."""

from __future__ import annotations

import json
from typing import Any

import click

from surveyapp import formatting
from surveyapp.results import stats

AUTO = "auto"
METHOD_NAMES = {stats.WILSON: "Wilson", stats.CLOPPER_PEARSON: "Clopper-Pearson"}
LANGUAGE = "en"  # the command line speaks English; numbers follow the formatting module

VERDICT_TEXT = {
    stats.Verdict.ABOVE: "met (the whole interval is above the target)",
    stats.Verdict.BELOW: "missed (the whole interval is below the target)",
    stats.Verdict.INDISTINGUISHABLE: (
        "not distinguishable from the target at this sample size (the interval contains it)"
    ),
}


class ShareType(click.ParamType):
    """A fraction strictly between 0 and 1 (or 0..1 inclusive), e.g. 0.8 for 80 %."""

    name = "fraction"

    def __init__(self, inclusive: bool = False) -> None:
        self.inclusive = inclusive

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number.", param, ctx)
        ok = 0.0 <= number <= 1.0 if self.inclusive else 0.0 < number < 1.0
        if not ok:
            ends = "0 and 1 inclusive" if self.inclusive else "0 and 1 (exclusive)"
            self.fail(f"{value} is not a fraction between {ends}; write 80 % as 0.8.", param, ctx)
        return number


SHARE = ShareType()
SHARE_INCLUSIVE = ShareType(inclusive=True)


def _echo(line: str) -> None:
    """A line for the terminal: the formatting module's no-break spaces as plain spaces."""
    click.echo(line.replace(formatting.NBSP, " ").replace(formatting.NNBSP, " "))


def _points(value: float) -> str:
    return formatting.number(value * 100, LANGUAGE, 1)


def _confidence_label(confidence: float) -> str:
    return f"{confidence * 100:g} %"


def _small_sample_warning(n: int, min_group_size: int, planning: bool = False) -> None:
    if stats.is_suppressed(n, min_group_size):
        subject = "A figure from this sample" if planning else "This figure"
        click.echo(
            f"Warning: fewer than {min_group_size} answers. {subject} would be hidden "
            "in reports to protect respondents.",
            err=True,
        )


stats_cli = click.Group(
    "stats",
    help="Statistics calculator: shares with 95 % intervals, target verdicts, sample sizes.",
)


@stats_cli.command("proportion")
@click.option(
    "-k",
    "--satisfied",
    "k",
    type=click.IntRange(min=0),
    required=True,
    help="Answers in the top two boxes (well or very well satisfied).",
)
@click.option(
    "-n",
    "--n",
    "n",
    type=click.IntRange(min=1),
    required=True,
    help="All valid answers, with 'don't know' left out.",
)
@click.option("--target", type=SHARE, default=0.8, show_default=True, help="Target share.")
@click.option("--confidence", type=SHARE, default=0.95, show_default=True)
@click.option(
    "--method",
    type=click.Choice([AUTO, *METHOD_NAMES]),
    default=AUTO,
    show_default=True,
    help=(
        f"Interval method; auto (as every report): exact Clopper-Pearson below "
        f"{stats.SMALL_SAMPLE} answers, Wilson from {stats.SMALL_SAMPLE}."
    ),
)
@click.option(
    "--min-group-size",
    type=click.IntRange(min=1),
    default=stats.MIN_GROUP_SIZE,
    show_default=True,
    help="Figures from fewer answers are hidden in reports.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of text.")
def proportion_command(
    k: int,
    n: int,
    target: float,
    confidence: float,
    method: str,
    min_group_size: int,
    as_json: bool,
) -> None:
    """Share satisfied with its interval, and whether the target is met.

    The verdict comes only from the interval: met when the whole interval is above
    the target, missed when it is below, otherwise not distinguishable. Figures are
    rounded as in every report, with more decimals where one would contradict the verdict.
    """
    if method == AUTO:
        method = stats.interval_method(n)
    if k > n:
        raise click.BadParameter(
            f"{k} satisfied answers is more than all answers (--n {n}).",
            param_hint="'--satisfied'",
        )
    try:
        comparison = stats.compare_to_target(k, n, target, confidence, method)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    result = comparison.proportion
    suppressed = stats.is_suppressed(n, min_group_size)
    if as_json:
        payload = {
            "k": k,
            "n": n,
            "share": result.share,
            "low": result.interval.low,
            "high": result.interval.high,
            "method": method,
            "confidence": confidence,
            "target": target,
            "verdict": comparison.verdict.value,
            "point_at_or_above": comparison.point_at_or_above,
            "suppressed": suppressed,
        }
        click.echo(json.dumps(payload, indent=2))
    else:
        shown = stats.precision(comparison)
        side = "at or above" if comparison.point_at_or_above else "below"
        share_text = formatting.share(k, n, LANGUAGE, shown.share)
        _echo(f"Share satisfied: {share_text} (n = {formatting.count(n, LANGUAGE)})")
        interval_text = formatting.interval(
            result.interval.low, result.interval.high, LANGUAGE, shown.interval
        )
        _echo(f"{_confidence_label(confidence)} interval ({METHOD_NAMES[method]}): {interval_text}")
        goal = formatting.target(target, LANGUAGE)
        _echo(f"Target {goal}: {VERDICT_TEXT[comparison.verdict]}")
        click.echo(f"Point estimate is {side} the target.")
    _small_sample_warning(n, min_group_size)


@stats_cli.command("sample-size")
@click.option("--margin", type=SHARE, help="Wanted margin of error, e.g. 0.05 for ±5 points.")
@click.option(
    "--share",
    type=SHARE,
    help="With --margin: expected share (default 0.5, the most demanding).",
)
@click.option(
    "--population",
    type=click.IntRange(min=1),
    help="With --margin: population size, for the finite-population correction.",
)
@click.option(
    "--distinguish",
    type=SHARE,
    help="Expected true share to tell apart from --target.",
)
@click.option("--target", type=SHARE, help="With --distinguish: the target (default 0.8).")
@click.option("--power", type=SHARE, help="With --distinguish: wanted power (default 0.8).")
@click.option("--confidence", type=SHARE, default=0.95, show_default=True)
@click.option(
    "--min-group-size",
    type=click.IntRange(min=1),
    default=stats.MIN_GROUP_SIZE,
    show_default=True,
    help="Figures from fewer answers are hidden in reports.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of text.")
def sample_size_command(
    margin: float | None,
    share: float | None,
    population: int | None,
    distinguish: float | None,
    target: float | None,
    power: float | None,
    confidence: float,
    min_group_size: int,
    as_json: bool,
) -> None:
    """Valid answers needed, in one of two modes.

    \b
    --margin M [--share P] [--population N]
        answers for a margin of error of ±M at the expected share P
        (normal approximation; finite-population correction when N is given).
    --distinguish P [--target T] [--power W]
        answers for the interval to exclude the target T with power W when the
        true share is P (two-sided one-sample score test, the test behind the
        Wilson verdict of `stats proportion`).

    Counts are valid answers: invite more people to allow for non-response.
    """
    if (margin is None) == (distinguish is None):
        raise click.UsageError("Give exactly one of --margin or --distinguish.")
    payload: dict[str, Any]
    try:
        if margin is not None:
            if target is not None or power is not None:
                raise click.UsageError("--target and --power apply only with --distinguish.")
            expected = 0.5 if share is None else share
            needed = stats.sample_size_for_margin(margin, expected, confidence, population)
            payload = {
                "mode": "margin",
                "n": needed,
                "margin": margin,
                "share": expected,
                "population": population,
                "confidence": confidence,
            }
            where = f", population {population}" if population is not None else ""
            detail = (
                f"for a margin of ±{_points(margin)} points at an expected share of "
                f"{formatting.target(expected, LANGUAGE)}, "
                f"{_confidence_label(confidence)} confidence{where}"
            )
        else:
            assert distinguish is not None
            if share is not None or population is not None:
                raise click.UsageError("--share and --population apply only with --margin.")
            goal = 0.8 if target is None else target
            wanted_power = 0.8 if power is None else power
            needed = stats.sample_size_to_distinguish(distinguish, goal, confidence, wanted_power)
            payload = {
                "mode": "distinguish",
                "n": needed,
                "share": distinguish,
                "target": goal,
                "power": wanted_power,
                "confidence": confidence,
            }
            detail = (
                f"to tell a true share of {formatting.target(distinguish, LANGUAGE)} apart "
                f"from the target {formatting.target(goal, LANGUAGE)} with "
                f"{_confidence_label(wanted_power)} power "
                f"(two-sided, {_confidence_label(confidence)} confidence)"
            )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    payload["suppressed"] = stats.is_suppressed(needed, min_group_size)
    if as_json:
        click.echo(json.dumps(payload, indent=2))
    else:
        click.echo(f"Answers needed: {needed}")
        _echo(detail)
    _small_sample_warning(needed, min_group_size, planning=True)


@stats_cli.command("margin")
@click.option("-n", "--n", "n", type=click.IntRange(min=1), required=True, help="Valid answers.")
@click.option("--share", type=SHARE_INCLUSIVE, default=0.5, show_default=True)
@click.option("--confidence", type=SHARE, default=0.95, show_default=True)
@click.option("--population", type=click.IntRange(min=1), help="Population size (optional).")
@click.option(
    "--min-group-size",
    type=click.IntRange(min=1),
    default=stats.MIN_GROUP_SIZE,
    show_default=True,
    help="Figures from fewer answers are hidden in reports.",
)
def margin_command(
    n: int, share: float, confidence: float, population: int | None, min_group_size: int
) -> None:
    """Margin of error (normal approximation) for n answers at an expected share."""
    try:
        margin = stats.margin_of_error(n, share, confidence, population)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    _echo(
        f"Margin of error: ±{_points(margin)} points "
        f"(n = {n}, share {formatting.target(share, LANGUAGE)}, "
        f"{_confidence_label(confidence)} confidence)"
    )
    _small_sample_warning(n, min_group_size)
