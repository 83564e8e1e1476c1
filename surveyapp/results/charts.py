"""Charts (matplotlib, Agg) as SVG or PNG, drawn from a MunicipalityReport.

One style for all charts; shares in percent through ``formatting`` in the language
given; the own municipality is marked by colour *and* hatching, never by colour alone,
and the legend says what the hatching and the dashed target line mean. Question charts
write each share and n on the chart. Demo data is labelled on every chart. SVG text is
real text (``svg.fonttype: none``), so it can be read, searched and translated.
Hidden figures are not drawn (a bar at a hidden value, or a gap in its place, would
give it away); a note under the chart says what is left out. Plain: no Flask.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from surveyapp import formatting  # noqa: E402
from surveyapp.catalogs import translator  # noqa: E402
from surveyapp.formatting import pick  # noqa: E402
from surveyapp.results import sentences  # noqa: E402
from surveyapp.results.report import MunicipalityReport, QuestionSummary  # noqa: E402

BLUE = "#0b4f8a"
GREY = "#8a9199"
ORANGE = "#b34700"
TARGET = "#1b1b1b"
FORMATS = {"svg": "image/svg+xml", "png": "image/png"}


def _percent_formatter(language: str, decimals: int = 0) -> FuncFormatter:
    def fmt(value: float, _pos: object) -> str:
        return formatting.percent(value, language, decimals)

    return FuncFormatter(fmt)


def _note(figure: Figure, text: str) -> None:
    """What the chart leaves out, under it (also in the page's caption and alt text)."""
    if text:
        # A figure-level label: the constrained layout keeps room for it under the axes.
        figure.supxlabel(text, x=0.01, ha="left", fontsize=7.5, color=GREY, wrap=True)


def _demo(figure: Figure, report_demo: bool, language: str) -> None:
    """The demo label in the top right corner, on every chart of demo data."""
    if report_demo:
        figure.text(
            0.99,
            0.99,
            translator(language)("Demo data – fictitious figures"),
            fontsize=8,
            fontweight="bold",
            color=ORANGE,
            ha="right",
            va="top",
        )


def _figure(width: float, height: float) -> Figure:
    plt.rcParams.update(
        {
            "font.family": "DejaVu Sans",
            "font.size": 10,
            "svg.fonttype": "none",  # real text in SVG, not outlines
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _render(figure: Figure, fmt: str) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(
        buffer,
        format=fmt,
        dpi=150 if fmt == "png" else 100,
        metadata={"Date": None} if fmt == "svg" else None,
    )
    return buffer.getvalue()


def trend_chart(report: MunicipalityReport, language: str, fmt: str = "svg") -> bytes:
    """Share satisfied per year with 95 % intervals, the target line and wording breaks."""
    _ = translator(language)
    figure = _figure(7, 3.6)
    axes = figure.add_subplot()
    shown = [p for p in report.trend if p.share.proportion is not None]
    years = [p.year for p in shown]
    shares = [p.share.proportion.share for p in shown if p.share.proportion]
    lows = [
        s - p.share.proportion.interval.low
        for s, p in zip(shares, shown, strict=True)
        if p.share.proportion
    ]
    highs = [
        p.share.proportion.interval.high - s
        for s, p in zip(shares, shown, strict=True)
        if p.share.proportion
    ]
    axes.errorbar(
        years,
        shares,
        yerr=[lows, highs],
        fmt="o-",
        color=BLUE,
        ecolor=BLUE,
        capsize=4,
        label=_("Share satisfied with %(level)s interval", level="95 %"),
    )
    axes.axhline(report.target, color=TARGET, linestyle="--", linewidth=1.2, label=_("Target"))
    for point in report.trend:
        if point.reform_before:  # pooled predecessors before, the municipality's own after
            axes.axvline(point.year - 0.5, color=GREY, linestyle="--", linewidth=1.5)
            axes.annotate(
                _("merger"),
                (point.year - 0.45, 0.10),
                xycoords=("data", "axes fraction"),
                color=GREY,
                fontsize=8,
            )
        if point.break_before:
            axes.axvline(point.year - 0.5, color=ORANGE, linestyle=":", linewidth=1.5)
            axes.annotate(
                _("wording changed"),
                (point.year - 0.45, 0.03),
                xycoords=("data", "axes fraction"),
                color=ORANGE,
                fontsize=8,
            )
    axes.set_ylim(0, 1)
    axes.yaxis.set_major_formatter(_percent_formatter(language))
    axes.set_xticks(years or [report.year])
    # Titled with the questionnaire (what was asked), not the municipality.
    axes.set_title(pick(report.definition.title, language), loc="left", fontsize=11)
    axes.legend(loc="lower right", frameon=False, fontsize=8)
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    _note(figure, sentences.hidden_years(report, language))
    _demo(figure, report.demo, language)
    return _render(figure, fmt)


def peers_chart(report: MunicipalityReport, language: str, fmt: str = "svg") -> bytes:
    """Peers ranked by share satisfied (highest at the top); the own one highlighted."""
    _ = translator(language)
    rows = list(reversed(report.shown_peers))  # barh draws the first row at the bottom
    figure = _figure(7, max(2.5, 0.28 * len(rows) + 1.2))
    axes = figure.add_subplot()
    labels = [sentences.peer_name(p, report.year, language) for p in rows]
    values = [p.share.proportion.share for p in rows if p.share.proportion]
    colours = [BLUE if p.is_own else GREY for p in rows]
    bars = axes.barh(labels, values, color=colours)
    for bar, row in zip(bars, rows, strict=True):
        if row.is_own:
            bar.set_hatch("//")
            bar.set_edgecolor("#ffffff")
    for tick, row in zip(axes.get_yticklabels(), rows, strict=True):
        if row.is_own:
            tick.set_fontweight("bold")
    axes.axvline(report.target, color=TARGET, linestyle="--", linewidth=1.2)
    axes.set_xlim(0, 1)
    axes.xaxis.set_major_formatter(_percent_formatter(language))
    axes.set_title(_("Share satisfied, %(year)s", year=report.year), loc="left", fontsize=11)
    figure.legend(
        handles=[
            Patch(facecolor=BLUE, edgecolor="#ffffff", hatch="//", label=_("this municipality")),
            Patch(facecolor=GREY, label=_("other municipalities")),
            Line2D(
                [],
                [],
                color=TARGET,
                linestyle="--",
                linewidth=1.2,
                label=_("Target (%(t)s)", t=formatting.target(report.target, language)),
            ),
        ],
        loc="outside upper right",
        ncol=3,
        frameon=False,
        fontsize=8,
    )
    _note(figure, sentences.hidden_peers(report, language))
    _demo(figure, report.demo, language)
    return _render(figure, fmt)


def question_chart(
    summary: QuestionSummary,
    language: str,
    fmt: str = "svg",
    min_group_size: int = 5,
    demo: bool = False,
) -> bytes:
    """Shares of the valid answers to one question ("don't know" and hidden groups left out),
    each bar with its share; n under the title."""
    _ = translator(language)
    options = [o for o in summary.options if o.share.proportion is not None]
    figure = _figure(7, max(2.4, 0.35 * len(options) + 1.5))
    axes = figure.add_subplot()
    labels = [pick(o.label, language) for o in options]
    shown = [o.share for o in options if o.share.proportion]
    values = [s.proportion.share for s in shown if s.proportion]
    bars = axes.barh(labels[::-1], values[::-1], color=BLUE)
    axes.bar_label(
        bars,
        labels=[sentences.share_text(s, language) for s in shown[::-1]],
        padding=3,
        fontsize=8.5,
    )
    axes.set_xlim(0, 1.12)  # room for the value beside a bar at 100 %
    axes.set_xticks([0, 0.25, 0.5, 0.75, 1])
    axes.xaxis.set_major_formatter(_percent_formatter(language))
    title = pick(summary.question.text, language)
    n = _("Answers (n = %(n)s)", n=formatting.count(summary.n, language))
    axes.set_title(f"{title}\n{n}", loc="left", fontsize=10, wrap=True)
    notes = []
    if summary.hidden_options:
        notes.append(sentences.hidden_groups(language, min_group_size))
    if summary.dont_know:
        notes.append(
            _(
                "“Don't know”: %(n)s, not part of n.",
                n=formatting.count(summary.dont_know, language),
            )
        )
    _note(figure, " ".join(notes))
    _demo(figure, demo, language)
    return _render(figure, fmt)
