"""Number and duration fields on citizen pages: a clear message for anything that is not
a number in range, never a 500, and only finite values inside the question's range stored."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.extensions import db
from surveyapp.models import Answer, Response
from surveyapp.questionnaires.cli import load_definitions

ALL_TYPES = Path(__file__).parent / "all-types.yaml"
PAGE1 = {"rating_q": "4", "single_q": "a", "multiple_q": ["x"], "yesno_q": "yes"}
PAGE2 = {
    "number_q": "12",
    "duration_q__min": "4",
    "duration_q__sec": "30",
    "date_q": "17.05.2026",
    "datetime_q": "2026-05-17T14:30",
    "text_q": "ok",
}


@pytest.fixture
def all_types(app: Any, register: None, make_round: Callable[..., Any]) -> str:
    """The slug of an open round of the every-type survey, started in English, page 1 done."""
    load_definitions([ALL_TYPES])
    db.session.commit()
    return str(make_round(questionnaire="all-types").slug)


def _start(client: FlaskClient, slug: str) -> None:
    client.get(f"/s/{slug}?lang=en")
    assert client.post(f"/s/{slug}/1", data=PAGE1).headers["Location"].endswith("/2")


def _stored_numbers() -> list[float]:
    return [
        float(v)
        for v in db.session.scalars(
            sa.select(Answer.value_num).where(Answer.question_code.in_(["number_q", "duration_q"]))
        )
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"number_q": "²"}, "Write a number, for example 12 or 2,5."),
        ({"number_q": "1²"}, "Write a number, for example 12 or 2,5."),
        ({"number_q": "٣"}, "Write a number, for example 12 or 2,5."),  # Arabic-Indic three
        ({"number_q": "inf"}, "Write a number, for example 12 or 2,5."),
        ({"number_q": "1" * 400}, "Write a number from 0 to 100."),
        ({"number_q": "1" * 5000}, "Write a number from 0 to 100."),
        ({"number_q": "-" + "9" * 5000}, "Write a number from 0 to 100."),
        ({"number_q": "0," + "1" * 400}, "Write a number with at most 15 digits."),
        ({"number_q": "100,5"}, "Write a number from 0 to 100."),
        ({"duration_q__min": "²"}, "Write whole minutes and seconds, for example 4 and 30."),
        ({"duration_q__sec": "³"}, "Write whole minutes and seconds, for example 4 and 30."),
        ({"duration_q__min": "1" * 5000}, "At most 60 minutes."),
        ({"duration_q__sec": "1" * 5000}, "Seconds must be between 0 and 59."),
        ({"duration_q__min": "٣"}, "Write whole minutes and seconds, for example 4 and 30."),
    ],
)
def test_bad_numbers_get_a_clear_message_and_store_nothing(
    client: FlaskClient, all_types: str, fields: dict[str, str], message: str
) -> None:
    _start(client, all_types)
    response = client.post(f"/s/{all_types}/2", data={**PAGE2, **fields})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert 'id="error-summary"' in text and message in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0


def test_messages_are_in_the_citizens_language(client: FlaskClient, all_types: str) -> None:
    client.get(f"/s/{all_types}?lang=nn")
    client.post(f"/s/{all_types}/1", data=PAGE1)
    response = client.post(f"/s/{all_types}/2", data={**PAGE2, "number_q": "1" * 400})
    assert "Skriv eit tal frå 0 til 100." in response.get_data(as_text=True)
    client.get(f"/s/{all_types}/2?lang=nb")
    response = client.post(f"/s/{all_types}/2", data={**PAGE2, "duration_q__min": "²"})
    assert "Skriv hele minutter og sekunder, for eksempel 4 og 30." in response.get_data(
        as_text=True
    )


def test_good_numbers_are_stored_as_typed(client: FlaskClient, all_types: str) -> None:
    _start(client, all_types)
    done = client.post(
        f"/s/{all_types}/2",
        data={**PAGE2, "number_q": " 99,50 ", "duration_q__min": "060", "duration_q__sec": "0"},
    )
    assert done.headers["Location"].endswith("/thanks")
    assert sorted(_stored_numbers()) == [99.5, 3600.0]


def test_back_keeps_an_unchecked_number_and_the_submit_leads_back_to_it(
    client: FlaskClient, all_types: str
) -> None:
    _start(client, all_types)
    back = client.post(
        f"/s/{all_types}/2",
        data={**PAGE2, "number_q": "1" * 400, "duration_q__min": "²", "action": "back"},
    )
    assert back.headers["Location"].endswith("/1")
    page = client.get(f"/s/{all_types}/2").get_data(as_text=True)
    assert "1" * 400 in page and 'value="²"' in page  # nothing typed is lost
    # The last page is page 2 here: sending page 1 again reaches the final check.
    for _attempt in range(2):
        again = client.post(f"/s/{all_types}/1", data=PAGE1)
        assert again.status_code == 302
        assert again.headers["Location"].endswith("/2"), again.headers["Location"]
    checked = client.get(f"/s/{all_types}/2?check=1")
    text = checked.get_data(as_text=True)
    assert checked.status_code == 200
    assert "Write a number from 0 to 100." in text
    assert "Write whole minutes and seconds, for example 4 and 30." in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0
    done = client.post(f"/s/{all_types}/2", data=PAGE2)
    assert done.headers["Location"].endswith("/thanks")
    assert sorted(_stored_numbers()) == [12.0, 270.0]


def test_back_from_the_last_page_then_submit_never_fails(
    client: FlaskClient, make_round: Callable[..., Any]
) -> None:
    """The shipped survey: an unchecked waiting time saved with "back", then the final
    page sent. The citizen is led to the page with the message."""
    slug = make_round().slug
    client.get(f"/s/{slug}?lang=en")
    client.post(f"/s/{slug}/1", data={"service_area": "technical", "channel": "phone"})
    page2 = {
        "courtesy": "4",
        "reach_right_person": "5",
        "wait_satisfaction": "3",
        "got_answer": "yes",
        "understandable": "4",
    }
    back = client.post(
        f"/s/{slug}/2",
        data={**page2, "wait_time__min": "1" * 5000, "wait_time__sec": "²", "action": "back"},
    )
    assert back.status_code == 302
    final = client.post(f"/s/{slug}/3", data={"overall": "5"})
    assert final.status_code == 302 and final.headers["Location"].endswith("/2?check=1")
    shown = client.get(final.headers["Location"]).get_data(as_text=True)
    assert "At most 120 minutes." in shown
    assert "Write whole minutes and seconds, for example 4 and 30." in shown
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0


def test_census_staff_fte_never_stores_infinity(
    client: FlaskClient, make_round: Callable[..., Any]
) -> None:
    slug = make_round(questionnaire="service-office-census").slug
    client.get(f"/s/{slug}?lang=en")
    first = client.post(f"/s/{slug}/1", data={"respondent_role": "Leder", "has_office": "yes"})
    assert first.headers["Location"].endswith("/2")
    assert client.post(f"/s/{slug}/2", data={}).headers["Location"].endswith("/3")
    bad = client.post(f"/s/{slug}/3", data={"staff_fte": "1" * 400})
    assert bad.status_code == 200
    assert "Write a number with at most 15 digits." in bad.get_data(as_text=True)
    negative = client.post(f"/s/{slug}/3", data={"staff_fte": "-" + "1" * 400})
    assert "The number must be at least 0." in negative.get_data(as_text=True)
    good = client.post(f"/s/{slug}/3", data={"staff_fte": "2,5"})
    assert good.status_code == 302
    while good.headers["Location"].rsplit("/", 1)[-1].isdigit():
        good = client.post(good.headers["Location"], data={})
        assert good.status_code == 302
    assert good.headers["Location"].endswith("/thanks")
    values = list(
        db.session.scalars(sa.select(Answer.value_num).where(Answer.value_num.is_not(None)))
    )
    assert values and all(math.isfinite(v) for v in values)
    assert (
        db.session.scalar(sa.select(Answer.value_num).where(Answer.question_code == "staff_fte"))
        == 2.5
    )
