"""Tokens (scoped to their owner, hashed, revocable, expiring, every use logged) and the
HTTP rules of the API: ETag and 304, caching, CORS, rate limit, JSON errors."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.api import tokens
from surveyapp.api.models import ApiToken, ApiTokenUse
from surveyapp.audit.models import AuditEntry
from surveyapp.extensions import db
from surveyapp.timeutil import utcnow
from tests.api.conftest import bearer
from tests.results.conftest import satisfied

RESULTS = "/api/v1/results/citizen-satisfaction"
NATIONAL = "/api/v1/national/citizen-satisfaction"


def test_a_planners_token_sees_their_own_unpublished_round_and_nothing_else(
    api: FlaskClient, add_round: Callable[..., Any], make_token: Callable[..., str]
) -> None:
    own = add_round("5501", 2026, satisfied(40, 50))
    other = add_round("1804", 2026, satisfied(30, 50))
    secret = make_token("planner", ["5501"])
    listed = api.get("/api/v1/rounds", headers=bearer(secret)).get_json()
    assert [r["id"] for r in listed] == [own.id]
    assert api.get(f"/api/v1/rounds/{own.id}", headers=bearer(secret)).status_code == 200
    refused = api.get(f"/api/v1/rounds/{other.id}", headers=bearer(secret))
    assert refused.status_code == 403 and refused.get_json()["code"] == 403
    assert api.get(f"/api/v1/rounds/{other.id}").status_code == 404  # without a token
    report = api.get(f"{RESULTS}/2026/5501", headers=bearer(secret))
    assert report.status_code == 200
    assert report.get_json()["headline"]["k"] == 40
    assert report.headers["Cache-Control"] == "private, no-cache"
    assert api.get(f"{RESULTS}/2026/1804", headers=bearer(secret)).status_code == 404
    national = api.get(NATIONAL, headers=bearer(secret)).get_json()
    assert national["dimension"]["municipality"]["category"]["index"] == ["5501"]


def test_an_admins_token_sees_every_round(
    api: FlaskClient, add_round: Callable[..., Any], make_token: Callable[..., str]
) -> None:
    add_round("5501", 2026, satisfied(40, 50))
    add_round("1804", 2026, satisfied(30, 50))
    secret = make_token("admin")
    assert len(api.get("/api/v1/rounds", headers=bearer(secret)).get_json()) == 2
    national = api.get(NATIONAL, headers=bearer(secret)).get_json()
    assert national["dimension"]["municipality"]["category"]["index"] == ["1804", "5501"]


def test_tokens_are_stored_hashed_and_bad_ones_are_refused_with_401(
    api: FlaskClient, make_user: Callable[..., Any]
) -> None:
    owner = make_user("planner", ["5501"])
    token, secret = tokens.create_token(owner, "web", 30, 365)
    db.session.commit()
    assert secret.startswith("sapi_") and len(secret) > 40
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(db.session.execute(sa.select(ApiToken.__table__)).all())
    for header in (bearer("sapi_wrong"), {"Authorization": "Basic abc"}, bearer(secret + "x")):
        refused = api.get("/api/v1/rounds", headers=header)
        assert refused.status_code == 401
        assert refused.get_json()["message"]
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.get("/api/v1/rounds", headers=bearer(secret)).status_code == 200
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert api.get("/api/v1/rounds", headers=bearer(secret)).status_code == 401


def test_revoking_a_token_stops_it_and_both_are_audited(
    api: FlaskClient, make_user: Callable[..., Any]
) -> None:
    owner = make_user("planner", ["5501"])
    token, secret = tokens.create_token(owner, "web", 30, 365)
    db.session.commit()
    assert api.get("/api/v1/rounds", headers=bearer(secret)).status_code == 200
    tokens.revoke_token(owner.id, token)
    db.session.commit()
    assert api.get("/api/v1/rounds", headers=bearer(secret)).status_code == 401
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.entity_type == "api_token")
    ).all()
    assert sorted(actions) == ["create", "revoke"]


def test_every_use_of_a_token_is_logged(api: FlaskClient, make_user: Callable[..., Any]) -> None:
    owner = make_user("admin")
    token, secret = tokens.create_token(owner, "research", 30, 365)
    db.session.commit()
    api.get("/api/v1/rounds", headers=bearer(secret))
    api.get("/api/v1/rounds/999999", headers=bearer(secret))
    uses = db.session.scalars(sa.select(ApiTokenUse).order_by(ApiTokenUse.id)).all()
    assert [(u.path, u.status) for u in uses] == [
        ("/api/v1/rounds", 200),
        ("/api/v1/rounds/999999", 404),
    ]
    assert db.session.get(ApiToken, token.id).last_used_at is not None  # type: ignore[union-attr]


def test_conditional_requests_answer_304_until_the_data_changes(
    api: FlaskClient, add_round: Callable[..., Any], publish: Callable[..., Any]
) -> None:
    publish(add_round("5501", 2025, satisfied(40, 50)))
    first = api.get(NATIONAL)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    again = api.get(NATIONAL, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    csv_etag = api.get(f"{NATIONAL}?format=csv").headers["ETag"]
    assert csv_etag != etag  # another body, another tag
    assert api.get(f"{NATIONAL}?lang=en", headers={"If-None-Match": etag}).status_code == 200
    publish(add_round("5501", 2026, satisfied(30, 50)))
    changed = api.get(NATIONAL, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    report = api.get(f"{RESULTS}/2026/5501")
    assert (
        api.get(
            f"{RESULTS}/2026/5501", headers={"If-None-Match": report.headers["ETag"]}
        ).status_code
        == 304
    )


def test_cors_lets_any_page_read_the_api(api: FlaskClient) -> None:
    response = api.get("/api/v1/rounds", headers={"Origin": "https://avis.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    assert "Set-Cookie" not in response.headers
    preflight = api.open(
        "/api/v1/rounds",
        method="OPTIONS",
        headers={
            "Origin": "https://avis.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Authorization",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in preflight.headers


def test_language_query_sets_no_cookie(api: FlaskClient) -> None:
    response = api.get("/api/v1/rounds?lang=en")
    assert "Set-Cookie" not in response.headers


def test_errors_are_json_with_the_right_status(api: FlaskClient) -> None:
    cases = {
        "/api/v1/nothing-here": 404,
        "/api/v1/rounds/abc": 404,
        "/api/v1/national/citizen-satisfaction?format=xml": 400,
        "/api/v1/rounds?lang=xx": 400,
    }
    for url, code in cases.items():
        response = api.get(url)
        assert response.status_code == code, url
        body = response.get_json()
        assert body["code"] == code and body["message"], url
    posted = api.post("/api/v1/rounds")
    assert posted.status_code == 405 and posted.get_json()["code"] == 405
    english = api.get("/api/v1/nothing-here?lang=en").get_json()
    assert english["message"] == "There is nothing here, or it is not published."
