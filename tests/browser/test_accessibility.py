"""Every public page state in each language: axe-core (WCAG 2.0/2.1 A and AA), the Nu
HTML checker, and reflow (no horizontal scrolling at 320 px or at 1280 px zoomed to 200 %)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from tests.browser.nu_checker import NuChecker
from tests.browser.page_checks import CheckLog, DocumentTracker, check_state

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

    from tests.browser.conftest import LiveRound, LiveServer

pytestmark = pytest.mark.browser

LANGUAGES = ("nb", "nn", "en")
NEXT_BUTTON = '#survey-form button[name="action"][value="next"]'
PAGE_ANSWERS = [
    {"service_area": "technical", "channel": "phone"},
    {
        "courtesy": "4",
        "reach_right_person": "dont_know",
        "wait_satisfaction": "2",
        "got_answer": "no",
        "understandable": "3",
    },
    {"overall": "4"},
]
SURVEY_STATES = ("first page", "error summary", "page 2", "last page", "thank-you page")
OTHER_STATES = (
    "privacy statement",
    "municipality choice",
    "closed survey",
    "unknown survey (404)",
    "invitation used",
    "staff log-in",
    "front page",
    "open data API",
)


def _submit(page: Page) -> None:
    with page.expect_navigation():
        page.locator(NEXT_BUTTON).click()
    assert page.locator("#error-summary").count() == 0, page.locator("main").inner_text()


def _answer(page: Page, answers: dict[str, str]) -> None:
    for name, value in answers.items():
        page.check(f'input[name="{name}"][value="{value}"]')


def _survey_state(
    page: Page, live_server: LiveServer, survey_round: LiveRound, state: str, language: str
) -> None:
    page.goto(live_server(f"/s/{survey_round.slug}?lang={language}"))
    assert page.url.endswith("/1")
    if state == "first page":
        return
    if state == "error summary":
        with page.expect_navigation():
            page.locator(NEXT_BUTTON).click()
        assert page.locator("#error-summary").is_visible()
        return
    _answer(page, PAGE_ANSWERS[0])
    _submit(page)
    if state == "page 2":
        assert page.locator("#q-wait_time").is_visible()  # phone: the wait question too
        page.fill("#wait_time__min", "3")
        page.check('input[name="got_answer"][value="no"]')  # shows told_when
        assert page.locator("#q-told_when").is_visible()
        return
    _answer(page, PAGE_ANSWERS[1])
    _submit(page)
    if state == "last page":
        return
    _answer(page, PAGE_ANSWERS[2])
    _submit(page)
    assert page.url.endswith("/thanks")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("state", SURVEY_STATES)
def test_survey_page_states(
    page: Page,
    live_server: LiveServer,
    make_live_round: Callable[..., LiveRound],
    check_log: CheckLog,
    nu_checker: NuChecker,
    document: DocumentTracker,
    state: str,
    language: str,
) -> None:
    survey_round = make_live_round()
    _survey_state(page, live_server, survey_round, state, language)
    check_state(page, check_log, nu_checker, state, language, document.html())


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("state", OTHER_STATES)
def test_other_public_page_states(
    page: Page,
    live_server: LiveServer,
    make_live_round: Callable[..., LiveRound],
    make_live_invitation: Callable[..., str],
    check_log: CheckLog,
    nu_checker: NuChecker,
    document: DocumentTracker,
    state: str,
    language: str,
) -> None:
    query = f"?lang={language}"
    if state == "privacy statement":
        survey_round = make_live_round(
            contact="Servicetorget, telefon 77 79 00 00",
            privacy_url="https://www.tromso.kommune.no/personvern",
        )
        response = page.goto(live_server(f"/s/{survey_round.slug}/privacy{query}"))
        assert response is not None and response.status == 200
    elif state == "municipality choice":
        survey_round = make_live_round(municipalities=["5501", "1804"])
        page.goto(live_server(f"/s/{survey_round.slug}{query}"))
        assert page.url.endswith("/where")
    elif state == "closed survey":
        survey_round = make_live_round(status="closed")
        response = page.goto(live_server(f"/s/{survey_round.slug}{query}"))
        assert response is not None and response.status == 200
    elif state == "unknown survey (404)":
        response = page.goto(live_server(f"/s/no-such-survey{query}"))
        assert response is not None and response.status == 404
    elif state == "invitation used":
        survey_round = make_live_round(access="invitation")
        token = make_live_invitation(survey_round, used=True)
        response = page.goto(live_server(f"/i/{token}{query}"))
        assert response is not None and response.status == 200
    elif state == "staff log-in":
        response = page.goto(live_server(f"/login{query}"))
        assert response is not None and response.status == 200
    elif state == "open data API":
        response = page.goto(live_server(f"/api/v1/{query}"))
        assert response is not None and response.status == 200
    else:
        response = page.goto(live_server(f"/{query}"))
        assert response is not None and response.status == 200
    check_state(page, check_log, nu_checker, state, language, document.html())


# --- reflow (WCAG 1.4.10) ---------------------------------------------------------------

VIEWPORTS = {
    "320px": {"width": 320, "height": 640},
    # 1280 x 800 CSS px at 200 % zoom lays out like a 640 x 400 viewport.
    "1280px-zoom200": {"width": 640, "height": 400},
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_first_page_reflows_without_horizontal_scrolling(
    new_context: Callable[..., BrowserContext],
    live_server: LiveServer,
    make_live_round: Callable[..., LiveRound],
    viewport: str,
    language: str,
) -> None:
    survey_round = make_live_round()
    page = new_context(viewport=VIEWPORTS[viewport]).new_page()
    page.goto(live_server(f"/s/{survey_round.slug}?lang={language}"))
    sizes = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert sizes["inner"] == VIEWPORTS[viewport]["width"]
    assert sizes["scroll"] <= sizes["inner"], f"horizontal scrolling: {sizes}"
    button = page.locator(NEXT_BUTTON)
    button.scroll_into_view_if_needed()
    assert button.is_visible()
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= sizes["inner"], box
