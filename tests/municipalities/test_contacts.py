"""Municipality contact details: the CSV load (all or nothing, line numbers), the admin
page, and the links on the call sheet."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner

from surveyapp.audit.models import AuditEntry
from surveyapp.extensions import db
from surveyapp.municipalities.contact_details import (
    ContactFileError,
    ContactRow,
    display_phone,
    normalise_phone,
    parse_contacts,
)
from surveyapp.municipalities.contacts import MunicipalityContact, reach, shared_phone_units
from surveyapp.questionnaires.store import latest_version
from surveyapp.servicetest import operations, planning
from surveyapp.servicetest.models import TestAssignment
from surveyapp.servicetest.units import load_units

GOOD = (
    "code,phone,email,website\n"
    "5501,77 79 00 00,postmottak@tromso.kommune.no,https://tromso.kommune.no/\n"
    "0301,+47 21 80 21 80,postmottak@oslo.kommune.no,https://www.oslo.kommune.no\n"
    "1804,,,\n"
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("77 79 00 00", "+4777790000"),
        ("+47 77-79-00-00", "+4777790000"),
        ("0047 77790000", "+4777790000"),
        ("+46 8 123 456 78", "+46812345678"),
        ("", None),
    ],
)
def test_phone_numbers_are_stored_in_e164(typed: str, stored: str | None) -> None:
    assert normalise_phone(typed) == (stored, None)


@pytest.mark.parametrize("typed", ["7779000", "77 79 00 00 1", "+47", "phone", "٧٧٧٩٠٠٠٠"])
def test_bad_phone_numbers(typed: str) -> None:
    assert normalise_phone(typed) == (None, "phone")


def test_display_phone() -> None:
    assert display_phone("+4777790000") == "+47 77 79 00 00"
    assert display_phone("+46812345678") == "+46812345678"


def test_a_bad_file_names_every_bad_line() -> None:
    bad = (
        "code,phone,email,website\n"
        "5501,77 79 00 00,postmottak@tromso.kommune.no,https://tromso.kommune.no/\n"
        "9999,77 79 00 00,a@b.no,https://x.no\n"
        "0301,12345,postmottak@oslo,ftp://oslo.kommune.no\n"
        "5501,,,\n"
        "1804,1,2\n"
    )
    with pytest.raises(ContactFileError) as error:
        parse_contacts(bad.encode(), "k.csv", {"5501", "0301", "1804"})
    assert error.value.problems == [
        "line 3: '9999' is not a municipality in the register or a test unit",
        "line 4: the phone number must be 8 digits or +country code and 7–15 digits",
        "line 4: the e-mail address is not valid",
        "line 4: the web address must start with http:// or https:// and name a host",
        "line 5: 5501 appears twice (first on line 2)",
        "line 6: expected 4 columns",
    ]
    with pytest.raises(ContactFileError, match="line 1: expected columns"):
        parse_contacts(b"code;phone\n5501;1\n", "k.csv", {"5501"})


def test_the_command_loads_all_or_nothing(
    runner: FlaskCliRunner, register: None, tmp_path: Path
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(GOOD.replace("1804,,,", "1804,12,,"), encoding="utf-8")
    result = runner.invoke(args=["municipalities", "contacts", str(path)])
    assert result.exit_code == 1
    assert "nothing was loaded" in result.output and "line 4: the phone number" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MunicipalityContact)) == 0

    path.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(args=["municipalities", "contacts", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 added, 0 changed" in result.output
    tromso = db.session.get(MunicipalityContact, ("5501", ""))
    assert tromso is not None
    assert (tromso.phone, tromso.email, tromso.website) == (
        "+4777790000",
        "postmottak@tromso.kommune.no",
        "https://tromso.kommune.no/",
    )
    again = runner.invoke(args=["municipalities", "contacts", str(path)])
    assert "0 added, 0 changed" in again.output
    audited = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "municipality")
    ).all()
    assert len(audited) == 3


def test_an_admin_edits_one_municipality(
    client: FlaskClient, make_user: Callable[..., Any], login: Callable[[Any], FlaskClient]
) -> None:
    admin = make_user("admin")
    login(admin)
    assert "Tromsø" in client.get("/admin/municipalities?lang=en").get_data(as_text=True)
    html = client.post(
        "/admin/municipalities/5501/contact",
        data={"phone": "77 79", "email": "postmottak@", "website": "tromso.kommune.no"},
    ).get_data(as_text=True)
    assert "Write 8 digits, or + and the country code and 7–15 digits." in html
    assert "This is not a valid e-mail address." in html
    assert "Write a web address starting with https:// (or http://)." in html
    assert db.session.get(MunicipalityContact, ("5501", "")) is None
    response = client.post(
        "/admin/municipalities/5501/contact",
        data={
            "phone": "77 79 00 00",
            "email": "postmottak@tromso.kommune.no",
            "website": "https://tromso.kommune.no",
        },
    )
    assert response.status_code == 302
    stored = db.session.get(MunicipalityContact, ("5501", ""))
    assert stored is not None and stored.phone == "+4777790000"
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "contact")).one()
    assert entry.user_id == admin.id and entry.new_value["phone"] == "+4777790000"
    page = client.get("/admin/municipalities/5501/contact").get_data(as_text=True)
    assert 'value="+4777790000"' in page


def test_planners_and_callers_may_not_edit(
    client: FlaskClient, make_user: Callable[..., Any], login: Callable[[Any], FlaskClient]
) -> None:
    login(make_user("planner", municipalities=["5501"]))
    assert client.get("/admin/municipalities").status_code == 403
    assert client.post("/admin/municipalities/5501/contact", data={}).status_code == 403


def test_the_call_sheet_links_the_contact_details(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    questionnaires: None,
) -> None:
    callers = [make_user("caller"), make_user("caller")]
    protocol = latest_version("servicetest-protocol")
    assert protocol is not None
    test_round = operations.plan(
        None,
        title="T",
        protocol=protocol,
        year=2026,
        starts_on=date(2026, 9, 7),
        ends_on=date(2026, 9, 25),
        municipalities=["5501"],
        callers=[c.id for c in callers],
        seed=1,
        selection={"mode": "list"},
    )
    db.session.add(
        MunicipalityContact(
            municipality_code="5501",
            phone="+4777790000",
            email="postmottak@tromso.kommune.no",
            website="https://tromso.kommune.no/",
        )
    )
    db.session.commit()
    call = db.session.scalars(
        sa.select(TestAssignment).where(
            TestAssignment.test_round_id == test_round.id, TestAssignment.channel == "phone"
        )
    ).first()
    assert call is not None
    login(next(c for c in callers if c.id == call.caller_id))
    html = client.get(f"/calls/{call.id}?lang=en").get_data(as_text=True)
    assert re.search(r'<a href="tel:\+4777790000"[^>]*>\+47 77 79 00 00</a>', html)
    assert 'href="mailto:postmottak@tromso.kommune.no"' in html
    assert 'href="https://tromso.kommune.no/"' in html
    assert "fictitious" not in html
    db.session.get(MunicipalityContact, ("5501", "")).is_fictitious = True  # type: ignore[union-attr]
    db.session.commit()
    html = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Demo data: these contact details are fictitious and reach nobody." in html


# --------------------------------------------------------------------------- test units


def test_a_file_row_may_name_a_test_unit() -> None:
    text = (
        "code,phone,email,website\n"
        "0301,21 80 21 80,postmottak@oslo.kommune.no,https://www.oslo.kommune.no\n"
        "030101,,postmottak@bga.oslo.kommune.no,https://www.oslo.kommune.no/bydeler/gamle-oslo\n"
    )
    rows = parse_contacts(text.encode(), "k.csv", {"0301"}, {"030101": "0301"})
    assert rows[1] == ContactRow(
        "0301",
        None,
        "postmottak@bga.oslo.kommune.no",
        "https://www.oslo.kommune.no/bydeler/gamle-oslo",
        "030101",
    )
    with pytest.raises(ContactFileError) as error:
        parse_contacts(text.replace("030101", "030199").encode(), "k.csv", {"0301"}, {})
    assert error.value.problems == [
        "line 3: '030199' is not a municipality in the register or a test unit"
    ]


def _oslo_with_districts(runner: FlaskCliRunner, tmp_path: Path) -> None:
    """Oslo's switchboard and e-mail; Gamle Oslo with its own e-mail and web page only,
    Grünerløkka with a number of its own."""
    load_units()
    db.session.commit()
    path = tmp_path / "contacts.csv"
    path.write_text(
        "code,phone,email,website\n"
        "0301,21 80 21 80,postmottak@oslo.kommune.no,https://www.oslo.kommune.no\n"
        "030101,,postmottak@bga.oslo.kommune.no,https://www.oslo.kommune.no/bydeler/gamle-oslo\n"
        "030102,23 43 00 00,,\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["municipalities", "contacts", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 added, 0 changed" in result.output


def test_a_district_is_reached_through_its_own_details_and_else_oslos(
    runner: FlaskCliRunner, register: None, tmp_path: Path
) -> None:
    _oslo_with_districts(runner, tmp_path)
    gamle_oslo = reach("0301", "030101")
    assert gamle_oslo is not None
    assert (gamle_oslo.phone, gamle_oslo.phone_shared) == ("+4721802180", True)
    assert (gamle_oslo.email, gamle_oslo.email_shared) == ("postmottak@bga.oslo.kommune.no", False)
    grunerlokka = reach("0301", "030102")
    assert grunerlokka is not None
    assert (grunerlokka.phone, grunerlokka.phone_shared) == ("+4723430000", False)
    assert (grunerlokka.email, grunerlokka.email_shared) == ("postmottak@oslo.kommune.no", True)
    oslo = reach("0301")
    assert oslo is not None and not (oslo.phone_shared or oslo.email_shared)
    # Only a district the sheet gives Oslo's number counts its calls with Oslo's.
    assert shared_phone_units([("0301", "030101"), ("0301", "030102"), ("0301", "030103")]) == {
        "030101",
        "030103",
    }
    assert reach("1804") is None


def test_an_admin_edits_a_districts_details(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    runner: FlaskCliRunner,
    register: None,
    tmp_path: Path,
) -> None:
    _oslo_with_districts(runner, tmp_path)
    admin = make_user("admin")
    login(admin)
    listing = client.get("/admin/municipalities?lang=en").get_data(as_text=True)
    row = listing.split('id="m-030101"', 1)[1].split("</tr>", 1)[0]
    assert "as Oslo" in row and "postmottak@bga.oslo.kommune.no" in row
    assert "/admin/municipalities/0301/units/030101/contact" in row
    assert client.get("/admin/municipalities/1804/units/030101/contact").status_code == 404
    assert client.get("/admin/municipalities/0301/units/999999/contact").status_code == 404
    form = client.get("/admin/municipalities/0301/units/030101/contact?lang=en")
    assert "+47 21 80 21 80" in form.get_data(as_text=True)  # what an empty field falls back to
    response = client.post(
        "/admin/municipalities/0301/units/030101/contact",
        data={"phone": "23 43 10 00", "email": "", "website": ""},
    )
    assert response.status_code == 302 and response.location.endswith("#m-030101")
    stored = db.session.get(MunicipalityContact, ("0301", "030101"))
    assert stored is not None and (stored.phone, stored.email) == ("+4723431000", None)
    assert db.session.get(MunicipalityContact, ("0301", "")).phone == "+4721802180"  # type: ignore[union-attr]
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity_type == "test_unit", AuditEntry.entity_id == "030101")
        .order_by(AuditEntry.id)
    ).all()
    assert [e.user_id for e in entries] == [None, admin.id]  # the file, then the admin
    assert entries[-1].new_value["phone"] == "+4723431000"


def test_a_districts_call_sheet_shows_its_details_and_oslos_shared_number(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    runner: FlaskCliRunner,
    questionnaires: None,
    tmp_path: Path,
) -> None:
    _oslo_with_districts(runner, tmp_path)
    callers = [make_user("caller") for _ in range(3)]
    protocol = latest_version("servicetest-protocol")
    assert protocol is not None
    test_round = operations.plan(
        None,
        title="Bydeler",
        protocol=protocol,
        year=2026,
        starts_on=date(2026, 9, 7),
        ends_on=date(2027, 6, 30),
        municipalities=["0301"],
        callers=[c.id for c in callers],
        seed=1,
        selection={"mode": "list"},
        units={"0301": ["030101", "030102"]},
    )
    db.session.commit()
    calls = {
        a.unit_code: a
        for a in db.session.scalars(
            sa.select(TestAssignment).where(
                TestAssignment.test_round_id == test_round.id, TestAssignment.channel == "phone"
            )
        )
    }
    call = calls["030101"]
    login(next(c for c in callers if c.id == call.caller_id))
    html = client.get(f"/calls/{call.id}?lang=en").get_data(as_text=True)
    section = html.split('id="contact-heading"', 1)[1].split("</section>", 1)[0]
    assert re.search(r'href="tel:\+4721802180"[^>]*>\+47 21 80 21 80</a> <span', section)
    assert "(shared with Oslo - Oslove)" in section
    assert 'href="mailto:postmottak@bga.oslo.kommune.no"' in section
    assert "postmottak@oslo.kommune.no" not in section
    nynorsk = client.get(f"/calls/{call.id}?lang=nn").get_data(as_text=True)
    assert "(felles med Oslo - Oslove)" in nynorsk


def test_calls_to_a_shared_switchboard_count_together(
    questionnaires: None, runner: FlaskCliRunner, tmp_path: Path, make_user: Callable[..., Any]
) -> None:
    """Gamle Oslo's calls go to Oslo's switchboard (it has no number of its own), so
    Oslo's own calls and Gamle Oslo's share the day's limit; Grünerløkka's do not."""
    _oslo_with_districts(runner, tmp_path)
    protocol = latest_version("servicetest-protocol")
    assert protocol is not None
    rules = operations.protocol_in(protocol)
    targets, parent = operations.planning_targets(["0301"], {"0301": ["030101", "030102"]})
    lines = operations.switchboards(parent)
    assert lines == {"030101": "0301"}
    targets.append("0301")  # Oslo itself beside its districts, as a worst case
    callers = [-1, -2, -3]
    plan = planning.plan_round(
        rules, targets, callers, date(2026, 9, 7), date(2026, 12, 18), seed=2, switchboard=lines
    )
    assert (
        planning.check_plan(plan, rules, planning.DEFAULT_DAILY_CAP, lines)[
            "municipality_calls_per_day"
        ]
        == 0
    )
    per_day: dict[tuple[str, date], int] = {}
    for contact in plan:
        if contact.channel == "phone":
            key = (lines.get(contact.municipality, contact.municipality), contact.due_at.date())
            per_day[key] = per_day.get(key, 0) + 1
    assert max(per_day.values()) == 1
    # Planned as if every district had its own line, Oslo's switchboard gets two a day.
    apart = planning.plan_round(rules, targets, callers, date(2026, 9, 7), date(2026, 9, 25), 2)
    assert (
        planning.check_plan(apart, rules, planning.DEFAULT_DAILY_CAP, lines)[
            "municipality_calls_per_day"
        ]
        > 0
    )
    with pytest.raises(planning.PlanDoesNotFit) as refused:
        planning.plan_round(
            rules, targets, callers, date(2026, 9, 7), date(2026, 9, 25), 2, switchboard=lines
        )
    calls_each = sum(1 for s in rules.scenarios for way in s.channels if way == "phone")
    assert refused.value.shortfall.days_needed == 2 * calls_each  # Oslo's and Gamle Oslo's


@pytest.mark.parametrize(
    "command",
    [
        ["municipalities", "contacts"],
        ["municipalities", "bands"],
        ["municipalities", "load"],
        ["municipalities", "changes"],
        ["peers", "import"],
    ],
)
def test_a_file_too_large_is_refused_before_it_is_read(
    runner: FlaskCliRunner, register: None, tmp_path: Path, command: list[str]
) -> None:
    """A wrong path (a dump, a video) gets one sentence, not minutes of parsing: every
    command that loads a file reads at most 10 MB."""
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.truncate(11 * 1024 * 1024)  # sparse: no disk needed
    result = runner.invoke(args=[*command, str(path)])
    assert result.exit_code != 0
    assert "the file is 11,534,336 bytes; at most 10,485,760 bytes (10 MB)" in result.output
    assert "Traceback" not in result.output
