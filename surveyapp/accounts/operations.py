"""Account changes. Each adds to the session and audits; the caller commits."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from surveyapp.accounts.models import ROLES, User
from surveyapp.accounts.passwords import hash_password, policy_problems
from surveyapp.accounts.session import end_all_sessions
from surveyapp.audit.operations import record
from surveyapp.extensions import db
from surveyapp.municipalities.lookup import old_number
from surveyapp.municipalities.models import Municipality


class AccountError(ValueError):
    """A refused account change; ``problems`` are message keys for the UI."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(", ".join(problems))


def _snapshot(user: User) -> dict[str, object]:
    return {
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "active": user.active,
        "municipalities": sorted(user.municipality_codes()),
        "raw_data": bool(user.raw_data),
    }


def find_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def _municipalities(codes: Iterable[str]) -> list[Municipality]:
    wanted = sorted(set(codes))
    if not wanted:
        return []
    found = list(
        db.session.scalars(
            sa.select(Municipality).where(Municipality.code.in_(wanted), Municipality.current)
        )
    )
    missing = set(wanted) - {m.code for m in found}
    former = sorted(code for code in missing if old_number(code) is not None)
    unknown = sorted(missing - set(former))
    problems = [f"former_municipality:{code}" for code in former]
    if unknown:
        problems.append(f"unknown_municipality:{','.join(unknown)}")
    if problems:
        raise AccountError(problems)
    return found


def create_user(
    actor_id: int | None,
    email: str,
    name: str,
    role: str,
    password: str,
    municipality_codes: Iterable[str] = (),
    is_demo: bool = False,
    raw_data: bool = False,
) -> User:
    email = email.strip().lower()
    problems = []
    if role not in ROLES:
        problems.append("unknown_role")
    if "@" not in email or len(email) > 254:
        problems.append("bad_email")
    elif find_by_email(email) is not None:
        problems.append("email_taken")
    problems += policy_problems(password, email, name)
    if problems:
        raise AccountError(problems)
    user = User(
        email=email,
        name=name.strip() or email,
        role=role,
        password_hash=hash_password(password),
        active=True,
        is_demo=is_demo,
        raw_data=raw_data,
    )
    user.municipalities = _municipalities(municipality_codes)
    db.session.add(user)
    db.session.flush()
    record(actor_id, "create", "user", user.id, None, _snapshot(user))
    return user


def set_password(actor_id: int | None, user: User, password: str) -> None:
    """Set a new password and end every session of the user."""
    problems = policy_problems(password, user.email, user.name)
    if problems:
        raise AccountError(problems)
    user.password_hash = hash_password(password)
    end_all_sessions(user)
    db.session.flush()
    record(actor_id, "set_password", "user", user.id, None, {"password": "changed"})


def update_user(
    actor_id: int | None,
    user: User,
    *,
    name: str,
    role: str,
    active: bool,
    municipality_codes: Iterable[str],
    raw_data: bool | None = None,
) -> None:
    """Change an account; ``raw_data`` None leaves the raw-data right as it is."""
    if role not in ROLES:
        raise AccountError(["unknown_role"])
    before = _snapshot(user)
    user.name = name.strip() or user.email
    if user.role != role or (user.active and not active):
        end_all_sessions(user)  # a changed role or a deactivation ends sessions
    user.role = role
    user.active = active
    if raw_data is not None:
        user.raw_data = raw_data
    user.municipalities = _municipalities(municipality_codes)
    db.session.flush()
    after = _snapshot(user)
    if after != before:
        record(actor_id, "update", "user", user.id, before, after)


def deactivate(actor_id: int | None, user: User) -> None:
    update_user(
        actor_id,
        user,
        name=user.name,
        role=user.role,
        active=False,
        municipality_codes=user.municipality_codes(),
    )
