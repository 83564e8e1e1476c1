"""The SQL aggregates results rest on: counts grouped in the database, never row loops.

Each function is one query. Answers are counted per round year, municipality and the
fingerprint of the question's wording, so that changed wording can be shown as a break.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.questionnaires.models import QuestionFingerprint, Questionnaire
from surveyapp.questionnaires.survey import Indicator
from surveyapp.surveys.models import Answer, SurveyRound, round_municipality

DONT_KNOW = "dont_know"

#: Only these rounds count (ids, or a SELECT of ids): the published ones, for the
#: open-data API. None: every round, as the planner's dashboard counts.
RoundFilter = sa.Select[Any] | Sequence[int] | None


def restrict_rounds(query: sa.Select[Any], only_rounds: RoundFilter) -> sa.Select[Any]:
    if only_rounds is None:
        return query
    ids = only_rounds if isinstance(only_rounds, sa.Select) else list(only_rounds)
    return query.where(SurveyRound.id.in_(ids))


@dataclass(frozen=True)
class IndicatorCount:
    year: int
    municipality: str
    fingerprint: str
    k: int  # satisfied answers
    n: int  # valid answers ("don't know" and excluded options left out)


def _options(values: Iterable[int | str]) -> list[str]:
    return [str(v) for v in values]


def _codes(municipality: str | Sequence[str]) -> list[str]:
    """One number, or the numbers a municipality's data is stored under (its earlier
    numbers too, ``municipalities.years``)."""
    return [municipality] if isinstance(municipality, str) else list(municipality)


def indicator_counts(
    questionnaire_code: str,
    indicator: Indicator,
    *,
    municipality: str | Sequence[str] | None = None,
    year: int | None = None,
    municipalities: Sequence[str] | None = None,
    only_rounds: RoundFilter = None,
) -> list[IndicatorCount]:
    """Satisfied and valid answers to the indicator question, grouped in SQL.

    ``municipality``: one municipality's numbers (its rounds only); ``municipalities``:
    answers under any of these numbers (the peers).
    """
    satisfied = _options(indicator.satisfied)
    excluded = [*_options(indicator.excluded), DONT_KNOW]
    rounds = (
        sa.select(SurveyRound.id)
        .join(Questionnaire, Questionnaire.id == SurveyRound.questionnaire_id)
        .where(Questionnaire.code == questionnaire_code)
    )
    rounds = restrict_rounds(rounds, only_rounds)
    if year is not None:
        rounds = rounds.where(SurveyRound.year == year)
    if municipality is not None:
        rounds = rounds.where(
            SurveyRound.id.in_(
                sa.select(round_municipality.c.round_id).where(
                    round_municipality.c.municipality_code.in_(_codes(municipality))
                )
            )
        )
    query = (
        sa.select(
            SurveyRound.year,
            Answer.municipality_code,
            QuestionFingerprint.fingerprint,
            sa.func.sum(sa.case((Answer.option.in_(satisfied), 1), else_=0)),
            sa.func.count(),
        )
        .join(SurveyRound, SurveyRound.id == Answer.round_id)
        .join(
            QuestionFingerprint,
            sa.and_(
                QuestionFingerprint.questionnaire_id == SurveyRound.questionnaire_id,
                QuestionFingerprint.code == Answer.question_code,
            ),
        )
        .where(
            Answer.round_id.in_(rounds),
            Answer.question_code == indicator.question,
            Answer.option.is_not(None),
            Answer.option.not_in(excluded),
        )
        .group_by(SurveyRound.year, Answer.municipality_code, QuestionFingerprint.fingerprint)
    )
    if municipality is not None:
        query = query.where(Answer.municipality_code.in_(_codes(municipality)))
    if municipalities is not None:
        query = query.where(Answer.municipality_code.in_(list(municipalities)))
    return [
        IndicatorCount(int(y), str(m), str(f), int(k or 0), int(n))
        for y, m, f, k, n in db.session.execute(query)
    ]


def round_ids(
    questionnaire_code: str,
    municipality: str | Sequence[str],
    year: int,
    only_rounds: RoundFilter = None,
) -> list[int]:
    """The rounds of a questionnaire in which a municipality took part in a year."""
    query = (
        sa.select(SurveyRound.id)
        .join(Questionnaire, Questionnaire.id == SurveyRound.questionnaire_id)
        .join(round_municipality, round_municipality.c.round_id == SurveyRound.id)
        .where(
            Questionnaire.code == questionnaire_code,
            SurveyRound.year == year,
            round_municipality.c.municipality_code.in_(_codes(municipality)),
        )
        .distinct()
    )
    return list(db.session.scalars(restrict_rounds(query, only_rounds)))


def round_codes(rounds: Sequence[int], municipality: str | Sequence[str]) -> list[str]:
    """Which of a municipality's numbers the rounds were held under."""
    if not rounds:
        return []
    return list(
        db.session.scalars(
            sa.select(round_municipality.c.municipality_code)
            .where(
                round_municipality.c.round_id.in_(list(rounds)),
                round_municipality.c.municipality_code.in_(_codes(municipality)),
            )
            .distinct()
            .order_by(round_municipality.c.municipality_code)
        )
    )


@dataclass(frozen=True)
class RoundDesign:
    """How a municipality was asked in a year: questionnaire version and access."""

    year: int
    municipality: str
    questionnaire_id: int
    access: str


def round_designs(
    questionnaire_code: str, municipalities: Sequence[str], only_rounds: RoundFilter = None
) -> list[RoundDesign]:
    """The designs of the rounds of a questionnaire under some numbers, per year."""
    if not municipalities:
        return []
    query = (
        sa.select(
            SurveyRound.year,
            round_municipality.c.municipality_code,
            SurveyRound.questionnaire_id,
            SurveyRound.access,
        )
        .join(Questionnaire, Questionnaire.id == SurveyRound.questionnaire_id)
        .join(round_municipality, round_municipality.c.round_id == SurveyRound.id)
        .where(
            Questionnaire.code == questionnaire_code,
            round_municipality.c.municipality_code.in_(list(municipalities)),
        )
        .distinct()
    )
    rows = db.session.execute(restrict_rounds(query, only_rounds))
    return [RoundDesign(int(y), str(m), int(q), str(a)) for y, m, q, a in rows]


def option_counts(
    rounds: Sequence[int], municipality: str | Sequence[str]
) -> dict[str, dict[str, int]]:
    """question → option → answers, for choice and rating questions."""
    if not rounds:
        return {}
    rows = db.session.execute(
        sa.select(Answer.question_code, Answer.option, sa.func.count())
        .where(
            Answer.round_id.in_(list(rounds)),
            Answer.municipality_code.in_(_codes(municipality)),
            Answer.option.is_not(None),
        )
        .group_by(Answer.question_code, Answer.option)
    )
    result: dict[str, dict[str, int]] = {}
    for question, option, count in rows:
        result.setdefault(str(question), {})[str(option)] = int(count)
    return result


@dataclass(frozen=True)
class NumericSummary:
    n: int
    mean: float | None
    low: float | None
    high: float | None


def numeric_summaries(
    rounds: Sequence[int], municipality: str | Sequence[str], questions: Sequence[str]
) -> dict[str, NumericSummary]:
    """Count, mean and range of number and duration questions."""
    if not rounds or not questions:
        return {}
    rows = db.session.execute(
        sa.select(
            Answer.question_code,
            sa.func.count(Answer.value_num),
            sa.func.avg(Answer.value_num),
            sa.func.min(Answer.value_num),
            sa.func.max(Answer.value_num),
        )
        .where(
            Answer.round_id.in_(list(rounds)),
            Answer.municipality_code.in_(_codes(municipality)),
            Answer.question_code.in_(list(questions)),
        )
        .group_by(Answer.question_code)
    )
    return {
        str(q): NumericSummary(
            int(n),
            None if mean is None else float(mean),
            None if low is None else float(low),
            None if high is None else float(high),
        )
        for q, n, mean, low, high in rows
    }


def indicator_by_group(
    rounds: Sequence[int],
    municipality: str | Sequence[str],
    indicator: Indicator,
    group_question: str,
) -> dict[str, tuple[int, int]]:
    """group option → (satisfied, valid) on the indicator, by another question's answer."""
    if not rounds:
        return {}
    grouping = sa.orm.aliased(Answer)
    satisfied = _options(indicator.satisfied)
    excluded = [*_options(indicator.excluded), DONT_KNOW]
    rows = db.session.execute(
        sa.select(
            grouping.option,
            sa.func.sum(sa.case((Answer.option.in_(satisfied), 1), else_=0)),
            sa.func.count(),
        )
        .join(
            grouping,
            sa.and_(
                grouping.response_id == Answer.response_id, grouping.question_code == group_question
            ),
        )
        .where(
            Answer.round_id.in_(list(rounds)),
            Answer.municipality_code.in_(_codes(municipality)),
            Answer.question_code == indicator.question,
            Answer.option.not_in(excluded),
            grouping.option.is_not(None),
        )
        .group_by(grouping.option)
    )
    return {str(option): (int(k or 0), int(n)) for option, k, n in rows}


def indicator_by_channel(
    rounds: Sequence[int], municipality: str | Sequence[str], indicator: Indicator
) -> dict[str, tuple[int, int, int]]:
    """channel → (satisfied, valid on the indicator, responses) for the rounds."""
    from surveyapp.surveys.models import Response

    if not rounds:
        return {}
    satisfied = _options(indicator.satisfied)
    excluded = [*_options(indicator.excluded), DONT_KNOW]
    valid = sa.and_(Answer.question_code == indicator.question, Answer.option.not_in(excluded))
    rows = db.session.execute(
        sa.select(
            Response.channel,
            sa.func.sum(sa.case((sa.and_(valid, Answer.option.in_(satisfied)), 1), else_=0)),
            sa.func.sum(sa.case((valid, 1), else_=0)),
            sa.func.count(sa.distinct(Response.id)),
        )
        .outerjoin(
            Answer,
            sa.and_(Answer.response_id == Response.id, Answer.question_code == indicator.question),
        )
        .where(
            Response.round_id.in_(list(rounds)),
            Response.municipality_code.in_(_codes(municipality)),
        )
        .group_by(Response.channel)
    )
    return {str(c): (int(k or 0), int(n or 0), int(size)) for c, k, n, size in rows}


def response_count(rounds: Sequence[int], municipality: str | Sequence[str]) -> int:
    from surveyapp.surveys.models import Response

    if not rounds:
        return 0
    return int(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Response)
            .where(
                Response.round_id.in_(list(rounds)),
                Response.municipality_code.in_(_codes(municipality)),
            )
        )
        or 0
    )
