"""Error pages in the visitor's language; never a stack trace outside debug."""

from __future__ import annotations

from flask import Flask, current_app, render_template
from werkzeug.exceptions import HTTPException, InternalServerError

from surveyapp.extensions import db

HANDLED = (400, 403, 404, 405, 413, 429, 500)


def render_error(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    return render_template("errors/error.html", code=code), code


def render_unexpected(error: Exception) -> tuple[str, int]:
    if isinstance(error, HTTPException):
        return render_error(error)
    current_app.logger.exception("Unhandled error")
    db.session.rollback()
    return render_template("errors/error.html", code=500), 500


def register_error_handlers(app: Flask) -> None:
    for code in HANDLED:
        app.register_error_handler(code, render_error)
    app.register_error_handler(InternalServerError, render_error)
    if not app.debug:
        app.register_error_handler(Exception, render_unexpected)
