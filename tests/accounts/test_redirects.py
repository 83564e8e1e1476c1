"""``next`` after a language switch or a log-in: same-site paths only (no open redirect)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from surveyapp.web.i18n import safe_next
from tests.conftest import TEST_PASSWORD

#: ``next`` values as they appear in the query string (percent-encoded where a browser
#: or an attacker would encode them), none of which may leave the site or crash.
HOSTILE_NEXT = [
    "/%09/evil.com",  # TAB: browsers strip it, leaving //evil.com
    "/%0D%0A/evil.com",  # CR LF: header injection, was a 500
    "/%0A/evil.com",
    "/%0D/evil.com",
    "/%5C/evil.com",  # backslash: browsers read it as a slash
    "%5C%5Cevil.com",
    "/%5Cevil.com",
    "https://evil.com",
    "https%3A%2F%2Fevil.com",
    "http:/evil.com",
    "//evil.com",
    "%2F%2Fevil.com",
    "///evil.com",
    "/%2F/evil.com",  # decodes to //evil.com (a second decoding must not help)
    "/%252F/evil.com",
    "/%255C/evil.com",
    "/%00",
    "/%00/evil.com",
    "/%7F/evil.com",
    "/%20/evil.com",
    "%20//evil.com",
    "/%E2%80%A8/evil.com",  # LINE SEPARATOR
    "/%E3%80%80/evil.com",  # IDEOGRAPHIC SPACE
    "/%EF%BB%BF/evil.com",  # BYTE ORDER MARK (a format character)
    "javascript:alert(1)",
    "javascript%3Aalert(1)",
    "evil.com",
    "." + "/" * 3 + "evil.com",
    "/" + "a" * 2100,
    "",
]

#: Local targets that must still be followed, as the language switch and log-in send them.
LOCAL_NEXT = [
    ("/rounds/3", "/rounds/3"),
    ("/results/5501%3Fyear%3D2026%26peers%3Dgroup%3A2", "/results/5501?year=2026&peers=group:2"),
    ("/s/abc/2%3Flang%3Den", "/s/abc/2?lang=en"),
    ("/results/1804%3Fq%3DBod%C3%B8", "/results/1804?q=Bod%C3%B8"),
]


@pytest.mark.parametrize("raw", HOSTILE_NEXT)
def test_language_switch_ignores_hostile_next(client: FlaskClient, raw: str) -> None:
    response = client.get(f"/language/en?next={raw}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("raw", HOSTILE_NEXT)
def test_login_ignores_hostile_next(
    client: FlaskClient, make_user: Callable[..., Any], raw: str
) -> None:
    user = make_user("planner")
    response = client.post(
        f"/login?next={raw}", data={"email": user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/home"


@pytest.mark.parametrize(("raw", "location"), LOCAL_NEXT)
def test_local_next_is_followed(
    client: FlaskClient, make_user: Callable[..., Any], raw: str, location: str
) -> None:
    assert client.get(f"/language/en?next={raw}").headers["Location"] == location
    user = make_user("planner")
    response = client.post(
        f"/login?next={raw}", data={"email": user.email, "password": TEST_PASSWORD}
    )
    assert response.headers["Location"] == location


@pytest.mark.parametrize(
    "target",
    ["/\t/evil.com", "/\r\n/evil.com", "/\\/evil.com", "/\x00", "/\u2028x", "/%2F%2Fevil.com"],
)
def test_safe_next_refuses_what_browsers_rewrite(target: str) -> None:
    assert safe_next(target, "/fallback") == "/fallback"
