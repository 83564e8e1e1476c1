"""Drafts and submissions of citizen answers. Executes statements; the view commits.

The citizen pages are the busiest requests of the platform, so this module reads and
writes with single SQL statements (SQLAlchemy Core) and hands the views plain frozen
snapshots instead of ORM objects: no identity map, no lazy loads, nothing reloaded
after a commit.

Drafts change by compare-and-set on their version: a write names the version it read
and matches no row when another request changed (or sent) the draft meanwhile; the
view then reads again. No lock is held while a page is checked, and on SQLite the
write lock is taken only for the statements that write (see ``surveyapp.database``).

A submission is one transaction: delete the draft (at the version read), mark the
invitation used (its own table, no link to the response), insert the response with
the draft's submission key, insert its answers. A repeated submission of the same
draft, or a second use of an invitation, fails on a unique key and is reported, never
stored twice.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.municipalities.models import Municipality
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.questionnaires.schema import Definition
from surveyapp.surveys import flow
from surveyapp.surveys.models import (
    Answer,
    Invitation,
    InvitationUse,
    Response,
    SurveyDraft,
    SurveyRound,
    round_municipality,
    truncate_time,
)
from surveyapp.surveys.tokens import hash_token, new_token
from surveyapp.timeutil import utcnow

DRAFT_LIFETIME = timedelta(days=14)

_round = SurveyRound.__table__
_draft = SurveyDraft.__table__
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
    .order_by(Municipality.code)
)


def find_round(slug: str) -> PublicRound | None:
    row = _sql().execute(_ROUND_BY_SLUG, {"slug": slug}).one_or_none()
    return None if row is None else PublicRound(*row)


def round_by_id(round_id: int) -> PublicRound | None:
    row = _sql().execute(_ROUND_BY_ID, {"round_id": round_id}).one_or_none()
    return None if row is None else PublicRound(*row)


def round_municipalities(round_id: int) -> list[sa.Row[tuple[str, str]]]:
    """The municipalities a round runs in (code and name), by code."""
    return list(_sql().execute(_MUNICIPALITIES, {"round_id": round_id}))


class InvitationState(enum.StrEnum):
    VALID = "valid"
    UNKNOWN = "unknown"
    USED = "used"


@dataclass(frozen=True)
class FoundInvitation:
    id: int
    round_id: int
    municipality_code: str


def find_invitation(token: str) -> tuple[InvitationState, FoundInvitation | None]:
    invitation_table = Invitation.__table__
    use_table = InvitationUse.__table__
    row = _sql().execute(
        sa.select(
            invitation_table.c.id,
            invitation_table.c.round_id,
            invitation_table.c.municipality_code,
            use_table.c.invitation_id,
        )
        .outerjoin(use_table, use_table.c.invitation_id == invitation_table.c.id)
        .where(invitation_table.c.token_hash == hash_token(token))
    ).one_or_none()
    if row is None:
        return InvitationState.UNKNOWN, None
    found = FoundInvitation(row[0], row[1], row[2])
    if row[3] is not None:
        return InvitationState.USED, found
    return InvitationState.VALID, found


@dataclass(frozen=True)
class Draft:
    """Answers in progress (a snapshot of one ``survey_draft`` row)."""

    id: str
    round_id: int
    invitation_id: int | None
    municipality_code: str | None
    answers: flow.RawInputs
    submission_key: str
    updated_at: datetime
    version: int = 1


@dataclass(frozen=True)
class NewDraft:
    token: str  # goes into the respondent's session; only its hash is stored
    draft: Draft


_DELETE_ABANDONED = sa.delete(_draft).where(
    _draft.c.updated_at < sa.bindparam("cutoff", type_=_draft.c.updated_at.type)
)
_INSERT_DRAFT = sa.insert(_draft)


class _Cleanup:
    """When this process last cleared abandoned drafts (once per interval is enough)."""

    due: datetime | None = None


CLEANUP_INTERVAL = timedelta(minutes=5)


def clear_abandoned_drafts(now: datetime, force: bool = False) -> None:
    """Delete drafts untouched for ``DRAFT_LIFETIME``; runs at most once per interval
    per process unless forced."""
    if not force and _Cleanup.due is not None and now < _Cleanup.due:
        return
    _Cleanup.due = now + CLEANUP_INTERVAL
    _sql().execute(_DELETE_ABANDONED, {"cutoff": now - DRAFT_LIFETIME})


def start_draft(
    survey_round: PublicRound, invitation: FoundInvitation | None = None
) -> NewDraft:
    """A fresh draft; also clears drafts abandoned long ago."""
    municipality = None
    if invitation is not None:
        municipality = invitation.municipality_code
    elif survey_round.only_municipality is not None:
        municipality = survey_round.only_municipality
    now = utcnow()
    clear_abandoned_drafts(now)
    token = new_token()
    draft = Draft(
        id=hash_token(token),
        round_id=survey_round.id,
        invitation_id=invitation.id if invitation else None,
        municipality_code=municipality,
        answers={},
        submission_key=hash_token(new_token()),
        updated_at=now,
    )
    _sql().execute(_INSERT_DRAFT, draft.__dict__)
    return NewDraft(token, draft)


# Built once: a statement object keeps its SQL cache key.
_DRAFT_COLUMNS = (
    _draft.c.id,
    _draft.c.round_id,
    _draft.c.invitation_id,
    _draft.c.municipality_code,
    _draft.c.answers,
    _draft.c.submission_key,
    _draft.c.updated_at,
    _draft.c.version,
)
_DRAFT_BY_ID = sa.select(*_DRAFT_COLUMNS).where(_draft.c.id == sa.bindparam("draft_id"))
_ROUND_AND_DRAFT = (
    _ROUND_QUERY.add_columns(*_DRAFT_COLUMNS)
    .outerjoin(
        _draft,
        sa.and_(_draft.c.id == sa.bindparam("draft_id"), _draft.c.round_id == _round.c.id),
    )
    .where(_round.c.slug == sa.bindparam("slug"))
)
_AT_VERSION = sa.and_(
    _draft.c.id == sa.bindparam("draft_id"), _draft.c.version == sa.bindparam("read_version")
)
_SAVE_ANSWERS = (
    sa.update(_draft)
    .where(_AT_VERSION)
    .values(
        answers=sa.bindparam("new_answers", type_=_draft.c.answers.type),
        updated_at=sa.bindparam("now", type_=_draft.c.updated_at.type),
        version=_draft.c.version + 1,
    )
)
_CHOOSE_MUNICIPALITY = (
    sa.update(_draft)
    .where(_draft.c.id == sa.bindparam("draft_id"))
    .values(
        municipality_code=sa.bindparam("code", type_=_draft.c.municipality_code.type),
        updated_at=sa.bindparam("now", type_=_draft.c.updated_at.type),
        version=_draft.c.version + 1,
    )
)
_DELETE_AT_VERSION = sa.delete(_draft).where(_AT_VERSION)


def find_draft(token: str | None, survey_round: PublicRound) -> Draft | None:
    """The session's draft in this round, if it still exists."""
    if not token:
        return None
    row = _sql().execute(_DRAFT_BY_ID, {"draft_id": hash_token(token)}).one_or_none()
    if row is None or row.round_id != survey_round.id:
        return None
    return _draft_from(row)


def find_round_and_draft(
    slug: str, token: str | None
) -> tuple[PublicRound | None, Draft | None]:
    """A round and the session's draft in it, in one query (every citizen page asks)."""
    row = _sql().execute(
        _ROUND_AND_DRAFT, {"slug": slug, "draft_id": hash_token(token) if token else ""}
    ).one_or_none()
    if row is None:
        return None, None
    width = len(_ROUND_COLUMNS)
    survey_round = PublicRound(*row[:width])
    if row[width] is None:
        return survey_round, None
    return survey_round, _draft_from(row[width:])


def _draft_from(row: Any) -> Draft:
    draft_id, round_id, invitation_id, municipality_code, answers, key, updated, version = row
    return Draft(
        id=draft_id,
        round_id=round_id,
        invitation_id=invitation_id,
        municipality_code=municipality_code,
        answers=dict(answers or {}),
        submission_key=key,
        updated_at=updated,
        version=version,
    )


def _changed(result: sa.Result[Any]) -> bool:
    """False when no row matched: the draft is gone, or changed since it was read."""
    return bool(result.rowcount)  # type: ignore[attr-defined]


def choose_municipality(draft: Draft, code: str) -> bool:
    return _changed(
        _sql().execute(_CHOOSE_MUNICIPALITY, {"draft_id": draft.id, "code": code, "now": utcnow()})
    )


def merge(draft: Draft, page_inputs: flow.RawInputs) -> flow.RawInputs:
    """The draft's answers with what one page posted."""
    return {**draft.answers, **page_inputs}


def save_inputs(draft: Draft, page_inputs: flow.RawInputs) -> bool:
    """Keep what a page posted (also unvalidated input, so nothing typed is lost).

    False when the draft is gone or changed since ``draft`` was read: read it again.
    """
    return _changed(
        _sql().execute(
            _SAVE_ANSWERS,
            {
                "draft_id": draft.id,
                "read_version": draft.version,
                "new_answers": merge(draft, page_inputs),
                "now": utcnow(),
            },
        )
    )


_INSERT_ANSWERS = sa.insert(_answer)
_INSERT_RESPONSE = sa.insert(_response).returning(_response.c.id)
_INSERT_INVITATION_USE = sa.insert(InvitationUse.__table__)


def submit(
    draft: Draft,
    answers: flow.RawInputs,
    definition: Definition,
    survey_round: PublicRound,
    language: str,
    now: datetime,
) -> bool:
    """Store the answers as one anonymous response and delete the draft.

    False (nothing written) when the draft is gone or changed since it was read.
    Raises IntegrityError when the invitation was used or the draft sent meanwhile.
    """
    if not _changed(
        _sql().execute(_DELETE_AT_VERSION, {"draft_id": draft.id, "read_version": draft.version})
    ):
        return False
    if draft.invitation_id is not None:
        _sql().execute(
            _INSERT_INVITATION_USE, {"invitation_id": draft.invitation_id, "used_on": now.date()}
        )
    response_id = _sql().execute(
        _INSERT_RESPONSE,
        {
            "round_id": survey_round.id,
            "municipality_code": draft.municipality_code,
            "language": language,
            "submitted": truncate_time(now, survey_round.time_precision),
            "submission_key": draft.submission_key,
        },
    ).scalar_one()
    rows = flow.answer_rows(definition, answers)
    if rows:
        _sql().execute(
            _INSERT_ANSWERS,
            [
                {
                    "response_id": response_id,
                    "round_id": survey_round.id,
                    "municipality_code": draft.municipality_code,
                    "question_code": row.question_code,
                    "option": row.option,
                    "value_num": row.value_num,
                    "value_text": row.value_text,
                }
                for row in rows
            ],
        )
    return True
