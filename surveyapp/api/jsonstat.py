"""Tables as JSON-stat 2.0 datasets and as CSV: plain data in, plain data out.

A ``Cube`` is a dense table over ordered dimensions whose last one is the metric
(``measure``: share, k, n, …). Every row (one category of each other dimension) has a
value per measure, or none with a status saying why (a hidden cell). JSON-stat puts
the values in one array in row-major order; the status object maps a value's position
to its code, and the dataset's ``extension.status`` gives each code's meaning in the
request's language. The CSV has one line per row, one column per measure, and a
``status`` column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Value = float | int | str | None

JSONSTAT_VERSION = "2.0"


@dataclass(frozen=True)
class Unit:
    decimals: int
    label: str = ""
    symbol: str | None = None


@dataclass(frozen=True)
class Dimension:
    """One dimension: its id, label and ordered categories (id → label)."""

    id: str
    label: str
    categories: Sequence[tuple[str, str]]
    role: str | None = None  # "geo", "time" or "metric"
    units: Mapping[str, Unit] = field(default_factory=dict)  # metric categories only
    notes: Mapping[str, str] = field(default_factory=dict)  # category id → note

    @property
    def ids(self) -> list[str]:
        return [key for key, _label in self.categories]


@dataclass
class Cube:
    """A table: dimensions (the metric last), values by row, statuses by row."""

    label: str
    source: str
    updated: str
    dimensions: Sequence[Dimension]
    rows: dict[tuple[str, ...], Mapping[str, Value]] = field(default_factory=dict)
    statuses: dict[tuple[str, ...], str] = field(default_factory=dict)
    status_labels: Mapping[str, str] = field(default_factory=dict)
    notes: Sequence[str] = ()
    extension: Mapping[str, Any] = field(default_factory=dict)

    @property
    def measure(self) -> Dimension:
        return self.dimensions[-1]

    def set(self, key: tuple[str, ...], values: Mapping[str, Value], status: str | None) -> None:
        """The row at ``key`` (one category id per dimension but the metric)."""
        self.rows[key] = values
        if status is not None:
            self.statuses[key] = status

    def _row_keys(self) -> list[tuple[str, ...]]:
        keys: list[tuple[str, ...]] = [()]
        for dimension in self.dimensions[:-1]:
            ids = dimension.ids
            keys = [(*prefix, category) for prefix in keys for category in ids]
        return keys


def to_jsonstat(cube: Cube, href: str | None = None) -> dict[str, Any]:
    """The cube as a JSON-stat 2.0 dataset."""
    measures = cube.measure.ids
    values: list[Value] = []
    status: dict[str, str] = {}
    for key in cube._row_keys():
        row = cube.rows.get(key, {})
        code = cube.statuses.get(key)
        for measure in measures:
            if code is not None:
                status[str(len(values))] = code
            values.append(row.get(measure))
    dimensions: dict[str, Any] = {}
    roles: dict[str, list[str]] = {}
    for dimension in cube.dimensions:
        category: dict[str, Any] = {
            "index": dimension.ids,
            "label": dict(dimension.categories),
        }
        if dimension.units:
            category["unit"] = {
                key: {
                    "decimals": unit.decimals,
                    "label": unit.label,
                    **({"symbol": unit.symbol, "position": "end"} if unit.symbol else {}),
                }
                for key, unit in dimension.units.items()
            }
        if dimension.notes:
            category["note"] = {key: [note] for key, note in dimension.notes.items()}
        dimensions[dimension.id] = {"label": dimension.label, "category": category}
        if dimension.role:
            roles.setdefault(dimension.role, []).append(dimension.id)
    dataset: dict[str, Any] = {
        "version": JSONSTAT_VERSION,
        "class": "dataset",
        "label": cube.label,
        "source": cube.source,
        "updated": cube.updated,
        "id": [d.id for d in cube.dimensions],
        "size": [len(d.categories) for d in cube.dimensions],
        "role": roles,
        "dimension": dimensions,
        "value": values,
    }
    if href:
        dataset["href"] = href
    if status:
        dataset["status"] = status
    if cube.notes:
        dataset["note"] = list(cube.notes)
    extension = dict(cube.extension)
    if cube.status_labels:
        extension["status"] = dict(cube.status_labels)
    if extension:
        dataset["extension"] = extension
    return dataset


def _csv_value(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # shortest exact text, decimal point
    return str(value)


def to_csv(cube: Cube) -> str:
    """One line per row: the row's category ids and labels, one column per measure, the
    status code (RFC 4180: comma-separated, decimal point, UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    header: list[str] = []
    for dimension in cube.dimensions[:-1]:
        header += [dimension.id, f"{dimension.id}_label"]
    header += [*cube.measure.ids, "status"]
    writer.writerow(header)
    labels = [dict(d.categories) for d in cube.dimensions[:-1]]
    for key in cube._row_keys():
        if key not in cube.rows and key not in cube.statuses:
            continue  # no such row at all (a municipality without a round that year)
        row = cube.rows.get(key, {})
        line: list[str] = []
        for category, names in zip(key, labels, strict=True):
            line += [category, names.get(category, category)]
        line += [_csv_value(row.get(m)) for m in cube.measure.ids]
        line.append(cube.statuses.get(key, ""))
        writer.writerow(line)
    return buffer.getvalue()
