"""The raw anonymous answers, streamed: one row per response, as xlsx sheets or CSV.

Rows come from two server-side cursors read side by side (``yield_per``): the responses
in id order, and their answers in the same order. Nothing holds more than one response
at a time, so memory stays flat however many responses a round has.

Excel sheets' rows are written as SpreadsheetML by :class:`SheetWriter` straight to a
file (openpyxl's own streaming writer spends ~0.5 ms a row without lxml) and put into the
workbook openpyxl saved with :func:`replace_sheets`, in place of the rows of placeholder
sheets that carry everything else (widths, frozen header, print setup, the Excel table).
A full sheet ends with a note saying on which sheet the answers continue.

Row-level data follows the report's disclosure decisions (:class:`RawSelection`): no
rows from a round with fewer responses in the municipality than the minimum; groups the
report hides are merged under one "hidden" value, and answers to a question asked only
of some hidden groups are left blank in their rows; free text only when asked for.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from surveyapp.catalogs import translator
from surveyapp.exports import csv_files
from surveyapp.extensions import db
from surveyapp.questionnaires import types as question_types
from surveyapp.questionnaires.definition import Definition
from surveyapp.results.report import MunicipalityReport
from surveyapp.surveys.models import Answer, Response, SurveyRound

OSLO = ZoneInfo("Europe/Oslo")
BATCH = 5_000  # rows fetched per round trip
MULTIPLE_SEPARATOR = "; "
EXCEL_TEXT_LIMIT = 32_767  # characters a cell can hold
FIXED_COLUMNS = 3  # response number, submitted, language
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

# Characters XML 1.0 does not allow (tab, newline and carriage return it does).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean_text(text: str) -> str:
    """Free text fit for a cell: no XML-illegal control characters. (A cell is typed as
    text, so nothing runs in a workbook; CSV fields are neutralised as they are written,
    ``csv_files``.)"""
    return _NOT_XML.sub("", text)


# --------------------------------------------------------------------------- what may be shown


class RawRefused(LookupError):
    """No row-level data for this request; ``reason`` says why (shown to the user)."""

    def __init__(self, reason: str, rounds: Sequence[tuple[str, int]] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.rounds = list(rounds)  # (round title, responses) held back


@dataclass(frozen=True)
class RawSelection:
    """Which rows and columns a row-level export may hold: the report's disclosure rules.

    rounds: the rounds whose rows are written (each with at least the minimum number of
    responses in the municipality); withheld: (title, responses) of those that are not.
    hidden_groups: grouping question → its options the report hides; in the rows they
    all read the same "hidden" value. masked: question → grouping question; its answer
    is left blank in rows of a hidden group (the question was asked of some of them only).
    """

    rounds: tuple[int, ...]
    free_text: bool = False
    withheld: tuple[tuple[str, int], ...] = ()
    hidden_groups: Mapping[str, frozenset[str]] = field(default_factory=dict)
    masked: Mapping[str, str] = field(default_factory=dict)


def _codes(municipality: str | Sequence[str]) -> list[str]:
    """One number, or every number a municipality's year is stored under (its number then
    and today's; ``MunicipalityReport.data_codes``)."""
    return [municipality] if isinstance(municipality, str) else list(municipality)


def responses_per_round(rounds: Sequence[int], municipality: str | Sequence[str]) -> dict[int, int]:
    """Responses per round in one municipality (one grouped query)."""
    if not rounds:
        return {}
    rows = db.session.execute(
        sa.select(Response.round_id, sa.func.count())
        .where(
            Response.round_id.in_(list(rounds)),
            Response.municipality_code.in_(_codes(municipality)),
        )
        .group_by(Response.round_id)
    )
    return {int(round_id): int(count) for round_id, count in rows}


def select_rows(
    rounds: Sequence[SurveyRound],
    municipality: str | Sequence[str],
    min_size: int,
    *,
    free_text: bool = False,
    hidden_groups: Mapping[str, frozenset[str]] | None = None,
    masked: Mapping[str, str] | None = None,
) -> RawSelection:
    """The rounds whose rows may be exported: each needs ``min_size`` responses in the
    municipality. Raises RawRefused when none qualifies."""
    counts = responses_per_round([r.id for r in rounds], municipality)
    allowed = tuple(r.id for r in rounds if counts.get(r.id, 0) >= min_size)
    withheld = tuple(
        (r.title, counts.get(r.id, 0)) for r in rounds if 0 < counts.get(r.id, 0) < min_size
    )
    if not allowed:
        raise RawRefused("too_few", withheld)
    return RawSelection(
        allowed,
        free_text,
        withheld,
        {k: v for k, v in (hidden_groups or {}).items() if v},
        dict(masked or {}),
    )


# --------------------------------------------------------------------------- the rows


@dataclass(frozen=True)
class RawColumn:
    """One answer column: which stored field it shows."""

    code: str  # the question code (comments: code + "__comment")
    question: str  # the stored question_code it reads
    kind: str  # number | choice | multiple | text | comment | any
    width: float
    free_text: bool = False  # written by the respondent: only when asked for


_WIDTH_OF_KIND = {
    "rating": 10.0,
    "choice": 16.0,
    "multiple": 30.0,
    "number": 10.0,
    "text": 40.0,
    "comment": 40.0,
    "any": 16.0,
}


def _columns(
    definition: Definition, stored_codes: Iterable[str], free_text: bool = True
) -> list[RawColumn]:
    columns: list[RawColumn] = []
    for question in definition.questions:
        # The question's type names its columns (questionnaires/types).
        for column in question_types.get(question.type).export_columns(question):
            if column.free_text and not free_text:
                continue
            width = _WIDTH_OF_KIND.get(column.kind, _WIDTH_OF_KIND["any"])
            columns.append(
                RawColumn(column.code, question.code, column.kind, width, column.free_text)
            )
    known = {q.code for q in definition.questions}
    # Answers to questions an older or newer version had: kept, never dropped (their
    # written text only with free text).
    for code in sorted(set(stored_codes) - known):
        columns.append(RawColumn(code, code, "any", _WIDTH_OF_KIND["any"], True))
    return columns


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() else value


class RawAnswers:
    """The anonymous responses of some rounds in one municipality, one row each."""

    def __init__(
        self,
        rounds: Sequence[int],
        municipality: str | Sequence[str],
        columns: list[RawColumn],
        precision: dict[int, str],
        selection: RawSelection | None = None,
    ) -> None:
        self.rounds = list(rounds)
        self.municipality = _codes(municipality)
        self.columns = columns
        self._precision = precision
        self.selection = selection or RawSelection(tuple(self.rounds), free_text=True)

    @classmethod
    def for_selection(
        cls,
        selection: RawSelection,
        municipality: str | Sequence[str],
        definition: Definition | None = None,
    ) -> RawAnswers:
        """The rows a selection allows (see ``select_rows``)."""
        return cls.for_rounds(selection.rounds, municipality, definition, selection)

    @classmethod
    def for_rounds(
        cls,
        rounds: Sequence[int],
        municipality: str | Sequence[str],
        definition: Definition | None = None,
        selection: RawSelection | None = None,
    ) -> RawAnswers:
        """Columns from the definition (the rounds' own when not given), plus stray codes."""
        survey_rounds = list(
            db.session.scalars(
                sa.select(SurveyRound).where(SurveyRound.id.in_(list(rounds))).order_by("id")
            )
        )
        if definition is None:
            from surveyapp.questionnaires.store import definition_of

            if not survey_rounds:
                raise LookupError("no rounds")
            definition = definition_of(survey_rounds[-1].questionnaire)
        stored = db.session.scalars(
            sa.select(Answer.question_code)
            .where(
                Answer.round_id.in_(list(rounds)),
                Answer.municipality_code.in_(_codes(municipality)),
            )
            .distinct()
        )
        free_text = selection.free_text if selection is not None else True
        return cls(
            rounds,
            municipality,
            _columns(definition, stored, free_text),
            {r.id: r.time_precision for r in survey_rounds},
            selection,
        )

    def header(self, language: str) -> list[str]:
        _ = translator(language)
        return [_("Response number"), _("Submitted"), _("Language")] + [
            clean_text(column.code) for column in self.columns
        ]

    def hidden_value(self, language: str) -> str:
        """What a hidden group's rows read in its column."""
        return translator(language)("(hidden group)")

    def widths(self) -> list[float]:
        fixed = [10.0, 17.0, 10.0]
        return fixed + [max(c.width, len(c.code) + 2.0) for c in self.columns]

    def _where(self, query: sa.Select[Any]) -> sa.Select[Any]:
        return query.where(
            Response.round_id.in_(self.rounds), Response.municipality_code.in_(self.municipality)
        )

    def _submitted(self) -> Callable[[int, Any], date | datetime | None]:
        cache: dict[tuple[str, Any], date | datetime] = {}

        def convert(round_id: int, moment: Any) -> date | datetime | None:
            if moment is None:
                return None
            precision = self._precision.get(round_id, "date")
            key = (precision, moment)
            found = cache.get(key)
            if found is None:
                if isinstance(moment, str):  # SQLite without the column type's help
                    moment = datetime.fromisoformat(moment)
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=UTC)
                if precision == "hour":
                    found = moment.astimezone(OSLO).replace(tzinfo=None)
                else:  # stored as the UTC day it was truncated to
                    found = moment.astimezone(UTC).date()
                if len(cache) < 100_000:
                    cache[key] = found
            return found

        return convert

    def rows(self, language: str = "nb") -> Iterator[list[Any]]:
        """[number, submitted, language, answers…] per response, ordered by response."""
        if not self.rounds:
            return
        # Core execution on the session's connection: same transaction, no ORM row overhead.
        connection = db.session.connection()
        responses = connection.execute(
            self._where(
                sa.select(
                    Response.id,
                    Response.round_id,
                    # The raw stored value: no per-row type conversion on the big stream.
                    sa.type_coerce(Response.submitted, sa.types.NullType()),
                    Response.language,
                )
            )
            .order_by(Response.id)
            .execution_options(yield_per=BATCH)
        )
        answers = connection.execute(
            self._where(
                sa.select(
                    Response.id,
                    Answer.question_code,
                    Answer.option,
                    Answer.value_num,
                    Answer.value_text,
                )
                .select_from(Response)
                .outerjoin(Answer, Answer.response_id == Response.id)
            )
            # Ids are random: order a response's answers by what they are, not by id.
            .order_by(Response.id, Answer.question_code, Answer.option)
            .execution_options(yield_per=BATCH)
        )
        try:
            rows = self._merge(_flat(responses), _flat(answers))
            if self.selection.hidden_groups:
                rows = self._mask(rows, self.hidden_value(language))
            yield from rows
        finally:
            answers.close()
            responses.close()

    def _mask(self, rows: Iterator[list[Any]], hidden: str) -> Iterator[list[Any]]:
        """Hidden groups under one value; blanks where a question tells them apart."""
        position = {c.code: i for i, c in enumerate(self.columns, FIXED_COLUMNS)}
        groups = [
            (position[code], values)
            for code, values in self.selection.hidden_groups.items()
            if code in position
        ]
        blanks: dict[int, list[int]] = {}
        for question, group in self.selection.masked.items():
            if question in position and group in position:
                blanks.setdefault(position[group], []).append(position[question])
        for row in rows:
            for place, values in groups:
                if row[place] in values:
                    row[place] = hidden
                    for blank in blanks.get(place, ()):
                        row[blank] = None
            yield row

    def _merge(self, responses: Iterable[Any], answers: Iterable[Any]) -> Iterator[list[Any]]:
        width = FIXED_COLUMNS + len(self.columns)
        # question code → (column, reads value_num first, collects several options)
        main: dict[str, tuple[int, bool, bool]] = {}
        comments: dict[str, int] = {}
        free_text = self.selection.free_text
        for position, column in enumerate(self.columns, FIXED_COLUMNS):
            if column.kind == "comment":
                comments[column.question] = position
            else:
                numeric = column.kind in ("rating", "number")
                main[column.question] = (position, numeric, column.kind == "multiple")
        submitted = self._submitted()
        # position → whether the column holds the respondent's own words
        columns = [False] * FIXED_COLUMNS + [c.free_text for c in self.columns]
        choice_text: dict[str, str] = {}  # option values repeat: clean each once
        stream = iter(answers)
        pending = next(stream, None)
        for number, (response_id, round_id, moment, language) in enumerate(responses, 1):
            row: list[Any] = [None] * width
            row[0] = number
            row[1] = submitted(round_id, moment)
            row[2] = language
            chosen: dict[int, list[str]] = {}
            while pending is not None and pending[0] < response_id:
                pending = next(stream, None)  # cannot happen: both streams share a filter
            while pending is not None and pending[0] == response_id:
                _, code, option, value_num, value_text = pending
                pending = next(stream, None)
                if code is None:
                    continue  # a response without answers
                place = main.get(code)
                if place is not None:
                    position, numeric, several = place
                    if several:
                        if option is not None:
                            chosen.setdefault(position, []).append(option)
                    elif numeric and value_num is not None:
                        row[position] = _number(value_num)
                    elif option is not None:
                        text = choice_text.get(option)
                        if text is None:
                            text = choice_text.setdefault(option, clean_text(option))
                        row[position] = text
                    elif value_num is not None:
                        row[position] = _number(value_num)
                    elif value_text is not None and (free_text or not columns[position]):
                        row[position] = clean_text(value_text)
                if value_text is not None and code in comments:
                    row[comments[code]] = clean_text(value_text)
            for position, options in chosen.items():
                row[position] = clean_text(MULTIPLE_SEPARATOR.join(options))
            yield row


def _flat(result: sa.CursorResult[Any]) -> Iterator[Any]:
    """Rows a batch at a time (cheaper than one fetch per row)."""
    for batch in result.partitions(BATCH):
        yield from batch


# --------------------------------------------------------------------------- CSV


def csv_stream(
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    dialect: csv_files.Dialect = csv_files.STANDARD,
) -> Iterator[str]:
    """CSV text in pieces (``csv_files.stream``): every text field quoted and neutralised,
    numbers as numbers in the dialect's writing."""
    return csv_files.stream([header], rows, dialect)


# --------------------------------------------------------------------------- xlsx sheets

_EPOCH = datetime(1899, 12, 30)


def column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _inline(text: str) -> str:
    text = text[:EXCEL_TEXT_LIMIT]
    escaped = (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )
    if text != text.strip():
        return f'<is><t xml:space="preserve">{escaped}</t></is>'
    return f"<is><t>{escaped}</t></is>"


@dataclass(frozen=True)
class CellStyles:
    """Style ids (cellXfs indexes) registered in the openpyxl workbook the sheets go into."""

    header: int
    date: int
    datetime: int


def register_styles(placeholder: Worksheet) -> CellStyles:
    """Register the raw sheets' styles in the placeholder's workbook; returns their ids."""
    header = placeholder.cell(row=1, column=1)
    header.font = Font(bold=True)
    day = placeholder.cell(row=1, column=2)
    day.number_format = DATE_FORMAT
    moment = placeholder.cell(row=1, column=3)
    moment.number_format = DATETIME_FORMAT
    return CellStyles(header.style_id, day.style_id, moment.style_id)


class SheetWriter:
    """One worksheet's rows (the inside of ``<sheetData>``), written row by row to a text
    file; :func:`replace_sheets` puts them into the placeholder sheet openpyxl saved, which
    carries everything else (column widths, frozen header, print setup, the table)."""

    def __init__(self, out: IO[str], widths: Sequence[float], styles: CellStyles) -> None:
        self._out = out
        self._styles = styles
        self._refs = [column_letter(i) for i in range(1, len(widths) + 1)]
        self._serials: dict[date | datetime, str] = {}
        self._texts: dict[str, str] = {}
        self.rows = 0

    @property
    def dimension(self) -> str:
        """The used range, "A1:R1001"."""
        return f"A1:{self._refs[-1] if self._refs else 'A'}{max(self.rows, 1)}"

    def _serial(self, value: date | datetime) -> str:
        found = self._serials.get(value)
        if found is None:
            if isinstance(value, datetime):
                naive = value.replace(tzinfo=None)
                found = repr((naive - _EPOCH).total_seconds() / 86_400)
            else:
                found = str((value - _EPOCH.date()).days)
            if len(self._serials) < 100_000:
                self._serials[value] = found
        return found

    def append(self, values: Sequence[Any], style: int | None = None) -> None:
        self.rows += 1
        r = self.rows
        s = f' s="{style}"' if style is not None else ""
        parts = [f'<row r="{r}">']
        for ref, value in zip(self._refs, values, strict=False):
            if value is None:
                continue
            if isinstance(value, str):
                tail = self._texts.get(value)
                if tail is None:
                    tail = f' t="inlineStr">{_inline(value)}</c>'
                    if len(value) <= 80 and len(self._texts) < 50_000:
                        self._texts[value] = tail  # option codes and languages repeat
                parts.append(f'<c r="{ref}{r}"{s}{tail}')
            elif isinstance(value, bool):
                parts.append(f'<c r="{ref}{r}"{s} t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, int):
                parts.append(f'<c r="{ref}{r}"{s}><v>{value}</v></c>')
            elif isinstance(value, float):
                if value != value or value in (float("inf"), float("-inf")):
                    continue  # Excel has no NaN or infinity
                parts.append(f'<c r="{ref}{r}"{s}><v>{value!r}</v></c>')
            elif isinstance(value, datetime):
                parts.append(
                    f'<c r="{ref}{r}" s="{self._styles.datetime}"><v>{self._serial(value)}</v></c>'
                )
            elif isinstance(value, date):
                parts.append(
                    f'<c r="{ref}{r}" s="{self._styles.date}"><v>{self._serial(value)}</v></c>'
                )
            else:
                parts.append(f'<c r="{ref}{r}"{s} t="inlineStr">{_inline(str(value))}</c>')
        parts.append("</row>")
        self._out.write("".join(parts))

    def close(self) -> None:
        """Nothing to close: the sheet's frame comes from its placeholder."""


def sheet_names(base: str) -> Iterator[str]:
    """Svar, Svar 2, Svar 3, …"""
    yield base
    number = 2
    while True:
        yield f"{base} {number}"
        number += 1


@dataclass
class RawSheets:
    """What :func:`write_raw_sheets` wrote: sheet name → rows file, data rows per sheet,
    the header (every sheet repeats it) and the number of responses."""

    files: dict[str, Path] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    dimensions: dict[str, str] = field(default_factory=dict)
    header: list[str] = field(default_factory=list)
    responses: int = 0


def write_raw_sheets(
    source: RawAnswers,
    folder: Path,
    styles: CellStyles,
    max_rows: int,
    new_sheet: Callable[[str], object],
    base_name: str = "Svar",
    language: str = "nb",
) -> RawSheets:
    """Stream the rows into as many sheets as they need; never drops a row.

    ``max_rows`` counts every row of a sheet: the header, which every sheet repeats, and,
    on a sheet that is followed by another, the last row, which says where the answers
    continue ("Continues on the sheet “Svar 2”."). ``new_sheet(name)`` is called for each
    sheet after the first so that the workbook gets a placeholder.
    """
    if max_rows < 3:
        raise ValueError("a sheet must hold a header, a row and the note where rows continue")
    text = translator(language)
    header = source.header(language)
    widths = source.widths()
    names = sheet_names(base_name)
    result = RawSheets(header=header)
    writer: SheetWriter | None = None
    out: IO[str] | None = None
    name = next(names)

    def start(sheet: str) -> SheetWriter:
        nonlocal out
        path = folder / f"sheet-{len(result.files) + 1}.xml"
        result.files[sheet] = path
        out = path.open("w", encoding="utf-8", newline="")
        writer = SheetWriter(out, widths, styles)
        writer.append(header, styles.header)
        return writer

    def finish(sheet: str, writer: SheetWriter, data_rows: int) -> None:
        writer.close()
        result.rows[sheet] = data_rows
        result.dimensions[sheet] = writer.dimension
        assert out is not None
        out.close()

    try:
        writer = start(name)
        data_rows = 0
        rows = source.rows(language)
        pending = next(rows, None)
        while pending is not None:
            following = next(rows, None)
            # The last row of a full sheet: the row itself if it is the very last one,
            # else the note that the answers continue on the next sheet.
            if writer.rows == max_rows - 1 and following is not None:
                after = next(names)
                note = text("Continues on the sheet “%(sheet)s”.", sheet=after)
                writer.append([note])
                finish(name, writer, data_rows)
                new_sheet(after)
                name, writer, data_rows = after, start(after), 0
            writer.append(pending)
            data_rows += 1
            result.responses += 1
            pending = following
        finish(name, writer, data_rows)
    finally:
        if out is not None:
            out.close()
    return result


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its part name in the package (xl/worksheets/sheetN.xml)."""
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    pkg = "{http://schemas.openxmlformats.org/package/2006/relationships}"
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): str(r.get("Target")) for r in rels.iter(f"{pkg}Relationship")}
    parts = {}
    for sheet in book.iter(f"{main}sheet"):
        target = targets[sheet.get(f"{rel}id")]
        parts[str(sheet.get("name"))] = (
            target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        )
    return parts


_SHEET_DATA = re.compile(r"<sheetData\s*/>|<sheetData>.*?</sheetData>", re.S)
_DIMENSION = re.compile(r'<dimension ref="[^"]*"\s*/>')


def replace_sheets(
    source: Path,
    replacements: Mapping[str, Path],
    target: IO[bytes],
    dimensions: Mapping[str, str] | None = None,
) -> None:
    """Copy the saved workbook to ``target`` with the named placeholder sheets' rows
    (their ``<sheetData>``) replaced by the streamed rows files; everything else of the
    placeholder (widths, panes, print setup, tables) stays."""
    with zipfile.ZipFile(source) as original:
        parts = _sheet_parts(original)
        swap = {parts[name]: (name, path) for name, path in replacements.items()}
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
            for info in original.infolist():
                found = swap.get(info.filename)
                if found is None:
                    out.writestr(info, original.read(info.filename))
                    continue
                name, path = found
                frame = original.read(info.filename).decode("utf-8")
                data = _SHEET_DATA.search(frame)
                if data is None:
                    raise ValueError(f"sheet {name!r} has no sheetData")
                head, tail = frame[: data.start()], frame[data.end() :]
                ref = (dimensions or {}).get(name)
                if ref:
                    head = _DIMENSION.sub(f'<dimension ref="{ref}"/>', head)
                large = path.stat().st_size >= 2**31  # ZIP64 beyond 2 GiB
                with (
                    path.open("rb") as rows,
                    out.open(info.filename, "w", force_zip64=large) as part,
                ):
                    part.write((head + "<sheetData>").encode("utf-8"))
                    shutil.copyfileobj(rows, part, 1024 * 1024)
                    part.write(("</sheetData>" + tail).encode("utf-8"))


# --------------------------------------------------------------------------- from a report


def selection_for_report(
    report: MunicipalityReport, rounds: Sequence[SurveyRound], *, free_text: bool = False
) -> RawSelection:
    """The rows and columns of ``report`` that may go out row by row: rounds with enough
    responses, the report's hidden groups merged, answers that would tell them apart
    blanked (a question the report hides because it was asked of some hidden groups)."""
    hidden_groups = {b.question.code: b.hidden_values for b in report.breakdowns}
    masked = {
        summary.question.code: summary.question.show_if.question
        for summary in report.questions
        if summary.protected
        and summary.question.show_if is not None
        and hidden_groups.get(summary.question.show_if.question)
    }
    return select_rows(
        rounds,
        report.data_codes,
        report.min_group_size,
        free_text=free_text,
        hidden_groups=hidden_groups,
        masked=masked,
    )
