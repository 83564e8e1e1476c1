"""One rule for which municipalities a staff member may see and act on.

Plain functions over a user's role and municipality codes, used by every view that
loads results, rounds, service-test rounds or exports. Admins reach every municipality;
planners (and callers) only those assigned to their account.

Shared rounds (a round that runs in municipalities of several planners):
- a planner *sees* a round when it includes at least one of their municipalities, and
  sees figures only for their own municipalities in it;
- a planner *changes* a round (edit, open, pause, close, add or remove municipalities)
  only when every municipality of the round is theirs; a round shared with another
  planner's municipality is changed by an admin;
- a planner makes invitations only for their own municipalities, in any round they see.

The same holds for service-test rounds (planned, changed and locked by admins only).
The README's "Access" section says this for operators.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Protocol

ADMIN_ROLE = "admin"


class StaffMember(Protocol):
    role: str

    def municipality_codes(self) -> set[str]: ...


def is_admin(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role == ADMIN_ROLE


def visible_codes(user: Any) -> frozenset[str] | None:
    """The municipality codes a user may see; None means every municipality (admins)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if user.role == ADMIN_ROLE:
        return None
    return frozenset(user.municipality_codes())


def may_see(user: Any, code: str) -> bool:
    """Whether a user may see one municipality's figures."""
    codes = visible_codes(user)
    return codes is None or code in codes


def may_see_any(user: Any, codes: Collection[str]) -> bool:
    """Whether a user may see something of a round running in ``codes``."""
    own = visible_codes(user)
    return own is None or bool(own & set(codes))


def may_see_owned(user: Any, owner_code: str | None) -> bool:
    """Whether a user may see and use something a municipality owns (None: national).

    A questionnaire uploaded for one municipality is that municipality's: its planners
    (and admins) see it, choose it for rounds and download it; other planners do not.
    """
    return owner_code is None or may_see(user, owner_code)


def may_change(user: Any, codes: Collection[str]) -> bool:
    """Whether a user may change a round running in ``codes`` (all of them theirs)."""
    own = visible_codes(user)
    return own is None or (bool(codes) and set(codes) <= own)


def restrict(user: Any, codes: Collection[str]) -> list[str]:
    """The part of ``codes`` this user may see, in the order given."""
    own = visible_codes(user)
    return [c for c in codes if own is None or c in own]
