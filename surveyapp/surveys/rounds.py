"""Staff operations on survey rounds: create, edit, open, pause, close, invite, count.

These functions add and flush and write the audit trail; the caller commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from surveyapp.audit.operations import record
from surveyapp.extensions import db
from surveyapp.municipalities.models import Municipality
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.surveys.models import Invitation, Response, SurveyRound
from surveyapp.surveys.tokens import hash_token, new_token
from surveyapp.timeutil import utcnow

ENTITY = "survey_round"
ROUND_KINDS = ("survey", "checklist", "census")
MAX_INVITATIONS = 5000

#: Which status each status may change to. Closing is final.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("open", "closed"),
    "open": ("paused", "closed"),
    "paused": ("open", "closed"),
    "closed": (),
}
#: The audit action for a change to each status.
STATUS_ACTIONS = {"open": "open", "paused": "pause", "closed": "close"}


class RoundError(Exception):
    """An operation the round's state does not allow; ``reason`` is a stable key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RoundSettings:
    """What staff choose for a round (times are timezone-aware)."""

    questionnaire_id: int
    municipality_codes: tuple[str, ...]
    title: str
    year: int
    period: str
    target: float
    opens_at: datetime
    closes_at: datetime
    access: str
    language: str
    time_precision: str


def _snapshot(survey_round: SurveyRound) -> dict[str, Any]:
    """The round's settings as JSON-friendly values for the audit trail."""
    return {
        "slug": survey_round.slug,
        "questionnaire_id": survey_round.questionnaire_id,
        "municipalities": sorted(m.code for m in survey_round.municipalities),
        "title": survey_round.title,
        "year": survey_round.year,
        "period": survey_round.period,
        "target": survey_round.target,
        "opens_at": survey_round.opens_at.isoformat() if survey_round.opens_at else None,
        "closes_at": survey_round.closes_at.isoformat() if survey_round.closes_at else None,
        "access": survey_round.access,
        "language": survey_round.language,
        "time_precision": survey_round.time_precision,
        "status": survey_round.status,
    }


def _new_slug() -> str:
    """A random, URL-safe slug no other round has."""
    for _attempt in range(10):
        slug = secrets.token_urlsafe(9)
        taken = db.session.scalar(sa.select(sa.exists().where(SurveyRound.slug == slug)))
        if not taken:
            return slug
    raise RuntimeError("could not find a free slug")  # 72 random bits: never in practice


def _apply(survey_round: SurveyRound, settings: RoundSettings) -> None:
    questionnaire = db.session.get(Questionnaire, settings.questionnaire_id)
    if questionnaire is None or questionnaire.kind not in ROUND_KINDS:
        raise RoundError("unknown_questionnaire")
    if not settings.municipality_codes:
        raise RoundError("no_municipality")
    if settings.closes_at <= settings.opens_at:
        raise RoundError("closes_before_opens")
    municipalities = list(
        db.session.scalars(
            sa.select(Municipality)
            .where(Municipality.code.in_(settings.municipality_codes))
            .order_by(Municipality.code)
        )
    )
    if len(municipalities) != len(set(settings.municipality_codes)):
        raise RoundError("unknown_municipality")
    survey_round.questionnaire = questionnaire
    survey_round.municipalities = municipalities
    survey_round.title = settings.title
    survey_round.year = settings.year
    survey_round.period = settings.period
    survey_round.target = settings.target
    survey_round.opens_at = settings.opens_at
    survey_round.closes_at = settings.closes_at
    survey_round.access = settings.access
    survey_round.language = settings.language
    survey_round.time_precision = settings.time_precision


def create_round(user_id: int | None, settings: RoundSettings) -> SurveyRound:
    """A new round in draft, with a fresh slug."""
    survey_round = SurveyRound(slug=_new_slug(), status="draft")
    _apply(survey_round, settings)
    db.session.add(survey_round)
    db.session.flush()
    record(user_id, "create", ENTITY, survey_round.id, new=_snapshot(survey_round))
    return survey_round


def update_round(user_id: int | None, survey_round: SurveyRound, settings: RoundSettings) -> None:
    """Change a draft round's settings; rounds that have been opened keep theirs."""
    if survey_round.status != "draft":
        raise RoundError("not_draft")
    old = _snapshot(survey_round)
    _apply(survey_round, settings)
    db.session.flush()
    record(user_id, "update", ENTITY, survey_round.id, old=old, new=_snapshot(survey_round))


def change_status(user_id: int | None, survey_round: SurveyRound, status: str) -> None:
    """Open, pause or close a round, as TRANSITIONS allows."""
    old = survey_round.status
    if status not in TRANSITIONS.get(old, ()):
        raise RoundError("closed_is_final" if old == "closed" else "not_allowed")
    survey_round.status = status
    db.session.flush()
    if status == "closed":
        from surveyapp.surveys.privacy import forget_claims

        forget_claims([survey_round.id])
    record(
        user_id,
        STATUS_ACTIONS[status],
        ENTITY,
        survey_round.id,
        old={"status": old},
        new={"status": status},
    )


def check_invitations(survey_round: SurveyRound, municipality_code: str, count: int) -> None:
    """Raise RoundError unless ``count`` invitations may be made for the municipality now."""
    if survey_round.access != "invitation":
        raise RoundError("not_invitation_round")
    if survey_round.status == "closed":
        raise RoundError("closed_is_final")
    if municipality_code not in {m.code for m in survey_round.municipalities}:
        raise RoundError("unknown_municipality")
    if not 1 <= count <= MAX_INVITATIONS:
        raise RoundError("bad_count")


def issue_invitations(
    user_id: int | None, survey_round: SurveyRound, municipality_code: str, tokens: Sequence[str]
) -> None:
    """Store the invitations of these raw tokens (only their hashes) in one INSERT."""
    check_invitations(survey_round, municipality_code, len(tokens))
    today = utcnow().date()
    db.session.execute(
        sa.insert(Invitation),
        [
            {
                "round_id": survey_round.id,
                "municipality_code": municipality_code,
                "token_hash": hash_token(token),
                "created_on": today,
            }
            for token in tokens
        ],
    )
    record(
        user_id,
        "generate_invitations",
        ENTITY,
        survey_round.id,
        new={"municipality": municipality_code, "count": len(tokens)},
    )


def generate_invitations(
    user_id: int | None, survey_round: SurveyRound, municipality_code: str, count: int
) -> list[str]:
    """Issue ``count`` invitations; returns the raw tokens, of which only hashes are stored."""
    check_invitations(survey_round, municipality_code, count)
    tokens = [new_token() for _ in range(count)]
    issue_invitations(user_id, survey_round, municipality_code, tokens)
    return tokens


def response_counts(
    round_ids: Iterable[int], codes: Collection[str] | None = None
) -> dict[int, int]:
    """Responses so far per round, in one grouped query; only of ``codes`` when given."""
    ids = list(round_ids)
    if not ids:
        return {}
    query = (
        sa.select(Response.round_id, sa.func.count(Response.id))
        .where(Response.round_id.in_(ids))
        .group_by(Response.round_id)
    )
    if codes is not None:
        query = query.where(Response.municipality_code.in_(codes))
    return {round_id: count for round_id, count in db.session.execute(query)}


@dataclass(frozen=True)
class MunicipalityCount:
    code: str
    name: str
    responses: int
    issued: int
    used: int

    @property
    def response_rate(self) -> float | None:
        """Answers sent per invitation issued (``used`` counts links used to start)."""
        return self.responses / self.issued if self.issued else None


@dataclass(frozen=True)
class RoundCounts:
    """Live figures for a round's detail page."""

    responses: int
    municipalities: tuple[MunicipalityCount, ...]
    languages: dict[str, int]
    issued: int
    used: int

    @property
    def response_rate(self) -> float | None:
        """Answers sent per invitation issued (``used`` counts links used to start)."""
        return self.responses / self.issued if self.issued else None


def round_counts(survey_round: SurveyRound, visible: Collection[str] | None = None) -> RoundCounts:
    """Responses per municipality and language, and invitations issued and used.

    With ``visible`` (a planner's municipalities in a shared round), every figure
    counts only those municipalities.
    """
    responses = Response.round_id == survey_round.id
    invited = Invitation.round_id == survey_round.id
    if visible is not None:
        responses = responses & Response.municipality_code.in_(visible)
        invited = invited & Invitation.municipality_code.in_(visible)
    by_municipality: dict[str, int] = {
        code: count
        for code, count in db.session.execute(
            sa.select(Response.municipality_code, sa.func.count(Response.id))
            .where(responses)
            .group_by(Response.municipality_code)
        )
    }
    languages: dict[str, int] = {
        language: count
        for language, count in db.session.execute(
            sa.select(Response.language, sa.func.count(Response.id))
            .where(responses)
            .group_by(Response.language)
        )
    }
    invitations = {
        code: (issued, used)
        for code, issued, used in db.session.execute(
            sa.select(
                Invitation.municipality_code,
                sa.func.count(Invitation.id),
                sa.func.count(Invitation.id).filter(Invitation.used.is_(True)),
            )
            .where(invited)
            .group_by(Invitation.municipality_code)
        )
    }
    names = {
        m.code: m.name for m in survey_round.municipalities if visible is None or m.code in visible
    }
    codes: Sequence[str] = sorted(set(names) | set(by_municipality) | set(invitations))
    rows = tuple(
        MunicipalityCount(
            code=code,
            name=names.get(code, code),
            responses=by_municipality.get(code, 0),
            issued=invitations.get(code, (0, 0))[0],
            used=invitations.get(code, (0, 0))[1],
        )
        for code in codes
    )
    return RoundCounts(
        responses=sum(by_municipality.values()),
        municipalities=rows,
        languages=languages,
        issued=sum(row.issued for row in rows),
        used=sum(row.used for row in rows),
    )
