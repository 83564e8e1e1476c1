"""Huge numbers in URLs and query strings: 404 (or the page's own message), never a 500.

The walk covers every route of the URL map with an ``int`` argument, as an admin and as
a planner, and every GET page with hostile ``?page=``, ``?year=`` and friends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from surveyapp.web.routing import MAX_ID, BoundedIntegerConverter, whole_number
from tests.results.conftest import add_round  # noqa: F401  (fixture)

HUGE = [str(MAX_ID + 1), str(2**63 - 1), str(2**63), str(2**64), "9" * 30, "9" * 5000]
LARGE_BUT_VALID = [str(MAX_ID), "0"]
HOSTILE_ARGS = [
    f"page={2**63}",
    f"year={2**63}",
    f"population={2**63}",
    f"peers=group:{2**63}",
    "peers=group:²",
    "page=²&year=٢٠٢٦&population=-1",
    "population=" + "9" * 5000,
    "page=" + "9" * 5000 + "&year=" + "9" * 5000 + "&margin=" + "9" * 400,
]
STRING_ARGS = {"code": "5501", "slug": "x", "token": "x", "kind": "share", "fmt": "png"}


def _rules(app: Flask) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def _url(rule: Rule, number: str) -> str:
    values: dict[str, Any] = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        values[name] = number if isinstance(converter, BoundedIntegerConverter) else None
    url = rule.rule
    for name, value in values.items():
        shown = value if value is not None else STRING_ARGS.get(name, "x")
        url = url.replace(f"<int:{name}>", shown).replace(f"<{name}>", shown)
    return url


def _with_int(app: Flask) -> list[Rule]:
    found = [
        r
        for r in _rules(app)
        if any(isinstance(r._converters[a], BoundedIntegerConverter) for a in r.arguments)
    ]
    assert len(found) >= 15  # the walk really sees the id routes
    return found


@pytest.fixture
def staff(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    add_round: Callable[..., Any],  # noqa: F811
) -> Callable[[str], FlaskClient]:
    """Log in as an admin or a planner of Tromsø (with results to show)."""
    add_round("5501", 2026, [5] * 40 + [2] * 10)
    users = {"admin": make_user("admin"), "planner": make_user("planner", ["5501"])}

    def as_role(role: str) -> FlaskClient:
        client.post("/logout")
        return login(users[role])

    return as_role


def test_every_int_route_uses_the_bounded_converter(app: Flask) -> None:
    for rule in _rules(app):
        for name in rule.arguments:
            assert type(rule._converters[name]).__name__ != "IntegerConverter", rule.rule


@pytest.mark.storage
@pytest.mark.parametrize("role", ["admin", "planner"])
def test_ids_beyond_64_bits_are_404_on_every_route(
    app: Flask, staff: Callable[[str], FlaskClient], role: str
) -> None:
    client = staff(role)
    for rule in _with_int(app):
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for number in HUGE:
                response = client.open(_url(rule, number), method=method, buffered=True)
                assert response.status_code == 404, (role, method, rule.rule, number[:25])
            for number in LARGE_BUT_VALID:
                response = client.open(_url(rule, number), method=method, buffered=True)
                assert response.status_code < 500, (role, method, rule.rule, number)


@pytest.mark.parametrize("role", ["admin", "planner"])
def test_hostile_query_numbers_never_give_a_server_error(
    app: Flask, staff: Callable[[str], FlaskClient], role: str
) -> None:
    client = staff(role)
    checked = 0
    for rule in _rules(app):
        if "GET" not in (rule.methods or set()) or rule.endpoint in ("accounts.logout",):
            continue
        base = _url(rule, "1")
        for query in HOSTILE_ARGS:
            response = client.get(f"{base}?{query}", buffered=True)
            assert response.status_code < 500, (role, base, query[:80], response.status_code)
            checked += 1
    assert checked > 150


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        ("0", None),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("²", None),
        ("٣", None),
        ("-1", None),
        ("1 2", None),
        ("", None),
        (None, None),
        ("9" * 5000, None),
    ],
)
def test_whole_number(text: str | None, expected: int | None) -> None:
    assert whole_number(text) == expected
