"""The questionnaire upload pages in a real browser, in bokmål, nynorsk and English:
axe-core (WCAG 2.0/2.1 A and AA) and reflow (no sideways scrolling at 320 px nor at
1280 px zoomed to 200 %) for each state an admin passes through:

- the upload form with the list of problems (sheet, cell and message per row);
- the review: the comparison table and the preview of every page in three languages;
- stored: the questionnaire list with the stored version and its downloads.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openpyxl
import pytest

from tests.browser.axe_report import AxeLog, run_axe

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

LANGUAGES = ("nb", "nn", "en")
DATA = Path(__file__).parents[1] / "data" / "questionnaires"
ADMIN_EMAIL = "questionnaire-admin@example.no"
ADMIN_PASSWORD = "Nordlys-over-Tromsdalstinden-26"
#: Widths that must not scroll sideways: a 320 px phone, and 1280 x 800 at 200 % zoom.
REFLOW = {"320px": (320, 640), "zoom200": (640, 400)}
STATES = ("upload with problems", "review with preview and comparison", "stored, downloads")


def _workbook(change: Callable[[openpyxl.Workbook], None]) -> bytes:
    book = openpyxl.load_workbook(DATA / "citizen-satisfaction.xlsx")
    change(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _with_problems(book: openpyxl.Workbook) -> None:
    book["survey"]["B6"] = book["survey"]["B5"].value  # a duplicate name
    book["survey"]["A9"] = "calculate"  # a type the app cannot honour


def _reworded(book: openpyxl.Workbook) -> None:
    book["survey"]["E5"] = "What was your matter about, in a few words?"


def _renamed(code: str) -> Callable[[openpyxl.Workbook], None]:
    def change(book: openpyxl.Workbook) -> None:
        book["settings"]["A2"] = code

    return change


@pytest.fixture(scope="module")
def live_admin(live_server: LiveServer) -> str:
    """An administrator in the live server's database (made once)."""
    from surveyapp.accounts.operations import create_user, find_by_email
    from surveyapp.extensions import db

    with live_server.app.app_context():
        try:
            if find_by_email(ADMIN_EMAIL) is None:
                create_user(None, ADMIN_EMAIL, "Skjema Admin", "admin", ADMIN_PASSWORD)
                db.session.commit()
        finally:
            db.session.remove()
    return ADMIN_EMAIL


def _log_in(page: Page, live_server: LiveServer, email: str, language: str) -> None:
    page.goto(live_server(f"/login?lang={language}"))
    page.fill("#email", email)
    page.fill("#password", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/login" not in page.url, page.locator("main").inner_text()


def _upload(page: Page, live_server: LiveServer, data: bytes, name: str, language: str) -> None:
    page.goto(live_server(f"/questionnaires/upload?lang={language}"))
    page.set_input_files(
        "#file",
        files=[
            {
                "name": name,
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": data,
            }
        ],
    )
    page.select_option("#owner", "national")
    with page.expect_navigation():
        page.locator("main form.narrow-form button[type=submit]").click()


def _reflow(page: Page) -> dict[str, dict[str, Any]]:
    """The document's width at each reflow viewport, where it scrolls sideways."""
    before = page.viewport_size or {"width": 1280, "height": 720}
    found = {}
    try:
        for name, (width, height) in REFLOW.items():
            page.set_viewport_size({"width": width, "height": height})
            sizes = page.evaluate(
                "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
            )
            if sizes["scroll"] > sizes["inner"]:
                found[name] = sizes
    finally:
        page.set_viewport_size(before)
    return found


def _check(page: Page, axe_log: AxeLog, state: str, language: str) -> None:
    assert page.evaluate("() => document.documentElement.lang") == language
    result = run_axe(page)
    axe_log.add(f"questionnaires: {state}", language, result)
    assert not result.violations, f"{state} ({language}): " + result.describe()
    overflow = _reflow(page)
    assert not overflow, f"{state} ({language}) scrolls sideways: {overflow}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("state", STATES)
def test_questionnaire_upload_pages(
    page: Page,
    live_server: LiveServer,
    live_admin: str,
    axe_log: AxeLog,
    state: str,
    language: str,
) -> None:
    _log_in(page, live_server, live_admin, language)
    if state == "upload with problems":
        _upload(page, live_server, _workbook(_with_problems), "skjema.xlsx", language)
        table = page.locator("#problems table")
        assert table.is_visible()
        assert table.locator("tbody tr").count() >= 2
        assert "B6" in table.inner_text() and "A9" in table.inner_text()
    elif state == "review with preview and comparison":
        _upload(page, live_server, _workbook(_reworded), "skjema.xlsx", language)
        assert page.locator("tr.change-reworded").count() == 1
        for code in LANGUAGES:
            preview = page.locator(f'section.preview-language div[lang="{code}"]')
            assert preview.count() == 1 and preview.locator("h3").count() == 3
        assert page.locator("form button.button[type=submit]").is_visible()
    else:
        code = f"browser-upload-{language}"
        _upload(page, live_server, _workbook(_renamed(code)), f"{code}.xlsx", language)
        with page.expect_navigation():
            page.locator('form[action$="/questionnaires/store"] button[type=submit]').click()
        assert page.url.endswith("/questionnaires")
        assert page.locator(".flash").count() == 1 and code in page.locator(".flash").inner_text()
        row = page.locator("tbody tr", has=page.locator(f"code:text-is('{code}')"))
        assert row.count() == 1
        with page.expect_download() as download_info:
            row.get_by_role("link", name=f"XLSForm {code} v1").click()
        assert download_info.value.suggested_filename == f"{code}-v1.xlsx"
    _check(page, axe_log, state, language)
