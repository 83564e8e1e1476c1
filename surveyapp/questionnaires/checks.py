"""Checks of YAML values shared by the readers of a definition file, with their messages.

:class:`Checker` checks nodes (they know their lines) and reports each problem once,
with the line and the place (``where``: a question, a section...) it concerns.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from surveyapp.questionnaires.problems import Report
from surveyapp.questionnaires.yaml_source import (
    Entry,
    Map,
    Scalar,
    Seq,
    Value,
    bool_hint,
    describe,
    number_hint,
    text_hint,
)

LANGUAGES = ("nb", "nn", "en")
#: Longest questionnaire or question code (the database columns hold 80 characters).
MAX_CODE_LENGTH = 80


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return (is_int(value) or isinstance(value, float)) and math.isfinite(value)


def fmt(value: Any) -> str:
    """A value as it reads in a message: numbers bare, text in quotes."""
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def fmt_list(values: Iterable[Any]) -> str:
    return ", ".join(fmt(v) if not isinstance(v, str) else v for v in values)


def suggest(word: str, choices: Iterable[str]) -> str:
    choices = list(choices)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f" (did you mean '{close[0]}'?)"
    if choices:
        return f" (expected one of: {', '.join(choices)})"
    return ""


def read_translation(
    key: str, value: Value | Any
) -> tuple[dict[str, str] | None, list[tuple[str | None, str]]]:
    """A translation map ``{nb, nn, en}`` read from a node or plain data.

    Returns the texts (None if anything is wrong) and the problems, each with the
    language it is about (None: the map itself).
    """
    if isinstance(value, Map):
        entries: dict[str, Any] = {lang: entry.value for lang, entry in value.entries.items()}
    elif isinstance(value, dict):
        entries = value
    else:
        hint = ""
        if isinstance(value.value if isinstance(value, Scalar) else value, str):
            hint = " (give the text in all three languages: {nb: ..., nn: ..., en: ...})"
        return None, [
            (
                None,
                f"'{key}' must be a translation map with nb, nn and en,"
                f" not {describe(value)}{hint}",
            )
        ]
    problems: list[tuple[str | None, str]] = [
        (None, f"'{key}' is missing the language '{lang}'")
        for lang in LANGUAGES
        if lang not in entries
    ]
    texts: dict[str, str] = {}
    for lang, text in entries.items():
        if lang not in LANGUAGES:
            problems.append(
                (
                    lang,
                    f"'{key}' has an unknown language '{lang}' (expected: {', '.join(LANGUAGES)})",
                )
            )
            continue
        is_scalar = not isinstance(text, Map | Seq | dict | list)
        x = text.value if isinstance(text, Scalar) else text
        if is_scalar and (x is None or (isinstance(x, str) and not x.strip())):
            problems.append((lang, f"'{key}' in '{lang}' is empty"))
        elif not (is_scalar and isinstance(x, str)):
            problems.append(
                (lang, f"'{key}' in '{lang}' must be text, not {describe(text)}{text_hint(text)}")
            )
        else:
            texts[lang] = x
    if problems:
        return None, problems
    return {lang: texts[lang] for lang in LANGUAGES}, []


class Checker:
    """Reads values out of mapping nodes, reporting every problem to ``report``."""

    def __init__(self, report: Report) -> None:
        self.report = report

    def err(self, line: int | None, where: str, message: str) -> None:
        self.report.add(line, where, message)

    def keys(
        self,
        m: Map,
        where: str,
        required: Iterable[str],
        optional: Iterable[str] = (),
        misplaced: Callable[[str], str | None] | None = None,
        line: int | None = None,
    ) -> None:
        """Missing required keys and unknown keys (``misplaced`` words the known-elsewhere)."""
        required = list(required)
        allowed = list(dict.fromkeys([*required, *optional]))
        for key in required:
            if key not in m.entries:
                self.err(line or m.line, where, f"missing required key '{key}'")
        for key, entry in m.entries.items():
            if key in allowed:
                continue
            special = misplaced(key) if misplaced is not None else None
            if special:
                self.err(entry.line, where, special)
            else:
                self.err(entry.line, where, f"unknown key '{key}'{suggest(key, allowed)}")

    def expected(self, entry: Entry, key: str, where: str, what: str, hint: str = "") -> None:
        self.err(entry.line, where, f"'{key}' must be {what}, not {describe(entry.value)}{hint}")

    def as_map(self, entry: Entry, key: str, where: str, what: str = "") -> Map | None:
        if isinstance(entry.value, Map):
            return entry.value
        self.expected(entry, key, where, what or "a mapping (key: value pairs)")
        return None

    def as_list(self, entry: Entry, key: str, where: str, what: str = "a list") -> Seq | None:
        if isinstance(entry.value, Seq):
            return entry.value
        self.expected(entry, key, where, what)
        return None

    def get_str(self, m: Map, key: str, where: str) -> str | None:
        entry = m.entries.get(key)
        if entry is None:
            return None
        value = entry.value
        if isinstance(value, Scalar) and isinstance(value.value, str):
            if not value.value.strip():
                self.err(entry.line, where, f"'{key}' is empty")
                return None
            return value.value
        self.expected(entry, key, where, "text", text_hint(value))
        return None

    def get_bool(self, m: Map, key: str, where: str, default: bool) -> bool:
        entry = m.entries.get(key)
        if entry is None:
            return default
        value = entry.value
        if isinstance(value, Scalar) and isinstance(value.value, bool):
            return value.value
        self.expected(entry, key, where, "true or false", bool_hint(value))
        return default

    def get_int(
        self,
        m: Map,
        key: str,
        where: str,
        default: int | None = None,
        minimum: int | None = None,
    ) -> int | None:
        entry = m.entries.get(key)
        if entry is None:
            return default
        value = entry.value
        if not (isinstance(value, Scalar) and is_int(value.value)):
            self.expected(entry, key, where, "a whole number", number_hint(value))
            return default
        number: int = value.value
        if minimum is not None and number < minimum:
            self.err(entry.line, where, f"'{key}' must be at least {minimum}, not {number}")
            return default
        return number

    def get_number(
        self,
        m: Map,
        key: str,
        where: str,
        default: float | None = None,
        non_negative: bool = False,
    ) -> float | None:
        entry = m.entries.get(key)
        if entry is None:
            return default
        value = entry.value
        if not (isinstance(value, Scalar) and is_number(value.value)):
            self.expected(entry, key, where, "a number", number_hint(value))
            return default
        number: float = value.value
        if non_negative and number < 0:
            self.err(entry.line, where, f"'{key}' must not be negative ({fmt(number)})")
            return default
        return number

    def translation(self, entry: Entry, key: str, where: str) -> dict[str, str] | None:
        texts, problems = read_translation(key, entry.value)
        for lang, message in problems:
            line = entry.line
            if lang is not None and isinstance(entry.value, Map):
                line = entry.value.entries[lang].line
            self.err(line, where, message)
        return texts

    def get_translation(self, m: Map, key: str, where: str) -> dict[str, str] | None:
        entry = m.entries.get(key)
        return None if entry is None else self.translation(entry, key, where)

    def code(
        self,
        m: Map,
        key: str,
        where: str,
        pattern: re.Pattern[str],
        rule: str,
        what: str = "code",
        max_length: int | None = None,
    ) -> str | None:
        value = self.get_str(m, key, where)
        if value is None:
            return None
        entry = m.entries[key]
        if not pattern.fullmatch(value):
            self.err(entry.line, where, f"{what} '{value}' is not valid: {rule}")
            return None
        if max_length is not None and len(value) > max_length:
            self.err(
                entry.line,
                where,
                f"{what} '{value}' is too long ({len(value)} characters; at most {max_length})",
            )
            return None
        return value
