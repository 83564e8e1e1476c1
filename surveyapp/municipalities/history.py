"""The register's history: every number since the change list begins, and the changes.

Plain data in, plain data out (no Flask, no database). The facts come from Statistics
Norway's change lists for classification 131 (``data/municipality-changes.csv``, sources
in ``data/municipality-changes.md``); ``parse_changes`` reads such a file and
``build_history`` checks that the changes follow each other (every number changes from
a name it had, into a number not in use) and agree with today's register.

A change takes effect on 1 January, and survey rounds and published figures are per
year, so "a number in year Y" is the number in use during Y. What a change means here:

- ``renumbered`` and ``name``: the same municipality under a new number or name; its
  years run on unbroken (Tromsø: 1902 until 2019, 5401 in 2020–2023, 5501 since 2024).
- ``merged`` and ``split``: a new municipality (a break); the earlier ones are its
  predecessors, whose figures are their own and are never silently added together.
  A merger may keep a number (1103 Stavanger in 2020); it is still a new municipality.
- ``border``: an area moved between municipalities that both go on (as SSB lists some);
  it changes no number and no figure.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from surveyapp.plaintext import has_controls

RENUMBERED, NAME, MERGED, SPLIT, BORDER = "renumbered", "name", "merged", "split", "border"
KINDS = (RENUMBERED, NAME, MERGED, SPLIT, BORDER)
CONTINUOUS = frozenset({RENUMBERED, NAME})
STRUCTURAL = frozenset({MERGED, SPLIT})
COLUMNS = ("from_code", "from_name", "to_code", "to_name", "kind", "valid_from")
MAX_NAME = 120

_CODE = re.compile(r"\d{4}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ChangeFileError(ValueError):
    """A change file (or the history it would make) is refused; lists every problem."""

    def __init__(self, filename: str, problems: list[str]) -> None:
        self.filename = filename
        self.problems = problems
        super().__init__("\n".join(f"{filename}: {p}" for p in problems))


@dataclass(frozen=True)
class Change:
    """One row of a change list: ``from_code`` (named ``from_name`` until the day before
    ``valid_from``) became, or went into, ``to_code`` named ``to_name``."""

    from_code: str
    from_name: str
    to_code: str
    to_name: str
    kind: str
    valid_from: date
    line: int = field(default=0, compare=False)  # the file's line; 0 when read from storage

    @property
    def key(self) -> tuple[str, str, date]:
        return (self.from_code, self.to_code, self.valid_from)

    @property
    def where(self) -> str:
        if self.line:
            return f"line {self.line}"
        return f"stored change {self.from_code} → {self.to_code} of {self.valid_from.isoformat()}"


@dataclass(frozen=True)
class Period:
    """A number under one name, from ``valid_from`` to ``valid_to`` (both inclusive).

    ``valid_from`` is None when the number was in use before the history begins;
    ``valid_to`` is None while it is in use.
    """

    code: str
    name: str
    valid_from: date | None
    valid_to: date | None

    @property
    def current(self) -> bool:
        return self.valid_to is None

    @property
    def first_year(self) -> int | None:
        return None if self.valid_from is None else self.valid_from.year

    @property
    def last_year(self) -> int | None:
        return None if self.valid_to is None else self.valid_to.year

    def covers(self, year: int) -> bool:
        return (self.first_year is None or self.first_year <= year) and (
            self.last_year is None or year <= self.last_year
        )

    def covers_day(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"


@dataclass(frozen=True)
class Lineage:
    """One municipality through its renumberings and renamings, oldest period first.

    It began either before the history (or as a number nobody records a change into) or
    at a merger or split (``History.formation``), and it is either in use today or ended
    at a merger or split.
    """

    periods: tuple[Period, ...]

    @property
    def head(self) -> Period:
        return self.periods[-1]

    @property
    def first(self) -> Period:
        return self.periods[0]

    @property
    def code(self) -> str:
        return self.head.code

    @property
    def name(self) -> str:
        return self.head.name

    @property
    def current(self) -> bool:
        return self.head.current

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(p.code for p in self.periods)

    def period_in(self, year: int) -> Period:
        """The number and name in a year (the first or last one outside its years)."""
        for period in self.periods:
            if period.covers(year):
                return period
        first_year = self.first.first_year
        if first_year is not None and year < first_year:
            return self.first
        return self.head


@dataclass(frozen=True)
class Predecessor:
    """A municipality that went, whole (``merged``) or in part (``split``), into another."""

    lineage: Lineage
    kind: str


@dataclass(frozen=True)
class Formation:
    """How a municipality began: on a date, from predecessors merged or split into it."""

    on: date
    predecessors: tuple[Predecessor, ...]
    into: Lineage  # the municipality it formed

    @property
    def whole(self) -> bool:
        """Every predecessor went into it whole: their answers together are this
        municipality's area (pooling may be honest)."""
        return all(p.kind == MERGED for p in self.predecessors)


@dataclass(frozen=True)
class Resolution:
    """Where a number used in a year belongs today."""

    code: str
    year: int
    period: Period  # the number and name in that year
    lineage: Lineage  # the municipality it was then
    current: tuple[Lineage, ...]  # today's municipality, or municipalities after a split
    continuous: bool  # True: the same municipality today (renumbered or renamed only)


@dataclass(frozen=True)
class OldNumber:
    """A number no longer in use, and what it is today (for messages)."""

    code: str
    name: str  # its last name
    now: tuple[tuple[str, str], ...]  # today's number and name, several after a split
    continuous: bool  # renumbered or renamed only: the same municipality today
    kind: str  # renumbered, merged or split: how it (first) stopped
    on: date | None  # when it stopped


# --------------------------------------------------------------------------- the file


def parse_changes(data: bytes, filename: str) -> list[Change]:
    """Read a change file (CSV, UTF-8, leading ``#`` lines are comments); all-or-nothing.

    Checks each row on its own; ``build_history`` checks how they fit together.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ChangeFileError(filename, [f"not valid UTF-8 (byte {exc.start + 1})"]) from exc
    lines = text.splitlines()
    skipped = 0
    while skipped < len(lines) and lines[skipped].lstrip().startswith("#"):
        skipped += 1
    reader = csv.reader(io.StringIO("\n".join(lines[skipped:])))
    header = next(reader, None)
    header_line = skipped + 1
    if header is None or tuple(h.strip() for h in header) != COLUMNS:
        raise ChangeFileError(
            filename,
            [f"line {header_line}: expected the columns {','.join(COLUMNS)}, got {header}"],
        )
    changes: list[Change] = []
    problems: list[str] = []
    first_line: dict[tuple[str, str, date], int] = {}
    for fields in reader:
        line = skipped + reader.line_num
        if not any(f.strip() for f in fields):
            continue
        change, wrong = _parse_row([f.strip() for f in fields], line)
        if change is not None and change.key in first_line:
            wrong = [f"repeats line {first_line[change.key]}"]
        if wrong:
            problems.append(f"line {line}: {'; '.join(wrong)}")
            continue
        assert change is not None
        first_line[change.key] = line
        changes.append(change)
    if problems:
        raise ChangeFileError(filename, problems)
    if not changes:
        raise ChangeFileError(filename, ["the file has no changes"])
    return changes


def _parse_row(fields: list[str], line: int) -> tuple[Change | None, list[str]]:
    if len(fields) != len(COLUMNS):
        return None, [f"expected {len(COLUMNS)} values, got {len(fields)}"]
    from_code, from_name, to_code, to_name, kind, valid_from = fields
    wrong: list[str] = []
    for what, code in (("from_code", from_code), ("to_code", to_code)):
        if not _CODE.fullmatch(code):
            wrong.append(f"{what} {code!r} is not a four-digit municipality number")
    for what, name in (("from_name", from_name), ("to_name", to_name)):
        if not name:
            wrong.append(f"{what} is empty")
        elif len(name) > MAX_NAME:
            wrong.append(f"{what} is longer than {MAX_NAME} characters")
        elif has_controls(name):
            wrong.append(f"{what} contains a control character")
    if kind not in KINDS:
        wrong.append(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    day: date | None = None
    if not _DATE.fullmatch(valid_from):
        wrong.append(f"valid_from {valid_from!r} is not a date written YYYY-MM-DD")
    else:
        try:
            day = date.fromisoformat(valid_from)
        except ValueError:
            wrong.append(f"valid_from {valid_from!r} is not a date")
    if day is not None and (day.month, day.day) != (1, 1):
        wrong.append(
            f"valid_from {valid_from} is not 1 January: municipality changes take effect on "
            "1 January, and figures are mapped by year"
        )
    if not wrong:
        if kind == RENUMBERED and from_code == to_code:
            wrong.append(f"kind renumbered, but the number {from_code} stays (use name)")
        elif kind == NAME and from_code != to_code:
            wrong.append(f"kind name keeps the number, but {from_code} becomes {to_code}")
        elif kind == NAME and from_name == to_name:
            wrong.append(f"kind name, but the name {from_name!r} stays")
        elif kind == SPLIT and from_code == to_code:
            wrong.append(
                f"a split ends {from_code}, so no part keeps its number "
                "(an area moved to a municipality that goes on is kind border)"
            )
    if wrong or day is None:
        return None, wrong
    return Change(from_code, from_name, to_code, to_name, kind, day, line), []


# --------------------------------------------------------------------------- the history


def merge_changes(stored: Iterable[Change], loaded: Sequence[Change]) -> list[Change]:
    """The stored changes with a file's added; a row equal to a stored one adds nothing,
    a row that says something else about the same change is refused."""
    by_key = {c.key: c for c in stored}
    problems = []
    for change in loaded:
        known = by_key.get(change.key)
        if known is None:
            by_key[change.key] = change
        elif (known.from_name, known.to_name, known.kind) != (
            change.from_name,
            change.to_name,
            change.kind,
        ):
            problems.append(
                f"{change.where}: {change.from_code} → {change.to_code} on "
                f"{change.valid_from.isoformat()} is already stored as "
                f"{known.from_name} → {known.to_name} ({known.kind})"
            )
        else:
            by_key[change.key] = change  # keep the file's line for any later message
    if problems:
        raise ChangeFileError("", problems)
    return list(by_key.values())


def build_history(
    changes: Sequence[Change],
    register: Mapping[str, str],
    *,
    filename: str = "",
    known: Mapping[str, str] | None = None,
    check_register: bool = True,
) -> History:
    """Check that the changes follow each other and end in today's register.

    ``register`` is today's register (number → name). ``known`` names other numbers
    stored without any recorded change (kept as municipalities of their own).
    Raises ``ChangeFileError`` listing every problem with its line. Stored changes were
    checked when they were loaded; reading them back (``check_register=False``) does not
    hold a later correction of a name in the register against them.
    """
    problems: list[str] = []
    by_date: dict[date, list[Change]] = defaultdict(list)
    for change in changes:
        by_date[change.valid_from].append(change)
    periods: dict[str, list[Period]] = defaultdict(list)
    edges: list[tuple[Change, Period, Period]] = []  # change, from-period, to-period
    last_line: dict[str, Change] = {}

    def open_period(code: str) -> Period | None:
        found = periods.get(code)
        return found[-1] if found and found[-1].valid_to is None else None

    for day in sorted(by_date):
        group = sorted(by_date[day], key=lambda c: (c.line, c.key))
        structural = [c for c in group if c.kind != BORDER]
        problems += _kinds(structural)
        ended: dict[str, Period] = {}
        for change in structural:
            if change.from_code in ended:
                if ended[change.from_code].name != change.from_name:
                    problems.append(
                        f"{change.where}: {change.from_code} is called "
                        f"{ended[change.from_code].name!r} in another row of "
                        f"{day.isoformat()}, here {change.from_name!r}"
                    )
                continue
            current = open_period(change.from_code)
            if current is None and periods.get(change.from_code):
                problems.append(
                    f"{change.where}: {change.from_code} is not in use on the day before "
                    f"{day.isoformat()} (it ended on "
                    f"{periods[change.from_code][-1].valid_to})"
                )
                continue
            if current is None:
                current = Period(change.from_code, change.from_name, None, None)
                periods[change.from_code].append(current)
            elif current.name != change.from_name:
                before = last_line.get(change.from_code)
                said = f" ({before.where})" if before else ""
                problems.append(
                    f"{change.where}: {change.from_code} is called {current.name!r} before "
                    f"{day.isoformat()}{said}, not {change.from_name!r}"
                )
            closed = Period(current.code, current.name, current.valid_from, day - timedelta(1))
            periods[change.from_code][-1] = closed
            ended[change.from_code] = closed
        started: dict[str, Period] = {}
        for change in structural:
            if change.to_code in started:
                if started[change.to_code].name != change.to_name:
                    problems.append(
                        f"{change.where}: {change.to_code} is called "
                        f"{started[change.to_code].name!r} in another row of "
                        f"{day.isoformat()}, here {change.to_name!r}"
                    )
                continue
            if open_period(change.to_code) is not None:
                problems.append(
                    f"{change.where}: {change.to_code} is already in use on {day.isoformat()}"
                )
                continue
            period = Period(change.to_code, change.to_name, day, None)
            periods[change.to_code].append(period)
            started[change.to_code] = period
            last_line[change.to_code] = change
        for change in structural:
            if change.from_code in ended and change.to_code in started:
                edges.append((change, ended[change.from_code], started[change.to_code]))
        for change in group:
            if change.kind != BORDER:
                continue
            for code, name, when in (
                (change.from_code, change.from_name, day - timedelta(1)),
                (change.to_code, change.to_name, day),
            ):
                found = periods.get(code)
                if not found:
                    periods[code].append(Period(code, name, None, None))
                    continue
                in_use = next((p for p in found if p.covers_day(when)), None)
                if in_use is None:
                    problems.append(f"{change.where}: {code} is not in use on {when.isoformat()}")
                elif in_use.name != name:
                    problems.append(
                        f"{change.where}: {code} is called {in_use.name!r} on "
                        f"{when.isoformat()}, not {name!r}"
                    )
    for code, found in periods.items():
        head = found[-1]
        if head.valid_to is not None or not check_register:
            continue
        maker = last_line.get(code)
        where = maker.where if maker else f"{code}"
        if code not in register:
            problems.append(
                f"{where}: {code} {head.name} is in use after its last change, but it is not "
                "in the register (load today's register first)"
            )
        elif register[code] != head.name:
            problems.append(
                f"{where}: {code} is called {head.name!r} after its last change, but "
                f"{register[code]!r} in the register"
            )
    if problems:
        raise ChangeFileError(filename, problems)
    for code, name in {**(known or {}), **register}.items():
        if code not in periods:
            periods[code].append(Period(code, name, None, None))
    # Edges were recorded while periods were open; point them at the finished periods.
    final = {(p.code, p.valid_from): p for found in periods.values() for p in found}
    edges = [
        (change, final[(before.code, before.valid_from)], final[(after.code, after.valid_from)])
        for change, before, after in edges
    ]
    return History(changes, dict(periods), edges)


def _kinds(group: Sequence[Change]) -> list[str]:
    """Each row's kind fits the shape of its day: a split sends one number to several,
    a merger joins several into one, the rest are one to one."""
    outs: dict[str, list[Change]] = defaultdict(list)
    ins: dict[str, list[Change]] = defaultdict(list)
    for change in group:
        outs[change.from_code].append(change)
        ins[change.to_code].append(change)
    problems = []
    for change in group:
        parts, joined = outs[change.from_code], ins[change.to_code]
        day = change.valid_from.isoformat()
        if len(parts) > 1:
            expected = SPLIT
            why = (
                f"{change.from_code} goes to {', '.join(c.to_code for c in parts)} on {day}, "
                "so the kind is split"
            )
        elif len(joined) > 1:
            expected = MERGED
            why = (
                f"{', '.join(c.from_code for c in joined)} go into {change.to_code} on {day}, "
                "so the kind is merged"
            )
        elif change.from_code != change.to_code:
            expected = RENUMBERED
            why = (
                f"{change.from_code} alone becomes {change.to_code} on {day}, "
                "so the kind is renumbered"
            )
        else:
            expected = NAME
            why = f"{change.from_code} keeps its number on {day}, so the kind is name"
        if change.kind != expected:
            problems.append(f"{change.where}: kind {change.kind}, but {why}")
    return problems


class History:
    """Every number with its periods, and which municipality each period belongs to."""

    def __init__(
        self,
        changes: Sequence[Change],
        periods: Mapping[str, list[Period]],
        edges: Sequence[tuple[Change, Period, Period]],
    ) -> None:
        self.changes = sorted(changes, key=lambda c: (c.valid_from, c.from_code, c.to_code))
        self.periods = {code: sorted(found, key=_start) for code, found in periods.items()}
        self._out: dict[Period, list[tuple[Change, Period]]] = defaultdict(list)
        self._in: dict[Period, list[tuple[Change, Period]]] = defaultdict(list)
        for change, before, after in edges:
            self._out[before].append((change, after))
            self._in[after].append((change, before))
        self._lineage: dict[Period, Lineage] = {}
        for found in self.periods.values():
            for period in found:
                if period in self._lineage or self._continued_from(period) is not None:
                    continue
                chain = [period]
                while (following := self._continues_as(chain[-1])) is not None:
                    chain.append(following)
                lineage = Lineage(tuple(chain))
                for member in chain:
                    self._lineage[member] = lineage

    def _continues_as(self, period: Period) -> Period | None:
        out = self._out.get(period, [])
        if len(out) == 1 and out[0][0].kind in CONTINUOUS:
            return out[0][1]
        return None

    def _continued_from(self, period: Period) -> Period | None:
        incoming = self._in.get(period, [])
        if len(incoming) == 1 and incoming[0][0].kind in CONTINUOUS:
            return incoming[0][1]
        return None

    # -- looking up

    def period(self, code: str, year: int) -> Period | None:
        """The period of a number in a year: the one in use then, else the nearest (data
        filed under a number before it existed, or after it ended, is read as that number's
        first or last municipality). None for a number the history does not know."""
        found = self.periods.get(code)
        if not found:
            return None
        for period in found:
            if period.covers(year):
                return period
        first_year = found[0].first_year
        if first_year is not None and year < first_year:
            return found[0]
        following = [p for p in found if p.first_year is not None and p.first_year > year]
        return following[0] if following else found[-1]

    def lineage(self, code: str, year: int) -> Lineage | None:
        period = self.period(code, year)
        return None if period is None else self._lineage[period]

    def current(self, code: str) -> Lineage | None:
        """Today's municipality with this number, if the number is in use."""
        found = self.periods.get(code)
        if not found or not found[-1].current:
            return None
        return self._lineage[found[-1]]

    def knows(self, code: str) -> bool:
        return code in self.periods

    def formation(self, lineage: Lineage) -> Formation | None:
        """The merger or split the municipality began with, if any."""
        incoming = self._in.get(lineage.first, [])
        if not incoming or any(c.kind in CONTINUOUS for c, _ in incoming):
            return None
        first = lineage.first.valid_from
        assert first is not None
        predecessors = tuple(
            Predecessor(self._lineage[before], change.kind)
            for change, before in sorted(incoming, key=lambda e: e[1].code)
        )
        return Formation(first, predecessors, lineage)

    def ancestors(self, lineage: Lineage) -> list[tuple[Lineage, Formation]]:
        """Every earlier municipality, nearest first, each with the formation it went into."""
        result: list[tuple[Lineage, Formation]] = []
        seen = {lineage}
        queue = [lineage]
        while queue:
            later = queue.pop(0)
            formation = self.formation(later)
            if formation is None:
                continue
            for predecessor in formation.predecessors:
                if predecessor.lineage not in seen:
                    seen.add(predecessor.lineage)
                    result.append((predecessor.lineage, formation))
                    queue.append(predecessor.lineage)
        return result

    def ending(self, lineage: Lineage) -> tuple[str, tuple[Lineage, ...]] | None:
        """How a municipality ended: (merged or split, the municipalities it went into)."""
        out = self._out.get(lineage.head, [])
        if not out:
            return None
        kind = SPLIT if any(c.kind == SPLIT for c, _ in out) else MERGED
        return kind, tuple(
            self._lineage[after] for _, after in sorted(out, key=lambda e: e[1].code)
        )

    def successors(self, lineage: Lineage) -> tuple[Lineage, ...]:
        """Today's municipalities the lineage is, or went into (several after a split)."""
        found: list[Lineage] = []
        queue = [lineage]
        seen = set()
        while queue:
            item = queue.pop(0)
            if item in seen:
                continue
            seen.add(item)
            ending = self.ending(item)
            if ending is None:
                if item.current and item not in found:
                    found.append(item)
                continue
            queue.extend(ending[1])
        return tuple(sorted(found, key=lambda lin: lin.code))

    def resolve(self, code: str, year: int) -> Resolution | None:
        """Which municipality a number in a year was, and which it is (or is part of) today."""
        period = self.period(code, year)
        if period is None:
            return None
        lineage = self._lineage[period]
        current = self.successors(lineage)
        return Resolution(code, year, period, lineage, current, current == (lineage,))

    def old_number(self, code: str, year: int | None = None) -> OldNumber | None:
        """What a number no longer in use (in that year, else at its end) is today."""
        if not self.knows(code) or self.current(code) is not None:
            return None
        when = year if year is not None else (self.periods[code][-1].last_year or 0)
        found = self.resolve(code, when)
        if found is None or not found.current:
            return None
        then = found.period
        ended = found.lineage.head.valid_to
        if found.continuous:
            following = [p for p in found.lineage.periods if p.first_year and p.first_year > when]
            kind, on = RENUMBERED, following[0].valid_from if following else None
        else:
            ending = self.ending(found.lineage)
            kind = SPLIT if ending is not None and ending[0] == SPLIT else MERGED
            on = None if ended is None else ended + timedelta(1)
        return OldNumber(
            code,
            then.name,
            tuple((lin.code, lin.name) for lin in found.current),
            found.continuous,
            kind,
            on,
        )


def _start(period: Period) -> date:
    return period.valid_from or date.min
