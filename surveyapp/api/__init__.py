"""The open-data API: published results as JSON, JSON-stat 2.0 and CSV, and a DCAT-AP-NO
catalogue (issue 22). ``init_api`` wires it into the app; ``views`` holds the API,
``pages`` the human-readable page and the OpenAPI document, ``admin`` the token pages."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_smorest import Api

from surveyapp.api.schemas import ErrorSchema

API_VERSION = "1.0"


class OpenDataApi(Api):
    """flask-smorest's Api without its app-wide error handler: the app keeps its HTML
    error pages, and /api/ paths get JSON errors from ``http.json_error`` (documented
    with our own error schema)."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        return None


def init_api(app: Flask) -> None:
    from surveyapp.api import admin, http, pages, publishing, views

    app.config.setdefault("API_TITLE", "surveyapp open data")
    app.config.setdefault("API_VERSION", API_VERSION)
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("API_SPEC_OPTIONS", spec_options())
    # Mapper configuration is start-up work: without this the first request of every
    # worker would pay for it (about 0.1 s).
    sa.orm.configure_mappers()
    api = OpenDataApi()
    api.init_app(app)
    api.register_blueprint(views.bp)
    app.extensions["surveyapp.api"] = api
    app.extensions["surveyapp.api_rate"] = http.rate(app.config)
    for blueprint in (views.bp, pages.bp):
        blueprint_name = blueprint.name
        app.before_request_funcs.setdefault(blueprint_name, []).append(http.before_api_request)
        app.after_request_funcs.setdefault(blueprint_name, []).append(http.after_api_request)
    app.register_blueprint(pages.bp)
    app.register_blueprint(admin.bp)
    # The round pages show whether a round is published (templates/api/_publish.html).
    app.add_template_global(publishing.publication_of, "publication_of")
    app.add_template_global(publishing.test_publication_of, "test_publication_of")


def spec_options() -> dict[str, Any]:
    return {
        "info": {
            "description": (
                "Read-only API for the published results of citizen satisfaction surveys "
                "and service tests. Public without a token (published rounds only); "
                "with `Authorization: Bearer <token>` also what the token's owner may "
                "see. Figures resting on fewer than the minimum number of answers are "
                "hidden, with a status saying why. Every answer has a strong ETag: send "
                "it back in If-None-Match to get 304 when nothing changed."
            ),
        },
        "components": {
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer", "description": "An API token"}
            }
        },
        "security": [{}, {"token": []}],
    }
