"""Outside probe: contact details typed or loaded with a malformed web address are
refused with the usual message, not a server error or a traceback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from surveyapp.extensions import db
from surveyapp.municipalities.contact_details import ContactFileError, parse_contacts
from surveyapp.municipalities.contacts import MunicipalityContact


@pytest.mark.parametrize(
    "website", ["https://[x", "http://[::1", "https://a]b", "https://x.no:99999999"]
)
def test_a_malformed_web_address_is_refused_on_the_page(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    website: str,
) -> None:
    login(make_user("admin"))
    page = client.post(
        "/admin/municipalities/5501/contact?lang=en",
        data={"phone": "77 79 00 00", "email": "", "website": website},
    )
    assert page.status_code == 200
    assert "Write a web address starting with https://" in page.get_data(as_text=True)
    assert db.session.get(MunicipalityContact, ("5501", "")) is None


def test_a_malformed_web_address_in_a_file_names_its_line() -> None:
    text = "code,phone,email,website\n5501,,,https://[tromso\n"
    with pytest.raises(ContactFileError) as error:
        parse_contacts(text.encode(), "k.csv", {"5501"})
    assert error.value.problems == [
        "line 2: the web address must start with http:// or https:// and name a host"
    ]
