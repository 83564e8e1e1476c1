"""What the XLSForm and LimeSurvey readers share: problems with their place, and the step
from the app's definition data to a validated :class:`Definition`.

A reader maps a file to the same data a YAML definition holds, remembering for every
value the place in the file it came from (a cell, or a line). The definition is then
checked by the same validator as a YAML file; a problem it finds is reported at the
place the value came from, so every message names the file's own sheet, row and column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from surveyapp.questionnaires.definition import Definition, parse_definition
from surveyapp.questionnaires.problems import (
    MAX_PROBLEMS,
    N_,
    DefinitionError,
    Msg,
    Place,
    Problem,
    Text,
    more_problems,
    msg,
)
from surveyapp.questionnaires.yaml_source import FIRST_AT_LINE, Path, first_at_line, positions
from surveyapp.questionnaires.yaml_source import read_source as _read_source

#: Bytes an uploaded file may have (any format); checked before anything is read.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Imported:
    """A definition read from a file, with what the file said about its own version."""

    definition: Definition
    format: str  # yaml | xlsform | limesurvey
    source_version: str | None = None


def where(place: Place | None) -> str:
    """A place in English words, for the command line."""
    if place is None:
        return ""
    if place.line is not None:
        return f"line {place.line}"
    parts = [f"sheet '{place.sheet}'"] if place.sheet else []
    if place.cell:
        parts.append(f"cell {place.cell}")
    elif place.row is not None:
        parts.append(f"row {place.row}")
    elif place.column is not None:
        parts.append(f"column {place.column}")
    return ", ".join(parts)


class Problems:
    """Collects a file's problems, each with its place and a translatable message."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.items: list[Problem] = []

    def add(self, place: Place | None, msgid: str, **params: Any) -> None:
        message = msgid % params if params else msgid
        self.items.append(Problem(self.filename, where(place), message, place, msgid, params))

    def keep(self, problem: Problem) -> None:
        self.items.append(problem)

    def __bool__(self) -> bool:
        return bool(self.items)

    def error(self) -> DefinitionError:
        def order(problem: Problem) -> tuple[str, int, int, str]:
            place = problem.place or Place()
            return (
                place.sheet or "",
                place.row or place.line or 0,
                len(place.column or ""),
                place.column or "",
            )

        found = sorted(self.items, key=order)
        if len(found) > MAX_PROBLEMS:
            more = len(found) - MAX_PROBLEMS
            found = found[:MAX_PROBLEMS] + [more_problems(self.filename, more)]
        return DefinitionError(found)


def validated(data: dict[str, Any], cells: Mapping[Path, Place], problems: Problems) -> Definition:
    """The definition of ``data`` checked as a YAML file is; problems at their cells.

    Raises DefinitionError (the reader's problems and the validator's) when anything is
    wrong.
    """
    if problems:
        raise problems.error()
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)
    try:
        return parse_definition(text, problems.filename)
    except DefinitionError as err:
        lines = _line_paths(text)

        def place_of(line: int | None) -> Place | None:
            return _nearest(cells, lines.get(line, ())) if line is not None else None

        for problem in err.problems:
            place = place_of(problem.place.line if problem.place else None)
            params, body = problem.params, problem.message
            first = params.get("first")
            if (
                problem.msgid is not None
                and isinstance(first, Msg)
                and first.msgid == FIRST_AT_LINE
            ):
                # "(first at line N)" names a line of the YAML made here: say the file's own.
                params = {**params, "first": first_at(place_of(first.params["line"]))}
                body = str(Msg(problem.msgid, params))
            detail = problem.location.split(", ", 1)[1] if ", " in problem.location else ""
            message = f"{detail}: {body}" if detail else body
            problems.keep(
                Problem(
                    problems.filename,
                    where(place),
                    message,
                    place,
                    problem.msgid,
                    params,
                    problem.context,
                    body,
                )
            )
        raise problems.error() from None


def first_at(place: Place | None) -> Text:
    """Where a repeated value first was, in the uploaded file: a sheet's row or a line."""
    if place is None:
        return ""
    if place.line is not None:
        return first_at_line(place.line)
    if place.row is not None and place.sheet:
        return msg(
            N_(" (first at row %(row)s of sheet '%(sheet)s')"), row=place.row, sheet=place.sheet
        )
    return ""


def _line_paths(text: str) -> dict[int, Path]:
    """The deepest path that starts on each line of the generated YAML."""
    from surveyapp.questionnaires.problems import Report

    source = _read_source(text, Report("generated"))
    if source is None:  # pragma: no cover - the text is our own safe_dump
        return {}
    found: dict[int, Path] = {}
    for path, line in positions(source[0]).items():
        if len(path) >= len(found.get(line, ())):
            found[line] = path
    return found


def _nearest(cells: Mapping[Path, Place], path: Path) -> Place | None:
    """The place of ``path`` or of the nearest value that holds it."""
    while True:
        if path in cells:
            return cells[path]
        if not path:
            return None
        path = path[:-1]
