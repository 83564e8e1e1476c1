"""Agreement between the two independent web testers: percent agreement and Cohen's κ.

Plain data in, plain data out (no Flask, no database). What is compared is the rating
that scores: whether the tester found the item within the protocol's time limit
(``scoring`` counts a found item with no time as in time). Only items both testers have
checked are compared; the deciding tester's check is not a rating.

κ and its 95 % interval come from statsmodels (``cohens_kappa``: the Fleiss, Cohen &
Everitt 1969 large-sample standard error, as SAS PROC FREQ reports it as ASE; the
interval is κ ± 1.96 · ASE, cut to [−1, 1]). κ is *undefined* when a tester never varies
(always found, or never): chance agreement then explains every agreement there is, and
κ is 0 or 0/0 by construction, so only the percent agreement is reported. κ below 0.4
as printed (two decimals; fair agreement or worse on Landis & Koch's scale) is flagged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from statsmodels.stats.inter_rater import cohens_kappa

from surveyapp.formatting import round_half_up
from surveyapp.servicetest.records import DECIDING_SLOT, StoredAssignment

FLAG_BELOW = Decimal("0.4")  # κ under this (as printed) is flagged
KAPPA_DECIMALS = 2  # κ and its interval are printed with two decimals

UNDEFINED_NO_ITEMS = "no_items"
UNDEFINED_CONSTANT = "rater_constant"  # a tester never varies: κ undefined


@dataclass(frozen=True, slots=True)
class Rating:
    """One web item checked by both testers: who they were and whether each found it."""

    municipality: str
    unit: str
    scenario: str
    first_tester: int | None
    second_tester: int | None
    first: bool
    second: bool


@dataclass(frozen=True, slots=True)
class Agreement:
    """Agreement over ``n`` items: ``agreed`` of them alike, κ with its 95 % interval.

    ``kappa`` is None with ``undefined`` saying why (``no_items``, ``rater_constant``).
    """

    n: int
    agreed: int
    kappa: float | None = None
    standard_error: float | None = None
    low: float | None = None
    high: float | None = None
    undefined: str | None = None

    @property
    def percent(self) -> float | None:
        """Percent agreement as a share (0–1)."""
        return self.agreed / self.n if self.n else None

    @property
    def flagged(self) -> bool:
        """κ as printed below 0.40: the testers agree little beyond chance."""
        return self.kappa is not None and round_half_up(self.kappa, KAPPA_DECIMALS) < FLAG_BELOW


def kappa_table(table: Sequence[Sequence[int]]) -> Agreement:
    """Cohen's κ for a square table of counts (first tester's rating in rows)."""
    counts = np.asarray(table, dtype=float)
    n = int(counts.sum())
    agreed = int(np.trace(counts))
    if n == 0:
        return Agreement(0, 0, undefined=UNDEFINED_NO_ITEMS)
    rows, columns = counts.sum(axis=1), counts.sum(axis=0)
    if np.count_nonzero(rows) < 2 or np.count_nonzero(columns) < 2:
        return Agreement(n, agreed, undefined=UNDEFINED_CONSTANT)
    result = cohens_kappa(counts)
    return Agreement(
        n,
        agreed,
        kappa=float(result.kappa),
        standard_error=float(result.std_kappa),
        low=max(-1.0, float(result.kappa_low)),
        high=min(1.0, float(result.kappa_upp)),
    )


def agreement(pairs: Iterable[tuple[bool, bool]]) -> Agreement:
    """Agreement on yes/no ratings given as (first tester, second tester) pairs."""
    table = [[0, 0], [0, 0]]
    for first, second in pairs:
        table[int(not first)][int(not second)] += 1
    return kappa_table(table)


@dataclass(frozen=True, slots=True)
class AgreementReport:
    """Agreement for the round, per item (scenario) and per tester pair."""

    round: Agreement
    items: dict[str, Agreement]
    pairs: dict[tuple[int | None, int | None], Agreement]
    ratings: list[Rating]

    @property
    def flagged_items(self) -> list[str]:
        return [code for code, value in self.items.items() if value.flagged]

    @property
    def flagged_pairs(self) -> list[tuple[int | None, int | None]]:
        return [pair for pair, value in self.pairs.items() if value.flagged]


def _found_in_time(record: Mapping[str, object], limit: int) -> bool:
    if not record.get("found"):
        return False
    seconds = record.get("seconds")
    return seconds is None or (isinstance(seconds, int | float) and seconds <= limit)


def web_ratings(assignments: Iterable[StoredAssignment], time_limit: int) -> list[Rating]:
    """The items both independent testers (slots 1 and 2) have recorded."""
    slots: dict[tuple[str, str, str], dict[int, StoredAssignment]] = defaultdict(dict)
    for item in assignments:
        if item.channel != "web" or item.status == "cancelled" or not item.record:
            continue
        if item.tester_slot == DECIDING_SLOT:
            continue
        slots[(item.municipality, item.unit, item.scenario)][item.tester_slot] = item
    ratings: list[Rating] = []
    for (municipality, unit, scenario), by_slot in sorted(slots.items()):
        if 1 not in by_slot or 2 not in by_slot:
            continue
        first, second = by_slot[1], by_slot[2]
        ratings.append(
            Rating(
                municipality,
                unit,
                scenario,
                first.recorded_by,
                second.recorded_by,
                _found_in_time(first.record or {}, time_limit),
                _found_in_time(second.record or {}, time_limit),
            )
        )
    return ratings


def _pair(rating: Rating) -> tuple[int | None, int | None]:
    """The tester pair, in a fixed order (who was first or second does not matter)."""
    a, b = rating.first_tester, rating.second_tester
    return (a, b) if (a or 0) <= (b or 0) else (b, a)


def report(ratings: Sequence[Rating], scenario_order: Sequence[str] = ()) -> AgreementReport:
    """Agreement for the round, for each item (in ``scenario_order``) and each pair."""
    by_item: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    by_pair: dict[tuple[int | None, int | None], list[tuple[bool, bool]]] = defaultdict(list)
    for rating in ratings:
        by_item[rating.scenario].append((rating.first, rating.second))
        by_pair[_pair(rating)].append((rating.first, rating.second))
    order = [code for code in scenario_order if code in by_item]
    order += sorted(code for code in by_item if code not in order)
    return AgreementReport(
        round=agreement((r.first, r.second) for r in ratings),
        items={code: agreement(by_item[code]) for code in order},
        pairs={
            pair: agreement(values)
            for pair, values in sorted(
                by_pair.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1] or 0)
            )
        },
        ratings=list(ratings),
    )
