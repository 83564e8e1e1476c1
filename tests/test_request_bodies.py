"""Bodies without a Content-Length (``Transfer-Encoding: chunked``) get the same limit as
the others: read whole below MAX_CONTENT_LENGTH, refused with 413 above it.

In-process here (Werkzeug's test client, as a server that terminates chunked input);
``tests/benchmarks/test_bad_input.py`` sends the same through a real gunicorn.
"""

from __future__ import annotations

import io
import re
import urllib.parse
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

LIMIT = 2 * 1024 * 1024


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "WTF_CSRF_ENABLED": True}


def _login_body(client: FlaskClient, padding: int) -> bytes:
    page = client.get("/login?lang=en").get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert found is not None
    # The token comes last: a body cut short loses it and the post fails as a forgery.
    pairs = [
        ("email", "nobody@example.no"),
        ("password", "not-the-password-1234"),
        ("padding", "x" * padding),
        ("csrf_token", found.group(1)),
    ]
    return urllib.parse.urlencode(pairs).encode()


def _post_chunked(client: FlaskClient, body: bytes) -> Any:
    return client.post(
        "/login?lang=en",
        input_stream=io.BytesIO(body),
        content_type="application/x-www-form-urlencoded",
        # Werkzeug, like HTTP, ignores a Content-Length beside "chunked" (the test client
        # always sets one).
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},  # as gunicorn says
    )


def test_a_chunked_body_under_the_limit_is_read_whole(app: Flask, client: FlaskClient) -> None:
    body = _login_body(client, LIMIT - 2000)
    assert len(body) < LIMIT
    response = _post_chunked(client, body)
    assert response.status_code == 200
    assert "Wrong e-mail address or password." in response.get_data(as_text=True)


def test_a_chunked_body_over_the_limit_is_refused_with_413(app: Flask, client: FlaskClient) -> None:
    body = _login_body(client, LIMIT + 1000)
    response = _post_chunked(client, body)
    assert response.status_code == 413
    assert "What you sent is too large" in response.get_data(as_text=True)
    # One byte over is enough.
    exact = _login_body(client, 0)
    exact += b"&p=" + b"y" * (LIMIT - len(exact) - 3)
    assert len(exact) == LIMIT
    assert _post_chunked(client, exact).status_code == 200
    assert _post_chunked(client, exact + b"z").status_code == 413


def test_the_limit_follows_the_setting(app: Flask, client: FlaskClient) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000
    assert _post_chunked(client, _login_body(client, 2000)).status_code == 413
    assert (
        client.post("/login", data={"padding": "x" * 2000}).status_code == 413
    )  # and with a Content-Length, as before
