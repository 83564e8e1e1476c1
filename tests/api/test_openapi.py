"""The OpenAPI document is generated from the code, valid OpenAPI 3, and covers every
endpoint of the API with its errors."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate


def test_the_document_validates_and_lists_every_api_route(app: Flask, api: FlaskClient) -> None:
    response = api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec: dict[str, Any] = response.get_json()
    validate(spec)  # raises on any violation of the OpenAPI 3 schema
    assert spec["openapi"].startswith("3.")
    documented = set(spec["paths"])
    routes = {
        _openapi_path(rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
    }
    assert routes == documented
    assert len(documented) >= 10


def _openapi_path(rule: str) -> str:
    import re

    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", rule)


def test_every_operation_documents_its_errors_and_304(api: FlaskClient) -> None:
    spec = api.get("/api/v1/openapi.json").get_json()
    for path, operations in spec["paths"].items():
        get = operations["get"]
        codes = set(get["responses"])
        assert {"200", "304", "429"} <= codes, path
        if "{" in path:
            assert "404" in codes, path
        assert get.get("summary"), path
    table = spec["paths"]["/api/v1/national/{questionnaire}"]["get"]
    assert "text/csv" in table["responses"]["200"]["content"]
    path_level = spec["paths"]["/api/v1/national/{questionnaire}"].get("parameters", [])
    names = {p["name"] for p in [*table["parameters"], *path_level]}
    assert names >= {"format", "lang", "questionnaire"}


def test_the_document_is_cached_and_conditional(api: FlaskClient) -> None:
    first = api.get("/api/v1/openapi.json")
    etag = first.headers["ETag"]
    again = api.get("/api/v1/openapi.json", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
