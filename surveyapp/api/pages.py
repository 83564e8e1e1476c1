"""The API's human-readable page and its OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template

from surveyapp.accounts.access import PUBLIC, access
from surveyapp.api import data
from surveyapp.api.http import cache_headers, not_modified

bp = Blueprint("api_pages", __name__, url_prefix="/api/v1")


@bp.get("/")
@access(PUBLIC)
def index() -> str:
    return render_template(
        "api/index.html",
        base=str(current_app.config["SURVEYAPP_BASE_URL"]).rstrip("/"),
        limit=current_app.extensions["surveyapp.api_rate"].rate,
        max_age=current_app.config["SURVEYAPP_API_MAX_AGE"],
        min_n=current_app.config["SURVEYAPP_MIN_GROUP_SIZE"],
    )


@bp.get("/openapi.json")
@access(PUBLIC)
def openapi() -> Response:
    """The OpenAPI 3 document, generated from the views and schemas (flask-smorest)."""
    spec = current_app.extensions["surveyapp.api"].spec.to_dict()
    etag = data.digest("openapi", spec)
    return not_modified(etag) or cache_headers(
        current_app.response_class(
            current_app.json.dumps(spec) + "\n", mimetype="application/json"
        ),
        etag,
    )
