"""Settings: the secret key of demo and debug runs, and configuration errors in one line."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from surveyapp.config import SECRET_KEY_FILE, ConfigurationError, instance_secret_key
from tests.conftest import PROJECT_ROOT, SHIPPED, TEST_PASSWORD, build_app

#: The key that demo, debug and test runs used to sign cookies with (it was in the code).
OLD_CODE_KEY = "insecure-development-key-" + "x" * 16


@pytest.fixture
def demo_config(app_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """Demo mode without SECRET_KEY, on its own instance folder."""
    config = {**app_config, "TESTING": False, "SURVEYAPP_DEMO": True}
    config.pop("SECRET_KEY")
    return {**config, "INSTANCE_PATH": str(tmp_path / "instance")}


def _resigned(session_cookie: str, reader: Flask, key: str) -> str:
    """The same session content, signed with ``key``."""
    content = SecureCookieSessionInterface().get_signing_serializer(reader)
    assert content is not None
    data = content.loads(session_cookie)
    forger = Flask("forger")
    forger.secret_key = key
    signer = SecureCookieSessionInterface().get_signing_serializer(forger)
    assert signer is not None
    return str(signer.dumps(data))


def test_demo_mode_without_a_key_refuses_cookies_signed_with_the_old_code_key(
    demo_config: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    demo = build_app(demo_config)
    admin = make_user("admin")  # a real, non-demo account in the same database
    client = demo.test_client()
    assert (
        client.post("/login", data={"email": admin.email, "password": TEST_PASSWORD}).status_code
        == 302
    )
    cookie = client.get_cookie("session")
    assert cookie is not None

    forged = demo.test_client()
    forged.set_cookie("session", _resigned(cookie.value, demo, OLD_CODE_KEY))
    assert forged.get("/admin/users").status_code == 302  # to the log-in page
    # The same content signed with the instance's own key is accepted: the forging works,
    # only the key is no longer known.
    genuine = demo.test_client()
    genuine.set_cookie("session", _resigned(cookie.value, demo, demo.config["SECRET_KEY"]))
    assert genuine.get("/admin/users").status_code == 200


def test_demo_key_is_made_once_and_shared_by_every_worker(
    demo_config: dict[str, Any], tmp_path: Path
) -> None:
    first, second = build_app(demo_config), build_app(demo_config)
    key = first.config["SECRET_KEY"]
    assert key == second.config["SECRET_KEY"]
    assert len(key) >= 64 and key != OLD_CODE_KEY
    path = Path(demo_config["INSTANCE_PATH"]) / SECRET_KEY_FILE
    assert path.read_text().strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []
    elsewhere = build_app({**demo_config, "INSTANCE_PATH": str(tmp_path / "other")})
    assert elsewhere.config["SECRET_KEY"] != key


def test_debug_mode_uses_the_instance_key_too(demo_config: dict[str, Any]) -> None:
    app = build_app({**demo_config, "SURVEYAPP_DEMO": False, "DEBUG": True})
    path = Path(demo_config["INSTANCE_PATH"]) / SECRET_KEY_FILE
    assert app.config["SECRET_KEY"] == path.read_text().strip()


def test_an_existing_key_file_is_kept(tmp_path: Path) -> None:
    (tmp_path / SECRET_KEY_FILE).write_text("k" * 64 + "\n")
    assert instance_secret_key(tmp_path) == "k" * 64
    (tmp_path / SECRET_KEY_FILE).write_text("short\n")
    with pytest.raises(ConfigurationError, match="delete the file"):
        instance_secret_key(tmp_path)


def test_production_start_without_a_key_still_refuses(demo_config: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        build_app({**demo_config, "SURVEYAPP_DEMO": False})
    assert not (Path(demo_config["INSTANCE_PATH"]) / SECRET_KEY_FILE).exists()


# --------------------------------------------------------------------------- one clear line


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """No SECRET_KEY, no database setting, no demo: what a fresh shell has."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    env.update(extra)
    return env


def _flask(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "surveyapp", *args],
        cwd=tmp_path,
        env=_clean_env(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def test_offline_commands_work_without_a_secret_key(tmp_path: Path) -> None:
    checked = _flask(
        tmp_path,
        "questionnaires",
        "check",
        str(SHIPPED / "citizen-satisfaction.yaml"),
    )
    assert checked.returncode == 0, checked.stderr
    assert "ok " in checked.stdout and "Traceback" not in checked.stderr
    stats = _flask(tmp_path, "stats", "proportion", "--satisfied", "320", "--n", "400")
    assert stats.returncode == 0, stats.stderr
    assert "Wilson" in stats.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("users", "create", "--email", "a@kommune.no", "--role", "admin", "--password", "x"),
        ("db", "upgrade"),
        ("questionnaires", "load"),
        ("run",),
    ],
)
def test_commands_that_need_the_settings_refuse_in_one_line(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    done = _flask(tmp_path, *args, DATABASE_URL=f"sqlite:///{tmp_path / 'never.db'}")
    assert done.returncode == 1
    assert _one_line(done.stderr).startswith("Error: SECRET_KEY is missing or too short.")
    assert not (tmp_path / "never.db").exists()


def test_a_malformed_number_setting_is_one_line(tmp_path: Path) -> None:
    done = _flask(tmp_path, "stats", "--help", SURVEYAPP_MIN_GROUP_SIZE="five")
    assert done.returncode == 1
    assert _one_line(done.stderr) == (
        "Error: SURVEYAPP_MIN_GROUP_SIZE must be a whole number, got 'five'."
    )


@pytest.mark.parametrize("rows", ["1", "2", "1048577"])
def test_xlsx_rows_out_of_range_stop_at_start_up_in_one_line(tmp_path: Path, rows: str) -> None:
    """SURVEYAPP_XLSX_MAX_ROWS=1 once crashed the first export; now the app refuses to
    start, and says the range."""
    done = _flask(tmp_path, "stats", "--help", SURVEYAPP_XLSX_MAX_ROWS=rows)
    assert done.returncode == 1
    assert _one_line(done.stderr) == (
        "Error: SURVEYAPP_XLSX_MAX_ROWS must be from 3 (a header, one answer and the note "
        "where the answers continue) to 1,048,576 (Excel's limit), got " + rows + "."
    )


def test_gunicorn_without_a_key_stops_with_one_clear_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--chdir",
            str(PROJECT_ROOT),
            "--workers",
            "1",
            "--bind",
            "127.0.0.1:0",
            "wsgi:app",
        ],
        cwd=tmp_path,
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("surveyapp:")]
    assert errors == [
        "surveyapp: configuration error: SECRET_KEY is missing or too short. Set SECRET_KEY to "
        "a random string of at least 32 characters (for example: python -c 'import secrets; "
        "print(secrets.token_hex(32))')."
    ]


def test_the_wsgi_entry_point_freezes_start_up_objects_out_of_the_collector(
    tmp_path: Path,
) -> None:
    """The first large request after a restart once paid 250 ms for the collector's first
    full pass over everything the imports made (issue 22's cold national table)."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import gc, wsgi; print(gc.get_freeze_count(), gc.get_count()[2])",
        ],
        cwd=PROJECT_ROOT,
        env=_clean_env(
            tmp_path, SECRET_KEY="k" * 40, DATABASE_URL=f"sqlite:///{tmp_path / 'app.db'}"
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    frozen, oldest_pending = (int(part) for part in done.stdout.split())
    assert frozen > 100_000  # the imports' objects are out of the collector's reach
    assert oldest_pending == 0
