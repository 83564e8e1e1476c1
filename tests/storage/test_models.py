"""Storage behaviour on SQLite and PostgreSQL: register, constraints, privacy, aggregation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from surveyapp.extensions import db
from surveyapp.models import (
    Answer,
    Invitation,
    Municipality,
    Questionnaire,
    Response,
    SurveyRound,
)
from surveyapp.municipalities.cli import load_register
from surveyapp.questionnaires.store import latest_version

pytestmark = pytest.mark.storage


def _round(questionnaire: Questionnaire, **kw: object) -> SurveyRound:
    survey_round = SurveyRound(
        slug=str(kw.pop("slug", "r1")),
        title="Test",
        year=2026,
        questionnaire_id=questionnaire.id,
        **kw,
    )
    survey_round.municipalities = [db.session.get(Municipality, "5501")]
    db.session.add(survey_round)
    db.session.flush()
    return survey_round


def test_register_loads_357_municipalities_once(app: Flask, backend: str) -> None:
    assert load_register() == (357, 0)
    db.session.commit()
    assert load_register() == (0, 0)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Municipality)) == 357
    tromso = db.session.get(Municipality, "5501")
    assert tromso is not None and tromso.county_name == "Troms"


def test_database_refuses_bad_values(app: Flask, backend: str, questionnaires: None) -> None:
    questionnaire = latest_version("citizen-satisfaction")
    assert questionnaire is not None
    for bad in ({"status": "nonsense"}, {"target": 1.5}, {"access": "everyone"}):
        with pytest.raises(sa.exc.IntegrityError):
            _round(questionnaire, **bad)
        db.session.rollback()
    for code in ("123", "12345"):  # a check constraint; on PostgreSQL also the column width
        db.session.add(Municipality(code=code, name="X", county_code="12", county_name="Y"))
        with pytest.raises((sa.exc.IntegrityError, sa.exc.DataError)):
            db.session.commit()
        db.session.rollback()


def test_invitation_use_cannot_be_linked_to_a_response(app: Flask, backend: str) -> None:
    invitation_columns = {c.name for c in Invitation.__table__.columns}
    assert invitation_columns == {
        "id",
        "round_id",
        "municipality_code",
        "token_hash",
        "created_on",
        "used",
        "claim_hash",
        "channel",  # letter or e-mail, the same for a whole mailing
    }
    response_columns = {c.name for c in Response.__table__.columns}
    assert response_columns == {
        "id",
        "round_id",
        "municipality_code",
        "language",
        "submitted",
        "submission_key",
        "channel",
        "place",
    }
    assert not any("invitation" in fk.column.table.name for fk in Response.__table__.foreign_keys)
    assert {c.name for c in Invitation.__table__.columns} >= {"token_hash"}
    assert "token" not in {c.name for c in Invitation.__table__.columns}


def test_answers_aggregate_in_sql(app: Flask, backend: str, questionnaires: None) -> None:
    questionnaire = latest_version("citizen-satisfaction")
    assert questionnaire is not None
    survey_round = _round(questionnaire)
    for i, value in enumerate([5, 4, 4, 2, None]):
        response = Response(
            round_id=survey_round.id,
            municipality_code="5501",
            language="nb",
            submitted=datetime(2026, 3, 1, tzinfo=UTC),
            submission_key=f"k{i}",
        )
        response.answers = [
            Answer(
                round_id=survey_round.id,
                municipality_code="5501",
                question_code="overall",
                option=str(value) if value else "dont_know",
                value_num=value,
            )
        ]
        db.session.add(response)
    db.session.commit()
    rows = db.session.execute(
        sa.select(Answer.option, sa.func.count())
        .where(Answer.round_id == survey_round.id, Answer.question_code == "overall")
        .group_by(Answer.option)
        .order_by(Answer.option)
    ).all()
    assert [tuple(r) for r in rows] == [("2", 1), ("4", 2), ("5", 1), ("dont_know", 1)]
    # Deleting a round deletes its responses and answers (nothing orphaned).
    db.session.execute(sa.delete(SurveyRound).where(SurveyRound.id == survey_round.id))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0


def test_submission_key_is_unique(app: Flask, backend: str, questionnaires: None) -> None:
    questionnaire = latest_version("citizen-satisfaction")
    assert questionnaire is not None
    survey_round = _round(questionnaire)
    for _ in range(2):
        db.session.add(
            Response(
                round_id=survey_round.id,
                municipality_code="5501",
                language="nb",
                submitted=datetime(2026, 3, 1, tzinfo=UTC),
                submission_key="same",
            )
        )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()


def test_invitation_token_hashes_are_unique(app: Flask, backend: str, questionnaires: None) -> None:
    questionnaire = latest_version("citizen-satisfaction")
    assert questionnaire is not None
    survey_round = _round(questionnaire, access="invitation")
    db.session.add(
        Invitation(round_id=survey_round.id, municipality_code="5501", token_hash="h" * 64)
    )
    db.session.commit()
    assert db.session.scalars(sa.select(Invitation)).one().used is False
    db.session.add(
        Invitation(round_id=survey_round.id, municipality_code="5501", token_hash="h" * 64)
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
