"""E-mail invitations in Chromium: a planner uploads a list, sends, reminds and sees who
got what; the page passes axe in every language."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from surveyapp.extensions import mail
from tests.browser.axe_report import AxeLog, run_axe
from tests.channels.conftest import Handler, free_port
from tests.conftest import TEST_PASSWORD
from tests.job_helpers import start_consumer

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser.conftest import LiveRound, LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture
def live_smtp(live_server: LiveServer) -> Iterator[Handler]:
    """A real SMTP server for the live app, which is pointed at it for this test."""
    from aiosmtpd.controller import Controller

    handler = Handler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app = live_server.app
    saved = {k: app.config[k] for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_DEFAULT_SENDER")}
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_DEFAULT_SENDER="test@kommune.no"
    )
    mail.init_app(app)
    try:
        yield handler
    finally:
        app.config.update(saved)
        mail.init_app(app)
        controller.stop()


def test_a_planner_sends_invitations_and_a_reminder_from_the_browser(
    page: Page,
    live_server: LiveServer,
    make_live_round: Callable[..., LiveRound],
    axe_log: AxeLog,
    live_smtp: Handler,
    tmp_path: object,
) -> None:
    from surveyapp.accounts.operations import create_user
    from surveyapp.extensions import db

    with live_server.app.app_context():
        create_user(None, "mail.planner@example.no", "Planner", "planner", TEST_PASSWORD, ["5501"])
        db.session.commit()
        db.session.remove()
    survey_round = make_live_round(access="invitation")
    page.goto(live_server("/login?lang=nb"))
    page.fill("#email", "mail.planner@example.no")
    page.fill("#password", TEST_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()

    page.goto(live_server(f"/rounds/{survey_round.id}"))
    with page.expect_navigation():
        page.get_by_role("link", name="Invitasjoner og påminnelser på e-post").click()
    page.set_input_files(
        "#file",
        files=[
            {
                "name": "adresser.csv",
                "mimeType": "text/csv",
                "buffer": b"kari@example.no\nola@example.no\nikke-en-adresse\n",
            }
        ],
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Legg til adressene").click()
    assert "Linje 3: «ikke-en-adresse» er ikke en e-postadresse." in page.content()
    result = run_axe(page)
    axe_log.add("e-mail page (bad list)", "nb", result)
    assert not result.violations, result.describe()
    page.set_input_files(
        "#file",
        files=[
            {
                "name": "a.csv",
                "mimeType": "text/csv",
                "buffer": b"kari@example.no\nola@example.no\n",
            }
        ],
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Legg til adressene").click()
    consumer = start_consumer(live_server.app)
    try:
        with page.expect_navigation():
            page.get_by_role("button", name="Send invitasjonen (adresser: 2)").click()
        page.wait_for_function(
            "() => document.getElementById('job-status-text').textContent.startsWith('Ferdig')",
            timeout=60_000,
        )
        assert sorted(m.to for m in live_smtp.messages) == ["kari@example.no", "ola@example.no"]
        page.goto(live_server(f"/rounds/{survey_round.id}/email"))
        with page.expect_navigation():
            page.get_by_role("button", name="Send en påminnelse (adresser: 2)").click()
        page.wait_for_function(
            "() => document.getElementById('job-status-text').textContent.startsWith('Ferdig')",
            timeout=60_000,
        )
    finally:
        consumer.stop(graceful=True)
    assert len(live_smtp.messages) == 4
    for language in ("nb", "nn", "en"):
        page.goto(live_server(f"/rounds/{survey_round.id}/email?lang={language}"))
        rows = page.locator("table tbody tr")
        assert rows.count() == 2
        result = run_axe(page)
        axe_log.add("e-mail page (sent)", language, result)
        assert not result.violations, f"{language}: " + result.describe()
    assert "kari@example.no" in page.content()
