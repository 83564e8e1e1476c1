"""Settings: defaults, then the environment, then an explicit override."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

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
    # Where failed log-ins are counted for every worker: "database" or redis://….
    "RATELIMIT_STORAGE_URI": "database",
    # E-mail invitations (Flask-Mail's names; each also readable from the environment).
    "MAIL_SERVER": "localhost",
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_DEFAULT_SENDER": "",
    "MAIL_SUPPRESS_SEND": False,  # Flask-Mail would suppress sending in tests otherwise
    # Product settings, each also readable from SURVEYAPP_<NAME> in the environment.
    "SURVEYAPP_MAIL_RATE": 60,  # e-mails sent per minute at most (pacing)
    "SURVEYAPP_MAIL_REMINDERS": 2,  # reminders per address at most
    "SURVEYAPP_MAIL_RETRIES": 1,  # further tries, in the same run, after a temporary refusal
    "SURVEYAPP_EMAIL_LIST_GRACE_DAYS": 7,  # the address list is deleted this long after close
    "SURVEYAPP_PAPER_LATE_DAYS": 14,  # paper forms may still be keyed this long after close
    "SURVEYAPP_KIOSK_LIMIT": "10 per minute",  # answers per kiosk device (stuffing)
    "SURVEYAPP_DEMO": False,
    "SURVEYAPP_MIN_GROUP_SIZE": 5,
    "SURVEYAPP_DEFAULT_TARGET": 0.80,
    "SURVEYAPP_QUESTIONNAIRE_DIR": None,  # None: the definitions shipped inside the package
    "SURVEYAPP_BASE_URL": "http://127.0.0.1:5000",
    "SURVEYAPP_LOGIN_LIMIT": "5 per 15 minutes",
    "SURVEYAPP_LOGIN_CLIENT_LIMIT": "20 per 15 minutes",
    "SURVEYAPP_PROXY_COUNT": 0,  # trusted proxies in front (X-Forwarded-For); 0: none
    "SURVEYAPP_SESSION_HOURS": 12,  # a staff log-in ends on the server after this
    "SURVEYAPP_XLSX_MAX_ROWS": 1_048_576,
    "SURVEYAPP_DB_POOL_SIZE": 5,
    # Background jobs (surveyapp/jobs): the task queue, where result files go, how long.
    "SURVEYAPP_TASK_QUEUE_URL": None,  # None: SQLite file instance/tasks.db; or redis://…
    "SURVEYAPP_FILES_DIR": None,  # None: instance/files (attachments, coats of arms)
    "SURVEYAPP_JOB_FILES_DIR": None,  # None: instance/job-files
    "SURVEYAPP_JOB_FILE_HOURS": 24,  # a result file not downloaded is deleted after this
    "SURVEYAPP_JOB_DOWNLOAD_GRACE_MINUTES": 10,  # …and a downloaded one this long after
    # The open-data API (surveyapp/api): requests per client, public caching, tokens, and
    # who publishes (the DCAT-AP-NO catalogue).
    "SURVEYAPP_API_LIMIT": "120 per minute",
    "SURVEYAPP_API_MAX_AGE": 300,
    "SURVEYAPP_API_TOKEN_MAX_DAYS": 365,
    "SURVEYAPP_PUBLISHER_NAME": "surveyapp",
    "SURVEYAPP_PUBLISHER_ORGNR": "",  # nine digits: the Brønnøysund register's URI
    "SURVEYAPP_CONTACT_EMAIL": "",
    "SURVEYAPP_DATA_LICENSE": "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
}

#: Rows of a "Svar" sheet: at least a header, an answer and the note where the answers
#: continue; at most what Excel opens.
XLSX_MIN_ROWS, XLSX_MAX_ROWS = 3, 1_048_576

#: Settings whose value may be insecure placeholders in development only.
INSECURE_SECRET_KEYS = {None, "", "dev", "change-me", "secret"}

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: The shipped questionnaire definitions (package data, so an installed app has them).
SHIPPED_QUESTIONNAIRES = Path(__file__).resolve().parent / "questionnaires" / "definitions"


#: The demo/debug key's file in the instance folder (made once, mode 0600).
SECRET_KEY_FILE = "secret_key"


class ConfigurationError(click.ClickException):
    """Settings that are unsafe or incomplete.

    A ``click.ClickException``, so that the ``flask`` command prints it as one line
    (``Error: …``, exit status 1) instead of a traceback; ``wsgi.py`` does the same
    for gunicorn.
    """


def _coerce(name: str, raw: str, like: Any) -> Any:
    """Convert an environment string to the type of the default value."""
    if isinstance(like, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    try:
        if isinstance(like, int):
            return int(raw)
        if isinstance(like, float):
            return float(raw)
    except ValueError:
        kind = "a whole number" if isinstance(like, int) else "a number"
        raise ConfigurationError(f"{name} must be {kind}, got {raw!r}.") from None
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
        settings["SESSION_COOKIE_SECURE"] = _coerce(
            "SESSION_COOKIE_SECURE", environ["SESSION_COOKIE_SECURE"], True
        )
    if environ.get("RATELIMIT_STORAGE_URI"):
        settings["RATELIMIT_STORAGE_URI"] = environ["RATELIMIT_STORAGE_URI"]
    for key, default in DEFAULTS.items():
        if key.startswith(("SURVEYAPP_", "MAIL_")) and key in environ:
            settings[key] = _coerce(key, environ[key], default if default is not None else "")
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


def check_settings(config: Mapping[str, Any]) -> None:
    """Settings that must be in range, whatever the mode."""
    if int(config["SURVEYAPP_PROXY_COUNT"]) < 0:
        raise ConfigurationError("SURVEYAPP_PROXY_COUNT must be 0 or more.")
    if float(config["SURVEYAPP_SESSION_HOURS"]) <= 0:
        raise ConfigurationError("SURVEYAPP_SESSION_HOURS must be more than 0.")
    rows = int(config["SURVEYAPP_XLSX_MAX_ROWS"])
    if not XLSX_MIN_ROWS <= rows <= XLSX_MAX_ROWS:
        raise ConfigurationError(
            f"SURVEYAPP_XLSX_MAX_ROWS must be from {XLSX_MIN_ROWS} (a header, one answer and "
            f"the note where the answers continue) to {XLSX_MAX_ROWS:,} (Excel's limit), "
            f"got {rows}."
        )
    if int(config["SURVEYAPP_API_MAX_AGE"]) < 0:
        raise ConfigurationError("SURVEYAPP_API_MAX_AGE must be 0 or more.")
    if int(config["SURVEYAPP_API_TOKEN_MAX_DAYS"]) < 1:
        raise ConfigurationError("SURVEYAPP_API_TOKEN_MAX_DAYS must be 1 or more.")
    if float(config["SURVEYAPP_MAIL_RATE"]) <= 0:
        raise ConfigurationError("SURVEYAPP_MAIL_RATE must be more than 0 (e-mails per minute).")
    for name in ("SURVEYAPP_MAIL_REMINDERS", "SURVEYAPP_MAIL_RETRIES"):
        if int(config[name]) < 0:
            raise ConfigurationError(f"{name} must be 0 or more.")
    try:
        from limits import parse

        parse(str(config["SURVEYAPP_KIOSK_LIMIT"]))
    except ValueError:
        raise ConfigurationError(
            "SURVEYAPP_KIOSK_LIMIT must be a rate such as '10 per minute', "
            f"got {config['SURVEYAPP_KIOSK_LIMIT']!r}."
        ) from None
    if float(config["SURVEYAPP_EMAIL_LIST_GRACE_DAYS"]) < 0:
        raise ConfigurationError("SURVEYAPP_EMAIL_LIST_GRACE_DAYS must be 0 or more.")
    if not 0 <= int(config["SURVEYAPP_PAPER_LATE_DAYS"]) <= 366:
        raise ConfigurationError("SURVEYAPP_PAPER_LATE_DAYS must be from 0 to 366 (days).")


def relaxed(config: Mapping[str, Any]) -> bool:
    """Debug, demo and test runs may do without a SECRET_KEY from the environment."""
    return bool(config.get("DEBUG") or config.get("TESTING") or config.get("SURVEYAPP_DEMO"))


def check_secret_key(config: Mapping[str, Any]) -> None:
    """Refuse to run outside debug/demo/test without a real secret key."""
    key = config.get("SECRET_KEY")
    if relaxed(config):
        return
    if key in INSECURE_SECRET_KEYS or len(str(key)) < 32:
        raise ConfigurationError(
            "SECRET_KEY is missing or too short. Set SECRET_KEY to a random string of at least "
            "32 characters (for example: python -c 'import secrets; print(secrets.token_hex(32))')."
        )


def instance_secret_key(instance_path: str | os.PathLike[str]) -> str:
    """The key of a debug or demo run without SECRET_KEY: random, made once, kept.

    It lives in ``<instance>/secret_key`` (mode 0600), so that every worker and every
    restart on this instance folder signs cookies with the same key, and no two
    installations share one (a key in the code signed cookies for every demo site).
    """
    path = Path(instance_path) / SECRET_KEY_FILE
    if not path.exists():
        _create_once(path, secrets.token_hex(32))
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ConfigurationError(f"{path} holds no usable key; delete the file to get a new one.")
    return key


def _create_once(path: Path, content: str) -> None:
    """Write ``path`` whole or not at all; when another process wins the race, keep theirs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(handle, "w", encoding="ascii") as file:
            file.write(content + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)  # atomic, and fails if the file exists
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)
