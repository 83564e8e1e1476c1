"""Chunked request bodies through a real gunicorn on 127.0.0.1 (production settings):
read whole under MAX_CONTENT_LENGTH, 413 above it, like bodies with a Content-Length."""

from __future__ import annotations

import http.client
import re
import socket
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.perf import load

LIMIT = 2 * 1024 * 1024
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[load.Gunicorn]:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((load.HOST, 0))
    except OSError as err:
        pytest.skip(f"cannot bind a port on {load.HOST}: {err}")
    folder: Path = tmp_path_factory.mktemp("chunked")
    url = f"sqlite:///{folder / 'chunked.db'}"
    key = load.new_secret_key()
    load.setup_database(url, key)
    gunicorn = load.Gunicorn(url, key, workers=1, threads=2)
    gunicorn.start()
    yield gunicorn
    gunicorn.stop()
    log = gunicorn.log_text()
    gunicorn.remove_log()
    assert load.log_errors(log) == 0, log[-3000:]


def _login_form(server: load.Gunicorn, padding: int) -> tuple[dict[str, str], bytes]:
    """The log-in form's cookies and a filled-in body (the CSRF token last)."""
    browser = load.Browser(load.HOST, server.port)
    try:
        page = browser.request("GET", "/login?lang=en")
    finally:
        browser.close()
    found = TOKEN.search(page.text())
    assert found is not None
    pairs = [
        ("email", "nobody@example.no"),
        ("password", "not-the-password-1234"),
        ("padding", "x" * padding),
        ("csrf_token", found.group(1)),
    ]
    return browser.cookies, urllib.parse.urlencode(pairs).encode()


def _send_chunked(server: load.Gunicorn, cookies: dict[str, str], body: bytes) -> tuple[int, str]:
    """POST /login with the body in 64 KiB chunks and no Content-Length."""
    conn = http.client.HTTPConnection(load.HOST, server.port, timeout=30)
    try:
        conn.request(
            "POST",
            "/login?lang=en",
            body=(body[i : i + 65536] for i in range(0, len(body), 65536)),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            },
            encode_chunked=True,
        )
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def _title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    return " ".join(found.group(1).split()) if found else html[:80]


def test_chunked_body_under_the_limit_is_read_whole(server: load.Gunicorn) -> None:
    cookies, body = _login_form(server, LIMIT - 4000)
    status, html = _send_chunked(server, cookies, body)
    # The CSRF token is the last field: a body cut short would be refused with 400.
    assert status == 200, _title(html)
    assert "Wrong e-mail address or password." in html


@pytest.mark.parametrize("size", [LIMIT + 1, 3_000_000])
def test_chunked_body_over_the_limit_gets_413(server: load.Gunicorn, size: int) -> None:
    cookies, body = _login_form(server, size)
    status, html = _send_chunked(server, cookies, body)
    assert status == 413, _title(html)
    assert "What you sent is too large" in html
    health = load.Browser(load.HOST, server.port)
    try:
        assert health.request("GET", "/healthz").status == 200
    finally:
        health.close()


def test_the_413_reaches_the_client_every_time(server: load.Gunicorn) -> None:
    """Answering while the client still sends chunks broke the pipe more often than not;
    the rest of an oversized body is read (and dropped) first."""
    outcomes = []
    for _attempt in range(10):
        browser = load.Browser(load.HOST, server.port)
        try:
            browser.request("GET", "/login")  # a keep-alive connection, as a browser has
            body = urllib.parse.urlencode({"padding": "x" * 3_000_000}).encode()
            try:
                reply = browser.request(
                    "POST", "/login", body, "application/x-www-form-urlencoded", chunked=True
                )
                outcomes.append(str(reply.status))
            except OSError as err:
                outcomes.append(type(err).__name__)
        finally:
            browser.close()
    assert outcomes == ["413"] * 10
