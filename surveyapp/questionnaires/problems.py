"""What is wrong with a definition file: problems naming the file, the line and the place.

Every problem in a file is collected before anything is raised: a broken file gives one
:class:`DefinitionError` whose ``problems`` are in file order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Problems reported at most; a file with more is refused after listing these.
MAX_PROBLEMS = 200


@dataclass(frozen=True)
class Place:
    """Where in an uploaded file: a workbook's sheet, row and column, or a line."""

    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    line: int | None = None

    @property
    def cell(self) -> str | None:
        """The cell reference (C5) when both row and column are known."""
        if self.row is not None and self.column is not None:
            return f"{self.column}{self.row}"
        return None


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition file.

    ``message`` is English (the command line shows it); a problem found by the XLSForm
    or LimeSurvey reader also has ``msgid`` and ``params``, so a page can show it in the
    reader's language with :meth:`text`, and its ``place`` in the file.
    """

    file: str
    location: str
    message: str
    place: Place | None = None
    msgid: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        if self.location:
            return f"{self.file}: {self.location}: {self.message}"
        return f"{self.file}: {self.message}"

    def text(self, gettext: Callable[..., str]) -> str:
        """The message in the language ``gettext`` translates to."""
        if self.msgid is None:
            return self.message
        return gettext(self.msgid, **self.params)


class DefinitionError(Exception):
    """A definition file is unusable; ``problems`` lists everything found wrong."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__(self.problems)

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


class Report:
    """Collects the problems of one file; reports them sorted by line."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self._items: list[tuple[int, int, Problem]] = []

    def add(self, line: int | None, where: str, message: str) -> None:
        """A problem at ``line`` (None: the whole file) in ``where`` (a question, a scenario...)."""
        parts = []
        if line is not None:
            parts.append(f"line {line}")
        if where:
            parts.append(where)
        place = Place(line=line) if line is not None else None
        problem = Problem(self.filename, ", ".join(parts), message, place)
        self._items.append((line or 0, len(self._items), problem))

    def __bool__(self) -> bool:
        return bool(self._items)

    def error(self) -> DefinitionError:
        problems = [p for _, _, p in sorted(self._items, key=lambda t: t[:2])]
        if len(problems) > MAX_PROBLEMS:
            more = len(problems) - MAX_PROBLEMS
            problems = problems[:MAX_PROBLEMS] + [
                Problem(self.filename, "", f"... and {more:,} more problems (not listed)")
            ]
        return DefinitionError(problems)
