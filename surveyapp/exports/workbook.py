"""The municipality workbook: the dashboard's numbers as Excel sheets, plus (with the raw-data
right) the answers row by row.

Every figure comes from one :class:`MunicipalityReport`, the object the dashboard shows,
so the workbook can never disagree with the page: the same cells hidden, the same
decimals (a number format per cell, chosen by ``formatting``; Excel rounds half away
from zero, as ``formatting`` does), the same sentences (``sentences``). Sheet names are
fixed Norwegian (Sammendrag, Kommuner, Utvikling, one per question, Svar); what is in
them follows the language given. Text that came from data is neutralised
(``safe.neutralise``). Plain: no Flask; the caller passes the language and the limits.
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
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from surveyapp import formatting
from surveyapp.catalogs import Translator, translator
from surveyapp.exports import raw
from surveyapp.extensions import db
from surveyapp.formatting import pick
from surveyapp.results import queries, sentences
from surveyapp.results.report import EMPTY, MunicipalityReport, QuestionSummary, Share
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

SUMMARY, PEERS, YEARS, ANSWERS = "Sammendrag", "Kommuner", "Utvikling", "Svar"
#: Names a question sheet may not take (Excel compares sheet names case-insensitively;
#: "History" is reserved by Excel itself).
RESERVED = {name.lower() for name in (SUMMARY, PEERS, YEARS, ANSWERS, "History")}
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

    @property
    def text(self) -> Translator:
        return translator(self.language)

    @property
    def is_demo(self) -> bool:
        return any(r.is_demo for r in self.rounds)

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


# --------------------------------------------------------------------------- Sammendrag


HEADLINE_ROW = 4


def _summary_sheet(ws: Worksheet, ctx: Context) -> None:
    report, text, lang = ctx.report, ctx.text, ctx.language
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
            text("Verdict"),
        ],
        font=BOLD,
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
        [text("Share satisfied"), *ctx.share_values(headline), report.target, verdict],
        [None, *ctx.share_formats(headline), None, percent_format(target_decimals)],
    )
    _target_rules(ws, f"B{r}:D{r}", f"$C${r}", f"$D${r}", f"$F${r}")
    ws.freeze_panes = f"A{HEADLINE_ROW}"

    r += 1
    if report.comparison is not None:
        sheet.row(
            r,
            [
                text("Share at or above the target"),
                report.comparison.point_at_or_above,
                None,
                None,
                None,
                None,
                sentences.point_side(report.comparison, lang),
            ],
        )
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
            sheet.put(r, 7, notes, fit=False)
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
            None,
            None,
            sentences.change(report, lang),
        ],
        [None, change_format, change_format, change_format],
    )
    if report.previous is not None:
        r += 1
        previous = report.previous.share
        sheet.row(
            r,
            [
                text("Share the year before (%(year)s)", year=report.previous.year),
                *ctx.share_values(previous),
                None,
                ctx.share_note(previous),
            ],
            [None, *ctx.share_formats(previous)],
        )

    r += 2
    sheet.put(r, 1, text("Service test"), font=BOLD)
    st = report.service_test
    if st is None:
        sheet.put(r, 2, text("No service test of this municipality."))
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
            (text("Grade"), pick(st.band, lang) if st.band else "–", None, None),
            (text("Quartile"), _quartile(ctx, st.quartile), None, None),
            (text("National average"), st.national_average, SCORE, None),
        ]
        for label, value, fmt, extra in rows:
            r += 1
            sheet.row(r, [label, value, extra], [None, fmt])

    r += 2
    facts: list[tuple[str, Any, str | None]] = [
        (text("Responses"), report.responses, None),
        (text("Compare with"), sentences.peer_label(report.peer_scope, lang), None),
        (text("Data source"), ctx.source(), None),
        (text("Exported"), ctx.exported_at, DATETIME),
    ]
    for label, value, fmt in facts:
        sheet.row(r, [label, value], [None, fmt])
        if fmt == DATETIME:
            sheet.put(r, 3, "Europe/Oslo")
        r += 1
    if ctx.answers is None:
        sheet.put(r, 1, text("Answers row by row are not in this workbook."), fit=False)
        r += 1
    elif ctx.answers.withheld:
        sheet.put(r, 1, _withheld(ctx), fit=False)
        r += 1
    r += 1
    sheet.put(r, 1, text("How the figures are made"), font=BOLD)
    for line in sentences.method(report, lang):
        r += 1
        sheet.put(r, 1, line, fit=False)
    sheet.fit()
    ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width or 0, 34)


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


# --------------------------------------------------------------------------- Kommuner


def _peers_sheet(ws: Worksheet, ctx: Context) -> None:
    report, text, lang = ctx.report, ctx.text, ctx.language
    sheet = SheetBuilder(ws)
    heading = text("Share satisfied in %(year)s", year=report.year)
    heading += f" – {sentences.peer_label(report.peer_scope, lang)}"
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
            text("Difference, low"),
            text("Difference, high"),
            "p",
            text("Note"),
        ],
        font=BOLD,
    )
    ws.freeze_panes = "A3"
    first = r = 3
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
            ],
            BOLD if peer.is_own else None,
        )
        r += 1
    last = r - 1
    shown_last = first + len(report.shown_peers) - 1
    if report.peers:
        target = repr(report.target)
        _target_rules(ws, f"C{first}:E{last}", f"$D{first}", f"$E{first}", target)
    if report.shown_peers:
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
        # Only the shown rows: the hidden ones follow them and are not drawn.
        chart.add_data(
            Reference(ws, min_col=3, min_row=2, max_row=shown_last), titles_from_data=True
        )
        names = Reference(ws, min_col=1, min_row=first, max_row=shown_last)
        for series in chart.series:  # names are text: a string reference, not numRef
            series.cat = AxDataSource(strRef=StrRef(f=str(names)))
        chart.width = 18
        chart.height = min(max(7.5, 0.55 * len(report.shown_peers) + 3), 120)
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
    sheet.fit()


# --------------------------------------------------------------------------- Utvikling


def _years_sheet(ws: Worksheet, ctx: Context) -> None:
    report, text, lang = ctx.report, ctx.text, ctx.language
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
    target_format = percent_format(_target_decimals(report.target))
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
            ],
            [None, *ctx.share_formats(point.share), None, target_format],
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
    for line in sentences.continuity(report, lang):  # earlier numbers, a merger or split
        sheet.put(r, 1, line, fit=False)
        r += 1
    sheet.put(r, 1, sentences.trend(report, lang), fit=False)
    hidden_years = sentences.hidden_years(report, lang)
    if hidden_years:
        sheet.put(r + 1, 1, hidden_years, fit=False)
    sheet.fit()


# --------------------------------------------------------------------------- questions


def _question_sheet(ws: Worksheet, ctx: Context, summary: QuestionSummary) -> None:
    question, text, lang = summary.question, ctx.text, ctx.language
    sheet = SheetBuilder(ws)
    sheet.put(1, 1, pick(question.text, lang) or question.code, font=TITLE, fit=False)
    sheet.put(2, 1, question.code)
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
        sheet.row(3, ["n", text("Mean"), text("Lowest"), text("Highest")], font=BOLD)
        values: list[Any] = [numeric.mean, numeric.low, numeric.high]
        formats: list[str | None] = [MEAN, None, None]
        if question.type == "duration":
            # Whole seconds as Excel times: "2:05" beside the page's "2 min 5 s".
            values = [_excel_time(v) for v in values]
            formats = [DURATION] * 3
        sheet.row(4, [numeric.n, *values], [None, *formats])
        if question.type == "duration":
            sheet.put(5, 1, text("(minutes and seconds)"))
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
            text("Value"),
            text("Note"),
        ],
        font=BOLD,
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
    if summary.hidden_options:
        sheet.put(r, 1, sentences.hidden_groups(lang, ctx.min_group_size), fit=False)
        r += 1
    r += 1
    if summary.mean is not None:
        interval = summary.mean.interval
        sheet.row(
            r,
            [
                None,
                None,
                text("Mean"),
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
    sheet.fit()


def _excel_time(seconds: float | None) -> float | None:
    """Seconds as a fraction of a day, rounded to whole seconds as the page rounds them."""
    if seconds is None:
        return None
    return int(formatting.round_half_up(seconds, 0)) / 86_400


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
    if answers is None:
        book.save(target)
        return ExportResult(book.sheetnames, 0)

    source = raw.RawAnswers.for_selection(answers, report.data_codes, report.definition)
    placeholder = book.create_sheet(ANSWERS)
    styles = raw.register_styles(placeholder)
    with tempfile.TemporaryDirectory(prefix="surveyapp-export-") as folder:
        files, responses = raw.write_raw_sheets(
            source, Path(folder), styles, max_rows, book.create_sheet, ANSWERS, language
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
        "shown_share",
        "shown_interval",
        "note",
    ]


def _aggregate_share(share: Share, language: str, min_group_size: int) -> list[Any]:
    """share, low, high, n, the shown share and interval, and a note: as the page has them."""
    p = share.proportion
    if p is not None:
        return [
            p.share,
            p.interval.low,
            p.interval.high,
            share.n,
            sentences.share_text(share, language),
            sentences.interval_text(share, language),
            None,
        ]
    note = sentences.hidden_cell(share, language, min_group_size)
    n: Any = None
    if share.state == EMPTY:
        n = share.n
    return [None, None, None, n, None, None, note]


def aggregate_rows(report: MunicipalityReport, language: str) -> Iterator[list[Any]]:
    """Every aggregate of the report as CSV rows: the headline, the share satisfied per
    group, then question, option, count, share, low, high, n per option — each with the
    share and interval as the page shows them, and hidden cells left blank."""
    text = translator(language)
    minimum = report.min_group_size
    yield [
        "satisfied",
        text("Share satisfied"),
        None,
        None,
        report.headline.k if report.headline.proportion else None,
        *_aggregate_share(report.headline, language, minimum),
    ]
    for breakdown in report.breakdowns:
        code = f"satisfied_by:{breakdown.question.code}"
        wording = text(
            "Share satisfied by answer to “%(q)s”", q=pick(breakdown.question.text, language)
        )
        for row in breakdown.rows:
            yield [
                code,
                wording,
                row.value,
                pick(row.label, language),
                row.share.k if row.share.proportion else None,
                *_aggregate_share(row.share, language, minimum),
            ]
    for summary in report.questions:
        question = summary.question
        wording = pick(question.text, language)
        if summary.suppressed:
            note = (
                text("Hidden to protect respondents")
                if summary.protected
                else text("Hidden: fewer than %(n)s answers", n=minimum)
            )
            yield [
                question.code,
                wording,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                note,
            ]
            continue
        if summary.numeric is not None:
            numeric = summary.numeric
            if question.type == "duration":
                mean, low, high = (
                    formatting.duration(v, language)
                    for v in (numeric.mean, numeric.low, numeric.high)
                )
            else:
                mean = formatting.number(numeric.mean, language, 1)
                low = formatting.number(numeric.low, language, 0)
                high = formatting.number(numeric.high, language, 0)
            note = text(
                "%(n)s answers; mean %(mean)s (from %(low)s to %(high)s).",
                n=formatting.count(numeric.n, language),
                mean=mean,
                low=low,
                high=high,
            )
            yield [
                question.code,
                wording,
                None,
                None,
                None,
                None,
                None,
                None,
                numeric.n,
                None,
                None,
                note,
            ]
            continue
        for option in summary.options:
            label = pick(option.label, language) if option.label else text("Don't know")
            if option.protected:
                yield [
                    question.code,
                    wording,
                    option.value,
                    label,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    text("Hidden to protect respondents"),
                ]
            elif option.share.proportion is None:
                yield [
                    question.code,
                    wording,
                    option.value,
                    label,
                    option.count,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    text("Not part of n"),
                ]
            else:
                yield [
                    question.code,
                    wording,
                    option.value,
                    label,
                    option.count,
                    *_aggregate_share(option.share, language, minimum),
                ]
