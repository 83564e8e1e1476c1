"""Request bodies without a Content-Length (``Transfer-Encoding: chunked``) get the same
limit as the others: 413 when larger than ``MAX_CONTENT_LENGTH``.

Werkzeug enforces the limit on such a stream only when something reads *past* it; the
form parser reads up to the limit and stops, so a 3 MB chunked form arrived cut at
2 MB (and then failed as a form with a missing CSRF token, or worse, was stored short).
This middleware reads such a body up to one byte past the limit before the app sees
it and hands the app a body with a Content-Length, so Werkzeug refuses an oversized
one with 413 exactly as it refuses an oversized one that declared its length.

The rest of an oversized body is read and dropped (up to ``DRAIN_FACTOR`` times the
limit): under gunicorn, answering while the client is still sending chunks made the
client fail with "broken pipe" instead of reading the 413 more often than not.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Flask, current_app
from flask import Request as FlaskRequest

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_READ_SIZE = 64 * 1024
#: How much of an oversized chunked body is read and dropped, in multiples of the limit.
DRAIN_FACTOR = 8


def _drain(stream: Any, limit: int) -> None:
    remaining = limit
    while remaining > 0:
        part = stream.read(min(_READ_SIZE, remaining))
        if not part:
            return
        remaining -= len(part)


def _read_at_most(stream: Any, limit: int) -> bytes:
    parts: list[bytes] = []
    remaining = limit
    while remaining > 0:
        part = stream.read(min(_READ_SIZE, remaining))
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


class ChunkedBodyLimit:
    """WSGI middleware around ``app.wsgi_app``; reads the limit from the app's config."""

    def __init__(self, wsgi_app: WSGIApp, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        limit = self.app.config.get("MAX_CONTENT_LENGTH")
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if limit is not None and chunked:  # a Content-Length beside "chunked" counts for nothing
            stream = environ["wsgi.input"]
            body = _read_at_most(stream, int(limit) + 1)
            if len(body) > limit:
                _drain(stream, DRAIN_FACTOR * int(limit))
            environ["wsgi.input"] = io.BytesIO(body)
            # One byte over the limit is enough for Werkzeug to answer 413.
            environ["CONTENT_LENGTH"] = str(len(body))
            del environ["HTTP_TRANSFER_ENCODING"]
        return self.wsgi_app(environ, start_response)


F = TypeVar("F", bound=Callable[..., Any])


def accepts_bodies_up_to(size: int) -> Callable[[F], F]:
    """Let one view take request bodies up to ``size`` bytes instead of
    ``MAX_CONTENT_LENGTH`` (attachments). Werkzeug still enforces it while the body is
    read, for every part of the request, CSRF check included. Bodies sent chunked keep the
    general limit (browsers send file uploads with a Content-Length)."""

    def decorate(view: F) -> F:
        view.max_body = size  # type: ignore[attr-defined]
        return view

    return decorate


class AppRequest(FlaskRequest):
    """The request class: the body limit of the view the request goes to, if it has one."""

    @property  # type: ignore[misc]
    def max_content_length(self) -> int | None:  # type: ignore[override]
        if self.url_rule is not None and self.endpoint is not None:
            view = current_app.view_functions.get(self.endpoint)
            larger = getattr(view, "max_body", None)
            if larger is not None:
                return int(larger)
        return super().max_content_length


def limit_chunked_bodies(app: Flask) -> None:
    app.wsgi_app = ChunkedBodyLimit(app.wsgi_app, app)  # type: ignore[method-assign]
    app.request_class = AppRequest
