"""The municipality workbook: the dashboard's numbers as Excel sheets, plus the raw answers.

Every figure comes from one :class:`MunicipalityReport`, the object the dashboard shows,
so the workbook can never disagree with the page. Sheet names are fixed Norwegian
(Sammendrag, Kommuner, Utvikling, one per question, Svar); what is in them follows the
reader's language. Text that came from data is neutralised (``safe.neutralise``).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from surveyapp.exports import raw
from surveyapp.extensions import db
from surveyapp.results import queries, stats
from surveyapp.results.report import MunicipalityReport, QuestionSummary, Share
from surveyapp.surveys.models import SurveyRound
from surveyapp.timeutil import utcnow
from surveyapp.web.i18n import pick
from surveyapp.web.templating import (
    current_language,
    format_number,
    format_p_value,
    format_percent,
)

PERCENT = "0.0%"
SCORE = "0.0"
MEAN = "0.00"
P_VALUE = "0.000"
DATETIME = "yyyy-mm-dd hh:mm"
GREEN = PatternFill(fill_type="solid", start_color="FFC6EFCE", end_color="FFC6EFCE")
RED = PatternFill(fill_type="solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
WARNING = Font(bold=True, color="FFC00000")

SUMMARY, PEERS, YEARS, ANSWERS = "Sammendrag", "Kommuner", "Utvikling", "Svar"
#: Names a question sheet may not take (Excel compares sheet names case-insensitively;
#: "History" is reserved by Excel itself).
RESERVED = {name.lower() for name in (SUMMARY, PEERS, YEARS, ANSWERS, "History")}
SHEET_NAME_LIMIT = 31
_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")


def text(msgid: str, **variables: Any) -> str:
    """gettext for msgids shared with the templates, where a literal % is written %%."""
    if variables:
        return gettext(msgid, **variables)
    return gettext(msgid).replace("%%", "%")


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

    def put(
        self,
        row: int,
        column: int,
        value: Any,
        number_format: str | None = None,
        font: Font | None = None,
        fit: bool = True,
    ) -> Cell:
        if isinstance(value, str):
            value = raw.clean_text(value)
        cell = self.ws.cell(row=row, column=column)
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

    def fit(self, minimum: float = 8.0, maximum: float = 90.0) -> None:
        for column, width in self._widths.items():
            letter = raw.column_letter(column)
            self.ws.column_dimensions[letter].width = min(max(width, minimum), maximum)


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


def _share_values(share: Share, min_group_size: int) -> list[Any]:
    """share, low, high, n — or blanks and "< 5" when the report hides the figure."""
    p = share.proportion
    if p is not None:
        return [p.share, p.interval.low, p.interval.high, share.n]
    if share.suppressed and share.n > 0:
        return [None, None, None, f"< {min_group_size}"]
    return [None, None, None, share.n]


def _share_note(share: Share, min_group_size: int) -> str | None:
    if share.proportion is not None:
        return None
    if share.suppressed and share.n > 0:
        return text("Hidden: fewer than %(n)s answers", n=min_group_size)
    return text("No answers")


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

    @property
    def is_demo(self) -> bool:
        return any(r.is_demo for r in self.rounds)

    @property
    def title(self) -> str:
        return pick(self.report.definition.title, self.language) or self.report.questionnaire_code

    def source(self) -> str:
        rounds = ", ".join(f"{r.title} (#{r.id})" for r in self.rounds) or "–"
        return gettext("surveyapp – %(title)s, rounds %(rounds)s", title=self.title, rounds=rounds)


def rounds_of(report: MunicipalityReport) -> list[SurveyRound]:
    ids = queries.round_ids(report.questionnaire_code, report.municipality.code, report.year)
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(SurveyRound).where(SurveyRound.id.in_(ids)).order_by(SurveyRound.id)
        )
    )


# --------------------------------------------------------------------------- Sammendrag


def _verdict(report: MunicipalityReport) -> str:
    if report.comparison is None:
        if report.headline.suppressed and report.headline.n > 0:
            return text("Hidden: fewer than %(n)s answers", n=report.min_group_size)
        return text("No answers to the satisfaction question this year.")
    target = format_percent(report.target, 0)
    return {
        "above": text("Over the target: the whole interval lies above %(t)s.", t=target),
        "below": text("Under the target: the whole interval lies below %(t)s.", t=target),
        "indistinguishable": text(
            "Not distinguishable from the target at this sample size: the interval contains %(t)s.",
            t=target,
        ),
    }[report.comparison.verdict.value]


def _change_note(report: MunicipalityReport) -> str:
    if report.previous is None:
        return text("No earlier year to compare with.")
    if not report.change_comparable:
        return text(
            "The question was worded differently in %(year)s, so the years are not "
            "compared as equal.",
            year=report.previous.year,
        )
    change = report.change
    if change is None:
        return text(
            "Hidden: one of the years has fewer than %(n)s answers.", n=report.min_group_size
        )
    sentence = text(
        "%(diff)s percentage points since %(year)s (95 %% interval %(low)s to %(high)s; "
        "Fisher's exact test %(p)s).",
        diff=format_number(change.estimate * 100, 1),
        year=report.previous.year,
        low=format_number(change.interval.low * 100, 1),
        high=format_number(change.interval.high * 100, 1),
        p=format_p_value(change.p_value),
    )
    if change.interval.low <= 0 <= change.interval.high:
        sentence += " " + text("The change cannot be told apart from no change.")
    return sentence


HEADLINE_ROW = 4


def _summary_sheet(ws: Worksheet, ctx: Context) -> None:
    report = ctx.report
    sheet = SheetBuilder(ws)
    heading = f"{report.municipality.name} ({report.municipality.code}): {ctx.title} {report.year}"
    sheet.put(1, 1, heading, font=TITLE, fit=False)
    if ctx.is_demo:
        sheet.put(2, 1, text("Demo data – fictitious figures"), font=WARNING)
    sheet.row(
        3,
        [
            text("Indicator"),
            text("Share"),
            text("95 %% interval, low"),
            text("95 %% interval, high"),
            "n",
            text("Target"),
            gettext("Verdict"),
        ],
        font=BOLD,
    )
    r = HEADLINE_ROW
    # As on the dashboard: more decimals only where one would make the rounded figures
    # contradict the verdict (a low end of 80.04 % shown as 80.0 % beside a target of 80 %).
    decimals = stats.display_decimals(report.comparison) if report.comparison else 1
    headline = "0." + "0" * decimals + "%"
    sheet.row(
        r,
        [
            text("Share satisfied"),
            *_share_values(report.headline, report.min_group_size),
            report.target,
            _verdict(report),
        ],
        [None, headline, headline, headline, None, headline],
    )
    _target_rules(ws, f"B{r}:D{r}", f"$C${r}", f"$D${r}", f"$F${r}")
    ws.freeze_panes = f"A{HEADLINE_ROW}"

    r += 1
    if report.comparison is not None:
        at_or_above = report.comparison.point_at_or_above
        target = format_percent(report.target, 0)
        sheet.row(
            r,
            [
                gettext("Share at or above the target"),
                at_or_above,
                None,
                None,
                None,
                None,
                text("The share itself is at or above the target of %(t)s.", t=target)
                if at_or_above
                else text("The share itself is below the target of %(t)s.", t=target),
            ],
        )
        r += 1
    change = report.change
    sheet.row(
        r,
        [
            text("Change since the year before"),
            change.estimate if change else None,
            change.interval.low if change else None,
            change.interval.high if change else None,
            None,
            None,
            _change_note(report),
        ],
        [None, PERCENT, PERCENT, PERCENT],
    )
    if report.previous is not None:
        r += 1
        sheet.row(
            r,
            [
                gettext("Share the year before (%(year)s)", year=report.previous.year),
                *_share_values(report.previous.share, report.min_group_size),
                None,
                _share_note(report.previous.share, report.min_group_size),
            ],
            [None, PERCENT, PERCENT, PERCENT],
        )

    r += 2
    sheet.put(r, 1, text("Service test"), font=BOLD)
    st = report.service_test
    if st is None:
        sheet.put(r, 2, gettext("No service test of this municipality."))
    else:
        sheet.put(r, 2, st.title)
        if not st.locked:
            sheet.put(r, 3, text("not final yet"))
        rows: list[tuple[str, Any, str | None, Any]] = [
            (text("Score"), st.score, SCORE, text("of 100")),
            (
                text("Rank"),
                st.rank,
                None,
                text("%(rank)s of %(n)s", rank=st.rank or "–", n=st.ranked),
            ),
            (text("Grade"), pick(st.band, ctx.language) if st.band else "–", None, None),
            (text("Quartile"), _quartile(st.quartile), None, None),
            (text("National average"), st.national_average, SCORE, None),
        ]
        for label, value, fmt, extra in rows:
            r += 1
            sheet.row(r, [label, value, extra], [None, fmt])

    r += 2
    facts: list[tuple[str, Any, str | None]] = [
        (gettext("Responses"), report.responses, None),
        (text("Compare with"), report.peer_label or "–", None),
        (gettext("Data source"), ctx.source(), None),
        (gettext("Exported"), ctx.exported_at, DATETIME),
    ]
    for label, value, fmt in facts:
        sheet.row(r, [label, value], [None, fmt])
        if fmt == DATETIME:
            sheet.put(r, 3, "Europe/Oslo")
        r += 1
    r += 1
    sheet.put(r, 1, text("How the figures are made"), font=BOLD)
    for line in (
        text(
            "Satisfied means one of the two best answers; “don't know” is left out of the "
            "denominator."
        ),
        text(
            "Intervals are 95 %% Wilson score intervals; differences use Newcombe's hybrid "
            "score interval and Fisher's exact test."
        ),
        text(
            "The target is only called met or missed when the whole interval lies on one "
            "side of it."
        ),
        text("Figures resting on fewer than %(n)s answers are hidden.", n=report.min_group_size),
    ):
        r += 1
        sheet.put(r, 1, line, fit=False)
    sheet.fit()
    ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width or 0, 34)


def _quartile(value: str | None) -> str:
    labels = {
        "top": text("Best 25 %%"),
        "middle": text("Middle 50 %%"),
        "bottom": text("Worst 25 %%"),
    }
    return labels.get(value or "", "–")


# --------------------------------------------------------------------------- Kommuner


def _peers_sheet(ws: Worksheet, ctx: Context) -> None:
    report = ctx.report
    sheet = SheetBuilder(ws)
    heading = text("Share satisfied in %(year)s", year=report.year)
    if report.peer_label:
        heading += f" – {report.peer_label}"
    sheet.put(1, 1, heading, font=TITLE, fit=False)
    sheet.row(
        2,
        [
            text("Municipality"),
            text("Municipality number"),
            text("Share"),
            text("95 %% interval, low"),
            text("95 %% interval, high"),
            "n",
            text("Difference (this municipality minus the other)"),
            gettext("Difference, low"),
            gettext("Difference, high"),
            "p",
            text("Note"),
        ],
        font=BOLD,
    )
    ws.freeze_panes = "A3"
    formats = [None, None, PERCENT, PERCENT, PERCENT, None, PERCENT, PERCENT, PERCENT, P_VALUE]
    first = r = 3
    for peer in report.peers:
        d = peer.difference
        note = (
            text("this municipality")
            if peer.is_own
            else _share_note(peer.share, ctx.min_group_size)
        )
        sheet.row(
            r,
            [
                peer.name,
                peer.code,
                *_share_values(peer.share, ctx.min_group_size),
                d.estimate if d else None,
                d.interval.low if d else None,
                d.interval.high if d else None,
                d.p_value if d else None,
                note,
            ],
            formats,
            BOLD if peer.is_own else None,
        )
        r += 1
    last = r - 1
    if report.peers:
        target = repr(report.target)
        _target_rules(ws, f"C{first}:E{last}", f"$D{first}", f"$E{first}", target)
        chart = BarChart()
        chart.type = "bar"
        chart.title = heading
        chart.y_axis.title = text("Share")
        chart.y_axis.number_format = "0%"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 1
        chart.x_axis.scaling.orientation = "maxMin"  # highest share at the top, as listed
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.legend = None
        chart.add_data(Reference(ws, min_col=3, min_row=2, max_row=last), titles_from_data=True)
        names = Reference(ws, min_col=1, min_row=first, max_row=last)
        for series in chart.series:  # names are text: a string reference, not numRef
            series.cat = AxDataSource(strRef=StrRef(f=str(names)))
        chart.width = 18
        chart.height = min(max(7.5, 0.55 * len(report.peers) + 3), 120)
        ws.add_chart(chart, "M2")

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
                label=report.peer_label,
            ),
            fit=False,
        )
        r += 1
        sheet.row(r, [text("Rank"), None, s.own_rank])
        r += 1
        sheet.row(r, [text("Quartile"), None, _quartile(s.band.value if s.band else None)])
        r += 1
    if s is not None and s.mean_share is not None and s.pooled is not None:
        sheet.row(r, [text("Mean of municipalities"), None, s.mean_share], [None, None, PERCENT])
        r += 1
        pooled = s.pooled
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
            [None, None, PERCENT, PERCENT, PERCENT],
        )
        r += 1
        sheet.row(r, [text("Best"), None, s.best_share], [None, None, PERCENT])
        r += 1
        sheet.row(r, [text("Worst"), None, s.worst_share], [None, None, PERCENT])
        r += 1
    if s is not None and s.count_suppressed:
        sheet.put(
            r,
            1,
            text(
                "%(n)s municipalities with fewer than %(min)s answers are left out of these "
                "figures.",
                n=s.count_suppressed,
                min=ctx.min_group_size,
            ),
            fit=False,
        )
        r += 1
    sheet.put(
        r,
        1,
        text("Only municipalities asked the same question with the same wording are compared."),
        fit=False,
    )
    sheet.fit()


# --------------------------------------------------------------------------- Utvikling


def _years_sheet(ws: Worksheet, ctx: Context) -> None:
    report = ctx.report
    sheet = SheetBuilder(ws)
    heading = text("Share satisfied per year")
    sheet.put(1, 1, heading, font=TITLE, fit=False)
    sheet.row(
        2,
        [
            text("Year"),
            text("Share"),
            text("95 %% interval, low"),
            text("95 %% interval, high"),
            "n",
            text("Target"),
            text("Note"),
        ],
        font=BOLD,
    )
    ws.freeze_panes = "A3"
    first = r = 3
    for point in report.trend:
        notes = []
        if point.break_before:
            notes.append(text("Wording changed this year"))
        elif not point.comparable:
            notes.append(text("Other wording than %(year)s", year=report.year))
        hidden = _share_note(point.share, ctx.min_group_size)
        if hidden:
            notes.append(hidden)
        sheet.row(
            r,
            [
                point.year,
                *_share_values(point.share, ctx.min_group_size),
                report.target,
                " ".join(notes) or None,
            ],
            [None, PERCENT, PERCENT, PERCENT, None, PERCENT],
        )
        r += 1
    last = r - 1
    if report.trend:
        _target_rules(ws, f"B{first}:D{last}", f"$C{first}", f"$D{first}", f"$F{first}")
        chart = LineChart()
        chart.title = heading
        chart.y_axis.title = text("Share")
        chart.x_axis.title = text("Year")
        chart.y_axis.number_format = "0%"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 1
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.add_data(Reference(ws, min_col=2, min_row=2, max_row=last), titles_from_data=True)
        chart.add_data(Reference(ws, min_col=6, min_row=2, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
        chart.width = 18
        chart.height = 9
        ws.add_chart(chart, "I2")
    r += 1
    if report.trend_test is not None:
        trend = report.trend_test
        sheet.put(
            r,
            1,
            text(
                "Trend over %(n)s comparable years: %(slope)s percentage points per year "
                "(%(p)s, Cochran–Armitage test).",
                n=len(trend.years),
                slope=format_number(trend.slope_per_year * 100, 1),
                p=format_p_value(trend.p_value),
            ),
            fit=False,
        )
    else:
        sheet.put(r, 1, text("A trend needs at least three comparable years."), fit=False)
    if report.wording_changed:
        sheet.put(
            r + 1,
            1,
            text(
                "The question's wording changed; years with other wording are marked and not "
                "compared as equal."
            ),
            fit=False,
        )
    sheet.fit()


# --------------------------------------------------------------------------- questions


def _question_sheet(ws: Worksheet, ctx: Context, summary: QuestionSummary) -> None:
    question = summary.question
    sheet = SheetBuilder(ws)
    sheet.put(1, 1, pick(question.text, ctx.language) or question.code, font=TITLE, fit=False)
    sheet.put(2, 1, question.code)
    if summary.suppressed:
        sheet.row(3, [text("Answer")], font=BOLD)
        sheet.put(4, 1, text("Hidden: fewer than %(n)s answers", n=ctx.min_group_size))
        ws.freeze_panes = "A4"
        sheet.fit()
        return
    if summary.numeric is not None:
        numeric = summary.numeric
        sheet.row(3, ["n", gettext("Mean"), gettext("Lowest"), gettext("Highest")], font=BOLD)
        sheet.row(4, [numeric.n, numeric.mean, numeric.low, numeric.high], [None, MEAN])
        if question.type == "duration":
            sheet.put(5, 1, text("(seconds)"))
        ws.freeze_panes = "A4"
        sheet.fit()
        return
    sheet.row(
        3,
        [
            text("Answer"),
            text("Count"),
            text("Share"),
            text("95 %% interval, low"),
            text("95 %% interval, high"),
            "n",
            gettext("Value"),
        ],
        font=BOLD,
    )
    ws.freeze_panes = "A4"
    r = 4
    for option in summary.options:
        label = pick(option.label, ctx.language) if option.label else text("Don't know")
        share, low, high, n = _share_values(option.share, ctx.min_group_size)
        sheet.row(
            r,
            [label, option.count, share, low, high, n, option.value],
            [None, None, PERCENT, PERCENT, PERCENT],
        )
        r += 1
    if not summary.options:
        sheet.put(r, 1, text("No answers"))
        r += 1
    r += 1
    if summary.mean is not None:
        interval = summary.mean.interval
        sheet.row(
            r,
            [
                None,
                None,
                gettext("Mean"),
                text("95 %% interval, low"),
                text("95 %% interval, high"),
                "n",
            ],
            font=BOLD,
        )
        r += 1
        sheet.row(
            r,
            [
                gettext("Mean"),
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
                gettext("Index from 0 to 100"),
                None,
                summary.index.mean,
                interval.low if interval else None,
                interval.high if interval else None,
                summary.index.n,
            ],
            [None, None, SCORE, SCORE, SCORE],
        )
    sheet.fit()


# --------------------------------------------------------------------------- the workbook


@dataclass(frozen=True)
class ExportResult:
    sheets: list[str]
    responses: int  # rows in the Svar sheets


def _oslo(moment: datetime) -> datetime:
    return moment.astimezone(raw.OSLO).replace(tzinfo=None, microsecond=0)


def write_municipality_workbook(
    report: MunicipalityReport,
    target: IO[bytes],
    *,
    language: str | None = None,
    max_rows: int | None = None,
    now: datetime | None = None,
) -> ExportResult:
    """Write the whole workbook (.xlsx) to ``target``; the answers are streamed."""
    rounds = rounds_of(report)
    ctx = Context(
        report=report,
        language=language or current_language(),
        rounds=rounds,
        exported_at=_oslo(now or utcnow()),
        min_group_size=report.min_group_size,
    )
    limit = int(max_rows or current_app.config["SURVEYAPP_XLSX_MAX_ROWS"])
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = SUMMARY
    _summary_sheet(summary, ctx)
    _peers_sheet(book.create_sheet(PEERS), ctx)
    _years_sheet(book.create_sheet(YEARS), ctx)
    for question in report.questions:
        _question_sheet(
            book.create_sheet(sheet_name(question.question.code, ctx.taken)), ctx, question
        )

    answers = raw.RawAnswers.for_rounds(
        [r.id for r in rounds], report.municipality.code, report.definition
    )
    placeholder = book.create_sheet(ANSWERS)
    styles = raw.register_styles(placeholder)
    with tempfile.TemporaryDirectory(prefix="surveyapp-export-") as folder:
        files, responses = raw.write_raw_sheets(
            answers, Path(folder), styles, limit, book.create_sheet, ANSWERS
        )
        saved = Path(folder) / "book.xlsx"
        book.save(saved)
        raw.replace_sheets(saved, files, target)
    return ExportResult(book.sheetnames, responses)


# --------------------------------------------------------------------------- aggregates


def aggregate_header() -> list[str]:
    return [
        "question",
        "question_text",
        "option",
        "option_label",
        "count",
        "share",
        "low",
        "high",
        "n",
        "note",
    ]


def aggregate_rows(report: MunicipalityReport, language: str) -> Iterator[list[Any]]:
    """question, option, count, share, low, high, n per option, as the dashboard shows them."""
    for summary in report.questions:
        question = summary.question
        wording = pick(question.text, language)
        if summary.suppressed:
            note = text("Hidden: fewer than %(n)s answers", n=report.min_group_size)
            yield [question.code, wording, None, None, None, None, None, None, None, note]
            continue
        if summary.numeric is not None:
            numeric = summary.numeric
            note = text(
                "%(n)s answers; mean %(mean)s (from %(low)s to %(high)s).",
                n=numeric.n,
                mean=format_number(numeric.mean, 1),
                low=format_number(numeric.low, 0),
                high=format_number(numeric.high, 0),
            )
            yield [question.code, wording, None, None, None, None, None, None, numeric.n, note]
            continue
        for option in summary.options:
            label = pick(option.label, language) if option.label else text("Don't know")
            share, low, high, n = _share_values(option.share, report.min_group_size)
            yield [
                question.code,
                wording,
                option.value,
                label,
                option.count,
                share,
                low,
                high,
                n,
                _share_note(option.share, report.min_group_size),
            ]
