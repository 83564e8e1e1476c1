"""Store, replace and remove coats of arms; add and flush, audited; the view commits.

The file goes to the file store first; the row that points to it is written in the
request's transaction. A replaced or removed file is deleted only after the commit
(``delete_files``), so a failed commit never leaves a row without its file.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from surveyapp.audit.operations import record
from surveyapp.branding.arms import CleanArms
from surveyapp.branding.models import CoatOfArms
from surveyapp.extensions import db
from surveyapp.municipalities.models import Municipality
from surveyapp.storage import FileStore

ENTITY = "coat_of_arms"


@dataclass(frozen=True)
class Brand:
    """What a citizen page shows about a municipality: its name and coat of arms."""

    code: str
    name: str
    arms_version: str | None  # part of the image URL, so a new upload is fetched afresh


_BRAND = (
    sa.select(Municipality.code, Municipality.name, CoatOfArms.file_key)
    .outerjoin(CoatOfArms, CoatOfArms.municipality_code == Municipality.code)
    .where(Municipality.code == sa.bindparam("code"))
)


def brand(code: str | None) -> Brand | None:
    """The municipality's name and whether it has a coat of arms (one query)."""
    if not code:
        return None
    row = db.session.connection().execute(_BRAND, {"code": code}).one_or_none()
    if row is None:
        return None
    return Brand(row.code, row.name, row.file_key[:8] if row.file_key else None)


def arms_of(code: str) -> CoatOfArms | None:
    return db.session.get(CoatOfArms, code)


def all_arms() -> list[tuple[CoatOfArms, Municipality]]:
    rows = db.session.execute(
        sa.select(CoatOfArms, Municipality).join(
            Municipality, Municipality.code == CoatOfArms.municipality_code
        )
    )
    return [(arms, municipality) for arms, municipality in rows]


def store_arms(
    actor_id: int | None, code: str, cleaned: CleanArms, store: FileStore
) -> tuple[CoatOfArms, str | None]:
    """Give the municipality this coat of arms; returns the row and the key of the file
    it replaced (delete that after the commit)."""
    key = store.put(cleaned.data, cleaned.suffix)
    existing = arms_of(code)
    replaced = existing.file_key if existing else None
    if existing is None:
        existing = CoatOfArms(municipality_code=code)
        db.session.add(existing)
    existing.file_key = key
    existing.content_type = cleaned.content_type
    existing.byte_size = len(cleaned.data)
    existing.uploaded_by_id = actor_id
    record(
        actor_id,
        "replace" if replaced else "create",
        ENTITY,
        code,
        None,
        {"content_type": cleaned.content_type, "bytes": len(cleaned.data)},
    )
    db.session.flush()
    return existing, replaced


def remove_arms(actor_id: int | None, code: str) -> str | None:
    """Remove the municipality's coat of arms; the key of its file (delete after commit)."""
    existing = arms_of(code)
    if existing is None:
        return None
    key = existing.file_key
    db.session.delete(existing)
    record(actor_id, "delete", ENTITY, code, {"content_type": existing.content_type}, None)
    db.session.flush()
    return key
