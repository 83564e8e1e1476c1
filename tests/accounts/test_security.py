"""CSRF, cookies, security headers, size limits and error pages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from surveyapp.accounts.access import PUBLIC, access
from surveyapp.config import ConfigurationError
from tests.conftest import TEST_PASSWORD, build_app


def test_post_without_csrf_token_is_rejected(
    app_config: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    user = make_user("admin")
    app = build_app({**app_config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert client.get("/home").status_code == 302  # not logged in


def test_post_with_csrf_token_is_accepted(
    app_config: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    import re

    user = make_user("admin")
    app = build_app({**app_config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token, page
    response = client.post(
        "/login",
        data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token.group(1)},
    )
    assert response.status_code == 302


def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_session_cookie_flags(app_config: dict[str, Any], make_user: Callable[..., Any]) -> None:
    user = make_user("planner")
    app = build_app({**app_config, "SESSION_COOKIE_SECURE": True})
    response = app.test_client().post(
        "/login", data={"email": user.email, "password": TEST_PASSWORD}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_refuses_to_start_without_secret_key(app_config: dict[str, Any], tmp_path: Path) -> None:
    import pytest

    config = {**app_config, "TESTING": False, "SECRET_KEY": None, "INSTANCE_PATH": str(tmp_path)}
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        build_app(config)
    build_app({**config, "SURVEYAPP_DEMO": True})  # demo mode may run without one


def test_oversized_request_gets_413(client: FlaskClient, app: Flask) -> None:
    body = "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = client.post("/login?lang=en", data={"email": "a@b.no", "password": body})
    assert response.status_code == 413
    assert b"too large" in response.data


def test_error_pages_in_the_users_language(client: FlaskClient) -> None:
    assert "Siden finnes ikke" in client.get("/nowhere").get_data(as_text=True)
    client.get("/language/nn")
    assert "Sida finst ikkje" in client.get("/nowhere").get_data(as_text=True)
    client.get("/language/en")
    assert "The page was not found" in client.get("/nowhere").get_data(as_text=True)


def test_500_page_shows_no_stack_trace(app: Flask) -> None:
    @app.get("/boom-test-route")
    @access(PUBLIC)
    def boom() -> str:
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom-test-route?lang=en")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "Something went wrong" in text
    assert "Traceback" not in text and "secret internals" not in text
