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


def test_far_from_the_limit_a_worker_writes_its_count_in_batches(
    api: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy as sa

    from surveyapp.accounts.models import ThrottleCounter
    from surveyapp.api.http import Allowance
    from surveyapp.extensions import db

    monkeypatch.setattr(Allowance, "WRITE_SECONDS", 3600.0)

    def counted() -> int:
        db.session.rollback()
        return int(db.session.scalar(sa.select(sa.func.sum(ThrottleCounter.hits))) or 0)

    assert api.get("/api/v1/rounds").status_code == 200
    assert counted() == 1  # the first request of a client is written at once
    assert api.get("/api/v1/rounds").status_code == 200
    assert counted() == 1  # far from the limit (3): kept in this worker for now
    assert api.get("/api/v1/rounds").status_code == 200
    assert counted() == 3  # at the limit every request is written, with those kept back
    assert api.get("/api/v1/rounds").status_code == 429
