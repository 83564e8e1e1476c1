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
