"""Survey, checklist and census definitions: scales, sections, questions and indicator.

The reader checks nodes by hand (see :class:`~surveyapp.questionnaires.checks.Checker`):
most of what it checks is cross-references (scales, show_if conditions on earlier
questions, the indicator's question and values, codes unique in the whole file) and keys
that depend on the question's type, each with its own message. Each question type's keys
and reading live in its module of :mod:`surveyapp.questionnaires.types`.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeAlias

from surveyapp.questionnaires import types as question_types
from surveyapp.questionnaires.checks import MAX_CODE_LENGTH, Checker, fmt, fmt_list, is_int
from surveyapp.questionnaires.problems import N_, Report, Text, msg
from surveyapp.questionnaires.types.base import TypeParts
from surveyapp.questionnaires.yaml_source import (
    Entry,
    Map,
    Scalar,
    Seq,
    Value,
    describe,
    first_at_line,
    raw_value,
    text_hint,
)

CONDITION_TYPES = question_types.choosing()
INDICATOR_TYPES = question_types.for_indicator()
DONT_KNOW = "dont_know"
DEFAULT_TARGET = 0.80
DEFAULT_TEXT_MAX_LENGTH = 2000
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


_TypeParts = TypeParts


@dataclass(eq=False)
class _Draft:
    """A question as read, before conditions are resolved."""

    index: int
    line: int
    where: Text
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

    def value_list(self, entry: Entry, key: str, where: Text) -> list[tuple[int, int | str]]:
        """A scalar or a list of option values, with their lines."""
        items = entry.value.items if isinstance(entry.value, Seq) else [entry.value]
        out: list[tuple[int, int | str]] = []
        for item in items:
            value = self.option_value(item)
            if value is None:
                hint: Text = ""
                if isinstance(item, Scalar) and isinstance(item.value, bool):
                    hint = msg(
                        N_(
                            " (YAML reads unquoted yes/no as true/false;"
                            ' write "yes" or "no" in quotes)'
                        )
                    )
                self.err(
                    item.line,
                    where,
                    msg(
                        N_(
                            "'%(key)s' values must be option values (numbers or codes),"
                            " not %(got)s%(hint)s"
                        ),
                        key=key,
                        got=describe(item),
                        hint=hint,
                    ),
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
        scales = self.as_map(
            entry, "scales", "", msg(N_("a mapping of scale names to option lists"))
        )
        if scales is None:
            return result
        for name, scale_entry in scales.entries.items():
            where = msg(N_("scale '%(name)s'"), name=name)
            result[name] = self.options(scale_entry, "options", where)
        return result

    def options(self, entry: Entry, key: str, where: Text) -> list[tuple[int, Option]] | None:
        items = self.as_list(entry, key, where, msg(N_("a list of {value, label} items")))
        if items is None:
            return None
        if not items.items:
            self.err(entry.line, where, msg(N_("'%(key)s' is an empty list"), key=key))
            return None
        ok = True
        out: list[tuple[int, Option]] = []
        seen: dict[tuple[bool, int | str], int] = {}
        for n, item in enumerate(items.items, 1):
            if not isinstance(item, Map):
                self.err(
                    item.line,
                    where,
                    msg(
                        N_("option %(n)s must be a mapping with value and label, not %(got)s"),
                        n=n,
                        got=describe(item),
                    ),
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
                            msg(
                                N_(
                                    "the option value 'dont_know' is reserved; use dont_know:"
                                    " true on the question instead"
                                )
                            ),
                        )
                    elif not _OPTION_CODE_RE.fullmatch(x.value):
                        self.err(
                            value_entry.line,
                            where,
                            msg(
                                N_(
                                    "option value '%(value)s' is not valid: use an integer or a"
                                    " code of lower-case letters a-z, digits and '_'"
                                ),
                                value=x.value,
                            ),
                        )
                    else:
                        value = x.value
                else:
                    self.expected(
                        value_entry, "value", where, msg(N_("an integer or a code")), text_hint(x)
                    )
            if value is not None:
                ident = (isinstance(value, str), value)
                if ident in seen:
                    self.err(
                        value_entry.line if value_entry else item.line,
                        where,
                        msg(
                            N_("duplicate option value %(value)s%(first)s"),
                            value=fmt(value),
                            first=first_at_line(seen[ident]),
                        ),
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
        items = self.as_list(entry, "sections", "", msg(N_("a list of sections")))
        if items is None:
            return result
        if not items.items:
            self.err(entry.line, "", msg(N_("'sections' is empty; at least one section is needed")))
            return result
        seen: dict[str, int] = {}
        for n, item in enumerate(items.items, 1):
            if not isinstance(item, Map):
                self.err(
                    item.line,
                    "",
                    msg(
                        N_(
                            "section %(n)s must be a mapping with code, title and questions,"
                            " not %(got)s"
                        ),
                        n=n,
                        got=describe(item),
                    ),
                )
                continue
            raw_code = raw_value(item.entries.get("code"))
            where = (
                msg(N_("section '%(code)s'"), code=raw_code)
                if isinstance(raw_code, str)
                else msg(N_("section %(n)s"), n=n)
            )
            self.keys(item, where, ["code", "title", "questions"], ["intro"])
            code = self.code(
                item,
                "code",
                where,
                _SECTION_CODE_RE,
                msg(N_("use lower-case letters a-z, digits and '_'")),
                what=msg(N_("section code")),
            )
            if code is not None:
                if code in seen:
                    self.err(
                        item.entries["code"].line,
                        where,
                        msg(
                            N_("duplicate section code '%(code)s'%(first)s"),
                            code=code,
                            first=first_at_line(seen[code]),
                        ),
                    )
                else:
                    seen[code] = item.entries["code"].line
            title = self.get_translation(item, "title", where)
            intro = self.get_translation(item, "intro", where)
            drafts: list[_Draft] = []
            questions_entry = item.entries.get("questions")
            if questions_entry is not None:
                questions = self.as_list(
                    questions_entry, "questions", where, msg(N_("a list of questions"))
                )
                if questions is not None and not questions.items:
                    self.err(questions_entry.line, where, msg(N_("'questions' is an empty list")))
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
        section_where: Text,
        n: int,
        scales: Scales,
    ) -> _Draft | None:
        if not isinstance(item, Map):
            self.err(
                item.line,
                section_where,
                msg(
                    N_("question %(n)s must be a mapping with code, type and text, not %(got)s"),
                    n=n,
                    got=describe(item),
                ),
            )
            return None
        raw_code = raw_value(item.entries.get("code"))
        if isinstance(raw_code, str):
            where: Text = msg(N_("question '%(code)s'"), code=raw_code)
        else:
            where = msg(N_("question %(n)s of %(section)s"), n=n, section=section_where)

        type_entry = item.entries.get("type")
        qtype: str | None = None
        if type_entry is not None:
            t = type_entry.value
            if isinstance(t, Scalar) and isinstance(t.value, str):
                if t.value in QUESTION_TYPES:
                    qtype = t.value
                else:
                    close = difflib.get_close_matches(t.value, QUESTION_TYPES, n=1, cutoff=0.6)
                    guess = msg(N_("; did you mean '%(word)s'?"), word=close[0]) if close else ""
                    self.err(
                        type_entry.line,
                        where,
                        msg(
                            N_("unknown type '%(type)s' (expected one of: %(choices)s%(guess)s)"),
                            type=t.value,
                            choices=", ".join(QUESTION_TYPES),
                            guess=guess,
                        ),
                    )
            else:
                self.expected(
                    type_entry,
                    "type",
                    where,
                    msg(N_("one of %(choices)s"), choices=", ".join(QUESTION_TYPES)),
                )

        type_keys = _TYPE_KEYS[qtype] if qtype is not None else _ALL_TYPE_KEYS

        def misplaced(key: str) -> Text | None:
            if qtype is not None and key in _ALL_TYPE_KEYS:
                users = [t for t, keys in _TYPE_KEYS.items() if key in keys]
                return msg(
                    N_("'%(key)s' does not apply to type '%(type)s' (it is used by: %(users)s)"),
                    key=key,
                    type=qtype,
                    users=", ".join(users),
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
            msg(
                N_(
                    "it must start with a lower-case letter a-z, followed by lower-case"
                    " letters, digits or '_'"
                )
            ),
            what=msg(N_("question code")),
            max_length=MAX_CODE_LENGTH,
        )
        if code is not None:
            if code in self.by_code:
                self.err(
                    item.entries["code"].line,
                    where,
                    msg(
                        N_(
                            "duplicate question code '%(code)s'%(first)s;"
                            " question codes must be unique in the whole file"
                        ),
                        code=code,
                        first=first_at_line(self.by_code[code].line),
                    ),
                )
                code = None
        text = self.get_translation(item, "text", where)
        help_text = self.get_translation(item, "help", where)
        error_text = self.get_translation(item, "error", where)
        required = self.get_bool(item, "required", where, False)

        parts = (
            question_types.get(qtype).read(self, item, where, scales)
            if qtype is not None
            else TypeParts()
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

    def question_options(
        self,
        item: Map,
        qtype: str,
        where: Text,
        scales: Scales,
    ) -> tuple[bool, tuple[Option, ...]]:
        scale_entry = item.entries.get("scale")
        options_entry = item.entries.get("options")
        parsed: list[tuple[int, Option]] | None = None
        scale_name: str | None = None
        if scale_entry is not None and options_entry is not None:
            self.err(
                options_entry.line, where, msg(N_("use either 'scale' or 'options', not both"))
            )
            return False, ()
        if scale_entry is None and options_entry is None:
            self.err(
                item.line,
                where,
                msg(N_("a %(type)s question needs 'options' or 'scale'"), type=qtype),
            )
            return False, ()
        if scale_entry is not None:
            scale_name = self.get_str(item, "scale", where)
            if scale_name is None:
                return False, ()
            if scale_name not in scales:
                known = (
                    msg(N_("; defined scales: %(scales)s"), scales=", ".join(scales))
                    if scales
                    else msg(N_("; none defined"))
                )
                close = difflib.get_close_matches(scale_name, list(scales), n=1, cutoff=0.6)
                guess = msg(N_(" (did you mean '%(word)s'?)"), word=close[0]) if close else ""
                self.err(
                    scale_entry.line,
                    where,
                    msg(
                        N_("unknown scale '%(name)s'%(guess)s%(known)s"),
                        name=scale_name,
                        guess=guess,
                        known=known,
                    ),
                )
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
                            msg(
                                N_(
                                    "scale '%(scale)s' cannot be used for a rating question:"
                                    " its value %(value)s (line %(line)s) is not an integer"
                                ),
                                scale=scale_name,
                                value=fmt(option.value),
                                line=option_line,
                            ),
                        )
                    else:
                        self.err(
                            option_line,
                            where,
                            msg(
                                N_(
                                    "rating options must have integer values; %(value)s is not"
                                    " an integer"
                                ),
                                value=fmt(option.value),
                            ),
                        )
                    ok = False
        minimum = 2 if qtype in ("rating", "single") else 1
        if len(parsed) < minimum:
            self.err(
                line,
                where,
                msg(N_("a %(type)s question needs at least %(n)s options"), type=qtype, n=minimum),
            )
            ok = False
        return ok, tuple(option for _, option in parsed)

    def multiple_settings(self, item: Map, where: Text, count: int | None) -> dict[str, Any]:
        low = self.get_int(item, "min_choices", where, minimum=0)
        high = self.get_int(item, "max_choices", where, minimum=1)
        if low is not None and high is not None and low > high:
            self.err(
                item.entries["min_choices"].line,
                where,
                msg(
                    N_("'min_choices' (%(low)s) is greater than 'max_choices' (%(high)s)"),
                    low=low,
                    high=high,
                ),
            )
        if count is not None:
            for key, value in (("min_choices", low), ("max_choices", high)):
                if value is not None and value > count:
                    self.err(
                        item.entries[key].line,
                        where,
                        msg(
                            N_("'%(key)s' (%(value)s) is more than the number of options (%(n)s)"),
                            key=key,
                            value=value,
                            n=count,
                        ),
                    )
        return {"min_choices": low, "max_choices": high}

    def resolve_conditions(self) -> None:
        for draft in self.drafts:
            entry = draft.show_if_entry
            if entry is not None:
                draft.show_if = self.condition(draft, entry)

    def condition(self, draft: _Draft, entry: Entry) -> Condition | None:
        where = draft.where
        m = self.as_map(
            entry, "show_if", where, msg(N_("a mapping like {question: ..., equals: ...}"))
        )
        if m is None:
            return None
        self.keys(m, where, ["question"], ["equals", "in"], line=entry.line)
        has_equals, has_in = "equals" in m.entries, "in" in m.entries
        if has_equals and has_in:
            self.err(
                entry.line, where, msg(N_("show_if must use either 'equals' or 'in', not both"))
            )
            return None
        if not has_equals and not has_in:
            self.err(
                entry.line, where, msg(N_("show_if needs 'equals' (one value) or 'in' (a list)"))
            )
            return None
        ref_code = self.get_str(m, "question", where)
        values_entry = m.entries["equals"] if has_equals else m.entries["in"]
        if has_equals and not isinstance(values_entry.value, Scalar):
            self.expected(
                values_entry, "equals", where, msg(N_("a single value (use 'in' for a list)"))
            )
            return None
        expected_count = 1
        if has_in:
            seq = self.as_list(values_entry, "in", where, msg(N_("a list of values")))
            if seq is None:
                return None
            if not seq.items:
                self.err(values_entry.line, where, msg(N_("show_if 'in' is an empty list")))
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
            guess: Text = msg(N_(" (did you mean '%(word)s'?)"), word=close[0]) if close else ""
            self.err(
                ref_line,
                where,
                msg(
                    N_("show_if refers to unknown question '%(code)s'%(hint)s"),
                    code=ref_code,
                    hint=guess,
                ),
            )
            return None
        if ref is draft:
            self.err(ref_line, where, msg(N_("show_if refers to the question itself")))
            return None
        if ref.index > draft.index:
            self.err(
                ref_line,
                where,
                msg(
                    N_(
                        "show_if refers to question '%(code)s', which comes later in the file"
                        " (line %(line)s); a condition can only use an earlier question"
                    ),
                    code=ref_code,
                    line=ref.line,
                ),
            )
            return None
        if ref.type is None:
            return None
        if ref.type not in CONDITION_TYPES:
            self.err(
                ref_line,
                where,
                msg(
                    N_(
                        "show_if refers to question '%(code)s' of type '%(type)s', which cannot"
                        " be used in a condition (only %(types)s)"
                    ),
                    code=ref_code,
                    type=ref.type,
                    types=", ".join(CONDITION_TYPES),
                ),
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
                    msg(
                        N_(
                            "show_if value %(value)s is not an option of question '%(code)s'"
                            " (its values are: %(values)s)"
                        ),
                        value=fmt(value),
                        code=ref_code,
                        values=fmt_list(allowed),
                    ),
                )
                bad = True
        if bad or len(values) != expected_count:
            return None
        return Condition(ref_code, tuple(value for _, value in values))

    def indicator(self, entry: Entry) -> Indicator | None:
        where = msg(N_("indicator"))
        m = self.as_map(
            entry, "indicator", "", msg(N_("a mapping with question, satisfied and target"))
        )
        if m is None:
            return None
        self.keys(m, where, ["question", "satisfied"], ["excluded", "target"], line=entry.line)
        target = self.get_number(m, "target", where, DEFAULT_TARGET)
        if target is not None and not 0 < target < 1:
            hint: Text = (
                msg(N_(" (e.g. %(value)s)"), value=f"{target / 100:g}") if 1 < target < 100 else ""
            )
            self.err(
                m.entries["target"].line,
                where,
                msg(
                    N_("'target' must be a fraction between 0 and 1, not %(value)s%(hint)s"),
                    value=fmt(target),
                    hint=hint,
                ),
            )
        lists: dict[str, list[tuple[int, int | str]]] = {}
        for key in ("satisfied", "excluded"):
            list_entry = m.entries.get(key)
            if list_entry is None:
                lists[key] = []
                continue
            if not isinstance(list_entry.value, Seq):
                self.expected(list_entry, key, where, msg(N_("a list of option values")))
                continue
            lists[key] = self.value_list(list_entry, key, where)
        satisfied_entry = m.entries.get("satisfied")
        if satisfied_entry is not None and isinstance(satisfied_entry.value, Seq):
            if not satisfied_entry.value.items:
                self.err(satisfied_entry.line, where, msg(N_("'satisfied' is an empty list")))
        ref_code = self.get_str(m, "question", where)
        if ref_code is None:
            return None
        ref = self.by_code.get(ref_code)
        ref_line = m.entries["question"].line
        if ref is None:
            self.err(
                ref_line,
                where,
                msg(N_("the indicator refers to unknown question '%(code)s'"), code=ref_code),
            )
            return None
        if ref.type is None:
            return None
        if ref.type not in INDICATOR_TYPES:
            self.err(
                ref_line,
                where,
                msg(
                    N_(
                        "the indicator question '%(code)s' is of type '%(type)s'; it must be a"
                        " rating or single question"
                    ),
                    code=ref_code,
                    type=ref.type,
                ),
            )
            return None
        if not ref.options_ok:
            return None
        option_values = [option.value for option in ref.options]
        for key, values in lists.items():
            for line, value in values:
                if value == DONT_KNOW:
                    message = (
                        msg(
                            N_(
                                "'dont_know' is always left out of the indicator; remove it"
                                " from 'excluded'"
                            )
                        )
                        if key == "excluded"
                        else msg(N_("'dont_know' cannot count as satisfied"))
                    )
                    self.err(line, where, message)
                elif value not in option_values:
                    self.err(
                        line,
                        where,
                        msg(
                            N_(
                                "'%(key)s' value %(value)s is not an option of question"
                                " '%(code)s' (its values are: %(values)s)"
                            ),
                            key=key,
                            value=fmt(value),
                            code=ref_code,
                            values=fmt_list(option_values),
                        ),
                    )
        satisfied = [v for _, v in lists.get("satisfied", [])]
        for line, value in lists.get("excluded", []):
            if value in satisfied:
                self.err(
                    line,
                    where,
                    msg(
                        N_("value %(value)s is in both 'satisfied' and 'excluded'"),
                        value=fmt(value),
                    ),
                )
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


QUESTION_TYPES = question_types.NAMES
_TYPE_KEYS = {name: spec.keys for name, spec in question_types.REGISTRY.items()}
_ALL_TYPE_KEYS = tuple(dict.fromkeys(k for keys in _TYPE_KEYS.values() for k in keys))
