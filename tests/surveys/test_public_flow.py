"""A citizen answers a survey: pages, validation, conditions, language, submission."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.extensions import db
from surveyapp.models import Answer, Invitation, Response, SurveyRound
from surveyapp.questionnaires.cli import load_definitions
from tests.surveys.conftest import form_state

ALL_TYPES = Path(__file__).parent / "all-types.yaml"
PAGE1 = {"service_area": "technical", "channel": "email"}
PAGE2 = {
    "courtesy": "4",
    "reach_right_person": "5",
    "wait_satisfaction": "3",
    "wait_time__min": "9",
    "wait_time__sec": "0",  # hidden: the channel was e-mail
    "got_answer": "yes",
    "understandable": "dont_know",
}
PAGE3 = {"overall": "5", "suggestion": "Lengre åpningstid"}


def _answers(response_id: int) -> dict[str, list[tuple[Any, ...]]]:
    rows = db.session.execute(sa.select(Answer).where(Answer.response_id == response_id))
    result: dict[str, list[tuple[Any, ...]]] = {}
    for (a,) in rows:
        result.setdefault(a.question_code, []).append((a.option, a.value_num, a.value_text))
    return result


def answer_citizen_survey(client: FlaskClient, survey_round: SurveyRound) -> None:
    start = client.get(f"/s/{survey_round.slug}")
    assert start.status_code == 302 and start.headers["Location"].endswith("/1")
    assert client.post(f"/s/{survey_round.slug}/1", data=PAGE1).headers["Location"].endswith("/2")
    assert client.post(f"/s/{survey_round.slug}/2", data=PAGE2).headers["Location"].endswith("/3")
    done = client.post(f"/s/{survey_round.slug}/3", data=PAGE3)
    assert done.status_code == 302 and done.headers["Location"].split("?")[0].endswith("/thanks")


def test_citizen_answers_the_shipped_survey(
    client: FlaskClient, make_round: Callable[..., Any]
) -> None:
    survey_round = make_round()
    answer_citizen_survey(client, survey_round)
    thanks = client.get(f"/s/{survey_round.slug}/thanks")
    assert "Takk" in thanks.get_data(as_text=True)
    response = db.session.scalars(sa.select(Response)).one()
    assert response.municipality_code == "5501" and response.language == "nb"
    answers = _answers(response.id)
    assert answers["overall"] == [("5", 5.0, None)]
    assert answers["understandable"] == [("dont_know", None, None)]
    assert answers["got_answer"] == [("yes", 1.0, None)]
    assert answers["suggestion"] == [(None, None, "Lengre åpningstid")]
    assert "wait_time" not in answers  # hidden by its condition: not stored
    assert "told_when" not in answers


def test_submission_time_is_stored_at_the_rounds_precision(
    client: FlaskClient, make_round: Callable[..., Any]
) -> None:
    answer_citizen_survey(client, make_round())
    response = db.session.scalars(sa.select(Response)).one()
    moment = response.submitted
    assert (moment.hour, moment.minute, moment.second) == (0, 0, 0)
    hourly = make_round(time_precision="hour")
    answer_citizen_survey(client, hourly)
    later = db.session.scalars(sa.select(Response).where(Response.round_id == hourly.id)).one()
    moment = later.submitted
    assert (moment.minute, moment.second, moment.microsecond) == (0, 0, 0)


def test_missing_required_answer_shows_error_summary_and_keeps_answers(
    client: FlaskClient, make_round: Callable[..., Any]
) -> None:
    survey_round = make_round()
    client.get(f"/s/{survey_round.slug}?lang=en")
    response = client.post(f"/s/{survey_round.slug}/1", data={"service_area": "health_care"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Error:" in text
    assert 'id="error-summary"' in text and 'href="#channel-0"' in text
    assert "Answer this question." in text
    assert 'value="health_care" checked' in " ".join(text.split())
    assert re.search(r'aria-describedby="[^"]*channel-error[^"]*"', text)


def test_question_hidden_by_an_earlier_page_is_not_shown(
    client: FlaskClient, make_round: Callable[..., Any]
) -> None:
    survey_round = make_round()
    client.get(f"/s/{survey_round.slug}")
    client.post(f"/s/{survey_round.slug}/1", data=PAGE1)  # channel: e-mail
    assert 'id="q-wait_time"' not in client.get(f"/s/{survey_round.slug}/2").get_data(as_text=True)
    client.post(f"/s/{survey_round.slug}/1", data={**PAGE1, "channel": "phone"})
    assert 'id="q-wait_time"' in client.get(f"/s/{survey_round.slug}/2").get_data(as_text=True)


def test_back_and_forward_keep_answers(client: FlaskClient, make_round: Callable[..., Any]) -> None:
    survey_round = make_round()
    client.get(f"/s/{survey_round.slug}")
    client.post(f"/s/{survey_round.slug}/1", data=PAGE1)
    back = client.post(f"/s/{survey_round.slug}/2", data={"courtesy": "2", "action": "back"})
    assert back.headers["Location"].endswith("/1")
    page1 = " ".join(client.get(f"/s/{survey_round.slug}/1").get_data(as_text=True).split())
    assert 'value="technical" checked' in page1 and 'value="email" checked' in page1
    page2 = " ".join(client.get(f"/s/{survey_round.slug}/2").get_data(as_text=True).split())
    assert 'value="2" checked' in page2  # typed before going back, kept


def test_language_switch_keeps_typed_answers(
    client: FlaskClient, make_round: Callable[..., Any]
) -> None:
    survey_round = make_round()
    client.get(f"/s/{survey_round.slug}")
    switched = client.post(
        f"/s/{survey_round.slug}/1", data={"service_area": "culture_leisure", "action": "lang:nn"}
    )
    assert switched.headers["Location"].endswith("/1")
    page = " ".join(client.get(f"/s/{survey_round.slug}/1").get_data(as_text=True).split())
    assert '<html lang="nn">' in page
    assert "Kultur og fritid" in page and 'value="culture_leisure" checked' in page
    client.post(f"/s/{survey_round.slug}/1", data={**PAGE1, "action": "lang:en"})
    page = client.get(f"/s/{survey_round.slug}/1").get_data(as_text=True)
    assert '<html lang="en">' in page and "Building, planning and property" in page


def test_language_defaults_to_the_rounds(
    client: FlaskClient, make_round: Callable[..., Any]
) -> None:
    survey_round = make_round(language="nn")
    client.get(f"/s/{survey_round.slug}")
    assert '<html lang="nn">' in client.get(f"/s/{survey_round.slug}/1").get_data(as_text=True)


def test_submitting_twice_stores_one_response(
    client: FlaskClient, make_round: Callable[..., Any]
) -> None:
    survey_round = make_round()
    client.get(f"/s/{survey_round.slug}")
    client.post(f"/s/{survey_round.slug}/1", data=PAGE1)
    client.post(f"/s/{survey_round.slug}/2", data=PAGE2)
    last_page = client.get(f"/s/{survey_round.slug}/3")
    done = client.post(f"/s/{survey_round.slug}/3", data=PAGE3)
    assert "/thanks" in done.headers["Location"]
    # The back button and "send" again: the browser sends the page's form once more.
    again = client.post(f"/s/{survey_round.slug}/3", data={**PAGE3, "state": form_state(last_page)})
    assert again.status_code == 302 and "/thanks" in again.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"status": "closed"}, "This survey is closed"),
        ({"status": "paused"}, "This survey is paused for a while"),
        ({"status": "draft"}, "This survey has not opened yet"),
        ({"opens_at": datetime.now(UTC) + timedelta(days=3)}, "This survey has not opened yet"),
        (
            {
                "closes_at": datetime.now(UTC) - timedelta(minutes=1),
                "opens_at": datetime.now(UTC) - timedelta(days=5),
            },
            "This survey is closed",
        ),
        ({"access": "invitation"}, "This survey needs a personal link"),
    ],
)
def test_unavailable_surveys_say_what_happened(
    client: FlaskClient, make_round: Callable[..., Any], changes: dict[str, Any], expected: str
) -> None:
    survey_round = make_round(**changes)
    response = client.get(f"/s/{survey_round.slug}?lang=en")
    assert response.status_code == 200
    assert expected in response.get_data(as_text=True)


def test_closing_while_answering_keeps_nothing_half_stored(
    client: FlaskClient, make_round: Callable[..., Any]
) -> None:
    survey_round = make_round()
    client.get(f"/s/{survey_round.slug}")
    client.post(f"/s/{survey_round.slug}/1", data=PAGE1)
    db.session.get(SurveyRound, survey_round.id).status = "closed"  # type: ignore[union-attr]
    db.session.commit()
    response = client.post(f"/s/{survey_round.slug}/2?lang=en", data=PAGE2)
    assert "This survey is closed" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0


def test_unknown_survey_is_a_clear_404(client: FlaskClient, app: Any) -> None:
    response = client.get("/s/no-such-survey?lang=nn")
    assert response.status_code == 404
    assert "Vi fann ikkje denne undersøkinga" in response.get_data(as_text=True)


def test_multi_municipality_round_asks_where(
    client: FlaskClient, make_round: Callable[..., Any]
) -> None:
    survey_round = make_round(municipalities=["5501", "1804"])
    assert client.get(f"/s/{survey_round.slug}").headers["Location"].endswith("/where")
    error = client.post(f"/s/{survey_round.slug}/where?lang=en", data={"municipality": "0301"})
    assert "Choose the municipality you contacted." in error.get_data(as_text=True)
    assert (
        client.post(f"/s/{survey_round.slug}/where", data={"municipality": "1804"})
        .headers["Location"]
        .endswith("/1")
    )
    client.post(f"/s/{survey_round.slug}/1", data=PAGE1)
    client.post(f"/s/{survey_round.slug}/2", data=PAGE2)
    client.post(f"/s/{survey_round.slug}/3", data=PAGE3)
    assert db.session.scalars(sa.select(Response)).one().municipality_code == "1804"


def test_invitation_answers_once(
    app: Any, make_round: Callable[..., Any], make_invitations: Callable[..., list[str]]
) -> None:
    survey_round = make_round(access="invitation")
    (token,) = make_invitations(survey_round, 1)
    first = app.test_client()
    landing = first.get(f"/i/{token}")
    assert landing.status_code == 200 and 'name="service_area"' in landing.get_data(as_text=True)
    assert db.session.scalars(sa.select(Invitation)).one().used is False  # opening is free
    first.post(f"/s/{survey_round.slug}/1", data=PAGE1)
    assert db.session.scalars(sa.select(Invitation)).one().used is True  # sending page 1 claims
    first.post(f"/s/{survey_round.slug}/2", data=PAGE2)
    done = first.post(f"/s/{survey_round.slug}/3", data=PAGE3)
    assert "/thanks" in done.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1
    other = app.test_client()
    used = other.get(f"/i/{token}?lang=en")
    assert "This link has already been used" in used.get_data(as_text=True)
    unknown = other.get("/i/not-a-real-token?lang=en")
    assert unknown.status_code == 404
    assert "We do not recognise this link" in unknown.get_data(as_text=True)


def test_all_question_types_validate_and_store(
    app: Any, client: FlaskClient, register: None, make_round: Callable[..., Any]
) -> None:
    load_definitions([ALL_TYPES])
    db.session.commit()
    survey_round = make_round(questionnaire="all-types")
    slug = survey_round.slug
    client.get(f"/s/{slug}?lang=en")
    # Page 1: too many choices, "no" without the required follow-up (same-page condition).
    bad = client.post(
        f"/s/{slug}/1",
        data={"rating_q": "9", "single_q": "a", "multiple_q": ["x", "y", "z"], "yesno_q": "no"},
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "Not a valid choice" in text or "valid choice" in text.lower()
    assert "Choose at most 2." in text
    assert 'href="#why_no"' in text  # required because "no" was chosen
    good = client.post(
        f"/s/{slug}/1",
        data={
            "rating_q": "dont_know",
            "single_q": "a",
            "multiple_q": ["x", "z"],
            "yesno_q": "yes",
            "yesno_q__comment": "=1+1",
            "why_no": "ignored",
        },
    )
    assert good.headers["Location"].endswith("/2")
    bad2 = client.post(
        f"/s/{slug}/2",
        data={
            "number_q": "1e9",
            "duration_q__min": "61",
            "duration_q__sec": "75",
            "date_q": "31.02.2026",
            "datetime_q": "soon",
            "text_q": "x" * 21,
        },
    )
    text2 = bad2.get_data(as_text=True)
    for message in (
        "Write a number",
        "At most 60 minutes.",
        "Seconds must be between 0 and 59.",
        "Write the date as dd.mm.yyyy",
        "Write the date and time",
        "Write at most 20 characters (you wrote 21).",
    ):
        assert message in text2, message
    # Page 3 only shows for "b": with "a" the survey ends on page 2.
    done = client.post(
        f"/s/{slug}/2",
        data={
            "number_q": "2,5",
            "duration_q__min": "4",
            "duration_q__sec": "30",
            "date_q": "17.05.2026",
            "datetime_q": "2026-05-17T14:30",
            "text_q": "ok",
        },
    )
    assert done.headers["Location"].split("?")[0].endswith("/thanks")
    response = db.session.scalars(sa.select(Response)).one()
    answers = _answers(response.id)
    assert answers["rating_q"] == [("dont_know", None, None)]
    assert sorted(answers["multiple_q"]) == [("x", None, None), ("z", None, None)]
    assert answers["yesno_q"] == [("yes", 1.0, "=1+1")]
    assert "why_no" not in answers  # condition false: not stored even though posted
    assert answers["number_q"] == [(None, 2.5, None)]
    assert answers["duration_q"] == [(None, 270.0, None)]
    assert answers["date_q"] == [(None, None, "2026-05-17")]
    assert answers["datetime_q"] == [(None, None, "2026-05-17T14:30")]
    assert "only_b" not in answers


def test_skipped_required_page_is_caught_before_storing(
    client: FlaskClient, make_round: Callable[..., Any]
) -> None:
    survey_round = make_round()
    client.get(f"/s/{survey_round.slug}")
    response = client.post(f"/s/{survey_round.slug}/3", data=PAGE3)  # jumped straight to the end
    assert response.headers["Location"].endswith("/1?check=1")
    page = client.get(response.headers["Location"] + "&lang=en").get_data(as_text=True)
    assert "Answer this question." in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0
