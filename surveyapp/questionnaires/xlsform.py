"""XLSForm workbooks (``.xlsx``) read through pyxform and written with openpyxl.

XLSForm is the survey world's spreadsheet format (ODK, KoBoToolbox, SurveyCTO, Enketo).
The workbook is read by pyxform, the reference implementation of the standard: its
reader gives the rows of the ``survey``, ``choices`` and ``settings`` sheets and its
header rules resolve column aliases and ``label::Language (xx)`` columns. The app then
maps what it supports (see ``docs/questionnaire-format.md``, "XLSForm"); anything it
cannot honour is refused with its sheet, row and column, never dropped. Finally pyxform
converts the workbook once more, so a form the reference implementation refuses is
refused here too.

The file is checked before any reader opens it: its size, that it is a zip with the
parts of a workbook, no macros (``vbaProject.bin``, macro-enabled content types), and
the uncompressed size of its parts (a zip bomb is refused before it is unpacked).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from surveyapp.catalogs import translator
from surveyapp.questionnaires import types as question_types
from surveyapp.questionnaires.checks import LANGUAGES
from surveyapp.questionnaires.definition import Definition
from surveyapp.questionnaires.imported import MAX_UPLOAD_BYTES, Imported, Problems, validated
from surveyapp.questionnaires.problems import Count, DefinitionError, Place
from surveyapp.questionnaires.types.base import DONT_KNOW, N_, Bound, ImportProblem
from surveyapp.questionnaires.yaml_source import Path

#: The parts of a workbook together, uncompressed (a 1,000-question form is ~1 MB).
MAX_UNCOMPRESSED_BYTES = 20 * 1024 * 1024
#: Parts (files) in the zip.
MAX_PARTS = 500

LANGUAGE_NAMES = {"nb": "Norsk bokmål (nb)", "nn": "Norsk nynorsk (nn)", "en": "English (en)"}
SURVEY, CHOICES, SETTINGS = "survey", "choices", "settings"

_LANGUAGE_RE = re.compile(r"\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)?)\)\s*$")
_INT_RE = re.compile(r"-?[0-9]+")
_MACRO_TYPES = (
    "application/vnd.ms-excel.sheet.macroEnabled",
    "application/vnd.ms-office.vbaProject",
    "application/vnd.ms-excel.addin.macroEnabled",
)
# Translated columns of each sheet, by their first token.
_TRANSLATED = {
    SURVEY: ("label", "hint", "required_message", "unit"),
    CHOICES: ("label",),
    SETTINGS: ("title",),
}
# pyxform reads ``required_message`` as the bind ``jr:requiredMsg``.
_REQUIRED_MESSAGE = ("bind", "jr:requiredMsg")
# Columns the app reads (first tokens after pyxform's aliases).
_KNOWN = {
    SURVEY: {"type", "name", "label", "hint", "required_message", "unit", "bind", "control"},
    CHOICES: {"list name", "name", "label"},
    SETTINGS: {
        "id_string",
        "title",
        "version",
        "kind",
        "source",
        "indicator_question",
        "indicator_satisfied",
        "indicator_excluded",
        "indicator_target",
    },
}
_KNOWN_BIND = {"required", "relevant", "constraint"}
_KNOWN_CONTROL = {"appearance"}
# Sheets of the standard the app has no use for: refused rather than ignored.
_UNSUPPORTED_SHEETS = ("external_choices", "entities", "osm")
_GROUP = {"begin_group": "begin", "begin group": "begin", "end_group": "end", "end group": "end"}
_REPEAT = ("begin_repeat", "begin repeat", "end_repeat", "end repeat", "begin loop", "end loop")


# =========================================================================== file checks


def check_workbook_file(data: bytes, filename: str) -> None:
    """Refuse what is not a plain workbook before any reader opens it (DefinitionError)."""
    problems = Problems(filename)
    if len(data) > MAX_UPLOAD_BYTES:
        problems.add(
            None,
            N_("the file is too large: %(size)s bytes; an uploaded file may have at most %(max)s"),
            size=Count(len(data)),
            max=Count(MAX_UPLOAD_BYTES),
        )
        raise problems.error()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        problems.add(
            None,
            N_(
                "the file is not a readable .xlsx workbook (it is damaged, cut short, or"
                " another kind of file); save it again from Excel or LibreOffice as .xlsx"
            ),
        )
        raise problems.error() from None
    with archive:
        parts = archive.infolist()
        names = {part.filename for part in parts}
        if len(parts) > MAX_PARTS:
            problems.add(None, N_("the workbook has too many parts (%(n)s)"), n=len(parts))
        elif sum(part.file_size for part in parts) > MAX_UNCOMPRESSED_BYTES:
            problems.add(
                None,
                N_(
                    "the workbook unpacks to more than %(max)s bytes; an XLSForm is far"
                    " smaller (is it a zip bomb?)"
                ),
                max=Count(MAX_UNCOMPRESSED_BYTES),
            )
        elif any(name.lower().endswith("vbaproject.bin") for name in names) or _macro_types(
            archive, names
        ):
            problems.add(
                None,
                N_(
                    "the workbook contains macros (a macro-enabled .xlsm file); save it as"
                    " a plain .xlsx workbook without macros"
                ),
            )
        elif "[Content_Types].xml" not in names or not any(
            name.startswith("xl/worksheets/") for name in names
        ):
            problems.add(None, N_("the file is a zip archive but not an .xlsx workbook"))
        else:
            try:
                bad = archive.testzip()
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError):
                bad = "?"
            if bad is not None:
                problems.add(
                    None,
                    N_("the workbook is damaged (part %(part)s cannot be unpacked)"),
                    part=bad,
                )
    if problems:
        raise problems.error()


def _macro_types(archive: zipfile.ZipFile, names: set[str]) -> bool:
    if "[Content_Types].xml" not in names:
        return False
    info = archive.getinfo("[Content_Types].xml")
    if info.file_size > 1024 * 1024:
        return True  # no honest workbook lists a megabyte of content types
    text = archive.read(info).decode("utf-8", "replace")
    return any(kind in text for kind in _MACRO_TYPES)


# =========================================================================== reading


@dataclass
class _Cell:
    value: str
    place: Place


@dataclass
class _Row:
    number: int
    cells: dict[tuple[str, ...], _Cell]

    def get(self, *tokens: str) -> _Cell | None:
        return self.cells.get(tokens)

    def string(self, *tokens: str) -> str:
        cell = self.cells.get(tokens)
        return cell.value if cell else ""


class _Sheet:
    """One sheet's rows, each value with its cell, keyed by pyxform's header tokens."""

    def __init__(self, name: str, title: str, rows: list[_Row], columns: dict[Any, str]):
        self.name = name  # the standard's name (lower case)
        self.title = title  # as the workbook spells it
        self.rows = rows
        self.columns = columns  # tokens -> column letter

    def place(self, row: int | None = None, tokens: tuple[str, ...] | None = None) -> Place:
        column = self.columns.get(tokens) if tokens is not None else None
        return Place(sheet=self.title, row=row, column=column)


def read_xlsform(data: bytes, filename: str) -> Imported:
    """Read an XLSForm workbook into a validated definition; DefinitionError lists problems."""
    check_workbook_file(data, filename)
    return _Reader(filename).read(data)


class _Reader:
    def __init__(self, filename: str) -> None:
        self.problems = Problems(filename)
        self.cells: dict[Path, Place] = {}
        self.section_index = 0

    def fail(self, place: Place | None, msgid: str, **params: Any) -> None:
        self.problems.add(place, msgid, **params)

    # ------------------------------------------------------------------ sheets

    def read(self, data: bytes) -> Imported:
        from pyxform.errors import PyXFormError
        from pyxform.xls2json_backends import xlsx_to_dict

        try:
            book = xlsx_to_dict(io.BytesIO(data))
        except (PyXFormError, Exception) as exc:  # noqa: BLE001 - any reader failure is the file's
            self.fail(
                None,
                N_("the workbook cannot be read: %(reason)s"),
                reason=str(exc)[:300] or type(exc).__name__,
            )
            raise self.problems.error() from None
        titles = {name.lower(): name for name in book.get("sheet_names", [])}
        letters = _header_letters(data)
        for name in _UNSUPPORTED_SHEETS:
            if name in titles:
                self.fail(
                    Place(sheet=titles[name]),
                    N_("the sheet '%(sheet)s' is not supported by the app; remove it"),
                    sheet=titles[name],
                )
        if SURVEY not in titles:
            self.fail(None, N_("the workbook has no sheet named 'survey'"))
            raise self.problems.error()
        sheets = {
            name: self.sheet(name, titles[name], book, letters.get(titles[name], {}))
            for name in (SURVEY, CHOICES, SETTINGS)
            if name in titles
        }
        if SETTINGS not in sheets:
            self.fail(
                None,
                N_("the workbook has no sheet named 'settings' (form_id there is the code)"),
            )
            raise self.problems.error()
        lists = self.choice_lists(sheets.get(CHOICES))
        settings_sheet = sheets[SETTINGS]
        settings = settings_sheet.rows[0] if settings_sheet.rows else _Row(2, {})
        definition_data = self.definition(sheets[SURVEY], lists, settings, settings_sheet)
        definition = validated(definition_data, self.cells, self.problems)
        self.reference_check(book)
        version = settings.string("version") or None
        return Imported(definition, "xlsform", version)

    def sheet(self, name: str, title: str, book: dict[str, Any], letters: dict[str, str]) -> _Sheet:
        from pyxform import aliases
        from pyxform.parsing.sheet_headers import process_header
        from pyxform.question import MultipleChoiceQuestion, Option
        from pyxform.survey import Survey

        header_aliases, columns = {
            SURVEY: (aliases.survey_header, set(MultipleChoiceQuestion.get_slot_names())),
            CHOICES: (aliases.list_header, set(Option.get_slot_names())),
            SETTINGS: (aliases.settings_header, set(Survey.get_slot_names())),
        }[name]
        headers = list((book.get(f"{name}_header") or [{}])[0])
        double = any("::" in header for header in headers)
        tokens_of: dict[str, tuple[str, ...]] = {}
        by_tokens: dict[tuple[str, ...], str] = {}
        for header in headers:
            first, tokens = process_header(header, double, header_aliases, columns)
            if isinstance(first, tuple) and len(tokens) <= len(first):  # ("bind", "required")
                tokens = first
            tokens = self.language_tokens(name, title, header, tokens, letters)
            tokens_of[header] = tokens
            by_tokens.setdefault(tokens, letters.get(header, ""))
        rows = []
        for number, raw in enumerate(book.get(name) or [], start=2):
            cells = {}
            for header, value in raw.items():
                tokens = tokens_of.get(header)
                if tokens is None or value is None:
                    continue
                place = Place(sheet=title, row=number, column=letters.get(header))
                cells[tokens] = _Cell(str(value).strip(), place)
            rows.append(_Row(number, cells))
        sheet = _Sheet(name, title, rows, by_tokens)
        self.unknown_columns(sheet)
        return sheet

    def language_tokens(
        self,
        sheet: str,
        title: str,
        header: str,
        tokens: tuple[str, ...],
        letters: dict[str, str],
    ) -> tuple[str, ...]:
        """``("label", "nb")`` for ``label::Norsk bokmål (nb)``; problems for other languages."""
        if tokens[:2] == _REQUIRED_MESSAGE:
            tokens = ("required_message", *tokens[2:])
        if tokens[0] not in _TRANSLATED[sheet] or len(tokens) != 2:
            return tokens
        found = _LANGUAGE_RE.search(tokens[1])
        code = (found.group(1) if found else tokens[1].strip()).lower()
        if code not in LANGUAGES:
            self.fail(
                Place(sheet=title, row=1, column=letters.get(header)),
                N_(
                    "the column '%(header)s' is for a language the app does not use; the"
                    " app's languages are Norsk bokmål (nb), Norsk nynorsk (nn) and"
                    " English (en)"
                ),
                header=header,
            )
        return (tokens[0], code)

    def unknown_columns(self, sheet: _Sheet) -> None:
        """Columns the app cannot honour, when any row has a value in them."""
        known = _KNOWN[sheet.name]
        reported: set[tuple[str, ...]] = set()
        for row in sheet.rows:
            for tokens, cell in row.cells.items():
                if tokens in reported or not cell.value:
                    continue
                ok = tokens[0] in known
                if tokens[0] == "bind":
                    ok = len(tokens) == 2 and tokens[1] in _KNOWN_BIND
                elif tokens[0] == "control":
                    ok = len(tokens) == 2 and tokens[1] in _KNOWN_CONTROL
                elif tokens[0] in _TRANSLATED[sheet.name]:
                    ok = len(tokens) == 2 or (sheet.name == SETTINGS and len(tokens) == 1)
                    if not ok:
                        self.fail(
                            cell.place,
                            N_(
                                "the column '%(column)s' has no language: write one column"
                                " per language, e.g. %(column)s::Norsk bokmål (nb),"
                                " %(column)s::Norsk nynorsk (nn) and %(column)s::English (en)"
                            ),
                            column=tokens[0],
                        )
                        reported.add(tokens)
                        continue
                if not ok:
                    name = _column_name(tokens)
                    self.fail(
                        cell.place,
                        N_(
                            "the column '%(column)s' is not supported by the app, which"
                            " cannot honour it; remove the column (or its values)"
                        ),
                        column=name,
                    )
                    reported.add(tokens)

    # ------------------------------------------------------------------ choices

    def choice_lists(self, sheet: _Sheet | None) -> dict[str, list[tuple[_Row, str | int]]]:
        lists: dict[str, list[tuple[_Row, str | int]]] = {}
        if sheet is None:
            return lists
        seen: dict[tuple[str, str], int] = {}
        for row in sheet.rows:
            list_name = row.string("list name")
            name = row.string("name")
            if not list_name and not name:
                continue
            if not list_name or not name:
                missing = ("list name",) if not list_name else ("name",)
                self.fail(
                    sheet.place(row.number, missing),
                    N_("a choice needs both a list_name and a name"),
                )
                continue
            key = (list_name, name)
            if key in seen:
                self.fail(
                    sheet.place(row.number, ("name",)),
                    N_("duplicate choice '%(name)s' in the list '%(list)s' (first in row %(row)s)"),
                    name=name,
                    list=list_name,
                    row=seen[key],
                )
                continue
            seen[key] = row.number
            value: str | int = (
                int(name) if _INT_RE.fullmatch(name) and str(int(name)) == name else name
            )
            lists.setdefault(list_name, []).append((row, value))
        return lists

    def options(
        self, list_name: str, rows: list[tuple[_Row, str | int]], path: Path
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for row, value in rows:
            if value == DONT_KNOW:
                continue
            n = len(out)
            self.cells[(*path, n)] = self.cells[(*path, n, "value")] = _place_of(row, "name")
            label = self.translation(row, "label", (*path, n, "label"))
            out.append({"value": value, "label": label})
        return out

    # ------------------------------------------------------------------ the definition

    def translation(self, row: _Row, key: str, path: Path, required: bool = True) -> Any:
        """A translation map from ``key::`` columns; missing languages reported at the row."""
        texts = {lang: row.string(key, lang) for lang in LANGUAGES}
        given = {lang: text for lang, text in texts.items() if text}
        first = next((row.get(key, lang) for lang in LANGUAGES if row.get(key, lang)), None)
        if first is not None:
            self.cells[path] = first.place
        if not given and not required:
            return None
        for lang in LANGUAGES:
            cell = row.get(key, lang)
            self.cells[(*path, lang)] = cell.place if cell else _row_place(row)
        if len(given) < len(LANGUAGES):
            missing = [LANGUAGE_NAMES[lang] for lang in LANGUAGES if lang not in given]
            self.fail(
                _row_place(row),
                N_("the %(key)s is missing in %(languages)s"),
                key=key,
                languages=", ".join(missing),
            )
        return {lang: texts[lang] for lang in LANGUAGES}

    def definition(
        self,
        survey: _Sheet,
        lists: dict[str, list[tuple[_Row, str | int]]],
        settings: _Row,
        settings_sheet: _Sheet,
    ) -> dict[str, Any]:
        data: dict[str, Any] = {"format": 1}
        code_cell = settings.get("id_string")
        if code_cell is None:
            self.fail(
                settings_sheet.place(2),
                N_("the settings sheet has no form_id (it is the questionnaire's code)"),
            )
        else:
            self.cells[("code",)] = code_cell.place
        data["code"] = code_cell.value if code_cell else ""
        kind = settings.string("kind") or "survey"
        data["kind"] = kind
        if settings.get("kind"):
            self.cells[("kind",)] = settings.get("kind").place  # type: ignore[union-attr]
        title_single = settings.string("title")
        titles = {lang: settings.string("title", lang) or title_single for lang in LANGUAGES}
        if not all(titles.values()):
            self.fail(
                settings_sheet.place(2),
                N_("the settings sheet needs form_title (per language or one for all three)"),
            )
        data["title"] = titles
        self.cells[("title",)] = _row_place(settings)
        if settings.string("source"):
            data["source"] = settings.string("source")
        scales: dict[str, Any] = {}
        sections: list[dict[str, Any]] = []
        data["sections"] = sections
        questions: dict[str, tuple[int, dict[str, Any], str | None]] = {}
        section: dict[str, Any] | None = None
        for row in survey.rows:
            type_cell = row.get("type")
            if type_cell is None:
                if row.cells and any(c.value for c in row.cells.values()):
                    self.fail(_row_place(row, survey), N_("the row has values but no type"))
                continue
            kind_text = " ".join(type_cell.value.split())
            lowered = kind_text.lower()
            if lowered in _GROUP:
                allowed = {"type", "name", "label", "hint", "control"}
                self.unused(row, allowed if _GROUP[lowered] == "begin" else {"type", "name"})
                section = self.group(row, survey, _GROUP[lowered], section, sections)
                continue
            if lowered in _REPEAT:
                self.fail(
                    type_cell.place,
                    N_("repeats ('%(type)s') are not supported: every question is asked once"),
                    type=kind_text,
                )
                continue
            if lowered == "note":
                self.unused(row, {"type", "name", "label"})
                self.note(row, survey, section, sections, data)
                continue
            if section is None:
                self.fail(
                    type_cell.place,
                    N_(
                        "the question is outside any group: put every question between"
                        " begin_group and end_group (a group is one page)"
                    ),
                )
                continue
            question = self.question(row, survey, kind_text, lists, scales, questions, section)
            if question is not None:
                section["questions"].append(question)
        if section is not None:
            self.fail(
                _row_place(survey.rows[-1], survey) if survey.rows else None,
                N_("the group '%(name)s' has no end_group"),
                name=section["code"],
            )
        if not sections:
            self.fail(Place(sheet=survey.title), N_("the form has no groups (pages) of questions"))
        if scales:
            data["scales"] = scales
        self.indicator(settings, data)
        order = ("format", "code", "kind", "title", "description", "source", "scales")
        return {key: data[key] for key in order if key in data} | {
            key: value for key, value in data.items() if key not in order
        }

    def group(
        self,
        row: _Row,
        survey: _Sheet,
        action: str,
        section: dict[str, Any] | None,
        sections: list[dict[str, Any]],
    ) -> dict[str, Any] | None:
        type_cell = row.get("type")
        assert type_cell is not None
        if action == "end":
            if section is None:
                self.fail(type_cell.place, N_("end_group without a begin_group"))
            elif not section["questions"]:
                self.fail(
                    type_cell.place,
                    N_("the group '%(name)s' has no questions"),
                    name=section["code"],
                )
            return None
        if section is not None:
            self.fail(
                type_cell.place,
                N_(
                    "a group inside a group is not supported: the app shows each group as"
                    " one page; end the group '%(name)s' first"
                ),
                name=section["code"],
            )
            return section
        appearance = row.string("control", "appearance")
        if appearance and appearance.split() != ["field-list"]:
            self.fail(
                row.get("control", "appearance").place,  # type: ignore[union-attr]
                N_("the appearance '%(appearance)s' is not supported on a group"),
                appearance=appearance,
            )
        self.section_index = len(sections)
        path: Path = ("sections", len(sections))
        self.cells[path] = self.cells[(*path, "code")] = _place_of(row, "name", survey)
        new = {
            "code": row.string("name"),
            "title": self.translation(row, "label", (*path, "title")),
            "questions": [],
        }
        if row.string("hint", "nb") or row.string("hint", "nn") or row.string("hint", "en"):
            new["intro"] = self.translation(row, "hint", (*path, "intro"))
        sections.append(new)
        return new

    def unused(self, row: _Row, allowed: set[str]) -> None:
        """Values a group or note row has in columns that mean nothing there."""
        for tokens, cell in row.cells.items():
            if cell.value and tokens[0] not in allowed:
                self.fail(
                    cell.place,
                    N_(
                        "the app cannot honour '%(column)s' on a %(type)s row (a group is a"
                        " page; a note is a text); remove the value"
                    ),
                    column=_column_name(tokens),
                    type=row.string("type"),
                )

    def note(
        self,
        row: _Row,
        survey: _Sheet,
        section: dict[str, Any] | None,
        sections: list[dict[str, Any]],
        data: dict[str, Any],
    ) -> None:
        """A note before the first group is the description; first in a group, its intro."""
        if section is None and not sections and "description" not in data:
            data["description"] = self.translation(row, "label", ("description",))
        elif section is not None and not section["questions"] and "intro" not in section:
            path: Path = ("sections", len(sections) - 1, "intro")
            section["intro"] = self.translation(row, "label", path)
        else:
            self.fail(
                _place_of(row, "type", survey),
                N_(
                    "the app shows a note only as a page's introduction (first in a group)"
                    " or as the form's description (before the first group)"
                ),
            )

    def question(
        self,
        row: _Row,
        survey: _Sheet,
        kind_text: str,
        lists: dict[str, list[tuple[_Row, str | int]]],
        scales: dict[str, Any],
        questions: dict[str, tuple[int, dict[str, Any], str | None]],
        section: dict[str, Any],
    ) -> dict[str, Any] | None:
        from pyxform import aliases
        from pyxform.xls2json import RE_SELECT

        type_cell = row.get("type")
        assert type_cell is not None
        base, list_name = kind_text, None
        select = RE_SELECT.match(kind_text)
        if select is not None:
            if select.group("specify_other"):
                self.fail(type_cell.place, N_("'or_other' is not supported by the app"))
                return None
            if "file" in select.group("select_command").lower():
                # choices from an attached file: pyxform reads them as a plain select
                self.fail(
                    type_cell.place,
                    N_("the question type '%(type)s' is not supported by the app"),
                    type=kind_text,
                )
                return None
            command = aliases.select.get(select.group("select_command"))
            base = {"select one": "select_one", "select all that apply": "select_multiple"}.get(
                str(command), str(command)
            )
            list_name = select.group("list_name")
        base = base.lower()
        appearance = tuple(row.string("control", "appearance").split())
        candidates = [t for t in question_types.REGISTRY.values() if base in t.xlsform_types]
        if not candidates:
            self.fail(
                type_cell.place,
                N_("the question type '%(type)s' is not supported by the app"),
                type=kind_text,
            )
            return None
        marked = [t for t in candidates if t.xlsform_marker and t.xlsform_marker in appearance]
        plain = [t for t in candidates if not t.xlsform_marker]
        question_type = (marked or plain or candidates)[0]
        unknown = [a for a in appearance if a not in question_type.xlsform_appearances]
        if unknown:
            self.fail(
                row.get("control", "appearance").place,  # type: ignore[union-attr]
                N_("the appearance '%(appearance)s' is not supported for %(type)s"),
                appearance=" ".join(unknown),
                type=kind_text,
            )
        index = len(section["questions"])
        code = row.string("name")
        path: Path = ("sections", self.section_index, "questions", index)
        name_cell = row.get("name")
        if not code:
            self.fail(_place_of(row, "type", survey), N_("the question has no name"))
        elif code in questions:
            self.fail(
                name_cell.place if name_cell else None,
                N_("duplicate name '%(name)s' (first in row %(row)s)"),
                name=code,
                row=questions[code][0],
            )
            return None
        question: dict[str, Any] = {"code": code, "type": question_type.name}
        self.cells[path] = type_cell.place
        if name_cell is not None:
            self.cells[(*path, "code")] = name_cell.place
        self.cells[(*path, "type")] = type_cell.place
        question["text"] = self.translation(row, "label", (*path, "text"))
        hint = self.translation(row, "hint", (*path, "help"), required=False)
        if hint is not None:
            question["help"] = hint
        error = self.translation(row, "required_message", (*path, "error"), required=False)
        if error is not None:
            question["error"] = error
        required = row.get("bind", "required")
        if required is not None:
            value = aliases.yes_no.get(required.value)
            if value is None:
                self.fail(
                    required.place,
                    N_("required must be yes or no (the app has no required conditions)"),
                )
            elif value:
                question["required"] = True
        extra: dict[str, Any] = {}
        choice_values: list[str | int] = []
        if list_name is not None:
            if list_name not in lists:
                self.fail(
                    type_cell.place,
                    N_("the choice list '%(list)s' is not on the choices sheet"),
                    list=list_name,
                )
                return None
            choice_values = [value for _row, value in lists[list_name]]
            extra["dont_know"] = DONT_KNOW in choice_values
            extra["values"] = [v for v in choice_values if v != DONT_KNOW]
        unit = self.translation(row, "unit", (*path, "unit"), required=False)
        if unit is not None:
            if question_type.name != "number":
                self.fail(
                    self.cells[(*path, "unit")],
                    N_("a unit is only used with integer and decimal questions"),
                )
            extra["unit"] = unit
        bounds = self.constraint(row)
        try:
            keys = question_type.from_xlsform(base, appearance, bounds or [], extra)
        except ImportProblem as problem:
            column = {
                "constraint": ("bind", "constraint"),
                "type": ("type",),
                "appearance": ("control", "appearance"),
            }.get(problem.column, ("type",))
            cell = row.get(*column) or type_cell
            self.fail(cell.place, problem.msgid, **problem.params)
            keys = {}
        if list_name is not None and "scale" in question_type.keys:
            scale = self.scale(list_name, lists[list_name], scales)
            question["scale"] = scale
            self.cells[(*path, "scale")] = type_cell.place
        for key, value in keys.items():
            question[key] = value
            self.cells.setdefault((*path, key), type_cell.place)
        relevant = row.get("bind", "relevant")
        if relevant is not None and relevant.value:
            condition = self.relevant(relevant, questions, lists)
            if condition is not None:
                question["show_if"] = condition
                self.cells[(*path, "show_if")] = relevant.place
        questions[code] = (row.number, question, list_name)
        return question

    def scale(
        self, list_name: str, rows: list[tuple[_Row, str | int]], scales: dict[str, Any]
    ) -> str:
        if list_name not in scales:
            scales[list_name] = self.options(list_name, rows, ("scales", list_name))
            if rows:
                self.cells[("scales", list_name)] = _place_of(rows[0][0], "list name")
        return list_name

    def constraint(self, row: _Row) -> list[Bound] | None:
        cell = row.get("bind", "constraint")
        if cell is None or not cell.value:
            return None
        bounds = parse_constraint(cell.value)
        if bounds is None:
            self.fail(
                cell.place,
                N_(
                    "the app has no equivalent of the constraint '%(constraint)s'; it reads"
                    " bounds such as . >= 0 and . <= 100, count-selected(.) <= 3 or"
                    " string-length(.) <= 500"
                ),
                constraint=cell.value[:200],
            )
            return None
        return bounds

    def relevant(
        self,
        cell: _Cell,
        questions: dict[str, tuple[int, dict[str, Any], str | None]],
        lists: dict[str, list[tuple[_Row, str | int]]],
    ) -> dict[str, Any] | None:
        parsed = parse_relevant(cell.value)
        if parsed is None:
            self.fail(
                cell.place,
                N_(
                    "the app has no equivalent of the condition '%(relevant)s'; it reads"
                    " ${question} = 'value', selected(${question}, 'value') and several of"
                    " them joined with 'or', all about one earlier question"
                ),
                relevant=cell.value[:200],
            )
            return None
        name, values = parsed
        if name not in questions:
            self.fail(
                cell.place,
                N_(
                    "the condition refers to ${%(name)s}, which is not an earlier question"
                    " of the form (a condition can only use a question above it)"
                ),
                name=name,
            )
            return None
        _number, controller, list_name = questions[name]
        if not question_types.get(controller["type"]).chooses:
            self.fail(
                cell.place,
                N_("the condition refers to ${%(name)s}, which has no choices to compare"),
                name=name,
            )
            return None
        known = {str(v): v for _row, v in lists.get(list_name or "", [])}
        out: list[str | int] = [known.get(value, value) for value in values]
        if len(out) == 1:
            return {"question": name, "equals": out[0]}
        return {"question": name, "in": out}

    def indicator(self, settings: _Row, data: dict[str, Any]) -> None:
        question = settings.string("indicator_question")
        if not question:
            return
        indicator: dict[str, Any] = {"question": question}
        for key in ("satisfied", "excluded"):
            text = settings.string(f"indicator_{key}")
            indicator[key] = [
                int(v) if _INT_RE.fullmatch(v) else v for v in text.replace(",", " ").split()
            ]
        target = settings.string("indicator_target")
        if target:
            try:
                indicator["target"] = float(target.replace(",", "."))
            except ValueError:
                self.fail(
                    settings.get("indicator_target").place,  # type: ignore[union-attr]
                    N_("indicator_target must be a number such as 0.8"),
                )
        data["indicator"] = indicator
        self.cells[("indicator",)] = _row_place(settings)
        for key in ("question", "satisfied", "excluded", "target"):
            cell = settings.get(f"indicator_{key}")
            if cell is not None:
                self.cells[("indicator", key)] = cell.place

    def reference_check(self, book: dict[str, Any]) -> None:
        """pyxform, the reference implementation, must accept the form too."""
        from pyxform.errors import PyXFormError
        from pyxform.xls2json import workbook_to_json
        from pyxform.xls2json_backends import DefinitionData

        known = {key: value for key, value in book.items() if key in DefinitionData.__slots__}
        try:
            workbook_to_json(DefinitionData(**known), form_name="data", warnings=[])
        except (PyXFormError, ValueError, KeyError, TypeError) as exc:
            self.fail(
                None,
                N_("pyxform, the XLSForm reference implementation, refuses the form: %(reason)s"),
                reason=str(exc)[:300],
            )
            raise self.problems.error() from None


def _column_name(tokens: tuple[str, ...]) -> str:
    if tokens[0] in ("bind", "control") and len(tokens) == 2:
        return {
            "jr:constraintMsg": "constraint_message",
            "jr:requiredMsg": "required_message",
            "calculate": "calculation",
        }.get(tokens[1], tokens[1])
    return "::".join(tokens)


def _row_place(row: _Row, sheet: _Sheet | None = None) -> Place:
    some = next(iter(row.cells.values()), None)
    title = sheet.title if sheet else (some.place.sheet if some else None)
    return Place(sheet=title, row=row.number)


def _place_of(row: _Row, key: str, sheet: _Sheet | None = None) -> Place:
    cell = row.get(key)
    return cell.place if cell is not None else _row_place(row, sheet)


def _header_letters(data: bytes) -> dict[str, dict[str, str]]:
    """Each sheet's header texts with their column letters (row 1, as pyxform reads it)."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    found: dict[str, dict[str, str]] = {}
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for sheet in book.worksheets:
            letters: dict[str, str] = {}
            for row in sheet.iter_rows(min_row=1, max_row=1, max_col=2000):
                for index, cell in enumerate(row, 1):
                    value = cell.value
                    if isinstance(value, str) and value.strip():
                        header = re.sub(r"( )+", " ", value.strip())
                        letters.setdefault(header, get_column_letter(index))
            found[sheet.title] = letters
    finally:
        book.close()
    return found


# =========================================================================== expressions

_NUMBER = r"-?[0-9]+(?:\.[0-9]+)?"
_BOUND_RE = re.compile(
    rf"^\(?\s*(\.|count-selected\(\s*\.\s*\)|string-length\(\s*\.\s*\))\s*(>=|<=|>|<)\s*({_NUMBER})\s*\)?$"
)
_EQUALS_RE = re.compile(
    rf"""^\(?\s*\$\{{([A-Za-z_][A-Za-z0-9_.-]*)\}}\s*=\s*(?:'([^']*)'|"([^"]*)"|({_NUMBER}))\s*\)?$"""
)
_SELECTED_RE = re.compile(
    r"""^\(?\s*selected\(\s*\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}\s*,\s*(?:'([^']*)'|"([^"]*)")\s*\)\s*\)?$"""
)


def parse_constraint(text: str) -> list[Bound] | None:
    """``. >= 0 and . <= 10`` as bounds; None when the app has no equivalent.

    ``>`` and ``<`` on whole numbers are read as ``>=`` / ``<=`` the next number only
    when the subject counts (choices, characters); otherwise they have no equivalent.
    """
    parts = re.split(r"\s+and\s+", text.strip())
    bounds = []
    for part in parts:
        found = _BOUND_RE.match(part.strip())
        if found is None:
            return None
        subject = re.sub(r"\s+", "", found.group(1))
        op, number = found.group(2), float(found.group(3))
        if op in (">", "<"):
            if subject == "." or not number.is_integer():
                return None
            number = number + 1 if op == ">" else number - 1
            op = op + "="
        bounds.append(Bound(subject, op, number))
    return bounds


def parse_relevant(text: str) -> tuple[str, list[str]] | None:
    """``${q} = 'a' or ${q} = 'b'`` as (``q``, [a, b]); None for anything else."""
    parts = re.split(r"\s+or\s+", text.strip())
    name: str | None = None
    values: list[str] = []
    for part in parts:
        part = part.strip()
        found = _EQUALS_RE.match(part) or _SELECTED_RE.match(part)
        if found is None:
            return None
        groups = found.groups()
        value = next((g for g in groups[1:] if g is not None), "")
        if name is not None and groups[0] != name:
            return None
        name = groups[0]
        values.append(value)
    if name is None:
        return None
    return name, values


# =========================================================================== writing


def write_xlsform(definition: Definition, version: str | None = None) -> bytes:
    """The definition as an XLSForm workbook that reads back to the same definition."""
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    survey = book.active
    assert survey is not None
    survey.title = SURVEY
    languages = [LANGUAGE_NAMES[lang] for lang in LANGUAGES]
    headers = [
        "type",
        "name",
        *[f"label::{name}" for name in languages],
        *[f"hint::{name}" for name in languages],
        "required",
        "relevant",
        "constraint",
        "appearance",
        *[f"unit::{name}" for name in languages],
        *[f"required_message::{name}" for name in languages],
    ]
    survey.append(headers)
    lists = _ChoiceLists(definition)
    used_names = {q.code for q in definition.questions} | {s.code for s in definition.sections}

    def note_name(base: str) -> str:
        name = base
        while name in used_names:
            name += "_note"
        used_names.add(name)
        return name

    def texts(value: dict[str, str] | None) -> list[str]:
        return [value.get(lang, "") if value else "" for lang in LANGUAGES]

    blank = [""] * len(LANGUAGES)
    if definition.description:
        survey.append(["note", note_name("description"), *texts(definition.description)])
    for section in definition.sections:
        survey.append(["begin_group", section.code, *texts(section.title)])
        if section.intro:
            survey.append(["note", note_name(f"{section.code}_intro"), *texts(section.intro)])
        for question in section.questions:
            mapped = question_types.get(question.type).to_xlsform(question)
            kind = mapped.type
            if mapped.uses_choices:
                kind = f"{kind} {lists.name_for(question)}"
            survey.append(
                [
                    kind,
                    question.code,
                    *texts(question.text),
                    *(texts(question.help) if question.help else blank),
                    "yes" if question.required else "",
                    _relevant(definition, question),
                    mapped.constraint,
                    " ".join(mapped.appearance),
                    *(texts(dict(mapped.unit)) if mapped.unit else blank),
                    *(texts(question.error) if question.error else blank),
                ]
            )
        survey.append(["end_group"])
    choices = book.create_sheet(CHOICES)
    choices.append(["list_name", "name", *[f"label::{name}" for name in languages]])
    for row in lists.rows():
        choices.append(row)
    settings = book.create_sheet(SETTINGS)
    setting_rows: list[tuple[str, Any]] = [
        ("form_id", definition.code),
        ("version", version or ""),
        *[
            (f"form_title::{name}", definition.title[lang])
            for lang, name in zip(LANGUAGES, languages, strict=True)
        ],
        ("kind", definition.kind),
    ]
    if definition.source:
        setting_rows.append(("source", definition.source))
    indicator = definition.indicator
    if indicator is not None:
        setting_rows += [
            ("indicator_question", indicator.question),
            ("indicator_satisfied", " ".join(str(v) for v in indicator.satisfied)),
            ("indicator_excluded", " ".join(str(v) for v in indicator.excluded)),
            ("indicator_target", repr(indicator.target)),
        ]
    settings.append([key for key, _value in setting_rows])
    settings.append([value for _key, value in setting_rows])
    for sheet in (survey, choices, settings):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _relevant(definition: Definition, question: Any) -> str:
    condition = question.show_if
    if condition is None:
        return ""
    controller = definition.question(condition.question)
    if question_types.get(controller.type).overlapping:
        terms = [f"selected(${{{condition.question}}}, '{v}')" for v in condition.values]
    else:
        terms = [f"${{{condition.question}}} = '{v}'" for v in condition.values]
    return " or ".join(terms)


class _ChoiceLists:
    """The choice lists of a definition: one per distinct option list (and don't know)."""

    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self.lists: dict[str, list[tuple[str, dict[str, str]]]] = {}
        self.by_content: dict[Any, str] = {}
        self.scale_of = _scale_names(definition)

    def name_for(self, question: Any) -> str:
        options = [(str(o.value), dict(o.label)) for o in question.options]
        if question.dont_know:
            options.append((DONT_KNOW, _dont_know_labels()))
        content = tuple((value, tuple(sorted(label.items()))) for value, label in options)
        if content in self.by_content:
            return self.by_content[content]
        base = self.scale_of.get(question.code) or (
            "yes_no"
            if question_types.get(question.type).xlsform_marker == "yesno"
            else question.code
        )
        if question.dont_know:
            base += "_dk"
        name = base
        n = 2
        while name in self.lists:
            name = f"{base}_{n}"
            n += 1
        self.lists[name] = options
        self.by_content[content] = name
        return name

    def rows(self) -> Iterable[list[str]]:
        for name, options in self.lists.items():
            for value, label in options:
                yield [name, value, *[label.get(lang, "") for lang in LANGUAGES]]


def _scale_names(definition: Definition) -> dict[str, str]:
    """Question code → the scale its definition named (the list keeps the scale's name)."""
    found: dict[str, str] = {}
    for section in definition.raw.get("sections", []) or []:
        for question in (section or {}).get("questions", []) or []:
            if isinstance(question, dict) and isinstance(question.get("scale"), str):
                found[str(question.get("code"))] = question["scale"]
    return found


def _dont_know_labels() -> dict[str, str]:
    return {lang: translator(lang)("Don't know") for lang in LANGUAGES}


__all__ = ["DefinitionError", "check_workbook_file", "read_xlsform", "write_xlsform"]
