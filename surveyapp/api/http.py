"""The API's HTTP rules: who asks (token), how often (rate limit), caching, CORS, errors.

* A token travels as ``Authorization: Bearer sapi_…``; a header with an unknown,
  expired or revoked token is answered 401, never silently treated as public.
* Every request counts against a per-client limit (``SURVEYAPP_API_LIMIT``) in the
  log-in throttle's shared store (the database or Redis, ``RATELIMIT_STORAGE_URI``), so
  the limit holds across workers and hosts: per token, else per client address
  (IPv6 per /64). Over the limit: 429 with ``Retry-After``. A worker adds its
  requests to the store at most once a second while a client is far from its limit,
  and at every request near it (``Allowance``), so a cached answer costs no write.
* Every request made with a token is logged (``api_token_use``), whatever its answer.
* Responses carry a strong ETag computed from the data's version (never from the body,
  so a conditional request answers 304 without building the table), ``Cache-Control``
  (public with ``max-age`` for the public, private for a token) and CORS headers that
  let any web page read them (GET only, no cookies).
* Errors are JSON: ``{"code": 404, "status": "Not Found", "message": "…"}``.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, g, jsonify, request
from flask_babel import gettext as _
from limits import RateLimitItem, parse
from werkzeug.exceptions import HTTPException, TooManyRequests, Unauthorized

from surveyapp.accounts.throttle import client_key, throttle
from surveyapp.api import tokens
from surveyapp.api.data import Client
from surveyapp.config import ConfigurationError
from surveyapp.database import write_transaction
from surveyapp.extensions import db

PREFIX = "/api/"
ALLOWED_METHODS = "GET, HEAD, OPTIONS"
ALLOWED_HEADERS = "Authorization, If-None-Match"
EXPOSED_HEADERS = "ETag, Retry-After, Content-Disposition"
PREFLIGHT_MAX_AGE = "86400"


def is_api_request() -> bool:
    return request.path.startswith(PREFIX)


def rate(config: Any) -> Allowance:
    text = str(config["SURVEYAPP_API_LIMIT"])
    try:
        return Allowance(parse(text))
    except ValueError:
        raise ConfigurationError(
            f"SURVEYAPP_API_LIMIT must be a rate such as '120 per minute', got {text!r}."
        ) from None


@dataclass
class _Entry:
    pending: int  # requests let through and not yet added to the shared store
    known: int  # the shared count when this process last wrote
    reset: float  # when the window ends
    written: float  # when this process last wrote


class Allowance:
    """A rate per client, counted in the shared store, written in batches.

    While a client is far from the limit, this process lets requests through and adds
    them to the store once a second (one write for many); when the count it knows plus
    its own unwritten requests reaches the limit, every request writes and reads the
    shared count, so the limit itself holds across workers and hosts. Other workers'
    unwritten requests (at most a second's worth each) are the only slack.
    """

    WRITE_SECONDS = 1.0

    def __init__(self, rate: RateLimitItem) -> None:
        self.rate = rate
        self._entries: dict[tuple[str, ...], _Entry] = {}
        self._lock = threading.Lock()

    def hit(self, identifiers: tuple[str, ...]) -> float | None:
        """Count one request; None when it may go ahead, else the window's end."""
        now = time.time()
        with self._lock:
            entry = self._entries.get(identifiers)
            if (
                entry is not None
                and now < entry.reset
                and now - entry.written < self.WRITE_SECONDS
                and entry.known + entry.pending + 1 < self.rate.amount
            ):
                entry.pending += 1
                return None
            cost = 1 + (entry.pending if entry is not None and now < entry.reset else 0)
            if entry is not None:
                entry.pending = 0
        limiter = throttle().limiter
        with write_transaction():
            allowed = limiter.hit(self.rate, *identifiers, cost=cost)
            stats = limiter.get_window_stats(self.rate, *identifiers)
            db.session.commit()
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()  # forget idle clients now and then
            self._entries[identifiers] = _Entry(
                0, self.rate.amount - stats.remaining, stats.reset_time, now
            )
        return None if allowed else stats.reset_time


def client() -> Client:
    found: Client = g.get("api_client") or Client()
    return found


def _bearer() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return ""
    return value.strip()


def before_api_request() -> None:
    """Authenticate and count the request, in one short write transaction."""
    if request.method == "OPTIONS":
        return
    raw = _bearer()
    allowance: Allowance = current_app.extensions["surveyapp.api_rate"]
    token = tokens.find_token(raw) if raw else None
    db.session.commit()  # end the read (SQLite: before the counter's write transaction)
    if token is not None:
        g.api_client = Client(token)
        identifiers = ("api-token", str(token.id))
    else:
        identifiers = ("api-client", client_key(request.remote_addr))
    refused_until = allowance.hit(identifiers)
    if raw is not None and token is None:
        raise Unauthorized(_("The API token is unknown, expired or revoked."))
    if refused_until is not None:
        wait = _wait(refused_until)
        error = TooManyRequests(_("Too many requests. Wait %(n)s seconds and try again.", n=wait))
        error.retry_after = wait
        raise error


def _wait(reset_time: float) -> int:
    return max(1, math.ceil(reset_time - time.time()))


def after_api_request(response: Response) -> Response:
    """CORS and Vary on every answer; the token's use logged."""
    headers = response.headers
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if request.method == "OPTIONS":
        headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    headers.add("Vary", "Authorization")
    token = client().token
    if token is not None:
        token_id = token.id
        db.session.rollback()  # end the read transaction before writing
        with write_transaction():
            tokens.log_use(
                token_id, request.method, request.full_path.rstrip("?"), response.status_code
            )
            db.session.commit()
    return response


def not_modified(etag: str) -> Response | None:
    """304 when the client holds this version already (checked before any table is built)."""
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
        cache_headers(response, etag)
        return response
    return None


def cache_headers(response: Response, etag: str) -> Response:
    response.set_etag(etag)
    if client().token is None:
        max_age = int(current_app.config["SURVEYAPP_API_MAX_AGE"])
        response.headers["Cache-Control"] = f"public, max-age={max_age}"
    else:
        response.headers["Cache-Control"] = "private, no-cache"
    return response


def json_error(error: HTTPException) -> tuple[Response, int]:
    """An error as JSON with the right status and its headers (Retry-After on 429)."""
    code = error.code or 500
    # A message given where the error was raised; werkzeug's English default is not one.
    description = error.description if error.description != type(error).description else None
    messages = {
        400: _("The request is not valid."),
        401: _("An API token is needed."),
        403: _("Your API token does not give access to this."),
        404: _("There is nothing here, or it is not published."),
        405: _("The API only answers GET requests."),
        429: _("Too many requests. Try again later."),
        500: _("Something went wrong on the server."),
    }
    payload: dict[str, Any] = {
        "code": code,
        "status": error.name,
        "message": description
        if isinstance(description, str) and code != 500
        else messages.get(code, error.name),
    }
    details = getattr(error, "data", None)
    if isinstance(details, dict) and details.get("messages"):
        payload["errors"] = details["messages"]
    response = jsonify(payload)
    for key, value in error.get_headers():
        if key.lower() != "content-type":
            response.headers[key] = value
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    if code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="surveyapp", error="invalid_token"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "no-store"
    return response, code
