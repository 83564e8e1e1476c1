"""No English on Norwegian pages: WTForms' own messages and the staff forms' messages are
in bokmål and nynorsk too, in the plain tone of the citizen pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

ERRORS = re.compile(
    r'class="error-message"[^>]*><span class="visually-hidden">[^<]*</span> ([^<]*)</p>'
)


@pytest.mark.parametrize(
    ("language", "email", "password"),
    [
        ("nb", "Skriv e-postadressen din.", "Skriv passordet ditt."),
        ("nn", "Skriv e-postadressa di.", "Skriv passordet ditt."),
        ("en", "Write your e-mail address.", "Write your password."),
    ],
)
def test_empty_log_in_says_what_to_write_in_the_page_language(
    client: FlaskClient, language: str, email: str, password: str
) -> None:
    page = client.post(f"/login?lang={language}", data={"email": "", "password": ""})
    text = page.get_data(as_text=True)
    assert ERRORS.findall(text) == [email, password]
    assert "This field is required" not in text or language == "en"
    assert "<title>" + ("Error" if language == "en" else "Feil") + ":" in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nb", "Velg et av alternativene."),
        ("nn", "Vel eitt av alternativa."),
        ("en", "Not a valid choice."),
    ],
)
def test_a_stale_choice_on_a_survey_page_is_explained_in_the_page_language(
    client: FlaskClient,
    make_round: Callable[..., Any],
    language: str,
    expected: str,
) -> None:
    survey_round = make_round()
    client.get(f"/s/{survey_round.slug}?lang={language}")
    page = client.post(
        f"/s/{survey_round.slug}/1",
        data={"service_area": "removed_option", "channel": "phone"},
    )
    text = " ".join(page.get_data(as_text=True).split())
    assert ERRORS.findall(text) == [expected]
    if language != "en":
        assert "Not a valid choice" not in text and "Ikke et gyldig valg" not in text
