"""The job page in Chromium: it follows the worker without a reload, announces the
outcome in its live region, offers the file, and passes axe while waiting and when done."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from tests.browser.axe_report import AxeLog, run_axe
from tests.conftest import TEST_PASSWORD
from tests.job_helpers import start_consumer

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser.conftest import LiveRound, LiveServer

pytestmark = pytest.mark.browser


def _planner(live_server: LiveServer, email: str) -> None:
    from surveyapp.accounts.operations import create_user
    from surveyapp.extensions import db

    with live_server.app.app_context():
        create_user(None, email, "Planner", "planner", TEST_PASSWORD, ["5501"])
        db.session.commit()
        db.session.remove()


def _axe(page: Page, axe_log: AxeLog, state: str) -> None:
    result = run_axe(page)
    axe_log.add(state, "nb", result)
    assert not result.violations, f"{state}: " + result.describe()


def test_job_page_follows_the_worker_and_offers_the_file(
    page: Page,
    live_server: LiveServer,
    make_live_round: Callable[..., LiveRound],
    axe_log: AxeLog,
) -> None:
    _planner(live_server, "jobs.planner@example.no")
    survey_round = make_live_round(access="invitation")
    page.goto(live_server("/login?lang=nb"))
    page.fill("#email", "jobs.planner@example.no")
    page.fill("#password", TEST_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()

    page.goto(live_server(f"/rounds/{survey_round.id}"))
    page.fill("#count", "400")
    with page.expect_navigation():
        page.locator(f'form[action="/rounds/{survey_round.id}/invitations"] button').click()
    assert "/jobs/" in page.url
    status = page.locator("#job-status-text")
    assert status.get_attribute("role") == "status"
    assert status.inner_text() == "Venter på å starte."
    assert page.locator("#job-download").is_hidden()
    _axe(page, axe_log, "job page (waiting)")

    consumer = start_consumer(live_server.app)
    try:
        page.wait_for_function(
            "() => document.getElementById('job-status-text').textContent"
            " === 'Ferdig. Filen er klar til nedlasting.'",
            timeout=60_000,
        )
    finally:
        consumer.stop(graceful=True)
    assert "/jobs/" in page.url  # updated in place, not reloaded
    assert page.locator("#job-download").is_visible()
    assert page.locator("#job-progress-bar").get_attribute("value") == "400"
    assert page.locator(".job-refresh").is_hidden()
    _axe(page, axe_log, "job page (done)")

    with page.expect_download() as download:
        page.locator("#job-download a.button").click()
    assert download.value.suggested_filename.startswith("invitasjoner-5501-")
