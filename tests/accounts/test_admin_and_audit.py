"""Admins manage accounts on a page; every change lands in the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.accounts.models import User
from surveyapp.audit.models import AuditEntry
from surveyapp.extensions import db


def test_admin_creates_and_edits_a_user_and_it_is_audited(
    client: FlaskClient, make_user: Callable[..., Any], login: Callable[[Any], FlaskClient]
) -> None:
    admin = make_user("admin")
    login(admin)
    response = client.post(
        "/admin/users/new",
        data={
            "email": "planlegger@kommune.no",
            "name": "Per Planlegger",
            "role": "planner",
            "municipalities": ["5501", "1804"],
            "password": "Sikkert-passord-2026",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "planlegger@kommune.no"))
    assert user is not None and user.municipality_codes() == {"5501", "1804"}

    response = client.post(
        f"/admin/users/{user.id}",
        data={
            "name": "Per Planlegger",
            "role": "caller",
            "municipalities": ["5501"],
            "active": "y",
            "password": "",
        },
    )
    assert response.status_code == 302
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity_type == "user", AuditEntry.entity_id == str(user.id))
        .order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["create", "update"]
    assert all(e.user_id == admin.id for e in entries)
    assert entries[1].old_value == {"municipalities": ["1804", "5501"], "role": "planner"}
    assert entries[1].new_value == {"municipalities": ["5501"], "role": "caller"}

    page = client.get("/admin/audit?lang=en").get_data(as_text=True)
    assert admin.email in page
    assert '{"municipalities": ["5501"], "role": "caller"}' in page


def test_admin_form_refuses_weak_password_with_message(
    client: FlaskClient, make_user: Callable[..., Any], login: Callable[[Any], FlaskClient]
) -> None:
    login(make_user("admin"))
    response = client.post(
        "/admin/users/new?lang=en",
        data={"email": "x@kommune.no", "name": "X", "role": "planner", "password": "qwerty"},
    )
    assert response.status_code == 200
    assert b"at least 12 characters" in response.data
    assert db.session.scalar(sa.select(User).where(User.email == "x@kommune.no")) is None


def test_password_set_by_cli_is_audited_without_the_password(
    runner: Any, make_user: Callable[..., Any]
) -> None:
    user = make_user("caller")
    result = runner.invoke(
        args=[
            "users",
            "set-password",
            "--email",
            user.email,
            "--password",
            "Et-helt-nytt-passord-5",
        ]
    )
    assert result.exit_code == 0, result.output
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "set_password")
    ).one()
    assert entry.user_id is None
    assert "Et-helt-nytt" not in str(entry.new_value)
