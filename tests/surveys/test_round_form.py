"""The round form without Ctrl-click: municipalities by county, saved group or typed
names (without JavaScript), what is chosen shown before saving; Norwegian dates and the
24-hour clock; the public title, contact line and privacy link citizens see."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.extensions import db
from surveyapp.models import SurveyRound
from surveyapp.results.group_ops import create_group
from surveyapp.web.fields import parse_date, parse_datetime
from surveyapp.web.picker import Municipality, Picker
from tests.surveys.test_rounds_admin import in_english, round_form


def _chosen(page: str) -> list[str]:
    return re.findall(r'name="municipalities" id="m-\d+" value="(\d+)" checked', page)


@pytest.fixture
def admin(
    questionnaires: None, make_user: Callable[..., Any], login: Callable[[Any], FlaskClient]
) -> Any:
    user = make_user("admin")
    return user, in_english(login(user))


def test_whole_county_saved_group_and_names_are_shown_before_saving(admin: Any) -> None:
    user, client = admin
    group = create_group(user.id, "Nabokommuner", ["1804", "1806"])
    db.session.commit()
    page = client.post(
        "/rounds/new",
        data={
            **round_form(municipalities=[]),
            "counties": ["56"],  # Finnmark: 18 municipalities
            "groups": [str(group.id)],
            "names": "Tromsø, alta kommune, 0301",
            "show_choice": "1",
        },
    ).get_data(as_text=True)
    chosen = _chosen(page)
    assert {"1804", "1806", "5501", "0301", "5601"} <= set(chosen)
    assert len(chosen) == 18 + 2 + 2  # Finnmark (with Alta), the group, Tromsø and Oslo
    assert "22 municipalities chosen:" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyRound)) == 0
    assert '<input type="text" id="names" name="names" value=""' in page  # folded in


def test_typed_names_that_match_nothing_or_two_are_explained(admin: Any) -> None:
    _user, client = admin
    page = client.post(
        "/rounds/new", data={**round_form(), "names": "Tromsø, Herøy, Atlantis"}
    ).get_data(as_text=True)
    assert "No municipality or more than one is called: Herøy, Atlantis." in page
    assert 'href="#names"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyRound)) == 0


def test_the_round_is_saved_with_what_the_four_ways_chose(admin: Any) -> None:
    _user, client = admin
    response = client.post(
        "/rounds/new",
        data={**round_form(municipalities=["5501"]), "names": "Bodø", "counties": []},
    )
    assert response.status_code == 302
    survey_round = db.session.scalars(sa.select(SurveyRound)).one()
    assert sorted(m.code for m in survey_round.municipalities) == ["1804", "5501"]


def test_round_form_shows_and_takes_norwegian_dates_and_the_24_hour_clock(admin: Any) -> None:
    _user, client = admin
    page = client.get("/rounds/new").get_data(as_text=True)
    assert 'type="datetime-local"' not in page and 'type="date"' not in page
    response = client.post(
        "/rounds/new",
        data=round_form(opens_at="1.3.2026 kl. 8.00", closes_at="2026-04-01 16:30"),
    )
    assert response.status_code == 302
    survey_round = db.session.scalars(sa.select(SurveyRound)).one()
    assert survey_round.opens_at == datetime(2026, 3, 1, 7, 0, tzinfo=UTC)  # CET
    assert survey_round.closes_at == datetime(2026, 4, 1, 14, 30, tzinfo=UTC)  # CEST
    edit = client.get(f"/rounds/{survey_round.id}/edit").get_data(as_text=True)
    assert 'value="01.03.2026 08:00"' in edit and 'value="01.04.2026 16:30"' in edit


def test_round_form_refuses_a_date_it_cannot_read(admin: Any) -> None:
    _user, client = admin
    page = client.post("/rounds/new", data=round_form(opens_at="03/01/2026 8:00 AM"))
    assert "Write the date and time like this: 17.05.2026 09:00." in page.get_data(as_text=True)


def test_public_titles_contact_and_privacy_link_are_saved(admin: Any) -> None:
    _user, client = admin
    response = client.post(
        "/rounds/new",
        data=round_form(
            public_title_nn="Kva synest du om kommunen?",
            privacy_url="https://www.tromso.kommune.no/personvern",
        ),
    )
    assert response.status_code == 302
    survey_round = db.session.scalars(sa.select(SurveyRound)).one()
    assert survey_round.public_titles == {
        "nb": "Hva synes du om kommunen? Våren 2026",
        "nn": "Kva synest du om kommunen?",
    }
    assert survey_round.contact == "Servicetorget, telefon 77 79 00 00"
    assert survey_round.privacy_url == "https://www.tromso.kommune.no/personvern"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"public_title_nb": ""}, "Write the title citizens see"),
        ({"contact": ""}, "Write where citizens can ask about the survey."),
        ({"privacy_url": "tromso.kommune.no"}, "Write the whole address, starting with https://"),
    ],
)
def test_what_citizens_see_is_checked(admin: Any, overrides: dict[str, str], message: str) -> None:
    _user, client = admin
    page = client.post("/rounds/new", data=round_form(**overrides)).get_data(as_text=True)
    assert message in page


# --------------------------------------------------------------------------- plain parts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("17.05.2026 14:30", datetime(2026, 5, 17, 14, 30)),
        ("17.5.2026 9:05", datetime(2026, 5, 17, 9, 5)),
        ("17.05.2026 kl. 14.30", datetime(2026, 5, 17, 14, 30)),
        ("2026-05-17T14:30", datetime(2026, 5, 17, 14, 30)),
        ("17.05.2026, 14", datetime(2026, 5, 17, 14, 0)),
        ("17.05.2026 24:00", None),
        ("31.02.2026 10:00", None),
        ("05/17/2026 2:30 PM", None),
        ("", None),
    ],
)
def test_parse_datetime(text: str, expected: datetime | None) -> None:
    assert parse_datetime(text) == expected


def test_parse_date() -> None:
    assert parse_date("17.05.2026") == date(2026, 5, 17)
    assert parse_date("2026-05-17") == date(2026, 5, 17)
    assert parse_date("17/05/2026") == date(2026, 5, 17)
    assert parse_date("5/17/2026") is None


def test_picker_orders_names_the_norwegian_way_and_keeps_groups_to_what_may_be_chosen() -> None:
    picker = Picker.build(
        [
            Municipality("3328", "Ål", "33", "Buskerud"),
            Municipality("3301", "Drammen", "33", "Buskerud"),
            Municipality("5501", "Tromsø", "55", "Troms"),
        ],
        groups=[("1", "Nord", ["5501", "1804"]), ("2", "Sør", ["4601"])],
    )
    assert [m.name for m in picker.municipalities] == ["Drammen", "Tromsø", "Ål"]
    assert [c.name for c in picker.counties()] == ["Buskerud", "Troms"]
    assert dict(picker.groups) == {"1": ("Nord", frozenset({"5501"}))}
    chosen, unknown, refused = picker.resolve(["9999"], ["33"], ["1"], "tromsø kommune")
    assert chosen == ["3301", "5501", "3328"] and unknown == [] and refused == ["9999"]


def test_bokmal_questionnaire_titles_are_marked_on_other_pages(admin: Any) -> None:
    _user, client = admin  # the page is in English
    page = client.get("/rounds/new").get_data(as_text=True)
    assert re.search(r'<option lang="nb" [^>]*>Hva synes du om servicen i kommunen\?', page)
    listing = client.get("/questionnaires").get_data(as_text=True)
    assert '<th scope="row" lang="nb">Hva synes du om servicen i kommunen?</th>' in listing
