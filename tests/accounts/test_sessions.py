"""Staff sessions end on the server; CSRF tokens change at log-in; HSTS over HTTPS."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from surveyapp.accounts.models import StaffSession
from surveyapp.extensions import db
from surveyapp.timeutil import utcnow
from tests.conftest import TEST_PASSWORD, build_app


def _log_in(client: FlaskClient, user: Any, password: str = TEST_PASSWORD) -> None:
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302


def _copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser with a copy of the client's session cookie (a stolen cookie)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def _sessions(user_id: int) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(StaffSession)
            .where(StaffSession.user_id == user_id)
        )
        or 0
    )


@pytest.mark.storage
def test_a_copied_cookie_stops_working_at_log_out(
    app: Flask, client: FlaskClient, make_user: Callable[..., Any]
) -> None:
    user = make_user("admin")
    _log_in(client, user)
    thief = _copy_of(app, client)
    assert thief.get("/admin/users").status_code == 200  # a copy works while logged in
    assert _sessions(user.id) == 1
    assert client.post("/logout").status_code == 302
    assert _sessions(user.id) == 0
    assert thief.get("/admin/users").status_code == 302  # to the log-in page
    assert client.get("/home").status_code == 302


def test_each_log_in_is_its_own_session(app: Flask, make_user: Callable[..., Any]) -> None:
    user = make_user("planner")
    laptop, phone = app.test_client(), app.test_client()
    _log_in(laptop, user)
    _log_in(phone, user)
    assert _sessions(user.id) == 2
    laptop.post("/logout")
    assert laptop.get("/home").status_code == 302
    assert phone.get("/home").status_code == 200


def test_only_a_hash_of_the_session_token_is_stored(
    client: FlaskClient, make_user: Callable[..., Any]
) -> None:
    user = make_user("planner")
    _log_in(client, user)
    with client.session_transaction() as session:
        token = session["staff_session"]
    stored = db.session.scalar(sa.select(StaffSession.token_hash))
    assert len(token) >= 40 and stored is not None and token not in stored


def test_a_session_ends_on_the_server_when_it_expires(
    app_config: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    app = build_app({**app_config, "SURVEYAPP_SESSION_HOURS": 1})
    user = make_user("planner")
    client = app.test_client()
    _log_in(client, user)
    row = db.session.scalars(sa.select(StaffSession)).one()
    assert timedelta(minutes=59) < row.expires_at - utcnow() <= timedelta(hours=1)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/home").status_code == 302


@pytest.mark.parametrize("change", ["deactivate", "role", "password"])
def test_account_changes_end_every_session(
    app: Flask,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    change: str,
) -> None:
    admin = login(make_user("admin"))
    planner = make_user("planner", municipalities=["5501"])
    browser = app.test_client()
    _log_in(browser, planner)
    form = {"name": planner.name, "role": "planner", "active": "y", "municipalities": ["5501"]}
    if change == "deactivate":
        form.pop("active")
    elif change == "role":
        form["role"] = "caller"
    else:
        form["password"] = "Et-helt-nytt-passord-55"
    assert admin.post(f"/admin/users/{planner.id}", data=form).status_code == 302
    assert browser.get("/home").status_code == 302
    assert _sessions(planner.id) == 0


def test_a_cookie_from_before_server_side_sessions_is_refused(
    app: Flask, client: FlaskClient, make_user: Callable[..., Any]
) -> None:
    user = make_user("planner")
    # The old cookie held only "<id>:<session_version>", signed with the app's key.
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:1"
        session["_fresh"] = True
    assert client.get("/home").status_code == 302


# --------------------------------------------------------------------------- CSRF and HSTS

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def test_csrf_token_changes_at_log_in_and_log_out(
    app_config: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    user = make_user("planner")
    app = build_app({**app_config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    found = TOKEN.search(page)
    assert found
    with client.session_transaction() as session:
        before = session["csrf_token"]
    response = client.post(
        "/login", data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": found[1]}
    )
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert session.get("csrf_token") != before
    # The token from before the log-in is no longer accepted.
    refused = client.post("/logout", data={"csrf_token": found[1]})
    assert refused.status_code == 400
    form = client.get("/account/password").get_data(as_text=True)
    fresh = TOKEN.search(form)
    assert fresh and fresh[1] != found[1]
    assert client.post("/logout", data={"csrf_token": fresh[1]}).status_code == 302
    with client.session_transaction() as session:
        assert "csrf_token" not in session


@pytest.mark.parametrize("secure", [True, False])
def test_hsts_is_sent_when_cookies_are_secure(app_config: dict[str, Any], secure: bool) -> None:
    app = build_app({**app_config, "SESSION_COOKIE_SECURE": secure})
    headers = app.test_client().get("/").headers
    if secure:
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    else:
        assert "Strict-Transport-Security" not in headers
