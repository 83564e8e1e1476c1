"""Flask-Login wiring: ids carry the session version, so a password change logs out everywhere."""

from __future__ import annotations

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from surveyapp.accounts.models import User
from surveyapp.extensions import db, login_manager


def load_user(user_id: str) -> User | None:
    try:
        raw_id, raw_version = user_id.split(":", 1)
        uid, version = int(raw_id), int(raw_version)
    except ValueError:
        return None
    user = db.session.get(User, uid)
    if user is None or not user.active or user.session_version != version:
        return None
    if not may_log_in(user):
        return None
    return user


def may_log_in(user: User) -> bool:
    """Active accounts may log in; demo accounts only while demo mode is on."""
    return user.active and (not user.is_demo or bool(current_app.config["SURVEYAPP_DEMO"]))


def configure_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.session_protection = "strong"
