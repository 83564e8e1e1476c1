"""The log-in limit holds across server processes: two gunicorns on one database.

Two app instances in one test process could share memory; two gunicorn processes
cannot, as two workers or two hosts in production cannot. (With the old in-memory
counters each process allowed its own five failures.)
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from benchmarks.perf import load
from tests.conftest import TEST_PASSWORD

WRONG = "not-the-password-0"
CSRF = re.compile(rb'name="csrf_token" type="hidden" value="([^"]+)"')


def _attempt(browser: load.Browser, email: str, password: str = WRONG) -> int:
    token = CSRF.search(browser.request("GET", "/login?lang=en").body)
    assert token is not None
    fields = {"email": email, "password": password, "csrf_token": token.group(1).decode()}
    reply = browser.request(
        "POST",
        "/login?lang=en",
        urllib.parse.urlencode(fields).encode(),
        "application/x-www-form-urlencoded",
    )
    return reply.status


@pytest.mark.storage
def test_limit_holds_across_two_servers_and_spares_the_real_user(
    app: Flask, make_user: Callable[..., Any], database_url: str
) -> None:
    email = make_user("planner").email
    key = load.new_secret_key()
    with (
        load.Gunicorn(database_url, key, workers=1, threads=2) as first,
        load.Gunicorn(database_url, key, workers=1, threads=2) as second,
    ):
        real = load.Browser(load.HOST, first.port)
        assert _attempt(real, email, TEST_PASSWORD) == 302
        attackers = [load.Browser(load.HOST, s.port) for s in (first, second)]
        statuses = [_attempt(attackers[n % 2], email) for n in range(8)]
        # The real user's browser (device cookie) gets in on the other server.
        moved = load.Browser(load.HOST, second.port)
        moved.cookies = {k: v for k, v in real.cookies.items() if k != "session"}
        real_status = _attempt(moved, email, TEST_PASSWORD)
        for browser in (real, moved, *attackers):
            browser.close()
    assert statuses == [200] * 5 + [429] * 3
    assert real_status == 302
