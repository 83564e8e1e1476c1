"""What the API reads, for whom: the public (published rounds) or a token's owner.

One rule: the public sees published rounds only; a token sees what its owner may see
on the staff pages (``accounts.scope``), and the public part besides. Reports are built
by ``results.report.build_report``, the same function the dashboard uses, restricted to
the published rounds for the public.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from surveyapp.accounts import scope
from surveyapp.accounts.models import User
from surveyapp.api import tables
from surveyapp.api.models import ApiToken, Publication, PublishedCount
from surveyapp.api.publishing import published_survey_rounds, published_test_rounds
from surveyapp.extensions import db
from surveyapp.municipalities import lookup
from surveyapp.municipalities.history import RENUMBERED, History, OldNumber
from surveyapp.municipalities.models import Municipality, MunicipalityChange
from surveyapp.questionnaires.definition import Definition
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.questionnaires.store import definition_of, latest_version
from surveyapp.results import queries
from surveyapp.results.report import (
    MunicipalityReport,
    NoData,
    Share,
    build_report,
    one_wording_per_year,
    survey_questionnaires_for,
)
from surveyapp.servicetest.models import TestRound, test_round_municipality
from surveyapp.surveys.models import Response, SurveyRound, round_municipality

#: Changes whenever what a response of the API means changes (part of every ETag).
FORMAT_VERSION = "1"


@dataclass(frozen=True)
class Client:
    """Who asks: nobody in particular, or a token and its owner."""

    token: ApiToken | None = None

    @property
    def owner(self) -> User | None:
        return self.token.owner if self.token is not None else None

    @property
    def codes(self) -> frozenset[str] | None:
        """Municipalities whose unpublished figures the client may see (None: all)."""
        if self.owner is None:
            return frozenset()
        return scope.visible_codes(self.owner)

    def may_see_unpublished(self, codes: Iterable[str]) -> bool:
        return self.owner is not None and scope.may_see_any(self.owner, list(codes))

    def may_see_municipality(self, code: str) -> bool:
        return self.owner is not None and scope.may_see(self.owner, code)


class Hidden(LookupError):
    """The thing exists but this client may not see it (a token outside its scope)."""


def digest(*parts: Any) -> str:
    """A strong ETag value from plain data."""
    text = json.dumps([FORMAT_VERSION, *parts], default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


# --------------------------------------------------------------------------- rounds


def _round_codes(round_ids: Sequence[int]) -> dict[int, list[str]]:
    codes: dict[int, list[str]] = {}
    if not round_ids:
        return codes
    for round_id, code in db.session.execute(
        sa.select(round_municipality.c.round_id, round_municipality.c.municipality_code)
        .where(round_municipality.c.round_id.in_(round_ids))
        .order_by(round_municipality.c.municipality_code)
    ):
        codes.setdefault(int(round_id), []).append(str(code))
    return codes


@dataclass(frozen=True)
class RoundInfo:
    survey_round: SurveyRound
    municipalities: list[str]
    published_at: datetime | None


def visible_rounds(client: Client) -> list[RoundInfo]:
    """Survey rounds the client may see: published ones, and the owner's others."""
    published = {
        int(round_id): moment
        for round_id, moment in db.session.execute(
            sa.select(Publication.survey_round_id, Publication.published_at).where(
                Publication.survey_round_id.is_not(None)
            )
        )
    }
    query = sa.select(SurveyRound).order_by(SurveyRound.year.desc(), SurveyRound.id.desc())
    codes = client.codes
    if codes is not None:
        mine = sa.select(round_municipality.c.round_id).where(
            round_municipality.c.municipality_code.in_(codes)
        )
        query = query.where(
            sa.or_(SurveyRound.id.in_(published_survey_rounds()), SurveyRound.id.in_(mine))
        )
    rounds = list(db.session.scalars(query))
    by_round = _round_codes([r.id for r in rounds])
    return [RoundInfo(r, by_round.get(r.id, []), published.get(r.id)) for r in rounds]


def round_for(client: Client, round_id: int) -> RoundInfo | None:
    """One round if the client may see it; None if missing or (for the public) unpublished.

    Raises Hidden when a token's owner may not see it (403 rather than 404: staff know
    that rounds exist)."""
    survey_round = db.session.get(SurveyRound, round_id)
    if survey_round is None:
        return None
    publication = db.session.scalar(
        sa.select(Publication).where(Publication.survey_round_id == round_id)
    )
    codes = _round_codes([round_id]).get(round_id, [])
    if publication is None and not client.may_see_unpublished(codes):
        if client.owner is None:
            return None
        raise Hidden(round_id)
    return RoundInfo(survey_round, codes, publication.published_at if publication else None)


# --------------------------------------------------------------------------- questionnaires


def visible_questionnaires(client: Client) -> list[Questionnaire]:
    """Survey questionnaires with a round the client may see, latest version first."""
    round_ids = [info.survey_round.questionnaire_id for info in visible_rounds(client)]
    codes = set(
        db.session.scalars(sa.select(Questionnaire.code).where(Questionnaire.id.in_(round_ids)))
    )
    if not codes:
        return []
    return list(
        db.session.scalars(
            sa.select(Questionnaire)
            .where(Questionnaire.code.in_(codes))
            .order_by(Questionnaire.code, Questionnaire.version.desc())
        )
    )


# --------------------------------------------------------------------------- reports


def report_for(
    client: Client, questionnaire: str, year: int, municipality: str, min_group_size: int
) -> MunicipalityReport:
    """The dashboard's report; the public's counts only published rounds.

    A token whose owner may see the municipality gets exactly the owner's dashboard."""
    if client.may_see_municipality(municipality):
        only_rounds = only_tests = None
    else:
        only_rounds, only_tests = published_survey_rounds(), published_test_rounds()
    available = dict(survey_questionnaires_for(municipality, only_rounds))
    if year not in available.get(questionnaire, []):
        raise NoData(f"{questionnaire} {year} {municipality}")
    return build_report(
        municipality,
        questionnaire,
        year,
        min_group_size=min_group_size,
        only_rounds=only_rounds,
        only_test_rounds=only_tests,
    )


def report_version(client: Client, questionnaire: str, year: int, municipality: str) -> str:
    """An ETag for a report: published rounds of the questionnaire and, for an owner who
    may see the municipality, the responses so far in every round of it (all rounds
    of the year count towards peers)."""
    parts: list[Any] = ["report", questionnaire, year, municipality]
    parts.append(_publications_of(questionnaire))
    parts.append(history_version())
    if client.may_see_municipality(municipality):
        parts.append(_response_counts(questionnaire))
        parts.append(client.codes is None)
    parts.append(_test_publications())
    return digest(*parts)


def _publications_of(questionnaire: str) -> list[Any]:
    """The questionnaire's publications in a few numbers (one aggregate, whatever their
    count): any publication or withdrawal changes them."""
    row = db.session.execute(
        sa.select(
            sa.func.count(Publication.id),
            sa.func.sum(Publication.id),
            sa.func.max(Publication.id),
            sa.func.max(Publication.published_at),
        )
        .join(SurveyRound, SurveyRound.id == Publication.survey_round_id)
        .join(Questionnaire, Questionnaire.id == SurveyRound.questionnaire_id)
        .where(Questionnaire.code == questionnaire)
    ).one()
    return [str(value) for value in row]


def _test_publications() -> list[Any]:
    row = db.session.execute(
        sa.select(
            sa.func.count(Publication.id),
            sa.func.sum(Publication.id),
            sa.func.max(Publication.published_at),
        ).where(Publication.test_round_id.is_not(None))
    ).one()
    return [str(value) for value in row]


def _response_counts(questionnaire: str, only: Sequence[int] | None = None) -> list[Any]:
    query = (
        sa.select(Response.round_id, sa.func.count())
        .join(SurveyRound, SurveyRound.id == Response.round_id)
        .join(Questionnaire, Questionnaire.id == SurveyRound.questionnaire_id)
        .where(Questionnaire.code == questionnaire)
        .group_by(Response.round_id)
        .order_by(Response.round_id)
    )
    if only is not None:
        query = query.where(Response.round_id.in_(list(only)))
    return [list(row) for row in db.session.execute(query)]


# --------------------------------------------------------------------------- national table


def questionnaire_definition(code: str) -> Definition | None:
    latest = latest_version(code)
    if latest is None or latest.kind != "survey":
        return None
    return definition_of(latest)


def _unpublished_rounds(client: Client, questionnaire: str) -> list[int]:
    """The questionnaire's unpublished rounds whose figures the client may see."""
    if client.owner is None:
        return []
    query = (
        sa.select(SurveyRound.id)
        .join(Questionnaire, Questionnaire.id == SurveyRound.questionnaire_id)
        .where(
            Questionnaire.code == questionnaire,
            SurveyRound.id.not_in(published_survey_rounds()),
        )
    )
    codes = client.codes
    if codes is not None:
        query = query.where(
            SurveyRound.id.in_(
                sa.select(round_municipality.c.round_id).where(
                    round_municipality.c.municipality_code.in_(codes)
                )
            )
        )
    return list(db.session.scalars(query))


def national_version(client: Client, questionnaire: str) -> str:
    """The national table's ETag, without building it: the questionnaire's publications
    (their counts are frozen) and, with a token, the responses of the unpublished
    rounds it sees."""
    parts: list[Any] = [
        "national",
        questionnaire,
        _publications_of(questionnaire),
        history_version(),
    ]
    unpublished = _unpublished_rounds(client, questionnaire)
    if unpublished:
        parts += [client.codes is None, _response_counts(questionnaire, unpublished)]
    return digest(*parts)


@dataclass(frozen=True)
class IndicatorInfo:
    """What the national table says about its survey: the title and the question."""

    title: dict[str, str]
    question: str
    text: dict[str, str]


def _texts(value: Any) -> dict[str, str]:
    return (
        {str(k): str(v) for k, v in value.items()}
        if isinstance(value, dict)
        else {"nb": str(value)}
    )


def indicator_info(code: str) -> IndicatorInfo | None:
    """The survey's title and its share-satisfied question, read from the stored definition.

    The stored definition was validated when it was loaded; parsing it again
    (``definition_of``) costs about 0.2 s in a new process, a large part of the national
    table's first request, for two texts."""
    latest = latest_version(code)
    if latest is None or latest.kind != "survey":
        return None
    raw = latest.definition
    indicator = raw.get("indicator")
    if not isinstance(indicator, dict):
        return None
    question = str(indicator["question"])
    for section in raw.get("sections", []):
        for item in section.get("questions", []):
            if item.get("code") == question:
                return IndicatorInfo(_texts(raw["title"]), question, _texts(item["text"]))
    return None


def _today_numbers() -> Callable[[str, int], str]:
    """A number of a year → today's number when it is the same municipality (renumbered or
    renamed: Tromsø's 1902 of 2019 is 5501), else the number itself (merged or split since:
    its figures stay its own, as on the dashboard).

    A number in use today that was never renumbered away is itself in every year, so the
    register's history is built (about 20 ms in a new process) only for the others."""
    current = set(db.session.scalars(sa.select(Municipality.code).where(Municipality.current)))
    renumbered_away = set(
        db.session.scalars(
            sa.select(MunicipalityChange.from_code).where(
                MunicipalityChange.kind == RENUMBERED,
                MunicipalityChange.from_code.in_(
                    sa.select(Municipality.code).where(Municipality.current)
                ),
            )
        )
    )
    plain = current - renumbered_away
    found: dict[tuple[str, int], str] = {}
    built: list[History] = []

    def today(code: str, year: int) -> str:
        if code in plain:
            return code
        key = (code, year)
        if key not in found:
            if not built:
                built.append(lookup.history())
            # Continuous (history.resolve) is a lineage still in use: no successors to walk.
            lineage = built[0].lineage(code, year)
            found[key] = lineage.code if lineage is not None and lineage.current else code
        return found[key]

    return today


def history_version() -> list[Any]:
    """The register's change list in two numbers (one aggregate): loading changes moves a
    municipality's earlier years, so it is part of every ETag that shows them."""
    row = db.session.execute(
        sa.select(sa.func.count(MunicipalityChange.id), sa.func.max(MunicipalityChange.id))
    ).one()
    return [str(value) for value in row]


def old_number(code: str, year: int) -> OldNumber | None:
    """What a number no longer in use is today (None: a number in use, or unknown)."""
    municipality = db.session.get(Municipality, code)
    if municipality is None or municipality.current:
        return None
    return lookup.old_number(code, year)


@dataclass(frozen=True)
class NationalData:
    info: IndicatorInfo
    municipalities: list[tuple[str, str]]
    years: list[int]
    cells: list[tables.NationalCell]
    updated: datetime | None  # the newest publication among its rounds


def national_data(client: Client, questionnaire: str, min_group_size: int) -> NationalData | None:
    """Share satisfied per municipality and year: the published rounds' frozen counts,
    and for a token the counts of the unpublished rounds it sees (live, as the owner's
    dashboard counts them)."""
    info = indicator_info(questionnaire)
    if info is None:
        return None
    updated = db.session.scalar(
        sa.select(sa.func.max(Publication.published_at))
        .join(SurveyRound, SurveyRound.id == Publication.survey_round_id)
        .join(Questionnaire, Questionnaire.id == SurveyRound.questionnaire_id)
        .where(Questionnaire.code == questionnaire)
    )
    rows = db.session.execute(
        sa.select(
            SurveyRound.id,
            SurveyRound.year,
            SurveyRound.target,
            PublishedCount.municipality_code,
            PublishedCount.fingerprint,
            PublishedCount.k,
            PublishedCount.n,
        )
        .join(Publication, Publication.id == PublishedCount.publication_id)
        .join(SurveyRound, SurveyRound.id == Publication.survey_round_id)
        .join(Questionnaire, Questionnaire.id == SurveyRound.questionnaire_id)
        .where(Questionnaire.code == questionnaire)
    ).all()
    targets: dict[tuple[str, int], tuple[int, float]] = {}
    counts: dict[tuple[str, int, str], tuple[int, int]] = {}
    today = _today_numbers()

    def add(
        round_id: int, year: int, target: float, stored: str, print_: str, k: int, n: int
    ) -> None:
        code = today(stored, year)
        key = (code, year, print_)
        old_k, old_n = counts.get(key, (0, 0))
        counts[key] = (old_k + k, old_n + n)
        # The dashboard judges a year against its newest round's target.
        if (code, year) not in targets or round_id > targets[(code, year)][0]:
            targets[(code, year)] = (round_id, target)

    for round_id, year, target, code, print_, k, n in rows:
        add(int(round_id), int(year), float(target), str(code), str(print_), int(k), int(n))
    unpublished = _unpublished_rounds(client, questionnaire)
    if unpublished:
        definition = questionnaire_definition(questionnaire)
        assert definition is not None and definition.indicator is not None
        years_targets = {
            int(i): (int(y), float(t))
            for i, y, t in db.session.execute(
                sa.select(SurveyRound.id, SurveyRound.year, SurveyRound.target).where(
                    SurveyRound.id.in_(unpublished)
                )
            )
        }
        for round_id in unpublished:
            year, target = years_targets[round_id]
            for c in queries.indicator_counts(
                questionnaire, definition.indicator, only_rounds=[round_id]
            ):
                add(round_id, year, target, c.municipality, c.fingerprint, c.k, c.n)
    by_municipality: dict[str, list[queries.IndicatorCount]] = {}
    for (code, year, print_), (k, n) in counts.items():
        by_municipality.setdefault(code, []).append(
            queries.IndicatorCount(year, code, print_, k, n)
        )
    cells: list[tables.NationalCell] = []
    for code, own in by_municipality.items():
        for year, count in one_wording_per_year(own).items():
            target = targets[(code, year)][1]
            cells.append(
                tables.NationalCell(code, year, Share.of(count.k, count.n, min_group_size, target))
            )
    names: dict[str, str] = dict(
        db.session.execute(  # type: ignore[arg-type]
            sa.select(Municipality.code, Municipality.name).where(
                Municipality.code.in_(list(by_municipality))
            )
        ).all()
    )
    municipalities = sorted(
        ((c, str(names.get(c, c))) for c in by_municipality), key=lambda m: m[0]
    )
    years = sorted({cell.year for cell in cells})
    return NationalData(info, municipalities, years, cells, updated)


# --------------------------------------------------------------------------- service test


def visible_test_rounds(client: Client) -> list[tuple[TestRound, datetime | None]]:
    """Locked service-test rounds that are published, and the owner's others."""
    published = {
        int(round_id): moment
        for round_id, moment in db.session.execute(
            sa.select(Publication.test_round_id, Publication.published_at).where(
                Publication.test_round_id.is_not(None)
            )
        )
    }
    query = sa.select(TestRound).order_by(TestRound.year.desc(), TestRound.id.desc())
    codes = client.codes
    if client.owner is None:
        query = query.where(TestRound.id.in_(published_test_rounds()))
    elif codes is not None:
        mine = sa.select(test_round_municipality.c.test_round_id).where(
            test_round_municipality.c.municipality_code.in_(codes)
        )
        query = query.where(
            sa.or_(TestRound.id.in_(published_test_rounds()), TestRound.id.in_(mine))
        )
    return [(r, published.get(r.id)) for r in db.session.scalars(query)]


def test_round_for(
    client: Client, round_id: int
) -> tuple[TestRound, datetime | None, frozenset[str] | None] | None:
    """A service-test round and the municipalities whose rows the client sees (None: all).

    The public sees published rounds whole; a planner's token sees an unpublished
    round's rows of their own municipalities, as the ranking page shows them."""
    test_round = db.session.get(TestRound, round_id)
    if test_round is None:
        return None
    published_at = db.session.scalar(
        sa.select(Publication.published_at).where(Publication.test_round_id == round_id)
    )
    if published_at is not None:
        return test_round, published_at, None
    if client.owner is None:
        return None
    members = set(
        db.session.scalars(
            sa.select(test_round_municipality.c.municipality_code).where(
                test_round_municipality.c.test_round_id == round_id
            )
        )
    )
    if not client.may_see_unpublished(members):
        raise Hidden(round_id)
    return test_round, None, client.codes


def test_round_version(
    test_round: TestRound, published_at: datetime | None, rows: frozenset[str] | None
) -> str:
    """The ranking's ETag: the round's state and its recorded results."""
    from surveyapp.servicetest.models import TestAssignment, TestResult

    recorded = db.session.execute(
        sa.select(sa.func.count(TestResult.id), sa.func.max(TestResult.updated_at))
        .join(TestAssignment, TestAssignment.id == TestResult.assignment_id)
        .where(TestAssignment.test_round_id == test_round.id)
    ).one()
    return digest(
        "ranking",
        test_round.id,
        test_round.status,
        published_at,
        list(recorded),
        sorted(rows) if rows is not None else None,
    )


def ranking_rows(
    test_round: TestRound, rows_of: frozenset[str] | None
) -> tuple[list[tables.ScoreRow], list[str], list[str]]:
    """The scored round's rows (all, or those of ``rows_of``), channels and sectors."""
    from surveyapp.servicetest import cache

    result = cache.scored_round(test_round, roll_up=True)  # one row per municipality
    names: dict[str, str] = {
        str(code): str(name)
        for code, name in db.session.execute(sa.select(Municipality.code, Municipality.name))
    }
    rows = [
        tables.ScoreRow(
            municipality=m.municipality,
            name=str(names.get(m.municipality, m.municipality)),
            score=m.score,
            rank=m.rank,
            band=dict(m.band.label) if m.band else None,
            quartile=m.quartile,
            channels=m.channel_scores,
            sectors=m.sector_scores,
            passed=m.passed,
            pending=m.awaiting,
        )
        for m in result.municipalities
        if rows_of is None or m.municipality in rows_of
    ]
    return rows, list(result.national_channel_scores), list(result.national_sector_scores)


# --------------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class SurveyDataset:
    code: str
    definition: Definition
    first_year: int
    last_year: int
    municipalities: int
    published_at: datetime


@dataclass(frozen=True)
class TestDataset:
    round_id: int
    title: str
    year: int
    published_at: datetime


@dataclass(frozen=True)
class Published:
    surveys: list[SurveyDataset]
    tests: list[TestDataset]

    @property
    def version(self) -> list[Any]:
        return [
            [
                (
                    s.code,
                    s.definition.content_hash,
                    s.first_year,
                    s.last_year,
                    s.municipalities,
                    s.published_at,
                )
                for s in self.surveys
            ],
            [(t.round_id, t.title, t.year, t.published_at) for t in self.tests],
        ]


def catalogue_entries() -> Published:
    """What is published, summarised per questionnaire and per service-test round."""
    rows = db.session.execute(
        sa.select(
            Questionnaire.code,
            sa.func.min(SurveyRound.year),
            sa.func.max(SurveyRound.year),
            sa.func.count(sa.distinct(round_municipality.c.municipality_code)),
            sa.func.max(Publication.published_at),
        )
        .join(SurveyRound, SurveyRound.id == Publication.survey_round_id)
        .join(Questionnaire, Questionnaire.id == SurveyRound.questionnaire_id)
        .join(round_municipality, round_municipality.c.round_id == SurveyRound.id)
        .group_by(Questionnaire.code)
        .order_by(Questionnaire.code)
    ).all()
    # Municipalities by today's number: Tromsø's rounds under 1902, 5401 and 5501 are one.
    today = _today_numbers()
    municipalities: dict[str, set[str]] = {}
    for questionnaire, stored, year in db.session.execute(
        sa.select(Questionnaire.code, round_municipality.c.municipality_code, SurveyRound.year)
        .select_from(Publication)
        .join(SurveyRound, SurveyRound.id == Publication.survey_round_id)
        .join(Questionnaire, Questionnaire.id == SurveyRound.questionnaire_id)
        .join(round_municipality, round_municipality.c.round_id == SurveyRound.id)
        .distinct()
    ):
        municipalities.setdefault(str(questionnaire), set()).add(today(str(stored), int(year)))
    surveys = []
    for code, first, last, count, moment in rows:
        definition = questionnaire_definition(str(code))
        if definition is not None:
            count = len(municipalities.get(str(code), ())) or count
            surveys.append(
                SurveyDataset(str(code), definition, int(first), int(last), int(count), moment)
            )
    tests = [
        TestDataset(int(i), str(title), int(year), moment)
        for i, title, year, moment in db.session.execute(
            sa.select(TestRound.id, TestRound.title, TestRound.year, Publication.published_at)
            .join(Publication, Publication.test_round_id == TestRound.id)
            .order_by(TestRound.year.desc(), TestRound.id.desc())
        )
    ]
    return Published(surveys, tests)
