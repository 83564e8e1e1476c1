"""The API's HTTP rules: who asks (token), how often (rate limit), caching, CORS, errors.

* A token travels as ``Authorization: Bearer sapi_…``; a header with an unknown,
  expired or revoked token is answered 401, never silently treated as public.
* Every request counts against a per-client limit (``SURVEYAPP_API_LIMIT``) in the
  log-in throttle's shared store (the database or Redis, ``RATELIMIT_STORAGE_URI``), so
  the limit holds across workers and hosts: per token, else per client address
  (IPv6 per /64). Over the limit: 429 with ``Retry-After``.
* Every request made with a token is logged (``api_token_use``), whatever its answer.
* Responses carry a strong ETag computed from the data's version (never from the body,
  so a conditional request answers 304 without building the table), ``Cache-Control``
  (public with ``max-age`` for the public, private for a token) and CORS headers that
  let any web page read them (GET only, no cookies).
* Errors are JSON: ``{"code": 404, "status": "Not Found", "message": "…"}``.
"""

from __future__ import annotations

import math
import time
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


def rate(config: Any) -> RateLimitItem:
    text = str(config["SURVEYAPP_API_LIMIT"])
    try:
        return parse(text)
    except ValueError:
        raise ConfigurationError(
            f"SURVEYAPP_API_LIMIT must be a rate such as '120 per minute', got {text!r}."
        ) from None


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
    limit = current_app.extensions["surveyapp.api_rate"]
    with write_transaction():
        token = tokens.find_token(raw) if raw else None
        if token is not None:
            g.api_client = Client(token)
            identifiers = ("api-token", str(token.id))
        else:
            identifiers = ("api-client", client_key(request.remote_addr))
        limiter = throttle().limiter
        allowed = limiter.hit(limit, *identifiers)
        db.session.commit()
    if raw is not None and token is None:
        error = Unauthorized(_("The API token is unknown, expired or revoked."))
        raise error
    if not allowed:
        reset = limiter.get_window_stats(limit, *identifiers).reset_time
        db.session.commit()
        error = TooManyRequests(
            _("Too many requests. Wait %(n)s seconds and try again.", n=_wait(reset))
        )
        error.retry_after = _wait(reset)  # type: ignore[attr-defined]
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
