"""The municipality workbook: the dashboard's numbers as Excel sheets, plus (with the raw-data
right) the answers row by row.

Every figure comes from one :class:`MunicipalityReport`, the object the dashboard shows,
so the workbook can never disagree with the page: the same cells hidden, the same
decimals (a number format per cell, chosen by ``formatting``; Excel rounds half away
from zero, as ``formatting`` does), the same sentences (``sentences``). Sheet names are
fixed Norwegian (Sammendrag, Kommuner, Utvikling, one per question, Svar); what is in
them follows the language given. Text is written as text cells, so text from the data
("=HYPERLINK(…)") never runs and needs no visible apostrophe. Plain: no Flask; the
caller passes the language and the limits.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.data_source import AxDataSource, NumDataSource, NumRef, StrRef
from openpyxl.chart.error_bar import ErrorBars
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.marker import DataPoint
from openpyxl.drawing.fill import ColorChoice, PatternFillProperties
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from surveyapp import formatting
from surveyapp.catalogs import Translator, translator
from surveyapp.exports import figures, printing, raw
from surveyapp.extensions import db
from surveyapp.formatting import pick
from surveyapp.questionnaires import types as question_types
from surveyapp.results import charts, queries, sentences, stats
from surveyapp.results.report import (
    MunicipalityReport,
    NoData,
    QuestionSummary,
    Share,
    build_report,
)
from surveyapp.surveys.models import SurveyRound
from surveyapp.timeutil import utcnow

PERCENT = "0.0%"
SCORE = "0.0"
MEAN = "0.00"
P_VALUE = "0.000"
DURATION = "[m]:ss"
DATETIME = "yyyy-mm-dd hh:mm"
GREEN = PatternFill(fill_type="solid", start_color="FFC6EFCE", end_color="FFC6EFCE")
RED = PatternFill(fill_type="solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
WARNING = Font(bold=True, color="FFC00000")
MAX_ROWS = 1_048_576  # Excel's limit, header included
_HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="bottom")

SUMMARY, PEERS, YEARS, ANSWERS = "Sammendrag", "Kommuner", "Utvikling", "Svar"
ABOUT, GROUPS, OVER_TIME, FIGURES = "Om tallene", "Grupper", "Over tid", "Tall"
APP_NAME = "surveyapp"
LANGUAGE_TAGS = {"nb": "nb-NO", "nn": "nn-NO", "en": "en"}
#: Names a question sheet may not take (Excel compares sheet names case-insensitively;
#: "History" is reserved by Excel itself).
RESERVED = {
    name.lower()
    for name in (SUMMARY, PEERS, YEARS, ANSWERS, ABOUT, GROUPS, OVER_TIME, FIGURES, "History")
}
SHEET_NAME_LIMIT = 31
_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")


def percent_format(decimals: int) -> str:
    """Excel's number format for a share shown with ``decimals`` decimals: "0.00%"."""
    return "0." + "0" * decimals + "%" if decimals > 0 else "0%"


def points_format(decimals: int) -> str:
    """A difference of shares: as ``percent_format``, negatives with U+2212 as on the page."""
    plain = percent_format(decimals)
    return f'{plain};"{formatting.MINUS}"{plain}'


def p_value_format(value: float, language: str, alpha: float = 0.05) -> str:
    """A p-value's number format: "< 0,001" below 0.001 (never "0.000"), else as many
    decimals as the text shows (``formatting.p_value``)."""
    shown = formatting.p_value(value, language, alpha)
    tiny = formatting.p_value(0.0, language)
    if shown == tiny:
        return f'[<0.001]"{tiny.removeprefix("p ")}";{P_VALUE}'
    decimals = len(shown.split(",")[-1] if "," in shown else shown.split(".")[-1])
    return "0." + "0" * decimals


def sheet_name(wanted: str, taken: set[str]) -> str:
    """A valid, unused sheet name: ≤ 31 characters, none of []:*?/\\, unique."""
    base = _NOT_IN_SHEET_NAMES.sub("_", wanted).strip("' ") or "Ark"
    base = base[:SHEET_NAME_LIMIT]
    name, number = base, 1
    while (
        name.lower() in taken or name.lower() in RESERVED or re.fullmatch(r"svar \d+", name.lower())
    ):
        number += 1
        suffix = f" ({number})"
        name = base[: SHEET_NAME_LIMIT - len(suffix)] + suffix
    taken.add(name.lower())
    return name


class SheetBuilder:
    """Cells of a normal worksheet, with widths that grow to fit what is written."""

    def __init__(self, ws: Worksheet) -> None:
        self.ws = ws
        self._widths: dict[int, float] = {}
        self._headers: dict[int, list[str]] = {}

    def put(
        self,
        row: int,
        column: int,
        value: Any,
        number_format: str | None = None,
        font: Font | None = None,
        fit: bool = True,
    ) -> Cell:
        cell = self.ws.cell(row=row, column=column)
        if isinstance(value, str):
            cell.value = raw.clean_text(value)
            cell.data_type = "s"  # typed as text: "=…" from the data never runs
        else:
            cell.value = value
        if number_format:
            cell.number_format = number_format
        if font is not None:
            cell.font = font
        if fit and value is not None:
            self._widths[column] = max(self._widths.get(column, 0.0), _width(value, number_format))
        return cell

    def row(
        self,
        row: int,
        values: Sequence[Any],
        formats: Sequence[str | None] = (),
        font: Font | None = None,
    ) -> None:
        for column, value in enumerate(values, 1):
            fmt = formats[column - 1] if column <= len(formats) else None
            self.put(row, column, value, fmt, font)

    def header(self, row: int, values: Sequence[Any]) -> None:
        """A table's header row: bold, wrapped; the widths follow the data below it."""
        for column, value in enumerate(values, 1):
            cell = self.put(row, column, value, font=BOLD, fit=False)
            cell.alignment = _HEADER_ALIGNMENT
        self._headers[row] = [str(v) if v is not None else "" for v in values]

    def fit(self, minimum: float = 8.0, maximum: float = 90.0) -> None:
        for column, width in self._widths.items():
            letter = raw.column_letter(column)
            self.ws.column_dimensions[letter].width = min(max(width, minimum), maximum)
        for row, labels in self._headers.items():
            for column, label in enumerate(labels, 1):
                letter = raw.column_letter(column)
                width = self.ws.column_dimensions[letter].width or minimum
                longest = max((len(word) for word in label.split()), default=0)
                wanted = max(width, longest + 1.5)  # never break a word
                if label and len(label) > 2 * wanted:  # a header on at most three lines
                    wanted = max(len(label) / 3 + 1, wanted)
                self.ws.column_dimensions[letter].width = min(wanted, maximum)
            lines = max(
                (
                    _header_lines(label, self.ws.column_dimensions[raw.column_letter(c)].width)
                    for c, label in enumerate(labels, 1)
                    if label
                ),
                default=1,
            )
            self.ws.row_dimensions[row].height = 15.0 * max(lines, 1)


def _header_lines(label: str, width: float | None) -> int:
    """Lines a bold header takes when wrapped at word boundaries in a column this wide."""
    room = max((width or 8.0) - 1.0, 1.0)
    lines, used = 1, 0.0
    for word in label.split():
        size = len(word) * 1.15  # bold letters are wider
        if used and used + 1 + size > room:
            lines, used = lines + 1, size
        else:
            used += size + (1 if used else 0)
    return lines


def _width(value: Any, number_format: str | None) -> float:
    if isinstance(value, str):
        return max((len(line) for line in value.splitlines()), default=0) * 1.1 + 2
    if isinstance(value, datetime):
        return 18.0
    if isinstance(value, bool):
        return 8.0
    if isinstance(value, float):
        return 9.0 if number_format else 12.0
    return len(str(value)) + 3.0


def _target_rules(ws: Worksheet, cells: str, low: str, high: str, target: str) -> None:
    """Green when the interval's low end is above the target, red when its high end is below."""
    ws.conditional_formatting.add(
        cells, FormulaRule(formula=[f"AND(ISNUMBER({low}),{low}>{target})"], fill=GREEN)
    )
    ws.conditional_formatting.add(
        cells, FormulaRule(formula=[f"AND(ISNUMBER({high}),{high}<{target})"], fill=RED)
    )


# --------------------------------------------------------------------------- context


@dataclass
class Context:
    """What the sheets need besides the report."""

    report: MunicipalityReport
    language: str
    rounds: list[SurveyRound]
    exported_at: datetime  # Europe/Oslo, naive (Excel has no time zones)
    min_group_size: int
    taken: set[str] = field(default_factory=set)
    answers: raw.RawSelection | None = None
    question_sheets: dict[str, str] = field(default_factory=dict)  # question code → sheet

    def reports_per_year(self) -> list[tuple[int, MunicipalityReport]]:
        """The report of every year with answers, oldest first (this year's is ours)."""
        found = []
        for year in sorted(self.report.years):
            if year == self.report.year:
                found.append((year, self.report))
                continue
            try:
                found.append(
                    (
                        year,
                        build_report(
                            self.report.municipality.code,
                            self.report.questionnaire_code,
                            year,
                            min_group_size=self.min_group_size,
                        ),
                    )
                )
            except NoData:
                continue
        return found

    @property
    def text(self) -> Translator:
        return translator(self.language)

    @property
    def is_demo(self) -> bool:
        return self.report.demo or any(r.is_demo for r in self.rounds)

    @property
    def title(self) -> str:
        return pick(self.report.definition.title, self.language) or self.report.questionnaire_code

    def source(self) -> str:
        rounds = ", ".join(f"{r.title} (#{r.id})" for r in self.rounds) or "–"
        return self.text(
            "surveyapp – %(title)s, rounds %(rounds)s", title=self.title, rounds=rounds
        )

    # -- a share as cells: value with its own number format, or the reason it is hidden

    def share_values(self, share: Share) -> list[Any]:
        """share, low, high, n — or blanks and "< 5" / "–" when the report hides it."""
        p = share.proportion
        if p is not None:
            return [p.share, p.interval.low, p.interval.high, share.n]
        if share.protected:
            return [None, None, None, formatting.DASH]
        if share.suppressed and share.n > 0:
            return [None, None, None, f"< {self.min_group_size}"]
        return [None, None, None, share.n]

    @staticmethod
    def share_formats(share: Share) -> list[str]:
        """Number formats of share, low and high: the decimals the report chose."""
        return [
            percent_format(share.precision.share),
            percent_format(share.precision.interval),
            percent_format(share.precision.interval),
        ]

    def share_note(self, share: Share) -> str | None:
        if share.proportion is not None:
            return None
        return sentences.hidden_cell(share, self.language, self.min_group_size)


def rounds_of(report: MunicipalityReport) -> list[SurveyRound]:
    ids = queries.round_ids(report.questionnaire_code, report.data_codes, report.year)
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(SurveyRound).where(SurveyRound.id.in_(ids)).order_by(SurveyRound.id)
        )
    )


# --------------------------------------------------------------------------- shared pieces


def verdict_words(share: Share, ctx: Context) -> str | None:
    """The verdict against the target in words (colour is never the only sign)."""
    text = ctx.text
    if share.comparison is None:
        return ctx.share_note(share)
    return {
        stats.Verdict.ABOVE: text("Above the target"),
        stats.Verdict.BELOW: text("Below the target"),
        stats.Verdict.INDISTINGUISHABLE: text("Not distinguishable from the target"),
    }[share.comparison.verdict]


def _note(sheet: SheetBuilder, row: int, first: int, last: int, value: str, width: float) -> None:
    """Text across columns first..last, wrapped, on a row tall enough to show it."""
    cell = sheet.put(row, first, value, fit=False)
    cell.alignment = printing.WRAP
    if last > first:
        sheet.ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    height = printing.wrapped_height(value, width)
    current = sheet.ws.row_dimensions[row].height or 15.0
    sheet.ws.row_dimensions[row].height = max(current, height)


def _wrap(sheet: SheetBuilder, row: int, column: int, value: str, width: float) -> None:
    _note(sheet, row, column, column, value, width)


def _labels(ctx: Context) -> printing.PageLabels:
    report = ctx.report
    return printing.PageLabels(
        page=ctx.text("Page %(page)s of %(pages)s", page="&P", pages="&N"),
        left=f"{report.municipality.name} ({report.municipality.code}) · {ctx.title} {report.year}",
    )


def _table(ctx: Context, ws: Worksheet, name: str, header_row: int, last_row: int) -> None:
    """An Excel table over the header cells written in ``header_row`` and the rows below."""
    headers = []
    column = 1
    while (value := ws.cell(header_row, column).value) not in (None, ""):
        headers.append(str(value))
        column += 1
    printing.add_table(ws, name, header_row, 1, headers, last_row)


# --------------------------------------------------------------------------- Sammendrag


HEADLINE_ROW = 4
SUMMARY_WIDTHS = {"A": 32.0, "B": 11.0, "C": 11.0, "D": 11.0, "E": 8.0, "F": 8.0, "G": 52.0}
SUMMARY_TEXT = sum(SUMMARY_WIDTHS.values())


def _summary_sheet(ws: Worksheet, ctx: Context) -> None:
    """The headline and the main facts on one portrait page, the verdicts in words."""
    report, text, lang = ctx.report, ctx.text, ctx.language
    sheet = SheetBuilder(ws)
    wide = SUMMARY_WIDTHS["G"]
    heading = f"{report.municipality.name} ({report.municipality.code}): {ctx.title} {report.year}"
    _note(sheet, 1, 1, 7, heading, SUMMARY_TEXT / 1.4)
    ws["A1"].font = TITLE
    if ctx.is_demo:
        sheet.put(2, 1, text("Demo data – fictitious figures"), font=WARNING)
    sheet.header(
        3,
        [
            text("Indicator"),
            text("Share"),
            text("95 %% interval, low"),
            text("95 %% interval, high"),
            "n",
            text("Target"),
            text("Verdict"),
        ],
    )
    r = HEADLINE_ROW
    headline = report.headline
    verdict = (
        sentences.verdict(report.comparison, lang)
        if report.comparison is not None
        else sentences.headline_hidden(report, lang)
    )
    target_decimals = _target_decimals(report.target)
    sheet.row(
        r,
        [text("Share satisfied"), *ctx.share_values(headline), report.target],
        [None, *ctx.share_formats(headline), None, percent_format(target_decimals)],
    )
    ws[f"A{r}"].font = BOLD
    ws[f"B{r}"].font = BOLD
    _wrap(sheet, r, 7, verdict, wide)
    _target_rules(ws, f"B{r}:D{r}", f"$C${r}", f"$D${r}", f"$F${r}")
    ws.freeze_panes = f"A{HEADLINE_ROW}"

    r += 1
    if report.comparison is not None:
        sheet.put(r, 1, text("Share at or above the target"))
        sheet.put(r, 2, text("Yes") if report.comparison.point_at_or_above else text("No"))
        _wrap(sheet, r, 7, sentences.point_side(report.comparison, lang), wide)
        r += 1
        notes = " ".join(
            n
            for n in (
                sentences.interval_method(headline, lang),
                sentences.precision_note(headline, lang),
            )
            if n
        )
        if notes:
            _wrap(sheet, r, 7, notes, wide)
            r += 1
    change = report.change
    change_format = points_format(sentences.difference_decimals(change)) if change else PERCENT
    sheet.row(
        r,
        [
            text("Change since the year before"),
            change.estimate if change else None,
            change.interval.low if change else None,
            change.interval.high if change else None,
        ],
        [None, change_format, change_format, change_format],
    )
    _wrap(sheet, r, 7, sentences.change(report, lang), wide)
    if report.previous is not None:
        r += 1
        previous = report.previous.share
        sheet.row(
            r,
            [
                text("Share the year before (%(year)s)", year=report.previous.year),
                *ctx.share_values(previous),
            ],
            [None, *ctx.share_formats(previous)],
        )
        note = ctx.share_note(previous)
        if note:
            _wrap(sheet, r, 7, note, wide)

    r += 2
    sheet.put(r, 1, text("Service test"), font=BOLD)
    st = report.service_test
    if st is None:
        _note(sheet, r, 2, 7, text("No service test of this municipality."), SUMMARY_TEXT - 32)
    else:
        title = st.title + ("" if st.locked else f" ({text('not final yet')})")
        _note(sheet, r, 2, 7, title, SUMMARY_TEXT - 32)
        rows: list[tuple[str, Any, str | None, Any]] = [
            (text("Score"), st.score, SCORE, text("of 100")),
            (
                text("Rank"),
                st.rank,
                None,
                text("%(rank)s of %(n)s", rank=st.rank or "–", n=st.ranked),
            ),
            (text("Grade"), pick(st.band, lang) if st.band else "–", None, None),
            (text("Quartile"), _quartile(ctx, st.quartile), None, None),
            (text("National average"), st.national_average, SCORE, None),
        ]
        for label, value, fmt, extra in rows:
            r += 1
            sheet.row(r, [label, value, extra], [None, fmt])

    r += 2
    sheet.row(r, [text("Responses"), report.responses])
    r += 1
    sheet.put(r, 1, text("Compare with"))
    _note(sheet, r, 2, 7, sentences.peer_label(report.peer_scope, lang), SUMMARY_TEXT - 32)
    r += 1
    sheet.put(r, 1, text("Data source"))
    _note(sheet, r, 2, 7, ctx.source(), SUMMARY_TEXT - 32)
    r += 1
    sheet.row(r, [text("Exported"), ctx.exported_at, None, "Europe/Oslo"], [None, DATETIME])
    ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=3)  # room for the time
    ws.cell(r, 2).alignment = Alignment(horizontal="left")
    r += 1
    if ctx.answers is None:
        sheet.put(r, 1, text("Answers row by row are not in this workbook."), fit=False)
        r += 1
    elif ctx.answers.withheld:
        _note(sheet, r, 1, 7, _withheld(ctx), SUMMARY_TEXT)
        r += 1
    r += 1
    sheet.put(r, 1, text("How the figures are made"), font=BOLD)
    for line in sentences.method(report, lang):
        r += 1
        _note(sheet, r, 1, 7, line, SUMMARY_TEXT)
    r += 1
    sheet.put(r, 1, text("More in the sheet “%(sheet)s”.", sheet=ABOUT), fit=False)
    for letter, width in SUMMARY_WIDTHS.items():
        ws.column_dimensions[letter].width = width
    ws.row_dimensions[3].height = 15.0 * max(
        _header_lines(str(cell.value), SUMMARY_WIDTHS[cell.column_letter])
        for cell in ws[3]
        if cell.value
    )
    printing.print_setup(
        ws, _labels(ctx), orientation=printing.PORTRAIT, one_page=True, print_area=f"A1:G{r}"
    )


def _withheld(ctx: Context) -> str:
    assert ctx.answers is not None
    rounds = ", ".join(f"{title} ({count})" for title, count in ctx.answers.withheld)
    return ctx.text(
        "Answers from rounds with fewer than %(n)s responses here are left out: %(rounds)s.",
        n=ctx.min_group_size,
        rounds=rounds,
    )


def _target_decimals(target: float) -> int:
    shown = formatting.target(target, "en").removesuffix(formatting.NBSP + "%")
    return len(shown.split(".")[1]) if "." in shown else 0


def _quartile(ctx: Context, value: str | None) -> str:
    text = ctx.text
    labels = {
        "top": text("Best 25 %%"),
        "middle": text("Middle 50 %%"),
        "bottom": text("Worst 25 %%"),
    }
    return labels.get(value or "", "–")


# --------------------------------------------------------------------------- Om tallene


def _about_sheet(ws: Worksheet, ctx: Context) -> None:
    """Sources, rounds, export time, definitions, the suppression rule, the method and a
    codebook of every question and option."""
    report, text, lang = ctx.report, ctx.text, ctx.language
    sheet = SheetBuilder(ws)
    width = 110.0
    sheet.put(1, 1, text("About the figures"), font=TITLE, fit=False)
    r = 3
    sheet.put(r, 1, text("Sources"), font=BOLD)
    for line in (
        ctx.source(),
        text("Exported %(time)s (Europe/Oslo).", time=ctx.exported_at.strftime("%Y-%m-%d %H:%M")),
        text("%(n)s responses in %(year)s.", n=report.responses, year=report.year),
        text(
            "Municipalities compared: %(label)s.",
            label=sentences.peer_label(report.peer_scope, lang),
        ),
    ):
        r += 1
        _note(sheet, r, 1, 6, line, width)
    r += 2
    sheet.header(
        r,
        [text("Survey rounds"), text("Round number"), text("Opens"), text("Closes"), "n"],
    )
    counts = raw.responses_per_round([x.id for x in ctx.rounds], report.data_codes)
    for survey_round in ctx.rounds:
        r += 1
        sheet.row(
            r,
            [
                survey_round.title,
                survey_round.id,
                _oslo(survey_round.opens_at) if survey_round.opens_at else None,
                _oslo(survey_round.closes_at) if survey_round.closes_at else None,
                counts.get(survey_round.id, 0),
            ],
            [None, None, DATETIME, DATETIME],
        )
    r += 2
    sheet.put(r, 1, text("Definitions and method"), font=BOLD)
    goal = formatting.target(report.target, lang)
    lines = [
        text("n: the valid answers a figure rests on (“don't know” is counted apart, not in n)."),
        text("Target: %(t)s satisfied.", t=goal),
        text("Over the target: the whole interval lies above %(t)s.", t=goal),
        text("Under the target: the whole interval lies below %(t)s.", t=goal),
        text(
            "Not distinguishable from the target at this sample size: the interval contains %(t)s.",
            t=goal,
        ),
        *sentences.method(report, lang),
        text("Only municipalities asked the same question with the same wording are compared."),
        text(
            "Changes over time are computed only between years in which the question was"
            " worded the same; the trend uses the Cochran–Armitage test."
        ),
        text(
            "Red and green fills repeat the verdict column beside them: green over the "
            "target, red under it."
        ),
    ]
    for line in lines:
        r += 1
        _note(sheet, r, 1, 6, line, width)

    r += 2
    sheet.put(r, 1, text("Codebook"), font=BOLD)
    r += 1
    header_row = r
    sheet.header(
        r,
        [
            text("Question code"),
            text("Question"),
            text("Question type"),
            text("Answer code"),
            text("Answer"),
            text("In the sheet"),
        ],
    )
    sheets = ctx.question_sheets
    for question in report.definition.questions:
        wording = pick(question.text, lang)
        options: list[tuple[Any, str | None]] = [
            (option.value, pick(option.label, lang)) for option in question.options
        ]
        if question.dont_know:
            options.append((queries.DONT_KNOW, text("Don't know")))
        for value, label in options or [(None, None)]:
            r += 1
            sheet.row(
                r,
                [
                    question.code,
                    wording,
                    question.type,
                    str(value) if value is not None else None,
                    label,
                    sheets.get(question.code),
                ],
            )
            ws.cell(r, 2).alignment = printing.WRAP
            ws.row_dimensions[r].height = printing.wrapped_height(wording, 46)
    _table(ctx, ws, "Kodebok", header_row, r)
    sheet.fit(maximum=40)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 48
    printing.print_setup(
        ws, _labels(ctx), orientation=printing.PORTRAIT, title_rows=f"{header_row}:{header_row}"
    )


# --------------------------------------------------------------------------- Kommuner


PEER_TARGET_COLUMN = 13  # M: the target beside each municipality (the chart's line)


def _peers_sheet(ws: Worksheet, ctx: Context) -> None:
    report, text, lang = ctx.report, ctx.text, ctx.language
    sheet = SheetBuilder(ws)
    heading = text("Share satisfied in %(year)s", year=report.year)
    heading += f" – {sentences.peer_label(report.peer_scope, lang)}"
    sheet.put(1, 1, heading, font=TITLE, fit=False)
    sheet.header(
        2,
        [
            text("Municipality"),
            text("Municipality number"),
            text("Share"),
            text("95 %% interval, low"),
            text("95 %% interval, high"),
            "n",
            text("Difference (this municipality minus the other)"),
            text("Difference, low"),
            text("Difference, high"),
            "p",
            text("Note"),
            text("Verdict"),
            text("Target"),
        ],
    )
    ws.freeze_panes = "A3"
    first = r = 3
    target_format = percent_format(_target_decimals(report.target))
    # Shown municipalities by share, then the hidden ones by name (report.peers' order).
    for peer in report.peers:
        d = peer.difference
        note = text("this municipality") if peer.is_own else ctx.share_note(peer.share)
        points = points_format(sentences.difference_decimals(d)) if d else PERCENT
        if d is not None and not d.agrees:
            note = " ".join(n for n in (note, text("The interval and the test disagree.")) if n)
        sheet.row(
            r,
            [
                sentences.peer_name(peer, report.year, lang),
                peer.code,
                *ctx.share_values(peer.share),
                d.estimate if d else None,
                d.interval.low if d else None,
                d.interval.high if d else None,
                d.p_value if d else None,
                note,
                verdict_words(peer.share, ctx) if peer.share.proportion else None,
                report.target,
            ],
            [
                None,
                None,
                *ctx.share_formats(peer.share),
                None,
                points,
                points,
                points,
                p_value_format(d.p_value, lang, d.alpha) if d else P_VALUE,
                None,
                None,
                target_format,
            ],
            BOLD if peer.is_own else None,
        )
        r += 1
    last = r - 1
    shown_last = first + len(report.shown_peers) - 1
    if report.peers:
        target = repr(report.target)
        _target_rules(ws, f"C{first}:E{last}", f"$D{first}", f"$E{first}", target)
        _table(ctx, ws, "Kommuner", 2, last)
    if report.shown_peers:
        ws.add_chart(_peers_chart(ws, ctx, heading, first, shown_last), "O2")

    s = report.peer_summary
    r += 1
    if s is not None and s.own_rank is not None:
        sheet.put(
            r,
            1,
            text(
                "Rank %(rank)s of %(n)s among %(label)s.",
                rank=s.own_rank,
                n=s.n_ranked,
                label=sentences.peer_label(report.peer_scope, lang),
            ),
            fit=False,
        )
        r += 1
        sheet.row(r, [text("Rank"), None, s.own_rank])
        r += 1
        sheet.row(r, [text("Quartile"), None, _quartile(ctx, s.band.value if s.band else None)])
        r += 1
    if s is not None and s.mean_share is not None and s.pooled is not None:
        goal = report.target

        def by_eye(value: float | None) -> list[str | None]:
            return [None, None, percent_format(sentences.side_decimals(value, goal))]

        sheet.row(r, [text("Mean of municipalities"), None, s.mean_share], by_eye(s.mean_share))
        r += 1
        pooled = s.pooled
        shown = sentences.pooled_precision(s, goal)
        sheet.row(
            r,
            [
                text("Pooled"),
                None,
                pooled.share,
                pooled.interval.low,
                pooled.interval.high,
                pooled.n,
            ],
            [
                None,
                None,
                percent_format(shown.share),
                percent_format(shown.interval),
                percent_format(shown.interval),
            ],
        )
        r += 1
        sheet.row(r, [text("Best"), None, s.best_share], by_eye(s.best_share))
        r += 1
        sheet.row(r, [text("Worst"), None, s.worst_share], by_eye(s.worst_share))
        r += 1
    hidden = sentences.hidden_peers(report, lang)
    if hidden:
        sheet.put(r, 1, hidden, fit=False)
        r += 1
    sheet.put(
        r,
        1,
        text("Only municipalities asked the same question with the same wording are compared."),
        fit=False,
    )
    sheet.fit(maximum=40)
    printing.print_setup(ws, _labels(ctx), orientation=printing.LANDSCAPE, title_rows="2:2")


def _peers_chart(ws: Worksheet, ctx: Context, heading: str, first: int, last: int) -> BarChart:
    """Columns per municipality, highest first; the own one hatched and coloured, the
    target as a dashed line. Sized to sit beside the table on the first printed page."""
    text = ctx.text
    report = ctx.report
    chart = BarChart()
    chart.type = "col"
    chart.title = heading
    chart.y_axis.title = text("Share")
    chart.y_axis.number_format = "0%"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend.position = "b"
    chart.gapWidth = 40
    # Only the shown rows: the hidden ones follow them and are not drawn.
    chart.add_data(Reference(ws, min_col=3, min_row=first - 1, max_row=last), titles_from_data=True)
    names = Reference(ws, min_col=1, min_row=first, max_row=last)
    bars = chart.series[0]
    bars.cat = AxDataSource(strRef=StrRef(f=str(names)))  # names are text: a string reference
    bars.graphicalProperties.solidFill = charts.GREY.lstrip("#").upper()
    bars.graphicalProperties.line.noFill = True
    own = next((i for i, p in enumerate(report.shown_peers) if p.is_own), None)
    if own is not None:
        point = DataPoint(idx=own)
        colour = charts.BLUE.lstrip("#").upper()
        point.graphicalProperties.pattFill = PatternFillProperties(
            prst="wdUpDiag",
            fgClr=ColorChoice(srgbClr=colour),
            bgClr=ColorChoice(srgbClr="FFFFFF"),
        )
        point.graphicalProperties.line.solidFill = colour
        bars.dPt.append(point)
    line = LineChart()
    line.add_data(
        Reference(ws, min_col=PEER_TARGET_COLUMN, min_row=first - 1, max_row=last),
        titles_from_data=True,
    )
    _target_style(line.series[0])
    chart += line
    chart.width = 17
    chart.height = 11
    return chart


def _target_style(series: Any) -> None:
    series.smooth = False
    series.marker.symbol = "none"
    series.graphicalProperties.line.solidFill = "1B1B1B"
    series.graphicalProperties.line.dashStyle = "dash"
    series.graphicalProperties.line.width = 19050  # 1.5 pt


# --------------------------------------------------------------------------- Utvikling


ERROR_COLUMNS = (27, 28)  # AA, AB: how far the interval reaches below and above (hidden)


def _years_sheet(ws: Worksheet, ctx: Context) -> None:
    report, text, lang = ctx.report, ctx.text, ctx.language
    sheet = SheetBuilder(ws)
    heading = text("Share satisfied per year")
    sheet.put(1, 1, heading, font=TITLE, fit=False)
    sheet.header(
        2,
        [
            text("Year"),
            text("Share"),
            text("95 %% interval, low"),
            text("95 %% interval, high"),
            "n",
            text("Target"),
            text("Note"),
            text("Verdict"),
        ],
    )
    ws.freeze_panes = "A3"
    first = r = 3
    target_format = percent_format(_target_decimals(report.target))
    below, above = ERROR_COLUMNS
    for point in report.trend:
        note = sentences.point_note(point, report, lang)  # wording, number then, pooled
        notes = [note] if note else []
        hidden = ctx.share_note(point.share)
        if hidden:
            notes.append(hidden)
        sheet.row(
            r,
            [
                point.year,
                *ctx.share_values(point.share),
                report.target,
                " ".join(notes) or None,
                verdict_words(point.share, ctx) if point.share.proportion else None,
            ],
            [None, *ctx.share_formats(point.share), None, target_format],
        )
        p = point.share.proportion
        if p is not None:
            ws.cell(r, below, p.share - p.interval.low)
            ws.cell(r, above, p.interval.high - p.share)
        r += 1
    last = r - 1
    for column in ERROR_COLUMNS:
        ws.column_dimensions[raw.column_letter(column)].hidden = True
    if report.trend:
        _target_rules(ws, f"B{first}:D{last}", f"$C{first}", f"$D{first}", f"$F{first}")
        _table(ctx, ws, "Utvikling", 2, last)
        ws.add_chart(_trend_chart(ws, ctx, heading, first, last), "J2")
    r += 1
    for line in sentences.continuity(report, lang):  # earlier numbers, a merger or split
        _note(sheet, r, 1, 8, line, 100)
        r += 1
    _note(sheet, r, 1, 8, sentences.trend(report, lang), 100)
    hidden_years = sentences.hidden_years(report, lang)
    if hidden_years:
        _note(sheet, r + 1, 1, 8, hidden_years, 100)
    sheet.fit(maximum=40)
    printing.print_setup(ws, _labels(ctx), orientation=printing.LANDSCAPE, title_rows="2:2")


def _trend_chart(ws: Worksheet, ctx: Context, heading: str, first: int, last: int) -> LineChart:
    """Share per year with markers and its 95 % interval as error bars, the target dashed;
    straight lines between years (no smoothing)."""
    text = ctx.text
    chart = LineChart()
    chart.title = f"{ctx.title}: {heading}"
    chart.y_axis.title = text("Share")
    chart.x_axis.title = text("Year")
    chart.y_axis.number_format = "0%"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend.position = "b"
    chart.add_data(Reference(ws, min_col=2, min_row=first - 1, max_row=last), titles_from_data=True)
    chart.add_data(Reference(ws, min_col=6, min_row=first - 1, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    share, target = chart.series
    share.smooth = False
    share.marker.symbol = "circle"
    share.marker.size = 7
    colour = charts.BLUE.lstrip("#").upper()
    share.marker.graphicalProperties.solidFill = colour
    share.marker.graphicalProperties.line.solidFill = colour
    share.graphicalProperties.line.solidFill = colour
    below, above = (
        f"'{ws.title}'!${raw.column_letter(c)}${first}:${raw.column_letter(c)}${last}"
        for c in ERROR_COLUMNS
    )
    share.errBars = ErrorBars(
        errDir="y",
        errBarType="both",
        errValType="cust",
        noEndCap=False,
        minus=NumDataSource(numRef=NumRef(f=below)),
        plus=NumDataSource(numRef=NumRef(f=above)),
    )
    _target_style(target)
    chart.width = 17
    chart.height = 9
    return chart


# --------------------------------------------------------------------------- Grupper


def _groups_sheet(ws: Worksheet, ctx: Context) -> None:
    """The dashboard's breakdowns: share satisfied by channel, by service area, …"""
    report, text, lang = ctx.report, ctx.text, ctx.language
    sheet = SheetBuilder(ws)
    sheet.put(1, 1, text("Share satisfied per group"), font=TITLE, fit=False)
    r = 3
    tables = [
        (
            text("Share satisfied by answer to “%(q)s”", q=pick(b.question.text, lang)),
            f"{text('Group')} ({b.question.code})",
            text("Answer code"),
            f"Grupper_{b.question.code}",
            b,
        )
        for b in report.breakdowns
    ]
    if report.channels is not None:  # answers came through more than one channel
        tables.append(
            (
                text("Share satisfied by channel"),
                text("Channel"),
                text("Channel code"),
                "Grupper_kanal",
                report.channels,
            )
        )
    for title, group_column, code_column, table_name, breakdown in tables:
        _note(sheet, r, 1, 7, title, 90)
        ws.cell(r, 1).font = BOLD
        r += 1
        header_row = r
        sheet.header(
            r,
            [
                group_column,
                code_column,
                text("Share satisfied"),
                text("95 %% interval, low"),
                text("95 %% interval, high"),
                "n",
                text("Verdict"),
            ],
        )
        for row in breakdown.rows:
            r += 1
            sheet.row(
                r,
                [
                    pick(row.label, lang),
                    row.value,
                    *ctx.share_values(row.share),
                    verdict_words(row.share, ctx),
                ],
                [None, None, *ctx.share_formats(row.share)],
            )
        if breakdown.rows:
            _table(ctx, ws, table_name, header_row, r)
            first, last = header_row + 1, r
            _target_rules(ws, f"C{first}:E{last}", f"$D{first}", f"$E{first}", repr(report.target))
        if breakdown.hidden_groups:
            r += 1
            _note(sheet, r, 1, 7, sentences.hidden_groups(lang, ctx.min_group_size), 90)
        r += 2
    if not tables:
        sheet.put(r, 1, text("No answers"))
    sheet.fit(maximum=40)
    printing.print_setup(ws, _labels(ctx), orientation=printing.PORTRAIT)


# --------------------------------------------------------------------------- questions


def _question_sheet(ws: Worksheet, ctx: Context, summary: QuestionSummary) -> None:
    question, text, lang = summary.question, ctx.text, ctx.language
    sheet = SheetBuilder(ws)
    _note(sheet, 1, 1, 8, pick(question.text, lang) or question.code, 100)
    ws["A1"].font = TITLE
    sheet.put(2, 1, question.code)
    printing.print_setup(ws, _labels(ctx), orientation=printing.LANDSCAPE, title_rows="3:3")
    if summary.suppressed:
        sheet.row(3, [text("Answer")], font=BOLD)
        hidden = (
            text("Hidden to protect respondents")
            if summary.protected
            else text("Hidden: fewer than %(n)s answers", n=ctx.min_group_size)
        )
        sheet.put(4, 1, hidden)
        ws.freeze_panes = "A4"
        sheet.fit()
        return
    if summary.numeric is not None:
        numeric = summary.numeric
        sheet.header(3, ["n", text("Mean"), text("Lowest"), text("Highest")])
        values: list[Any] = [numeric.mean, numeric.low, numeric.high]
        formats: list[str | None] = [MEAN, None, None]
        if question_types.get(question.type).duration:
            # Whole seconds as Excel times: "2:05" beside the page's "2 min 5 s".
            values = [_excel_time(v) for v in values]
            formats = [DURATION] * 3
        sheet.row(4, [numeric.n, *values], [None, *formats])
        if question_types.get(question.type).duration:
            sheet.put(5, 1, text("(minutes and seconds)"))
        ws.freeze_panes = "A4"
        sheet.fit()
        return
    sheet.header(
        3,
        [
            text("Answer"),
            text("Count"),
            text("Share"),
            text("95 %% interval, low"),
            text("95 %% interval, high"),
            "n",
            text("Value"),
            text("Note"),
        ],
    )
    ws.freeze_panes = "A4"
    r = 4
    for option in summary.options:
        label = pick(option.label, lang) if option.label else text("Don't know")
        if option.protected:
            sheet.row(
                r,
                [
                    label,
                    formatting.DASH,
                    None,
                    None,
                    None,
                    formatting.DASH,
                    option.value,
                    text("Hidden to protect respondents"),
                ],
            )
        elif option.share.proportion is None:
            sheet.row(
                r,
                [label, option.count, None, None, None, None, option.value, text("Not part of n")],
            )
        else:
            share, low, high, n = ctx.share_values(option.share)
            sheet.row(
                r,
                [label, option.count, share, low, high, n, option.value],
                [None, None, *ctx.share_formats(option.share)],
            )
        r += 1
    if not summary.options:
        sheet.put(r, 1, text("No answers"))
        r += 1
    else:
        _table(ctx, ws, f"Q_{question.code}", 3, r - 1)
        shown = [o for o in summary.options if o.share.proportion is not None]
        if shown:
            ws.add_chart(_question_chart(ws, ctx, summary, r - 1), "J3")
    if summary.hidden_options:
        _note(sheet, r, 1, 8, sentences.hidden_groups(lang, ctx.min_group_size), 100)
        r += 1
    r += 1
    if summary.mean is not None:
        interval = summary.mean.interval
        sheet.header(
            r,
            [
                None,
                None,
                text("Mean"),
                text("95 %% interval, low"),
                text("95 %% interval, high"),
                "n",
            ],
        )
        r += 1
        sheet.row(
            r,
            [
                text("Mean"),
                None,
                summary.mean.mean,
                interval.low if interval else None,
                interval.high if interval else None,
                summary.mean.n,
            ],
            [None, None, MEAN, MEAN, MEAN],
        )
        r += 1
    if summary.index is not None:
        interval = summary.index.interval
        sheet.row(
            r,
            [
                text("Index from 0 to 100"),
                None,
                summary.index.mean,
                interval.low if interval else None,
                interval.high if interval else None,
                summary.index.n,
            ],
            [None, None, SCORE, SCORE, SCORE],
        )
    sheet.fit(maximum=50)


def _question_chart(ws: Worksheet, ctx: Context, summary: QuestionSummary, last: int) -> BarChart:
    """The shares of the valid answers, one bar per option with its value on it."""
    chart = BarChart()
    chart.type = "bar"
    chart.title = pick(summary.question.text, ctx.language) or summary.question.code
    chart.y_axis.number_format = "0%"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.x_axis.scaling.orientation = "maxMin"  # the first option at the top, as listed
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend = None
    chart.add_data(Reference(ws, min_col=3, min_row=3, max_row=last), titles_from_data=True)
    labels = Reference(ws, min_col=1, min_row=4, max_row=last)
    series = chart.series[0]
    series.cat = AxDataSource(strRef=StrRef(f=str(labels)))
    series.graphicalProperties.solidFill = charts.BLUE.lstrip("#").upper()
    series.dLbls = DataLabelList()
    series.dLbls.showVal = True
    series.dLbls.showCatName = False
    series.dLbls.showSerName = False
    series.dLbls.showLegendKey = False
    series.dLbls.showPercent = False
    series.dLbls.numFmt = percent_format(1)
    chart.width = 15
    chart.height = max(6.0, 0.9 * (last - 3) + 3)
    return chart


def _excel_time(seconds: float | None) -> float | None:
    """Seconds as a fraction of a day, rounded to whole seconds as the page rounds them."""
    if seconds is None:
        return None
    return int(formatting.round_half_up(seconds, 0)) / 86_400


# --------------------------------------------------------------------------- Over tid


def _questions_over_time_sheet(ws: Worksheet, ctx: Context) -> None:
    """Every question's shares per year, one row per question, option and year: the same
    report the dashboard shows for each year (its figures and hidden cells)."""
    report, text, lang = ctx.report, ctx.text, ctx.language
    sheet = SheetBuilder(ws)
    sheet.put(1, 1, text("Every question over the years"), font=TITLE, fit=False)
    header = [
        text("Question code"),
        text("Question"),
        text("Year"),
        text("Answer code"),
        text("Answer"),
        text("Count"),
        text("Share"),
        text("95 %% interval, low"),
        text("95 %% interval, high"),
        "n",
        text("Note"),
    ]
    sheet.header(2, header)
    ws.freeze_panes = "A3"
    r = 2
    current = {q.code: q for q in report.definition.questions}
    per_year = ctx.reports_per_year()
    # Years stored under an earlier number say which (as the years sheet does).
    then = {
        p.year: text("Then number %(code)s, %(name)s", code=p.then.code, name=p.then.name)
        for p in report.trend
        if p.then is not None
    }
    for question in report.definition.questions:
        for year, year_report in per_year:
            summary = next(
                (s for s in year_report.questions if s.question.code == question.code), None
            )
            if summary is None:
                continue
            wording = then.get(year, "")
            if summary.question.text != current[question.code].text:
                wording = "; ".join(
                    w for w in (wording, text("Other wording than %(year)s", year=report.year)) if w
                )
            base = [question.code, pick(question.text, lang), year]
            if summary.suppressed or summary.numeric is not None or not summary.options:
                note = (
                    text("Hidden to protect respondents")
                    if summary.protected
                    else text("Hidden: fewer than %(n)s answers", n=ctx.min_group_size)
                    if summary.suppressed
                    else None
                )
                if note is None:
                    continue  # numbers and free text: on the question's own sheet
                r += 1
                sheet.row(r, [*base, None, None, None, None, None, None, None, note])
                continue
            for option in summary.options:
                r += 1
                label = pick(option.label, lang) if option.label else text("Don't know")
                values: list[Any]
                if option.protected:
                    values = [formatting.DASH, None, None, None, formatting.DASH]
                    note = text("Hidden to protect respondents")
                    formats: list[str | None] = []
                elif option.share.proportion is None:
                    values = [option.count, None, None, None, None]
                    note = text("Not part of n")
                    formats = []
                else:
                    values = [option.count, *ctx.share_values(option.share)]
                    note = None
                    formats = [None, *ctx.share_formats(option.share)]
                notes = " ".join(n for n in (note, wording) if n) or None
                sheet.row(
                    r,
                    [*base, option.value, label, *values, notes],
                    [None, None, None, None, None, *formats],
                )
    _table(ctx, ws, "Over_tid", 2, r)
    sheet.fit(maximum=40)
    ws.column_dimensions["B"].width = 40
    printing.print_setup(ws, _labels(ctx), orientation=printing.LANDSCAPE, title_rows="2:2")


# --------------------------------------------------------------------------- Tall


_UNIT_FORMATS = {
    figures.MEAN: MEAN,
    figures.RANK: "0",
    figures.SCORE: SCORE,
    figures.SECONDS: "0",
}


def _figures_sheet(ws: Worksheet, ctx: Context) -> None:
    """Every figure of the dashboard as one long table, ready for a pivot table."""
    text, lang = ctx.text, ctx.language
    sheet = SheetBuilder(ws)
    sheet.put(1, 1, text("Every figure, one per row"), font=TITLE, fit=False)
    sheet.header(2, figures.header(lang))
    ws.freeze_panes = "A3"
    r = 2
    for row in figures.figure_rows(ctx.report, lang):
        r += 1
        if row.unit == figures.PERCENT:
            value_format = percent_format(row.decimals)
            interval_format = percent_format(row.interval_decimals)
        elif row.unit == figures.POINTS:
            value_format = points_format(row.decimals)
            interval_format = points_format(row.interval_decimals)
        else:
            value_format = _UNIT_FORMATS.get(row.unit or "", "0." + "0" * row.decimals)
            if row.decimals == 0:
                value_format = "0"
            interval_format = "0." + "0" * row.interval_decimals
        p_format = p_value_format(row.p, lang) if row.p is not None else None
        sheet.row(
            r,
            [
                row.table_code,
                row.table,
                row.question_code,
                row.question,
                row.row_code,
                row.row,
                row.year,
                figures.unit_label(row.unit, lang),
                row.count,
                row.value,
                row.low,
                row.high,
                row.n,
                row.p,
                row.note,
            ],
            [
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                value_format,
                interval_format,
                interval_format,
                None,
                p_format,
            ],
        )
    _table(ctx, ws, "Tall", 2, r)
    sheet.fit(maximum=36)
    printing.print_setup(ws, _labels(ctx), orientation=printing.LANDSCAPE, title_rows="2:2")


# --------------------------------------------------------------------------- the workbook


@dataclass(frozen=True)
class ExportResult:
    sheets: list[str]
    responses: int  # rows in the Svar sheets


def _oslo(moment: datetime) -> datetime:
    return moment.astimezone(raw.OSLO).replace(tzinfo=None, microsecond=0)


def _properties(book: Workbook, ctx: Context) -> None:
    """Document properties: what it is and who made it (the app, not "openpyxl")."""
    report = ctx.report
    props = book.properties
    props.title = f"{report.municipality.name}: {ctx.title} {report.year}"
    props.subject = ctx.text("Share satisfied")
    props.creator = APP_NAME
    props.lastModifiedBy = APP_NAME
    props.keywords = f"{report.municipality.name}, {report.municipality.code}, {report.year}"
    props.description = ctx.source()
    props.language = LANGUAGE_TAGS.get(ctx.language, ctx.language)
    props.created = props.modified = ctx.exported_at


def write_municipality_workbook(
    report: MunicipalityReport,
    target: IO[bytes],
    *,
    language: str,
    answers: raw.RawSelection | None = None,
    max_rows: int = MAX_ROWS,
    now: datetime | None = None,
) -> ExportResult:
    """Write the workbook (.xlsx) to ``target``: every aggregate, and the answers row by
    row (streamed "Svar" sheets) only when ``answers`` says which rows may go in."""
    rounds = rounds_of(report)
    ctx = Context(
        report=report,
        language=language,
        rounds=rounds,
        exported_at=_oslo(now or utcnow()),
        min_group_size=report.min_group_size,
        answers=answers,
    )
    for question in report.questions:
        ctx.question_sheets[question.question.code] = sheet_name(question.question.code, ctx.taken)
    book = Workbook()
    _properties(book, ctx)
    summary = book.active
    assert summary is not None
    summary.title = SUMMARY
    _summary_sheet(summary, ctx)
    _about_sheet(book.create_sheet(ABOUT), ctx)
    _peers_sheet(book.create_sheet(PEERS), ctx)
    _years_sheet(book.create_sheet(YEARS), ctx)
    _groups_sheet(book.create_sheet(GROUPS), ctx)
    for question in report.questions:
        name = ctx.question_sheets[question.question.code]
        _question_sheet(book.create_sheet(name), ctx, question)
    _questions_over_time_sheet(book.create_sheet(OVER_TIME), ctx)
    _figures_sheet(book.create_sheet(FIGURES), ctx)
    if answers is None:
        book.save(target)
        return ExportResult(book.sheetnames, 0)

    source = raw.RawAnswers.for_selection(answers, report.data_codes, report.definition)
    placeholders = [book.create_sheet(ANSWERS)]
    styles = raw.register_styles(placeholders[0])
    with tempfile.TemporaryDirectory(prefix="surveyapp-export-") as folder:
        written = raw.write_raw_sheets(
            source,
            Path(folder),
            styles,
            max_rows,
            lambda name: placeholders.append(book.create_sheet(name)),
            ANSWERS,
            language,
        )
        widths = source.widths()
        for ws in placeholders:
            _answers_frame(ws, ctx, written, widths)
        saved = Path(folder) / "book.xlsx"
        book.save(saved)
        raw.replace_sheets(saved, written.files, target, written.dimensions)
    return ExportResult(book.sheetnames, written.responses)


def _answers_frame(
    ws: Worksheet, ctx: Context, written: raw.RawSheets, widths: Sequence[float]
) -> None:
    """Everything of a "Svar" sheet but its rows: widths, the frozen header, print setup
    and the Excel table over the header and its data rows (not the note where the rows
    continue)."""
    for index, width in enumerate(widths, 1):
        ws.column_dimensions[raw.column_letter(index)].width = width
    ws.freeze_panes = "A2"
    rows = written.rows.get(ws.title, 0)
    printing.add_table(ws, ws.title.replace(" ", "_"), 1, 1, written.header, rows + 1)
    printing.print_setup(ws, _labels(ctx), orientation=printing.LANDSCAPE, title_rows="1:1")
