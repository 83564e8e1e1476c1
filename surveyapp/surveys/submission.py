"""Drafts and submissions of citizen answers. Adds and flushes; the view commits.

A submission is one transaction: mark the invitation used (its own table, no link to
the response), insert the response with the draft's submission key, insert its
answers, delete the draft. A repeated submission of the same draft, or a second use
of an invitation, fails on a unique key and is reported, never stored twice.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.questionnaires.schema import Definition
from surveyapp.surveys import flow
from surveyapp.surveys.models import (
    Answer,
    Invitation,
    InvitationUse,
    Response,
    SurveyDraft,
    SurveyRound,
    truncate_time,
)
from surveyapp.surveys.tokens import hash_token, new_token
from surveyapp.timeutil import utcnow

DRAFT_LIFETIME = timedelta(days=14)


class Availability(enum.StrEnum):
    OPEN = "open"
    NOT_YET_OPEN = "not_yet_open"
    PAUSED = "paused"
    CLOSED = "closed"


def availability(survey_round: SurveyRound, now: datetime) -> Availability:
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


def find_round(slug: str) -> SurveyRound | None:
    return db.session.scalar(sa.select(SurveyRound).where(SurveyRound.slug == slug))


class InvitationState(enum.StrEnum):
    VALID = "valid"
    UNKNOWN = "unknown"
    USED = "used"


def find_invitation(token: str) -> tuple[InvitationState, Invitation | None]:
    invitation = db.session.scalar(
        sa.select(Invitation).where(Invitation.token_hash == hash_token(token))
    )
    if invitation is None:
        return InvitationState.UNKNOWN, None
    if db.session.get(InvitationUse, invitation.id) is not None:
        return InvitationState.USED, invitation
    return InvitationState.VALID, invitation


@dataclass(frozen=True)
class NewDraft:
    token: str  # goes into the respondent's session; only its hash is stored
    draft: SurveyDraft


def start_draft(survey_round: SurveyRound, invitation: Invitation | None = None) -> NewDraft:
    """A fresh draft; also clears drafts abandoned long ago."""
    db.session.execute(
        sa.delete(SurveyDraft).where(SurveyDraft.updated_at < utcnow() - DRAFT_LIFETIME)
    )
    token = new_token()
    municipality = None
    if invitation is not None:
        municipality = invitation.municipality_code
    elif len(survey_round.municipalities) == 1:
        municipality = survey_round.municipalities[0].code
    draft = SurveyDraft(
        id=hash_token(token),
        round_id=survey_round.id,
        invitation_id=invitation.id if invitation else None,
        municipality_code=municipality,
        answers={},
        submission_key=hash_token(new_token()),
    )
    db.session.add(draft)
    db.session.flush()
    return NewDraft(token, draft)


def find_draft(token: str | None, survey_round: SurveyRound) -> SurveyDraft | None:
    if not token:
        return None
    draft = db.session.get(SurveyDraft, hash_token(token))
    if draft is None or draft.round_id != survey_round.id:
        return None
    return draft


def save_inputs(draft: SurveyDraft, page_inputs: flow.RawInputs) -> None:
    """Keep what a page posted (also unvalidated input, so nothing typed is lost)."""
    merged = dict(draft.answers or {})
    merged.update(page_inputs)
    draft.answers = merged
    draft.updated_at = utcnow()


class Outcome(enum.StrEnum):
    STORED = "stored"
    ALREADY_STORED = "already_stored"
    INVITATION_USED = "invitation_used"


def already_stored(submission_key: str) -> bool:
    return (
        db.session.scalar(sa.select(Response.id).where(Response.submission_key == submission_key))
        is not None
    )


def submit(
    draft: SurveyDraft,
    definition: Definition,
    survey_round: SurveyRound,
    language: str,
    now: datetime,
) -> None:
    """Store the draft as one anonymous response. Raises IntegrityError on a repeat."""
    submitted = truncate_time(now, survey_round.time_precision)
    if draft.invitation_id is not None:
        db.session.add(InvitationUse(invitation_id=draft.invitation_id, used_on=now.date()))
        db.session.flush()
    response = Response(
        round_id=survey_round.id,
        municipality_code=draft.municipality_code,
        language=language,
        submitted=submitted,
        submission_key=draft.submission_key,
    )
    db.session.add(response)
    db.session.flush()
    rows = flow.answer_rows(definition, draft.answers or {})
    if rows:
        db.session.execute(
            sa.insert(Answer.__table__),
            [
                {
                    "response_id": response.id,
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
    db.session.delete(draft)
    db.session.flush()
