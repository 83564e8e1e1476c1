"""What is wrong with a definition file: problems naming the file, the line and the place.

Every problem in a file is collected before anything is raised: a broken file gives one
:class:`DefinitionError` whose ``problems`` are in file order.

A message is English where it is made (the command line prints it) and, where it is a
:class:`Msg`, also shown in the reader's language: a msgid marked with ``N_`` and its
values, which may be messages too (``question 'x'``). Rendering takes any gettext, the
request's (Flask-Babel) or one of :mod:`surveyapp.catalogs`; nothing here needs Flask.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from surveyapp import formatting

#: Problems reported at most; a file with more is refused after listing these.
MAX_PROBLEMS = 200


def N_(message: str) -> str:  # noqa: N802 - the conventional name of the gettext marker
    """Marks a message for translation where it is defined; translated where it is shown."""
    return message


def english(msgid: str, **values: Any) -> str:
    """The untranslated message (what a catalogue without the msgid gives)."""
    return msgid % values if values else msgid


@dataclass(frozen=True)
class Msg:
    """A message in no language yet: ``Msg(N_("question '%(code)s'"), {"code": "age"})``."""

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, gettext: Callable[..., str], language: str = "en") -> str:
        values = {key: render(value, gettext, language) for key, value in self.params.items()}
        return gettext(self.msgid, **values) if values else gettext(self.msgid)

    def __str__(self) -> str:
        return self.render(english)


def msg(msgid: str, **params: Any) -> Msg:
    """A :class:`Msg`; mark ``msgid`` with ``N_`` where it is written."""
    return Msg(msgid, params)


#: A text in a problem: plain English (not translated yet) or a :class:`Msg`.
Text = str | Msg


@dataclass(frozen=True)
class Count:
    """A whole number in a message, written as the reader's language groups digits
    (40,000 in English, 40 000 in Norwegian)."""

    value: int

    def __str__(self) -> str:
        return formatting.count(self.value, "en")


def render(value: Any, gettext: Callable[..., str], language: str = "en") -> Any:
    """A message in ``gettext``'s language (numbers written for ``language``); any other
    value as it is."""
    if isinstance(value, Msg):
        return value.render(gettext, language)
    if isinstance(value, Count):
        return formatting.count(value.value, language)
    return value


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

    ``message`` is English (the command line shows it after ``location``). A translatable
    problem also has ``msgid`` and ``params``, so a page can show it in the reader's
    language with :meth:`text`, and its ``place`` in the file. ``context`` is what the
    problem is about (a question, a section) when the place does not say it; ``body``
    the English message without it, when ``message`` starts with it.
    """

    file: str
    location: str
    message: str
    place: Place | None = None
    msgid: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    context: Text | None = None
    body: str | None = None

    def __str__(self) -> str:
        if self.location:
            return f"{self.file}: {self.location}: {self.message}"
        return f"{self.file}: {self.message}"

    def text(self, gettext: Callable[..., str], language: str = "en") -> str:
        """The message, with what it is about, in the language ``gettext`` translates to
        (its numbers written for ``language``)."""
        if self.msgid is not None:
            core = Msg(self.msgid, self.params).render(gettext, language)
        else:
            core = self.body if self.body is not None else self.message
        if not self.context:
            return core
        about = render(self.context, gettext, language)
        return gettext(N_("%(about)s: %(message)s"), about=about, message=core)


class DefinitionError(Exception):
    """A definition file is unusable; ``problems`` lists everything found wrong."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__(self.problems)

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


def more_problems(filename: str, more: int) -> Problem:
    """The last line of a list cut at MAX_PROBLEMS."""
    message = Msg(N_("... and %(more)s more problems (not listed)"), {"more": Count(more)})
    return Problem(filename, "", str(message), None, message.msgid, message.params)


class Report:
    """Collects the problems of one file; reports them sorted by line."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self._items: list[tuple[int, int, Problem]] = []

    def add(self, line: int | None, where: Text, message: Text, english: str | None = None) -> None:
        """A problem at ``line`` (None: the whole file) in ``where`` (a question, a scenario...).

        ``english``: the command line's text when it says more than ``message`` (a parser's
        own English detail, which the translated page leaves out).
        """
        parts = []
        if line is not None:
            parts.append(f"line {line}")
        if where:
            parts.append(str(where))
        place = Place(line=line) if line is not None else None
        msgid, params = (message.msgid, message.params) if isinstance(message, Msg) else (None, {})
        text = english if english is not None else str(message)
        problem = Problem(
            self.filename, ", ".join(parts), text, place, msgid, params, where or None
        )
        self._items.append((line or 0, len(self._items), problem))

    def __bool__(self) -> bool:
        return bool(self._items)

    def error(self) -> DefinitionError:
        problems = [p for _, _, p in sorted(self._items, key=lambda t: t[:2])]
        if len(problems) > MAX_PROBLEMS:
            more = len(problems) - MAX_PROBLEMS
            problems = problems[:MAX_PROBLEMS] + [more_problems(self.filename, more)]
        return DefinitionError(problems)
