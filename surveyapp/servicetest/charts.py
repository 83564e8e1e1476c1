"""The service-test trend chart: a municipality's score per round, one line per series of
comparable rounds (same scoring fingerprint), the pass mark dashed. SVG with real text.
Plain: no Flask; the language is a parameter."""

from __future__ import annotations

from collections.abc import Sequence

from surveyapp import formatting
from surveyapp.catalogs import translator
from surveyapp.results.charts import BLUE, ORANGE, TARGET, _demo, _figure, _render
from surveyapp.servicetest.trends import RoundPoint


def trend_chart(name: str, points: Sequence[RoundPoint], language: str) -> bytes:
    _ = translator(language)
    figure = _figure(7, 3.4)
    axes = figure.add_subplot()
    series: list[list[RoundPoint]] = []
    for point in points:
        if point.score is None:
            continue
        if not series or point.break_before:
            series.append([])
        series[-1].append(point)
    for number, part in enumerate(series):
        axes.plot(
            [p.year for p in part],
            [p.score or 0.0 for p in part],
            "o-",
            color=BLUE if number == len(series) - 1 else ORANGE,
            label=_("Score") if number == len(series) - 1 else _("Score, earlier scoring rules"),
        )
        for p in part:
            axes.annotate(
                formatting.number(p.score, language, 1),
                (p.year, p.score or 0),
                textcoords="offset points",
                xytext=(0, 6),
                ha="center",
                fontsize=8,
            )
    if points:
        axes.axhline(
            points[-1].pass_mark,
            color=TARGET,
            linestyle="--",
            linewidth=1.1,
            label=_("Pass mark"),
        )
    axes.set_ylim(0, 105)
    axes.set_xticks(sorted({p.year for p in points}) or [0])
    axes.set_title(name, loc="left", fontsize=11)
    if points:  # nothing to label for a municipality without rounds
        axes.legend(loc="lower right", frameon=False, fontsize=8)
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    _demo(figure, any(p.demo for p in points), language)
    return _render(figure, "svg")
