"""Everything a planner's dashboard (and every export) shows for one municipality and year.

Built from the SQL aggregates in ``queries``, the plain statistics in ``stats`` and the
disclosure rule in ``disclosure``; the dashboard, the charts, the workbook, the CSV
files, the printed report and the command line all read this one object, so they show
the same numbers and hide the same cells. A hidden figure is not in the object at all
(its counts are zeroed), so no output can print it by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.municipalities.models import Municipality
from surveyapp.questionnaires.definition import Definition
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.questionnaires.store import definition_of
from surveyapp.questionnaires.survey import Indicator, Question
from surveyapp.results import disclosure, queries, stats
from surveyapp.surveys.models import SurveyRound

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


@dataclass(frozen=True)
class PeerRow:
    code: str
    name: str
    county: str
    share: Share
    is_own: bool
    difference: stats.Difference | None  # own minus this peer, when both are shown


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


def survey_questionnaires_for(
    municipality: str, only_rounds: queries.RoundFilter = None
) -> list[tuple[str, list[int]]]:
    """(questionnaire code, years) with rounds in the municipality, newest year first."""
    query = (
        sa.select(Questionnaire.code, SurveyRound.year)
        .join(SurveyRound, SurveyRound.questionnaire_id == Questionnaire.id)
        .where(
            SurveyRound.municipalities.any(Municipality.code == municipality),
            Questionnaire.kind == "survey",
        )
        .distinct()
    )
    rows = db.session.execute(queries.restrict_rounds(query, only_rounds)).all()
    years: dict[str, set[int]] = {}
    for code, year in rows:
        years.setdefault(str(code), set()).add(int(year))
    return sorted(
        ((code, sorted(ys, reverse=True)) for code, ys in years.items()),
        key=lambda item: (-item[1][0], item[0]),
    )


def _definition_for(
    questionnaire_code: str, municipality: str, year: int, only_rounds: queries.RoundFilter = None
) -> tuple[Definition, float]:
    query = (
        sa.select(SurveyRound)
        .join(Questionnaire, Questionnaire.id == SurveyRound.questionnaire_id)
        .where(
            Questionnaire.code == questionnaire_code,
            SurveyRound.year == year,
            SurveyRound.municipalities.any(Municipality.code == municipality),
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
    counts: list[queries.IndicatorCount], year: int, min_group_size: int, target: float
) -> list[YearPoint]:
    by_year = one_wording_per_year(counts)
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
            )
        )
        previous_print = count.fingerprint
    return points


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
    if question.type == "multiple":
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
    if question.type == "rating":
        rated = {float(v): c for v, c in per_option.items() if v in valid and c}
        if sum(rated.values()) >= 2:
            values = [float(o.value) for o in question.options]
            mean = stats.mean_from_counts(rated)
            index = stats.index_from_counts(rated, min(values), max(values))
    return QuestionSummary(question, n, False, options, mean, index, dont_know=dont_know)


def _question_summaries(
    definition: Definition,
    rounds: list[int],
    municipality: str,
    min_group_size: int,
    breakdowns: list[Breakdown],
    counts: dict[str, dict[str, int]],
) -> list[QuestionSummary]:
    numeric_codes = [q.code for q in definition.questions if q.type in ("number", "duration")]
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
        if question.type in ("rating", "single", "multiple", "yesno"):
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
    municipality: str,
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


def _peer_codes(scope: str, own: Municipality, group_members: list[str] | None) -> list[str] | None:
    if scope == "county":
        return list(
            db.session.scalars(
                sa.select(Municipality.code).where(Municipality.county_code == own.county_code)
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


def _references(year: int, codes: list[str] | None, min_group_size: int) -> list[ReferenceRow]:
    """Imported reference values of the share satisfied for the year (one query)."""
    from surveyapp.results.models import PeerValue

    query = (
        sa.select(PeerValue, Municipality.name)
        .join(Municipality, Municipality.code == PeerValue.municipality_code)
        .where(PeerValue.year == year, PeerValue.indicator == REFERENCE_INDICATOR)
        .order_by(PeerValue.value.desc(), Municipality.name)
    )
    if codes is not None:
        query = query.where(PeerValue.municipality_code.in_(codes))
    shown: list[ReferenceRow] = []
    hidden: list[ReferenceRow] = []
    for value, name in db.session.execute(query):
        interval = None
        small = value.n is not None and stats.is_suppressed(value.n, min_group_size)
        if value.n is not None and not small:
            k = min(value.n, max(0, round(value.value * value.n)))
            method = stats.interval_method(value.n)
            interval = stats.proportion(k, value.n, method=method).interval
        row = ReferenceRow(
            value.municipality_code,
            str(name),
            None if small else float(value.value),
            value.n,
            interval,
            value.source,
        )
        (hidden if small else shown).append(row)
    # Hidden figures by name after the shown ones, never placed by their value.
    return shown + sorted(hidden, key=lambda r: (r.name, r.source))


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
    questionnaire_code: str, municipality: str, year: int, service_test: ServiceTestSummary | None
) -> bool:
    """Demo data anywhere in the figures: the own series (every year), the peers' year, or
    the service test shown beside them (one query, two at most)."""
    of_questionnaire = sa.select(Questionnaire.id).where(Questionnaire.code == questionnaire_code)
    demo = bool(
        db.session.scalar(
            sa.select(
                sa.exists().where(
                    SurveyRound.is_demo.is_(True),
                    SurveyRound.questionnaire_id.in_(of_questionnaire),
                    sa.or_(
                        SurveyRound.year == year,
                        SurveyRound.municipalities.any(Municipality.code == municipality),
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
    only_rounds: queries.RoundFilter = None,
    only_test_rounds: queries.RoundFilter = None,
) -> MunicipalityReport:
    """The whole dashboard for one municipality, questionnaire and year.

    only_rounds / only_test_rounds: count only these survey and service-test rounds
    (the open-data API passes the published ones); None counts every round.
    """
    municipality = db.session.get(Municipality, municipality_code)
    if municipality is None:
        raise NoData(municipality_code)
    definition, target = _definition_for(questionnaire_code, municipality_code, year, only_rounds)
    indicator = definition.indicator
    if indicator is None:
        raise NoData(f"{questionnaire_code} has no satisfaction indicator")
    own_counts = queries.indicator_counts(
        questionnaire_code, indicator, municipality=municipality_code, only_rounds=only_rounds
    )
    trend = _trend(own_counts, year, min_group_size, target)
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

    scope_codes = _peer_codes(peer_scope, municipality, group_members)
    peer_counts = queries.indicator_counts(
        questionnaire_code,
        indicator,
        year=year,
        municipalities=scope_codes,
        only_rounds=only_rounds,
    )
    if current is not None:
        peer_counts = [c for c in peer_counts if c.fingerprint == current.fingerprint]
    names = {
        m.code: m
        for m in db.session.scalars(
            sa.select(Municipality).where(
                Municipality.code.in_({c.municipality for c in peer_counts})
            )
        )
    }
    chosen = set(compare_with or [])
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
            count.municipality in chosen
            and count.municipality != municipality_code
            and share.proportion
            and headline.proportion
        ):
            difference = stats.difference(headline.k, headline.n, count.k, count.n)
        place = names.get(count.municipality)
        peers.append(
            PeerRow(
                count.municipality,
                place.name if place else count.municipality,
                place.county_name if place else "",
                share,
                count.municipality == municipality_code,
                difference,
            )
        )
    peers = _peer_order(peers)
    summary = None
    if any(p.is_own for p in peers):
        summary = stats.peer_summary(
            [(c.municipality, c.k, c.n) for c in peer_counts], municipality_code, min_group_size
        )
    rounds = queries.round_ids(questionnaire_code, municipality_code, year, only_rounds)
    years = sorted({p.year for p in trend}, reverse=True)
    counts = queries.option_counts(rounds, municipality_code)
    breakdowns = _breakdowns(definition, rounds, municipality_code, min_group_size, target, counts)
    service_test = _service_test(municipality_code, only_test_rounds, year)
    return MunicipalityReport(
        municipality=municipality,
        questionnaire_code=questionnaire_code,
        definition=definition,
        year=year,
        years=years,
        target=target,
        min_group_size=min_group_size,
        responses=queries.response_count(rounds, municipality_code),
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
            definition, rounds, municipality_code, min_group_size, breakdowns, counts
        ),
        breakdowns=breakdowns,
        service_test=service_test,
        references=_references(year, scope_codes, min_group_size),
        demo=_is_demo(questionnaire_code, municipality_code, year, service_test),
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
    }
