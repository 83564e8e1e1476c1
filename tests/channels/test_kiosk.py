"""The service-desk kiosk: devices, visitor after visitor, idle answers discarded,
stuffing limited, the place (never the device) stored when the round asks."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.extensions import db
from surveyapp.models import KioskDevice, Response, SurveyRound
from surveyapp.questionnaires.definition import parse_definition
from surveyapp.questionnaires.problems import DefinitionError
from surveyapp.surveys.tokens import hash_token
from tests.surveys.test_public_flow import PAGE1, PAGE2, PAGE3

ANSWERS = {**PAGE1, **PAGE2, **PAGE3}
_LINK = re.compile(r'href="https?://[^"]+/k/([A-Za-z0-9_-]+)"')
_STATE = re.compile(r'name="state" value="([^"]+)"')


@pytest.fixture
def admin(
    questionnaires: None, make_user: Callable[..., Any], login: Callable[[Any], FlaskClient]
) -> FlaskClient:
    client = login(make_user("admin"))
    client.get("/language/en")
    return client


def register(admin: FlaskClient, survey_round: SurveyRound, place: str = "Servicetorget") -> str:
    page = admin.post(
        f"/rounds/{survey_round.id}/kiosks",
        data={"name": "Nettbrett 1", "place": place, "municipality": "5501"},
    ).get_data(as_text=True)
    found = _LINK.search(page)
    assert found is not None, page[:3000]
    return found.group(1)


def state_of(page: Any) -> str:
    found = _STATE.search(page.get_data(as_text=True))
    assert found is not None
    return found.group(1)


def visit(app: Any, secret: str, answers: dict[str, str] = ANSWERS) -> Any:
    tablet = app.test_client()
    start = tablet.get(f"/k/{secret}")
    assert start.status_code == 200
    return tablet.post(f"/k/{secret}", data={**answers, "state": state_of(start)})


def responses() -> list[Response]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(Response)))


def test_an_admin_registers_a_kiosk_and_only_the_secrets_hash_is_stored(
    admin: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    survey_round = make_round()
    secret = register(admin, survey_round)
    device = db.session.scalars(sa.select(KioskDevice)).one()
    assert device.secret_hash == hash_token(secret)
    assert secret not in admin.get(f"/rounds/{survey_round.id}/kiosks").get_data(as_text=True)


def test_visitor_after_visitor_each_starts_clean(
    app: Any, admin: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    survey_round = make_round(kiosk_records_place=True)
    secret = register(admin, survey_round)
    tablet = app.test_client()
    start = tablet.get(f"/k/{secret}")
    assert start.headers["Cache-Control"] == "no-store"
    done = tablet.post(f"/k/{secret}", data={**ANSWERS, "state": state_of(start)})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/k/{secret}/thanks")
    thanks = tablet.get(done.headers["Location"])
    text = thanks.get_data(as_text=True)
    assert 'name="state"' not in text and "<form" not in text.split("<main", 1)[1]
    assert f'data-start="/k/{secret}"' in text  # back to the start by itself (script)
    assert (
        "session" not in tablet.get_cookie("session").value
        if tablet.get_cookie("session")
        else True
    )
    # The next visitor sees a clean start: nothing chosen, a new state.
    again = tablet.get(f"/k/{secret}")
    assert "checked" not in again.get_data(as_text=True)
    assert state_of(again) != state_of(start)
    # Sending the old page again (a double tap) stores nothing more.
    tablet.post(f"/k/{secret}", data={**ANSWERS, "state": state_of(start)})
    (response,) = responses()
    assert response.channel == "kiosk"
    assert response.place == "Servicetorget"
    assert str(db.session.scalars(sa.select(KioskDevice.id)).one()) not in {
        str(response.place),
        response.municipality_code,
    }


def test_the_place_is_stored_only_when_the_round_asks(
    app: Any, admin: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    secret = register(admin, make_round(kiosk_records_place=False))
    assert visit(app, secret).status_code == 302
    (response,) = responses()
    assert response.channel == "kiosk" and response.place is None


def test_an_answer_left_idle_is_discarded(
    app: Any, admin: FlaskClient, make_round: Callable[..., SurveyRound], monkeypatch: Any
) -> None:
    secret = register(admin, make_round())
    tablet = app.test_client()
    real = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real() - 200)
    stale = state_of(tablet.get(f"/k/{secret}"))  # signed 200 s ago
    monkeypatch.setattr("itsdangerous.timed.time.time", real)
    page = tablet.post(f"/k/{secret}", data={**ANSWERS, "state": stale})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "ble ikke fullført og er slettet" in text  # in the round's language
    assert "checked" not in text  # nothing of the idle answer is shown to the next visitor
    assert responses() == []


def test_more_time_signs_the_state_anew(
    app: Any, admin: FlaskClient, make_round: Callable[..., SurveyRound], monkeypatch: Any
) -> None:
    secret = register(admin, make_round())
    tablet = app.test_client()
    real = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real() - 150)
    old = state_of(tablet.get(f"/k/{secret}"))
    monkeypatch.setattr("itsdangerous.timed.time.time", real)
    fresh = tablet.post(f"/k/{secret}/more-time", data={"state": old}).get_json()["state"]
    assert fresh and fresh != old
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real() + 100)
    done = tablet.post(f"/k/{secret}", data={**ANSWERS, "state": fresh})
    monkeypatch.setattr("itsdangerous.timed.time.time", real)
    assert done.status_code == 302  # 250 s after the start, 100 s after "more time"
    assert len(responses()) == 1


def test_answers_per_device_per_minute_are_limited(
    app_config: dict[str, Any],
    app: Any,
    admin: FlaskClient,
    make_round: Callable[..., SurveyRound],
) -> None:
    app.config["SURVEYAPP_KIOSK_LIMIT"] = "2 per minute"
    secret = register(admin, make_round())
    assert visit(app, secret).status_code == 302
    assert visit(app, secret).status_code == 302
    refused = visit(app, secret)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert len(responses()) == 2


def test_a_stopped_kiosk_link_no_longer_works(
    app: Any, admin: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    survey_round = make_round()
    secret = register(admin, survey_round)
    device_id = db.session.scalars(sa.select(KioskDevice.id)).one()
    admin.post(f"/rounds/{survey_round.id}/kiosks/{device_id}/deactivate")
    assert app.test_client().get(f"/k/{secret}").status_code == 404


def test_a_planner_cannot_register_kiosks(
    questionnaires: None,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    make_round: Callable[..., SurveyRound],
) -> None:
    client = login(make_user("planner", municipalities=["5501"]))
    survey_round = make_round()
    response = client.post(
        f"/rounds/{survey_round.id}/kiosks",
        data={"name": "x", "place": "y", "municipality": "5501"},
    )
    assert response.status_code == 403


KIOSK_FILE = """
format: 1
code: k-test
kind: survey
title: {nb: "T", nn: "T", en: "T"}
kiosk: %s
sections:
  - code: s
    title: {nb: "S", nn: "S", en: "S"}
    questions:
      - code: overall
        type: yesno
        text: {nb: "Q", nn: "Q", en: "Q"}
      - code: other
        type: yesno
        text: {nb: "Q", nn: "Q", en: "Q"}
"""


def test_the_kiosk_key_names_questions_of_the_file_once() -> None:
    assert parse_definition(KIOSK_FILE % "[overall]", "k.yaml").kiosk == ("overall",)
    with pytest.raises(DefinitionError) as raised:
        parse_definition(KIOSK_FILE % "[overall, nope, overall]", "k.yaml")
    message = str(raised.value)
    assert "'nope' is not a question of this file" in message
    assert "'overall' is listed twice" in message
    with pytest.raises(DefinitionError):
        parse_definition(KIOSK_FILE % "overall", "k.yaml")


def test_a_question_that_depends_on_another_says_so_and_can_be_hidden_by_the_script(
    app: Any, admin: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    """Without JavaScript every question of the kiosk's one page shows, so the dependent
    ones say when to answer them; survey.js hides them from the attributes."""
    survey_round = make_round()
    secret = register(admin, survey_round)
    page = app.test_client().get(f"/k/{secret}?lang=nb").get_data(as_text=True)
    told_when = page.split('id="q-told_when"', 1)[1].split("</fieldset>", 1)[0]
    assert 'data-show-if="got_answer" data-show-values="no"' in told_when
    assert 'aria-describedby="told_when-condition"' in told_when.split(">", 1)[0]
    assert "Svar bare hvis du svarte Nei på «Fikk du svar på det du lurte på?»." in told_when
    wait_time = page.split('id="q-wait_time"', 1)[1].split("</div>", 1)[0]
    assert 'data-show-if="channel"' in wait_time and "wait_time-condition" in page
    assert "js/survey.js" in page
