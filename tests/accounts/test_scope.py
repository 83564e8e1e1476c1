"""The one rule for which municipalities a staff member may see and change."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from surveyapp.accounts import scope


@dataclass
class Member:
    role: str
    codes: set[str] = field(default_factory=set)
    is_authenticated: bool = True

    def municipality_codes(self) -> set[str]:
        return set(self.codes)


ADMIN = Member("admin")
TROMSO = Member("planner", {"5501"})
BOTH = Member("planner", {"5501", "1804"})
NOBODY = Member("planner", set(), is_authenticated=False)


def test_admins_see_every_municipality_and_visitors_none() -> None:
    assert scope.visible_codes(ADMIN) is None
    assert scope.visible_codes(NOBODY) == frozenset()
    assert scope.visible_codes(TROMSO) == frozenset({"5501"})
    assert scope.is_admin(ADMIN) and not scope.is_admin(TROMSO) and not scope.is_admin(NOBODY)


@pytest.mark.parametrize(
    ("user", "codes", "sees", "changes"),
    [
        (TROMSO, ["5501"], True, True),
        (TROMSO, ["5501", "1804"], True, False),  # shared with Bodø: an admin changes it
        (TROMSO, ["1804"], False, False),
        (TROMSO, [], False, False),
        (BOTH, ["5501", "1804"], True, True),
        (ADMIN, ["5501", "1804"], True, True),
        (ADMIN, [], True, True),
        (NOBODY, ["5501"], False, False),
    ],
)
def test_who_sees_and_who_changes_a_round(
    user: Member, codes: list[str], sees: bool, changes: bool
) -> None:
    assert scope.may_see_any(user, codes) is sees
    assert scope.may_change(user, codes) is changes


def test_figures_are_restricted_to_own_municipalities_in_the_order_given() -> None:
    assert scope.restrict(TROMSO, ["1804", "5501", "0301"]) == ["5501"]
    assert scope.restrict(ADMIN, ["1804", "5501"]) == ["1804", "5501"]
    assert scope.may_see(TROMSO, "5501") and not scope.may_see(TROMSO, "1804")
    assert scope.may_see(ADMIN, "1804") and not scope.may_see(NOBODY, "5501")
