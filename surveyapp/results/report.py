"""Everything a planner's dashboard (and every export) shows for one municipality and year.

Built from the SQL aggregates in ``queries``, the plain statistics in ``stats`` and the
disclosure rule in ``disclosure``; the dashboard, the charts, the workbook, the CSV
files, the printed report and the command line all read this one object, so they show
the same numbers and hide the same cells. A hidden figure is not in the object at all
(its counts are zeroed), so no output can print it by mistake.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.municipalities import lookup, years
from surveyapp.municipalities.history import Formation, History, Lineage, Period
from surveyapp.municipalities.models import Municipality
from surveyapp.questionnaires import types as question_types
from surveyapp.questionnaires.definition import Definition
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.questionnaires.store import definition_of
from surveyapp.questionnaires.survey import Indicator, Question
from surveyapp.results import disclosure, queries, stats
from surveyapp.surveys.models import SurveyRound, round_municipality

GROUP_QUESTIONS = ("channel", "service_area")

SHOWN, SMALL, PROTECTED, EMPTY = "shown", "small", "protected", "empty"


@dataclass(frozen=True)
class Share:
    """A share with its n and interval, or why it is not shown.

    suppressed: hidden because it rests on fewer answers than the minimum, or (protected)
    because it is a part of a breakdown hidden by the disclosure rule. A protected share
    holds no counts: outputs show it as "hidden" without an n, the same whether the part
    was small or hidden to protect a small one.
    comparison and precision: against the report's target, for shares of the indicator
    (the verdict and the decimals that keep the rounded figures truthful).
    """

    k: int
    n: int
    proportion: stats.Proportion | None  # None when suppressed or n == 0
    suppressed: bool
    protected: bool = False
    comparison: stats.TargetComparison | None = None
    precision: stats.Precision = stats.Precision(1, 1)

    @classmethod
    def of(cls, k: int, n: int, min_group_size: int, target: float | None = None) -> Share:
        hidden = stats.is_suppressed(n, min_group_size)
        if hidden or n == 0:
            return cls(k, n, None, hidden)
        if target is None:
            return cls(k, n, stats.proportion(k, n, method=stats.interval_method(n)), False)
        comparison = stats.judge(k, n, target)
        return cls(
            k,
            n,
            comparison.proportion,
            False,
            comparison=comparison,
            precision=stats.precision(comparison),
        )

    @classmethod
    def protected_part(cls) -> Share:
        """A breakdown's part hidden by the disclosure rule: no counts kept."""
        return cls(0, 0, None, True, protected=True)

    @property
    def state(self) -> str:
        """shown, small (hidden: fewer answers than the minimum), protected, or empty."""
        if self.proportion is not None:
            return SHOWN
        if self.protected:
            return PROTECTED
        if self.suppressed and self.n > 0:
            return SMALL
        return EMPTY


@dataclass(frozen=True)
class YearPoint:
    year: int
    share: Share
    fingerprint: str
    comparable: bool  # same wording as the selected year
    break_before: bool  # wording changed since the previous year shown
    then: Period | None = None  # the number and name that year, when not today's
    pooled: tuple[str, ...] = ()  # the merged whole: predecessors whose answers are pooled
    reform_before: bool = False  # the municipality was formed between the previous year and this


@dataclass(frozen=True)
class PeerRow:
    code: str
    name: str
    county: str
    share: Share
    is_own: bool
    difference: stats.Difference | None  # own minus this peer, when both are shown
    then: Period | None = None  # the number and name that year, when not today's
    part_of: tuple[str, ...] = ()  # a municipality since merged or split: what it is now


@dataclass(frozen=True)
class ReferenceRow:
    """A published figure imported with `flask peers import` (indicator satisfied_share).

    value is None (hidden) when the figure rests on fewer answers than the minimum.
    """

    code: str
    name: str
    value: float | None
    n: int | None
    interval: stats.Interval | None  # when n is known and not a small group
    source: str
    then: Period | None = None  # the number and name that year, when not today's
    part_of: tuple[str, ...] = ()  # a municipality since merged or split: what it is now


@dataclass(frozen=True)
class OptionShare:
    """One answer option: its count and share of the valid answers ("don't know" apart).

    For "don't know" (value ``dont_know``) the share is empty: it is not part of the
    denominator, as in the headline. A protected option (a hidden group of a grouping
    question) holds no count.
    """

    value: str
    label: dict[str, str]
    count: int
    share: Share
    protected: bool = False


@dataclass(frozen=True)
class QuestionSummary:
    """One question's figures. n is the valid answers (the denominator of every share, as
    in the headline); ``dont_know`` counts "don't know" apart (None when the question
    has no such option; an option the indicator excludes has its own row, also outside
    n). protected: hidden by the disclosure rule (a grouping question with nothing left
    to show, or a question asked of only some hidden groups)."""

    question: Question
    n: int
    suppressed: bool
    options: list[OptionShare]
    mean: stats.Mean | None = None
    index: stats.Mean | None = None
    numeric: queries.NumericSummary | None = None
    dont_know: int | None = None
    protected: bool = False

    @property
    def hidden_options(self) -> int:
        return sum(1 for o in self.options if o.protected)


@dataclass(frozen=True)
class GroupRow:
    value: str
    label: dict[str, str]
    share: Share


@dataclass(frozen=True)
class Breakdown:
    question: Question
    rows: list[GroupRow]
    hidden_groups: int  # rows hidden by the disclosure rule (small or protecting)
    whole_hidden: bool = False  # nothing could be shown without giving a group away

    @property
    def hidden_values(self) -> frozenset[str]:
        return frozenset(r.value for r in self.rows if r.share.protected)


@dataclass(frozen=True)
class PeerScope:
    """Which municipalities the report compares with: "all", "county" or "group:<id>",
    and the county's or group's name (the label is written by each output, in its
    language: sentences.peer_label)."""

    kind: str = "all"
    name: str = ""


@dataclass(frozen=True)
class ServiceTestSummary:
    round_id: int
    title: str
    locked: bool
    score: float | None
    rank: int | None
    ranked: int
    band: dict[str, str] | None
    quartile: str | None
    national_average: float | None
    year: int | None = None
    passed: bool | None = None
    pass_mark: float = 75.0
    # Earlier rounds of the same scoring (comparable): (year, title, score), oldest first.
    earlier: list[tuple[int, str, float | None]] = field(default_factory=list)


@dataclass(frozen=True)
class Continuity:
    """The municipality's numbers and names over time, and the merger or split it began
    with: its predecessors' figures are their own (a break) unless the planner chose to
    compare the merged whole where the answers may be pooled (``pool_years``)."""

    periods: tuple[Period, ...]
    formation: Formation | None
    predecessor_years: tuple[int, ...]  # years with predecessors' figures of this survey
    pooled: bool  # the merged whole is compared: pooled years are in the trend
    pool_years: tuple[int, ...]  # years whose answers may be pooled
    pool_refused: tuple[years.Pooled, ...]  # years that may not, with why

    @property
    def renumbered(self) -> bool:
        return len(self.periods) > 1


@dataclass
class MunicipalityReport:
    municipality: Municipality
    questionnaire_code: str
    definition: Definition
    year: int
    years: list[int]
    target: float
    min_group_size: int
    responses: int
    headline: Share
    comparison: stats.TargetComparison | None
    previous: YearPoint | None
    change: stats.Difference | None
    change_comparable: bool
    trend: list[YearPoint]
    trend_test: stats.Trend | None
    peers: list[PeerRow]
    peer_summary: stats.PeerSummary | None
    peer_scope: PeerScope
    questions: list[QuestionSummary]
    breakdowns: list[Breakdown]
    service_test: ServiceTestSummary | None
    references: list[ReferenceRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    demo: bool = False  # demo data anywhere in the figures: every output says so
    continuity: Continuity | None = None
    stored_codes: tuple[str, ...] = ()  # numbers the selected year's figures are stored under

    @property
    def data_codes(self) -> tuple[str, ...]:
        """The numbers the selected year's figures are stored under (1902 for Tromsø's
        2019), today's number when none is known."""
        return self.stored_codes or (self.municipality.code,)

    @property
    def trend_rows(self) -> list[tuple[int, YearPoint | None]]:
        """The years of the trend table: the municipality's own (and pooled) years, and in
        their place the years only its predecessors have figures for (a break: None)."""
        rows: list[tuple[int, YearPoint | None]] = [(p.year, p) for p in self.trend]
        shown = {p.year for p in self.trend}
        if self.continuity is not None:
            rows += [(y, None) for y in self.continuity.predecessor_years if y not in shown]
        return sorted(rows, key=lambda row: row[0])

    @property
    def own_codes(self) -> tuple[str, ...]:
        """Every number the municipality itself had (its own years, not predecessors')."""
        periods = self.continuity.periods if self.continuity else ()
        return tuple(sorted({self.municipality.code, *(p.code for p in periods)}))

    # Share satisfied per channel (web, letter, e-mail, kiosk, paper), when answers came
    # through more than one; small channels hidden like any breakdown's groups.
    channels: Breakdown | None = None

    @property
    def wording_changed(self) -> bool:
        return any(point.break_before for point in self.trend)

    @property
    def shown_peers(self) -> list[PeerRow]:
        return [p for p in self.peers if p.share.proportion is not None]

    @property
    def hidden_peers(self) -> list[PeerRow]:
        return [p for p in self.peers if p.share.proportion is None]

    @property
    def shown_years(self) -> list[YearPoint]:
        return [p for p in self.trend if p.share.proportion is not None]

    @property
    def hidden_years(self) -> list[YearPoint]:
        return [p for p in self.trend if p.share.proportion is None and p.share.n > 0]


class NoData(LookupError):
    """No round of this questionnaire for the municipality (and year)."""


def _family(code: str) -> tuple[History, years.Family]:
    history = lookup.history()
    municipality = db.session.get(Municipality, code)
    return history, years.family(history, code, municipality.name if municipality else code)


def _questionnaire_years(
    history: History,
    group: years.Family,
    codes: frozenset[str],
    only_rounds: queries.RoundFilter = None,
) -> dict[Lineage, dict[str, set[int]]]:
    """Survey questionnaires and years with rounds, per lineage of the family."""
    query = (
        sa.select(Questionnaire.code, SurveyRound.year, round_municipality.c.municipality_code)
        .join(SurveyRound, SurveyRound.questionnaire_id == Questionnaire.id)
        .join(round_municipality, round_municipality.c.round_id == SurveyRound.id)
        .where(
            round_municipality.c.municipality_code.in_(sorted(codes)),
            Questionnaire.kind == "survey",
        )
        .distinct()
    )
    rows = db.session.execute(queries.restrict_rounds(query, only_rounds)).all()
    found: dict[Lineage, dict[str, set[int]]] = {}
    for questionnaire, year, code in rows:
        who = years.owner(history, group, str(code), int(year))
        if who is not None:
            found.setdefault(who, {}).setdefault(str(questionnaire), set()).add(int(year))
    return found


def _newest_first(by_code: dict[str, set[int]]) -> list[tuple[str, list[int]]]:
    return sorted(
        ((code, sorted(ys, reverse=True)) for code, ys in by_code.items()),
        key=lambda item: (-item[1][0], item[0]),
    )


def survey_questionnaires_for(
    municipality: str, only_rounds: queries.RoundFilter = None
) -> list[tuple[str, list[int]]]:
    """(questionnaire code, years) with rounds in the municipality, newest year first:
    its own years under every number it had (not its predecessors')."""
    history, group = _family(municipality)
    found = _questionnaire_years(history, group, group.own.codes, only_rounds)
    return _newest_first(found.get(group.own, {}))


def predecessor_questionnaires_for(municipality: str) -> list[tuple[str, list[int]]]:
    """(questionnaire code, years) with rounds in the municipality's predecessors."""
    history, group = _family(municipality)
    if not group.ancestors:
        return []
    merged: dict[str, set[int]] = {}
    for lineage, by_code in _questionnaire_years(history, group, group.codes).items():
        if lineage != group.own:
            for code, ys in by_code.items():
                merged.setdefault(code, set()).update(ys)
    return _newest_first(merged)


def _definition_for(
    questionnaire_code: str,
    municipality: str | list[str],
    year: int,
    only_rounds: queries.RoundFilter = None,
) -> tuple[Definition, float]:
    codes = [municipality] if isinstance(municipality, str) else municipality
    query = (
        sa.select(SurveyRound)
        .join(Questionnaire, Questionnaire.id == SurveyRound.questionnaire_id)
        .where(
            Questionnaire.code == questionnaire_code,
            SurveyRound.year == year,
            SurveyRound.municipalities.any(Municipality.code.in_(codes)),
        )
        .order_by(SurveyRound.id.desc())
        .limit(1)
    )
    survey_round = db.session.scalar(queries.restrict_rounds(query, only_rounds))
    if survey_round is None:
        raise NoData(f"no {questionnaire_code} round for {municipality} in {year}")
    return definition_of(survey_round.questionnaire), float(survey_round.target)


def one_wording_per_year(
    counts: list[queries.IndicatorCount],
) -> dict[int, queries.IndicatorCount]:
    """The count each year shows: with two wordings in one year (a mid-year change), the
    larger group."""
    by_year: dict[int, queries.IndicatorCount] = {}
    for count in counts:
        current = by_year.get(count.year)
        if current is None or count.n > current.n:
            by_year[count.year] = count
    return by_year


def _trend(
    counts: list[queries.IndicatorCount],
    year: int,
    min_group_size: int,
    target: float,
    lineage: Lineage | None = None,
    pooled: list[years.Pooled] | None = None,
) -> list[YearPoint]:
    by_year = one_wording_per_year(counts)
    parts: dict[int, tuple[str, ...]] = {}
    for whole in pooled or []:
        if whole.year not in by_year:
            by_year[whole.year] = queries.IndicatorCount(
                whole.year, "", whole.fingerprint, whole.k, whole.n
            )
            parts[whole.year] = tuple(p.name for p in whole.parts)
    selected = by_year.get(year)
    points: list[YearPoint] = []
    previous_print: str | None = None
    for y in sorted(by_year):
        count = by_year[y]
        points.append(
            YearPoint(
                year=y,
                share=Share.of(count.k, count.n, min_group_size, target),
                fingerprint=count.fingerprint,
                comparable=selected is not None and count.fingerprint == selected.fingerprint,
                break_before=previous_print is not None and previous_print != count.fingerprint,
                then=None if lineage is None or y in parts else years.then(lineage, y),
                pooled=parts.get(y, ()),
                reform_before=bool(points and points[-1].pooled and y not in parts),
            )
        )
        previous_print = count.fingerprint
    return points


def _own_counts(
    counts: list[queries.IndicatorCount],
) -> list[queries.IndicatorCount]:
    """One count per year and wording (a year stored under two numbers is added up: both
    are the municipality's own)."""
    summed: dict[tuple[int, str], tuple[int, int]] = {}
    for c in counts:
        k, n = summed.get((c.year, c.fingerprint), (0, 0))
        summed[(c.year, c.fingerprint)] = (k + c.k, n + c.n)
    return [
        queries.IndicatorCount(year, "", fingerprint, k, n)
        for (year, fingerprint), (k, n) in summed.items()
    ]


def _valid_options(question: Question, indicator: Indicator | None) -> set[str]:
    """Options in the denominator: every option but "don't know" (and, for the
    indicator's question, its excluded options), as the headline counts."""
    excluded = set()
    if indicator is not None and indicator.question == question.code:
        excluded = {str(v) for v in indicator.excluded}
    return {str(o.value) for o in question.options} - excluded


def _option_summary(
    question: Question,
    per_option: dict[str, int],
    respondents: int,
    indicator: Indicator | None,
    min_group_size: int,
    hidden: frozenset[str],
) -> QuestionSummary:
    valid = _valid_options(question, indicator)
    if question_types.get(question.type).overlapping:
        n = respondents if per_option else 0  # shares of respondents; options overlap
    else:
        n = sum(count for value, count in per_option.items() if value in valid)
    dont_know = per_option.get(queries.DONT_KNOW, 0) if question.dont_know else None
    suppressed = stats.is_suppressed(n, min_group_size)
    if suppressed:
        return QuestionSummary(question, n, True, [])
    options: list[OptionShare] = []
    for option in question.options:
        value = str(option.value)
        count = per_option.get(value, 0)
        if value in hidden:
            options.append(OptionShare(value, option.label, 0, Share.protected_part(), True))
        elif value in valid:
            options.append(
                OptionShare(value, option.label, count, Share.of(count, n, min_group_size))
            )
        else:  # an option the indicator leaves out: counted apart, like "don't know"
            options.append(OptionShare(value, option.label, count, Share(count, n, None, False)))
    if question.dont_know:
        dk = per_option.get(queries.DONT_KNOW, 0)
        options.append(OptionShare(queries.DONT_KNOW, {}, dk, Share(dk, n, None, False)))
    mean = index = None
    if question_types.get(question.type).scored:
        rated = {float(v): c for v, c in per_option.items() if v in valid and c}
        if sum(rated.values()) >= 2:
            values = [float(o.value) for o in question.options]
            mean = stats.mean_from_counts(rated)
            index = stats.index_from_counts(rated, min(values), max(values))
    return QuestionSummary(question, n, False, options, mean, index, dont_know=dont_know)


def _question_summaries(
    definition: Definition,
    rounds: list[int],
    municipality: str | list[str],
    min_group_size: int,
    breakdowns: list[Breakdown],
    counts: dict[str, dict[str, int]],
) -> list[QuestionSummary]:
    numeric_codes = [
        q.code for q in definition.questions if question_types.get(q.type).summary == "numeric"
    ]
    numeric = queries.numeric_summaries(rounds, municipality, numeric_codes)
    respondents = queries.response_count(rounds, municipality)
    by_group = {b.question.code: b for b in breakdowns}
    summaries: list[QuestionSummary] = []
    for question in definition.questions:
        group = by_group.get(question.code)
        condition = question.show_if
        asked_of = by_group.get(condition.question) if condition is not None else None
        if group is not None and group.whole_hidden:
            summaries.append(QuestionSummary(question, 0, True, [], protected=True))
            continue
        if (
            asked_of is not None
            and condition is not None
            and disclosure.splits(asked_of.hidden_values, [str(v) for v in condition.values])
        ):
            # Asked only of some of the hidden groups: its n would tell them apart.
            summaries.append(QuestionSummary(question, 0, True, [], protected=True))
            continue
        if question_types.get(question.type).summary == "options":
            summaries.append(
                _option_summary(
                    question,
                    counts.get(question.code, {}),
                    respondents,
                    definition.indicator,
                    min_group_size,
                    group.hidden_values if group is not None else frozenset(),
                )
            )
        elif question.code in numeric:
            summary = numeric[question.code]
            hidden = stats.is_suppressed(summary.n, min_group_size)
            summaries.append(
                QuestionSummary(
                    question, summary.n, hidden, [], numeric=None if hidden else summary
                )
            )
    return summaries


def _breakdowns(
    definition: Definition,
    rounds: list[int],
    municipality: str | list[str],
    min_group_size: int,
    target: float,
    counts: dict[str, dict[str, int]],
) -> list[Breakdown]:
    """Share satisfied per group, with the disclosure rule applied to the groups and to
    the grouping question's own table (its option counts are the groups' sizes)."""
    if definition.indicator is None:
        return []
    result: list[Breakdown] = []
    codes = {q.code for q in definition.questions}
    for group_code in GROUP_QUESTIONS:
        if group_code not in codes:
            continue
        question = definition.question(group_code)
        by_group = queries.indicator_by_group(
            rounds, municipality, definition.indicator, group_code
        )
        sizes = counts.get(group_code, {})
        parts = []
        for option in question.options:
            value = str(option.value)
            k, n = by_group.get(value, (0, 0))
            parts.append(disclosure.Part(value, n, k, size=max(sizes.get(value, 0), n)))
        decision = disclosure.decide(parts, min_group_size)
        rows: list[GroupRow] = []
        for option, part in zip(question.options, parts, strict=True):
            if decision.shows(part.key):
                share = Share.of(part.k or 0, part.n, min_group_size, target)
            else:
                share = Share.protected_part()
            rows.append(GroupRow(part.key, option.label, share))
        result.append(
            Breakdown(
                question,
                rows,
                sum(1 for r in rows if r.share.protected),
                decision.whole,
            )
        )
    return result


#: The channels' names in every language (surveys.models.CHANNEL_VALUES).
CHANNEL_WORDS = {
    "web": "Open link",
    "invitation": "Letter",
    "e-mail": "E-mail",
    "kiosk": "Kiosk",
    "paper": "Paper form",
}


def _channel_breakdown(
    definition: Definition,
    rounds: list[int],
    municipality: str | Sequence[str],
    min_group_size: int,
    target: float,
) -> Breakdown | None:
    """Share satisfied per channel, through the disclosure rule (a channel's size is its
    responses); None when every answer came through one channel."""
    from surveyapp.catalogs import LANGUAGES, translator

    if definition.indicator is None:
        return None
    by_channel = queries.indicator_by_channel(rounds, municipality, definition.indicator)
    if sum(1 for _k, _n, size in by_channel.values() if size) < 2:
        return None
    parts = [
        disclosure.Part(channel, n, k, size=max(size, n))
        for channel in CHANNEL_WORDS
        for k, n, size in [by_channel.get(channel, (0, 0, 0))]
    ]
    decision = disclosure.decide(parts, min_group_size)
    rows = []
    for part in parts:
        if part.respondents == 0 and decision.shows(part.key):
            continue  # a channel nobody used is left out
        label = {lang: translator(lang)(CHANNEL_WORDS[part.key]) for lang in LANGUAGES}
        share = (
            Share.of(part.k or 0, part.n, min_group_size, target)
            if decision.shows(part.key)
            else Share.protected_part()
        )
        rows.append(GroupRow(part.key, label, share))
    channel_question = definition.question(definition.indicator.question)
    return Breakdown(
        channel_question,
        rows,
        sum(1 for r in rows if r.share.protected),
        decision.whole,
    )


def _peer_codes(scope: str, own: Municipality, group_members: list[str] | None) -> list[str] | None:
    if scope == "county":
        return list(
            db.session.scalars(
                sa.select(Municipality.code).where(
                    Municipality.county_code == own.county_code, Municipality.current
                )
            )
        )
    if scope.startswith("group:") and group_members is not None:
        return sorted({*group_members, own.code})
    return None  # all municipalities


def _peer_order(peers: list[PeerRow]) -> list[PeerRow]:
    """Shown municipalities by share, highest first (exactly, ties by name); the hidden
    ones by name after them, never placed by the value they hide."""
    shown = [p for p in peers if p.share.proportion is not None]
    hidden = [p for p in peers if p.share.proportion is None]
    shown.sort(key=lambda p: (-Fraction(p.share.k, p.share.n), p.name, p.code))
    hidden.sort(key=lambda p: (p.name, p.code))
    return shown + hidden


REFERENCE_INDICATOR = "satisfied_share"


def _references(
    history: History, year: int, scope: frozenset[str] | None, min_group_size: int
) -> list[ReferenceRow]:
    """Imported reference values of the share satisfied for the year (one query), each
    under today's number when it is the same municipality."""
    from surveyapp.results.models import PeerValue

    values = db.session.scalars(
        sa.select(PeerValue).where(
            PeerValue.year == year, PeerValue.indicator == REFERENCE_INDICATOR
        )
    ).all()
    labels = {v.municipality_code: _follow(history, v.municipality_code, year) for v in values}
    shown: list[ReferenceRow] = []
    hidden: list[ReferenceRow] = []
    for value in values:
        label = labels[value.municipality_code]
        if scope is not None and not label.today & scope:
            continue
        interval = None
        small = value.n is not None and stats.is_suppressed(value.n, min_group_size)
        if value.n is not None and not small:
            k = min(value.n, max(0, round(value.value * value.n)))
            method = stats.interval_method(value.n)
            interval = stats.proportion(k, value.n, method=method).interval
        row = ReferenceRow(
            label.code,
            label.name,
            None if small else float(value.value),
            value.n,
            interval,
            value.source,
            label.then,
            label.part_of,
        )
        (hidden if small else shown).append(row)
    shown.sort(key=lambda r: (-(r.value or 0.0), r.name, r.source))
    # Hidden figures by name after the shown ones, never placed by their value.
    return shown + sorted(hidden, key=lambda r: (r.name, r.source))


@dataclass(frozen=True)
class _Label:
    """How a number's figure of a year is shown today."""

    code: str  # today's number (the same municipality), else the number it had
    name: str
    then: Period | None  # the number and name that year, when not today's
    part_of: tuple[str, ...]  # merged or split since: today's municipalities, "3118 Indre Østfold"
    today: frozenset[str]  # today's numbers it is, or is part of


def _follow(history: History, code: str, year: int) -> _Label:
    """Under today's number when the municipality is the same (renumbered or renamed);
    as itself, saying what it is now, when it has been merged or split since."""
    found = history.resolve(code, year)
    if found is None:
        return _Label(code, code, None, (), frozenset({code}))
    if found.continuous:
        return _Label(
            found.lineage.code,
            found.lineage.name,
            years.then(found.lineage, year),
            (),
            frozenset({found.lineage.code}),
        )
    return _Label(
        code,
        found.period.name,
        found.period,
        tuple(f"{lin.code} {lin.name}" for lin in found.current),
        frozenset(lin.code for lin in found.current),
    )


def _scope_codes(history: History, scope: list[str] | None) -> frozenset[str] | None:
    """Every number the scope's municipalities (and their predecessors) are stored under."""
    if scope is None:
        return None
    codes: set[str] = set()
    for code in scope:
        codes |= years.family(history, code, code).codes
    return frozenset(codes)


def _service_test(
    municipality: str, only_test_rounds: queries.RoundFilter = None, year: int | None = None
) -> ServiceTestSummary | None:
    """The service-test round beside the survey: the same year's if there is one (locked
    first), else the newest; with the municipality's comparable earlier rounds."""
    from surveyapp.servicetest import cache
    from surveyapp.servicetest.models import TestAssignment, TestRound

    query = (
        sa.select(TestRound)
        .where(
            TestRound.id.in_(
                sa.select(TestAssignment.test_round_id).where(
                    TestAssignment.municipality_code == municipality
                )
            )
        )
        .order_by(
            (TestRound.year == (year or 0)).desc(),
            (TestRound.status == "locked").desc(),
            TestRound.year.desc(),
            TestRound.id.desc(),
        )
        .limit(1)
    )
    if only_test_rounds is not None:
        ids = (
            only_test_rounds if isinstance(only_test_rounds, sa.Select) else list(only_test_rounds)
        )
        query = query.where(TestRound.id.in_(ids))
    test_round = db.session.scalar(query)
    if test_round is None:
        return None
    result = cache.scored_round(test_round, roll_up=True)
    try:
        own = result.municipality(municipality)
    except KeyError:
        return None
    return ServiceTestSummary(
        year=test_round.year,
        passed=own.passed,
        pass_mark=result.pass_mark,
        earlier=_earlier_service_tests(municipality, test_round),
        round_id=test_round.id,
        title=test_round.title,
        locked=test_round.status == "locked",
        score=own.score,
        rank=own.rank,
        ranked=sum(1 for m in result.municipalities if m.rank is not None),
        band=dict(own.band.label) if own.band else None,
        quartile=own.quartile,
        national_average=result.national_average,
    )


def _earlier_service_tests(municipality: str, shown: Any) -> list[tuple[int, str, float | None]]:
    """Earlier rounds that scored the municipality with the same scoring rules."""
    from surveyapp.servicetest import cache, operations
    from surveyapp.servicetest.models import TestRound, test_round_municipality

    fingerprint = operations.protocol_of(shown).scoring_fingerprint
    earlier = db.session.scalars(
        sa.select(TestRound)
        .join(test_round_municipality, test_round_municipality.c.test_round_id == TestRound.id)
        .where(
            test_round_municipality.c.municipality_code == municipality,
            TestRound.id != shown.id,
            sa.or_(
                TestRound.year < shown.year,
                sa.and_(TestRound.year == shown.year, TestRound.id < shown.id),
            ),
        )
        .order_by(TestRound.year, TestRound.id)
    ).all()
    out: list[tuple[int, str, float | None]] = []
    for test_round in earlier:
        if operations.protocol_of(test_round).scoring_fingerprint != fingerprint:
            out = []  # the scoring changed: the comparable series starts after it
            continue
        try:
            score = cache.scored_round(test_round, roll_up=True).municipality(municipality).score
        except KeyError:
            continue
        out.append((test_round.year, test_round.title, score))
    return out


def _is_demo(
    questionnaire_code: str,
    codes: list[str],
    year: int,
    service_test: ServiceTestSummary | None,
) -> bool:
    """Demo data anywhere in the figures: the own series (every year, under every number
    it had, and the predecessors' when pooled), the peers' year, or the service test shown
    beside them (one query, two at most)."""
    of_questionnaire = sa.select(Questionnaire.id).where(Questionnaire.code == questionnaire_code)
    demo = bool(
        db.session.scalar(
            sa.select(
                sa.exists().where(
                    SurveyRound.is_demo.is_(True),
                    SurveyRound.questionnaire_id.in_(of_questionnaire),
                    sa.or_(
                        SurveyRound.year == year,
                        SurveyRound.municipalities.any(Municipality.code.in_(codes)),
                    ),
                )
            )
        )
    )
    if service_test is not None and not demo:
        from surveyapp.servicetest.models import TestRound

        test_round = db.session.get(TestRound, service_test.round_id)
        demo = bool(test_round and test_round.is_demo)
    return demo


def build_report(
    municipality_code: str,
    questionnaire_code: str,
    year: int,
    *,
    min_group_size: int = stats.MIN_GROUP_SIZE,
    peer_scope: str = "all",
    peer_scope_name: str = "",
    group_members: list[str] | None = None,
    compare_with: list[str] | None = None,
    pool: bool = False,
    only_rounds: queries.RoundFilter = None,
    only_test_rounds: queries.RoundFilter = None,
) -> MunicipalityReport:
    """The whole dashboard for one municipality, questionnaire and year.

    Years stored under the municipality's earlier numbers are its own; predecessors'
    years (before a merger or split) are a break, pooled only when ``pool`` asks for it
    and the answers may honestly be pooled (``municipalities.years.pool``).

    only_rounds / only_test_rounds: count only these survey and service-test rounds
    (the open-data API passes the published ones); None counts every round.
    """
    municipality = db.session.get(Municipality, municipality_code)
    if municipality is None:
        raise NoData(municipality_code)
    history = lookup.history()
    group = years.family(history, municipality_code, municipality.name)
    stored = years.own_codes(history, group, year) or [municipality_code]
    definition, target = _definition_for(questionnaire_code, stored, year, only_rounds)
    indicator = definition.indicator
    if indicator is None:
        raise NoData(f"{questionnaire_code} has no satisfaction indicator")
    own: list[queries.IndicatorCount] = []
    predecessors: dict[Lineage, list[years.Count]] = {}
    for count in queries.indicator_counts(
        questionnaire_code, indicator, municipality=sorted(group.codes), only_rounds=only_rounds
    ):
        who = years.owner(history, group, count.municipality, count.year)
        if who == group.own:
            own.append(count)
        elif who is not None:
            predecessors.setdefault(who, []).append(
                years.Count(count.year, count.municipality, count.fingerprint, count.k, count.n)
            )
    pooling: list[years.Pooled] = []
    if group.formation is not None and predecessors:
        pooling = years.pool(
            group.formation,
            predecessors,
            _designs(history, group, questionnaire_code, only_rounds),
        )
    chosen = [p for p in pooling if p.refused is None] if pool else []
    trend = _trend(_own_counts(own), year, min_group_size, target, group.own, chosen)
    current = next((p for p in trend if p.year == year), None)
    headline = current.share if current else Share.of(0, 0, min_group_size)
    comparison = headline.comparison
    earlier = [p for p in trend if p.year < year]
    previous = earlier[-1] if earlier else None
    change = None
    change_comparable = bool(previous and current and previous.fingerprint == current.fingerprint)
    if (
        previous
        and current
        and change_comparable
        and previous.share.proportion
        and headline.proportion
    ):
        change = stats.difference(headline.k, headline.n, previous.share.k, previous.share.n)
    comparable = [
        (p.year, p.share.k, p.share.n)
        for p in trend
        if p.comparable and p.share.proportion is not None
    ]
    trend_test = stats.trend(comparable) if len(comparable) >= 3 else None

    scope = _scope_codes(history, _peer_codes(peer_scope, municipality, group_members))
    peer_counts, labels = _peers_of_year(
        history, questionnaire_code, indicator, year, scope, only_rounds
    )
    if current is not None:
        peer_counts = [c for c in peer_counts if c.fingerprint == current.fingerprint]
    counties: dict[str, str] = {
        str(code): str(county)
        for code, county in db.session.execute(
            sa.select(Municipality.code, Municipality.county_name).where(
                Municipality.code.in_({c.municipality for c in peer_counts})
            )
        )
    }
    compared = set(compare_with or [])
    # The pooled figure and the mean count only the shown municipalities, so a hidden one
    # cannot be worked out from them: primary suppression alone (disclosure.decide).
    peer_decision = disclosure.decide(
        [disclosure.Part(c.municipality, c.n, c.k) for c in peer_counts],
        min_group_size,
        total_shown=False,
    )
    peers: list[PeerRow] = []
    for count in peer_counts:
        if peer_decision.shows(count.municipality):
            share = Share.of(count.k, count.n, min_group_size, target)
        else:
            share = Share.of(count.k, count.n, min_group_size)
        difference = None
        if (
            count.municipality in compared
            and count.municipality != municipality_code
            and share.proportion
            and headline.proportion
        ):
            difference = stats.difference(headline.k, headline.n, count.k, count.n)
        label = labels[count.municipality]
        peers.append(
            PeerRow(
                count.municipality,
                label.name,
                "" if label.part_of else counties.get(count.municipality, ""),
                share,
                count.municipality == municipality_code,
                difference,
                label.then,
                label.part_of,
            )
        )
    peers = _peer_order(peers)
    summary = None
    if any(p.is_own for p in peers):
        summary = stats.peer_summary(
            [(c.municipality, c.k, c.n) for c in peer_counts], municipality_code, min_group_size
        )
    rounds = queries.round_ids(questionnaire_code, stored, year, only_rounds)
    own_years = sorted({p.year for p in trend if not p.pooled}, reverse=True)
    counts = queries.option_counts(rounds, stored)
    breakdowns = _breakdowns(definition, rounds, stored, min_group_size, target, counts)
    service_test = _service_test(municipality_code, only_test_rounds, year)
    pooled_codes = {c for p in chosen for lineage in p.parts for c in lineage.codes}
    return MunicipalityReport(
        municipality=municipality,
        questionnaire_code=questionnaire_code,
        definition=definition,
        year=year,
        years=own_years,
        target=target,
        min_group_size=min_group_size,
        responses=queries.response_count(rounds, stored),
        headline=headline,
        comparison=comparison,
        previous=previous,
        change=change,
        change_comparable=change_comparable,
        trend=trend,
        trend_test=trend_test,
        peers=peers,
        peer_summary=summary,
        peer_scope=PeerScope(
            peer_scope if peer_scope in ("county",) or peer_scope.startswith("group:") else "all",
            peer_scope_name or (municipality.county_name if peer_scope == "county" else ""),
        ),
        questions=_question_summaries(
            definition, rounds, stored, min_group_size, breakdowns, counts
        ),
        breakdowns=breakdowns,
        service_test=service_test,
        references=_references(history, year, scope, min_group_size),
        continuity=Continuity(
            periods=group.own.periods,
            formation=group.formation,
            predecessor_years=tuple(
                sorted({c.year for counts in predecessors.values() for c in counts})
            ),
            pooled=bool(chosen),
            pool_years=tuple(p.year for p in pooling if p.refused is None),
            pool_refused=tuple(p for p in pooling if p.refused is not None),
        ),
        stored_codes=tuple(queries.round_codes(rounds, stored)),
        channels=_channel_breakdown(definition, rounds, stored, min_group_size, target),
        demo=_is_demo(
            questionnaire_code,
            sorted(group.own.codes | pooled_codes),
            year,
            service_test,
        ),
    )


def _designs(
    history: History,
    group: years.Family,
    questionnaire_code: str,
    only_rounds: queries.RoundFilter = None,
) -> dict[tuple[int, Lineage], set[tuple[int, str]]]:
    """(questionnaire version, access) of the predecessors' rounds, per year."""
    designs: dict[tuple[int, Lineage], set[tuple[int, str]]] = {}
    codes = sorted({c for lineage in group.predecessors for c in lineage.codes})
    for design in queries.round_designs(questionnaire_code, codes, only_rounds):
        who = years.owner(history, group, design.municipality, design.year)
        if who is not None and who != group.own:
            designs.setdefault((design.year, who), set()).add(
                (design.questionnaire_id, design.access)
            )
    return designs


def _peers_of_year(
    history: History,
    questionnaire_code: str,
    indicator: Indicator,
    year: int,
    scope: frozenset[str] | None,
    only_rounds: queries.RoundFilter = None,
) -> tuple[list[queries.IndicatorCount], dict[str, _Label]]:
    """Every municipality's counts of the year under today's number where it is the same
    municipality (a figure stored as 1902 in 2019 is 5501 Tromsø's), or as itself when it
    has been merged or split since; within the scope's municipalities when one is given."""
    raw = queries.indicator_counts(
        questionnaire_code,
        indicator,
        year=year,
        municipalities=None if scope is None else sorted(scope),
        only_rounds=only_rounds,
    )
    labels: dict[str, _Label] = {}
    summed: dict[tuple[str, str], tuple[int, int]] = {}
    for count in raw:
        label = _follow(history, count.municipality, year)
        if scope is not None and not label.today & scope:
            continue
        labels.setdefault(label.code, label)
        k, n = summed.get((label.code, count.fingerprint), (0, 0))
        summed[(label.code, count.fingerprint)] = (k + count.k, n + count.n)
    counts = [
        queries.IndicatorCount(year, code, fingerprint, k, n)
        for (code, fingerprint), (k, n) in summed.items()
    ]
    return counts, labels


@dataclass(frozen=True)
class PredecessorSeries:
    """One earlier municipality's own years, and how it went into a later one."""

    lineage: Lineage
    formation: Formation  # the merger or split it went into
    kind: str  # merged (whole) or split (a part went in)
    trend: list[YearPoint]


@dataclass
class PredecessorReport:
    """The figures of the municipalities before today's, each its own (never summed)."""

    municipality: Municipality
    questionnaire_code: str
    definition: Definition | None
    target: float
    min_group_size: int
    formation: Formation | None
    series: list[PredecessorSeries]


def build_predecessors(
    municipality_code: str,
    questionnaire_code: str,
    *,
    min_group_size: int = stats.MIN_GROUP_SIZE,
) -> PredecessorReport:
    """Every predecessor's own years of a questionnaire, nearest predecessors first."""
    municipality = db.session.get(Municipality, municipality_code)
    if municipality is None:
        raise NoData(municipality_code)
    history = lookup.history()
    group = years.family(history, municipality_code, municipality.name)
    latest = db.session.scalar(
        sa.select(Questionnaire)
        .where(Questionnaire.code == questionnaire_code)
        .order_by(Questionnaire.version.desc())
        .limit(1)
    )
    definition = definition_of(latest) if latest is not None else None
    indicator = definition.indicator if definition is not None else None
    target = float(indicator.target) if indicator is not None else 0.8
    counts: dict[Lineage, list[queries.IndicatorCount]] = {}
    if indicator is not None and group.ancestors:
        codes = sorted({c for lineage in group.predecessors for c in lineage.codes})
        for count in queries.indicator_counts(questionnaire_code, indicator, municipality=codes):
            who = years.owner(history, group, count.municipality, count.year)
            if who is not None and who != group.own:
                counts.setdefault(who, []).append(count)
    series = []
    for lineage, formation in group.ancestors:
        own = _own_counts(counts.get(lineage, []))
        last = max((c.year for c in own), default=0)
        kind = next(p.kind for p in formation.predecessors if p.lineage == lineage)
        series.append(
            PredecessorSeries(
                lineage, formation, kind, _trend(own, last, min_group_size, target, lineage)
            )
        )
    return PredecessorReport(
        municipality,
        questionnaire_code,
        definition,
        target,
        min_group_size,
        group.formation,
        series,
    )


def as_dict(report: MunicipalityReport) -> dict[str, Any]:
    """Headline figures as plain data (for JSON and tests)."""
    p = report.headline.proportion
    return {
        "municipality": report.municipality.code,
        "year": report.year,
        "k": report.headline.k,
        "n": report.headline.n,
        "share": None if p is None else p.share,
        "low": None if p is None else p.interval.low,
        "high": None if p is None else p.interval.high,
        "target": report.target,
        "verdict": None if report.comparison is None else report.comparison.verdict.value,
        # Every year under today's number, with the number and name it had then.
        "years": [
            {
                "year": point.year,
                "number": (point.then.code if point.then else report.municipality.code)
                if not point.pooled
                else None,
                "name": (point.then.name if point.then else report.municipality.name)
                if not point.pooled
                else None,
                "pooled_from": list(point.pooled),
                "k": point.share.k if point.share.proportion else None,
                "n": point.share.n if point.share.proportion else None,
            }
            for point in report.trend
        ],
    }
