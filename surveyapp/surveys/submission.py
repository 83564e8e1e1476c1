"""Invitation claims and submissions of citizen answers. Executes statements; the
view commits.

The citizen pages are the busiest requests of the platform, so this module reads and
writes with single SQL statements (SQLAlchemy Core) and hands the views plain frozen
snapshots instead of ORM objects.

Nothing is written while a citizen answers: the answers so far travel signed in their
form (``surveyapp.surveys.state``). Two writes remain, each its own transaction:

- claiming an invitation when the citizen sends its first page: a flag on the
  invitation row (no time, no new row) and the hash of the form's random secret;
- storing the response with its answers when they send the last page, under a unique
  key derived from the same secret, so that sending twice stores once.

The two share no value, and no transaction writes both (see docs/privacy.md).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.formatting import norwegian_sort_key
from surveyapp.municipalities.models import Municipality
from surveyapp.questionnaires.definition import Definition
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.surveys import flow
from surveyapp.surveys.models import (
    Answer,
    Invitation,
    Response,
    SurveyRound,
    random_id,
    round_municipality,
    truncate_time,
)
from surveyapp.surveys.tokens import hash_token

_round = SurveyRound.__table__
_invitation = Invitation.__table__
_response = Response.__table__
_answer = Answer.__table__


def _sql() -> sa.Connection:
    """The session's connection: Core statements skip the ORM's execution layer, and
    stay in the session's transaction (the view commits)."""
    return db.session.connection()


class Availability(enum.StrEnum):
    OPEN = "open"
    NOT_YET_OPEN = "not_yet_open"
    PAUSED = "paused"
    CLOSED = "closed"


@dataclass(frozen=True)
class PublicRound:
    """What the citizen pages need to know about a round, read in one query."""

    id: int
    slug: str
    title: str
    language: str
    status: str
    access: str
    opens_at: datetime | None
    closes_at: datetime | None
    time_precision: str
    questionnaire_id: int
    questionnaire_hash: str
    only_municipality: str | None  # the code when the round runs in one municipality
    public_title_nb: str | None
    public_title_nn: str | None
    public_title_en: str | None
    contact: str | None
    privacy_url: str | None

    @property
    def public_titles(self) -> dict[str, str]:
        found = {"nb": self.public_title_nb, "nn": self.public_title_nn, "en": self.public_title_en}
        return {language: text for language, text in found.items() if text}


def availability(survey_round: PublicRound | SurveyRound, now: datetime) -> Availability:
    """Whether citizens can answer now."""
    if survey_round.status == "closed" or (
        survey_round.closes_at is not None and now >= survey_round.closes_at
    ):
        return Availability.CLOSED
    if survey_round.status == "draft" or (
        survey_round.opens_at is not None and now < survey_round.opens_at
    ):
        return Availability.NOT_YET_OPEN
    if survey_round.status == "paused":
        return Availability.PAUSED
    return Availability.OPEN


_ROUND_COLUMNS = (
    _round.c.id,
    _round.c.slug,
    _round.c.title,
    _round.c.language,
    _round.c.status,
    _round.c.access,
    _round.c.opens_at,
    _round.c.closes_at,
    _round.c.time_precision,
    _round.c.questionnaire_id,
    Questionnaire.__table__.c.content_hash,
    (
        sa.select(sa.func.min(round_municipality.c.municipality_code))
        .where(round_municipality.c.round_id == _round.c.id)
        .having(sa.func.count() == 1)
        .scalar_subquery()
    ),
    _round.c.public_title_nb,
    _round.c.public_title_nn,
    _round.c.public_title_en,
    _round.c.contact,
    _round.c.privacy_url,
)


# Built once: a statement object keeps its SQL cache key, so the busiest queries skip
# building and hashing the statement on every request.
_ROUND_QUERY = sa.select(*_ROUND_COLUMNS).join(
    Questionnaire.__table__, Questionnaire.__table__.c.id == _round.c.questionnaire_id
)
_ROUND_BY_SLUG = _ROUND_QUERY.where(_round.c.slug == sa.bindparam("slug"))
_ROUND_BY_ID = _ROUND_QUERY.where(_round.c.id == sa.bindparam("round_id"))
_MUNICIPALITIES = (
    sa.select(Municipality.code, Municipality.name)
    .join(round_municipality, round_municipality.c.municipality_code == Municipality.code)
    .where(round_municipality.c.round_id == sa.bindparam("round_id"))
)


def find_round(slug: str) -> PublicRound | None:
    row = _sql().execute(_ROUND_BY_SLUG, {"slug": slug}).one_or_none()
    return None if row is None else PublicRound(*row)


def round_by_id(round_id: int) -> PublicRound | None:
    row = _sql().execute(_ROUND_BY_ID, {"round_id": round_id}).one_or_none()
    return None if row is None else PublicRound(*row)


def round_municipalities(round_id: int) -> list[sa.Row[tuple[str, str]]]:
    """The municipalities a round runs in (code and name), in Norwegian alphabetical order."""
    rows = list(_sql().execute(_MUNICIPALITIES, {"round_id": round_id}))
    return sorted(rows, key=lambda row: norwegian_sort_key(row.name))


class InvitationState(enum.StrEnum):
    VALID = "valid"
    UNKNOWN = "unknown"
    USED = "used"


@dataclass(frozen=True)
class FoundInvitation:
    round_id: int
    municipality_code: str
    used: bool
    claim_hash: str | None
    channel: str


_INVITATION_BY_TOKEN = sa.select(
    _invitation.c.round_id,
    _invitation.c.municipality_code,
    _invitation.c.used,
    _invitation.c.claim_hash,
    _invitation.c.channel,
).where(_invitation.c.token_hash == sa.bindparam("token_hash"))


def find_invitation(token: str) -> FoundInvitation | None:
    row = _sql().execute(_INVITATION_BY_TOKEN, {"token_hash": hash_token(token)}).one_or_none()
    return None if row is None else FoundInvitation(*row)


class Claim(enum.StrEnum):
    CLAIMED = "claimed"  # this form now holds the invitation
    UNKNOWN = "unknown"
    USED = "used"  # used by another form


_CLAIM = (
    sa.update(_invitation)
    .where(
        _invitation.c.token_hash == sa.bindparam("b_token_hash"),
        _invitation.c.round_id == sa.bindparam("b_round_id"),
        sa.or_(
            _invitation.c.used == sa.false(),
            _invitation.c.claim_hash == sa.bindparam("b_claim_hash"),
        ),
    )
    .values(used=True, claim_hash=sa.bindparam("b_claim_hash"))
    .returning(_invitation.c.municipality_code)
)


def claim_invitation(token: str, round_id: int, claim_hash: str) -> tuple[Claim, str | None]:
    """Mark an invitation used by the form whose secret hashes to ``claim_hash``.

    Claiming again with the same form (a double click, a retry) succeeds again; another
    form gets USED. Returns the invitation's municipality when claimed."""
    row = (
        _sql()
        .execute(
            _CLAIM,
            {"b_token_hash": hash_token(token), "b_round_id": round_id, "b_claim_hash": claim_hash},
        )
        .one_or_none()
    )
    if row is not None:
        return Claim.CLAIMED, row[0]
    found = find_invitation(token)
    if found is None or found.round_id != round_id:
        return Claim.UNKNOWN, None
    return Claim.USED, None


_INSERT_ANSWERS = sa.insert(_answer)
_INSERT_RESPONSE = sa.insert(_response)
_KEY_EXISTS = sa.select(_response.c.id).where(
    _response.c.submission_key == sa.bindparam("submission_key")
)


def already_stored(submission_key: str) -> bool:
    return _sql().execute(_KEY_EXISTS, {"submission_key": submission_key}).first() is not None


def submit(
    submission_key: str,
    municipality_code: str,
    answers: flow.RawInputs,
    definition: Definition,
    survey_round: PublicRound,
    language: str,
    now: datetime,
    channel: str = "web",
    place: str | None = None,
) -> None:
    """Store the answers as one anonymous response with random ids, marked with its
    channel (and a kiosk's place when the round asks for it).

    Raises IntegrityError when a response with this key exists (sent twice). For a
    paper form ``now`` is the date it was received."""
    response_id = random_id()
    _sql().execute(
        _INSERT_RESPONSE,
        {
            "id": response_id,
            "round_id": survey_round.id,
            "municipality_code": municipality_code,
            "language": language,
            "submitted": truncate_time(now, survey_round.time_precision),
            "submission_key": submission_key,
            "channel": channel,
            "place": place,
        },
    )
    rows = flow.answer_rows(definition, answers)
    if rows:
        _sql().execute(
            _INSERT_ANSWERS,
            [
                {
                    "id": random_id(),
                    "response_id": response_id,
                    "round_id": survey_round.id,
                    "municipality_code": municipality_code,
                    "question_code": row.question_code,
                    "option": row.option,
                    "value_num": row.value_num,
                    "value_text": row.value_text,
                }
                for row in rows
            ],
        )
