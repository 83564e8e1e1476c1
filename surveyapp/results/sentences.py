"""The sentences every output writes about a report, in a language given as a parameter.

Plain (no Flask): numbers through ``formatting``, words through ``catalogs``. The
dashboard (as template globals), the workbook and the PDF call these, so a verdict, a
change or a note reads the same everywhere and the words never contradict the figures
beside them. Rules behind them: docs/statistics.md.
"""

from __future__ import annotations

from fractions import Fraction

from surveyapp import formatting
from surveyapp.catalogs import Translator, translator
from surveyapp.municipalities import years
from surveyapp.municipalities.history import MERGED, Formation, Period
from surveyapp.results import stats
from surveyapp.results.report import (
    MunicipalityReport,
    PeerRow,
    PeerScope,
    ReferenceRow,
    Share,
    YearPoint,
)


def _t(language: str) -> Translator:
    return translator(language)


# --------------------------------------------------------------------------- figures


def share_text(share: Share, language: str) -> str:
    """The share at its own precision ("79,95 %" where "80,0 %" would mislead)."""
    if share.proportion is None:
        return formatting.DASH
    return formatting.share(share.k, share.n, language, share.precision.share)


def interval_text(share: Share, language: str) -> str:
    if share.proportion is None:
        return formatting.DASH
    interval = share.proportion.interval
    return formatting.interval(interval.low, interval.high, language, share.precision.interval)


def difference_decimals(difference: stats.Difference) -> int:
    """Decimals of the points so that the shown interval ends sit on the side of 0 the
    interval does (never "−0,0" for an end below 0)."""
    low, high = difference.interval.low, difference.interval.high
    return formatting.interval_decimals(low, high, 0, formatting.side(low, high))


def points_text(difference: stats.Difference, language: str) -> tuple[str, str, str]:
    """Estimate and interval ends in percentage points, signed with U+2212."""
    decimals = difference_decimals(difference)
    return (
        formatting.points(difference.estimate, language, decimals),
        formatting.points(difference.interval.low, language, decimals),
        formatting.points(difference.interval.high, language, decimals),
    )


def side_decimals(value: float | None, target: float) -> int:
    """Decimals for a share compared with the target only by eye (a mean or a best share):
    enough that it never reads as sitting on the other side of the target."""
    if value is None:
        return 1
    return formatting.share_decimals(
        value, target, formatting.exact(value) >= formatting.exact(target)
    )


def pooled_precision(summary: stats.PeerSummary, target: float) -> stats.Precision:
    """Decimals of the pooled share and its interval beside the target."""
    pooled = summary.pooled
    if pooled is None:
        return stats.Precision(1, 1)
    low, high = pooled.interval.low, pooled.interval.high
    return stats.Precision(
        formatting.share_decimals(
            Fraction(pooled.k, pooled.n),
            target,
            Fraction(pooled.k, pooled.n) >= formatting.exact(target),
        ),
        formatting.interval_decimals(low, high, target, formatting.side(low, high, target)),
    )


def level(difference: stats.Difference, language: str) -> str:
    return formatting.target(difference.alpha, language)


# --------------------------------------------------------------------------- headline


def peer_label(scope: PeerScope, language: str) -> str:
    _ = _t(language)
    if scope.kind == "county":
        return _("municipalities in %(county)s", county=scope.name)
    if scope.kind.startswith("group:"):
        return _("the group “%(name)s”", name=scope.name)
    return _("all municipalities with this survey")


def verdict(comparison: stats.TargetComparison, language: str) -> str:
    _ = _t(language)
    goal = formatting.target(comparison.target, language)
    return {
        stats.Verdict.ABOVE: _("Over the target: the whole interval lies above %(t)s.", t=goal),
        stats.Verdict.BELOW: _("Under the target: the whole interval lies below %(t)s.", t=goal),
        stats.Verdict.INDISTINGUISHABLE: _(
            "Not distinguishable from the target at this sample size: the interval contains %(t)s.",
            t=goal,
        ),
    }[comparison.verdict]


def point_side(comparison: stats.TargetComparison, language: str) -> str:
    _ = _t(language)
    goal = formatting.target(comparison.target, language)
    if comparison.point_at_or_above:
        return _("The share itself is at or above the target of %(t)s.", t=goal)
    return _("The share itself is below the target of %(t)s.", t=goal)


def interval_method(share: Share, language: str) -> str:
    """Which interval is shown, when it is the exact one (fewer than 30 answers)."""
    _ = _t(language)
    if share.proportion is None or share.proportion.interval.method != stats.CLOPPER_PEARSON:
        return ""
    return _(
        "With fewer than %(n)s answers the interval is the exact (Clopper–Pearson) interval, "
        "and the verdict follows it.",
        n=stats.SMALL_SAMPLE,
    )


def answers_line(report: MunicipalityReport, language: str) -> str:
    _ = _t(language)
    return _(
        "%(k)s of %(n)s answers were satisfied (the two best answers; “don't know” left out).",
        k=formatting.count(report.headline.k, language),
        n=formatting.count(report.headline.n, language),
    )


def interval_line(report: MunicipalityReport, language: str) -> str:
    _ = _t(language)
    share = report.headline
    assert share.proportion is not None
    interval = share.proportion.interval
    decimals = share.precision.interval
    return _(
        "95 %% interval: %(low)s – %(high)s.",
        low=formatting.percent(interval.low, language, decimals),
        high=formatting.percent(interval.high, language, decimals),
    )


def precision_note(share: Share, language: str) -> str:
    """Why more decimals are shown, when they are."""
    _ = _t(language)
    decimals = max(share.precision.share, share.precision.interval)
    if share.proportion is None or decimals <= 1:
        return ""
    return _(
        "Shown with more decimals than usual, so that the rounded figures agree with the verdict."
    )


def headline_hidden(report: MunicipalityReport, language: str) -> str:
    _ = _t(language)
    if report.headline.suppressed and report.headline.n > 0:
        return _(
            "Hidden: fewer than %(n)s answers. Figures resting on so few answers are not "
            "shown, to protect respondents and because they say little.",
            n=report.min_group_size,
        )
    return _("No answers to the satisfaction question this year.")


# --------------------------------------------------------------------------- changes


def _difference_verdict(difference: stats.Difference, language: str) -> str:
    """What the interval says, and plainly whether Fisher's exact test agrees."""
    _ = _t(language)
    level_text = level(difference, language)
    if difference.agrees:
        return {
            "up": _("The share has risen: the whole interval lies above 0, and the test agrees."),
            "down": _(
                "The share has fallen: the whole interval lies below 0, and the test agrees."
            ),
            "none": _("The change cannot be told apart from no change."),
        }[difference.direction]
    if difference.direction == "none":
        return _(
            "Fisher's exact test is significant at the %(level)s level, but the interval "
            "contains 0: the two methods disagree. The verdict follows the interval: the "
            "change cannot be told apart from no change.",
            level=level_text,
        )
    return {
        "up": _(
            "The whole interval lies above 0, but Fisher's exact test is not significant at "
            "the %(level)s level: at so few answers the two methods disagree. The verdict "
            "follows the interval: the share has risen.",
            level=level_text,
        ),
        "down": _(
            "The whole interval lies below 0, but Fisher's exact test is not significant at "
            "the %(level)s level: at so few answers the two methods disagree. The verdict "
            "follows the interval: the share has fallen.",
            level=level_text,
        ),
    }[difference.direction]


def change(report: MunicipalityReport, language: str) -> str:
    """The year-on-year sentence: figures, the verdict, and whether the test agrees."""
    _ = _t(language)
    formation = report.continuity.formation if report.continuity else None
    if report.previous is None and formation is not None:
        return _(
            "No earlier year of its own to compare with: %(name)s was formed on 1 January "
            "%(year)s, and its predecessors' years are not its own.",
            name=report.municipality.name,
            year=formation.on.year,
        )
    if report.previous is None:
        return _("No earlier year to compare with.")
    if not report.change_comparable:
        return _(
            "The question was worded differently in %(year)s, so the years are not compared "
            "as equal.",
            year=report.previous.year,
        )
    if report.change is None:
        return _("Hidden: one of the years has fewer than %(n)s answers.", n=report.min_group_size)
    estimate, low, high = points_text(report.change, language)
    figures = _(
        "%(diff)s percentage points since %(year)s (95 %% interval %(low)s to %(high)s; "
        "Fisher's exact test %(p)s).",
        diff=estimate,
        year=report.previous.year,
        low=low,
        high=high,
        p=formatting.p_value(report.change.p_value, language, report.change.alpha),
    )
    text = f"{figures} {_difference_verdict(report.change, language)}"
    if report.previous.pooled:
        text += " " + _(
            "%(year)s is the predecessors' answers pooled (the merged whole).",
            year=report.previous.year,
        )
    return text


def difference_cell(peer: PeerRow, language: str) -> str:
    """ "−6,0 points (−11,7 to −0,04; p = 0,052)", and a note when interval and test
    disagree."""
    _ = _t(language)
    d = peer.difference
    if d is None:
        return ""
    estimate, low, high = points_text(d, language)
    text = (
        f"{estimate} {_('points')} ({low} {_('to')} {high}; "
        f"{formatting.p_value(d.p_value, language, d.alpha)})"
    )
    if not d.agrees:
        text += " " + _("– the interval and the test disagree; the verdict follows the interval.")
    return text


def trend(report: MunicipalityReport, language: str) -> str:
    """The trend over comparable years, with the Cochran–Armitage test."""
    _ = _t(language)
    t = report.trend_test
    if t is None:
        text = _("A trend needs at least three comparable years.")
    else:
        decimals = 1
        if t.interval is not None:
            decimals = formatting.interval_decimals(
                t.interval.low, t.interval.high, 0, formatting.side(t.interval.low, t.interval.high)
            )
        values = {
            "slope": formatting.points(abs(t.slope_per_year), language, decimals),
            "first": t.years[0],
            "p": formatting.p_value(t.p_value, language),
        }
        if formatting.round_percent(t.slope_per_year, decimals) == 0:
            text = _("The share has stayed level since %(first)s (%(p)s).", **values)
        elif t.slope_per_year > 0:
            text = _(
                "The share has risen by %(slope)s percentage points per year since %(first)s "
                "(%(p)s).",
                **values,
            )
        else:
            text = _(
                "The share has fallen by %(slope)s percentage points per year since %(first)s "
                "(%(p)s).",
                **values,
            )
        if t.interval is None or t.interval.low <= 0 <= t.interval.high:
            text += " " + _("The change cannot be told apart from no change.")
    if report.wording_changed:
        text += " " + _(
            "The question's wording changed; years with other wording are marked and not "
            "compared as equal."
        )
    return text


# --------------------------------------------------------------------------- peers


def ranking(report: MunicipalityReport, language: str) -> str:
    _ = _t(language)
    summary = report.peer_summary
    if not summary or not summary.own_rank or summary.pooled is None:
        return ""
    pooled = summary.pooled
    shown = pooled_precision(summary, report.target)
    text = " ".join(
        [
            _(
                "Rank %(rank)s of %(n)s among %(label)s.",
                rank=summary.own_rank,
                n=summary.n_ranked,
                label=peer_label(report.peer_scope, language),
            ),
            _(
                "Average of the municipalities: %(mean)s (each municipality counts once). All "
                "their answers together: %(pooled)s (%(low)s – %(high)s).",
                mean=formatting.percent(
                    summary.mean_share, language, side_decimals(summary.mean_share, report.target)
                ),
                pooled=formatting.share(pooled.k, pooled.n, language, shown.share),
                low=formatting.percent(pooled.interval.low, language, shown.interval),
                high=formatting.percent(pooled.interval.high, language, shown.interval),
            ),
        ]
    )
    if summary.band is not None:
        text += (
            " "
            + {
                stats.QuartileBand.TOP: _("Among the best 25 %%."),
                stats.QuartileBand.MIDDLE: _("In the middle 50 %%."),
                stats.QuartileBand.BOTTOM: _("Among the worst 25 %%."),
            }[summary.band]
        )
    return text


def hidden_peers(report: MunicipalityReport, language: str) -> str:
    """Why some municipalities have no figure and no place in the order or the chart."""
    _ = _t(language)
    hidden = len(report.hidden_peers)
    if not hidden:
        return ""
    return _(
        "%(n)s municipalities with fewer than %(min)s answers are left out of these figures "
        "and the chart, and listed by name at the end.",
        n=hidden,
        min=report.min_group_size,
    )


def hidden_years(report: MunicipalityReport, language: str) -> str:
    _ = _t(language)
    if not report.hidden_years:
        return ""
    return _(
        "Years with fewer than %(n)s answers are hidden and not drawn in the chart.",
        n=report.min_group_size,
    )


def hidden_groups(language: str, min_group_size: int) -> str:
    _ = _t(language)
    return _(
        "Groups with fewer than %(n)s answers are hidden, and so are as many others as it "
        "takes that no hidden group can be worked out from the rest and the total. Hidden "
        "groups are not drawn in charts.",
        n=min_group_size,
    )


def hidden_cell(share: Share, language: str, min_group_size: int) -> str:
    """The note in place of a hidden figure."""
    _ = _t(language)
    if share.protected:
        return _("Hidden to protect respondents")
    if share.suppressed and share.n > 0:
        return _("Hidden: fewer than %(n)s answers", n=min_group_size)
    return _("No answers")


# --------------------------------------------------------------------------- municipality changes


def _names(items: list[str], language: str) -> str:
    """ "A, B and C" ("og" in Norwegian)."""
    _ = _t(language)
    if len(items) <= 1:
        return "".join(items)
    return _("%(list)s and %(last)s", list=", ".join(items[:-1]), last=items[-1])


def period_span(period: Period, language: str) -> str:
    """ "until 2019", "2020–2023", "since 2024" (the years a number and name were used)."""
    _ = _t(language)
    first, last = period.first_year, period.last_year
    if first is None and last is None:
        return ""
    if first is None:
        return _("until %(year)s", year=last)
    if last is None:
        return _("since %(year)s", year=first)
    return f"{first}–{last}" if first != last else str(first)


def formation_text(formation: Formation, language: str) -> str:
    """How a municipality was formed, naming its predecessors."""
    _ = _t(language)
    parts = [
        f"{p.lineage.name} ({p.lineage.code})"
        if p.kind == MERGED
        else _("a part of %(name)s", name=f"{p.lineage.name} ({p.lineage.code})")
        for p in formation.predecessors
    ]
    values = {
        "name": formation.into.first.name,
        "year": formation.on.year,
        "parts": _names(parts, language),
    }
    if formation.whole:
        return _("%(name)s was formed on 1 January %(year)s by merging %(parts)s.", **values)
    return _("%(name)s was formed on 1 January %(year)s from %(parts)s.", **values)


def continuity(report: MunicipalityReport, language: str) -> list[str]:
    """Earlier numbers and names, and the merger or split the municipality began with:
    the same sentences on the page, in the workbook and in the PDF."""
    _ = _t(language)
    found = report.continuity
    if found is None:
        return []
    lines = []
    if found.renumbered:
        earlier = [f"{p.code} {p.name} ({period_span(p, language)})" for p in found.periods[:-1]]
        lines.append(
            _(
                "Earlier numbers and names: %(list)s. Their years are this municipality's "
                "own and are shown under %(code)s %(name)s.",
                list=_names(earlier, language),
                code=report.municipality.code,
                name=report.municipality.name,
            )
        )
    formation = found.formation
    if formation is None:
        return lines
    lines.append(formation_text(formation, language))
    if found.pooled:
        lines.append(
            _(
                "Years before %(year)s show the predecessors' answers pooled, as the planner "
                "chose: every predecessor was asked the same question with the same "
                "questionnaire version and in the same way.",
                year=formation.on.year,
            )
        )
    elif found.predecessor_years:
        lines.append(
            _(
                "The years before %(year)s belong to the predecessors and are shown apart, "
                "not added together: the series starts again when the municipality was "
                "formed.",
                year=formation.on.year,
            )
        )
    for refused in found.pool_refused:
        lines.append(pool_refusal(refused, language))
    return lines


def pool_refusal(refused: years.Pooled, language: str) -> str:
    _ = _t(language)
    why = {
        years.MISSING: _(
            "not every predecessor was asked (none from %(names)s)",
            names=_names([lin.name for lin in refused.missing], language),
        ),
        years.WORDING: _("the question was worded differently"),
        years.DESIGN: _("the rounds used different questionnaire versions or ways of asking"),
        years.NOT_WHOLE: _("a predecessor was split, so not all its answers belong here"),
    }[refused.refused or years.MISSING]
    return _(
        "%(year)s cannot be compared as the merged whole: %(why)s.", year=refused.year, why=why
    )


def pool_offer(report: MunicipalityReport, language: str) -> str:
    """The link text for comparing the merged whole, when some years may be pooled."""
    _ = _t(language)
    found = report.continuity
    if found is None or found.pooled or not found.pool_years:
        return ""
    return _(
        "Compare the merged whole: add the predecessors' answers together for %(years)s",
        years=_names([str(y) for y in found.pool_years], language),
    )


def predecessor_year(report: MunicipalityReport, language: str) -> str:
    """In the trend table, a year before the municipality was formed (a break)."""
    _ = _t(language)
    found = report.continuity
    if found is None or found.formation is None:
        return ""
    return _(
        "Before %(name)s was formed: only its predecessors' figures, not added together",
        name=report.municipality.name,
    )


def point_note(point: YearPoint, report: MunicipalityReport, language: str) -> str:
    """The note beside a year: wording, number and name then, pooled predecessors."""
    _ = _t(language)
    notes = []
    if point.pooled:
        notes.append(
            _("Predecessors' answers pooled: %(names)s", names=_names(list(point.pooled), language))
        )
    if point.reform_before and report.continuity and report.continuity.formation:
        notes.append(
            _(
                "Formed on 1 January %(year)s: a new series from here",
                year=report.continuity.formation.on.year,
            )
        )
    if point.then is not None:
        notes.append(
            _("Then number %(code)s, %(name)s", code=point.then.code, name=point.then.name)
        )
    if point.break_before:
        notes.append(_("Wording changed this year"))
    elif not point.comparable:
        notes.append(_("Other wording than %(year)s", year=report.year))
    return "; ".join(notes)


def peer_name(peer: PeerRow | ReferenceRow, year: int, language: str) -> str:
    """A municipality in a comparison, with its number then or what it is part of now."""
    _ = _t(language)
    if peer.part_of:
        return _(
            "%(name)s (%(code)s in %(year)s, now part of %(now)s)",
            name=peer.name,
            code=peer.code,
            year=year,
            now=_names(list(peer.part_of), language),
        )
    if peer.then is not None:
        return _(
            "%(name)s (%(code)s in %(year)s)",
            name=peer.name,
            code=peer.then.code if peer.then.name == peer.name else peer.then.label,
            year=year,
        )
    return peer.name


# --------------------------------------------------------------------------- method


def method(report: MunicipalityReport, language: str) -> list[str]:
    """How the figures are made: the same list on the page, in the workbook and the PDF."""
    _ = _t(language)
    return [
        _(
            "Satisfied means one of the two best answers; “don't know” is left out of the "
            "denominator."
        ),
        _(
            "Every share in every table is of the valid answers, as in the headline; "
            "“don't know” is shown as its own count."
        ),
        _(
            "Intervals are 95 %% Wilson score intervals; differences use Newcombe's hybrid "
            "score interval and Fisher's exact test."
        ),
        _(
            "With fewer than %(n)s answers the interval is the exact (Clopper–Pearson) "
            "interval, and the verdict follows it.",
            n=stats.SMALL_SAMPLE,
        ),
        _(
            "The target is only called met or missed when the whole interval lies on one "
            "side of it."
        ),
        _(
            "A change is called a rise or a fall when its whole interval lies on one side of "
            "0; where Fisher's exact test disagrees, this is said beside it."
        ),
        _("Figures resting on fewer than %(n)s answers are hidden.", n=report.min_group_size),
        hidden_groups(language, report.min_group_size),
        _(
            "Shares are rounded half away from zero from the exact count, as Excel rounds; "
            "where that would put a figure on the other side of the target, more decimals "
            "are shown."
        ),
    ]
