"""Log-in, log-out, password policy, throttling and demo accounts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from surveyapp.accounts.passwords import policy_problems
from tests.conftest import TEST_PASSWORD, build_app


def test_login_and_logout(client: FlaskClient, make_user: Callable[..., Any]) -> None:
    user = make_user("planner")
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.get("/home").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/home").status_code == 302


def test_wrong_password_and_unknown_account_look_the_same(
    client: FlaskClient, make_user: Callable[..., Any]
) -> None:
    user = make_user("planner")
    wrong = client.post("/login?lang=en", data={"email": user.email, "password": "x" * 14})
    unknown = client.post(
        "/login?lang=en", data={"email": "nobody@example.no", "password": "x" * 14}
    )
    assert wrong.status_code == unknown.status_code == 200
    assert b"Wrong e-mail address or password." in wrong.data
    assert b"Wrong e-mail address or password." in unknown.data
    assert client.get("/home").status_code == 302


def test_deactivated_account_cannot_log_in(
    client: FlaskClient, make_user: Callable[..., Any], runner: Any
) -> None:
    user = make_user("caller")
    result = runner.invoke(args=["users", "deactivate", "--email", user.email])
    assert result.exit_code == 0, result.output
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 200  # form again, not a redirect into the app


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short1!", "too_short"),
        ("passord123456", "too_common"),
        ("Sommer2024!!", "too_common"),
        ("aaaaaaaaaaaaaaaa", "too_simple"),
        ("kari.nordmann-99x", "personal"),
    ],
)
def test_password_policy_refuses(password: str, problem: str) -> None:
    assert problem in policy_problems(password, "kari.nordmann@example.no", "Kari Nordmann")


def test_password_policy_accepts_a_long_uncommon_password() -> None:
    assert policy_problems("Fjelltur-i-regnet-42", "ola@example.no", "Ola Nordmann") == []


def test_password_change_logs_out_other_sessions(app: Flask, make_user: Callable[..., Any]) -> None:
    user = make_user("planner")
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        assert (
            c.post("/login", data={"email": user.email, "password": TEST_PASSWORD}).status_code
            == 302
        )
    new = "Nytt-passord-for-fjellet-77"
    response = first.post(
        "/account/password", data={"current": TEST_PASSWORD, "new": new, "confirm": new}
    )
    assert response.status_code == 302
    assert first.get("/home").status_code == 200  # the session that changed it stays
    assert second.get("/home").status_code == 302  # every other session is out


def test_password_change_refuses_weak_password(
    client: FlaskClient, make_user: Callable[..., Any], login: Callable[[Any], FlaskClient]
) -> None:
    login(make_user("planner"))
    response = client.post(
        "/account/password?lang=en",
        data={"current": TEST_PASSWORD, "new": "password1", "confirm": "password1"},
    )
    assert response.status_code == 200
    assert b"at least 12 characters" in response.data


def test_failed_logins_are_throttled_per_account(
    client: FlaskClient, make_user: Callable[..., Any]
) -> None:
    user = make_user("planner")
    for _ in range(5):
        assert (
            client.post(
                "/login", data={"email": user.email, "password": "wrong-password-x"}
            ).status_code
            == 200
        )
    blocked = client.post("/login?lang=en", data={"email": user.email, "password": TEST_PASSWORD})
    assert blocked.status_code == 429
    assert b"Too many attempts" in blocked.data
    # The same message for an account that does not exist: no hint either way.
    for _ in range(5):
        client.post("/login", data={"email": "ghost@example.no", "password": "wrong-password-x"})
    ghost = client.post("/login?lang=en", data={"email": "ghost@example.no", "password": "x"})
    assert ghost.status_code == 429


def test_failed_logins_are_throttled_per_client(app_config: dict[str, Any], register: None) -> None:
    app = build_app({**app_config, "SURVEYAPP_LOGIN_CLIENT_LIMIT": "3 per 15 minutes"})
    client = app.test_client()
    for i in range(3):
        client.post("/login", data={"email": f"user{i}@example.no", "password": "wrong-pass"})
    assert (
        client.post(
            "/login", data={"email": "other@example.no", "password": "wrong-pass"}
        ).status_code
        == 429
    )


def test_successful_logins_are_not_throttled(
    client: FlaskClient, make_user: Callable[..., Any]
) -> None:
    user = make_user("planner")
    for _ in range(8):
        assert (
            client.post("/login", data={"email": user.email, "password": TEST_PASSWORD}).status_code
            == 302
        )
        client.post("/logout")


def test_no_demo_account_unless_demo_mode(
    app: Flask, runner: Any, questionnaires: None, make_user: Callable[..., Any]
) -> None:
    from surveyapp.accounts.models import User
    from surveyapp.extensions import db

    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    assert "demo mode" in result.output
    assert db.session.query(User).filter_by(is_demo=True).count() == 0
    # A demo account left in a database cannot log in once demo mode is off.
    demo = make_user("admin", is_demo=True)
    response = app.test_client().post(
        "/login", data={"email": demo.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200


def test_users_cli_create_and_set_password(
    runner: Any, register: None, client: FlaskClient
) -> None:
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "New@Example.no",
            "--role",
            "planner",
            "--municipality",
            "5501",
            "--password",
            "Langt-og-trygt-passord-1",
        ]
    )
    assert result.exit_code == 0, result.output
    weak = runner.invoke(
        args=["users", "set-password", "--email", "new@example.no", "--password", "123456"]
    )
    assert weak.exit_code != 0
    assert "The password must be at least 12 characters long." in weak.output
    ok = runner.invoke(
        args=[
            "users",
            "set-password",
            "--email",
            "new@example.no",
            "--password",
            "Enda-lengre-passord-2",
        ]
    )
    assert ok.exit_code == 0, ok.output
    assert (
        client.post(
            "/login", data={"email": "new@example.no", "password": "Enda-lengre-passord-2"}
        ).status_code
        == 302
    )


def test_users_cli_explains_a_refused_password_in_words(runner: Any, register: None) -> None:
    # The README's production step, with a password that contains the e-mail's name.
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "admin@kommune.no",
            "--role",
            "admin",
            "--password",
            "Fjelladmin-og-brunost-93",
        ]
    )
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: The password must not contain your name or e-mail address."
    )
