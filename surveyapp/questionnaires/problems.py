"""What is wrong with a definition file: problems naming the file, the line and the place.

Every problem in a file is collected before anything is raised: a broken file gives one
:class:`DefinitionError` whose ``problems`` are in file order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: Problems reported at most; a file with more is refused after listing these.
MAX_PROBLEMS = 200


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition file."""

    file: str
    location: str
    message: str

    def __str__(self) -> str:
        if self.location:
            return f"{self.file}: {self.location}: {self.message}"
        return f"{self.file}: {self.message}"


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
        problem = Problem(self.filename, ", ".join(parts), message)
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
