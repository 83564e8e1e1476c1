"""A test caller's day in Chromium: the list → the call sheet → record → the list again,
with axe-core on every state; the timer fills the waiting time and warns at the limit;
dates are typed dd.mm.åååå tt:mm whatever the browser's locale (en-US here)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

import pytest

from surveyapp.norwegian_time import date_text
from tests.browser.axe_report import AxeLog, run_axe
from tests.conftest import TEST_PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

    from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class CallerDay:
    email: str
    phone_id: int
    mail_id: int
    workday: str  # dd.mm.åååå of the last working day before today


@pytest.fixture
def caller_day(live_server: LiveServer) -> Iterator[CallerDay]:
    """A round around today with two callers; one phone call and one e-mail due today."""
    import sqlalchemy as sa

    from surveyapp.accounts.operations import create_user
    from surveyapp.extensions import db
    from surveyapp.municipalities.contacts import MunicipalityContact
    from surveyapp.questionnaires.store import latest_version
    from surveyapp.servicetest import operations
    from surveyapp.servicetest.models import TestAssignment
    from surveyapp.servicetest.workdays import NORWAY, previous_working_day

    with live_server.app.app_context():
        stamp = datetime.now().strftime("%H%M%S%f")
        callers = [
            create_user(
                None, f"ringer{n}.{stamp}@example.no", f"Ringer {n}", "caller", TEST_PASSWORD, []
            )
            for n in (1, 2)
        ]
        protocol = latest_version("servicetest-protocol")
        assert protocol is not None
        today = datetime.now(NORWAY).date()
        test_round = operations.plan(
            None,
            title=f"Nettlesertest {stamp}",
            protocol=protocol,
            year=today.year,
            starts_on=today - timedelta(days=14),
            ends_on=today + timedelta(days=28),
            municipalities=["1103"],
            callers=[c.id for c in callers],
            seed=3,
            selection={"mode": "list"},
        )
        if db.session.get(MunicipalityContact, ("1103", "")) is None:
            db.session.add(
                MunicipalityContact(
                    municipality_code="1103",
                    phone="+4700110300",
                    email="postmottak@stavanger.kommune.example",
                    website="https://stavanger.kommune.example/",
                    is_fictitious=True,
                )
            )
        mine = list(
            db.session.scalars(
                sa.select(TestAssignment)
                .where(
                    TestAssignment.test_round_id == test_round.id,
                    TestAssignment.caller_id == callers[0].id,
                )
                .order_by(TestAssignment.id)
            )
        )
        phone = next(a for a in mine if a.channel == "phone")
        mail = next(a for a in mine if a.channel == "email")
        later = datetime.combine(today + timedelta(days=5), time(9, 30), NORWAY)
        for assignment in mine:
            assignment.due_at = later
        phone.due_at = datetime.combine(today, time(10, 0), NORWAY)
        mail.due_at = datetime.combine(today, time(9, 30), NORWAY)
        db.session.commit()
        yield CallerDay(
            callers[0].email,
            phone.id,
            mail.id,
            date_text(previous_working_day(today - timedelta(days=1))),
        )
        db.session.remove()


def _axe(page: Page, axe_log: AxeLog, state: str, language: str = "nb") -> None:
    assert page.evaluate("() => document.documentElement.lang") == language
    result = run_axe(page)
    axe_log.add(state, language, result)
    assert not result.violations, f"{state} ({language}): " + result.describe()


def _log_in(page: Page, live_server: LiveServer, email: str) -> None:
    page.goto(live_server("/login?lang=nb"))
    page.fill("#email", email)
    page.fill("#password", TEST_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def _save(page: Page) -> None:
    with page.expect_navigation():
        page.locator("#record-form button[type=submit]").click()


@pytest.fixture
def us_page(new_context: object) -> Iterator[Page]:
    """A browser that says it is American: en-US, 12-hour clocks in its own inputs."""
    context: BrowserContext = new_context(locale="en-US", timezone_id="America/New_York")  # type: ignore[operator]
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    assert not problems, problems


def test_a_callers_day(
    us_page: Page, live_server: LiveServer, caller_day: CallerDay, axe_log: AxeLog
) -> None:
    page = us_page
    _log_in(page, live_server, caller_day.email)
    page.goto(live_server("/calls"))
    assert page.locator('nav.section-nav a[aria-current="page"]').inner_text().startswith("I dag")
    today_rows = page.locator("table.assignment-table tbody tr")
    assert today_rows.count() == 2
    _axe(page, axe_log, "caller's list (today)")

    # The phone call: the sheet has the contact details as links, and the timer.
    with page.expect_navigation():
        page.locator(f'a[href="/calls/{caller_day.phone_id}"]').click()
    assert page.locator('a.contact-phone[href="tel:+4700110300"]').inner_text() == (
        "+47 00 11 03 00"
    )
    _axe(page, axe_log, "call sheet (phone)")
    page.clock.install()
    page.reload()
    timer = page.locator("#attempt-1 [data-timer]")
    timer.locator(".timer-button").click()
    page.clock.run_for(245_000)  # 4 min 5 s on hold: over the protocol's limit
    warning = timer.locator(".timer-warning")
    assert warning.is_visible() and "mer enn 4 minutter" in warning.inner_text()
    timer.locator(".timer-button").click()
    assert page.input_value("#attempt1_wait_min") == "4"
    assert page.input_value("#attempt1_wait_sec") == "5"
    page.fill("#attempt1_wait_min", "")
    page.fill("#attempt1_wait_sec", "")

    # Typed the Norwegian way in an American browser; nobody answers: a call-back.
    attempt = page.locator("#attempt1_at")
    assert attempt.get_attribute("type") == "text"
    assert attempt.get_attribute("placeholder") == "dd.mm.åååå tt:mm"
    attempt.fill(f"{caller_day.workday} 10:00")
    page.check('input[name="attempt1_reached"][value="no"]')
    page.fill("#note", "Sentralbordet svarte ikke; ringer tilbake.")
    _save(page)
    flash = page.locator(".flash-info").inner_text()
    assert f"Ingen svarte: ring tilbake {caller_day.workday} 12:00." in flash
    assert "Tilbakeringing" in page.locator("#follow-up").inner_text()
    _axe(page, axe_log, "call sheet after saving (call-back)")

    # Back to the list: the call waits under "Ring tilbake", due now.
    with page.expect_navigation():
        page.locator("nav.sheet-links a", has_text="Tilbake").first.click()
    callback_tab = page.locator("nav.section-nav a", has_text="Ring tilbake")
    assert "(1)" in callback_tab.inner_text()
    with page.expect_navigation():
        callback_tab.click()
    assert page.locator("tr.due-now").count() == 1
    _axe(page, axe_log, "caller's list (call back)")

    # The call-back reaches someone: done, with the conversation rated.
    with page.expect_navigation():
        page.locator(f'a[href="/calls/{caller_day.phone_id}"]').click()
    page.fill("#attempt2_at", f"{caller_day.workday} 12:05")
    page.check('input[name="attempt2_reached"][value="yes"]')
    page.fill("#attempt2_wait_min", "1")
    page.fill("#attempt2_wait_sec", "10")
    page.check('input[name="answered_first_contact"][value="yes"]')
    page.check('input[name="referred"][value="not_needed"]')
    page.check('input[name="courtesy"][value="3"]')
    _save(page)
    assert page.locator("#points").is_visible()
    _axe(page, axe_log, "call sheet after saving (done)")

    # The e-mail: sent, no reply yet: awaiting reply on the list.
    with page.expect_navigation():
        page.locator("#next-contact").click()
    assert page.url.endswith(f"/calls/{caller_day.mail_id}")
    page.fill("#sent_at", f"{caller_day.workday} kl. 9.15")
    page.check("#no_reply")
    page.fill("#email_sent", "Hei! Hva koster det å søke om byggetillatelse for en garasje?")
    _save(page)
    page.goto(live_server("/calls?section=awaiting"))
    assert page.locator(f'a[href="/calls/{caller_day.mail_id}#replied_at"]').count() == 1
    _axe(page, axe_log, "caller's list (awaiting reply)")
    page.goto(live_server("/calls?section=done"))
    assert page.locator(f'a[href="/calls/{caller_day.phone_id}"]').count() == 1
    page.goto(live_server("/calls"))
    assert page.locator("table.assignment-table tbody tr").count() == 0
    assert "(0)" in page.locator("nav.section-nav a", has_text="I dag").inner_text()


@pytest.mark.parametrize("language", ["nn", "en"])
def test_the_callers_pages_pass_axe_in_nynorsk_and_english(
    page: Page,
    live_server: LiveServer,
    caller_day: CallerDay,
    axe_log: AxeLog,
    language: str,
) -> None:
    _log_in(page, live_server, caller_day.email)
    page.goto(live_server(f"/calls?lang={language}"))
    _axe(page, axe_log, "caller's list (today)", language)
    page.goto(live_server(f"/calls/{caller_day.mail_id}"))
    _axe(page, axe_log, "call sheet (e-mail)", language)
