"""Validation and parsing of questionnaire definition files.

The file format is the contract in ``docs/questionnaire-format.md``. This module is
plain Python (YAML text in, frozen dataclasses out); it imports neither Flask nor
SQLAlchemy, so the command line, the tests and the web app can all use it.

Every problem in a file is collected before anything is raised: a broken file gives
one :class:`DefinitionError` whose ``problems`` name the file, the line and the
question, section or scenario concerned, in file order.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import hashlib
import json
import math
import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeAlias

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "KINDS",
    "LANGUAGES",
    "QUESTION_TYPES",
    "Condition",
    "Definition",
    "DefinitionError",
    "Indicator",
    "Option",
    "Problem",
    "Question",
    "Section",
    "fingerprint_payload",
    "load_file",
    "parse_definition",
]

LANGUAGES = ("nb", "nn", "en")
QUESTION_TYPES = (
    "rating",
    "single",
    "multiple",
    "yesno",
    "number",
    "duration",
    "date",
    "datetime",
    "text",
)
KINDS = ("survey", "checklist", "census", "protocol")

FORMAT_VERSION = 1
SECTIONED_KINDS = ("survey", "checklist", "census")
CONDITION_TYPES = ("rating", "single", "multiple", "yesno")
INDICATOR_TYPES = ("rating", "single")
CHANNELS = ("phone", "email", "web")
MISSING_CONTACTS = ("zero", "exclude")
DONT_KNOW = "dont_know"
DEFAULT_TARGET = 0.80
DEFAULT_PHONE_HOURS = {"start": "09:30", "end": "15:00"}
DEFAULT_TEXT_MAX_LENGTH = 2000
WEIGHT_TOLERANCE = 0.001
#: Longest questionnaire or question code (the database columns hold 80 characters).
MAX_CODE_LENGTH = 80

_YES_LABEL = {"nb": "Ja", "nn": "Ja", "en": "Yes"}
_NO_LABEL = {"nb": "Nei", "nn": "Nei", "en": "No"}

# Keys each question type accepts besides code, type, text, help, error, required and show_if.
_TYPE_KEYS: dict[str, tuple[str, ...]] = {
    "rating": ("scale", "options", "dont_know"),
    "single": ("scale", "options", "dont_know"),
    "multiple": ("scale", "options", "min_choices", "max_choices"),
    "yesno": ("dont_know", "comment"),
    "number": ("min", "max", "integer", "unit"),
    "duration": ("max_minutes",),
    "date": (),
    "datetime": (),
    "text": ("max_length", "multiline"),
}
_COMMON_QUESTION_KEYS = ("code", "type", "text", "help", "error", "required", "show_if")
_ALL_TYPE_KEYS = tuple(dict.fromkeys(k for keys in _TYPE_KEYS.values() for k in keys))
# Settings that only change how a free-text field is shown; they do not change the
# question, so they are left out of its fingerprint.
_PRESENTATION_SETTINGS = ("max_length", "multiline")

_BASE_KEYS = ("format", "code", "kind", "title", "description", "source", "scales")
_SECTIONED_KEYS = ("sections", "indicator")
_PROTOCOL_KEYS = (
    "channels",
    "sectors",
    "scenarios",
    "grade_bands",
    "missing_contacts",
    "phone_hours",
)
_PROTOCOL_REQUIRED = ("channels", "sectors", "scenarios", "grade_bands")

# Per channel: optional integer settings (name, minimum, default), and the point keys.
_CHANNEL_SETTINGS: dict[str, tuple[tuple[str, int, int], ...]] = {
    "phone": (("max_attempts", 1, 2), ("max_wait_seconds", 1, 240)),
    "email": (("quality_cutoff_days", 1, 10),),
    "web": (("time_limit_seconds", 1, 120), ("testers", 1, 2)),
}
_CHANNEL_POINTS: dict[str, tuple[str, ...]] = {
    "phone": ("answered_first_contact", "checkpoint", "referred_correctly", "courtesy"),
    "email": ("checkpoint", "courtesy"),
    "web": ("found", "quality"),
}
_CHECKPOINT_CHANNELS = ("phone", "email")

_CODE_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
_SECTION_CODE_RE = re.compile(r"[a-z0-9_]+")
_QUESTION_CODE_RE = re.compile(r"[a-z][a-z0-9_]*")
_OPTION_CODE_RE = re.compile(r"[a-z0-9_]+")
# Sector, scenario and checkpoint codes (the format leaves their spelling open).
_ITEM_CODE_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")
_TIME_RE = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")

# Guards against alias bombs ("billion laughs") and absurdly large files.
_MAX_NODES = 200_000

_TAG_MAP = "tag:yaml.org,2002:map"
_TAG_SEQ = "tag:yaml.org,2002:seq"
_TAG_NULL = "tag:yaml.org,2002:null"
_TAG_MERGE = "tag:yaml.org,2002:merge"


# --------------------------------------------------------------------------- public types


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


@dataclass(frozen=True)
class Option:
    value: int | str
    label: dict[str, str]


@dataclass(frozen=True)
class Condition:
    """``show_if``: shown when ``question`` has one of ``values`` (``equals`` → 1-tuple)."""

    question: str
    values: tuple[int | str, ...]


@dataclass(frozen=True)
class Question:
    code: str
    type: str
    text: dict[str, str]
    help: dict[str, str] | None
    required: bool
    options: tuple[Option, ...]
    dont_know: bool
    show_if: Condition | None
    section: str
    settings: dict[str, Any]
    fingerprint: str
    #: What to tell someone who left a required question unanswered ("Choose what your
    #: matter was about"); None: a general message for the question's type.
    error: dict[str, str] | None = None


@dataclass(frozen=True)
class Section:
    code: str
    title: dict[str, str]
    intro: dict[str, str] | None
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Indicator:
    question: str
    satisfied: tuple[int | str, ...]
    excluded: tuple[int | str, ...]
    target: float


@dataclass(frozen=True)
class Definition:
    code: str
    kind: str
    title: dict[str, str]
    description: dict[str, str] | None
    source: str | None
    sections: tuple[Section, ...]
    indicator: Indicator | None
    protocol: dict[str, Any] | None
    raw: dict[str, Any]
    content_hash: str

    @property
    def questions(self) -> tuple[Question, ...]:
        """All questions, in file order."""
        return tuple(q for section in self.sections for q in section.questions)

    def question(self, code: str) -> Question:
        """The question with this code; ``KeyError`` if there is none."""
        for q in self.questions:
            if q.code == code:
                return q
        raise KeyError(code)


# --------------------------------------------------------------------------- entry points


def parse_definition(text: str | bytes, filename: str) -> Definition:
    """Validate and parse one definition file; raises :class:`DefinitionError`."""
    report = _Report(filename)
    if isinstance(text, bytes):
        decoded = _decode(text, report)
        if decoded is None:
            raise report.error()
    else:
        decoded = text[1:] if text.startswith("\ufeff") else text
    loaded = _load_yaml(decoded, report)
    if loaded is None:
        raise report.error()
    root, raw = loaded
    definition = _Validator(report).run(root, raw)
    if report or definition is None:
        raise report.error()
    return definition


def load_file(path: str | os.PathLike[str]) -> Definition:
    """Read and parse a definition file. A file that cannot be read is a DefinitionError."""
    filename = os.fspath(path)
    try:
        with open(filename, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise DefinitionError([Problem(filename, "", "file not found")]) from None
    except IsADirectoryError:
        raise DefinitionError([Problem(filename, "", "is a directory, not a file")]) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise DefinitionError([Problem(filename, "", f"cannot read the file: {reason}")]) from None
    return parse_definition(data, filename)


def fingerprint_payload(
    type_: str,
    text: dict[str, str],
    options: Iterable[Option],
    dont_know: bool,
    settings: dict[str, Any],
) -> str:
    """The canonical JSON a question's fingerprint is the SHA-256 of.

    It covers what decides whether answers can be compared: type, wording in all
    languages, options (values and labels), ``dont_know``, the ``comment`` flag and
    the range settings. Code, help, required, show_if and section are left out, and
    so are ``max_length``/``multiline`` (how a text box is shown). Text is compared
    after Unicode NFC normalisation and with runs of whitespace collapsed, and whole
    floats count as integers, so reformatting the file does not change it.
    """
    payload = {
        "type": type_,
        "text": _norm_translation(text),
        "options": [[option.value, _norm_translation(option.label)] for option in options],
        "dont_know": dont_know,
        "settings": {
            key: _norm_setting(value)
            for key, value in settings.items()
            if key not in _PRESENTATION_SETTINGS
        },
    }
    return _canonical_json(payload)


# --------------------------------------------------------------------------- helpers


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _norm_text(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _norm_translation(value: dict[str, str]) -> dict[str, str]:
    return {lang: _norm_text(text) for lang, text in value.items()}


def _norm_setting(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _norm_text(v) if isinstance(v, str) else v for k, v in value.items()}
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _fmt(value: Any) -> str:
    """A value as it reads in a message: numbers bare, text in quotes."""
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _fmt_list(values: Iterable[Any]) -> str:
    return ", ".join(_fmt(v) if not isinstance(v, str) else v for v in values)


def _suggest(word: str, choices: Iterable[str]) -> str:
    choices = list(choices)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f" (did you mean '{close[0]}'?)"
    if choices:
        return f" (expected one of: {', '.join(choices)})"
    return ""


class _TooBig(Exception):
    pass


class _Report:
    """Collects problems; reports them sorted by line."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self._items: list[tuple[int, int, Problem]] = []

    def add(self, line: int | None, where: str, message: str) -> None:
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
        return DefinitionError(p for _, _, p in sorted(self._items, key=lambda t: t[:2]))


# --------------------------------------------------------------------------- reading YAML


@dataclass(eq=False)
class _Scalar:
    line: int
    value: Any


@dataclass(eq=False)
class _Seq:
    line: int
    items: list[_Value]


@dataclass(eq=False)
class _Entry:
    line: int  # the line of the key
    value: _Value


@dataclass(eq=False)
class _Map:
    line: int
    entries: dict[str, _Entry]


_Value: TypeAlias = _Scalar | _Seq | _Map


def _raw(entry: _Entry | None) -> Any:
    """The plain value of an entry if it is a scalar, else None."""
    if entry is not None and isinstance(entry.value, _Scalar):
        return entry.value.value
    return None


def _describe(value: _Value) -> str:
    if isinstance(value, _Map):
        return "a mapping"
    if isinstance(value, _Seq):
        return "a list"
    x = value.value
    if x is None:
        return "nothing (an empty value)"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int | float):
        return f"the number {x:g}" if isinstance(x, float) else f"the number {x}"
    if isinstance(x, str):
        shown = x if len(x) <= 40 else x[:37] + "..."
        return f"the text '{shown}'"
    if isinstance(x, _dt.datetime):
        return f"the date and time {x.isoformat()}"
    if isinstance(x, _dt.date):
        return f"the date {x.isoformat()}"
    if isinstance(x, bytes):
        return "binary data"
    return f"a value of type {type(x).__name__}"


def _text_hint(value: _Value) -> str:
    """Why a value that should be text is not, when YAML did something surprising."""
    if isinstance(value, _Scalar):
        x = value.value
        if isinstance(x, bool):
            return (
                " (YAML reads unquoted yes, no, on, off, true and false as true/false;"
                " put the text in quotes)"
            )
        if isinstance(x, int | float | _dt.date):
            return " (put it in quotes to make it text)"
    return ""


def _number_hint(value: _Value) -> str:
    if isinstance(value, _Scalar) and isinstance(value.value, str):
        try:
            float(value.value)
        except ValueError:
            return ""
        return " (remove the quotes)"
    return ""


def _bool_hint(value: _Value) -> str:
    if isinstance(value, _Scalar) and isinstance(value.value, str | int):
        return " (write true or false, without quotes)"
    return ""


def _decode(data: bytes, report: _Report) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start : exc.start + 1].hex()
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            hint = " (it looks like UTF-16; save the file as UTF-8)"
        else:
            hint = " (perhaps it was saved as Latin-1/Windows-1252; save it as UTF-8)"
        report.add(
            line,
            "",
            f"the file is not valid UTF-8: byte 0x{byte} at byte offset {exc.start}"
            f" cannot be decoded{hint}",
        )
        return None
    return text[1:] if text.startswith("\ufeff") else text


def _yaml_error_hint(problem: str) -> str:
    if "mapping values are not allowed" in problem:
        return " (is there an unquoted ': ' inside a value? Put such text in quotes)"
    if "but got '?'" in problem or "but got ':'" in problem:
        return (
            " (inside {...} or [...], text containing '?' or ':' must be in quotes,"
            ' e.g. {nb: "Hvor fornøyd er du?", ...})'
        )
    if "expected <block end>" in problem or "did not find expected key" in problem:
        return " (check the indentation: items of the same list or mapping must line up)"
    if "'\\t'" in problem:
        return " (YAML does not allow tab characters for indentation; use spaces)"
    return ""


def _load_yaml(text: str, report: _Report) -> tuple[_Value, Any] | None:
    """Compose and construct the YAML; problems go to ``report``."""
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        if node is None or (
            isinstance(node, ScalarNode) and node.tag == _TAG_NULL and not node.value
        ):
            report.add(None, "", "the file is empty")
            return None
        _check_duplicate_keys(node, report)
        raw = loader.construct_document(node)  # also resolves merge keys (<<) in the nodes
        value = _Converter(report).convert(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "unreadable"
        message = f"not valid YAML: {problem}"
        if exc.context and exc.problem and exc.context_mark is not None:
            message += (
                f" ({exc.context}, which starts at line {exc.context_mark.line + 1},"
                f" column {exc.context_mark.column + 1})"
            )
        message += _yaml_error_hint(problem)
        if mark is None:
            report.add(None, "", message)
        else:
            report.add(mark.line + 1, f"column {mark.column + 1}", message)
        return None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        report.add(
            line,
            "",
            f"the file contains a character YAML does not allow ({exc.character!r}): {exc.reason}",
        )
        return None
    except yaml.YAMLError as exc:
        report.add(None, "", f"not valid YAML: {exc}")
        return None
    except RecursionError:
        report.add(None, "", "the file is nested too deeply to read")
        return None
    except _TooBig:
        report.add(None, "", "the file is too large (or expands too many aliases) to read")
        return None
    finally:
        if loader is not None:
            loader.dispose()
    return value, raw


def _check_duplicate_keys(root: Node, report: _Report) -> None:
    """YAML silently keeps the last of two equal keys; a definition file must not."""
    seen: set[int] = set()
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            first: dict[tuple[str, str], int] = {}
            for key, value in node.value:
                if isinstance(key, ScalarNode) and key.tag != _TAG_MERGE:
                    ident = (key.tag, key.value)
                    line = key.start_mark.line + 1
                    if ident in first:
                        report.add(
                            line,
                            "",
                            f"duplicate key '{key.value}' (first at line {first[ident]});"
                            " YAML would silently keep only the last one",
                        )
                    else:
                        first[ident] = line
                stack.append(key)
                stack.append(value)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)


class _Converter:
    """Turns composed YAML nodes into values that remember their line numbers."""

    def __init__(self, report: _Report) -> None:
        self.report = report
        self.count = 0
        self.active: set[int] = set()
        self.constructor = SafeConstructor()

    def scalar(self, node: ScalarNode) -> Any:
        return self.constructor.construct_object(node)

    def convert(self, node: Node) -> _Value:
        self.count += 1
        if self.count > _MAX_NODES:
            raise _TooBig
        line = node.start_mark.line + 1
        if isinstance(node, ScalarNode):
            return _Scalar(line, self.scalar(node))
        if id(node) in self.active:
            self.report.add(line, "", "an alias refers to the structure that contains it")
            return _Scalar(line, None)
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                if node.tag != _TAG_SEQ:
                    self.report.add(line, "", f"unsupported YAML tag '{node.tag}'")
                return _Seq(line, [self.convert(item) for item in node.value])
            if isinstance(node, MappingNode):
                if node.tag != _TAG_MAP:
                    self.report.add(line, "", f"unsupported YAML tag '{node.tag}'")
                entries: dict[str, _Entry] = {}
                for key_node, value_node in node.value:
                    key_line = key_node.start_mark.line + 1
                    if not isinstance(key_node, ScalarNode):
                        self.report.add(key_line, "", "a key must be text, not a list or mapping")
                        continue
                    key = self.scalar(key_node)
                    if not isinstance(key, str):
                        shown = _Scalar(key_line, key)
                        self.report.add(
                            key_line,
                            "",
                            f"a key must be text, not {_describe(shown)}{_text_hint(shown)}",
                        )
                        continue
                    entries[key] = _Entry(key_line, self.convert(value_node))
                return _Map(line, entries)
        finally:
            self.active.discard(id(node))
        raise TypeError(f"unexpected YAML node {node!r}")  # pragma: no cover


# --------------------------------------------------------------------------- validation


@dataclass(eq=False)
class _Draft:
    """A question as read, before conditions are resolved."""

    index: int
    line: int
    where: str
    section: str
    code: str | None
    type: str | None
    text: dict[str, str] | None
    help: dict[str, str] | None
    error: dict[str, str] | None
    required: bool
    options: tuple[Option, ...]
    options_ok: bool
    dont_know: bool
    settings: dict[str, Any]
    show_if_entry: _Entry | None
    show_if: Condition | None = None

    def allowed_values(self) -> list[int | str]:
        values = [option.value for option in self.options]
        if self.dont_know:
            values.append(DONT_KNOW)
        return values


@dataclass(eq=False)
class _SectionDraft:
    code: str | None
    title: dict[str, str] | None
    intro: dict[str, str] | None
    questions: list[_Draft]


class _Validator:
    def __init__(self, report: _Report) -> None:
        self.report = report
        self.drafts: list[_Draft] = []
        self.by_code: dict[str, _Draft] = {}

    def err(self, line: int | None, where: str, message: str) -> None:
        self.report.add(line, where, message)

    # ---------------------------------------------------------------- generic checks

    def keys(
        self,
        m: _Map,
        where: str,
        required: Iterable[str],
        optional: Iterable[str] = (),
        misplaced: Callable[[str], str | None] | None = None,
        line: int | None = None,
    ) -> None:
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
                self.err(entry.line, where, f"unknown key '{key}'{_suggest(key, allowed)}")

    def expected(self, entry: _Entry, key: str, where: str, what: str, hint: str = "") -> None:
        self.err(entry.line, where, f"'{key}' must be {what}, not {_describe(entry.value)}{hint}")

    def as_map(self, entry: _Entry, key: str, where: str, what: str = "") -> _Map | None:
        if isinstance(entry.value, _Map):
            return entry.value
        self.expected(entry, key, where, what or "a mapping (key: value pairs)")
        return None

    def as_list(self, entry: _Entry, key: str, where: str, what: str = "a list") -> _Seq | None:
        if isinstance(entry.value, _Seq):
            return entry.value
        self.expected(entry, key, where, what)
        return None

    def get_str(self, m: _Map, key: str, where: str) -> str | None:
        entry = m.entries.get(key)
        if entry is None:
            return None
        value = entry.value
        if isinstance(value, _Scalar) and isinstance(value.value, str):
            if not value.value.strip():
                self.err(entry.line, where, f"'{key}' is empty")
                return None
            return value.value
        self.expected(entry, key, where, "text", _text_hint(value))
        return None

    def get_bool(self, m: _Map, key: str, where: str, default: bool) -> bool:
        entry = m.entries.get(key)
        if entry is None:
            return default
        value = entry.value
        if isinstance(value, _Scalar) and isinstance(value.value, bool):
            return value.value
        self.expected(entry, key, where, "true or false", _bool_hint(value))
        return default

    def get_int(
        self,
        m: _Map,
        key: str,
        where: str,
        default: int | None = None,
        minimum: int | None = None,
    ) -> int | None:
        entry = m.entries.get(key)
        if entry is None:
            return default
        value = entry.value
        if not (isinstance(value, _Scalar) and _is_int(value.value)):
            self.expected(entry, key, where, "a whole number", _number_hint(value))
            return default
        number: int = value.value
        if minimum is not None and number < minimum:
            self.err(entry.line, where, f"'{key}' must be at least {minimum}, not {number}")
            return default
        return number

    def get_number(
        self,
        m: _Map,
        key: str,
        where: str,
        default: float | None = None,
        non_negative: bool = False,
    ) -> float | None:
        entry = m.entries.get(key)
        if entry is None:
            return default
        value = entry.value
        if not (isinstance(value, _Scalar) and _is_number(value.value)):
            self.expected(entry, key, where, "a number", _number_hint(value))
            return default
        number: float = value.value
        if non_negative and number < 0:
            self.err(entry.line, where, f"'{key}' must not be negative ({_fmt(number)})")
            return default
        return number

    def translation(self, entry: _Entry, key: str, where: str) -> dict[str, str] | None:
        value = entry.value
        if not isinstance(value, _Map):
            hint = ""
            if isinstance(value, _Scalar) and isinstance(value.value, str):
                hint = " (give the text in all three languages: {nb: ..., nn: ..., en: ...})"
            self.expected(entry, key, where, "a translation map with nb, nn and en", hint)
            return None
        ok = True
        texts: dict[str, str] = {}
        for lang in LANGUAGES:
            if lang not in value.entries:
                self.err(entry.line, where, f"'{key}' is missing the language '{lang}'")
                ok = False
        for lang, lang_entry in value.entries.items():
            if lang not in LANGUAGES:
                self.err(
                    lang_entry.line,
                    where,
                    f"'{key}' has an unknown language '{lang}' (expected: {', '.join(LANGUAGES)})",
                )
                ok = False
                continue
            text = lang_entry.value
            if isinstance(text, _Scalar) and (
                text.value is None or (isinstance(text.value, str) and not text.value.strip())
            ):
                self.err(lang_entry.line, where, f"'{key}' in '{lang}' is empty")
                ok = False
            elif not (isinstance(text, _Scalar) and isinstance(text.value, str)):
                self.err(
                    lang_entry.line,
                    where,
                    f"'{key}' in '{lang}' must be text, not {_describe(text)}{_text_hint(text)}",
                )
                ok = False
            else:
                texts[lang] = text.value
        if not ok:
            return None
        return {lang: texts[lang] for lang in LANGUAGES}

    def get_translation(self, m: _Map, key: str, where: str) -> dict[str, str] | None:
        entry = m.entries.get(key)
        return None if entry is None else self.translation(entry, key, where)

    def code(
        self,
        m: _Map,
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

    def option_value(self, value: _Value) -> int | str | None:
        """A condition or indicator value (integer or code), or None if it is neither."""
        if isinstance(value, _Scalar) and (_is_int(value.value) or isinstance(value.value, str)):
            result: int | str = value.value
            return result
        return None

    def value_list(self, entry: _Entry, key: str, where: str) -> list[tuple[int, int | str]]:
        """A scalar or a list of option values, with their lines."""
        items = entry.value.items if isinstance(entry.value, _Seq) else [entry.value]
        out: list[tuple[int, int | str]] = []
        for item in items:
            value = self.option_value(item)
            if value is None:
                hint = ""
                if isinstance(item, _Scalar) and isinstance(item.value, bool):
                    hint = (
                        ' (YAML reads unquoted yes/no as true/false; write "yes" or "no" in quotes)'
                    )
                self.err(
                    item.line,
                    where,
                    f"'{key}' values must be option values (numbers or codes),"
                    f" not {_describe(item)}{hint}",
                )
                continue
            out.append((item.line, value))
        return out

    # ---------------------------------------------------------------- top level

    def run(self, root: _Value, raw: Any) -> Definition | None:
        if not isinstance(root, _Map):
            self.err(
                root.line,
                "",
                "the top level must be a mapping (format: 1, code: ..., kind: ..., title: ...),"
                f" not {_describe(root)}",
            )
            return None
        kind_entry = root.entries.get("kind")
        kind_value = _raw(kind_entry)
        if isinstance(kind_value, str) and kind_value in KINDS:
            kind: str | None = kind_value
        else:
            kind = None

        if kind in SECTIONED_KINDS:
            required = ["format", "code", "kind", "title", "sections"]
            optional = [*_BASE_KEYS, "sections"] + (["indicator"] if kind == "survey" else [])
        elif kind == "protocol":
            required = ["format", "code", "kind", "title", *_PROTOCOL_REQUIRED]
            optional = [*_BASE_KEYS, *_PROTOCOL_KEYS]
        else:
            required = ["format", "code", "kind", "title"]
            optional = [*_BASE_KEYS, *_SECTIONED_KEYS, *_PROTOCOL_KEYS]

        def misplaced(key: str) -> str | None:
            if key in _PROTOCOL_KEYS and kind in SECTIONED_KINDS:
                return f"'{key}' is only used with kind: protocol"
            if key == "sections" and kind == "protocol":
                return (
                    "a protocol has no sections (it has channels, sectors, scenarios and"
                    " grade_bands instead)"
                )
            if key == "indicator" and kind is not None and kind != "survey":
                return f"'indicator' is only used with kind: survey, not kind: {kind}"
            return None

        self.keys(root, "", required, optional, misplaced)

        entry = root.entries.get("format")
        if entry is not None:
            value = entry.value
            if not (isinstance(value, _Scalar) and _is_int(value.value)):
                self.expected(entry, "format", "", f"the number {FORMAT_VERSION}")
            elif value.value != FORMAT_VERSION:
                self.err(
                    entry.line,
                    "",
                    f"unsupported format {value.value} (this version reads format"
                    f" {FORMAT_VERSION})",
                )

        code = self.code(
            root,
            "code",
            "",
            _CODE_RE,
            "use lower-case letters a-z, digits and '-', starting with a letter or digit"
            " (e.g. citizen-satisfaction)",
            max_length=MAX_CODE_LENGTH,
        )
        if kind_entry is not None and kind is None:
            if isinstance(kind_value, str):
                self.err(
                    kind_entry.line,
                    "",
                    f"unknown kind '{kind_value}' (expected one of: {', '.join(KINDS)})",
                )
            else:
                self.expected(kind_entry, "kind", "", f"one of {', '.join(KINDS)}")
        title = self.get_translation(root, "title", "")
        description = self.get_translation(root, "description", "")
        source = self.get_str(root, "source", "")
        scales = self.scales(root)

        sections: list[_SectionDraft] = []
        indicator: Indicator | None = None
        protocol: dict[str, Any] | None = None
        # With an unknown kind, still check whatever parts are there.
        if kind in SECTIONED_KINDS or (kind is None and "sections" in root.entries):
            sections = self.sections(root, scales)
            self.resolve_conditions()
            if kind in ("survey", None) and "indicator" in root.entries:
                indicator = self.indicator(root.entries["indicator"])
        if kind == "protocol" or (
            kind is None and any(key in root.entries for key in _PROTOCOL_KEYS)
        ):
            protocol = self.protocol(root)

        if self.report:
            return None
        assert code is not None and kind is not None and title is not None
        assert isinstance(raw, dict)
        return Definition(
            code=code,
            kind=kind,
            title=title,
            description=description,
            source=source,
            sections=tuple(self.finish_section(s) for s in sections),
            indicator=indicator,
            protocol=protocol,
            raw=raw,
            content_hash=_sha256(_canonical_json(raw)),
        )

    # ---------------------------------------------------------------- scales and options

    def scales(self, root: _Map) -> dict[str, list[tuple[int, Option]] | None]:
        """Named option lists; a broken scale maps to None (already reported)."""
        result: dict[str, list[tuple[int, Option]] | None] = {}
        entry = root.entries.get("scales")
        if entry is None:
            return result
        scales = self.as_map(entry, "scales", "", "a mapping of scale names to option lists")
        if scales is None:
            return result
        for name, scale_entry in scales.entries.items():
            result[name] = self.options(scale_entry, "options", f"scale '{name}'")
        return result

    def options(self, entry: _Entry, key: str, where: str) -> list[tuple[int, Option]] | None:
        items = self.as_list(entry, key, where, "a list of {value, label} items")
        if items is None:
            return None
        if not items.items:
            self.err(entry.line, where, f"'{key}' is an empty list")
            return None
        ok = True
        out: list[tuple[int, Option]] = []
        seen: dict[tuple[bool, int | str], int] = {}
        for n, item in enumerate(items.items, 1):
            if not isinstance(item, _Map):
                self.err(
                    item.line,
                    where,
                    f"option {n} must be a mapping with value and label, not {_describe(item)}",
                )
                ok = False
                continue
            self.keys(item, where, ["value", "label"])
            value: int | str | None = None
            value_entry = item.entries.get("value")
            if value_entry is not None:
                x = value_entry.value
                if isinstance(x, _Scalar) and _is_int(x.value):
                    value = x.value
                elif isinstance(x, _Scalar) and isinstance(x.value, str):
                    if x.value == DONT_KNOW:
                        self.err(
                            value_entry.line,
                            where,
                            "the option value 'dont_know' is reserved; use dont_know: true on"
                            " the question instead",
                        )
                    elif not _OPTION_CODE_RE.fullmatch(x.value):
                        self.err(
                            value_entry.line,
                            where,
                            f"option value '{x.value}' is not valid: use an integer or a code"
                            " of lower-case letters a-z, digits and '_'",
                        )
                    else:
                        value = x.value
                else:
                    self.expected(
                        value_entry, "value", where, "an integer or a code", _text_hint(x)
                    )
            if value is not None:
                ident = (isinstance(value, str), value)
                if ident in seen:
                    self.err(
                        value_entry.line if value_entry else item.line,
                        where,
                        f"duplicate option value {_fmt(value)} (first at line {seen[ident]})",
                    )
                    ok = False
                else:
                    seen[ident] = item.line
            label_entry = item.entries.get("label")
            label = self.translation(label_entry, "label", where) if label_entry else None
            if value is None or label is None:
                ok = False
                continue
            out.append((item.line, Option(value, label)))
        return out if ok else None

    # ---------------------------------------------------------------- sections and questions

    def sections(
        self, root: _Map, scales: dict[str, list[tuple[int, Option]] | None]
    ) -> list[_SectionDraft]:
        result: list[_SectionDraft] = []
        entry = root.entries.get("sections")
        if entry is None:
            return result
        items = self.as_list(entry, "sections", "", "a list of sections")
        if items is None:
            return result
        if not items.items:
            self.err(entry.line, "", "'sections' is empty; at least one section is needed")
            return result
        seen: dict[str, int] = {}
        for n, item in enumerate(items.items, 1):
            if not isinstance(item, _Map):
                self.err(
                    item.line,
                    "",
                    f"section {n} must be a mapping with code, title and questions,"
                    f" not {_describe(item)}",
                )
                continue
            raw_code = _raw(item.entries.get("code"))
            where = f"section '{raw_code}'" if isinstance(raw_code, str) else f"section {n}"
            self.keys(item, where, ["code", "title", "questions"], ["intro"])
            code = self.code(
                item,
                "code",
                where,
                _SECTION_CODE_RE,
                "use lower-case letters a-z, digits and '_'",
                what="section code",
            )
            if code is not None:
                if code in seen:
                    self.err(
                        item.entries["code"].line,
                        where,
                        f"duplicate section code '{code}' (first at line {seen[code]})",
                    )
                else:
                    seen[code] = item.entries["code"].line
            title = self.get_translation(item, "title", where)
            intro = self.get_translation(item, "intro", where)
            drafts: list[_Draft] = []
            questions_entry = item.entries.get("questions")
            if questions_entry is not None:
                questions = self.as_list(questions_entry, "questions", where, "a list of questions")
                if questions is not None and not questions.items:
                    self.err(questions_entry.line, where, "'questions' is an empty list")
                elif questions is not None:
                    for qn, q in enumerate(questions.items, 1):
                        draft = self.question(q, code or str(raw_code), where, qn, scales)
                        if draft is not None:
                            drafts.append(draft)
            result.append(_SectionDraft(code, title, intro, drafts))
        return result

    def question(
        self,
        item: _Value,
        section: str,
        section_where: str,
        n: int,
        scales: dict[str, list[tuple[int, Option]] | None],
    ) -> _Draft | None:
        if not isinstance(item, _Map):
            self.err(
                item.line,
                section_where,
                f"question {n} must be a mapping with code, type and text, not {_describe(item)}",
            )
            return None
        raw_code = _raw(item.entries.get("code"))
        if isinstance(raw_code, str):
            where = f"question '{raw_code}'"
        else:
            where = f"question {n} of {section_where}"

        type_entry = item.entries.get("type")
        qtype: str | None = None
        if type_entry is not None:
            t = type_entry.value
            if isinstance(t, _Scalar) and isinstance(t.value, str):
                if t.value in QUESTION_TYPES:
                    qtype = t.value
                else:
                    close = difflib.get_close_matches(t.value, QUESTION_TYPES, n=1, cutoff=0.6)
                    guess = f"; did you mean '{close[0]}'?" if close else ""
                    self.err(
                        type_entry.line,
                        where,
                        f"unknown type '{t.value}' (expected one of:"
                        f" {', '.join(QUESTION_TYPES)}{guess})",
                    )
            else:
                self.expected(type_entry, "type", where, f"one of {', '.join(QUESTION_TYPES)}")

        type_keys = _TYPE_KEYS[qtype] if qtype is not None else _ALL_TYPE_KEYS

        def misplaced(key: str) -> str | None:
            if qtype is not None and key in _ALL_TYPE_KEYS:
                users = [t for t, keys in _TYPE_KEYS.items() if key in keys]
                return (
                    f"'{key}' does not apply to type '{qtype}' (it is used by: {', '.join(users)})"
                )
            return None

        self.keys(
            item, where, ["code", "type", "text"], [*_COMMON_QUESTION_KEYS, *type_keys], misplaced
        )

        code = self.code(
            item,
            "code",
            where,
            _QUESTION_CODE_RE,
            "it must start with a lower-case letter a-z, followed by lower-case letters,"
            " digits or '_'",
            what="question code",
            max_length=MAX_CODE_LENGTH,
        )
        if code is not None:
            if code in self.by_code:
                self.err(
                    item.entries["code"].line,
                    where,
                    f"duplicate question code '{code}' (first at line {self.by_code[code].line});"
                    " question codes must be unique in the whole file",
                )
                code = None
        text = self.get_translation(item, "text", where)
        help_text = self.get_translation(item, "help", where)
        error_text = self.get_translation(item, "error", where)
        required = self.get_bool(item, "required", where, False)

        options: tuple[Option, ...] = ()
        options_ok = True
        dont_know = False
        settings: dict[str, Any] = {}
        if qtype in ("rating", "single", "multiple"):
            assert qtype is not None
            options_ok, options = self.question_options(item, qtype, where, scales)
        if qtype in ("rating", "single"):
            dont_know = self.get_bool(item, "dont_know", where, False)
        elif qtype == "multiple":
            settings = self.multiple_settings(item, where, len(options) if options_ok else None)
        elif qtype == "yesno":
            dont_know = self.get_bool(item, "dont_know", where, True)
            settings = {"comment": self.get_bool(item, "comment", where, False)}
            options = (Option("yes", dict(_YES_LABEL)), Option("no", dict(_NO_LABEL)))
        elif qtype == "number":
            low = self.get_number(item, "min", where)
            high = self.get_number(item, "max", where)
            if low is not None and high is not None and low > high:
                self.err(
                    item.entries["min"].line,
                    where,
                    f"'min' ({_fmt(low)}) is greater than 'max' ({_fmt(high)})",
                )
            settings = {
                "min": low,
                "max": high,
                "integer": self.get_bool(item, "integer", where, True),
                "unit": self.get_translation(item, "unit", where),
            }
        elif qtype == "duration":
            settings = {"max_minutes": self.get_int(item, "max_minutes", where, minimum=1)}
        elif qtype == "text":
            settings = {
                "max_length": self.get_int(
                    item, "max_length", where, DEFAULT_TEXT_MAX_LENGTH, minimum=1
                ),
                "multiline": self.get_bool(item, "multiline", where, True),
            }

        draft = _Draft(
            index=len(self.drafts),
            line=item.line,
            where=where,
            section=section,
            code=code,
            type=qtype,
            text=text,
            help=help_text,
            error=error_text,
            required=required,
            options=options,
            options_ok=options_ok,
            dont_know=dont_know,
            settings=settings,
            show_if_entry=item.entries.get("show_if"),
        )
        self.drafts.append(draft)
        if code is not None:
            self.by_code[code] = draft
        return draft

    def question_options(
        self,
        item: _Map,
        qtype: str,
        where: str,
        scales: dict[str, list[tuple[int, Option]] | None],
    ) -> tuple[bool, tuple[Option, ...]]:
        scale_entry = item.entries.get("scale")
        options_entry = item.entries.get("options")
        parsed: list[tuple[int, Option]] | None = None
        scale_name: str | None = None
        if scale_entry is not None and options_entry is not None:
            self.err(options_entry.line, where, "use either 'scale' or 'options', not both")
            return False, ()
        if scale_entry is None and options_entry is None:
            self.err(item.line, where, f"a {qtype} question needs 'options' or 'scale'")
            return False, ()
        if scale_entry is not None:
            scale_name = self.get_str(item, "scale", where)
            if scale_name is None:
                return False, ()
            if scale_name not in scales:
                known = f"; defined scales: {', '.join(scales)}" if scales else "; none defined"
                close = difflib.get_close_matches(scale_name, list(scales), n=1, cutoff=0.6)
                guess = f" (did you mean '{close[0]}'?)" if close else ""
                self.err(scale_entry.line, where, f"unknown scale '{scale_name}'{guess}{known}")
                return False, ()
            parsed = scales[scale_name]
            if parsed is None:
                return False, ()  # the scale itself is broken, and reported
            line = scale_entry.line
        else:
            assert options_entry is not None
            parsed = self.options(options_entry, "options", where)
            if parsed is None:
                return False, ()
            line = options_entry.line
        ok = True
        if qtype == "rating":
            for option_line, option in parsed:
                if not _is_int(option.value):
                    if scale_name is not None:
                        self.err(
                            line,
                            where,
                            f"scale '{scale_name}' cannot be used for a rating question:"
                            f" its value {_fmt(option.value)} (line {option_line}) is not an"
                            " integer",
                        )
                    else:
                        self.err(
                            option_line,
                            where,
                            f"rating options must have integer values; {_fmt(option.value)}"
                            " is not an integer",
                        )
                    ok = False
        minimum = 2 if qtype in ("rating", "single") else 1
        if len(parsed) < minimum:
            self.err(line, where, f"a {qtype} question needs at least {minimum} options")
            ok = False
        return ok, tuple(option for _, option in parsed)

    def multiple_settings(self, item: _Map, where: str, count: int | None) -> dict[str, Any]:
        low = self.get_int(item, "min_choices", where, minimum=0)
        high = self.get_int(item, "max_choices", where, minimum=1)
        if low is not None and high is not None and low > high:
            self.err(
                item.entries["min_choices"].line,
                where,
                f"'min_choices' ({low}) is greater than 'max_choices' ({high})",
            )
        if count is not None:
            for key, value in (("min_choices", low), ("max_choices", high)):
                if value is not None and value > count:
                    self.err(
                        item.entries[key].line,
                        where,
                        f"'{key}' ({value}) is more than the number of options ({count})",
                    )
        return {"min_choices": low, "max_choices": high}

    def resolve_conditions(self) -> None:
        for draft in self.drafts:
            entry = draft.show_if_entry
            if entry is not None:
                draft.show_if = self.condition(draft, entry)

    def condition(self, draft: _Draft, entry: _Entry) -> Condition | None:
        where = draft.where
        m = self.as_map(entry, "show_if", where, "a mapping like {question: ..., equals: ...}")
        if m is None:
            return None
        self.keys(m, where, ["question"], ["equals", "in"], line=entry.line)
        has_equals, has_in = "equals" in m.entries, "in" in m.entries
        if has_equals and has_in:
            self.err(entry.line, where, "show_if must use either 'equals' or 'in', not both")
            return None
        if not has_equals and not has_in:
            self.err(entry.line, where, "show_if needs 'equals' (one value) or 'in' (a list)")
            return None
        ref_code = self.get_str(m, "question", where)
        values_entry = m.entries["equals"] if has_equals else m.entries["in"]
        if has_equals and not isinstance(values_entry.value, _Scalar):
            self.expected(values_entry, "equals", where, "a single value (use 'in' for a list)")
            return None
        expected_count = 1
        if has_in:
            seq = self.as_list(values_entry, "in", where, "a list of values")
            if seq is None:
                return None
            if not seq.items:
                self.err(values_entry.line, where, "show_if 'in' is an empty list")
                return None
            expected_count = len(seq.items)
        key = "equals" if has_equals else "in"
        values = self.value_list(values_entry, key, where)
        if ref_code is None:
            return None
        ref_line = m.entries["question"].line
        ref = self.by_code.get(ref_code)
        if ref is None:
            known = [d.code for d in self.drafts if d.code is not None]
            close = difflib.get_close_matches(ref_code, known, n=1, cutoff=0.6)
            guess = f" (did you mean '{close[0]}'?)" if close else ""
            self.err(ref_line, where, f"show_if refers to unknown question '{ref_code}'{guess}")
            return None
        if ref is draft:
            self.err(ref_line, where, "show_if refers to the question itself")
            return None
        if ref.index > draft.index:
            self.err(
                ref_line,
                where,
                f"show_if refers to question '{ref_code}', which comes later in the file"
                f" (line {ref.line}); a condition can only use an earlier question",
            )
            return None
        if ref.type is None:
            return None
        if ref.type not in CONDITION_TYPES:
            self.err(
                ref_line,
                where,
                f"show_if refers to question '{ref_code}' of type '{ref.type}', which cannot"
                f" be used in a condition (only {', '.join(CONDITION_TYPES)})",
            )
            return None
        if not ref.options_ok:
            return None
        allowed = ref.allowed_values()
        bad = False
        for line, value in values:
            if value not in allowed or isinstance(value, bool):
                self.err(
                    line,
                    where,
                    f"show_if value {_fmt(value)} is not an option of question '{ref_code}'"
                    f" (its values are: {_fmt_list(allowed)})",
                )
                bad = True
        if bad or len(values) != expected_count:
            return None
        return Condition(ref_code, tuple(value for _, value in values))

    def indicator(self, entry: _Entry) -> Indicator | None:
        where = "indicator"
        m = self.as_map(entry, "indicator", "", "a mapping with question, satisfied and target")
        if m is None:
            return None
        self.keys(m, where, ["question", "satisfied"], ["excluded", "target"], line=entry.line)
        target = self.get_number(m, "target", where, DEFAULT_TARGET)
        if target is not None and not 0 < target < 1:
            hint = f" (e.g. {target / 100:g})" if 1 < target < 100 else ""
            self.err(
                m.entries["target"].line,
                where,
                f"'target' must be a fraction between 0 and 1, not {_fmt(target)}{hint}",
            )
        lists: dict[str, list[tuple[int, int | str]]] = {}
        for key in ("satisfied", "excluded"):
            list_entry = m.entries.get(key)
            if list_entry is None:
                lists[key] = []
                continue
            if not isinstance(list_entry.value, _Seq):
                self.expected(list_entry, key, where, "a list of option values")
                continue
            lists[key] = self.value_list(list_entry, key, where)
        satisfied_entry = m.entries.get("satisfied")
        if satisfied_entry is not None and isinstance(satisfied_entry.value, _Seq):
            if not satisfied_entry.value.items:
                self.err(satisfied_entry.line, where, "'satisfied' is an empty list")
        ref_code = self.get_str(m, "question", where)
        if ref_code is None:
            return None
        ref = self.by_code.get(ref_code)
        ref_line = m.entries["question"].line
        if ref is None:
            self.err(ref_line, where, f"the indicator refers to unknown question '{ref_code}'")
            return None
        if ref.type is None:
            return None
        if ref.type not in INDICATOR_TYPES:
            self.err(
                ref_line,
                where,
                f"the indicator question '{ref_code}' is of type '{ref.type}'; it must be a"
                f" rating or single question",
            )
            return None
        if not ref.options_ok:
            return None
        option_values = [option.value for option in ref.options]
        for key, values in lists.items():
            for line, value in values:
                if value == DONT_KNOW:
                    message = (
                        "'dont_know' is always left out of the indicator; remove it from 'excluded'"
                        if key == "excluded"
                        else "'dont_know' cannot count as satisfied"
                    )
                    self.err(line, where, message)
                elif value not in option_values:
                    self.err(
                        line,
                        where,
                        f"'{key}' value {_fmt(value)} is not an option of question"
                        f" '{ref_code}' (its values are: {_fmt_list(option_values)})",
                    )
        satisfied = [v for _, v in lists.get("satisfied", [])]
        for line, value in lists.get("excluded", []):
            if value in satisfied:
                self.err(line, where, f"value {_fmt(value)} is in both 'satisfied' and 'excluded'")
        if target is None or "satisfied" not in lists or "excluded" not in lists:
            return None
        return Indicator(
            question=ref_code,
            satisfied=tuple(satisfied),
            excluded=tuple(v for _, v in lists["excluded"]),
            target=float(target),
        )

    def finish_section(self, draft: _SectionDraft) -> Section:
        assert draft.code is not None and draft.title is not None
        return Section(
            code=draft.code,
            title=draft.title,
            intro=draft.intro,
            questions=tuple(self.finish_question(q) for q in draft.questions),
        )

    def finish_question(self, d: _Draft) -> Question:
        assert d.code is not None and d.type is not None and d.text is not None
        return Question(
            code=d.code,
            type=d.type,
            text=d.text,
            help=d.help,
            required=d.required,
            options=d.options,
            dont_know=d.dont_know,
            show_if=d.show_if,
            section=d.section,
            settings=d.settings,
            fingerprint=_sha256(
                fingerprint_payload(d.type, d.text, d.options, d.dont_know, d.settings)
            ),
            error=d.error,
        )

    # ---------------------------------------------------------------- protocols

    def protocol(self, root: _Map) -> dict[str, Any]:
        channels = self.channels(root.entries.get("channels"))
        sectors = self.sectors(root.entries.get("sectors"))
        scenarios = self.scenarios(root.entries.get("scenarios"), channels, sectors)
        grade_bands = self.grade_bands(root.entries.get("grade_bands"))

        missing = "zero"
        entry = root.entries.get("missing_contacts")
        if entry is not None:
            value = entry.value
            if isinstance(value, _Scalar) and value.value in MISSING_CONTACTS:
                missing = value.value
            else:
                self.expected(entry, "missing_contacts", "", "'zero' or 'exclude'")

        return {
            "channels": channels or {},
            "sectors": sectors or {},
            "scenarios": scenarios,
            "grade_bands": grade_bands,
            "missing_contacts": missing,
            "phone_hours": self.phone_hours(root.entries.get("phone_hours")),
        }

    def weights_sum(self, entry: _Entry, what: str, weights: dict[str, float]) -> None:
        total = sum(weights.values())
        if abs(total - 1) > WEIGHT_TOLERANCE:
            parts = " + ".join(f"{name} {_fmt(w)}" for name, w in weights.items())
            self.err(
                entry.line,
                what,
                f"the {what[:-1]} weights add up to {total:.4g}, not 1 ({parts})",
            )

    def channels(self, entry: _Entry | None) -> dict[str, dict[str, Any]] | None:
        if entry is None:
            return None
        m = self.as_map(entry, "channels", "", "a mapping of channel names to settings")
        if m is None:
            return None
        if not m.entries:
            self.err(entry.line, "channels", "at least one channel is needed")
            return None
        result: dict[str, dict[str, Any]] = {}
        weights: dict[str, float] = {}
        weights_ok = True
        for name, channel_entry in m.entries.items():
            where = f"channel '{name}'"
            if name not in CHANNELS:
                self.err(
                    channel_entry.line,
                    "channels",
                    f"unknown channel '{name}' (expected one of: {', '.join(CHANNELS)})",
                )
                weights_ok = False
                continue
            cm = self.as_map(channel_entry, name, "channels", "a mapping of channel settings")
            if cm is None:
                weights_ok = False
                continue
            settings = _CHANNEL_SETTINGS[name]
            required = ["weight", "points"] + (["speed"] if name == "email" else [])
            optional = [key for key, _, _ in settings] + (
                ["send_cutoff"] if name == "email" else []
            )
            self.keys(cm, where, required, optional, line=channel_entry.line)
            weight = self.get_number(cm, "weight", where, non_negative=True)
            if weight is None:
                weights_ok = False
            else:
                weights[name] = weight
            channel: dict[str, Any] = {"weight": weight}
            for key, minimum, default in settings:
                channel[key] = self.get_int(cm, key, where, default, minimum=minimum)
            max_points = 0.0
            if name == "email":
                channel["send_cutoff"] = self.send_cutoff(cm.entries.get("send_cutoff"), where)
                channel["speed"] = self.speed(cm.entries.get("speed"), where)
                max_points += max((row["points"] for row in channel["speed"]), default=0)
            points = self.points(cm.entries.get("points"), name, where)
            channel["points"] = points
            if points is not None:
                max_points += sum(points.values())
                if max_points <= 0:
                    self.err(
                        cm.entries["points"].line,
                        where,
                        "all points are 0; a contact's maximum score must be more than 0",
                    )
            result[name] = channel
        if weights_ok and weights:
            self.weights_sum(entry, "channels", weights)
        return result

    def points(self, entry: _Entry | None, channel: str, where: str) -> dict[str, float] | None:
        if entry is None:
            return None
        m = self.as_map(entry, "points", where, "a mapping of point names to numbers")
        if m is None:
            return None
        keys = _CHANNEL_POINTS[channel]
        self.keys(m, where, keys, line=entry.line)
        result: dict[str, float] = {}
        for key in keys:
            value = self.get_number(m, key, where, non_negative=True)
            if value is None:
                if key in m.entries:
                    return None
                continue
            result[key] = value
        return result if len(result) == len(keys) else None

    def speed(self, entry: _Entry | None, where: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        if entry is None:
            return rows
        seq = self.as_list(entry, "speed", where, "a list of {within_days, points} rows")
        if seq is None:
            return rows
        if not seq.items:
            self.err(entry.line, where, "'speed' is an empty list")
            return rows
        previous: int | None = None
        for item in seq.items:
            if not isinstance(item, _Map):
                self.err(
                    item.line,
                    where,
                    f"a speed row must be a mapping {{within_days, points}}, not {_describe(item)}",
                )
                continue
            self.keys(item, where, ["within_days", "points"])
            days = self.get_int(item, "within_days", where, minimum=0)
            points = self.get_number(item, "points", where, non_negative=True)
            if days is not None:
                if previous is not None and days <= previous:
                    self.err(
                        item.entries["within_days"].line,
                        where,
                        "speed rows must be in ascending order of within_days:"
                        f" {days} comes after {previous}",
                    )
                previous = days
            if days is not None and points is not None:
                rows.append({"within_days": days, "points": points})
        return rows

    def sectors(self, entry: _Entry | None) -> dict[str, dict[str, Any]] | None:
        if entry is None:
            return None
        m = self.as_map(entry, "sectors", "", "a mapping of sector codes to {title, weight}")
        if m is None:
            return None
        if not m.entries:
            self.err(entry.line, "sectors", "at least one sector is needed")
            return None
        result: dict[str, dict[str, Any]] = {}
        weights: dict[str, float] = {}
        weights_ok = True
        for code, sector_entry in m.entries.items():
            where = f"sector '{code}'"
            if not _ITEM_CODE_RE.fullmatch(code):
                self.err(
                    sector_entry.line,
                    where,
                    f"sector code '{code}' is not valid: use lower-case letters a-z, digits,"
                    " '_' and '-'",
                )
            sm = self.as_map(sector_entry, code, "sectors", "a mapping {title, weight}")
            if sm is None:
                weights_ok = False
                continue
            self.keys(sm, where, ["title", "weight"], line=sector_entry.line)
            weight = self.get_number(sm, "weight", where, non_negative=True)
            if weight is None:
                weights_ok = False
            else:
                weights[code] = weight
            result[code] = {"title": self.get_translation(sm, "title", where), "weight": weight}
        if weights_ok:
            self.weights_sum(entry, "sectors", weights)
        return result

    def scenarios(
        self,
        entry: _Entry | None,
        channels: dict[str, dict[str, Any]] | None,
        sectors: dict[str, dict[str, Any]] | None,
    ) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = []
        if entry is None:
            return result
        seq = self.as_list(entry, "scenarios", "", "a list of scenarios")
        if seq is None:
            return result
        if not seq.items:
            self.err(entry.line, "scenarios", "'scenarios' is an empty list")
            return result
        seen: dict[str, int] = {}
        for n, item in enumerate(seq.items, 1):
            if not isinstance(item, _Map):
                self.err(item.line, "", f"scenario {n} must be a mapping, not {_describe(item)}")
                continue
            raw_code = _raw(item.entries.get("code"))
            where = f"scenario '{raw_code}'" if isinstance(raw_code, str) else f"scenario {n}"
            self.keys(
                item,
                where,
                ["code", "sector", "channels", "question"],
                ["persona", "script", "checkpoints"],
            )
            code = self.code(
                item,
                "code",
                where,
                _ITEM_CODE_RE,
                "use lower-case letters a-z, digits, '_' and '-'",
                what="scenario code",
            )
            if code is not None:
                line = item.entries["code"].line
                if code in seen:
                    self.err(
                        line,
                        where,
                        f"duplicate scenario code '{code}' (first at line {seen[code]})",
                    )
                else:
                    seen[code] = line
            sector = self.get_str(item, "sector", where)
            if sector is not None and sectors is not None and sector not in sectors:
                self.err(
                    item.entries["sector"].line,
                    where,
                    f"unknown sector '{sector}' (sectors defined: {', '.join(sectors) or 'none'})",
                )
            used: list[str] = []
            channels_entry = item.entries.get("channels")
            if channels_entry is not None:
                used = self.scenario_channels(channels_entry, where, channels)
            checkpoints = self.checkpoints(item.entries.get("checkpoints"), where)
            needs = [c for c in used if c in _CHECKPOINT_CHANNELS]
            if needs and not checkpoints and "checkpoints" not in item.entries:
                self.err(
                    item.line,
                    where,
                    f"a scenario for {' and '.join(needs)} needs at least one checkpoint",
                )
            result.append(
                {
                    "code": code,
                    "sector": sector,
                    "channels": used,
                    "persona": self.get_translation(item, "persona", where),
                    "script": self.get_translation(item, "script", where),
                    "question": self.get_translation(item, "question", where),
                    "checkpoints": checkpoints,
                }
            )
        return result

    def scenario_channels(
        self, entry: _Entry, where: str, channels: dict[str, dict[str, Any]] | None
    ) -> list[str]:
        seq = self.as_list(entry, "channels", where, "a list of channel names")
        if seq is None:
            return []
        if not seq.items:
            self.err(entry.line, where, "'channels' is an empty list")
        used: list[str] = []
        for item in seq.items:
            name = item.value if isinstance(item, _Scalar) else None
            if not isinstance(name, str):
                self.err(item.line, where, f"a channel name must be text, not {_describe(item)}")
            elif name not in CHANNELS:
                self.err(
                    item.line,
                    where,
                    f"unknown channel '{name}' (expected one of: {', '.join(CHANNELS)})",
                )
            elif name in used:
                self.err(item.line, where, f"channel '{name}' is listed twice")
            elif channels is not None and name not in channels:
                self.err(
                    item.line,
                    where,
                    f"channel '{name}' is not defined in the top-level 'channels'",
                )
            else:
                used.append(name)
        return used

    def checkpoints(self, entry: _Entry | None, where: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = []
        if entry is None:
            return result
        seq = self.as_list(entry, "checkpoints", where, "a list of {code, text} items")
        if seq is None:
            return result
        if not seq.items:
            self.err(entry.line, where, "'checkpoints' is an empty list")
            return result
        seen: dict[str, int] = {}
        for n, item in enumerate(seq.items, 1):
            if not isinstance(item, _Map):
                self.err(
                    item.line,
                    where,
                    f"checkpoint {n} must be a mapping {{code, text}}, not {_describe(item)}",
                )
                continue
            raw_code = _raw(item.entries.get("code"))
            here = f"{where}, checkpoint '{raw_code}'" if isinstance(raw_code, str) else where
            self.keys(item, here, ["code", "text"])
            code = self.code(
                item,
                "code",
                here,
                _ITEM_CODE_RE,
                "use lower-case letters a-z, digits, '_' and '-'",
                what="checkpoint code",
            )
            if code is not None:
                line = item.entries["code"].line
                if code in seen:
                    self.err(
                        line,
                        here,
                        f"duplicate checkpoint code '{code}' (first at line {seen[code]})",
                    )
                else:
                    seen[code] = line
            result.append({"code": code, "text": self.get_translation(item, "text", here)})
        return result

    def grade_bands(self, entry: _Entry | None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = []
        if entry is None:
            return result
        where = "grade_bands"
        seq = self.as_list(entry, "grade_bands", "", "a list of {min, label} bands")
        if seq is None:
            return result
        if not seq.items:
            self.err(entry.line, where, "'grade_bands' is an empty list")
            return result
        previous: float | None = None
        last: float | None = None
        for item in seq.items:
            if not isinstance(item, _Map):
                self.err(
                    item.line,
                    where,
                    f"a grade band must be a mapping {{min, label}}, not {_describe(item)}",
                )
                last = None
                continue
            self.keys(item, where, ["min", "label"])
            low = self.get_number(item, "min", where)
            if low is not None:
                line = item.entries["min"].line
                if not 0 <= low <= 100:
                    self.err(line, where, f"'min' must be between 0 and 100, not {_fmt(low)}")
                if previous is not None and low >= previous:
                    self.err(
                        line,
                        where,
                        "grade bands must be listed highest 'min' first (descending):"
                        f" {_fmt(low)} comes after {_fmt(previous)}",
                    )
                previous = low
            last = low
            result.append({"min": low, "label": self.get_translation(item, "label", where)})
        if last is not None and last != 0:
            self.err(
                seq.items[-1].line,
                where,
                f"the lowest grade band must have min 0, not {_fmt(last)}",
            )
        return result

    def send_cutoff(self, entry: _Entry | None, where: str) -> str | None:
        """Optional e-mail send cut-off time ("HH:MM"); None when not set."""
        if entry is None:
            return None
        value = entry.value
        if isinstance(value, _Scalar) and isinstance(value.value, str):
            if _TIME_RE.fullmatch(value.value):
                return value.value
        self.err(entry.line, where, "'send_cutoff' must be a time in quotes as \"HH:MM\"")
        return None

    def phone_hours(self, entry: _Entry | None) -> dict[str, str]:
        hours = dict(DEFAULT_PHONE_HOURS)
        if entry is None:
            return hours
        where = "phone_hours"
        m = self.as_map(entry, "phone_hours", "", 'a mapping {start: "09:30", end: "15:00"}')
        if m is None:
            return hours
        self.keys(m, where, [], ["start", "end"], line=entry.line)
        ok = True
        for key in ("start", "end"):
            time_entry = m.entries.get(key)
            if time_entry is None:
                continue
            value = time_entry.value
            if isinstance(value, _Scalar) and isinstance(value.value, str):
                if _TIME_RE.fullmatch(value.value):
                    hours[key] = value.value
                    continue
                self.err(
                    time_entry.line,
                    where,
                    f"'{key}' must be a time as HH:MM (e.g. \"09:30\"), not '{value.value}'",
                )
            elif isinstance(value, _Scalar) and _is_int(value.value):
                self.err(
                    time_entry.line,
                    where,
                    f"'{key}' must be a time in quotes, e.g. \"15:00\" (unquoted, YAML reads"
                    f" a time like 15:00 as the number 900; here it read {value.value})",
                )
            else:
                self.expected(time_entry, key, where, 'a time as "HH:MM"')
            ok = False
        if ok and hours["start"] >= hours["end"]:
            self.err(
                entry.line,
                where,
                f"'start' ({hours['start']}) must be before 'end' ({hours['end']})",
            )
        return hours
