"""Every route declares who may use it; anonymous and wrong-role requests never get data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from surveyapp.accounts.access import ADMIN, CALLER, PLANNER, PUBLIC, STAFF, declared_access

DUMMY_ARGS = {"int": 999_999, "default": "x", "string": "x", "path": "x"}


def _url_for_rule(rule: Rule) -> str:
    url = rule.rule
    for arg in rule.arguments:
        converter = rule._converters[arg].__class__.__name__.lower()
        value = DUMMY_ARGS["int"] if "integer" in converter else "x"
        url = url.replace(f"<{rule._converters[arg].__class__.__name__}:{arg}>", str(value))
        for prefix in ("int:", "string:", "path:", ""):
            url = url.replace(f"<{prefix}{arg}>", str(value))
    return url


def _rules(app: Flask) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def test_every_route_declares_access(app: Flask) -> None:
    undeclared = [r.endpoint for r in _rules(app) if declared_access(app, r.endpoint) is None]
    assert undeclared == []


def test_anonymous_requests_to_protected_routes_go_to_login(
    app: Flask, client: FlaskClient, register: None
) -> None:
    checked = 0
    for rule in _rules(app):
        levels = declared_access(app, rule.endpoint)
        assert levels is not None
        if PUBLIC in levels:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(_url_for_rule(rule), method=method)
            assert response.status_code == 302, (rule.rule, method, response.status_code)
            assert "/login" in response.headers["Location"], rule.rule
            checked += 1
    assert checked >= 5  # the walk really visited the protected pages


@pytest.mark.parametrize("role", [PLANNER, CALLER])
def test_wrong_role_gets_403_never_data(
    app: Flask,
    client: FlaskClient,
    role: str,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
) -> None:
    login(make_user(role))
    checked = 0
    for rule in _rules(app):
        levels = declared_access(app, rule.endpoint)
        assert levels is not None
        if PUBLIC in levels or STAFF in levels or role in levels:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(_url_for_rule(rule), method=method)
            assert response.status_code == 403, (role, rule.rule, method, response.status_code)
            checked += 1
    assert checked >= 3


def test_admin_reaches_admin_pages(
    client: FlaskClient, make_user: Callable[..., Any], login: Callable[[Any], FlaskClient]
) -> None:
    login(make_user(ADMIN))
    for url in ("/admin/users", "/admin/users/new", "/admin/audit", "/home"):
        assert client.get(url).status_code == 200, url


def test_undeclared_route_is_refused(app: Flask) -> None:
    @app.get("/undeclared-test-route")
    def undeclared() -> str:
        return "secret data"

    response = app.test_client().get("/undeclared-test-route")
    assert response.status_code == 403
    assert b"secret data" not in response.data
