"""Every table of the dashboard as one long, pivot-ready list of figures.

One row per figure: which table it belongs to, which question and row, the figure in its
unit (a share in percent, a difference in percentage points, a mean, an index, a rank, a
score, seconds), its 95 % interval, n, p and a note in words (the verdict, or why a cell
is hidden). The figures CSV and the workbook's "Tall" sheet are this list; the CSV
writes each number rounded as every other output shows it (``formatting``: the same
digits as the page), the workbook the exact value with the number format that shows
those digits.

Plain: no Flask; the language is a parameter. Hidden cells are blank, with the reason
in the note, exactly as the report (and so the dashboard) has them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from surveyapp import formatting
from surveyapp.catalogs import translator
from surveyapp.formatting import pick
from surveyapp.questionnaires import types as question_types
from surveyapp.results import sentences
from surveyapp.results.report import EMPTY, MunicipalityReport, Share

# Units (codes; the sheet and the CSV write them in the user's language).
PERCENT, POINTS, MEAN, INDEX, RANK, SCORE, SECONDS, NUMBER = (
    "percent",
    "points",
    "mean",
    "index",
    "rank",
    "score",
    "seconds",
    "number",
)

#: The columns' codes: the CSV's second header row and the sheet's table.
CODES = [
    "table_code",
    "table",
    "question_code",
    "question",
    "row_code",
    "row",
    "year",
    "unit",
    "count",
    "value",
    "low",
    "high",
    "n",
    "p",
    "note",
]


@dataclass(frozen=True)
class Figure:
    """One row. value/low/high are exact (a share 0.78, a difference −0.05); ``decimals``
    and ``interval_decimals`` are the decimals every output shows them with (in the
    unit: percent for shares, points for differences)."""

    table_code: str
    table: str
    question_code: str | None
    question: str | None
    row_code: str | None
    row: str | None
    year: int | None
    unit: str | None
    count: int | None = None
    value: float | None = None
    low: float | None = None
    high: float | None = None
    n: int | str | None = None
    p: float | None = None
    note: str | None = None
    decimals: int = 1
    interval_decimals: int = 1
    p_decimals: int = 3

    @property
    def scale(self) -> int:
        """Exact value × scale = the figure in its unit (shares and points are fractions)."""
        return 100 if self.unit in (PERCENT, POINTS) else 1

    def rounded(self, value: float | None, decimals: int) -> Decimal | None:
        if value is None:
            return None
        return formatting.round_half_up(formatting.exact(value) * self.scale, decimals)

    def csv_values(self, language: str) -> list[Any]:
        """The row as the CSV writes it: numbers rounded as every output shows them."""
        p: Any = None
        if self.p is not None:
            shown = formatting.p_value(self.p, language).removeprefix("p ")
            exact = formatting.round_half_up(self.p, self.p_decimals)
            p = shown if shown.startswith("<") else exact
        return [
            self.table_code,
            self.table,
            self.question_code,
            self.question,
            self.row_code,
            self.row,
            self.year,
            unit_label(self.unit, language),
            self.count,
            self.rounded(self.value, self.decimals),
            self.rounded(self.low, self.interval_decimals),
            self.rounded(self.high, self.interval_decimals),
            self.n,
            p,
            self.note,
        ]


def header(language: str) -> list[str]:
    """The columns' names in the user's language (in the order of ``CODES``)."""
    text = translator(language)
    return [
        text("Table code"),
        text("Table"),
        text("Question code"),
        text("Question"),
        text("Row code"),
        text("Row"),
        text("Year"),
        text("Unit"),
        text("Count"),
        text("Value"),
        text("95 %% interval, low"),
        text("95 %% interval, high"),
        "n",
        "p",
        text("Note"),
    ]


def codes() -> list[str]:
    return list(CODES)


def unit_label(unit: str | None, language: str) -> str | None:
    text = translator(language)
    labels = {
        PERCENT: "%",
        POINTS: text("percentage points"),
        MEAN: text("Mean"),
        INDEX: text("Index from 0 to 100"),
        RANK: text("Rank"),
        SCORE: text("Score"),
        SECONDS: text("seconds"),
        NUMBER: text("Value"),
    }
    return labels.get(unit or "")


def p_decimals(p: float, language: str, alpha: float = 0.05) -> int:
    """The decimals ``formatting.p_value`` shows p with (3, more near alpha)."""
    shown = formatting.p_value(p, language, alpha)
    digits = shown.replace(",", ".").split(".")
    return len(digits[-1]) if len(digits) > 1 else 0


# --------------------------------------------------------------------------- the rows


def _share(share: Share, language: str, minimum: int) -> dict[str, Any]:
    """value, low, high, n and decimals of a share, or blanks and the reason it is hidden."""
    p = share.proportion
    if p is not None:
        return {
            "value": p.share,
            "low": p.interval.low,
            "high": p.interval.high,
            "n": share.n,
            "decimals": share.precision.share,
            "interval_decimals": share.precision.interval,
        }
    note = sentences.hidden_cell(share, language, minimum)
    n: int | str | None = None
    if share.state == EMPTY:
        n = share.n
    elif not share.protected and share.n > 0:
        n = f"< {minimum}"
    return {"n": n, "note": note}


def figure_rows(report: MunicipalityReport, language: str) -> Iterator[Figure]:
    """Every figure of the dashboard, table by table, in the page's order."""
    text = translator(language)
    minimum = report.min_group_size
    year = report.year
    indicator = report.definition.indicator
    indicator_code = indicator.question if indicator is not None else None
    indicator_text = None
    if indicator_code is not None:
        indicator_text = pick(report.definition.question(indicator_code).text, language)

    # The headline and the change since the year before.
    headline = report.headline
    verdict = (
        sentences.verdict(report.comparison, language)
        if report.comparison is not None
        else sentences.headline_hidden(report, language)
    )
    shown = _share(headline, language, minimum)
    shown["note"] = verdict
    yield Figure(
        "headline",
        text("Share satisfied"),
        indicator_code,
        indicator_text,
        "satisfied",
        text("Share satisfied"),
        year,
        PERCENT,
        count=headline.k if headline.proportion else None,
        **shown,
    )
    change = report.change
    previous = report.previous
    yield Figure(
        "change",
        text("Change since the year before"),
        indicator_code,
        indicator_text,
        str(previous.year) if previous else None,
        text("Change since the year before"),
        year,
        POINTS,
        value=change.estimate if change else None,
        low=change.interval.low if change else None,
        high=change.interval.high if change else None,
        p=change.p_value if change else None,
        note=sentences.change(report, language),
        decimals=sentences.difference_decimals(change) if change else 1,
        interval_decimals=sentences.difference_decimals(change) if change else 1,
        p_decimals=p_decimals(change.p_value, language, change.alpha) if change else 3,
    )

    # Years: the municipality's own under every number it had (saying the number then),
    # and the years only its predecessors have figures for (a break, as on the page).
    for row_year, point in report.trend_rows:
        if point is None:
            yield Figure(
                "years",
                text("Share satisfied per year"),
                indicator_code,
                indicator_text,
                str(row_year),
                str(row_year),
                row_year,
                PERCENT,
                note=sentences.predecessor_year(report, language) or None,
            )
            continue
        note = sentences.point_note(point, report, language)  # wording, number then, pooled
        notes = [note] if note else []
        shown = _share(point.share, language, minimum)
        if shown.get("note"):
            notes.append(shown.pop("note"))
        yield Figure(
            "years",
            text("Share satisfied per year"),
            indicator_code,
            indicator_text,
            str(point.year),
            str(point.year),
            point.year,
            PERCENT,
            count=point.share.k if point.share.proportion else None,
            note=" ".join(notes) or None,
            **shown,
        )
    if report.trend_test is not None:
        yield Figure(
            "years",
            text("Share satisfied per year"),
            indicator_code,
            indicator_text,
            "trend",
            text("Trend"),
            year,
            POINTS,
            note=sentences.trend(report, language),
        )
    history = sentences.continuity(report, language)  # earlier numbers, a merger or split
    if history:
        yield Figure(
            "years",
            text("Share satisfied per year"),
            indicator_code,
            indicator_text,
            "continuity",
            None,
            year,
            None,
            note=" ".join(history),
        )

    # Municipalities compared.
    peers_table = text("Share satisfied in %(year)s", year=year)
    for peer in report.peers:
        shown = _share(peer.share, language, minimum)
        note = text("this municipality") if peer.is_own else shown.pop("note", None)
        shown.pop("note", None)
        yield Figure(
            "peers",
            peers_table,
            indicator_code,
            indicator_text,
            peer.code,
            sentences.peer_name(peer, year, language),
            year,
            PERCENT,
            note=note,
            **shown,
        )
    for peer in report.peers:
        d = peer.difference
        if d is None:
            continue
        yield Figure(
            "differences",
            text("Difference (this municipality minus the other)"),
            indicator_code,
            indicator_text,
            peer.code,
            sentences.peer_name(peer, year, language),
            year,
            POINTS,
            value=d.estimate,
            low=d.interval.low,
            high=d.interval.high,
            p=d.p_value,
            note=sentences.difference_cell(peer, language),
            decimals=sentences.difference_decimals(d),
            interval_decimals=sentences.difference_decimals(d),
            p_decimals=p_decimals(d.p_value, language, d.alpha),
        )
    summary = report.peer_summary
    label = sentences.peer_label(report.peer_scope, language)
    compared = text("Compared with other municipalities")
    if summary is not None and summary.own_rank is not None:
        yield Figure(
            "peer_summary",
            compared,
            indicator_code,
            indicator_text,
            "rank",
            text("Rank"),
            year,
            RANK,
            value=summary.own_rank,
            n=summary.n_ranked,
            note=sentences.ranking(report, language) or label,
            decimals=0,
        )
    if summary is not None and summary.mean_share is not None:
        yield Figure(
            "peer_summary",
            compared,
            indicator_code,
            indicator_text,
            "mean",
            text("Mean of municipalities"),
            year,
            PERCENT,
            value=summary.mean_share,
            note=label,
            decimals=sentences.side_decimals(summary.mean_share, report.target),
        )
    if summary is not None and summary.pooled is not None:
        pooled = summary.pooled
        precision = sentences.pooled_precision(summary, report.target)
        yield Figure(
            "peer_summary",
            compared,
            indicator_code,
            indicator_text,
            "pooled",
            text("Pooled"),
            year,
            PERCENT,
            count=pooled.k,
            value=pooled.share,
            low=pooled.interval.low,
            high=pooled.interval.high,
            n=pooled.n,
            note=label,
            decimals=precision.share,
            interval_decimals=precision.interval,
        )
    for reference in report.references:
        interval = reference.interval
        yield Figure(
            "references",
            text("Reference values from other sources"),
            indicator_code,
            indicator_text,
            reference.code,
            sentences.peer_name(reference, year, language),
            year,
            PERCENT,
            value=reference.value,
            low=interval.low if interval else None,
            high=interval.high if interval else None,
            n=reference.n,
            note=(
                reference.source
                if reference.value is not None
                else f"{reference.source}: {text('Hidden: fewer than %(n)s answers', n=minimum)}"
            ),
        )

    # Share satisfied per group, and per channel when answers came through more than one
    # (the channel table's question is the indicator's).
    groups = [
        (
            f"group:{b.question.code}",
            text("Share satisfied by answer to “%(q)s”", q=pick(b.question.text, language)),
            b,
        )
        for b in report.breakdowns
    ]
    if report.channels is not None:
        groups.append(("channel", text("Share satisfied by channel"), report.channels))
    for table_code, table, breakdown in groups:
        for row in breakdown.rows:
            shown = _share(row.share, language, minimum)
            yield Figure(
                table_code,
                table,
                breakdown.question.code,
                pick(breakdown.question.text, language),
                row.value,
                pick(row.label, language),
                year,
                PERCENT,
                count=row.share.k if row.share.proportion else None,
                **shown,
            )

    # Every question.
    questions = text("Every question")
    for summary_q in report.questions:
        question = summary_q.question
        wording = pick(question.text, language)

        def figure(code: str = question.code, asked: str = wording, **values: Any) -> Figure:
            return Figure("question", questions, code, asked, year=year, **values)

        if summary_q.suppressed:
            note = (
                text("Hidden to protect respondents")
                if summary_q.protected
                else text("Hidden: fewer than %(n)s answers", n=minimum)
            )
            yield figure(row_code=None, row=None, unit=None, note=note)
            continue
        if summary_q.numeric is not None:
            numeric = summary_q.numeric
            duration = question_types.get(question.type).duration
            unit = SECONDS if duration else NUMBER
            decimals = 0 if duration else 1
            for code, label, value in (
                ("mean", text("Mean"), numeric.mean),
                ("lowest", text("Lowest"), numeric.low),
                ("highest", text("Highest"), numeric.high),
            ):
                yield figure(
                    row_code=code,
                    row=label,
                    unit=unit,
                    value=value,
                    n=numeric.n,
                    decimals=decimals if code == "mean" else 0,
                )
            continue
        for option in summary_q.options:
            label = pick(option.label, language) if option.label else text("Don't know")
            if option.protected:
                yield figure(
                    row_code=option.value,
                    row=label,
                    unit=PERCENT,
                    note=text("Hidden to protect respondents"),
                )
            elif option.share.proportion is None:
                yield figure(
                    row_code=option.value,
                    row=label,
                    unit=PERCENT,
                    count=option.count,
                    note=text("Not part of n"),
                )
            else:
                yield figure(
                    row_code=option.value,
                    row=label,
                    unit=PERCENT,
                    count=option.count,
                    **_share(option.share, language, minimum),
                )
        if summary_q.mean is not None:
            interval = summary_q.mean.interval
            yield figure(
                row_code="mean",
                row=text("Mean"),
                unit=MEAN,
                value=summary_q.mean.mean,
                low=interval.low if interval else None,
                high=interval.high if interval else None,
                n=summary_q.mean.n,
                decimals=2,
                interval_decimals=2,
            )
        if summary_q.index is not None:
            interval = summary_q.index.interval
            yield figure(
                row_code="index",
                row=text("Index from 0 to 100"),
                unit=INDEX,
                value=summary_q.index.mean,
                low=interval.low if interval else None,
                high=interval.high if interval else None,
                n=summary_q.index.n,
                decimals=0,
                interval_decimals=1,
            )

    # The service test.
    st = report.service_test
    if st is not None:
        table = text("Service test")
        status = None if st.locked else text("not final yet")
        for code, label, value, unit in (
            ("score", text("Score"), st.score, SCORE),
            ("rank", text("Rank"), st.rank, RANK),
            ("national_average", text("National average"), st.national_average, SCORE),
        ):
            yield Figure(
                "service_test",
                table,
                None,
                st.title,
                code,
                label,
                year,
                unit,
                value=value,
                n=st.ranked if code == "rank" else None,
                note=status,
                decimals=0 if unit == RANK else 1,
            )
