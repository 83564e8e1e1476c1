"""Publishing rounds as open data, and which rounds are public.

A survey round is published by someone who may change it, once it is closed (its
answers no longer change); a service-test round by an administrator once it is locked.
Both are reversible and recorded in the audit trail. Publishing a survey round also
stores its share-satisfied counts per municipality (``PublishedCount``), so the national
table is read from a few thousand rows rather than every answer of every year.

These functions add and flush; the view commits.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from surveyapp.api.models import Publication, PublishedCount
from surveyapp.audit.operations import record
from surveyapp.extensions import db
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.questionnaires.store import definition_of
from surveyapp.results import queries
from surveyapp.servicetest.models import TestRound
from surveyapp.surveys.models import SurveyRound


class PublishError(Exception):
    """A publication the round's state does not allow; ``reason`` is a stable key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def published_survey_rounds() -> sa.Select[Any]:
    """SELECT of the ids of published survey rounds (for ``only_rounds``)."""
    return sa.select(Publication.survey_round_id).where(Publication.survey_round_id.is_not(None))


def published_test_rounds() -> sa.Select[Any]:
    """SELECT of the ids of published service-test rounds."""
    return sa.select(Publication.test_round_id).where(Publication.test_round_id.is_not(None))


def publication_of(survey_round: SurveyRound) -> Publication | None:
    return db.session.scalar(
        sa.select(Publication).where(Publication.survey_round_id == survey_round.id)
    )


def test_publication_of(test_round: TestRound) -> Publication | None:
    return db.session.scalar(
        sa.select(Publication).where(Publication.test_round_id == test_round.id)
    )


def _frozen_counts(survey_round: SurveyRound) -> list[PublishedCount]:
    """The round's share-satisfied counts per municipality and wording (one SQL query)."""
    definition = definition_of(survey_round.questionnaire)
    if definition.indicator is None:
        return []
    counts = queries.indicator_counts(
        survey_round.questionnaire.code, definition.indicator, only_rounds=[survey_round.id]
    )
    return [
        PublishedCount(municipality_code=c.municipality, fingerprint=c.fingerprint, k=c.k, n=c.n)
        for c in counts
    ]


def publish_survey_round(user_id: int | None, survey_round: SurveyRound) -> Publication:
    """Make a closed round's results public."""
    if survey_round.status != "closed":
        raise PublishError("not_closed")
    if publication_of(survey_round) is not None:
        raise PublishError("already_published")
    publication = Publication(survey_round_id=survey_round.id, published_by=user_id)
    publication.counts = _frozen_counts(survey_round)
    db.session.add(publication)
    db.session.flush()
    record(user_id, "publish", "survey_round", survey_round.id, new={"published": True})
    return publication


def unpublish_survey_round(user_id: int | None, survey_round: SurveyRound) -> None:
    """Take a round's results off the open-data API again."""
    publication = publication_of(survey_round)
    if publication is None:
        raise PublishError("not_published")
    db.session.delete(publication)
    db.session.flush()
    record(
        user_id,
        "unpublish",
        "survey_round",
        survey_round.id,
        old={"published": True},
        new={"published": False},
    )


def publish_test_round(user_id: int | None, test_round: TestRound) -> Publication:
    """Make a locked service-test round's scores and ranking public."""
    if test_round.status != "locked":
        raise PublishError("not_locked")
    if test_publication_of(test_round) is not None:
        raise PublishError("already_published")
    publication = Publication(test_round_id=test_round.id, published_by=user_id)
    db.session.add(publication)
    db.session.flush()
    record(user_id, "publish", "test_round", test_round.id, new={"published": True})
    return publication


def unpublish_test_round(user_id: int | None, test_round: TestRound) -> None:
    publication = test_publication_of(test_round)
    if publication is None:
        raise PublishError("not_published")
    db.session.delete(publication)
    db.session.flush()
    record(
        user_id,
        "unpublish",
        "test_round",
        test_round.id,
        old={"published": True},
        new={"published": False},
    )


def publish_all_closed(user_id: int | None, questionnaire_code: str) -> int:
    """Publish every closed, unpublished round of a questionnaire (the benchmark's national
    database); each round's counts come from one small query on its own answers."""
    rounds = list(
        db.session.scalars(
            sa.select(SurveyRound)
            .join(Questionnaire, Questionnaire.id == SurveyRound.questionnaire_id)
            .where(
                Questionnaire.code == questionnaire_code,
                SurveyRound.status == "closed",
                SurveyRound.id.not_in(published_survey_rounds()),
            )
        )
    )
    for survey_round in rounds:
        publish_survey_round(user_id, survey_round)
    return len(rounds)
