"""Who may use which route: declared on each view, enforced for every request.

Every view function carries exactly one ``@access(...)`` declaration. A request to an
endpoint without a declaration is refused (fail closed), and a test walks the URL map
to make sure no route is left undeclared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"
STAFF = "staff"  # any logged-in staff member
ADMIN = "admin"
PLANNER = "planner"
CALLER = "caller"
LEVELS = frozenset({PUBLIC, STAFF, ADMIN, PLANNER, CALLER})

#: Endpoints that Flask or extensions add themselves, and who may use them.
BUILTIN_ACCESS = {"static": frozenset({PUBLIC})}


def access(*allowed: str) -> Callable[[F], F]:
    """Declare who may use a view: ``public``, ``staff`` or roles. Admins may use every view."""
    unknown = set(allowed) - LEVELS
    if not allowed or unknown:
        raise ValueError(f"access() needs levels from {sorted(LEVELS)}, got {allowed}")

    def decorate(view: F) -> F:
        view.access = frozenset(allowed)  # type: ignore[attr-defined]
        return view

    return decorate


def declared_access(app: Flask, endpoint: str) -> frozenset[str] | None:
    """The access declared for an endpoint, or None when it has none."""
    if endpoint in BUILTIN_ACCESS:
        return BUILTIN_ACCESS[endpoint]
    view = app.view_functions.get(endpoint)
    return getattr(view, "access", None)


def allows(levels: frozenset[str], user: Any) -> bool:
    """Whether a user (or an anonymous visitor) may use a view with these levels."""
    if PUBLIC in levels:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role == ADMIN or STAFF in levels:
        return True
    return bool(user.role in levels)


def enforce_access() -> WerkzeugResponse | None:
    """before_request hook: refuse what the declared access does not allow."""
    if request.endpoint is None:
        return None  # 404/405 follow
    levels = declared_access(current_app, request.endpoint)
    if levels is None:
        current_app.logger.error("Route %s has no access declaration", request.endpoint)
        abort(403)
    if allows(levels, current_user):
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    abort(403)
