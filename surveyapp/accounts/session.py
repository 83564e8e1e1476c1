"""Staff log-ins held on the server (``StaffSession``), wired into Flask-Login.

The signed session cookie carries the user's id and a random session token; the
database keeps only the token's hash with an expiry. A request counts as logged in
only while that row exists, so log-out, a password change, a new role or a
deactivation end a session for good, also for someone who copied the cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app, g, session
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user

from surveyapp.accounts.models import StaffSession, User
from surveyapp.extensions import db, login_manager
from surveyapp.timeutil import utcnow

#: The key of the session token in Flask's session (Flask-Login keeps the user id).
TOKEN_KEY = "staff_session"
#: Flask-WTF's CSRF token in the session: replaced at every log-in and log-out.
CSRF_KEY = "csrf_token"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the user, if this request's session token is still held."""
    token = session.get(TOKEN_KEY)
    if not isinstance(token, str) or not user_id.isdigit():
        return None
    user = db.session.scalar(
        sa.select(User)
        .join(StaffSession, StaffSession.user_id == User.id)
        .where(
            StaffSession.token_hash == _hash(token),
            StaffSession.user_id == int(user_id),
            StaffSession.expires_at > utcnow(),
        )
    )
    if user is None or not may_log_in(user):
        return None
    return user


def may_log_in(user: User) -> bool:
    """Active accounts may log in; demo accounts only while demo mode is on."""
    return user.active and (not user.is_demo or bool(current_app.config["SURVEYAPP_DEMO"]))


def start_session(user: User) -> None:
    """Log ``user`` in with a new server-side session and a new CSRF token; the caller commits."""
    now = utcnow()
    db.session.execute(sa.delete(StaffSession).where(StaffSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    hours = float(current_app.config["SURVEYAPP_SESSION_HOURS"])
    db.session.add(
        StaffSession(
            user_id=user.id, token_hash=_hash(token), expires_at=now + timedelta(hours=hours)
        )
    )
    db.session.flush()
    _new_csrf_token()
    session[TOKEN_KEY] = token
    login_user(user)


def end_session() -> None:
    """Log out this browser: its server-side session is deleted; the caller commits."""
    token = session.pop(TOKEN_KEY, None)
    if isinstance(token, str):
        db.session.execute(sa.delete(StaffSession).where(StaffSession.token_hash == _hash(token)))
    logout_user()
    _new_csrf_token()


def end_all_sessions(user: User) -> None:
    """Log the user out everywhere (password change, new role, deactivation)."""
    db.session.execute(sa.delete(StaffSession).where(StaffSession.user_id == user.id))


def _new_csrf_token() -> None:
    """A CSRF token from before a log-in or log-out is not valid after it."""
    session.pop(CSRF_KEY, None)
    g.pop(CSRF_KEY, None)


def configure_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.session_protection = "strong"
