"""Error pages in the visitor's language; never a stack trace outside debug."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, render_template
from werkzeug.exceptions import HTTPException, InternalServerError

from surveyapp.extensions import db

HANDLED = (400, 403, 404, 405, 413, 429, 500)


def render_error(error: HTTPException) -> Any:
    from surveyapp.api.http import is_api_request, json_error

    if is_api_request():
        return json_error(error)  # the open-data API answers in JSON
    code = error.code or 500
    # Keep the exception's own headers, such as Retry-After on 429.
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    return render_template("errors/error.html", code=code), code, headers


def render_unexpected(error: Exception) -> Any:
    if isinstance(error, HTTPException):
        return render_error(error)
    current_app.logger.exception("Unhandled error")
    db.session.rollback()
    return render_error(InternalServerError())


def register_error_handlers(app: Flask) -> None:
    for code in (*HANDLED, 401):
        app.register_error_handler(code, render_error)
    app.register_error_handler(InternalServerError, render_error)
    if not app.debug:
        app.register_error_handler(Exception, render_unexpected)
