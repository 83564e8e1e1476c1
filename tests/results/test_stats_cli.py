"""The statistics calculator on the command line, through click's test runner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner, Result

from surveyapp.results.stats import Verdict, compare_to_target, proportion
from surveyapp.results.stats_cli import stats_cli


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(stats_cli, list(args))


def test_proportion_text_output(runner: CliRunner) -> None:
    result = invoke(runner, "proportion", "--satisfied", "312", "--n", "400")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Share satisfied: 78.0 % (n = 400)",
        "95 % interval (Wilson): 73.7 % – 81.8 %",
        "Target 80 %: not distinguishable from the target at this sample size "
        "(the interval contains it)",
        "Point estimate is below the target.",
    ]
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("k", "n", "verdict_line", "point_line"),
    [
        (
            "380",
            "400",
            "Target 80 %: met (the whole interval is above the target)",
            "at or above",
        ),
        ("280", "400", "Target 80 %: missed (the whole interval is below the target)", "below"),
    ],
)
def test_proportion_says_met_or_missed_only_when_the_interval_excludes_the_target(
    runner: CliRunner, k: str, n: str, verdict_line: str, point_line: str
) -> None:
    result = invoke(runner, "proportion", "-k", k, "-n", n)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[2] == verdict_line
    assert lines[3] == f"Point estimate is {point_line} the target."


def test_proportion_with_clopper_pearson_and_other_confidence(runner: CliRunner) -> None:
    result = invoke(
        runner,
        "proportion",
        "-k",
        "81",
        "-n",
        "263",
        "--method",
        "clopper-pearson",
        "--confidence",
        "0.9",
        "--target",
        "0.3",
    )
    assert result.exit_code == 0, result.output
    expected = proportion(81, 263, 0.9, "clopper-pearson").interval
    assert f"90 % interval (Clopper-Pearson): {100 * expected.low:.1f} %" in result.stdout
    assert "Target 30 %: not distinguishable" in result.stdout


def test_proportion_json(runner: CliRunner) -> None:
    result = invoke(runner, "proportion", "-k", "312", "-n", "400", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    reference = compare_to_target(312, 400)
    assert payload == {
        "k": 312,
        "n": 400,
        "share": 0.78,
        "low": reference.proportion.interval.low,
        "high": reference.proportion.interval.high,
        "method": "wilson",
        "confidence": 0.95,
        "target": 0.8,
        "verdict": "indistinguishable",
        "point_at_or_above": False,
        "suppressed": False,
    }
    assert payload["low"] == pytest.approx(0.7368, abs=1e-4)
    assert payload["high"] == pytest.approx(0.8178, abs=1e-4)


def test_proportion_json_above_target(runner: CliRunner) -> None:
    result = invoke(runner, "proportion", "-k", "380", "-n", "400", "--target", "0.85", "--json")
    payload = json.loads(result.stdout)
    assert payload["verdict"] == Verdict.ABOVE.value
    assert payload["point_at_or_above"] is True
    assert payload["target"] == 0.85


def test_proportion_shows_more_decimals_when_one_would_mislead(runner: CliRunner) -> None:
    result = invoke(runner, "proportion", "-k", "3999", "-n", "5000")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "Share satisfied: 79.98 % (n = 5,000)"
    assert "Target 80 %" in result.stdout
    assert "Point estimate is below the target." in result.stdout


def test_small_sample_is_flagged_as_hidden_but_still_printed(runner: CliRunner) -> None:
    result = invoke(runner, "proportion", "-k", "3", "-n", "4")
    assert result.exit_code == 0, result.output
    assert "Share satisfied: 75.0 % (n = 4)" in result.stdout
    assert "fewer than 5 answers" in result.stderr
    assert "hidden in reports" in result.stderr
    as_json = invoke(runner, "proportion", "-k", "3", "-n", "4", "--json")
    assert json.loads(as_json.stdout)["suppressed"] is True
    assert "hidden in reports" in as_json.stderr
    configured = invoke(runner, "proportion", "-k", "8", "-n", "9", "--min-group-size", "10")
    assert "fewer than 10 answers" in configured.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-k", "401", "-n", "400"], "401 satisfied answers is more than all answers"),
        (["-k", "0", "-n", "0"], "'-n' / '--n': 0 is not in the range x>=1"),
        (["-k", "-1", "-n", "10"], "'-k' / '--satisfied'"),
        (["-k", "5", "-n", "10", "--target", "80"], "write 80 % as 0.8"),
        (["-k", "5", "-n", "10", "--target", "0"], "not a fraction between 0 and 1"),
        (["-k", "5", "-n", "10", "--target", "1"], "not a fraction between 0 and 1"),
        (["-k", "5", "-n", "10", "--target", "abc"], "'abc' is not a number"),
        (["-k", "5", "-n", "10", "--confidence", "95"], "'--confidence'"),
        (["-k", "5", "-n", "10", "--method", "wald"], "'--method'"),
        (["-n", "10"], "Missing option '-k' / '--satisfied'"),
    ],
)
def test_proportion_bad_input_is_a_usage_error(
    runner: CliRunner, args: list[str], message: str
) -> None:
    result = invoke(runner, "proportion", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_sample_size_for_margin(runner: CliRunner) -> None:
    result = invoke(runner, "sample-size", "--margin", "0.05")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "Answers needed: 385"
    assert "±5.0 points" in result.stdout
    with_population = invoke(runner, "sample-size", "--margin", "0.05", "--population", "1000")
    assert with_population.stdout.splitlines()[0] == "Answers needed: 278"
    rare = invoke(runner, "sample-size", "--margin", "0.05", "--share", "0.1", "--json")
    assert json.loads(rare.stdout) == {
        "mode": "margin",
        "n": 139,
        "margin": 0.05,
        "share": 0.1,
        "population": None,
        "confidence": 0.95,
        "suppressed": False,
    }


def test_sample_size_to_distinguish(runner: CliRunner) -> None:
    result = invoke(runner, "sample-size", "--distinguish", "0.75")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "Answers needed: 528"
    assert "target 80 % with 80 % power" in result.stdout
    payload = json.loads(
        invoke(
            runner,
            "sample-size",
            "--distinguish",
            "0.9",
            "--target",
            "0.8",
            "--power",
            "0.9",
            "--json",
        ).stdout
    )
    assert payload["mode"] == "distinguish"
    assert payload["n"] > 108  # 108 answers give 80 % power; 90 % needs more


def test_tiny_sample_size_warns_that_figures_would_be_hidden(runner: CliRunner) -> None:
    result = invoke(runner, "sample-size", "--margin", "0.5")
    assert result.exit_code == 0, result.output
    assert "Answers needed: 4" in result.stdout
    assert "would be hidden in reports" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Give exactly one of --margin or --distinguish"),
        (["--margin", "0.05", "--distinguish", "0.7"], "Give exactly one"),
        (["--margin", "0.05", "--power", "0.9"], "apply only with --distinguish"),
        (["--distinguish", "0.7", "--population", "100"], "apply only with --margin"),
        (["--distinguish", "0.8"], "equals the target"),
        (["--margin", "5"], "write 80 % as 0.8"),
    ],
)
def test_sample_size_bad_input_is_a_usage_error(
    runner: CliRunner, args: list[str], message: str
) -> None:
    result = invoke(runner, "sample-size", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_sample_size_help_documents_both_modes(runner: CliRunner) -> None:
    result = invoke(runner, "sample-size", "--help")
    assert result.exit_code == 0
    assert "--margin M [--share P] [--population N]" in result.stdout
    assert "--distinguish P [--target T] [--power W]" in result.stdout


@pytest.mark.parametrize(("n", "share", "points"), [("300", "0.5", "5.7"), ("400", "0.1", "2.9")])
def test_margin_command_reproduces_published_margins(
    runner: CliRunner, n: str, share: str, points: str
) -> None:
    result = invoke(runner, "margin", "-n", n, "--share", share)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Margin of error: ±{points} points (n = {n}")


def test_an_interval_a_hair_below_the_target_is_printed_truthfully(runner: CliRunner) -> None:
    """4411/5587 once printed "77.862489 % – 80.000000 %; Target 80.000000 %: missed"."""
    result = invoke(runner, "proportion", "--satisfied", "4411", "--n", "5587")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Share satisfied: 79.0 % (n = 5,587)"
    assert lines[2].startswith("Target 80 %: missed")
    high = lines[1].split("–")[1].strip().removesuffix(" %")
    assert high.startswith("79.99999") and float(high) < 80
    assert "80.000000" not in result.stdout


@pytest.mark.parametrize(("k", "n"), [("2", "5"), ("16", "16")])
def test_small_samples_use_the_exact_interval(runner: CliRunner, k: str, n: str) -> None:
    result = invoke(runner, "proportion", "-k", k, "-n", n)
    assert result.exit_code == 0, result.output
    assert "interval (Clopper-Pearson)" in result.stdout
    assert "not distinguishable from the target" in result.stdout
    wilson = invoke(runner, "proportion", "-k", k, "-n", n, "--method", "wilson")
    assert "not distinguishable" not in wilson.stdout  # Wilson alone would judge


@pytest.mark.parametrize(
    "args",
    [
        ["--margin", "0.05", "--share", "0"],
        ["--margin", "0.05", "--share", "1"],
        ["--distinguish", "0"],
        ["--distinguish", "1"],
    ],
)
def test_sample_size_refuses_shares_of_0_or_1(runner: CliRunner, args: list[str]) -> None:
    result = invoke(runner, "sample-size", *args)
    assert result.exit_code == 2
    assert "Answers needed" not in result.stdout
    assert "not a fraction between 0 and 1 (exclusive)" in result.stderr
