"""Front page, language switch and health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from surveyapp.accounts.access import PUBLIC, access
from surveyapp.extensions import db
from surveyapp.web.i18n import LANGUAGES, safe_next

bp = Blueprint("web", __name__)


@bp.get("/")
@access(PUBLIC)
def index() -> str | WerkzeugResponse:
    if current_user.is_authenticated:
        return redirect(url_for("web.home"))
    return render_template("web/index.html")


@bp.get("/home")
@access("staff")
def home() -> str:
    return render_template("web/home.html")


@bp.get("/language/<code>")
@access(PUBLIC)
def set_language(code: str) -> WerkzeugResponse:
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next"), url_for("web.index")))


@bp.get("/healthz")
@access(PUBLIC)
def health() -> tuple[dict[str, str], int]:
    db.session.execute(sa.select(1))
    return {"status": "ok"}, 200
