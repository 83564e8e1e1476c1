"""Control characters never reach stored staff text (forms and command-line imports), so
nothing breaks PostgreSQL (NUL) or the XML of a workbook's sheets and charts."""

from __future__ import annotations

import importlib
import io
import pkgutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import openpyxl
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_wtf import FlaskForm

import surveyapp
from surveyapp.extensions import db
from surveyapp.models import Municipality, PeerGroup
from surveyapp.municipalities.history import ChangeFileError, parse_changes
from surveyapp.municipalities.register import RegisterError, parse_register
from surveyapp.plaintext import has_controls, strip_controls
from surveyapp.questionnaires.definition import parse_definition
from surveyapp.questionnaires.problems import DefinitionError
from surveyapp.surveys.forms import SurveyPageForm
from surveyapp.web.forms import StaffForm, without_controls
from tests.conftest import PROJECT_ROOT
from tests.results.conftest import add_round  # noqa: F401  (fixture)

HOSTILE = "Naboer\x00 i nord\x1b[31m\x07\ufffe"


def _all_subclasses(cls: type) -> set[type]:
    found: set[type] = set()
    stack = [cls]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                stack.append(sub)
    return found


def test_every_staff_form_drops_control_characters() -> None:
    """One rule for all: every form of the package is a StaffForm, except the citizen
    page forms (their inputs are cleaned by flow.page_inputs)."""
    for module in pkgutil.walk_packages(surveyapp.__path__, "surveyapp."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    forms = {
        cls
        for cls in _all_subclasses(FlaskForm)
        if cls.__module__.startswith("surveyapp.")
        and cls is not StaffForm
        and not issubclass(cls, SurveyPageForm)
    }
    assert len(forms) >= 10
    assert sorted(c.__qualname__ for c in forms if not issubclass(c, StaffForm)) == []


def test_strip_controls_keeps_tab_and_newlines() -> None:
    assert strip_controls("a\x00b\tc\nd\r\x7fe\x1f\uffff") == "ab\tc\nd\re"
    assert has_controls("x\x0b") and not has_controls("æøå\t\n")
    assert without_controls(["a\x00", 3]) == ["a", 3]
    assert without_controls(None) is None


@pytest.mark.storage
def test_nul_in_a_peer_group_name_is_dropped_and_the_workbook_opens(
    app: Any,
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    add_round: Callable[..., Any],  # noqa: F811
) -> None:
    add_round("5501", 2026, [5] * 60 + [2] * 20)
    add_round("1804", 2026, [5] * 40 + [1] * 40)
    login(make_user("planner", municipalities=["5501"]))
    created = client.post(
        "/peer-groups/new", data={"name": HOSTILE, "members": ["1804", "5501"], "codes": ""}
    )
    assert created.status_code == 302, created.get_data(as_text=True)[:1000]
    group = db.session.scalars(sa.select(PeerGroup)).one()
    assert group.name == "Naboer i nord[31m"
    export = client.get(f"/exports/5501/workbook.xlsx?peers=group:{group.id}", buffered=True)
    assert export.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(export.data))
    assert book.sheetnames
    with zipfile.ZipFile(io.BytesIO(export.data)) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/")]
        assert charts
        for name in archive.namelist():
            if name.endswith(".xml"):
                ElementTree.fromstring(archive.read(name))  # well-formed XML
        assert any(b"Naboer i nord" in archive.read(n) for n in charts)


@pytest.mark.storage
def test_control_characters_in_user_names_are_dropped(
    app: Any,
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
) -> None:
    login(make_user("admin"))
    response = client.post(
        "/admin/users/new",
        data={
            "email": "ny@example.no",
            "name": "Kari\x00 Nordmann\x08",
            "role": "caller",
            "password": "Fjellvann-og-brunost-93",
            "active": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    names = set(db.session.scalars(sa.text("SELECT name FROM user_account")))
    assert "Kari Nordmann" in names
    assert not any(has_controls(name) for name in names)


def test_the_municipality_register_refuses_control_characters(tmp_path: Path) -> None:
    data = (
        "code,name,county_code,county_name\n0301,Os\x00lo,03,Oslo\n5501,Tromsø,55,Troms\x1b\n"
    ).encode()
    with pytest.raises(RegisterError) as caught:
        parse_register(data, "register.csv")
    assert caught.value.problems == [
        "line 2: the name contains a control character",
        "line 3: the county name contains a control character",
    ]


def test_the_municipality_change_list_refuses_control_characters() -> None:
    data = (
        "from_code,from_name,to_code,to_name,kind,valid_from\n"
        "1902,Trom\x00sø,5401,Tromsø,renumbered,2020-01-01\n"
        "5401,Tromsø,5501,Troms\x1bø,renumbered,2024-01-01\n"
    ).encode()
    with pytest.raises(ChangeFileError) as caught:
        parse_changes(data, "changes.csv")
    assert caught.value.problems == [
        "line 2: from_name contains a control character",
        "line 3: to_name contains a control character",
    ]


def test_users_create_drops_control_characters(app: Any, register: None) -> None:
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "--email",
            "cli@example.no",
            "--name",
            "Ola\x00 Nordmann\x1b",
            "--role",
            "admin",
            "--password",
            "Fjellvann-og-brunost-93",
        ]
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.text("SELECT name FROM user_account")) == "Ola Nordmann"
    assert db.session.get(Municipality, "5501") is not None


def test_questionnaire_texts_refuse_control_characters_written_as_escapes() -> None:
    source = (PROJECT_ROOT / "tests/questionnaires/valid/minimal-survey.yaml").read_text()
    title = next(line for line in source.splitlines() if line.startswith("title:"))
    broken = source.replace(title, 'title: {nb: "Inn\\0byggere", nn: "Inn\\x1bbyggjarar", en: A}')
    with pytest.raises(DefinitionError) as caught:
        parse_definition(broken, "escaped.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "escaped.yaml: line 4: the text contains the control character U+0000; remove it"
        " (it would break the database and the exports)",
        "escaped.yaml: line 4: the text contains the control character U+001B; remove it"
        " (it would break the database and the exports)",
    ]
    assert parse_definition(source.replace(title, 'title: {nb: "A\\tB", nn: B, en: C}'), "t.yaml")
