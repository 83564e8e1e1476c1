"""API tokens: random, shown once, stored as SHA-256, scoped to their owner, revocable,
with an expiry. Creation and revocation are in the audit trail; every use is logged in
``api_token_use``. These functions add and flush; the caller commits."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from surveyapp.accounts.models import User
from surveyapp.api.models import ApiToken, ApiTokenUse
from surveyapp.audit.operations import record
from surveyapp.extensions import db
from surveyapp.timeutil import utcnow

PREFIX = "sapi_"  # recognisable in a leaked file or a secret scanner
ENTITY = "api_token"
ROLES = ("admin", "planner")
MAX_PATH = 300


class TokenError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(
    owner: User, name: str, days: int, max_days: int, now: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``owner``; returns it and the secret, which is never stored."""
    if owner.role not in ROLES or not owner.active:
        raise TokenError("not_allowed")
    name = name.strip()
    if not name or len(name) > 120:
        raise TokenError("bad_name")
    if not 1 <= days <= max_days:
        raise TokenError("bad_days")
    now = now or utcnow()
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        token_hash=hash_token(raw),
        name=name,
        owner_id=owner.id,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    record(
        owner.id,
        "create",
        ENTITY,
        token.id,
        new={"name": name, "owner": owner.id, "expires_at": token.expires_at.isoformat()},
    )
    return token, raw


def revoke_token(user_id: int | None, token: ApiToken, now: datetime | None = None) -> None:
    if token.revoked_at is not None:
        raise TokenError("already_revoked")
    token.revoked_at = now or utcnow()
    db.session.flush()
    record(user_id, "revoke", ENTITY, token.id, old={"revoked": False}, new={"revoked": True})


def find_token(raw: str, now: datetime | None = None) -> ApiToken | None:
    """The usable token with this secret: not revoked, not expired, its owner active."""
    if not raw.startswith(PREFIX) or len(raw) > 100:
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or not token.usable(now or utcnow()) or not token.owner.active:
        return None
    return token


def tokens_for(user: User) -> list[ApiToken]:
    """The tokens a user manages: their own; an administrator sees everyone's."""
    query = sa.select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if user.role != "admin":
        query = query.where(ApiToken.owner_id == user.id)
    return list(db.session.scalars(query))


def log_use(
    token_id: int, method: str, path: str, status: int, now: datetime | None = None
) -> None:
    """One row per request made with a token, and the token's last use."""
    moment = now or utcnow()
    db.session.add(
        ApiTokenUse(
            token_id=token_id, at=moment, method=method[:8], path=path[:MAX_PATH], status=status
        )
    )
    db.session.execute(
        sa.update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=moment)
    )


def uses_of(token: ApiToken, limit: int = 50) -> list[ApiTokenUse]:
    return list(
        db.session.scalars(
            sa.select(ApiTokenUse)
            .where(ApiTokenUse.token_id == token.id)
            .order_by(ApiTokenUse.at.desc(), ApiTokenUse.id.desc())
            .limit(limit)
        )
    )
