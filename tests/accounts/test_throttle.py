"""Failed log-ins are counted for every worker; the real user is never locked out.

Two app instances on one database stand for two gunicorn workers (or two hosts).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from surveyapp.accounts.models import ThrottleCounter
from surveyapp.accounts.throttle import DEVICE_COOKIE, client_key
from surveyapp.config import ConfigurationError
from surveyapp.extensions import db
from tests.conftest import TEST_PASSWORD, build_app

WRONG = "not-the-password-0"


def _attempt(client: FlaskClient, email: str, password: str = WRONG, **headers: str) -> int:
    response = client.post(
        "/login?lang=en", data={"email": email, "password": password}, headers=headers
    )
    return int(response.status_code)


@pytest.fixture
def worker(app: Flask, app_config: dict[str, Any]) -> Iterator[Callable[..., Flask]]:
    """worker(**settings): another app instance on the test's database, as another
    gunicorn worker (or host) is; its connections are closed before the tables go."""
    built: list[Flask] = []

    def build(**settings: Any) -> Flask:
        other = build_app({**app_config, **settings})
        built.append(other)
        return other

    yield build
    for other in built:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def second_worker(worker: Callable[..., Flask]) -> Flask:
    return worker()


@pytest.mark.storage
def test_account_limit_holds_across_two_workers(
    app: Flask, second_worker: Flask, make_user: Callable[..., Any]
) -> None:
    user = make_user("planner")
    workers = [app.test_client(), second_worker.test_client()]
    for attempt in range(5):
        assert _attempt(workers[attempt % 2], user.email) == 200
    # Five failures in all, spread over the two workers: both now refuse.
    for client in workers:
        refused = client.post("/login?lang=en", data={"email": user.email, "password": WRONG})
        assert refused.status_code == 429
        assert b"Too many attempts" in refused.data
        assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    # The right password from an untrusted browser waits too (nothing to learn from it).
    assert _attempt(workers[0], user.email, TEST_PASSWORD) == 429


@pytest.mark.storage
def test_client_limit_holds_across_two_workers(
    worker: Callable[..., Flask], register: None
) -> None:
    limit = {"SURVEYAPP_LOGIN_CLIENT_LIMIT": "4 per 15 minutes"}
    workers = [worker(**limit).test_client(), worker(**limit).test_client()]
    for number in range(4):
        assert _attempt(workers[number % 2], f"someone{number}@example.no") == 200
    assert _attempt(workers[0], "another@example.no") == 429
    assert _attempt(workers[1], "yet-another@example.no") == 429


@pytest.mark.storage
def test_parallel_guesses_do_not_overshoot_the_limit(
    app: Flask, second_worker: Flask, make_user: Callable[..., Any]
) -> None:
    email = make_user("planner").email
    statuses: list[int] = []
    lock = threading.Lock()

    def guess(worker: Flask) -> None:
        status = _attempt(worker.test_client(), email)
        with lock:
            statuses.append(status)

    threads = [
        threading.Thread(target=guess, args=(app if n % 2 else second_worker,)) for n in range(12)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(statuses) == [200] * 5 + [429] * 7


@pytest.mark.storage
def test_real_user_with_a_device_cookie_logs_in_while_the_attacker_is_blocked(
    app: Flask, second_worker: Flask, make_user: Callable[..., Any]
) -> None:
    user = make_user("planner")
    real = app.test_client()
    assert _attempt(real, user.email, TEST_PASSWORD) == 302
    device = real.get_cookie(DEVICE_COOKIE, path="/login")
    assert device is not None and device.http_only
    real.post("/logout")

    # The attacker (same address, as behind a shared NAT) uses up the account's and the
    # address's allowance on the other worker.
    attacker = second_worker.test_client()
    statuses = [_attempt(attacker, user.email) for _ in range(8)]
    assert statuses == [200] * 5 + [429] * 3
    others = [_attempt(attacker, f"other{n}@example.no") for n in range(16)]
    assert others == [200] * 15 + [429]  # the address's 20 are spent too

    # The real user's browser still gets in, on either worker.
    assert _attempt(real, user.email, TEST_PASSWORD) == 302
    real.post("/logout")
    moved = second_worker.test_client()
    moved.set_cookie(DEVICE_COOKIE, device.value, path="/login")
    assert _attempt(moved, user.email, TEST_PASSWORD) == 302
    # A new browser without the cookie waits like the attacker.
    assert _attempt(app.test_client(), user.email, TEST_PASSWORD) == 429


def test_a_device_cookie_counts_its_own_failures(
    client: FlaskClient, make_user: Callable[..., Any]
) -> None:
    user = make_user("planner")
    assert _attempt(client, user.email, TEST_PASSWORD) == 302
    client.post("/logout")
    for _ in range(5):
        assert _attempt(client, user.email) == 200  # the device's own five
    # Then the browser counts as untrusted: the account's own allowance is still there.
    for _ in range(5):
        assert _attempt(client, user.email) == 200
    assert _attempt(client, user.email, TEST_PASSWORD) == 429


def test_a_device_cookie_helps_only_its_own_account_and_only_when_signed(
    client: FlaskClient, app: Flask, make_user: Callable[..., Any]
) -> None:
    owner, victim = make_user("planner"), make_user("planner")
    assert _attempt(client, owner.email, TEST_PASSWORD) == 302
    client.post("/logout")
    for _ in range(5):
        assert _attempt(client, victim.email) == 200
    assert _attempt(client, victim.email) == 429  # the owner's cookie is no pass for others

    forged = app.test_client()
    for _ in range(5):
        _attempt(forged, owner.email)
    forged.set_cookie(DEVICE_COOKIE, "eyJhIjoiMSIsImQiOiJ4In0.forged.signature", path="/login")
    assert _attempt(forged, owner.email, TEST_PASSWORD) == 429


def test_successful_log_ins_use_up_no_allowance(
    worker: Callable[..., Flask], make_user: Callable[..., Any]
) -> None:
    app = worker(SURVEYAPP_LOGIN_CLIENT_LIMIT="3 per 15 minutes")
    user = make_user("planner")
    for _ in range(6):
        client = app.test_client()  # a new browser each time: no device cookie
        assert _attempt(client, user.email, TEST_PASSWORD) == 302
    assert db.session.scalar(sa.select(sa.func.sum(ThrottleCounter.hits))) == 0


def test_forged_x_forwarded_for_does_not_dodge_the_client_limit(
    worker: Callable[..., Flask], register: None
) -> None:
    app = worker(SURVEYAPP_LOGIN_CLIENT_LIMIT="3 per 15 minutes")
    client = app.test_client()
    for number in range(3):
        forwarded = f"198.51.100.{number}"
        assert _attempt(client, f"u{number}@example.no", **{"X-Forwarded-For": forwarded}) == 200
    assert _attempt(client, "u9@example.no", **{"X-Forwarded-For": "203.0.113.9"}) == 429


def test_x_forwarded_for_is_honoured_behind_a_configured_proxy(
    worker: Callable[..., Flask], register: None
) -> None:
    app = worker(SURVEYAPP_LOGIN_CLIENT_LIMIT="3 per 15 minutes", SURVEYAPP_PROXY_COUNT=1)
    client = app.test_client()
    # Different clients behind the one proxy are counted apart ...
    for number in range(6):
        forwarded = {"X-Forwarded-For": f"198.51.100.{number}"}
        assert _attempt(client, f"u{number}@example.no", **forwarded) == 200
    # ... one client is limited, and only the address the proxy added counts.
    for number in range(3):
        forwarded = {"X-Forwarded-For": f"10.9.9.{number}, 203.0.113.7"}
        assert _attempt(client, f"v{number}@example.no", **forwarded) == 200
    forwarded = {"X-Forwarded-For": "10.9.9.99, 203.0.113.7"}
    assert _attempt(client, "v9@example.no", **forwarded) == 429


def test_current_password_check_is_throttled(
    client: FlaskClient, make_user: Callable[..., Any], login: Callable[[Any], FlaskClient]
) -> None:
    login(make_user("planner"))
    new = "Nytt-passord-for-fjellet-77"
    for _ in range(5):
        wrong = client.post(
            "/account/password?lang=en", data={"current": WRONG, "new": new, "confirm": new}
        )
        assert wrong.status_code == 200
        assert b"The current password is wrong." in wrong.data
    blocked = client.post(
        "/account/password?lang=en", data={"current": TEST_PASSWORD, "new": new, "confirm": new}
    )
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("", "unknown"),
    ],
)
def test_clients_are_counted_by_address_and_ipv6_by_network(address: str, key: str) -> None:
    assert client_key(address) == key


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("RATELIMIT_STORAGE_URI", "memory://"),
        ("RATELIMIT_STORAGE_URI", "memcached://127.0.0.1:11211"),
        ("SURVEYAPP_LOGIN_LIMIT", "five a minute"),
        ("SURVEYAPP_PROXY_COUNT", -1),
    ],
)
def test_unusable_throttle_settings_stop_the_start(
    app_config: dict[str, Any], setting: str, value: Any
) -> None:
    with pytest.raises(ConfigurationError, match=setting):
        build_app({**app_config, setting: value})


# --------------------------------------------------------------------------- Redis


def test_redis_store_holds_the_limit_across_two_workers(
    worker: Callable[..., Flask], make_user: Callable[..., Any], redis_url: str
) -> None:
    first = worker(RATELIMIT_STORAGE_URI=redis_url)
    second = worker(RATELIMIT_STORAGE_URI=redis_url)
    user = make_user("planner")
    real = first.test_client()
    assert _attempt(real, user.email, TEST_PASSWORD) == 302
    real.post("/logout")
    attackers = [first.test_client(), second.test_client()]
    for attempt in range(5):
        assert _attempt(attackers[attempt % 2], user.email) == 200
    assert _attempt(attackers[0], user.email) == 429
    assert _attempt(attackers[1], user.email) == 429
    assert _attempt(real, user.email, TEST_PASSWORD) == 302  # the device cookie
    # Nothing was counted in the database.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ThrottleCounter)) == 0
