"""A municipality's years under every number it had, and its predecessors' apart (plain).

Results are stored under the number a municipality had when the round ran. This module
says, for today's municipality, which stored numbers and years are its own (renumbered
and renamed years run on unbroken), which belong to predecessors (merged or split into
it: a break, their figures stay their own), and when the predecessors' answers may
honestly be pooled into "the merged whole" (docs/statistics.md, "Municipality changes").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from surveyapp.municipalities.history import Formation, History, Lineage, Period

# Why a year before a merger may not be pooled.
MISSING, WORDING, DESIGN, NOT_WHOLE = "missing", "wording", "design", "not_whole"


@dataclass(frozen=True)
class Family:
    """Today's municipality with every earlier municipality its data may come from."""

    own: Lineage
    formation: Formation | None
    ancestors: tuple[tuple[Lineage, Formation], ...]

    @property
    def codes(self) -> frozenset[str]:
        """Every number the municipality's or a predecessor's figures may be stored under."""
        codes = set(self.own.codes)
        for ancestor, _ in self.ancestors:
            codes |= ancestor.codes
        return frozenset(codes)

    @property
    def predecessors(self) -> tuple[Lineage, ...]:
        return tuple(a for a, _ in self.ancestors)


def family(history: History, code: str, name: str) -> Family:
    """The family of a municipality (a number the history does not know stands alone)."""
    own = history.current(code)
    if own is None:
        known = history.periods.get(code)
        own = (
            history.lineage(code, known[-1].last_year or 0)
            if known
            else Lineage((Period(code, name, None, None),))
        )
        assert own is not None
    formation = history.formation(own)
    return Family(own, formation, tuple(history.ancestors(own)))


def owner(history: History, group: Family, code: str, year: int) -> Lineage | None:
    """Whose figure a number in a year is: the municipality's own lineage, a predecessor's,
    or (None) neither."""
    lineage = history.lineage(code, year)
    if lineage is None:
        return group.own if code in group.own.codes else None
    if lineage == group.own or lineage in group.predecessors:
        return lineage
    return None


def own_codes(history: History, group: Family, year: int) -> list[str]:
    """The numbers holding the municipality's own figures of a year."""
    return sorted(c for c in group.own.codes if owner(history, group, c, year) == group.own)


def then(lineage: Lineage, year: int) -> Period | None:
    """The number and name a municipality had in a year, when not today's."""
    period = lineage.period_in(year)
    head = lineage.head
    return None if (period.code, period.name) == (head.code, head.name) else period


@dataclass(frozen=True)
class Count:
    """Satisfied and valid answers stored under a number in a year (one wording)."""

    year: int
    code: str
    fingerprint: str
    k: int
    n: int


@dataclass(frozen=True)
class Pooled:
    """The predecessors' answers of a year before a merger, pooled, or why not."""

    year: int
    k: int
    n: int
    fingerprint: str
    parts: tuple[Lineage, ...]  # the predecessors, each with answers that year
    refused: str | None  # None: may be pooled; else MISSING, WORDING, DESIGN or NOT_WHOLE
    missing: tuple[Lineage, ...] = ()


def pool(
    formation: Formation,
    counts: Mapping[Lineage, Iterable[Count]],
    designs: Mapping[tuple[int, Lineage], set[tuple[int, str]]],
) -> list[Pooled]:
    """For each year before the merger with a predecessor's answers: the pooled counts if
    every predecessor went in whole, every one was asked that year, in the same wording,
    with the same questionnaire version and access; else why not."""
    predecessors = tuple(p.lineage for p in formation.predecessors)
    by_year: dict[int, dict[Lineage, list[Count]]] = defaultdict(lambda: defaultdict(list))
    for lineage in predecessors:
        for count in counts.get(lineage, ()):
            if count.year < formation.on.year:
                by_year[count.year][lineage].append(count)
    result = []
    for year in sorted(by_year):
        present = by_year[year]
        rows = [c for lineage in predecessors for c in present.get(lineage, [])]
        k, n = sum(c.k for c in rows), sum(c.n for c in rows)
        prints = {c.fingerprint for c in rows}
        fingerprint = max(prints, key=lambda f: sum(c.n for c in rows if c.fingerprint == f))
        parts = tuple(lin for lin in predecessors if lin in present)
        missing = tuple(lin for lin in predecessors if lin not in present)
        used: set[tuple[int, str]] = set()
        for lineage in parts:
            used |= designs.get((year, lineage), set())
        refused = None
        if not formation.whole:
            refused = NOT_WHOLE
        elif missing:
            refused = MISSING
        elif len(prints) > 1:
            refused = WORDING
        elif len(used) != 1:
            refused = DESIGN
        result.append(Pooled(year, k, n, fingerprint, parts, refused, missing))
    return result
