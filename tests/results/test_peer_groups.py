"""Planners save named peer groups on their own pages; nobody else sees them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.audit.models import AuditEntry
from surveyapp.extensions import db
from surveyapp.results.groups import GroupNotFound, members_of, peer_groups_for
from surveyapp.results.models import PeerGroup

Login = Callable[[Any], FlaskClient]


def switch_user(client: FlaskClient, login: Login, user: Any) -> None:
    """Log the current user out and another in, on the same client."""
    assert client.post("/logout").status_code == 302
    login(user)


def group_named(name: str) -> PeerGroup | None:
    return db.session.scalar(sa.select(PeerGroup).where(PeerGroup.name == name))


def audit_of(group_id: int) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.entity_type == "peer_group", AuditEntry.entity_id == str(group_id))
            .order_by(AuditEntry.id)
        )
    )


@pytest.fixture
def planner(make_user: Callable[..., Any]) -> Any:
    return make_user("planner", municipalities=["5501"])


@pytest.fixture
def saved_group(client: FlaskClient, planner: Any, login: Login) -> PeerGroup:
    """A group the planner created through the page."""
    login(planner)
    response = client.post(
        "/peer-groups/new",
        data={"name": "Nordnorske byer", "members": ["1804", "5501"], "codes": "1806"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    group = group_named("Nordnorske byer")
    assert group is not None
    return group


def test_a_planner_creates_a_group_and_sees_it_listed(
    client: FlaskClient, planner: Any, saved_group: PeerGroup
) -> None:
    assert saved_group.owner_id == planner.id
    assert [m.code for m in saved_group.members] == ["1804", "1806", "5501"]

    page = client.get("/peer-groups?lang=en").get_data(as_text=True)
    assert "Nordnorske byer" in page
    assert "<td>3</td>" in page
    assert "Bodø, Narvik, Tromsø" in page

    entries = audit_of(saved_group.id)
    assert [(e.action, e.user_id) for e in entries] == [("create", planner.id)]
    assert entries[0].new_value == {
        "owner_id": planner.id,
        "name": "Nordnorske byer",
        "members": ["1804", "1806", "5501"],
    }


def test_the_form_offers_every_municipality_grouped_by_county(
    client: FlaskClient, planner: Any, login: Login
) -> None:
    login(planner)
    page = client.get("/peer-groups/new?lang=en").get_data(as_text=True)
    # Checkboxes in one list per county (no Ctrl-click), and a field for typed numbers.
    assert "<select" not in page
    assert page.count('type="checkbox" name="members"') == 357
    assert page.count('<details class="picker-county"') == 15
    assert '<summary>Troms <span class="muted">(0 of 21 chosen)</span></summary>' in page
    assert '<input type="checkbox" name="members" id="m-5501" value="5501">' in page
    assert '<input type="text" id="codes" name="codes"' in page
    assert "Municipalities in the group" in page and "Ctrl" not in page


def test_a_planner_edits_the_group_and_the_change_is_audited(
    client: FlaskClient, planner: Any, saved_group: PeerGroup
) -> None:
    page = client.get(f"/peer-groups/{saved_group.id}?lang=en").get_data(as_text=True)
    assert 'value="Nordnorske byer"' in page
    assert 'name="members" id="m-1806" value="1806" checked' in page
    assert "Narvik" in page.split('id="picker-chosen"')[1].split("</div>")[0]  # shown as chosen

    response = client.post(
        f"/peer-groups/{saved_group.id}",
        data={"name": "Byer i nord", "members": ["5501"], "codes": "1804, 1806\n5001"},
    )
    assert response.status_code == 302
    assert members_of(saved_group.id, planner) == ["1804", "1806", "5001", "5501"]
    entries = audit_of(saved_group.id)
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].old_value == {
        "name": "Nordnorske byer",
        "members": ["1804", "1806", "5501"],
    }
    assert entries[1].new_value == {
        "name": "Byer i nord",
        "members": ["1804", "1806", "5001", "5501"],
    }


def test_saving_without_changes_adds_no_audit_entry(
    client: FlaskClient, saved_group: PeerGroup
) -> None:
    response = client.post(
        f"/peer-groups/{saved_group.id}",
        data={"name": "Nordnorske byer", "members": ["1804", "1806", "5501"]},
    )
    assert response.status_code == 302
    assert [e.action for e in audit_of(saved_group.id)] == ["create"]


def test_a_planner_deletes_the_group(
    client: FlaskClient, planner: Any, saved_group: PeerGroup
) -> None:
    group_id = saved_group.id
    response = client.post(f"/peer-groups/{group_id}/delete?lang=en")
    assert response.status_code == 302
    assert db.session.get(PeerGroup, group_id) is None
    entries = audit_of(group_id)
    assert [(e.action, e.user_id) for e in entries] == [
        ("create", planner.id),
        ("delete", planner.id),
    ]
    assert entries[1].old_value == {
        "owner_id": planner.id,
        "name": "Nordnorske byer",
        "members": ["1804", "1806", "5501"],
    }
    page = client.get("/peer-groups?lang=en").get_data(as_text=True)
    assert "The peer group Nordnorske byer is deleted." in page
    assert "Nordnorske byer</a>" not in page
    assert "You have no saved peer groups yet." in page


def test_another_planner_gets_404_and_changes_nothing(
    client: FlaskClient, make_user: Callable[..., Any], saved_group: PeerGroup, login: Login
) -> None:
    switch_user(client, login, make_user("planner", municipalities=["5501"]))
    url = f"/peer-groups/{saved_group.id}"
    assert client.get(url).status_code == 404
    assert client.post(url, data={"name": "Mine nå", "members": ["0301"]}).status_code == 404
    assert client.post(f"{url}/delete").status_code == 404
    assert client.get("/peer-groups/999999").status_code == 404
    assert "Nordnorske byer</a>" not in client.get("/peer-groups").get_data(as_text=True)
    group = db.session.get(PeerGroup, saved_group.id)
    assert group is not None and group.name == "Nordnorske byer"
    assert [e.action for e in audit_of(saved_group.id)] == ["create"]


def test_an_admin_may_see_and_edit_a_planners_group(
    client: FlaskClient, make_user: Callable[..., Any], saved_group: PeerGroup, login: Login
) -> None:
    admin = make_user("admin")
    switch_user(client, login, admin)
    assert client.get(f"/peer-groups/{saved_group.id}").status_code == 200
    response = client.post(
        f"/peer-groups/{saved_group.id}", data={"name": "Nordnorske byer", "members": ["5501"]}
    )
    assert response.status_code == 302
    assert audit_of(saved_group.id)[-1].user_id == admin.id
    assert members_of(saved_group.id, admin) == ["5501"]


def test_a_test_caller_may_not_use_the_pages(
    client: FlaskClient, make_user: Callable[..., Any], login: Login
) -> None:
    login(make_user("caller"))
    assert client.get("/peer-groups").status_code == 403
    assert client.post("/peer-groups/new", data={"name": "X", "codes": "0301"}).status_code == 403


def test_a_name_clash_is_a_form_error(
    client: FlaskClient, saved_group: PeerGroup, planner: Any
) -> None:
    response = client.post(
        "/peer-groups/new?lang=en", data={"name": "  nordnorske BYER ", "codes": "0301"}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "You already have a peer group with this name." in page
    assert 'href="#name"' in page  # in the error summary
    assert len(peer_groups_for(planner)) == 1


def test_renaming_onto_another_group_is_a_form_error(
    client: FlaskClient, saved_group: PeerGroup
) -> None:
    assert (
        client.post("/peer-groups/new", data={"name": "Vest", "codes": "4601"}).status_code == 302
    )
    other = group_named("Vest")
    assert other is not None
    response = client.post(
        f"/peer-groups/{other.id}?lang=en", data={"name": "Nordnorske byer", "codes": "4601"}
    )
    assert response.status_code == 200
    assert "You already have a peer group with this name." in response.get_data(as_text=True)
    db.session.refresh(other)
    assert other.name == "Vest"


def test_two_planners_may_use_the_same_name(
    client: FlaskClient, make_user: Callable[..., Any], saved_group: PeerGroup, login: Login
) -> None:
    other = make_user("planner")
    switch_user(client, login, other)
    response = client.post("/peer-groups/new", data={"name": "Nordnorske byer", "codes": "0301"})
    assert response.status_code == 302
    assert [g.name for g in peer_groups_for(other)] == ["Nordnorske byer"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Tom", "codes": ""}, "Choose at least one municipality."),
        (
            {"name": "Feil", "codes": "0301 301 abc"},
            "Not four-digit municipality numbers: 301, abc",
        ),
        ({"name": "Ukjent", "codes": "0301 9999"}, "Not in the municipality register: 9999"),
        ({"name": "Valgt", "members": ["9999"]}, "&#39;9999&#39; is not a valid choice"),
        ({"name": "", "codes": "0301"}, "Write a name for the group."),
        ({"name": "x" * 121, "codes": "0301"}, "Field cannot be longer than 120 characters."),
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_stored(
    client: FlaskClient, planner: Any, login: Login, data: dict[str, Any], message: str
) -> None:
    login(planner)
    response = client.post("/peer-groups/new?lang=en", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert 'class="error-summary"' in page
    assert peer_groups_for(planner) == []
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.entity_type == "peer_group")
        )
        == 0
    )


def test_helpers_for_the_dashboard(
    planner: Any, make_user: Callable[..., Any], saved_group: PeerGroup
) -> None:
    assert [g.id for g in peer_groups_for(planner)] == [saved_group.id]
    assert members_of(saved_group.id, planner) == ["1804", "1806", "5501"]
    stranger = make_user("planner")
    assert peer_groups_for(stranger) == []
    with pytest.raises(GroupNotFound):
        members_of(saved_group.id, stranger)
    with pytest.raises(GroupNotFound):
        members_of(999_999, planner)
