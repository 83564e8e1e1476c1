"""Keying paper forms in Chromium with the keyboard alone; the paper pages pass axe."""

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

PAGES = [
    {"service_area": "technical", "channel": "email"},
    {
        "courtesy": "4",
        "reach_right_person": "5",
        "wait_satisfaction": "3",
        "got_answer": "yes",
        "understandable": "dont_know",
    },
    {"overall": "5"},
]


def _log_in(page: Page, live_server: LiveServer, email: str) -> None:
    from surveyapp.accounts.operations import create_user
    from surveyapp.extensions import db

    with live_server.app.app_context():
        create_user(None, email, "Keyer", "planner", TEST_PASSWORD, ["5501"])
        db.session.commit()
        db.session.remove()
    page.goto(live_server("/login?lang=nb"))
    page.fill("#email", email)
    page.fill("#password", TEST_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def _key(page: Page, live_server: LiveServer, round_id: int, number: str, overall: str) -> None:
    """Start and key one form using only the keyboard (focus, Space, typing, Enter)."""
    page.goto(live_server(f"/rounds/{round_id}/paper"))
    page.focus("#form_number")
    page.keyboard.type(number)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    for answers in [*PAGES[:-1], {"overall": overall}]:
        for name, value in answers.items():
            page.focus(f'input[name="{name}"][value="{value}"]')
            page.keyboard.press("Space")
        page.focus('button[name="action"][value="next"].button')
        with page.expect_navigation():
            page.keyboard.press("Enter")


def test_two_people_key_a_form_and_a_third_settles_it_by_keyboard(
    new_context: Callable[..., BrowserContext],
    page: Page,
    live_server: LiveServer,
    make_live_round: Callable[..., LiveRound],
    live_db: Callable[[], Any],
    axe_log: AxeLog,
) -> None:
    survey_round = make_live_round(paper_double_keying=True)
    _log_in(page, live_server, "keyer.one@example.no")
    page.goto(live_server(f"/rounds/{survey_round.id}/paper"))
    result = run_axe(page)
    axe_log.add("paper forms page", "nb", result)
    assert not result.violations, result.describe()
    _key(page, live_server, survey_round.id, "P-1", "5")
    assert "Skjema P-1 er registrert én gang." in page.content()

    second = new_context().new_page()
    _log_in(second, live_server, "keyer.two@example.no")
    _key(second, live_server, survey_round.id, "P-1", "4")
    assert "de to registreringene er ulike" in second.content()

    third = new_context().new_page()
    _log_in(third, live_server, "keyer.three@example.no")
    third.goto(live_server(f"/rounds/{survey_round.id}/paper/settle/P-1"))
    result = run_axe(third)
    axe_log.add("settle a paper form", "nb", result)
    assert not result.violations, result.describe()
    third.focus("#choice-overall-1")
    third.keyboard.press("Space")
    third.focus("main form button[type=submit]")
    with third.expect_navigation():
        third.keyboard.press("Enter")
    assert "Skjema P-1 er avgjort og lagret." in third.content()
    with live_db():
        from surveyapp.extensions import db
        from surveyapp.models import Response

        stored = db.session.scalars(
            db.select(Response).where(Response.round_id == survey_round.id)
        ).all()
        assert [r.channel for r in stored] == ["paper"]
