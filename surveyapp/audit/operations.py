"""Record audit entries; adds to the session, never commits."""

from __future__ import annotations

from typing import Any

from surveyapp.audit.models import AuditEntry
from surveyapp.extensions import db


def record(
    user_id: int | None,
    action: str,
    entity_type: str,
    entity_id: object,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry for a staff change; only the fields that changed are kept."""
    if old is not None and new is not None:
        changed = {k for k in set(old) | set(new) if old.get(k) != new.get(k)}
        old = {k: old.get(k) for k in sorted(changed)}
        new = {k: new.get(k) for k in sorted(changed)}
    entry = AuditEntry(
        user_id=user_id,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        old_value=old,
        new_value=new,
    )
    db.session.add(entry)
    return entry
