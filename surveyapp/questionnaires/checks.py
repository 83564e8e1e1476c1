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

from surveyapp.questionnaires.problems import N_, Report, Text, msg
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
_CODE = msg(N_("code"))
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


def suggest(word: str, choices: Iterable[str]) -> Text:
    choices = list(choices)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return msg(N_(" (did you mean '%(word)s'?)"), word=close[0])
    if choices:
        return msg(N_(" (expected one of: %(choices)s)"), choices=", ".join(choices))
    return ""


def read_translation(
    key: str, value: Value | Any
) -> tuple[dict[str, str] | None, list[tuple[str | None, str]]]:
    """A translation map ``{nb, nn, en}`` read from a node or plain data.

    Returns the texts (None if anything is wrong) and the problems in English, each with
    the language it is about (None: the map itself).
    """
    texts, problems = translation_problems(key, value)
    return texts, [(lang, str(message)) for lang, message in problems]


def translation_problems(
    key: str, value: Value | Any
) -> tuple[dict[str, str] | None, list[tuple[str | None, Text]]]:
    """:func:`read_translation` with the problems as translatable messages."""
    if isinstance(value, Map):
        entries: dict[str, Any] = {lang: entry.value for lang, entry in value.entries.items()}
    elif isinstance(value, dict):
        entries = value
    else:
        hint: Text = ""
        if isinstance(value.value if isinstance(value, Scalar) else value, str):
            hint = msg(N_(" (give the text in all three languages: {nb: ..., nn: ..., en: ...})"))
        return None, [
            (
                None,
                msg(
                    N_(
                        "'%(key)s' must be a translation map with nb, nn and en,"
                        " not %(got)s%(hint)s"
                    ),
                    key=key,
                    got=describe(value),
                    hint=hint,
                ),
            )
        ]
    problems: list[tuple[str | None, Text]] = [
        (None, msg(N_("'%(key)s' is missing the language '%(lang)s'"), key=key, lang=lang))
        for lang in LANGUAGES
        if lang not in entries
    ]
    texts: dict[str, str] = {}
    for lang, text in entries.items():
        if lang not in LANGUAGES:
            problems.append(
                (
                    lang,
                    msg(
                        N_("'%(key)s' has an unknown language '%(lang)s' (expected: %(expected)s)"),
                        key=key,
                        lang=lang,
                        expected=", ".join(LANGUAGES),
                    ),
                )
            )
            continue
        is_scalar = not isinstance(text, Map | Seq | dict | list)
        x = text.value if isinstance(text, Scalar) else text
        if is_scalar and (x is None or (isinstance(x, str) and not x.strip())):
            problems.append((lang, msg(N_("'%(key)s' in '%(lang)s' is empty"), key=key, lang=lang)))
        elif not (is_scalar and isinstance(x, str)):
            problems.append(
                (
                    lang,
                    msg(
                        N_("'%(key)s' in '%(lang)s' must be text, not %(got)s%(hint)s"),
                        key=key,
                        lang=lang,
                        got=describe(text),
                        hint=text_hint(text),
                    ),
                )
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

    def err(self, line: int | None, where: Text, message: Text) -> None:
        self.report.add(line, where, message)

    def keys(
        self,
        m: Map,
        where: Text,
        required: Iterable[str],
        optional: Iterable[str] = (),
        misplaced: Callable[[str], Text | None] | None = None,
        line: int | None = None,
    ) -> None:
        """Missing required keys and unknown keys (``misplaced`` words the known-elsewhere)."""
        required = list(required)
        allowed = list(dict.fromkeys([*required, *optional]))
        for key in required:
            if key not in m.entries:
                self.err(line or m.line, where, msg(N_("missing required key '%(key)s'"), key=key))
        for key, entry in m.entries.items():
            if key in allowed:
                continue
            special = misplaced(key) if misplaced is not None else None
            if special:
                self.err(entry.line, where, special)
            else:
                self.err(
                    entry.line,
                    where,
                    msg(N_("unknown key '%(key)s'%(hint)s"), key=key, hint=suggest(key, allowed)),
                )

    def expected(self, entry: Entry, key: str, where: Text, what: Text, hint: Text = "") -> None:
        """``key``'s value is not ``what`` (a :class:`Msg`: "a list", "text"...)."""
        self.err(
            entry.line,
            where,
            msg(
                N_("'%(key)s' must be %(what)s, not %(got)s%(hint)s"),
                key=key,
                what=what,
                got=describe(entry.value),
                hint=hint,
            ),
        )

    def as_map(self, entry: Entry, key: str, where: Text, what: Text = "") -> Map | None:
        if isinstance(entry.value, Map):
            return entry.value
        self.expected(entry, key, where, what or msg(N_("a mapping (key: value pairs)")))
        return None

    def as_list(self, entry: Entry, key: str, where: Text, what: Text = "") -> Seq | None:
        if isinstance(entry.value, Seq):
            return entry.value
        self.expected(entry, key, where, what or msg(N_("a list")))
        return None

    def get_str(self, m: Map, key: str, where: Text) -> str | None:
        entry = m.entries.get(key)
        if entry is None:
            return None
        value = entry.value
        if isinstance(value, Scalar) and isinstance(value.value, str):
            if not value.value.strip():
                self.err(entry.line, where, msg(N_("'%(key)s' is empty"), key=key))
                return None
            return value.value
        self.expected(entry, key, where, msg(N_("text")), text_hint(value))
        return None

    def get_bool(self, m: Map, key: str, where: Text, default: bool) -> bool:
        entry = m.entries.get(key)
        if entry is None:
            return default
        value = entry.value
        if isinstance(value, Scalar) and isinstance(value.value, bool):
            return value.value
        self.expected(entry, key, where, msg(N_("true or false")), bool_hint(value))
        return default

    def get_int(
        self,
        m: Map,
        key: str,
        where: Text,
        default: int | None = None,
        minimum: int | None = None,
    ) -> int | None:
        entry = m.entries.get(key)
        if entry is None:
            return default
        value = entry.value
        if not (isinstance(value, Scalar) and is_int(value.value)):
            self.expected(entry, key, where, msg(N_("a whole number")), number_hint(value))
            return default
        number: int = value.value
        if minimum is not None and number < minimum:
            self.err(
                entry.line,
                where,
                msg(
                    N_("'%(key)s' must be at least %(min)s, not %(value)s"),
                    key=key,
                    min=minimum,
                    value=number,
                ),
            )
            return default
        return number

    def get_number(
        self,
        m: Map,
        key: str,
        where: Text,
        default: float | None = None,
        non_negative: bool = False,
    ) -> float | None:
        entry = m.entries.get(key)
        if entry is None:
            return default
        value = entry.value
        if not (isinstance(value, Scalar) and is_number(value.value)):
            self.expected(entry, key, where, msg(N_("a number")), number_hint(value))
            return default
        number: float = value.value
        if non_negative and number < 0:
            self.err(
                entry.line,
                where,
                msg(N_("'%(key)s' must not be negative (%(value)s)"), key=key, value=fmt(number)),
            )
            return default
        return number

    def translation(self, entry: Entry, key: str, where: Text) -> dict[str, str] | None:
        texts, problems = translation_problems(key, entry.value)
        for lang, message in problems:
            line = entry.line
            if lang is not None and isinstance(entry.value, Map):
                line = entry.value.entries[lang].line
            self.err(line, where, message)
        return texts

    def get_translation(self, m: Map, key: str, where: Text) -> dict[str, str] | None:
        entry = m.entries.get(key)
        return None if entry is None else self.translation(entry, key, where)

    def code(
        self,
        m: Map,
        key: str,
        where: Text,
        pattern: re.Pattern[str],
        rule: Text,
        what: Text = _CODE,
        max_length: int | None = None,
    ) -> str | None:
        value = self.get_str(m, key, where)
        if value is None:
            return None
        entry = m.entries[key]
        if not pattern.fullmatch(value):
            self.err(
                entry.line,
                where,
                msg(
                    N_("%(what)s '%(value)s' is not valid: %(rule)s"),
                    what=what,
                    value=value,
                    rule=rule,
                ),
            )
            return None
        if max_length is not None and len(value) > max_length:
            self.err(
                entry.line,
                where,
                msg(
                    N_("%(what)s '%(value)s' is too long (%(n)s characters; at most %(max)s)"),
                    what=what,
                    value=value,
                    n=len(value),
                    max=max_length,
                ),
            )
            return None
        return value
