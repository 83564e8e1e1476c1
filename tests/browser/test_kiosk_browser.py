"""The kiosk in Chromium at tablet size: an admin registers it, a visitor answers with
large touch targets, the next visitor sees a clean start, the idle warning offers more
time; axe finds nothing on the kiosk pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.axe_report import AxeLog, run_axe
from tests.conftest import TEST_PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

    from tests.browser.conftest import LiveRound, LiveServer

pytestmark = pytest.mark.browser

TABLET = {"width": 820, "height": 1180}
CHOICES = {
    "service_area": "technical",
    "channel": "email",
    "courtesy": "4",
    "reach_right_person": "5",
    "wait_satisfaction": "3",
    "got_answer": "yes",
    "understandable": "dont_know",
    "overall": "5",
}


def _axe(page: Page, axe_log: AxeLog, state: str, language: str = "nb") -> None:
    result = run_axe(page)
    axe_log.add(state, language, result)
    assert not result.violations, f"{state}: " + result.describe()


def _register_kiosk(page: Page, live_server: LiveServer, round_id: int, axe_log: AxeLog) -> str:
    from surveyapp.accounts.operations import create_user
    from surveyapp.extensions import db

    with live_server.app.app_context():
        create_user(None, "kiosk.admin@example.no", "Admin", "admin", TEST_PASSWORD, [])
        db.session.commit()
        db.session.remove()
    page.goto(live_server("/login?lang=nb"))
    page.fill("#email", "kiosk.admin@example.no")
    page.fill("#password", TEST_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.goto(live_server(f"/rounds/{round_id}/kiosks"))
    page.fill("#name", "Nettbrett 1")
    page.fill("#place", "Servicetorget, Storgata 40")
    with page.expect_navigation():
        page.get_by_role("button", name="Registrer enheten").click()
    _axe(page, axe_log, "kiosk devices (link shown)")
    link = page.locator(".warning-panel .link-text a").inner_text()
    assert "/k/" in link
    return link.split("/k/", 1)[1]


def test_visitor_after_visitor_on_a_tablet(
    new_context: Callable[..., BrowserContext],
    page: Page,
    live_server: LiveServer,
    make_live_round: Callable[..., LiveRound],
    live_db: Callable[[], Any],
    axe_log: AxeLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    survey_round = make_live_round(kiosk_records_place=True)
    secret = _register_kiosk(page, live_server, survey_round.id, axe_log)

    tablet = new_context(viewport=TABLET, has_touch=True).new_page()
    tablet.goto(live_server(f"/k/{secret}"))
    _axe(tablet, axe_log, "kiosk start")
    # Large touch targets: every answer is at least 48 px high.
    box = tablet.locator('input[name="overall"] + label').first.bounding_box()
    assert box is not None and box["height"] >= 48
    # Questions that depend on another answer on the page show as it is given (survey.js).
    told_when = tablet.locator("#q-told_when")
    assert told_when.is_hidden()  # nothing answered to "got an answer?" yet
    tablet.locator('input[name="got_answer"][value="no"] + label').click()
    assert told_when.is_visible()
    assert tablet.locator("#told_when-condition").is_hidden()  # the no-script note
    for name, value in CHOICES.items():
        tablet.locator(f'input[name="{name}"][value="{value}"] + label').click()
    assert told_when.is_hidden() and tablet.locator("#q-wait_time").is_hidden()
    tablet.fill("#suggestion", "Flere benker i venterommet")
    with tablet.expect_navigation():
        tablet.get_by_role("button", name="Send", exact=True).click()
    assert tablet.url.endswith("/thanks")
    _axe(tablet, axe_log, "kiosk thanks")
    with tablet.expect_navigation():
        tablet.get_by_role("link", name="Start på nytt for neste besøkende").click()
    # The next visitor: nothing chosen, nothing typed, no way back to the answers.
    assert tablet.locator("input:checked").count() == 0
    assert tablet.input_value("#suggestion") == ""
    tablet.go_back()
    assert tablet.locator("input:checked").count() == 0
    with live_db():
        from surveyapp.extensions import db
        from surveyapp.models import Response

        stored = db.session.scalars(
            db.select(Response).where(Response.round_id == survey_round.id)
        ).all()
        assert [(r.channel, r.place) for r in stored] == [("kiosk", "Servicetorget, Storgata 40")]


def test_the_idle_warning_offers_more_time(
    new_context: Callable[..., BrowserContext],
    page: Page,
    live_server: LiveServer,
    make_live_round: Callable[..., LiveRound],
    axe_log: AxeLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from surveyapp.channels import kiosk

    survey_round = make_live_round()
    from surveyapp.accounts.operations import create_user  # noqa: F401
    from surveyapp.channels.kiosk import register_device
    from surveyapp.extensions import db
    from surveyapp.models import SurveyRound
    from surveyapp.questionnaires.store import definition_of

    with live_server.app.app_context():
        found = db.session.get(SurveyRound, survey_round.id)
        assert found is not None
        _device, secret = register_device(
            None, found, definition_of(found.questionnaire), "Brett", "Biblioteket", "5501"
        )
        db.session.commit()
        db.session.remove()
    # A short limit for the test: the warning shows 5 s after the start.
    monkeypatch.setattr(kiosk, "MAX_AGE_SECONDS", 50)
    monkeypatch.setattr(kiosk, "WARN_BEFORE_SECONDS", 40)
    tablet = new_context(viewport=TABLET, has_touch=True).new_page()
    tablet.goto(live_server(f"/k/{secret}"))
    tablet.locator('input[name="overall"][value="5"] + label').click()
    warning = tablet.locator("#kiosk-warning")
    warning.wait_for(state="visible", timeout=20_000)
    _axe(tablet, axe_log, "kiosk idle warning")
    before = tablet.locator('input[name="state"]').input_value()
    tablet.get_by_role("button", name="Jeg trenger mer tid").click()
    warning.wait_for(state="hidden", timeout=10_000)
    assert tablet.locator('input[name="state"]').input_value() != before
    assert tablet.locator('input[name="overall"][value="5"]').is_checked()  # kept
