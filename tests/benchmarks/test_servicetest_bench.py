"""The service-test bench's report (the figures themselves come from `make bench`)."""

from __future__ import annotations

from benchmarks.perf import servicetest_bench


def test_the_report_states_the_goal_beside_the_bare_scoring_call() -> None:
    result = {
        "municipalities": 357,
        "contacts": 8568,
        "pending": 1007,
        "bare": 0.4,
        "bare_cpu": 0.27,
        "changed": 0.19,
        "changed_max": 0.4,
        "changed_cpu": 0.18,
        "cold": 0.5,
        "cold_max": 0.7,
        "cold_cpu": 0.43,
        "warm": 0.12,
        "warm_max": 0.2,
        "warm_cpu": 0.06,
    }
    text = servicetest_bench.markdown(result)
    assert "| bare scoring call" in text and "0.400" in text
    assert "first request after one result changed" in text and "< 0.3 s | yes" in text
    assert servicetest_bench.met(result)
    assert not servicetest_bench.met({**result, "changed": 0.31})


def test_the_bench_round_fits_the_schedule_rules() -> None:
    """The bench plans its national round with the app's schedule (daily cap, slots,
    calls per municipality a day): the callers and days it asks for must be enough."""
    from benchmarks.perf.fieldwork_bench import _protocol
    from surveyapp.municipalities.register import REGISTER_FILE, parse_register
    from surveyapp.servicetest import planning

    codes = [row.code for row in parse_register(REGISTER_FILE.read_bytes(), "register")]
    callers = list(range(1, servicetest_bench.CALLERS + 1))
    planned = planning.plan_round(
        _protocol(), codes, callers, servicetest_bench.STARTS_ON, servicetest_bench.ENDS_ON, seed=1
    )
    assert len({p.municipality for p in planned}) == 357
