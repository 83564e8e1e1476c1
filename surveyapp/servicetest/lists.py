"""County lists and the national list of a scored round, with their best and worst.

Plain data in, plain data out. A county list ranks the county's municipalities (and test
units) among themselves by the same rule as the national list: competition ranks on the
printed score, so places are shared exactly when the printed scores are equal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from surveyapp.servicetest.scoring import (
    MunicipalityScore,
    RoundResult,
    competition_ranks,
    is_passed,
    round_score,
)


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One municipality in a list: its place there and its national place."""

    place: int
    score: MunicipalityScore


@dataclass(frozen=True, slots=True)
class RankedList:
    """A county's (or the nation's) ranked list with its summary figures."""

    code: str  # county code, or "" for the national list
    name: str
    entries: tuple[ListEntry, ...]
    average: float | None  # unweighted mean of the scores
    passed: int
    pending: int  # items awaiting a decision among its municipalities

    @property
    def best(self) -> tuple[ListEntry, ...]:
        """All sharing first place."""
        return tuple(entry for entry in self.entries if entry.place == 1)

    @property
    def worst(self) -> tuple[ListEntry, ...]:
        """All sharing the last place (none when everyone shares first)."""
        if not self.entries:
            return ()
        last = self.entries[-1].place
        return tuple(entry for entry in self.entries if entry.place == last and last > 1)


def ranked_list(
    code: str, name: str, members: Sequence[MunicipalityScore], pass_mark: float
) -> RankedList:
    scored = [m for m in members if m.score is not None]
    places = competition_ranks({m.key: m.score for m in scored if m.score is not None})
    entries = sorted(
        (ListEntry(places[m.key], m) for m in scored),
        key=lambda entry: (entry.place, entry.score.municipality, entry.score.unit),
    )
    scores = [m.score for m in scored if m.score is not None]
    return RankedList(
        code=code,
        name=name,
        entries=tuple(entries),
        average=sum(scores) / len(scores) if scores else None,
        passed=sum(1 for value in scores if is_passed(value, pass_mark)),
        pending=sum(m.awaiting for m in members),
    )


def county_lists(result: RoundResult, county_of: Mapping[str, tuple[str, str]]) -> list[RankedList]:
    """One list per county (``county_of``: municipality → (county code, county name)),
    in county-code order; units go with their municipality's county."""
    members: dict[tuple[str, str], list[MunicipalityScore]] = {}
    for m in result.municipalities:
        county = county_of.get(m.municipality)
        if county is not None:
            members.setdefault(county, []).append(m)
    return [
        ranked_list(code, name, members[(code, name)], result.pass_mark)
        for code, name in sorted(members)
    ]


def national_list(result: RoundResult) -> RankedList:
    return ranked_list("", "", result.municipalities, result.pass_mark)


def printed(value: float | None) -> float | None:
    return None if value is None else round_score(value)
