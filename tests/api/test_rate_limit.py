"""Each client has its own allowance of API requests, counted in the log-in throttle's
shared store; beyond it the answer is 429 with Retry-After."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["SURVEYAPP_API_LIMIT"] = "3 per minute"
    return app_config


def test_too_many_requests_get_429_with_retry_after(api: FlaskClient) -> None:
    codes = [api.get("/api/v1/rounds").status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    refused = api.get("/api/v1/rounds")
    assert refused.status_code == 429
    assert refused.get_json()["code"] == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Another client address has its own allowance.
    other = api.get("/api/v1/rounds", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200
