"""Everything a planner's dashboard (and every export) shows for one municipality and year.

Built from the SQL aggregates in ``queries`` and the plain statistics in ``stats``; the
dashboard, the workbook, the charts and the printed report all read this one object,
so they always show the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.municipalities.models import Municipality
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.questionnaires.schema import Definition, Question
from surveyapp.questionnaires.store import definition_of
from surveyapp.results import queries, stats
from surveyapp.surveys.models import SurveyRound

GROUP_QUESTIONS = ("channel", "service_area")


@dataclass(frozen=True)
class Share:
    """A share with its n, interval, and whether it must be hidden (small group)."""

    k: int
    n: int
    proportion: stats.Proportion | None  # None when suppressed or n == 0
    suppressed: bool

    @classmethod
    def of(cls, k: int, n: int, min_group_size: int) -> Share:
        hidden = stats.is_suppressed(n, min_group_size)
        return cls(k, n, None if hidden or n == 0 else stats.proportion(k, n), hidden)


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
    """A published figure imported with `flask peers import` (indicator satisfied_share)."""

    code: str
    name: str
    value: float
    n: int | None
    interval: stats.Interval | None  # when n is known and not a small group
    source: str


@dataclass(frozen=True)
class OptionShare:
    value: str
    label: dict[str, str]
    count: int
    share: Share


@dataclass(frozen=True)
class QuestionSummary:
    question: Question
    n: int
    suppressed: bool
    options: list[OptionShare]
    mean: stats.Mean | None = None
    index: stats.Mean | None = None
    numeric: queries.NumericSummary | None = None


@dataclass(frozen=True)
class GroupRow:
    value: str
    label: dict[str, str]
    share: Share


@dataclass(frozen=True)
class Breakdown:
    question: Question
    rows: list[GroupRow]
    hidden_groups: int


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
    peer_label: str
    questions: list[QuestionSummary]
    breakdowns: list[Breakdown]
    service_test: ServiceTestSummary | None
    references: list[ReferenceRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def wording_changed(self) -> bool:
        return any(point.break_before for point in self.trend)


class NoData(LookupError):
    """No round of this questionnaire for the municipality (and year)."""


def survey_questionnaires_for(municipality: str) -> list[tuple[str, list[int]]]:
    """(questionnaire code, years) with rounds in the municipality, newest year first."""
    rows = db.session.execute(
        sa.select(Questionnaire.code, SurveyRound.year)
        .join(SurveyRound, SurveyRound.questionnaire_id == Questionnaire.id)
        .where(
            SurveyRound.municipalities.any(Municipality.code == municipality),
            Questionnaire.kind == "survey",
        )
        .distinct()
    ).all()
    years: dict[str, set[int]] = {}
    for code, year in rows:
        years.setdefault(str(code), set()).add(int(year))
    return sorted(
        ((code, sorted(ys, reverse=True)) for code, ys in years.items()),
        key=lambda item: (-item[1][0], item[0]),
    )


def _definition_for(
    questionnaire_code: str, municipality: str, year: int
) -> tuple[Definition, float]:
    survey_round = db.session.scalar(
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
    if survey_round is None:
        raise NoData(f"no {questionnaire_code} round for {municipality} in {year}")
    return definition_of(survey_round.questionnaire), float(survey_round.target)


def _trend(counts: list[queries.IndicatorCount], year: int, min_group_size: int) -> list[YearPoint]:
    by_year: dict[int, queries.IndicatorCount] = {}
    for count in counts:
        current = by_year.get(count.year)
        # Two wordings in one year (a mid-year change): keep the larger group.
        if current is None or count.n > current.n:
            by_year[count.year] = count
    selected = by_year.get(year)
    points: list[YearPoint] = []
    previous_print: str | None = None
    for y in sorted(by_year):
        count = by_year[y]
        points.append(
            YearPoint(
                year=y,
                share=Share.of(count.k, count.n, min_group_size),
                fingerprint=count.fingerprint,
                comparable=selected is not None and count.fingerprint == selected.fingerprint,
                break_before=previous_print is not None and previous_print != count.fingerprint,
            )
        )
        previous_print = count.fingerprint
    return points


def _question_summaries(
    definition: Definition, rounds: list[int], municipality: str, min_group_size: int
) -> list[QuestionSummary]:
    counts = queries.option_counts(rounds, municipality)
    numeric_codes = [q.code for q in definition.questions if q.type in ("number", "duration")]
    numeric = queries.numeric_summaries(rounds, municipality, numeric_codes)
    summaries: list[QuestionSummary] = []
    for question in definition.questions:
        if question.type in ("rating", "single", "multiple", "yesno"):
            per_option = counts.get(question.code, {})
            if question.type == "multiple":
                n = queries.response_count(rounds, municipality) if per_option else 0
            else:
                n = sum(per_option.values())
            hidden = stats.is_suppressed(n, min_group_size)
            options = [
                OptionShare(
                    str(o.value),
                    o.label,
                    per_option.get(str(o.value), 0),
                    Share.of(per_option.get(str(o.value), 0), n, min_group_size),
                )
                for o in question.options
            ]
            if question.dont_know:
                dk = per_option.get("dont_know", 0)
                options.append(OptionShare("dont_know", {}, dk, Share.of(dk, n, min_group_size)))
            mean = index = None
            if question.type == "rating" and not hidden:
                rated = {float(v): c for v, c in per_option.items() if v != "dont_know" and c}
                if sum(rated.values()) >= 2:
                    values = [float(o.value) for o in question.options]
                    mean = stats.mean_from_counts(rated)
                    index = stats.index_from_counts(rated, min(values), max(values))
            summaries.append(
                QuestionSummary(question, n, hidden, [] if hidden else options, mean, index)
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
    definition: Definition, rounds: list[int], municipality: str, min_group_size: int
) -> list[Breakdown]:
    if definition.indicator is None:
        return []
    result: list[Breakdown] = []
    codes = {q.code for q in definition.questions}
    for group_code in GROUP_QUESTIONS:
        if group_code not in codes:
            continue
        question = definition.question(group_code)
        counts = queries.indicator_by_group(rounds, municipality, definition.indicator, group_code)
        rows: list[GroupRow] = []
        hidden = 0
        for option in question.options:
            k, n = counts.get(str(option.value), (0, 0))
            share = Share.of(k, n, min_group_size)
            hidden += share.suppressed and n > 0
            rows.append(GroupRow(str(option.value), option.label, share))
        result.append(Breakdown(question, rows, hidden))
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
    rows = []
    for value, name in db.session.execute(query):
        interval = None
        if value.n is not None and not stats.is_suppressed(value.n, min_group_size):
            k = min(value.n, max(0, round(value.value * value.n)))
            interval = stats.proportion(k, value.n).interval
        rows.append(
            ReferenceRow(
                value.municipality_code,
                str(name),
                float(value.value),
                value.n,
                interval,
                value.source,
            )
        )
    return rows


def _service_test(municipality: str) -> ServiceTestSummary | None:
    from surveyapp.servicetest import cache
    from surveyapp.servicetest.models import TestAssignment, TestRound

    test_round = db.session.scalar(
        sa.select(TestRound)
        .where(
            TestRound.id.in_(
                sa.select(TestAssignment.test_round_id).where(
                    TestAssignment.municipality_code == municipality
                )
            )
        )
        .order_by((TestRound.status == "locked").desc(), TestRound.year.desc(), TestRound.id.desc())
        .limit(1)
    )
    if test_round is None:
        return None
    result = cache.scored_round(test_round)
    try:
        own = result.municipality(municipality)
    except KeyError:
        return None
    return ServiceTestSummary(
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


def build_report(
    municipality_code: str,
    questionnaire_code: str,
    year: int,
    *,
    min_group_size: int = stats.MIN_GROUP_SIZE,
    peer_scope: str = "all",
    peer_label: str = "",
    group_members: list[str] | None = None,
    compare_with: list[str] | None = None,
) -> MunicipalityReport:
    """The whole dashboard for one municipality, questionnaire and year."""
    municipality = db.session.get(Municipality, municipality_code)
    if municipality is None:
        raise NoData(municipality_code)
    definition, target = _definition_for(questionnaire_code, municipality_code, year)
    indicator = definition.indicator
    if indicator is None:
        raise NoData(f"{questionnaire_code} has no satisfaction indicator")
    own_counts = queries.indicator_counts(
        questionnaire_code, indicator, municipality=municipality_code
    )
    trend = _trend(own_counts, year, min_group_size)
    current = next((p for p in trend if p.year == year), None)
    headline = current.share if current else Share.of(0, 0, min_group_size)
    comparison = None
    if headline.proportion is not None:
        comparison = stats.compare_to_target(headline.k, headline.n, target)
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
        questionnaire_code, indicator, year=year, municipalities=scope_codes
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
    peers: list[PeerRow] = []
    for count in sorted(peer_counts, key=lambda c: -(c.k / c.n if c.n else 0)):
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
    summary = None
    if any(p.is_own for p in peers):
        summary = stats.peer_summary(
            [(c.municipality, c.k, c.n) for c in peer_counts], municipality_code, min_group_size
        )
    rounds = queries.round_ids(questionnaire_code, municipality_code, year)
    years = sorted({p.year for p in trend}, reverse=True)
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
        peer_label=peer_label,
        questions=_question_summaries(definition, rounds, municipality_code, min_group_size),
        breakdowns=_breakdowns(definition, rounds, municipality_code, min_group_size),
        service_test=_service_test(municipality_code),
        references=_references(year, scope_codes, min_group_size),
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
