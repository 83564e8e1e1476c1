"""Agreement between web testers: percent agreement and Cohen's κ, checked against
published worked examples."""

from __future__ import annotations

from typing import Any

import pytest

from surveyapp.servicetest.agreement import (
    UNDEFINED_CONSTANT,
    UNDEFINED_NO_ITEMS,
    agreement,
    kappa_table,
    report,
    web_ratings,
)
from surveyapp.servicetest.records import StoredAssignment


def test_kappa_and_its_interval_match_sas_proc_freq_agreement_study() -> None:
    # SAS/STAT User's Guide, "The FREQ Procedure", Getting Started: Agreement Study
    # (two dermatologists rate 88 patients terrible/poor/marginal/clear, Table "Skin
    # Condition Data"). Published output, "Kappa Statistics": simple kappa 0.3449,
    # ASE 0.0724, 95 % confidence limits 0.2030 and 0.4868.
    skin = [[10, 4, 1, 0], [5, 10, 12, 2], [2, 4, 12, 5], [0, 2, 6, 13]]
    result = kappa_table(skin)
    assert (result.n, result.agreed) == (88, 45)
    assert round(result.kappa or 0, 4) == 0.3449
    assert round(result.standard_error or 0, 4) == 0.0724
    assert (round(result.low or 0, 4), round(result.high or 0, 4)) == (0.2030, 0.4868)
    assert result.flagged  # 0.34 < 0.4


def test_kappa_of_cohens_yes_no_worked_example() -> None:
    # The textbook 2 × 2 example (e.g. Wikipedia "Cohen's kappa", Example): 50 grant
    # proposals, both "yes" 20, both "no" 15, 5 and 10 disagreements: p_o = 0.7,
    # p_e = 0.5 · 0.6 + 0.5 · 0.4 = 0.5, κ = (0.7 − 0.5) / (1 − 0.5) = 0.4.
    pairs = [(True, True)] * 20 + [(True, False)] * 5 + [(False, True)] * 10
    pairs += [(False, False)] * 15
    result = agreement(pairs)
    assert result.percent == pytest.approx(0.7)
    assert result.kappa == pytest.approx(0.4)
    assert not result.flagged  # exactly 0.4 is not below it


def test_kappa_is_undefined_when_a_tester_never_varies() -> None:
    always = agreement([(True, True), (True, False), (True, True)])
    assert always.kappa is None and always.undefined == UNDEFINED_CONSTANT
    assert always.percent == pytest.approx(2 / 3)  # the agreement alone is still shown
    assert not always.flagged
    both_constant = agreement([(False, False)] * 4)
    assert (both_constant.kappa, both_constant.percent) == (None, 1.0)
    empty = agreement([])
    assert (empty.undefined, empty.percent) == (UNDEFINED_NO_ITEMS, None)


def stored(
    municipality: str, scenario: str, slot: int, tester: int, found: bool, seconds: int = 30
) -> StoredAssignment:
    record: dict[str, Any] = {"found": found, "seconds": seconds, "quality": 2}
    return StoredAssignment(
        municipality, scenario, "care", "web", slot, "done", record, "", tester, None
    )


def test_agreement_per_item_per_pair_and_for_the_round() -> None:
    rows = [
        # item "a": testers 1 and 2 agree on four of four, but both vary
        stored("m1", "a", 1, 1, True),
        stored("m1", "a", 2, 2, True),
        stored("m2", "a", 1, 2, False),
        stored("m2", "a", 2, 1, False),
        stored("m3", "a", 1, 1, True),
        stored("m3", "a", 2, 2, True),
        stored("m4", "a", 1, 1, False),
        stored("m4", "a", 2, 2, False),
        # item "b": testers 3 and 4 disagree on every one
        stored("m1", "b", 1, 3, True),
        stored("m1", "b", 2, 4, False),
        stored("m2", "b", 1, 3, False),
        stored("m2", "b", 2, 4, True),
        # found too late counts as not found; both "not found": agreement
        stored("m3", "b", 1, 3, True, seconds=500),
        stored("m3", "b", 2, 4, False),
        # only one tester so far, and a deciding tester: neither is a rating
        stored("m4", "b", 1, 3, True),
        stored("m2", "b", 3, 5, True),
    ]
    ratings = web_ratings(rows, time_limit=120)
    assert len(ratings) == 7
    result = report(ratings, ["b", "a"])
    assert list(result.items) == ["b", "a"]
    assert result.items["a"].kappa == pytest.approx(1.0)
    assert result.items["b"].agreed == 1 and result.items["b"].n == 3
    assert result.items["b"].kappa is not None and result.items["b"].kappa < 0
    assert result.flagged_items == ["b"]
    # Testers 1 and 2 in either order are one pair.
    assert set(result.pairs) == {(1, 2), (3, 4)}
    assert result.pairs[(1, 2)].n == 4
    assert result.flagged_pairs == [(3, 4)]
    assert result.round.n == 7 and result.round.agreed == 5
