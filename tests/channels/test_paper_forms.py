"""Paper forms: keyed by staff through the survey pages, optionally keyed twice and
settled by a third person, counted apart; the printable form in each language."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from pypdf import PdfReader

from surveyapp.extensions import db
from surveyapp.models import Answer, PaperKeying, Response, SurveyRound
from surveyapp.surveys import rounds
from tests.conftest import TEST_PASSWORD
from tests.surveys.test_public_flow import PAGE1, PAGE2, PAGE3

RECEIVED = date.today() - timedelta(days=3)


@pytest.fixture
def staff(
    app: Any, questionnaires: None, make_user: Callable[..., Any]
) -> Callable[[], FlaskClient]:
    """A new logged-in planner of Tromsø, each in their own browser."""

    def build() -> FlaskClient:
        user = make_user("planner", municipalities=["5501"])
        client = app.test_client()
        response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
        assert response.status_code == 302
        client.get("/language/en")
        return client

    return build


def key_form(
    client: FlaskClient,
    survey_round: SurveyRound,
    number: str = "",
    page3: dict[str, str] | None = None,
) -> Any:
    start = client.post(
        f"/rounds/{survey_round.id}/paper",
        data={
            "form_number": number,
            "received": RECEIVED.isoformat(),
            "municipality": "5501",
            "language": "nb",
        },
    )
    assert start.status_code == 302, start.get_data(as_text=True)[:3000]
    assert start.headers["Location"].endswith(f"/s/{survey_round.slug}/1")
    client.post(f"/s/{survey_round.slug}/1", data=PAGE1)
    client.post(f"/s/{survey_round.slug}/2", data=PAGE2)
    done = client.post(f"/s/{survey_round.slug}/3", data=page3 or PAGE3)
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/rounds/{survey_round.id}/paper")
    return client.get(done.headers["Location"]).get_data(as_text=True)


def stored() -> list[Response]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(Response)))


def test_a_paper_form_is_keyed_through_the_survey_pages_and_counted_apart(
    staff: Callable[[], FlaskClient], make_round: Callable[..., SurveyRound]
) -> None:
    survey_round = make_round(access="invitation")
    page = key_form(staff(), survey_round)
    assert "The paper form is stored." in page
    (response,) = stored()
    assert response.channel == "paper"
    assert response.submitted.date() == RECEIVED  # the date received, at the round's precision
    assert response.language == "nb"
    counts = rounds.round_counts(db.session.get(SurveyRound, survey_round.id))
    assert counts.channels == {"paper": 1}
    assert counts.responses == 1


def test_double_keying_flags_differences_for_a_third_person(
    staff: Callable[[], FlaskClient], make_round: Callable[..., SurveyRound]
) -> None:
    survey_round = make_round(paper_double_keying=True)
    first, second, third = staff(), staff(), staff()
    assert "Form A-17 is keyed once." in key_form(first, survey_round, "a-17")
    # The same person cannot key it the second time.
    assert "the second keying must be done by someone else" in key_form(first, survey_round, "A-17")
    page = key_form(second, survey_round, "A-17", {**PAGE3, "overall": "4"})
    assert "Form A-17: the two keyings differ." in page
    assert stored() == []
    settle_url = f"/rounds/{survey_round.id}/paper/settle/A-17"
    shown = first.get(settle_url).get_data(as_text=True)
    assert "overall" in shown and "Keying 1: 5" in shown and "Keying 2: 4" in shown
    refused = first.post(settle_url, data={"choice-overall": "2"})
    assert "settled by someone who keyed neither" in first.get(
        refused.headers["Location"]
    ).get_data(as_text=True)
    done = third.post(settle_url, data={"choice-overall": "2"})
    assert done.status_code == 302
    (response,) = stored()
    overall = db.session.scalar(
        sa.select(Answer.option).where(
            Answer.response_id == response.id, Answer.question_code == "overall"
        )
    )
    assert overall == "4"
    # The form number is gone: no keying is left, and nothing stored carries it.
    assert db.session.scalar(sa.select(sa.func.count(PaperKeying.id))) == 0
    values = {str(getattr(response, c)) for c in Response.__table__.columns.keys()}
    assert not any("A-17" in v for v in values)


def test_two_keyings_that_agree_are_stored_at_once(
    staff: Callable[[], FlaskClient], make_round: Callable[..., SurveyRound]
) -> None:
    survey_round = make_round(paper_double_keying=True)
    key_form(staff(), survey_round, "17")
    assert "Form 17: both keyings agree." in key_form(staff(), survey_round, "17")
    assert [r.channel for r in stored()] == ["paper"]
    assert db.session.scalar(sa.select(sa.func.count(PaperKeying.id))) == 0


def test_double_keying_needs_a_form_number(
    staff: Callable[[], FlaskClient], make_round: Callable[..., SurveyRound]
) -> None:
    survey_round = make_round(paper_double_keying=True)
    page = staff().post(
        f"/rounds/{survey_round.id}/paper",
        data={"received": RECEIVED.isoformat(), "municipality": "5501", "language": "nb"},
    )
    assert page.status_code == 200
    assert "Write the form number" in page.get_data(as_text=True)


def test_a_paper_state_is_no_use_without_a_staff_log_in(
    app: Any, staff: Callable[[], FlaskClient], make_round: Callable[..., SurveyRound]
) -> None:
    survey_round = make_round(access="invitation")
    keyer = staff()
    keyer.post(
        f"/rounds/{survey_round.id}/paper",
        data={"received": RECEIVED.isoformat(), "municipality": "5501", "language": "nb"},
    )
    page = keyer.get(f"/s/{survey_round.slug}/1").get_data(as_text=True)
    from tests.surveys.conftest import form_state

    state = form_state(keyer.get(f"/s/{survey_round.slug}/1"))
    assert "state" in page
    stranger = app.test_client()
    response = stranger.post(f"/s/{survey_round.slug}/1", data={**PAGE1, "state": state})
    assert response.status_code == 403
    assert stored() == []


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nb", ("Hva synes du om servicen i kommunen?", "Skjemanummer")),
        ("nn", ("Kva synest du om servicen i kommunen?", "Skjemanummer")),
        ("en", ("What do you think of the municipality's service?", "Form number")),
    ],
)
def test_the_printable_paper_form_in_each_language(
    staff: Callable[[], FlaskClient],
    make_round: Callable[..., SurveyRound],
    language: str,
    words: tuple[str, str],
) -> None:
    survey_round = make_round(paper_double_keying=True)
    response = staff().get(f"/rounds/{survey_round.id}/paper/form-{language}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(page.extract_text() for page in reader.pages)
    for word in words:
        assert word in text
    assert "☐" in text


# --------------------------------------------------------------------------- late forms


def _close(survey_round: SurveyRound, days_ago: float) -> None:
    from datetime import datetime as dt

    from surveyapp.timeutil import utcnow

    stored_round = db.session.get(SurveyRound, survey_round.id)
    assert stored_round is not None
    stored_round.status = "closed"
    stored_round.closed_at = utcnow() - timedelta(days=days_ago)
    assert isinstance(stored_round.closed_at, dt)
    db.session.commit()


def test_forms_that_come_late_by_post_can_be_keyed_for_a_while_after_closing(
    app: Any, staff: Callable[[], FlaskClient], make_round: Callable[..., SurveyRound]
) -> None:
    survey_round = make_round()
    _close(survey_round, days_ago=2)
    client = staff()
    overview = client.get(f"/rounds/{survey_round.id}/paper").get_data(as_text=True)
    assert "The round has closed. Forms that came late by post can be keyed until" in overview
    assert "Start keying" in overview
    page = key_form(client, survey_round)
    assert "The paper form is stored." in page
    assert [r.channel for r in stored()] == ["paper"]
    # Citizens still find the round closed.
    for path in (f"/s/{survey_round.slug}", f"/s/{survey_round.slug}/1"):
        citizen = app.test_client().get(path).get_data(as_text=True)
        assert 'id="survey-form"' not in citizen


def test_no_late_forms_after_the_late_days_or_once_published(
    staff: Callable[[], FlaskClient], make_round: Callable[..., SurveyRound]
) -> None:
    from surveyapp.api import publishing

    survey_round = make_round()
    _close(survey_round, days_ago=15)  # SURVEYAPP_PAPER_LATE_DAYS is 14
    client = staff()
    overview = client.get(f"/rounds/{survey_round.id}/paper").get_data(as_text=True)
    assert "closed too long ago for more forms to be keyed" in overview
    assert "Start keying" not in overview
    refused = client.post(
        f"/rounds/{survey_round.id}/paper",
        data={"received": RECEIVED.isoformat(), "municipality": "5501", "language": "nb"},
    )
    assert refused.status_code == 200 and "closed too long ago" in refused.get_data(as_text=True)

    late = make_round()
    _close(late, days_ago=1)
    # A keying begun before the publication cannot be finished after it.
    started = client.post(
        f"/rounds/{late.id}/paper",
        data={"received": RECEIVED.isoformat(), "municipality": "5501", "language": "nb"},
    )
    assert started.status_code == 302
    publishing.publish_survey_round(None, db.session.get(SurveyRound, late.id))  # type: ignore[arg-type]
    db.session.commit()
    blocked = client.post(f"/s/{late.slug}/1", data=PAGE1)
    assert blocked.status_code != 302
    assert 'id="survey-form"' not in blocked.get_data(as_text=True)
    overview = client.get(f"/rounds/{late.id}/paper").get_data(as_text=True)
    assert "results are published, so no more forms can be keyed" in overview
    assert stored() == []


def test_the_keying_window() -> None:
    from datetime import UTC, datetime

    from surveyapp.channels.paper import Window, closed_moment, keying_window
    from surveyapp.surveys.submission import Availability

    closed = datetime(2026, 10, 1, 12, tzinfo=UTC)
    now = datetime(2026, 10, 10, tzinfo=UTC)
    assert closed_moment(closed, closed - timedelta(days=1)) == closed - timedelta(days=1)
    assert closed_moment(None, None) is None
    assert keying_window(Availability.OPEN, None, now, False, 14) == (Window.OPEN, None)
    assert keying_window(Availability.PAUSED, None, now, False, 14)[0] is Window.NOT_YET
    assert keying_window(Availability.CLOSED, closed, now, False, 14) == (
        Window.LATE,
        closed + timedelta(days=14),
    )
    assert keying_window(Availability.CLOSED, closed, now, True, 14)[0] is Window.PUBLISHED
    assert keying_window(Availability.CLOSED, closed, now, False, 8)[0] is Window.ENDED
    assert keying_window(Availability.CLOSED, closed, now, False, 0)[0] is Window.ENDED
