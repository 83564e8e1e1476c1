"""Survey, checklist and census definitions: scales, sections, questions and indicator.

The reader checks nodes by hand (see :class:`~surveyapp.questionnaires.checks.Checker`):
most of what it checks is cross-references (scales, show_if conditions on earlier
questions, the indicator's question and values, codes unique in the whole file) and keys
that depend on the question's type, each with its own message. Each question type's keys
and reading live in one row of ``_QUESTION_TYPES``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from surveyapp.questionnaires.checks import MAX_CODE_LENGTH, Checker, fmt, fmt_list, is_int
from surveyapp.questionnaires.problems import Report
from surveyapp.questionnaires.yaml_source import (
    Entry,
    Map,
    Scalar,
    Seq,
    Value,
    describe,
    raw_value,
    text_hint,
)

CONDITION_TYPES = ("rating", "single", "multiple", "yesno")
INDICATOR_TYPES = ("rating", "single")
DONT_KNOW = "dont_know"
DEFAULT_TARGET = 0.80
DEFAULT_TEXT_MAX_LENGTH = 2000

_YES_LABEL = {"nb": "Ja", "nn": "Ja", "en": "Yes"}
_NO_LABEL = {"nb": "Nei", "nn": "Nei", "en": "No"}
_COMMON_QUESTION_KEYS = ("code", "type", "text", "help", "error", "required", "show_if")

# Settings that only change how a free-text field is shown; they do not change the
# question, so they are left out of its fingerprint.
_PRESENTATION_SETTINGS = ("max_length", "multiline")

_SECTION_CODE_RE = re.compile(r"[a-z0-9_]+")
_QUESTION_CODE_RE = re.compile(r"[a-z][a-z0-9_]*")
_OPTION_CODE_RE = re.compile(r"[a-z0-9_]+")


# --------------------------------------------------------------------------- public types


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


# --------------------------------------------------------------------------- fingerprints


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
    return canonical_json(payload)


# --------------------------------------------------------------------------- helpers


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def sha256(text: str) -> str:
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


# --------------------------------------------------------------------------- validation


Scales: TypeAlias = dict[str, list[tuple[int, Option]] | None]
"""Named option lists with the line of each option; a broken scale is None (reported)."""


@dataclass(frozen=True)
class _TypeParts:
    """What a question's type reads besides the common keys."""

    options: tuple[Option, ...] = ()
    options_ok: bool = True
    dont_know: bool = False
    settings: dict[str, Any] = field(default_factory=dict)


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
    show_if_entry: Entry | None
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


class SurveyReader(Checker):
    """Reads scales, sections, questions, conditions and the indicator of a definition."""

    def __init__(self, report: Report) -> None:
        super().__init__(report)
        self.drafts: list[_Draft] = []
        self.by_code: dict[str, _Draft] = {}

    def option_value(self, value: Value) -> int | str | None:
        """A condition or indicator value (integer or code), or None if it is neither."""
        if isinstance(value, Scalar) and (is_int(value.value) or isinstance(value.value, str)):
            result: int | str = value.value
            return result
        return None

    def value_list(self, entry: Entry, key: str, where: str) -> list[tuple[int, int | str]]:
        """A scalar or a list of option values, with their lines."""
        items = entry.value.items if isinstance(entry.value, Seq) else [entry.value]
        out: list[tuple[int, int | str]] = []
        for item in items:
            value = self.option_value(item)
            if value is None:
                hint = ""
                if isinstance(item, Scalar) and isinstance(item.value, bool):
                    hint = (
                        ' (YAML reads unquoted yes/no as true/false; write "yes" or "no" in quotes)'
                    )
                self.err(
                    item.line,
                    where,
                    f"'{key}' values must be option values (numbers or codes),"
                    f" not {describe(item)}{hint}",
                )
                continue
            out.append((item.line, value))
        return out

    # ---------------------------------------------------------------- scales and options

    def scales(self, root: Map) -> Scales:
        """Named option lists; a broken scale maps to None (already reported)."""
        result: Scales = {}
        entry = root.entries.get("scales")
        if entry is None:
            return result
        scales = self.as_map(entry, "scales", "", "a mapping of scale names to option lists")
        if scales is None:
            return result
        for name, scale_entry in scales.entries.items():
            result[name] = self.options(scale_entry, "options", f"scale '{name}'")
        return result

    def options(self, entry: Entry, key: str, where: str) -> list[tuple[int, Option]] | None:
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
            if not isinstance(item, Map):
                self.err(
                    item.line,
                    where,
                    f"option {n} must be a mapping with value and label, not {describe(item)}",
                )
                ok = False
                continue
            self.keys(item, where, ["value", "label"])
            value: int | str | None = None
            value_entry = item.entries.get("value")
            if value_entry is not None:
                x = value_entry.value
                if isinstance(x, Scalar) and is_int(x.value):
                    value = x.value
                elif isinstance(x, Scalar) and isinstance(x.value, str):
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
                    self.expected(value_entry, "value", where, "an integer or a code", text_hint(x))
            if value is not None:
                ident = (isinstance(value, str), value)
                if ident in seen:
                    self.err(
                        value_entry.line if value_entry else item.line,
                        where,
                        f"duplicate option value {fmt(value)} (first at line {seen[ident]})",
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

    def sections(self, root: Map, scales: Scales) -> list[_SectionDraft]:
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
            if not isinstance(item, Map):
                self.err(
                    item.line,
                    "",
                    f"section {n} must be a mapping with code, title and questions,"
                    f" not {describe(item)}",
                )
                continue
            raw_code = raw_value(item.entries.get("code"))
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
        item: Value,
        section: str,
        section_where: str,
        n: int,
        scales: Scales,
    ) -> _Draft | None:
        if not isinstance(item, Map):
            self.err(
                item.line,
                section_where,
                f"question {n} must be a mapping with code, type and text, not {describe(item)}",
            )
            return None
        raw_code = raw_value(item.entries.get("code"))
        if isinstance(raw_code, str):
            where = f"question '{raw_code}'"
        else:
            where = f"question {n} of {section_where}"

        type_entry = item.entries.get("type")
        qtype: str | None = None
        if type_entry is not None:
            t = type_entry.value
            if isinstance(t, Scalar) and isinstance(t.value, str):
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

        parts = (
            _QUESTION_TYPES[qtype].read(self, item, qtype, where, scales)
            if qtype is not None
            else _TypeParts()
        )
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
            options=parts.options,
            options_ok=parts.options_ok,
            dont_know=parts.dont_know,
            settings=parts.settings,
            show_if_entry=item.entries.get("show_if"),
        )
        self.drafts.append(draft)
        if code is not None:
            self.by_code[code] = draft
        return draft

    # ---------------------------------------------------------------- question types

    def choice_parts(self, item: Map, qtype: str, where: str, scales: Scales) -> _TypeParts:
        """rating and single: options (or a scale) and dont_know."""
        options_ok, options = self.question_options(item, qtype, where, scales)
        dont_know = self.get_bool(item, "dont_know", where, False)
        return _TypeParts(options, options_ok, dont_know)

    def multiple_parts(self, item: Map, qtype: str, where: str, scales: Scales) -> _TypeParts:
        options_ok, options = self.question_options(item, qtype, where, scales)
        settings = self.multiple_settings(item, where, len(options) if options_ok else None)
        return _TypeParts(options, options_ok, settings=settings)

    def yesno_parts(self, item: Map, qtype: str, where: str, scales: Scales) -> _TypeParts:
        dont_know = self.get_bool(item, "dont_know", where, True)
        settings = {"comment": self.get_bool(item, "comment", where, False)}
        options = (Option("yes", dict(_YES_LABEL)), Option("no", dict(_NO_LABEL)))
        return _TypeParts(options, True, dont_know, settings)

    def number_parts(self, item: Map, qtype: str, where: str, scales: Scales) -> _TypeParts:
        low = self.get_number(item, "min", where)
        high = self.get_number(item, "max", where)
        if low is not None and high is not None and low > high:
            self.err(
                item.entries["min"].line,
                where,
                f"'min' ({fmt(low)}) is greater than 'max' ({fmt(high)})",
            )
        settings = {
            "min": low,
            "max": high,
            "integer": self.get_bool(item, "integer", where, True),
            "unit": self.get_translation(item, "unit", where),
        }
        return _TypeParts(settings=settings)

    def duration_parts(self, item: Map, qtype: str, where: str, scales: Scales) -> _TypeParts:
        return _TypeParts(
            settings={"max_minutes": self.get_int(item, "max_minutes", where, minimum=1)}
        )

    def no_parts(self, item: Map, qtype: str, where: str, scales: Scales) -> _TypeParts:
        """date and datetime: nothing besides the common keys."""
        return _TypeParts()

    def text_parts(self, item: Map, qtype: str, where: str, scales: Scales) -> _TypeParts:
        settings = {
            "max_length": self.get_int(
                item, "max_length", where, DEFAULT_TEXT_MAX_LENGTH, minimum=1
            ),
            "multiline": self.get_bool(item, "multiline", where, True),
        }
        return _TypeParts(settings=settings)

    def question_options(
        self,
        item: Map,
        qtype: str,
        where: str,
        scales: Scales,
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
                if not is_int(option.value):
                    if scale_name is not None:
                        self.err(
                            line,
                            where,
                            f"scale '{scale_name}' cannot be used for a rating question:"
                            f" its value {fmt(option.value)} (line {option_line}) is not an"
                            " integer",
                        )
                    else:
                        self.err(
                            option_line,
                            where,
                            f"rating options must have integer values; {fmt(option.value)}"
                            " is not an integer",
                        )
                    ok = False
        minimum = 2 if qtype in ("rating", "single") else 1
        if len(parsed) < minimum:
            self.err(line, where, f"a {qtype} question needs at least {minimum} options")
            ok = False
        return ok, tuple(option for _, option in parsed)

    def multiple_settings(self, item: Map, where: str, count: int | None) -> dict[str, Any]:
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

    def condition(self, draft: _Draft, entry: Entry) -> Condition | None:
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
        if has_equals and not isinstance(values_entry.value, Scalar):
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
                    f"show_if value {fmt(value)} is not an option of question '{ref_code}'"
                    f" (its values are: {fmt_list(allowed)})",
                )
                bad = True
        if bad or len(values) != expected_count:
            return None
        return Condition(ref_code, tuple(value for _, value in values))

    def indicator(self, entry: Entry) -> Indicator | None:
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
                f"'target' must be a fraction between 0 and 1, not {fmt(target)}{hint}",
            )
        lists: dict[str, list[tuple[int, int | str]]] = {}
        for key in ("satisfied", "excluded"):
            list_entry = m.entries.get(key)
            if list_entry is None:
                lists[key] = []
                continue
            if not isinstance(list_entry.value, Seq):
                self.expected(list_entry, key, where, "a list of option values")
                continue
            lists[key] = self.value_list(list_entry, key, where)
        satisfied_entry = m.entries.get("satisfied")
        if satisfied_entry is not None and isinstance(satisfied_entry.value, Seq):
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
                        f"'{key}' value {fmt(value)} is not an option of question"
                        f" '{ref_code}' (its values are: {fmt_list(option_values)})",
                    )
        satisfied = [v for _, v in lists.get("satisfied", [])]
        for line, value in lists.get("excluded", []):
            if value in satisfied:
                self.err(line, where, f"value {fmt(value)} is in both 'satisfied' and 'excluded'")
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
            fingerprint=sha256(
                fingerprint_payload(d.type, d.text, d.options, d.dont_know, d.settings)
            ),
            error=d.error,
        )


@dataclass(frozen=True)
class _QuestionType:
    keys: tuple[str, ...]  # accepted besides code, type, text, help, error, required and show_if
    read: Callable[[SurveyReader, Map, str, str, Scales], _TypeParts]


_QUESTION_TYPES: dict[str, _QuestionType] = {
    "rating": _QuestionType(("scale", "options", "dont_know"), SurveyReader.choice_parts),
    "single": _QuestionType(("scale", "options", "dont_know"), SurveyReader.choice_parts),
    "multiple": _QuestionType(
        ("scale", "options", "min_choices", "max_choices"), SurveyReader.multiple_parts
    ),
    "yesno": _QuestionType(("dont_know", "comment"), SurveyReader.yesno_parts),
    "number": _QuestionType(("min", "max", "integer", "unit"), SurveyReader.number_parts),
    "duration": _QuestionType(("max_minutes",), SurveyReader.duration_parts),
    "date": _QuestionType((), SurveyReader.no_parts),
    "datetime": _QuestionType((), SurveyReader.no_parts),
    "text": _QuestionType(("max_length", "multiline"), SurveyReader.text_parts),
}
QUESTION_TYPES = tuple(_QUESTION_TYPES)
_TYPE_KEYS = {name: spec.keys for name, spec in _QUESTION_TYPES.items()}
_ALL_TYPE_KEYS = tuple(dict.fromkeys(k for keys in _TYPE_KEYS.values() for k in keys))
