"""`flask municipalities changes`: the history stored all-or-nothing, and what old numbers say."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner

from surveyapp.extensions import db
from surveyapp.municipalities.models import Municipality, MunicipalityChange, MunicipalityPeriod
from surveyapp.servicetest.operations import select_municipalities

pytestmark = pytest.mark.storage

HEADER = "from_code,from_name,to_code,to_name,kind,valid_from\n"


def counts() -> tuple[int, int, int]:
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(MunicipalityChange)) or 0,
        db.session.scalar(sa.select(sa.func.count()).select_from(MunicipalityPeriod)) or 0,
        db.session.scalar(sa.select(sa.func.count()).select_from(Municipality)) or 0,
    )


def test_the_shipped_history_loads_and_keeps_former_numbers(
    backend: str, runner: FlaskCliRunner, register: None
) -> None:
    result = runner.invoke(args=["municipalities", "changes"])
    assert result.exit_code == 0, result.output
    assert "530 changes (530 new)" in result.output
    tromso = db.session.scalars(
        sa.select(MunicipalityPeriod)
        .where(MunicipalityPeriod.code.in_(["1902", "5401", "5501"]))
        .order_by(MunicipalityPeriod.code)
    ).all()
    assert [(p.code, p.valid_from, p.valid_to) for p in tromso] == [
        ("1902", None, date(2019, 12, 31)),
        ("5401", date(2020, 1, 1), date(2023, 12, 31)),
        ("5501", date(2024, 1, 1), None),
    ]
    old = db.session.get(Municipality, "1902")
    assert old is not None and not old.current and old.county_code == "19"
    assert db.session.scalar(sa.select(sa.func.count()).where(Municipality.current)) == 357
    # The register's lists offer today's municipalities only.
    assert len(select_municipalities("all")) == 357

    again = runner.invoke(args=["municipalities", "changes"])
    assert again.exit_code == 0 and "530 changes (0 new)" in again.output


def test_a_wrong_file_is_refused_whole(
    backend: str, runner: FlaskCliRunner, register: None, tmp_path: Path
) -> None:
    path = tmp_path / "changes.csv"
    path.write_text(
        HEADER
        + "1902,Tromsø,5401,Tromsø,renumbered,2020-01-01\n"
        + "5401,Tromsø,5501,Tromsø,renumbered,2024-01-01\n"
        + "0124,Askim,3014,Indre Østfold,renumbered,2020-01-01\n"
        + "0125,Eidsberg,3014,Indre Østfold,merged,2020-01-01\n"
        + "3014,Indre Østfold,3118,Indre Østfold,renumbered,2024-07-01\n",
        encoding="utf-8",
    )
    before = counts()
    result = runner.invoke(args=["municipalities", "changes", str(path)])
    assert result.exit_code == 1
    assert "line 6: valid_from 2024-07-01 is not 1 January" in result.output
    assert "nothing was loaded" in result.output
    assert counts() == before == (0, 0, 357)

    path.write_text(
        HEADER
        + "1902,Tromsø,5401,Tromsø,renumbered,2020-01-01\n"
        + "0124,Askim,3014,Indre Østfold,renumbered,2020-01-01\n"
        + "0125,Eidsberg,3014,Indre Østfold,merged,2020-01-01\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["municipalities", "changes", str(path)])
    assert result.exit_code == 1
    assert (
        "line 3: kind renumbered, but 0124, 0125 go into 3014 on 2020-01-01, so the kind is "
        "merged" in result.output
    )
    assert "line 2: 5401 Tromsø is in use after its last change, but it is not in the register" in (
        result.output
    )
    assert counts() == (0, 0, 357)


def test_the_next_reform_is_one_more_file(
    backend: str, runner: FlaskCliRunner, register: None, tmp_path: Path
) -> None:
    assert runner.invoke(args=["municipalities", "changes"]).exit_code == 0
    new_register = tmp_path / "register-2027.csv"
    new_register.write_text(
        "code,name,county_code,county_name\n5599,Tromsø,55,Troms\n", encoding="utf-8"
    )
    assert runner.invoke(args=["municipalities", "load", str(new_register)]).exit_code == 0
    reform = tmp_path / "changes-2027.csv"
    reform.write_text(HEADER + "5501,Tromsø,5599,Tromsø,renumbered,2027-01-01\n", encoding="utf-8")
    result = runner.invoke(args=["municipalities", "changes", str(reform)])
    assert result.exit_code == 0, result.output
    assert "531 changes (1 new)" in result.output
    from surveyapp.municipalities.lookup import history

    tromso = history().current("5599")
    assert tromso is not None
    assert [p.code for p in tromso.periods] == ["1902", "5401", "5501", "5599"]
    assert not db.session.get(Municipality, "5501").current  # type: ignore[union-attr]


def test_an_old_register_is_refused_after_the_history(
    backend: str, runner: FlaskCliRunner, register: None, tmp_path: Path
) -> None:
    assert runner.invoke(args=["municipalities", "changes"]).exit_code == 0
    old = tmp_path / "register-2019.csv"
    old.write_text(
        "code,name,county_code,county_name\n0301,Oslo - Oslove,03,Oslo\n1902,Tromsø,19,Troms\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["municipalities", "load", str(old)])
    assert result.exit_code == 1
    assert (
        "line 3: 1902 Tromsø is no longer in use: it became 5401 Tromsø on 2020-01-01"
        in result.output
    )
    assert not db.session.get(Municipality, "1902").current  # type: ignore[union-attr]


def test_an_old_number_on_the_command_line_says_what_it_is_now(
    runner: FlaskCliRunner, register: None
) -> None:
    assert runner.invoke(args=["municipalities", "changes"]).exit_code == 0
    result = runner.invoke(
        args=["users", "create", "--email", "p@example.no", "--role", "planner",
              "--municipality", "1902", "--password", "Fjellvann-og-brunost-93"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "1902 is now 5501 Tromsø." in result.output
    result = runner.invoke(
        args=["users", "create", "--email", "p@example.no", "--role", "planner",
              "--municipality", "0124", "--password", "Fjellvann-og-brunost-93"],
    )  # fmt: skip
    assert "0124 Askim was merged in 2020 into what is now 3118 Indre Østfold." in result.output


def test_an_old_number_in_a_peer_group_is_explained(
    client: FlaskClient,
    runner: FlaskCliRunner,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
) -> None:
    assert runner.invoke(args=["municipalities", "changes"]).exit_code == 0
    login(make_user("planner", municipalities=["5501"]))
    page = client.post(
        "/peer-groups/new?lang=en", data={"name": "Nord", "codes": "1902, 5401"}
    ).get_data(as_text=True)
    assert "1902 is now 5501 Tromsø." in page and "5401 is now 5501 Tromsø." in page
    form = client.get("/peer-groups/new?lang=en").get_data(as_text=True)
    assert form.count('id="m-') == 357 and 'value="1902"' not in form


def test_accounts_and_groups_naming_a_renumbered_number_follow_it(
    backend: str, runner: FlaskCliRunner, make_user: Callable[..., Any]
) -> None:
    from surveyapp.audit.models import AuditEntry
    from surveyapp.results.models import PeerGroup

    # An installation from 2019: its register had 1902 Tromsø and 0124 Askim.
    for code, name, county in (("1902", "Tromsø", "Troms"), ("0124", "Askim", "Østfold")):
        db.session.add(Municipality(code=code, name=name, county_code=code[:2], county_name=county))
    db.session.commit()
    only_old = make_user("planner", municipalities=["1902"])
    both = make_user("planner", municipalities=["1902", "5501"])
    group = PeerGroup(owner_id=both.id, name="Gamle")
    group.members = [db.session.get(Municipality, c) for c in ("1902", "0124")]
    db.session.add(group)
    db.session.commit()

    result = runner.invoke(args=["municipalities", "changes"])
    assert result.exit_code == 0, result.output
    assert "3 staff account or peer group numbers moved to today's numbers" in result.output
    db.session.expire_all()
    assert [m.code for m in only_old.municipalities] == ["5501"]
    assert [m.code for m in both.municipalities] == ["5501"]
    # Askim was merged: Indre Østfold is another municipality, so the group keeps 0124.
    assert [m.code for m in group.members] == ["0124", "5501"]
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "renumber"))
    assert sorted((e.entity_type, e.old_value, e.new_value) for e in entries) == [
        ("peer_group", {"municipality": "1902"}, {"municipality": "5501"}),
        ("user_account", {"municipality": "1902"}, {"municipality": "5501"}),
        ("user_account", {"municipality": "1902"}, {"municipality": "5501"}),
    ]
