"""The report's tables, and the national table, as cubes (``jsonstat.Cube``).

Plain: report objects and counts in, cubes out, with labels in the language given.
Every figure comes from the report object the dashboard shows (``results.report``), so
a hidden cell is hidden here too: the report holds no counts for it, and the cube has
no value for it, only a status saying why (docs/statistics.md, "Small groups").
Shares and interval ends are percentages rounded as every output rounds them
(``formatting``: more decimals where one would contradict the verdict); k and n are
exact counts, so the exact share is k/n.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from surveyapp import formatting
from surveyapp.api.jsonstat import Cube, Dimension, Unit, Value
from surveyapp.catalogs import translator
from surveyapp.questionnaires import types as question_types
from surveyapp.questionnaires.survey import Question
from surveyapp.results import sentences
from surveyapp.results.report import (
    EMPTY,
    PROTECTED,
    SHOWN,
    SMALL,
    Breakdown,
    MunicipalityReport,
    QuestionSummary,
    Share,
)
from surveyapp.servicetest.scoring import round_score

SHARE_MEASURES = ("share", "low", "high", "k", "n", "verdict")
OPTION_MEASURES = ("count", "share", "low", "high")
EXCLUDED = "excluded"  # "don't know" and options the indicator leaves out: not part of n
NO_DATA = "none"


def status_labels(language: str, min_group_size: int) -> dict[str, str]:
    """What each status code means, in the words every output uses."""
    _ = translator(language)
    return {
        SMALL: _("Hidden: fewer than %(n)s answers", n=min_group_size),
        PROTECTED: _("Hidden to protect respondents"),
        EMPTY: _("No answers"),
        EXCLUDED: _("Not part of n"),
    }


def _percent_unit(language: str) -> Unit:
    _ = translator(language)
    return Unit(decimals=1, label=_("percent"), symbol="%")


def _measure_dimension(language: str, ids: Sequence[str]) -> Dimension:
    _ = translator(language)
    labels = {
        "share": _("Share (percent)"),
        "low": _("95 %% interval, lower end (percent)"),
        "high": _("95 %% interval, upper end (percent)"),
        "k": _("Satisfied answers (k)"),
        "n": _("Answers (n)"),
        "count": _("Count"),
        "verdict": _("Verdict against the target"),
    }
    units = {}
    for key in ids:
        if key in ("share", "low", "high"):
            units[key] = _percent_unit(language)
        elif key in ("k", "n", "count"):
            units[key] = Unit(decimals=0, label=_("answers"))
    return Dimension(
        "measure", _("Measure"), [(key, labels[key]) for key in ids], "metric", units=units
    )


def _percent(value: float | Fraction, decimals: int) -> float:
    return float(formatting.round_percent(value, decimals))


def share_values(share: Share) -> tuple[dict[str, Value], str | None]:
    """A share's measures as the dashboard shows them, or no values and why."""
    state = share.state
    if state != SHOWN or share.proportion is None:
        if state == EMPTY:
            return {"k": 0, "n": 0}, EMPTY
        return {}, state
    interval = share.proportion.interval
    values: dict[str, Value] = {
        "share": _percent(Fraction(share.k, share.n), share.precision.share),
        "low": _percent(interval.low, share.precision.interval),
        "high": _percent(interval.high, share.precision.interval),
        "k": share.k,
        "n": share.n,
    }
    if share.comparison is not None:
        values["verdict"] = share.comparison.verdict.value
    return values, None


def _question_label(question: Question, language: str) -> str:
    return formatting.pick(question.text, language) or question.code


def _base(
    report: MunicipalityReport, language: str, title: str, *, municipality: bool = True
) -> tuple[list[Dimension], str]:
    _ = translator(language)
    dims = []
    if municipality:
        dims.append(
            Dimension(
                "municipality",
                _("Municipality"),
                [(report.municipality.code, report.municipality.name)],
                "geo",
            )
        )
    dims.append(Dimension("year", _("Year"), [(str(report.year), str(report.year))], "time"))
    label = f"{report.municipality.name}: {title} {report.year}"
    return dims, label


@dataclass(frozen=True)
class Meta:
    """What every cube of a report carries: its title, source and time."""

    title: str
    source: str
    updated: str
    language: str


def _cube(meta: Meta, label: str, dims: list[Dimension], min_group_size: int) -> Cube:
    return Cube(
        label=label,
        source=meta.source,
        updated=meta.updated,
        dimensions=dims,
        status_labels=status_labels(meta.language, min_group_size),
        notes=[disclosure_note(meta.language, min_group_size)],
    )


def disclosure_note(language: str, min_group_size: int) -> str:
    _ = translator(language)
    return _(
        "Figures resting on fewer than %(n)s answers are hidden, and so are as many others "
        "as it takes that none can be worked out from the rest; a hidden cell has no value, "
        "only a status saying why.",
        n=min_group_size,
    )


def _indicator_question(report: MunicipalityReport) -> Question:
    indicator = report.definition.indicator
    assert indicator is not None  # build_report refuses questionnaires without one
    return report.definition.question(indicator.question)


def _year_notes(report: MunicipalityReport, language: str) -> dict[str, str]:
    """The number and name a year had when not today's, and a changed wording."""
    _ = translator(language)
    notes: dict[str, str] = {}
    for point in report.trend:
        said = []
        if point.then is not None:
            said.append(
                _("Then number %(code)s, %(name)s", code=point.then.code, name=point.then.name)
            )
        if point.break_before:
            said.append(_("Wording changed this year"))
        if said:
            notes[str(point.year)] = "; ".join(said)
    return notes


def years_cube(report: MunicipalityReport, meta: Meta) -> Cube:
    """Share satisfied per year, as the dashboard's "Over the years" table."""
    _ = translator(meta.language)
    question = _indicator_question(report)
    dims = [
        Dimension(
            "municipality",
            _("Municipality"),
            [(report.municipality.code, report.municipality.name)],
            "geo",
        ),
        Dimension(
            "year",
            _("Year"),
            [(str(p.year), str(p.year)) for p in report.trend],
            "time",
            notes=_year_notes(report, meta.language),
        ),
        Dimension(
            "question", _("Question"), [(question.code, _question_label(question, meta.language))]
        ),
        _measure_dimension(meta.language, SHARE_MEASURES),
    ]
    cube = _cube(meta, f"{report.municipality.name}: {meta.title}", dims, report.min_group_size)
    for point in report.trend:
        values, status = share_values(point.share)
        cube.set((report.municipality.code, str(point.year), question.code), values, status)
    return cube


def peers_cube(report: MunicipalityReport, meta: Meta) -> Cube:
    """Share satisfied per municipality in the year, in the dashboard's order."""
    _ = translator(meta.language)
    question = _indicator_question(report)
    dims = [
        Dimension(
            "municipality",
            _("Municipality"),
            [(p.code, sentences.peer_name(p, report.year, meta.language)) for p in report.peers],
            "geo",
        ),
        Dimension("year", _("Year"), [(str(report.year), str(report.year))], "time"),
        Dimension(
            "question", _("Question"), [(question.code, _question_label(question, meta.language))]
        ),
        _measure_dimension(meta.language, SHARE_MEASURES),
    ]
    cube = _cube(meta, f"{meta.title} {report.year}", dims, report.min_group_size)
    for peer in report.peers:
        values, status = share_values(peer.share)
        cube.set((peer.code, str(report.year), question.code), values, status)
    return cube


def group_cube(report: MunicipalityReport, question_code: str, meta: Meta) -> Cube | None:
    """Share satisfied by answer to a grouping question, hidden groups hidden."""
    breakdown = next((b for b in report.breakdowns if b.question.code == question_code), None)
    if breakdown is None:
        return None
    _ = translator(meta.language)
    return _breakdown_cube(report, breakdown, meta, _("Answer"))


#: The table of the share satisfied per channel the answers came through.
CHANNELS_TABLE = "response-channels"


def channel_cube(report: MunicipalityReport, meta: Meta) -> Cube | None:
    """Share satisfied per channel (open link, letter, e-mail, kiosk, paper), as the
    dashboard's table: only when answers came through more than one."""
    if report.channels is None:
        return None
    _ = translator(meta.language)
    return _breakdown_cube(report, report.channels, meta, _("Channel"))


def _breakdown_cube(
    report: MunicipalityReport, breakdown: Breakdown, meta: Meta, option_label: str
) -> Cube:
    _ = translator(meta.language)
    dims, label = _base(report, meta.language, meta.title)
    dims += [
        Dimension(
            "question",
            _("Question"),
            [(breakdown.question.code, _question_label(breakdown.question, meta.language))],
        ),
        Dimension(
            "option",
            option_label,
            [
                (row.value, formatting.pick(row.label, meta.language) or row.value)
                for row in breakdown.rows
            ],
        ),
        _measure_dimension(meta.language, SHARE_MEASURES),
    ]
    cube = _cube(meta, label, dims, report.min_group_size)
    for row in breakdown.rows:
        values: dict[str, Value] = {}
        status: str | None = PROTECTED
        if not breakdown.whole_hidden:
            values, status = share_values(row.share)
        cube.set(
            (report.municipality.code, str(report.year), breakdown.question.code, row.value),
            values,
            status,
        )
    return cube


def _dont_know_label(language: str) -> str:
    _ = translator(language)
    return _("Don't know")


def answers_cube(report: MunicipalityReport, question_code: str, meta: Meta) -> Cube | None:
    """One question's answers per option, as the dashboard's table of the question."""
    summary: QuestionSummary | None = next(
        (q for q in report.questions if q.question.code == question_code), None
    )
    if summary is None or question_types.get(summary.question.type).summary != "options":
        return None
    _ = translator(meta.language)
    question = summary.question
    if summary.options:
        options = [
            (o.value, formatting.pick(o.label, meta.language) or _dont_know_label(meta.language))
            for o in summary.options
        ]
    else:
        options = [
            (str(o.value), formatting.pick(o.label, meta.language)) for o in question.options
        ]
    dims, label = _base(report, meta.language, meta.title)
    dims += [
        Dimension(
            "question", _("Question"), [(question.code, _question_label(question, meta.language))]
        ),
        Dimension("option", _("Answer"), options),
        _measure_dimension(meta.language, OPTION_MEASURES),
    ]
    cube = _cube(meta, label, dims, report.min_group_size)
    prefix = (report.municipality.code, str(report.year), question.code)
    if summary.protected or summary.suppressed or not summary.options:
        status = PROTECTED if summary.protected else SMALL if summary.n > 0 else EMPTY
        for value, _label in options:
            cube.set((*prefix, value), {}, status)
        return cube
    for option in summary.options:
        if option.protected:
            cube.set((*prefix, option.value), {}, PROTECTED)
            continue
        share = option.share
        if share.proportion is None:  # "don't know" and excluded options: counted apart
            cube.set((*prefix, option.value), {"count": option.count}, EXCLUDED)
            continue
        interval = share.proportion.interval
        cube.set(
            (*prefix, option.value),
            {
                "count": option.count,
                "share": _percent(Fraction(share.k, share.n), share.precision.share),
                "low": _percent(interval.low, share.precision.interval),
                "high": _percent(interval.high, share.precision.interval),
            },
            None,
        )
    return cube


def table_names(report: MunicipalityReport) -> list[str]:
    """Every table of a report, by the name its URL uses."""
    names = ["years", "peers"]
    names += [f"groups-{b.question.code}" for b in report.breakdowns]
    names += [CHANNELS_TABLE] if report.channels is not None else []
    names += [
        f"answers-{q.question.code}"
        for q in report.questions
        if question_types.get(q.question.type).summary == "options"
    ]
    return names


def report_cube(report: MunicipalityReport, name: str, meta: Meta) -> Cube | None:
    """The table called ``name`` (``table_names``), or None when there is none."""
    if name == "years":
        return years_cube(report, meta)
    if name == "peers":
        return peers_cube(report, meta)
    if name == CHANNELS_TABLE:
        return channel_cube(report, meta)
    kind, _sep, code = name.partition("-")
    if kind == "groups":
        return group_cube(report, code, meta)
    if kind == "answers":
        return answers_cube(report, code, meta)
    return None


# --------------------------------------------------------------------------- national table


@dataclass(frozen=True)
class NationalCell:
    municipality: str
    year: int
    share: Share


def national_cube(
    question: str,
    question_text: Mapping[str, str],
    municipalities: Sequence[tuple[str, str]],
    years: Sequence[int],
    cells: Sequence[NationalCell],
    meta: Meta,
    min_group_size: int,
) -> Cube:
    """Share satisfied per municipality and year: each cell the headline of that
    municipality's dashboard for that year (its round's target, its verdict)."""
    _ = translator(meta.language)
    dims = [
        Dimension("municipality", _("Municipality"), list(municipalities), "geo"),
        Dimension("year", _("Year"), [(str(y), str(y)) for y in years], "time"),
        Dimension(
            "question",
            _("Question"),
            [(question, formatting.pick(question_text, meta.language) or question)],
        ),
        _measure_dimension(meta.language, SHARE_MEASURES),
    ]
    cube = _cube(meta, meta.title, dims, min_group_size)
    for cell in cells:
        values, status = share_values(cell.share)
        cube.set((cell.municipality, str(cell.year), question), values, status)
    return cube


# --------------------------------------------------------------------------- service test


@dataclass(frozen=True)
class ScoreRow:
    municipality: str
    name: str
    score: float | None
    rank: int | None
    band: Mapping[str, str] | None  # the grade's label in each language
    quartile: str | None
    channels: Mapping[str, float | None]
    sectors: Mapping[str, float | None]
    passed: bool | None = None  # the printed score reaches the protocol's pass mark
    pending: int = 0  # web items awaiting a deciding tester (counted as not found)


def ranking_cube(
    rows: Sequence[ScoreRow],
    channels: Sequence[str],
    sectors: Sequence[str],
    year: int,
    meta: Meta,
) -> Cube:
    """Score (0–100, one decimal as shown), rank, grade and quartile band per municipality,
    and the score per channel and sector."""
    _ = translator(meta.language)
    measures: list[tuple[str, str]] = [
        ("score", _("Score")),
        ("rank", _("Rank")),
        ("band", _("Grade")),
        ("quartile", _("Quartile band")),
        ("passed", _("Pass mark")),
        ("pending", _("Awaiting a decision")),
    ]
    measures += [(f"channel-{c}", _("Score, channel %(c)s", c=c)) for c in channels]
    measures += [(f"sector-{s}", _("Score, sector %(s)s", s=s)) for s in sectors]
    units = {
        key: Unit(decimals=1, label=_("points of 100"))
        for key, _l in measures
        if key != "band" and key != "quartile" and key != "rank"
    }
    units["rank"] = Unit(decimals=0, label=_("rank"))
    units["pending"] = Unit(decimals=0, label=_("web items"))
    units.pop("passed", None)
    dims = [
        Dimension(
            "municipality", _("Municipality"), [(r.municipality, r.name) for r in rows], "geo"
        ),
        Dimension("year", _("Year"), [(str(year), str(year))], "time"),
        Dimension("measure", _("Measure"), measures, "metric", units=units),
    ]
    cube = Cube(label=meta.title, source=meta.source, updated=meta.updated, dimensions=dims)
    for row in rows:
        values: dict[str, Value] = {
            "score": _score(row.score),
            "rank": row.rank,
            "band": formatting.pick(row.band, meta.language) if row.band else None,
            "quartile": row.quartile,
            "passed": None
            if row.passed is None
            else _("passed")
            if row.passed
            else _("not passed"),
            "pending": row.pending,
        }
        values.update({f"channel-{c}": _score(row.channels.get(c)) for c in channels})
        values.update({f"sector-{s}": _score(row.sectors.get(s)) for s in sectors})
        cube.set((row.municipality, str(year)), values, None)
    return cube


def _score(value: float | None) -> float | None:
    """A score to one decimal, as the ranking shows, ranks and bands it."""
    return None if value is None else round_score(value)
