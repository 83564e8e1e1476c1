"""Staff pages: publishing a round (audited, reversible), API tokens (shown once, revocable),
a service-test round's ranking as open data, and the human-readable API page."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from jsonstat_validator import validate_jsonstat

from surveyapp.api.models import ApiToken, Publication
from surveyapp.audit.models import AuditEntry
from surveyapp.extensions import db
from surveyapp.models import TestRound
from surveyapp.questionnaires.store import latest_version
from surveyapp.servicetest import controls, operations
from tests.api.conftest import bearer
from tests.results.conftest import satisfied
from tests.servicetest_records import record_everything


def _audit(entity: str) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.action)
            .where(
                AuditEntry.entity_type == entity, AuditEntry.action.in_(["publish", "unpublish"])
            )
            .order_by(AuditEntry.id)
        )
    )


def test_the_owner_publishes_and_unpublishes_a_closed_round(
    client: FlaskClient,
    add_round: Callable[..., Any],
    make_user: Callable[..., Any],
    login: Callable[..., FlaskClient],
) -> None:
    survey_round = add_round("5501", 2026, satisfied(40, 50))
    login(make_user("planner", ["5501"]))
    page = client.get(f"/rounds/{survey_round.id}?lang=en").get_data(as_text=True)
    assert "Publish the results as open data" in page
    assert client.get(f"/api/v1/rounds/{survey_round.id}").status_code == 404
    assert client.post(f"/rounds/{survey_round.id}/publish").status_code == 302
    assert client.get(f"/api/v1/rounds/{survey_round.id}").status_code == 200
    page = client.get(f"/rounds/{survey_round.id}?lang=en").get_data(as_text=True)
    assert "Stop publishing the results" in page
    counts = db.session.scalars(sa.select(Publication)).one().counts
    assert [(c.municipality_code, c.k, c.n) for c in counts] == [("5501", 40, 50)]
    assert client.post(f"/rounds/{survey_round.id}/unpublish").status_code == 302
    assert client.get(f"/api/v1/rounds/{survey_round.id}").status_code == 404
    assert _audit("survey_round") == ["publish", "unpublish"]


def test_an_open_round_cannot_be_published(
    client: FlaskClient,
    add_round: Callable[..., Any],
    make_user: Callable[..., Any],
    login: Callable[..., FlaskClient],
) -> None:
    survey_round = add_round("5501", 2026, satisfied(40, 50))
    survey_round.status = "open"
    db.session.commit()
    login(make_user("planner", ["5501"]))
    page = client.get(f"/rounds/{survey_round.id}?lang=en").get_data(as_text=True)
    assert "when it is closed" in page and "Publish the results as open data" not in page
    response = client.post(f"/rounds/{survey_round.id}/publish?lang=en", follow_redirects=True)
    assert "Only a closed round can be published" in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(Publication)).all() == []


def test_only_someone_who_may_change_the_round_publishes_it(
    client: FlaskClient,
    add_round: Callable[..., Any],
    make_user: Callable[..., Any],
    login: Callable[..., FlaskClient],
) -> None:
    survey_round = add_round("5501", 2026, satisfied(40, 50))
    login(make_user("planner", ["1804"]))
    assert client.post(f"/rounds/{survey_round.id}/publish").status_code == 403
    assert db.session.scalars(sa.select(Publication)).all() == []


def test_a_token_is_shown_once_and_can_be_revoked(
    client: FlaskClient, make_user: Callable[..., Any], login: Callable[..., FlaskClient]
) -> None:
    planner = make_user("planner", ["5501"])
    login(planner)
    created = client.post("/api-tokens?lang=en", data={"name": "Kommunens nettsted", "days": "30"})
    page = created.get_data(as_text=True)
    assert created.status_code == 200 and "shown only once" in page
    secret = re.search(r'value="(sapi_[^"]+)"', page)
    assert secret is not None
    assert client.get("/api/v1/rounds", headers=bearer(secret.group(1))).status_code == 200
    listing = client.get("/api-tokens?lang=en").get_data(as_text=True)
    assert "Kommunens nettsted" in listing and secret.group(1) not in listing
    token = db.session.scalars(sa.select(ApiToken)).one()
    detail = client.get(f"/api-tokens/{token.id}?lang=en").get_data(as_text=True)
    assert "/api/v1/rounds" in detail
    assert client.post(f"/api-tokens/{token.id}/revoke").status_code == 302
    assert client.get("/api/v1/rounds", headers=bearer(secret.group(1))).status_code == 401


def test_a_token_longer_than_allowed_is_refused(
    client: FlaskClient, make_user: Callable[..., Any], login: Callable[..., FlaskClient]
) -> None:
    login(make_user("planner", ["5501"]))
    response = client.post("/api-tokens?lang=en", data={"name": "x", "days": "9999"})
    assert "sapi_" not in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(ApiToken)).all() == []


def test_planners_do_not_see_or_revoke_other_planners_tokens(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[..., FlaskClient],
    make_token: Callable[..., str],
) -> None:
    make_token("planner", ["1804"])
    token = db.session.scalars(sa.select(ApiToken)).one()
    login(make_user("planner", ["5501"]))
    assert "test" not in client.get("/api-tokens").get_data(as_text=True).split("<h2")[-1]
    assert client.get(f"/api-tokens/{token.id}").status_code == 404
    assert client.post(f"/api-tokens/{token.id}/revoke").status_code == 404
    assert db.session.get(ApiToken, token.id).revoked_at is None  # type: ignore[union-attr]


def test_callers_cannot_make_tokens(
    client: FlaskClient, make_user: Callable[..., Any], login: Callable[..., FlaskClient]
) -> None:
    login(make_user("caller"))
    assert client.get("/api-tokens").status_code == 403


@pytest.fixture
def locked_round(questionnaires: None, make_user: Callable[..., Any]) -> TestRound:
    protocol = latest_version("servicetest-protocol")
    assert protocol is not None
    test_round = operations.plan(
        None,
        title="Servicetest 2026",
        protocol=protocol,
        year=2026,
        starts_on=date(2026, 9, 7),
        ends_on=date(2026, 9, 25),
        municipalities=["5501", "1804", "0301"],
        callers=[make_user("caller").id, make_user("caller").id],  # web items: two testers
        seed=7,
        selection={"mode": "list"},
    )
    db.session.commit()
    record_everything(test_round, {"5501": 1.0, "1804": 0.5, "0301": 0.0})
    controls.lock(None, test_round)
    db.session.commit()
    return test_round


def test_a_published_service_test_ranking_is_open_data(
    client: FlaskClient,
    locked_round: TestRound,
    make_user: Callable[..., Any],
    login: Callable[..., FlaskClient],
    make_token: Callable[..., str],
) -> None:
    url = f"/api/v1/servicetest/{locked_round.id}/ranking"
    assert client.get(url).status_code == 404
    planner_secret = make_token("planner", ["1804"])
    own_rows = client.get(url, headers=bearer(planner_secret)).get_json()
    assert own_rows["dimension"]["municipality"]["category"]["index"] == ["1804"]
    login(make_user("admin"))
    page = client.get(f"/servicetest/{locked_round.id}?lang=en").get_data(as_text=True)
    assert "Publish the results as open data" in page
    assert client.post(f"/servicetest/{locked_round.id}/publish").status_code == 302
    client.post("/logout")
    dataset = client.get(url).get_json()
    validate_jsonstat(dataset)
    assert dataset["dimension"]["municipality"]["category"]["index"] == ["5501", "1804", "0301"]
    measures = dataset["dimension"]["measure"]["category"]["index"]
    assert measures[:6] == ["score", "rank", "band", "quartile", "passed", "pending"]
    assert dataset["value"][measures.index("rank")] == 1
    assert dataset["value"][measures.index("pending")] == 0
    assert dataset["value"][measures.index("passed")] in ("passed", "not passed")
    listed = client.get("/api/v1/servicetest").get_json()
    assert [r["id"] for r in listed] == [locked_round.id] and listed[0]["published"]
    text = client.get(f"{url}?format=csv").get_data(as_text=True)
    assert text.splitlines()[1].startswith("5501,Tromsø,2026,2026,")
    assert _audit("test_round") == ["publish"]


def test_a_running_service_test_round_cannot_be_published(
    client: FlaskClient,
    questionnaires: None,
    make_user: Callable[..., Any],
    login: Callable[..., FlaskClient],
) -> None:
    protocol = latest_version("servicetest-protocol")
    assert protocol is not None
    test_round = operations.plan(
        None,
        title="Servicetest",
        protocol=protocol,
        year=2026,
        starts_on=date(2026, 9, 7),
        ends_on=date(2026, 9, 25),
        municipalities=["5501"],
        callers=[make_user("caller").id, make_user("caller").id],  # web items: two testers
        seed=1,
        selection={"mode": "list"},
    )
    db.session.commit()
    login(make_user("admin"))
    response = client.post(f"/servicetest/{test_round.id}/publish?lang=en", follow_redirects=True)
    assert "Only a locked service-test round" in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(Publication)).all() == []


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_the_api_page_is_in_every_language(client: FlaskClient, language: str) -> None:
    page = client.get(f"/api/v1/?lang={language}")
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert f'lang="{language}"' in text
    heading = {"nb": "API for åpne data", "nn": "API for opne data", "en": "Open data API"}
    assert heading[language] in text
    assert "/api/v1/openapi.json" in text
