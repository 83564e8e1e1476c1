"""A citizen answers the shipped survey in a real browser: by keyboard only, after an
error, without JavaScript; focus is visible and the same-page condition works."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Answer, Response

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

    from tests.browser.conftest import LiveRound, LiveServer

pytestmark = pytest.mark.browser

LANGUAGES = ("nb", "nn", "en")
# The round's own language differs from the one the citizen picks with the switch.
ROUND_LANGUAGE = {"nb": "en", "nn": "nb", "en": "nn"}
SUGGESTION = {"nb": "Lengre åpningstid", "nn": "Lengre opningstid", "en": "Longer opening hours"}
THANKS = {
    "nb": "Takk – svarene dine er sendt",
    "nn": "Takk – svara dine er sende",
    "en": "Thank you – your answers are sent",
}
ERROR_WORD = {"nb": "Feil", "nn": "Feil", "en": "Error"}
PAGE_HEADINGS = {
    "nb": ["Om kontakten med kommunen", "Slik opplevde du det", "Alt i alt"],
    "nn": ["Om kontakten med kommunen", "Slik opplevde du det", "Alt i alt"],
    "en": ["About your contact with the municipality", "How it went", "All in all"],
}
# Radio answers per page, in the order the questions appear (same values as the
# client-level flow test); page 3 also gets a typed suggestion.
RADIO_ANSWERS = [
    [("service_area", "technical"), ("channel", "email")],
    [
        ("courtesy", "4"),
        ("reach_right_person", "5"),
        ("wait_satisfaction", "3"),
        ("got_answer", "yes"),
        ("understandable", "dont_know"),
    ],
    [("overall", "5")],
]
EXPECTED_ROWS = {
    "service_area": [("technical", None, None)],
    "channel": [("email", None, None)],
    "courtesy": [("4", 4.0, None)],
    "reach_right_person": [("5", 5.0, None)],
    "wait_satisfaction": [("3", 3.0, None)],
    "got_answer": [("yes", 1.0, None)],
    "understandable": [("dont_know", None, None)],
    "overall": [("5", 5.0, None)],
}
NEXT_BUTTON = '#survey-form button[name="action"][value="next"]'


# --- keyboard helpers: every interaction is a key press --------------------------------


def _focus_description(page: Page) -> str:
    return str(
        page.evaluate("""() => {
        const e = document.activeElement;
        if (!e) return "nothing";
        return e.outerHTML.slice(0, 160);
    }""")
    )


def _is_focused(page: Page, selector: str) -> bool:
    return bool(
        page.evaluate(
            "(s) => !!document.activeElement && document.activeElement.matches(s)", selector
        )
    )


def tab_to(page: Page, selector: str, *, backwards: bool = False, limit: int = 80) -> None:
    """Press Tab (or Shift+Tab) until the focused element matches ``selector``."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if _is_focused(page, selector):
            return
    raise AssertionError(
        f"{key} x{limit} never reached {selector}; focus is on {_focus_description(page)}"
    )


def checked_value(page: Page, name: str) -> str | None:
    value = page.evaluate(
        "(n) => { const e = document.querySelector(`input[name='${n}']:checked`);"
        " return e ? e.value : null; }",
        name,
    )
    return None if value is None else str(value)


def choose_radio(page: Page, name: str, value: str) -> None:
    """Tab into a radio group, then Arrow keys (and Space) until ``value`` is chosen."""
    tab_to(page, f'input[type="radio"][name="{name}"]')
    for _ in range(15):
        current, is_checked = page.evaluate(
            "() => [document.activeElement.value, document.activeElement.checked]"
        )
        if current == value:
            if not is_checked:
                page.keyboard.press("Space")
            break
        page.keyboard.press("ArrowDown")
    assert checked_value(page, name) == value, (name, value, _focus_description(page))


def press_and_wait(page: Page, key: str = "Enter") -> None:
    """Press a key that submits a form or follows a link, and wait for the new page."""
    with page.expect_navigation():
        page.keyboard.press(key)


def click_and_wait(page: Page, selector: str) -> None:
    """Click (no keyboard-only rule in this test) and wait for the page it leads to."""
    with page.expect_navigation():
        page.locator(selector).click()


def html_lang(page: Page) -> str:
    return str(page.evaluate("() => document.documentElement.lang"))


def h1_text(page: Page) -> str:
    return page.locator("h1").first.inner_text().strip()


def stored_answers(response_id: int) -> dict[str, list[tuple[Any, ...]]]:
    rows = db.session.scalars(sa.select(Answer).where(Answer.response_id == response_id))
    result: dict[str, list[tuple[Any, ...]]] = {}
    for a in rows:
        result.setdefault(a.question_code, []).append((a.option, a.value_num, a.value_text))
    return result


def one_response(
    live_db: Callable[[], Any], survey_round: LiveRound
) -> tuple[Response, dict[str, list[tuple[Any, ...]]]]:
    with live_db():
        responses = list(
            db.session.scalars(sa.select(Response).where(Response.round_id == survey_round.id))
        )
        assert len(responses) == 1, f"expected one stored response, found {len(responses)}"
        response = responses[0]
        db.session.expunge(response)
        return response, stored_answers(response.id)


# --- 1. keyboard only, in each language ------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_keyboard_only_citizen_completes_the_survey(
    page: Page,
    live_server: LiveServer,
    live_db: Callable[[], Any],
    make_live_round: Callable[..., LiveRound],
    language: str,
) -> None:
    survey_round = make_live_round(language=ROUND_LANGUAGE[language])
    page.goto(live_server(f"/s/{survey_round.slug}"))  # the link from the letter
    assert page.url.endswith(f"/s/{survey_round.slug}/1")
    assert html_lang(page) == survey_round.language

    # The visible language switch in the header, reached and pressed by keyboard.
    switch = f'.language-switch button[value="lang:{language}"]'
    tab_to(page, switch)
    press_and_wait(page)
    assert html_lang(page) == language
    assert page.locator(switch).get_attribute("aria-current") == "true"
    assert page.url.endswith(f"/s/{survey_round.slug}/1")

    for number, answers in enumerate(RADIO_ANSWERS, start=1):
        assert h1_text(page) == PAGE_HEADINGS[language][number - 1]
        for name, value in answers:
            choose_radio(page, name, value)
        if number == 3:
            tab_to(page, 'textarea[name="suggestion"]')
            page.keyboard.type(SUGGESTION[language])
        tab_to(page, NEXT_BUTTON)
        press_and_wait(page)
        assert page.locator("#error-summary").count() == 0, page.locator("main").inner_text()
        assert html_lang(page) == language

    assert page.url.endswith(f"/s/{survey_round.slug}/thanks")
    assert h1_text(page) == THANKS[language]

    response, answers = one_response(live_db, survey_round)
    assert response.language == language
    assert response.municipality_code == "5501"
    assert answers == {**EXPECTED_ROWS, "suggestion": [(None, None, SUGGESTION[language])]}


# --- 2. an error is shown and fixed -----------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_error_summary_takes_focus_and_leads_to_the_question(
    page: Page,
    live_server: LiveServer,
    make_live_round: Callable[..., LiveRound],
    language: str,
) -> None:
    survey_round = make_live_round()
    page.goto(live_server(f"/s/{survey_round.slug}?lang={language}"))
    title_before = page.title()
    choose_radio(page, "service_area", "health_care")
    tab_to(page, NEXT_BUTTON)  # past the unanswered (required) channel question
    press_and_wait(page)

    assert page.url.endswith(f"/s/{survey_round.slug}/1")
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert (
        page.evaluate("() => document.activeElement && document.activeElement.id")
        == "error-summary"
    ), _focus_description(page)
    assert page.title().startswith(f"{ERROR_WORD[language]}: "), page.title()
    assert page.title() == f"{ERROR_WORD[language]}: {title_before}"
    assert checked_value(page, "service_area") == "health_care"  # kept

    link = '#error-summary a[href="#channel-0"]'
    tab_to(page, link)
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.hash === '#channel-0'")
    assert (
        page.evaluate("() => document.activeElement && document.activeElement.id") == "channel-0"
    ), _focus_description(page)

    page.keyboard.press("ArrowDown")  # from Phone to E-mail: chooses it
    assert checked_value(page, "channel") == "email"
    tab_to(page, NEXT_BUTTON)
    press_and_wait(page)
    assert page.url.endswith(f"/s/{survey_round.slug}/2")
    assert page.locator("#error-summary").count() == 0
    assert not page.title().startswith(ERROR_WORD[language])


# --- 5. without JavaScript --------------------------------------------------------------


def test_survey_can_be_completed_without_javascript(
    new_context: Callable[..., BrowserContext],
    live_server: LiveServer,
    live_db: Callable[[], Any],
    make_live_round: Callable[..., LiveRound],
) -> None:
    survey_round = make_live_round()
    page = new_context(java_script_enabled=False).new_page()
    page.goto(live_server(f"/s/{survey_round.slug}?lang=en"))

    # Without JS the error summary still appears on a server round trip.
    click_and_wait(page, NEXT_BUTTON)
    assert page.locator("#error-summary").is_visible()
    for number, answers in enumerate(RADIO_ANSWERS, start=1):
        for name, value in answers:
            page.check(f'input[name="{name}"][value="{value}"]')
        if number == 3:
            page.fill('textarea[name="suggestion"]', SUGGESTION["en"])
        # Without JS the same-page condition cannot hide "told_when": it shows, with a note.
        if number == 2:
            assert page.locator("#q-told_when").is_visible()
            assert page.locator("#told_when-condition").is_visible()
        click_and_wait(page, NEXT_BUTTON)
        assert page.locator("#error-summary").count() == 0, page.locator("main").inner_text()

    assert page.url.endswith(f"/s/{survey_round.slug}/thanks")
    assert h1_text(page) == THANKS["en"]
    response, answers = one_response(live_db, survey_round)
    assert response.language == "en"
    assert answers == {**EXPECTED_ROWS, "suggestion": [(None, None, SUGGESTION["en"])]}


def test_answers_survive_a_browser_that_drops_its_cookies(
    new_context: Callable[..., BrowserContext],
    live_server: LiveServer,
    live_db: Callable[[], Any],
    make_live_round: Callable[..., LiveRound],
) -> None:
    # A phone that drops the session between pages: the form carries the earlier pages'
    # answers, so the citizen presses "Next" and goes on; nothing is lost.
    survey_round = make_live_round()
    context = new_context()
    page = context.new_page()
    page.goto(live_server(f"/s/{survey_round.slug}?lang=en"))
    for name, value in RADIO_ANSWERS[0]:
        page.check(f'input[name="{name}"][value="{value}"]')
    click_and_wait(page, NEXT_BUTTON)
    for name, value in RADIO_ANSWERS[1]:
        page.check(f'input[name="{name}"][value="{value}"]')
    context.clear_cookies()
    click_and_wait(page, NEXT_BUTTON)
    assert page.locator("#error-summary").count() == 0, page.locator("main").inner_text()
    assert h1_text(page) == PAGE_HEADINGS["en"][2]
    context.clear_cookies()
    click_and_wait(page, '#survey-form button[name="action"][value="back"]')
    assert h1_text(page) == PAGE_HEADINGS["en"][1]
    assert checked_value(page, "courtesy") == "4"  # kept across two dropped sessions
    click_and_wait(page, NEXT_BUTTON)
    page.check('input[name="overall"][value="5"]')
    page.fill('textarea[name="suggestion"]', SUGGESTION["en"])
    click_and_wait(page, NEXT_BUTTON)
    assert h1_text(page) == THANKS["en"]
    _response, answers = one_response(live_db, survey_round)
    assert answers == {**EXPECTED_ROWS, "suggestion": [(None, None, SUGGESTION["en"])]}


# --- 6. visible focus -------------------------------------------------------------------

FOCUS_STYLE = """() => {
  const e = document.activeElement;
  const s = getComputedStyle(e);
  return {tag: e.tagName, id: e.id, outlineStyle: s.outlineStyle, outlineWidth: s.outlineWidth,
          outlineColor: s.outlineColor, boxShadow: s.boxShadow,
          focusVisible: e.matches(":focus-visible")};
}"""


def _assert_focus_visible(page: Page) -> None:
    style = page.evaluate(FOCUS_STYLE)
    outline = style["outlineStyle"] != "none" and float(style["outlineWidth"].rstrip("px")) > 0
    shadow = style["boxShadow"] not in ("", "none")
    assert style["focusVisible"], style
    assert outline or shadow, f"no visible focus indicator: {style}"


def test_keyboard_focus_is_visible_on_radios_and_next(
    page: Page,
    live_server: LiveServer,
    make_live_round: Callable[..., LiveRound],
) -> None:
    survey_round = make_live_round()
    page.goto(live_server(f"/s/{survey_round.slug}"))
    tab_to(page, 'input[type="radio"][name="service_area"]')
    _assert_focus_visible(page)
    tab_to(page, NEXT_BUTTON)
    _assert_focus_visible(page)
    tab_to(page, 'input[type="radio"][name="channel"]', backwards=True)
    _assert_focus_visible(page)


# --- 7. the conditional questions on page 2 ---------------------------------------------


def _to_page_two(
    page: Page, live_server: LiveServer, survey_round: LiveRound, channel: str
) -> None:
    page.goto(live_server(f"/s/{survey_round.slug}?lang=en"))
    page.check('input[name="service_area"][value="other"]')
    page.check(f'input[name="channel"][value="{channel}"]')
    click_and_wait(page, NEXT_BUTTON)
    assert page.url.endswith(f"/s/{survey_round.slug}/2")


def test_conditional_questions_on_page_two(
    page: Page,
    live_server: LiveServer,
    make_live_round: Callable[..., LiveRound],
) -> None:
    survey_round = make_live_round()
    _to_page_two(page, live_server, survey_round, "phone")
    assert page.locator("#q-wait_time").is_visible()  # channel = phone on page 1
    assert page.locator("#wait_time__min").is_visible()

    told_when = page.locator("#q-told_when")
    assert told_when.is_hidden()  # JS on: hidden until got_answer = "no"
    page.check('input[name="got_answer"][value="yes"]')
    assert told_when.is_hidden()
    page.check('input[name="got_answer"][value="no"]')
    told_when.wait_for(state="visible")
    assert page.locator("#told_when-condition").is_hidden()  # the no-JS note is not needed
    page.check('input[name="got_answer"][value="dont_know"]')
    told_when.wait_for(state="hidden")


def test_wait_time_question_is_not_shown_after_choosing_email(
    page: Page,
    live_server: LiveServer,
    make_live_round: Callable[..., LiveRound],
) -> None:
    """wait_time has show_if channel in [phone, in_person] (a question on page 1)."""
    survey_round = make_live_round()
    _to_page_two(page, live_server, survey_round, "email")
    assert page.locator("#q-wait_time").count() == 0
