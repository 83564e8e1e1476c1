"""A questionnaire definition file, read and validated: :func:`parse_definition`, :func:`load_file`.

The file format is the contract in ``docs/questionnaire-format.md``. This package is
plain Python (YAML text in, frozen objects out); it imports neither Flask nor
SQLAlchemy, so the command line, the tests and the web app can all use it.

Reading a file takes four steps: the YAML is read safely with the line of every value
(:mod:`~surveyapp.questionnaires.yaml_source`), the keys shared by every kind are
checked here, then the survey parts (:mod:`~surveyapp.questionnaires.survey`) or the
service-test protocol (:mod:`~surveyapp.questionnaires.protocol`). Every problem is
collected first; a broken file gives one
:class:`~surveyapp.questionnaires.problems.DefinitionError` listing them all, each with
the file, the line and the question, section or scenario concerned, in file order.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from surveyapp.questionnaires.checks import MAX_CODE_LENGTH, Checker, is_int
from surveyapp.questionnaires.problems import N_, Report, Text, msg
from surveyapp.questionnaires.protocol import (
    PROTOCOL_KEYS,
    PROTOCOL_REQUIRED,
    Protocol,
    read_protocol,
)
from surveyapp.questionnaires.survey import (
    Indicator,
    Question,
    Section,
    SurveyReader,
    canonical_json,
    sha256,
)
from surveyapp.questionnaires.yaml_source import (
    Map,
    Scalar,
    Seq,
    Value,
    describe,
    raw_value,
    read_file,
)
from surveyapp.questionnaires.yaml_source import read_source as _read_source

KINDS = ("survey", "checklist", "census", "protocol")
SECTIONED_KINDS = ("survey", "checklist", "census")
FORMAT_VERSION = 1

_BASE_KEYS = ("format", "code", "kind", "title", "description", "source", "scales")
_SECTIONED_KEYS = ("sections", "indicator")
_CODE_RE = re.compile(r"[a-z0-9][a-z0-9-]*")


@dataclass(frozen=True)
class Definition:
    code: str
    kind: str
    title: dict[str, str]
    description: dict[str, str] | None
    source: str | None
    sections: tuple[Section, ...]
    indicator: Indicator | None
    protocol: Protocol | None
    raw: dict[str, Any]
    content_hash: str
    # The short version a service-desk kiosk shows: question codes (None: the whole
    # questionnaire, when it is short; see surveyapp.channels.kiosk).
    kiosk: tuple[str, ...] | None = None

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


def parse_definition(text: str | bytes, filename: str) -> Definition:
    """Validate and parse one definition file; raises :class:`DefinitionError`."""
    report = Report(filename)
    source = _read_source(text, report)
    if source is None:
        raise report.error()
    definition = _read(*source, report)
    if report or definition is None:
        raise report.error()
    return definition


def load_file(path: str | os.PathLike[str]) -> Definition:
    """Read and parse a definition file. A file that cannot be read is a DefinitionError."""
    return parse_definition(read_file(path), os.fspath(path))


def _read(root: Value, raw: Any, report: Report) -> Definition | None:
    """The definition in a file's top node; None when anything is wrong (see ``report``)."""
    check = Checker(report)
    if not isinstance(root, Map):
        check.err(
            root.line,
            "",
            msg(
                N_(
                    "the top level must be a mapping (format: 1, code: ..., kind: ...,"
                    " title: ...), not %(got)s"
                ),
                got=describe(root),
            ),
        )
        return None
    kind_entry = root.entries.get("kind")
    kind_value = raw_value(kind_entry)
    kind = kind_value if isinstance(kind_value, str) and kind_value in KINDS else None
    _check_top_keys(check, root, kind)

    entry = root.entries.get("format")
    if entry is not None:
        value = raw_value(entry)
        if not is_int(value):
            check.expected(entry, "format", "", describe(FORMAT_VERSION))
        elif value != FORMAT_VERSION:
            check.err(
                entry.line,
                "",
                msg(
                    N_("unsupported format %(value)s (this version reads format %(version)s)"),
                    value=value,
                    version=FORMAT_VERSION,
                ),
            )

    code = check.code(
        root,
        "code",
        "",
        _CODE_RE,
        msg(
            N_(
                "use lower-case letters a-z, digits and '-', starting with a letter or digit"
                " (e.g. citizen-satisfaction)"
            )
        ),
        max_length=MAX_CODE_LENGTH,
    )
    if kind_entry is not None and kind is None:
        if isinstance(kind_value, str):
            check.err(
                kind_entry.line,
                "",
                msg(
                    N_("unknown kind '%(kind)s' (expected one of: %(kinds)s)"),
                    kind=kind_value,
                    kinds=", ".join(KINDS),
                ),
            )
        else:
            check.expected(
                kind_entry, "kind", "", msg(N_("one of %(choices)s"), choices=", ".join(KINDS))
            )
    title = check.get_translation(root, "title", "")
    description = check.get_translation(root, "description", "")
    source = check.get_str(root, "source", "")

    survey = SurveyReader(report)
    scales = survey.scales(root)
    sections = []
    indicator: Indicator | None = None
    protocol: Protocol | None = None
    # With an unknown kind, still check whatever parts are there.
    if kind in SECTIONED_KINDS or (kind is None and "sections" in root.entries):
        sections = survey.sections(root, scales)
        survey.resolve_conditions()
        if kind in ("survey", None) and "indicator" in root.entries:
            indicator = survey.indicator(root.entries["indicator"])
    if kind == "protocol" or (kind is None and any(key in root.entries for key in PROTOCOL_KEYS)):
        protocol = read_protocol(root, report)
    kiosk = _kiosk(check, root, set(survey.by_code)) if "kiosk" in root.entries else None

    if report:
        return None
    assert code is not None and kind is not None and title is not None
    assert isinstance(raw, dict)
    return Definition(
        code=code,
        kind=kind,
        title=title,
        description=description,
        source=source,
        sections=tuple(survey.finish_section(s) for s in sections),
        indicator=indicator,
        protocol=protocol,
        raw=raw,
        content_hash=sha256(canonical_json(raw)),
        kiosk=kiosk,
    )


def _kiosk(check: Checker, root: Map, known: set[str]) -> tuple[str, ...] | None:
    """The ``kiosk`` key: a list of the codes of questions a kiosk shows, each once."""
    entry = root.entries["kiosk"]
    if not isinstance(entry.value, Seq) or not entry.value.items:
        check.expected(entry, "kiosk", "", msg(N_("a list of question codes")))
        return None
    codes: list[str] = []
    for item in entry.value.items:
        value = item.value if isinstance(item, Scalar) else None
        if not isinstance(value, str) or value not in known:
            check.err(
                item.line,
                "kiosk",
                msg(N_("'%(value)s' is not a question of this file"), value=raw_value_text(item)),
            )
        elif value in codes:
            check.err(item.line, "kiosk", msg(N_("'%(value)s' is listed twice"), value=value))
        else:
            codes.append(value)
    return tuple(codes)


def raw_value_text(value: Value) -> str:
    return str(value.value) if isinstance(value, Scalar) else str(describe(value))


def _check_top_keys(check: Checker, root: Map, kind: str | None) -> None:
    """Required, unknown and misplaced top-level keys, as the file's kind has them."""
    if kind in SECTIONED_KINDS:
        required = ["format", "code", "kind", "title", "sections"]
        optional = [*_BASE_KEYS, "sections"] + (["indicator", "kiosk"] if kind == "survey" else [])
    elif kind == "protocol":
        required = ["format", "code", "kind", "title", *PROTOCOL_REQUIRED]
        optional = [*_BASE_KEYS, *PROTOCOL_KEYS]
    else:
        required = ["format", "code", "kind", "title"]
        optional = [*_BASE_KEYS, *_SECTIONED_KEYS, *PROTOCOL_KEYS]

    def misplaced(key: str) -> Text | None:
        if key in PROTOCOL_KEYS and kind in SECTIONED_KINDS:
            return msg(N_("'%(key)s' is only used with kind: protocol"), key=key)
        if key == "sections" and kind == "protocol":
            return msg(
                N_(
                    "a protocol has no sections (it has channels, sectors, scenarios and"
                    " grade_bands instead)"
                )
            )
        if key == "indicator" and kind is not None and kind != "survey":
            return msg(
                N_("'indicator' is only used with kind: survey, not kind: %(kind)s"), kind=kind
            )
        return None

    check.keys(root, "", required, optional, misplaced)
