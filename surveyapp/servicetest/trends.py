"""A municipality's service-test results over rounds, comparable only while the
protocol's scoring is unchanged.

Plain data: each round contributes a point with the municipality's score, place, band,
pass and channel and sector scores; a point whose protocol has another scoring
fingerprint (``Protocol.scoring_fingerprint``) than the one before starts a new series
(``break_before``), like a survey question whose wording changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class RoundPoint:
    round_id: int
    title: str
    year: int
    locked: bool
    fingerprint: str
    score: float | None
    rank: int | None
    ranked: int
    band: Mapping[str, str] | None
    passed: bool | None
    pass_mark: float
    channels: Mapping[str, float | None]
    sectors: Mapping[str, float | None]
    break_before: bool = False
    demo: bool = False  # fictitious demo data: every output says so

    @property
    def series(self) -> str:
        """Points of one series are comparable (same scoring fingerprint)."""
        return self.fingerprint


def trend(points: Iterable[RoundPoint]) -> list[RoundPoint]:
    """The points in time order, each marked where the scoring changed before it."""
    ordered = sorted(points, key=lambda point: (point.year, point.round_id))
    out: list[RoundPoint] = []
    for point in ordered:
        changed = bool(out) and out[-1].fingerprint != point.fingerprint
        out.append(replace(point, break_before=changed))
    return out


def comparable_change(points: list[RoundPoint]) -> float | None:
    """The change in score since the previous round of the same series, if any."""
    if len(points) < 2:
        return None
    last, before = points[-1], points[-2]
    if last.break_before or last.score is None or before.score is None:
        return None
    return last.score - before.score
