"""Settings: defaults, then the environment, then an explicit override."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": None,
    "SQLALCHEMY_DATABASE_URI": None,  # None: SQLite file under the instance folder
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_ENABLED": True,
    "WTF_CSRF_TIME_LIMIT": None,
    "BABEL_DEFAULT_LOCALE": "nb",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Oslo",
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": False,
    # Product settings, each also readable from SURVEYAPP_<NAME> in the environment.
    "SURVEYAPP_DEMO": False,
    "SURVEYAPP_MIN_GROUP_SIZE": 5,
    "SURVEYAPP_DEFAULT_TARGET": 0.80,
    "SURVEYAPP_QUESTIONNAIRE_DIR": None,  # None: the definitions shipped inside the package
    "SURVEYAPP_BASE_URL": "http://127.0.0.1:5000",
    "SURVEYAPP_LOGIN_LIMIT": "5 per 15 minutes",
    "SURVEYAPP_LOGIN_CLIENT_LIMIT": "20 per 15 minutes",
    "SURVEYAPP_XLSX_MAX_ROWS": 1_048_576,
    "SURVEYAPP_DB_POOL_SIZE": 5,
}

#: Settings whose value may be insecure placeholders in development only.
INSECURE_SECRET_KEYS = {None, "", "dev", "change-me", "secret"}

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: The shipped questionnaire definitions (package data, so an installed app has them).
SHIPPED_QUESTIONNAIRES = Path(__file__).resolve().parent / "questionnaires" / "definitions"


def _coerce(raw: str, like: Any) -> Any:
    """Convert an environment string to the type of the default value."""
    if isinstance(like, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(like, int):
        return int(raw)
    if isinstance(like, float):
        return float(raw)
    return raw


def database_url_from_env(url: str) -> str:
    """Accept the common postgres:// spellings and select the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Read the settings the environment sets."""
    settings: dict[str, Any] = {}
    if environ.get("SECRET_KEY"):
        settings["SECRET_KEY"] = environ["SECRET_KEY"]
    if environ.get("DATABASE_URL"):
        settings["SQLALCHEMY_DATABASE_URI"] = database_url_from_env(environ["DATABASE_URL"])
    if environ.get("SESSION_COOKIE_SECURE"):
        settings["SESSION_COOKIE_SECURE"] = _coerce(environ["SESSION_COOKIE_SECURE"], True)
    if environ.get("RATELIMIT_STORAGE_URI"):
        settings["RATELIMIT_STORAGE_URI"] = environ["RATELIMIT_STORAGE_URI"]
    for key, default in DEFAULTS.items():
        if key.startswith("SURVEYAPP_") and key in environ:
            settings[key] = _coerce(environ[key], default if default is not None else "")
    return settings


def build_config(
    instance_path: str, environ: Mapping[str, str], override: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Merge defaults, environment and override into one settings mapping."""
    config = dict(DEFAULTS)
    config.update(from_environment(environ))
    if override:
        config.update(override)
    if not config["SQLALCHEMY_DATABASE_URI"]:
        config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
            instance_path, "surveyapp.db"
        )
    if not config["SURVEYAPP_QUESTIONNAIRE_DIR"]:
        config["SURVEYAPP_QUESTIONNAIRE_DIR"] = str(SHIPPED_QUESTIONNAIRES)
    uri = str(config["SQLALCHEMY_DATABASE_URI"])
    if uri.startswith("postgresql"):
        options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.setdefault("pool_size", config["SURVEYAPP_DB_POOL_SIZE"])
        options.setdefault("pool_pre_ping", True)
        config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    elif uri.startswith("sqlite"):
        options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
        connect_args = dict(options.get("connect_args", {}))
        connect_args.setdefault("timeout", 30)
        options["connect_args"] = connect_args
        config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    return config


class ConfigurationError(RuntimeError):
    """Raised when the app is started with settings that are unsafe or incomplete."""


def check_secret_key(config: Mapping[str, Any]) -> None:
    """Refuse to run outside debug/demo/test without a real secret key."""
    relaxed = config.get("DEBUG") or config.get("TESTING") or config.get("SURVEYAPP_DEMO")
    key = config.get("SECRET_KEY")
    if relaxed:
        return
    if key in INSECURE_SECRET_KEYS or len(str(key)) < 32:
        raise ConfigurationError(
            "SECRET_KEY is missing or too short. Set SECRET_KEY to a random string of at least "
            "32 characters (for example: python -c 'import secrets; print(secrets.token_hex(32))')."
        )
