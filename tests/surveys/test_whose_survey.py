"""Every citizen page says whose survey it is, in the citizen's language: the municipality
(and its coat of arms), the round's public title (marked with ``lang`` when it is in
another language), the contact line and the privacy statements."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from surveyapp.branding.arms import CleanArms
from surveyapp.branding.operations import store_arms
from surveyapp.extensions import db
from surveyapp.storage import file_store
from tests.surveys.conftest import form_state

PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5d6d3"
    "a90000000049454e44ae426082"
)


def _text(response: Any) -> str:
    return " ".join(response.get_data(as_text=True).split())


@pytest.fixture
def tromso_round(make_round: Callable[..., Any]) -> Any:
    return make_round(
        title="Intern: TRO-2026-vår",
        public_title_nb="Hva synes du om servicen i Tromsø?",
        public_title_nn="Kva synest du om servicen i Tromsø?",
        contact="Servicetorget, telefon 77 79 00 00",
        privacy_url="https://www.tromso.kommune.no/personvern",
    )


@pytest.mark.parametrize(
    ("language", "name", "title", "marked"),
    [
        ("nb", "Tromsø kommune", "Hva synes du om servicen i Tromsø?", None),
        ("nn", "Tromsø kommune", "Kva synest du om servicen i Tromsø?", None),
        # No English title: the default language's, marked as bokmål (WCAG 3.1.2).
        ("en", "Tromsø Municipality", "Hva synes du om servicen i Tromsø?", "nb"),
    ],
)
def test_survey_page_names_the_municipality_and_the_public_title(
    client: FlaskClient,
    tromso_round: Any,
    language: str,
    name: str,
    title: str,
    marked: str | None,
) -> None:
    page = _text(client.get(f"/s/{tromso_round.slug}/1?lang={language}"))
    assert f'<p class="brand brand-municipality"><span>{name}</span>' in page
    assert f"– {name}</title>" in page
    assert "TRO-2026" not in page  # the internal name is for staff only
    if marked:
        assert f'<p class="survey-title"><span lang="{marked}">{title}</span></p>' in page
    else:
        assert f'<p class="survey-title">{title}</p>' in page
    assert "Servicetorget, telefon 77 79 00 00" in page
    assert f'href="/s/{tromso_round.slug}/privacy" target="_blank"' in page
    assert 'href="https://www.tromso.kommune.no/personvern"' in page


def test_contact_line_in_another_language_is_marked(client: FlaskClient, tromso_round: Any) -> None:
    page = _text(client.get(f"/s/{tromso_round.slug}/1?lang=en"))
    assert '<span lang="nb">Servicetorget, telefon 77 79 00 00</span>' in page


def test_round_without_public_titles_shows_the_questionnaire_title(
    client: FlaskClient, make_round: Callable[..., Any]
) -> None:
    survey_round = make_round(title="Demodata – Innbyggerundersøkelse 2026")
    page = _text(client.get(f"/s/{survey_round.slug}/1?lang=nn"))
    assert '<p class="survey-title">Kva synest du om servicen i kommunen?</p>' in page
    assert "Demodata – Innbyggerundersøkelse" not in page


def test_thanks_page_uses_the_public_title_and_the_municipality(
    client: FlaskClient, tromso_round: Any
) -> None:
    from tests.surveys.test_public_flow import answer_citizen_survey

    answer_citizen_survey(client, tromso_round)
    page = _text(client.get(f"/s/{tromso_round.slug}/thanks"))
    assert "Hva synes du om servicen i Tromsø?" in page
    assert "Tromsø kommune bruker svarene" in page
    assert "TRO-2026" not in page


def test_thanks_page_without_cookies_names_the_municipality_from_the_signed_receipt(
    app: Any, make_round: Callable[..., Any]
) -> None:
    shared = make_round(municipalities=["5501", "1804"], public_title_nb="Servicen i nord")
    client = app.test_client(use_cookies=False)
    page = client.get(f"/s/{shared.slug}/where")
    state = form_state(page)
    chosen = client.post(f"/s/{shared.slug}/where", data={"state": state, "municipality": "1804"})
    assert "Bodø kommune" in _text(chosen)
    answers = [
        {"service_area": "technical", "channel": "email"},
        {"courtesy": "4", "understandable": "4", "got_answer": "yes"},
        {"overall": "5"},
    ]
    response = chosen
    for page_number, data in enumerate(answers, start=1):
        response = client.post(
            f"/s/{shared.slug}/{page_number}", data={**data, "state": form_state(response)}
        )
    assert response.status_code == 302 and "r=" in response.headers["Location"]
    thanks = _text(client.get(response.headers["Location"]))
    assert "Bodø kommune bruker svarene" in thanks
    forged = response.headers["Location"].replace("r=", "r=x")
    assert client.get(forged).status_code == 302  # an altered receipt thanks nobody


def test_shared_round_names_the_municipality_the_citizen_chose(
    client: FlaskClient, make_round: Callable[..., Any]
) -> None:
    shared = make_round(municipalities=["5501", "1804"])
    where = _text(client.get(f"/s/{shared.slug}/where"))
    assert "brand-municipality" not in where  # nobody chosen yet
    response = client.post(
        f"/s/{shared.slug}/where",
        data={"municipality": "1804", "state": form_state(client.get(f"/s/{shared.slug}/where"))},
    )
    page = _text(client.get(response.headers["Location"]))
    assert "<span>Bodø kommune</span>" in page


def test_municipality_choice_is_in_norwegian_alphabetical_order(
    client: FlaskClient, make_round: Callable[..., Any]
) -> None:
    # By number: Oslo, Drammen, Ål, Bergen, Tromsø, Alta. By name, Å comes last.
    shared = make_round(municipalities=["0301", "3301", "3328", "4601", "5501", "5601"])
    where = client.get(f"/s/{shared.slug}/where").get_data(as_text=True)
    labels = re.findall(r'<label for="municipality-\d+">([^<]+)</label>', where)
    assert labels == ["Alta", "Bergen", "Drammen", "Oslo - Oslove", "Tromsø", "Ål"]


def test_coat_of_arms_is_shown_when_uploaded(
    app: Any, client: FlaskClient, tromso_round: Any
) -> None:
    cleaned = CleanArms(PNG_1x1, "image/png", ".png")
    arms, _replaced = store_arms(None, "5501", cleaned, file_store())
    db.session.commit()
    page = _text(client.get(f"/s/{tromso_round.slug}/1"))
    found = re.search(r'<img class="arms" src="(/arms/5501\?v=[^"]+)" alt=""', page)
    assert found, page[:2000]
    image = client.get(found.group(1))
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.data == PNG_1x1
    assert "sandbox" in image.headers["Content-Security-Policy"]


def test_privacy_statement_says_what_is_stored(client: FlaskClient, tromso_round: Any) -> None:
    page = _text(client.get(f"/s/{tromso_round.slug}/privacy?lang=nn"))
    assert "<h1>Personvernerklæring for undersøkinga</h1>" in page
    assert "Tromsø kommune er ansvarleg" in page
    assert "Datoen du sende svara" in page
    assert "Servicetorget, telefon 77 79 00 00" in page
