"""Slowing down password guessing across every worker, without locking anyone out.

The design is OWASP's "Slow down online guessing attacks with device cookies":

* Failed attempts are counted in a store that every gunicorn worker and every host
  share: the app's database by default (table ``throttle_counter``, one atomic
  upsert per count on SQLite and PostgreSQL), Redis when ``RATELIMIT_STORAGE_URI`` is
  ``redis://…``. Counting uses the ``limits`` library's fixed-window strategy.
* An *untrusted* attempt (no device cookie for the account) counts against the
  account (``SURVEYAPP_LOGIN_LIMIT``, 5 per 15 minutes) and against the client
  address (``SURVEYAPP_LOGIN_CLIENT_LIMIT``, 20 per 15 minutes). When either is
  used up, untrusted attempts get 429 (with ``Retry-After``) until the window ends,
  without the password being checked.
* A browser that has logged in to the account before carries a *device cookie* for
  it (signed, HttpOnly, 180 days). Its attempts count against that cookie alone, so
  an attacker who uses up the account's or the address's allowance does not lock
  out the real user. A device cookie that fails too often itself counts as
  untrusted until its window ends.
* Each attempt reserves its place before the password is checked and gives it back
  when the password was right: parallel guesses cannot overshoot a limit, and
  successful log-ins never use up anyone's allowance.

Slowing down is by these windows only; the server never sleeps, which would tie up
worker threads for an attacker. The client address is ``request.remote_addr``:
behind proxies set ``SURVEYAPP_PROXY_COUNT`` (``X-Forwarded-For`` is ignored
otherwise). An IPv6 client counts by its /64 network.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy.dialects import postgresql, sqlite
from werkzeug.wrappers import Response as WerkzeugResponse

from surveyapp.accounts.models import ThrottleCounter
from surveyapp.config import ConfigurationError
from surveyapp.extensions import db

EXTENSION = "surveyapp.throttle"
DATABASE_STORE = "database"
REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://", "redis+sentinel://", "redis+cluster://")

DEVICE_COOKIE = "surveyapp_device"
DEVICE_COOKIE_DAYS = 180
DEVICE_COOKIE_PATH = "/login"


# --------------------------------------------------------------------------- the database store


class DatabaseStorage(Storage):
    """Counters in the app's database, written in the request's transaction.

    The request commits (the log-in view commits right after reserving, so every
    worker sees the count before the password is checked). Expired rows are deleted
    at most once a minute per process.
    """

    STORAGE_SCHEME = None  # built from the setting "database", not from a URI
    CLEANUP_SECONDS = 60.0

    def __init__(self) -> None:
        super().__init__()
        self._cleaned_at = 0.0
        self._cleanup_lock = threading.Lock()

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sa.exc.SQLAlchemyError

    def _insert(self) -> Any:
        dialect = db.session.get_bind().dialect.name
        return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
            ThrottleCounter.__table__
        )

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add ``amount`` in one atomic upsert; a window that has ended starts again."""
        now = time.time()
        self._clean_up(now)
        table = ThrottleCounter.__table__
        ended = table.c.expires_at <= now
        statement = (
            self._insert()
            .values(key=key, hits=amount, expires_at=now + expiry)
            .on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "hits": sa.case((ended, amount), else_=table.c.hits + amount),
                    "expires_at": sa.case((ended, now + expiry), else_=table.c.expires_at),
                },
            )
            .returning(table.c.hits)
        )
        return int(db.session.execute(statement).scalar_one())

    def get(self, key: str) -> int:
        hits = db.session.scalar(
            sa.select(ThrottleCounter.hits).where(
                ThrottleCounter.key == key, ThrottleCounter.expires_at > time.time()
            )
        )
        return int(hits or 0)

    def get_expiry(self, key: str) -> float:
        now = time.time()
        expires_at = db.session.scalar(
            sa.select(ThrottleCounter.expires_at).where(
                ThrottleCounter.key == key, ThrottleCounter.expires_at > now
            )
        )
        return float(expires_at if expires_at is not None else now)

    def check(self) -> bool:
        db.session.execute(sa.select(1))
        return True

    def reset(self) -> int | None:
        return int(db.session.execute(sa.delete(ThrottleCounter)).rowcount)  # type: ignore[attr-defined]

    def clear(self, key: str) -> None:
        db.session.execute(sa.delete(ThrottleCounter).where(ThrottleCounter.key == key))

    def _clean_up(self, now: float) -> None:
        with self._cleanup_lock:
            if now - self._cleaned_at < self.CLEANUP_SECONDS:
                return
            self._cleaned_at = now
        db.session.execute(sa.delete(ThrottleCounter).where(ThrottleCounter.expires_at <= now))


# --------------------------------------------------------------------------- counting


@dataclass(frozen=True)
class Charge:
    """One counter an attempt counts against: a rate and what it is counted for."""

    rate: RateLimitItem
    identifiers: tuple[str, ...]


class Throttle:
    """Counts attempts against charges in a shared store (see the module docstring)."""

    def __init__(
        self,
        storage: Storage,
        account_rate: RateLimitItem,
        client_rate: RateLimitItem,
        secret_key: str,
    ) -> None:
        self.storage = storage
        self.limiter = FixedWindowRateLimiter(storage)
        self.account_rate = account_rate
        self.client_rate = client_rate
        self._secret = secret_key.encode()

    def digest(self, text: str) -> str:
        """A keyed hash, so that neither e-mail addresses nor their plain hashes are stored."""
        return hmac.new(self._secret, text.encode(), hashlib.sha256).hexdigest()[:32]

    # ---- which counters an attempt uses

    def login_charges(self, email: str, client: str, device: str | None) -> list[Charge]:
        """The device cookie's own counter when it is trusted; else account and client."""
        if device is not None:
            own = Charge(self.account_rate, ("login-device", self.digest(device)))
            if self.limiter.test(own.rate, *own.identifiers):
                return [own]
        return [
            Charge(self.account_rate, ("login-account", self.digest(account_name(email)))),
            Charge(self.client_rate, ("login-client", client_key(client))),
        ]

    def password_check_charges(self, user_id: int) -> list[Charge]:
        """The current-password check of the password page, per account."""
        return [Charge(self.account_rate, ("password-check", str(user_id)))]

    # ---- counting

    def reserve(self, charges: Sequence[Charge]) -> int | None:
        """Count one attempt; None when it may go ahead, else the seconds to wait."""
        for charge in charges:
            if not self.limiter.test(charge.rate, *charge.identifiers):
                return self._wait(charge)
        refused = [c for c in charges if not self.limiter.hit(c.rate, *c.identifiers)]
        return self._wait(refused[0]) if refused else None

    def refund(self, charges: Sequence[Charge]) -> None:
        """Give back the attempt of a correct password."""
        for charge in charges:
            if self.storage.get(charge.rate.key_for(*charge.identifiers)) > 0:
                self.limiter.hit(charge.rate, *charge.identifiers, cost=-1)

    def _wait(self, charge: Charge) -> int:
        reset_at = self.limiter.get_window_stats(charge.rate, *charge.identifiers).reset_time
        return max(1, math.ceil(reset_at - time.time()))

    # ---- device cookies

    def _device_serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self._secret, salt="surveyapp-device-cookie")

    def device_of(self, cookie: str | None, email: str) -> str | None:
        """The id of a valid device cookie issued for this account, else None."""
        if not cookie:
            return None
        try:
            data = self._device_serializer().loads(cookie, max_age=DEVICE_COOKIE_DAYS * 24 * 3600)
        except BadSignature:
            return None
        if not isinstance(data, dict) or data.get("a") != self.digest(account_name(email)):
            return None
        device = data.get("d")
        return device if isinstance(device, str) else None

    def set_device_cookie(self, response: WerkzeugResponse, email: str, secure: bool) -> None:
        """Mark this browser as one the account has logged in from."""
        value = self._device_serializer().dumps(
            {"a": self.digest(account_name(email)), "d": secrets.token_urlsafe(16)}
        )
        response.set_cookie(
            DEVICE_COOKIE,
            value,
            max_age=DEVICE_COOKIE_DAYS * 24 * 3600,
            path=DEVICE_COOKIE_PATH,
            secure=secure,
            httponly=True,
            samesite="Lax",
        )


def account_name(email: str) -> str:
    return email.strip().lower()[:254]


def client_key(address: str | None) -> str:
    """The client address to count by: IPv4 as is, IPv6 by its /64 network."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


# --------------------------------------------------------------------------- wiring


def _rate(name: str, text: str) -> RateLimitItem:
    try:
        return parse(text)
    except ValueError:
        raise ConfigurationError(
            f"{name} must be a rate such as '5 per 15 minutes', got {text!r}."
        ) from None


def _storage(uri: str) -> Storage:
    if uri == DATABASE_STORE:
        return DatabaseStorage()
    if uri.startswith(REDIS_SCHEMES):
        storage = storage_from_string(uri, key_prefix="surveyapp")
        assert isinstance(storage, Storage)  # the synchronous kind, for a redis:// URI
        return storage
    raise ConfigurationError(
        f"RATELIMIT_STORAGE_URI must be 'database' or a redis://… address, got {uri!r} "
        "(memory:// counted per worker process and is no longer accepted)."
    )


def init_throttle(app: Flask) -> None:
    """Build the store and rates from the settings (a bad setting stops the start)."""
    config = app.config
    app.extensions[EXTENSION] = Throttle(
        _storage(str(config["RATELIMIT_STORAGE_URI"])),
        _rate("SURVEYAPP_LOGIN_LIMIT", str(config["SURVEYAPP_LOGIN_LIMIT"])),
        _rate("SURVEYAPP_LOGIN_CLIENT_LIMIT", str(config["SURVEYAPP_LOGIN_CLIENT_LIMIT"])),
        str(config["SECRET_KEY"] or ""),
    )


def throttle() -> Throttle:
    found: Throttle = current_app.extensions[EXTENSION]
    return found
