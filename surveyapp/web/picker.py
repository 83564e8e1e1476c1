"""Choosing many municipalities without Ctrl-click: tick them one by one (grouped by
county), take whole counties or saved groups, or type names and numbers.

Plain Python: the choices and groups come in as data; the form and the view turn what
was sent into one set of municipality numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from surveyapp.formatting import norwegian_sort_key

_SEPARATORS = re.compile(r"[,;\n]+")
_SUFFIX = re.compile(r"\s+(kommune|municipality)$", re.IGNORECASE)


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    county_code: str
    county_name: str


@dataclass(frozen=True)
class County:
    code: str
    name: str
    members: tuple[Municipality, ...]


@dataclass(frozen=True)
class Picker:
    """The municipalities one may choose from, and one's saved groups (id → codes)."""

    municipalities: tuple[Municipality, ...]
    groups: Mapping[str, tuple[str, frozenset[str]]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        municipalities: Iterable[Municipality],
        groups: Iterable[tuple[str, str, Iterable[str]]] = (),
    ) -> Picker:
        ordered = tuple(sorted(municipalities, key=lambda m: norwegian_sort_key(m.name)))
        allowed = {m.code for m in ordered}
        return cls(
            ordered,
            {
                group_id: (name, frozenset(codes) & allowed)
                for group_id, name, codes in groups
                if set(codes) & allowed
            },
        )

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(m.code for m in self.municipalities)

    def counties(self) -> list[County]:
        by_county: dict[str, list[Municipality]] = {}
        names: dict[str, str] = {}
        for m in self.municipalities:
            by_county.setdefault(m.county_code, []).append(m)
            names[m.county_code] = m.county_name
        return sorted(
            (County(code, names[code], tuple(members)) for code, members in by_county.items()),
            key=lambda county: norwegian_sort_key(county.name),
        )

    def by_code(self) -> dict[str, Municipality]:
        return {m.code: m for m in self.municipalities}

    def match_names(self, text: str) -> tuple[set[str], list[str]]:
        """Municipality numbers for typed names or numbers, and what matched none.

        A name matches case-insensitively, with or without "kommune"; a name that several
        municipalities share (Herøy, Våler) is taken as all of them only when typed with
        its number, so it is reported as unclear instead."""
        by_name: dict[str, list[str]] = {}
        for m in self.municipalities:
            by_name.setdefault(m.name.casefold(), []).append(m.code)
        codes = self.codes
        found: set[str] = set()
        unknown: list[str] = []
        for part in _SEPARATORS.split(text or ""):
            typed = " ".join(part.split())
            if not typed:
                continue
            key = _SUFFIX.sub("", typed).casefold()
            if typed in codes:
                found.add(typed)
            elif len(by_name.get(key, [])) == 1:
                found.add(by_name[key][0])
            else:
                unknown.append(typed)
        return found, unknown

    def resolve(
        self,
        ticked: Sequence[str],
        counties: Sequence[str],
        groups: Sequence[str],
        typed: str,
    ) -> tuple[list[str], list[str], list[str]]:
        """Every municipality chosen in any of the four ways (in alphabetical order), the
        typed names that matched none, and ticked numbers that are not to be chosen here."""
        chosen = {code for code in ticked if code in self.codes}
        refused = sorted(set(ticked) - self.codes)
        for county in self.counties():
            if county.code in counties:
                chosen |= {m.code for m in county.members}
        for group_id in groups:
            if group_id in self.groups:
                chosen |= self.groups[group_id][1]
        matched, unknown = self.match_names(typed)
        chosen |= matched
        order = [m.code for m in self.municipalities]
        return [code for code in order if code in chosen], unknown, refused
