"""Fixtures: app → db → client/runner, plus builders for users and data."""

from __future__ import annotations

import contextvars
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient, FlaskCliRunner

from surveyapp import create_app
from surveyapp.extensions import db

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED = PROJECT_ROOT / "surveyapp" / "questionnaires" / "definitions"
POSTGRES_URL = os.environ.get("SURVEYAPP_TEST_POSTGRES_URL")
TEST_PASSWORD = "Fjellvann-og-brunost-93"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Storage tests run on SQLite and, when configured, on PostgreSQL too."""
    marked = metafunc.definition.get_closest_marker
    if "backend" not in metafunc.fixturenames:
        return
    if marked("postgresql_only"):
        metafunc.parametrize("backend", ["postgresql"], indirect=True)
    elif marked("storage") and not marked("sqlite_only"):
        metafunc.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    name = getattr(request, "param", "sqlite")
    if name == "postgresql" and not POSTGRES_URL:
        if os.environ.get("SURVEYAPP_REQUIRE_POSTGRES"):
            pytest.fail("SURVEYAPP_REQUIRE_POSTGRES is set but SURVEYAPP_TEST_POSTGRES_URL is not")
        pytest.skip("PostgreSQL not configured (set SURVEYAPP_TEST_POSTGRES_URL)")
    return str(name)


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> str:
    if backend == "postgresql":
        assert POSTGRES_URL
        return POSTGRES_URL
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    """The override passed to create_app; tests may extend it before `app` is built."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SURVEYAPP_QUESTIONNAIRE_DIR": str(SHIPPED),
        "SURVEYAPP_TASK_QUEUE_URL": f"sqlite:///{tmp_path / 'tasks.db'}",
        "SURVEYAPP_JOB_FILES_DIR": str(tmp_path / "job-files"),
    }


class IsolatedClient(FlaskClient):
    """Runs each request in its own app context, as a real server would.

    The test itself holds an app context (for direct database checks); without this,
    requests would share its ``g`` and database session and hide bugs such as a
    missing commit. After each request the test's session starts afresh.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            db.session.rollback()
        return response


def build_app(config: dict[str, Any]) -> Flask:
    """An app for tests whose clients run each request in its own context."""
    app = create_app(config)
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    app = build_app(app_config)
    with app.app_context():
        db.drop_all()
        db.create_all()
        yield app
        db.session.remove()
        if app_config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            db.drop_all()
        db.engine.dispose()


@pytest.fixture
def start_worker(app: Flask) -> Iterator[Callable[..., Any]]:
    """Start huey's real consumer for the test app; stopped after the test."""
    from tests.job_helpers import start_consumer

    started: list[Any] = []

    def start(periodic: bool = False) -> Any:
        started.append(start_consumer(app, periodic=periodic))
        return started[-1]

    yield start
    for consumer in started:
        consumer.stop(graceful=True)


@pytest.fixture
def worker(start_worker: Callable[[], Any]) -> Any:
    """A running job worker (huey's consumer) for the test app."""
    return start_worker()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def register(app: Flask) -> None:
    """The 357 municipalities of the shipped register."""
    from surveyapp.municipalities.cli import load_register

    load_register()
    db.session.commit()


@pytest.fixture
def municipality_history(app: Flask, register: None) -> None:
    """The shipped municipality changes 2005–2026 (former numbers kept, not current)."""
    from surveyapp.municipalities.cli import load_changes

    load_changes()
    db.session.commit()


@pytest.fixture
def questionnaires(app: Flask, register: None) -> None:
    """The shipped questionnaire definitions, stored."""
    from surveyapp.questionnaires.cli import load_definitions, shipped_files

    load_definitions(shipped_files())
    db.session.commit()


@pytest.fixture
def make_user(app: Flask, register: None) -> Callable[..., Any]:
    """Build a staff account: make_user("planner", municipalities=["5501"])."""
    from surveyapp.accounts.operations import create_user

    counter = iter(range(1, 1_000_000))

    def build(role: str, municipalities: list[str] | None = None, **kw: Any) -> Any:
        email = kw.pop("email", f"{role}{next(counter)}@example.no")
        user = create_user(
            None,
            email,
            kw.pop("name", f"Test {role}"),
            role,
            kw.pop("password", TEST_PASSWORD),
            municipalities or [],
            **kw,
        )
        db.session.commit()
        return user

    return build


@pytest.fixture
def login(client: FlaskClient) -> Callable[[Any], FlaskClient]:
    """Log a user in on the test client."""

    def do_login(user: Any, password: str = TEST_PASSWORD) -> FlaskClient:
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return do_login


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A real redis-server on a free port of 127.0.0.1, for this test only.

    Skipped without redis-server, unless SURVEYAPP_REQUIRE_REDIS is set (CI)."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("SURVEYAPP_REQUIRE_REDIS"):
            pytest.fail("SURVEYAPP_REQUIRE_REDIS is set but redis-server is not installed")
        pytest.skip("redis-server not installed (apt-get install redis-server)")
    port = _free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=20)
