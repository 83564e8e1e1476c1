"""Planners' peer groups: look-ups and changes. Changes add, flush and audit; the caller
commits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from surveyapp.accounts.access import ADMIN
from surveyapp.audit.operations import record
from surveyapp.extensions import db
from surveyapp.municipalities.lookup import old_number
from surveyapp.municipalities.models import Municipality
from surveyapp.results.models import PeerGroup, peer_group_member

ENTITY = "peer_group"
MAX_NAME_LENGTH = 120  # the column's length


class GroupError(ValueError):
    """A refused change; ``problems`` are message keys for the page."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(", ".join(problems))


class GroupNotFound(LookupError):
    """No such group, or the user may not see it (the two look the same on purpose)."""


def peer_groups_for(user: Any) -> list[PeerGroup]:
    """The user's own saved groups by name, members loaded."""
    return list(
        db.session.scalars(
            sa.select(PeerGroup)
            .options(selectinload(PeerGroup.members))
            .where(PeerGroup.owner_id == user.id)
            .order_by(PeerGroup.name, PeerGroup.id)
        )
    )


def visible_group(group_id: int, user: Any) -> PeerGroup | None:
    """The group if it exists and the user owns it or is an admin; None otherwise."""
    group = db.session.scalar(
        sa.select(PeerGroup)
        .options(selectinload(PeerGroup.members))
        .where(PeerGroup.id == group_id)
    )
    if group is None or (group.owner_id != user.id and user.role != ADMIN):
        return None
    return group


def members_of(group_id: int, user: Any) -> list[str]:
    """Municipality numbers of a group the user may see, sorted.

    Raises ``GroupNotFound`` when the group does not exist or belongs to someone else
    (admins may read every group).
    """
    if visible_group(group_id, user) is None:
        raise GroupNotFound(group_id)
    return list(
        db.session.scalars(
            sa.select(peer_group_member.c.municipality_code)
            .where(peer_group_member.c.group_id == group_id)
            .order_by(peer_group_member.c.municipality_code)
        )
    )


def create_group(actor_id: int, name: str, codes: Iterable[str]) -> PeerGroup:
    """A new group owned by the acting user."""
    name = name.strip()
    problems = _name_problems(actor_id, name, None)
    members, member_problems = _municipalities(codes)
    problems += member_problems
    if problems:
        raise GroupError(problems)
    group = PeerGroup(owner_id=actor_id, name=name)
    group.members = members
    db.session.add(group)
    db.session.flush()
    record(actor_id, "create", ENTITY, group.id, None, {"owner_id": actor_id, **_snapshot(group)})
    return group


def update_group(actor_id: int, group: PeerGroup, name: str, codes: Iterable[str]) -> None:
    """Rename a group and replace its members; names stay unique per owner."""
    name = name.strip()
    problems = _name_problems(group.owner_id, name, group.id)
    members, member_problems = _municipalities(codes)
    problems += member_problems
    if problems:
        raise GroupError(problems)
    before = _snapshot(group)
    group.name = name
    group.members = members
    db.session.flush()
    after = _snapshot(group)
    if after != before:
        record(actor_id, "update", ENTITY, group.id, before, after)


def delete_group(actor_id: int, group: PeerGroup) -> None:
    record(actor_id, "delete", ENTITY, group.id, {"owner_id": group.owner_id, **_snapshot(group)})
    db.session.delete(group)
    db.session.flush()


def _snapshot(group: PeerGroup) -> dict[str, Any]:
    return {"name": group.name, "members": sorted(m.code for m in group.members)}


def _name_problems(owner_id: int, name: str, group_id: int | None) -> list[str]:
    if not name:
        return ["no_name"]
    if len(name) > MAX_NAME_LENGTH:
        return ["name_too_long"]
    # Compared in Python: SQLite's lower() leaves Æ, Ø and Å alone.
    others = db.session.execute(
        sa.select(PeerGroup.id, PeerGroup.name).where(PeerGroup.owner_id == owner_id)
    )
    wanted = name.casefold()
    if any(other_id != group_id and other.casefold() == wanted for other_id, other in others):
        return ["name_taken"]
    return []


def _municipalities(codes: Iterable[str]) -> tuple[list[Municipality], list[str]]:
    wanted = sorted({code.strip() for code in codes if code.strip()})
    if not wanted:
        return [], ["no_members"]
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
        problems.append(f"unknown_municipality:{', '.join(unknown)}")
    return found, problems
