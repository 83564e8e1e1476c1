"""Every staff page state in bokmål, nynorsk and English, logged in as the demo admin,
planner or caller: axe-core, the Nu HTML checker and reflow at 320 px and 200 % zoom."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.nu_checker import NuChecker
from tests.browser.page_checks import LANGUAGES, CheckLog, DocumentTracker, check_state

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser.conftest import StaffSite

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class State:
    name: str
    role: str
    path: Callable[[dict[str, Any]], str]
    #: After loading the path: send the page's main form as it is (to show its errors).
    submit: str | None = None


def _sheet(channel: str) -> Callable[[dict[str, Any]], str]:
    return lambda ids: f"/calls/{ids['sheets'][channel]}"


STATES = [
    State("overview", "planner", lambda ids: "/home"),
    State("survey rounds", "planner", lambda ids: "/rounds"),
    State("new round", "planner", lambda ids: "/rounds/new"),
    State(
        "new round with errors",
        "planner",
        lambda ids: "/rounds/new",
        submit="main form.round-form button.button:not([name])",
    ),
    State("round", "planner", lambda ids: f"/rounds/{ids['round']}"),
    State("edit draft round", "planner", lambda ids: f"/rounds/{ids['draft']}/edit"),
    State("round preview", "planner", lambda ids: f"/rounds/{ids['round']}/preview"),
    State("questionnaires", "planner", lambda ids: "/questionnaires"),
    State(
        "questionnaire preview",
        "planner",
        lambda ids: f"/questionnaires/{ids['questionnaire']}/preview",
    ),
    State("results dashboard", "planner", lambda ids: "/results/5501?year=2026"),
    State(
        "dashboard with comparison",
        "planner",
        lambda ids: "/results/5501?year=2026&peers=all&compare=1804&compare=5503",
    ),
    State("sample size", "planner", lambda ids: "/results/sample-size"),
    State("sample size with errors", "planner", lambda ids: "/results/sample-size?margin=abc"),
    State("peer groups", "planner", lambda ids: "/peer-groups"),
    State("peer group", "planner", lambda ids: f"/peer-groups/{ids['group']}"),
    State(
        "new peer group with errors",
        "planner",
        lambda ids: "/peer-groups/new",
        submit="main form.narrow-form button[type=submit]",
    ),
    State("service tests", "planner", lambda ids: "/servicetest"),
    State("service-test round", "planner", lambda ids: f"/servicetest/{ids['test_round']}"),
    State("ranking", "planner", lambda ids: f"/servicetest/{ids['test_round']}/ranking"),
    State("by sector", "planner", lambda ids: f"/servicetest/{ids['test_round']}/by/sector"),
    State("by channel", "planner", lambda ids: f"/servicetest/{ids['test_round']}/by/channel"),
    State(
        "municipality in a service test",
        "planner",
        lambda ids: f"/servicetest/{ids['test_round']}/m/5501",
    ),
    State(
        "change password with errors",
        "planner",
        lambda ids: "/account/password",
        submit="main form.narrow-form button[type=submit]",
    ),
    State("job page", "planner", lambda ids: f"/jobs/{ids['job']}"),
    State("users", "admin", lambda ids: "/admin/users"),
    State(
        "new user with errors",
        "admin",
        lambda ids: "/admin/users/new",
        submit="main form.user-form button.button",
    ),
    State("edit user", "admin", lambda ids: f"/admin/users/{ids['planner_user']}"),
    State("audit trail", "admin", lambda ids: "/admin/audit"),
    State("results, all municipalities", "admin", lambda ids: "/results"),
    State("plan a service test", "admin", lambda ids: "/servicetest/new"),
    State("assignments", "admin", lambda ids: f"/servicetest/{ids['test_round']}/assignments"),
    State("raw data", "admin", lambda ids: "/exports/5501/raw?year=2026"),
    State("coats of arms", "admin", lambda ids: "/admin/arms"),
    State(
        "coats of arms with errors",
        "admin",
        lambda ids: "/admin/arms",
        submit="main form.narrow-form button[type=submit]",
    ),
    State("my assignments", "caller", lambda ids: "/calls"),
    State("phone sheet", "caller", _sheet("phone")),
    State("e-mail sheet", "caller", _sheet("email")),
    State("web sheet", "caller", _sheet("web")),
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("state", STATES, ids=lambda s: s.name)
def test_staff_page_state(
    staff_site: StaffSite,
    staff_page: Callable[[str], Page],
    check_log: CheckLog,
    nu_checker: NuChecker,
    state: State,
    language: str,
) -> None:
    page = staff_page(state.role)
    document = DocumentTracker(page)
    path = state.path(staff_site.ids)
    separator = "&" if "?" in path else "?"
    response = page.goto(staff_site.server(f"{path}{separator}lang={language}"))
    assert response is not None, path
    assert response.status == 200, (path, response.status, page.locator("main").inner_text())
    if state.submit:
        with page.expect_navigation():
            page.locator(state.submit).click()
        assert page.locator("#error-summary").count() == 1, f"{state.name}: no error summary"
    check_state(
        page, check_log, nu_checker, f"{state.role}: {state.name}", language, document.html()
    )


@pytest.mark.parametrize(
    ("role", "path", "title"),
    [
        (None, "/login?lang=nn", "Feil: Logg inn"),
        ("planner", "/account/password?lang=nb", "Feil: Endre passord"),
        ("admin", "/admin/users/new?lang=en", "Error: New user"),
    ],
)
def test_staff_form_errors_take_the_focus_and_the_title_says_error(
    staff_site: StaffSite,
    staff_page: Callable[[str], Page],
    new_context: Callable[..., Any],
    role: str | None,
    path: str,
    title: str,
) -> None:
    """As on the citizen pages: the error summary takes the focus (so a screen reader
    reads it) and the title starts with "Error:"."""
    page = staff_page(role) if role else new_context().new_page()
    page.goto(staff_site.server(path))
    with page.expect_navigation():
        page.locator("main form button.button[type=submit]").click()
    assert page.title().startswith(title), page.title()
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    assert page.locator("#error-summary a").count() >= 1


def test_the_nu_checker_finds_errors_where_there_are_some(nu_checker: NuChecker) -> None:
    """The checker is not a no-op: invalid HTML gives errors, valid HTML none."""
    bad = nu_checker.check(
        '<!doctype html><html lang="nb"><title>x</title><p id="a">1</p><p id="a">2</p>'
        '<select required name="s"><option value="x">X</option></select>',
        "self-test",
    )
    assert len(bad.errors) >= 2, bad.describe()
    good = nu_checker.check('<!doctype html><html lang="nb"><title>x</title><p>1</p>', "ok")
    assert good.errors == []


def test_headings_clear_the_header_and_the_headline_share_stands_out(
    staff_site: StaffSite, staff_page: Callable[[str], Page]
) -> None:
    """`.wrap` once reset `main`'s top padding (headings touched the header), and a second
    `.big-number` made the dashboard's headline share smaller than its own heading."""
    page = staff_page("planner")
    page.goto(staff_site.server("/results/5501?year=2026&lang=nb"))
    gap = page.evaluate(
        """() => document.querySelector("main h1").getBoundingClientRect().top
                 - document.querySelector("header").getBoundingClientRect().bottom"""
    )
    assert gap >= 16, gap
    sizes = page.evaluate(
        """() => [".headline-panel .big-number", "#headline-title"].map(
             (s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize))"""
    )
    assert sizes[0] > 1.5 * sizes[1], sizes
