"""From a workbook to citizens' answers with only a browser: an admin uploads an XLSForm,
sees its problems with cell references, fixes them, previews, stores, opens a round on
it, and a citizen answers it. Planners choose only national questionnaires and their own
municipality's. Forms are posted as a browser would: CSRF on, every hidden field sent
back from the page."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from surveyapp.extensions import db
from surveyapp.models import Answer, Response, SurveyRound
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.questionnaires.store import latest_version
from tests.conftest import TEST_PASSWORD

LABELS = ("label::Norsk bokmål (nb)", "label::Norsk nynorsk (nn)", "label::English (en)")


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "WTF_CSRF_ENABLED": True}


class _Forms(HTMLParser):
    """The hidden inputs and select options of each form on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append(
                {"action": a.get("action"), "hidden": {}, "options": {}, "names": set()}
            )
        elif tag in ("input", "button", "textarea") and self.forms:
            self.forms[-1]["names"].add(a.get("name"))
            if a.get("type") == "hidden":
                self.forms[-1]["hidden"][a.get("name")] = a.get("value") or ""
        elif tag == "select" and self.forms:
            self._select = a.get("name")
            self.forms[-1]["names"].add(self._select)
            self.forms[-1]["options"][self._select] = []
        elif tag == "option" and self._select is not None:
            self.forms[-1]["options"][self._select].append(a.get("value"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


class Browser:
    """The test client, sending each form's hidden fields back as a browser does."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.page = ""
        self.redirected_to = ""

    def get(self, url: str) -> Any:
        response = self.client.get(url, follow_redirects=True)
        self.page = response.get_data(as_text=True)
        return response

    def forms(self) -> list[dict[str, Any]]:
        parser = _Forms()
        parser.feed(self.page)
        return parser.forms

    def form(self, field: str) -> dict[str, Any]:
        """The first form on the page with a field of this name."""
        found = [f for f in self.forms() if field in f["names"]]
        assert found, f"no form with a field {field!r}"
        return found[0]

    def submit(self, url: str, fields: dict[str, Any], field: str = "", **kw: Any) -> Any:
        """Post ``fields`` with the hidden fields of the form that has ``field`` (or the
        first of ``fields``)."""
        data = {**self.form(field or next(iter(fields)))["hidden"], **fields}
        response = self.client.post(url, data=data, **kw)
        self.redirected_to = response.headers.get("Location", "")
        if response.status_code == 302:
            response = self.client.get(self.redirected_to)
        self.page = response.get_data(as_text=True)
        return response


def _log_in(client: FlaskClient, email: str) -> Browser:
    browser = Browser(client)
    browser.get("/login?lang=en")
    browser.submit("/login", {"email": email, "password": TEST_PASSWORD})
    return browser


def library_workbook(relevant: str = "${purpose} = 'other'", extra_column: bool = False) -> bytes:
    """A municipality's own library survey as an admin would write it in Excel."""
    book = openpyxl.Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    survey.append(["type", "name", *LABELS, "required", "relevant"])
    survey.append(["begin_group", "visit", "Besøket", "Besøket", "The visit"])
    survey.append(
        [
            "select_one purpose",
            "purpose",
            "Hva gjorde du på biblioteket?",
            "Kva gjorde du på biblioteket?",
            "What did you do at the library?",
            "yes",
        ]
    )
    survey.append(
        [
            "integer",
            "minutes",
            "Hvor mange minutter var du der?",
            "Kor mange minutt var du der?",
            "How many minutes were you there?",
        ]
    )
    survey.append(
        [
            "text",
            "missing",
            "Hva gjorde du?",
            "Kva gjorde du?",
            "What did you do?",
            "yes",
            relevant,
        ]
    )
    survey.append(["end_group"])
    if extra_column:
        survey["H1"] = "calculation"
        survey["H4"] = "${minutes} * 60"
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", *LABELS])
    choices.append(["purpose", "borrow", "Lånte bøker", "Lånte bøker", "Borrowed books"])
    choices.append(["purpose", "read", "Leste", "Las", "Read"])
    choices.append(["purpose", "other", "Noe annet", "Noko anna", "Something else"])
    settings = book.create_sheet("settings")
    settings.append(
        ["form_id", "version", "title::Norsk bokmål (nb)", "title::Norsk nynorsk (nn)"]
        + ["title::English (en)"]
    )
    settings.append(["tromso-library", "2026-1", "Biblioteket", "Biblioteket", "The library"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(browser: Browser, data: bytes, owner: str) -> Any:
    browser.get("/questionnaires/upload")
    assert owner in browser.form("owner")["options"]["owner"]
    return browser.submit(
        "/questionnaires/upload",
        {"file": (io.BytesIO(data), "library.xlsx"), "owner": owner},
        content_type="multipart/form-data",
    )


def _cells(page: str) -> list[str]:
    """The sheet and cell of each problem listed on the upload page."""
    rows = re.findall(r"<tr>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>", page)
    return [f"{sheet}!{cell}" for sheet, cell in rows]


def test_admin_uploads_fixes_previews_stores_opens_a_round_and_a_citizen_answers(
    app: Flask, client: FlaskClient, questionnaires: None, make_user: Callable[..., Any]
) -> None:
    admin = _log_in(client, make_user("admin").email)

    # 1. Two problems, each with its sheet and cell; nothing stored.
    _upload(admin, library_workbook("${nowhere} = 'yes'", extra_column=True), "5501")
    assert "The file has 2 problems. Nothing is stored." in admin.page
    assert _cells(admin.page) == ["survey!H4", "survey!G5"]
    assert "calculation" in admin.page and "${nowhere}" in admin.page
    assert latest_version("tromso-library") is None

    # 2. Fixed: the review shows every page in three languages and the comparison.
    _upload(admin, library_workbook(), "5501")
    assert "Check before storing" in admin.page
    for language, text in [
        ("Norsk bokmål", "Hva gjorde du på biblioteket?"),
        ("Norsk nynorsk", "Kva gjorde du på biblioteket?"),
        ("English", "What did you do at the library?"),
    ]:
        assert f"Preview in {language}" in admin.page and text in admin.page
    assert admin.page.count("First version") == 3  # every question is new
    assert latest_version("tromso-library") is None

    # 3. Stored as Tromsø's own questionnaire.
    admin.submit("/questionnaires/store", {}, field="definition")
    assert "Stored as tromso-library version 1." in admin.page
    stored = latest_version("tromso-library")
    assert stored is not None and stored.owner_code == "5501" and stored.source_version == "2026-1"

    # 4. A round on it, opened.
    admin.get("/rounds/new")
    assert str(stored.id) in admin.form("questionnaire")["options"]["questionnaire"]
    admin.submit(
        "/rounds/new",
        {
            "questionnaire": str(stored.id),
            "municipalities": ["5501"],
            "title": "Biblioteket 2026",
            "public_title_nb": "Hva synes du om biblioteket?",
            "contact": "Biblioteket, telefon 77 79 00 00",
            "year": "2026",
            "period": "",
            "target": "80",
            "opens_at": "01.01.2026 08:00",
            "closes_at": "31.12.2099 16:00",
            "access": "open",
            "language": "nb",
            "time_precision": "date",
        },
    )
    survey_round = db.session.scalars(
        sa.select(SurveyRound).where(SurveyRound.questionnaire_id == stored.id)
    ).one()
    admin.submit(
        f"/rounds/{survey_round.id}/status",
        {"status": "open"},
    )
    db.session.refresh(survey_round)
    assert survey_round.status == "open"

    # 5. A citizen answers it (a fresh browser).
    citizen = Browser(app.test_client())
    citizen.get(f"/s/{survey_round.slug}?lang=en")
    assert "What did you do at the library?" in citizen.page
    citizen.submit(
        f"/s/{survey_round.slug}/1",
        {"purpose": "other", "minutes": "45", "missing": "Et stille rom", "action": "next"},
    )
    assert citizen.redirected_to.split("?")[0].endswith(f"/s/{survey_round.slug}/thanks")
    response = db.session.scalars(
        sa.select(Response).where(Response.round_id == survey_round.id)
    ).one()
    answers = {
        a.question_code: (a.option, a.value_num, a.value_text)
        for a in db.session.scalars(sa.select(Answer).where(Answer.response_id == response.id))
    }
    assert answers == {
        "purpose": ("other", None, None),
        "minutes": (None, 45.0, None),
        "missing": (None, None, "Et stille rom"),
    }


def _own_questionnaire(code: str, owner: str) -> Questionnaire:
    """A copy of the citizen survey stored under another code, owned by ``owner``."""
    from surveyapp.questionnaires.store import definition_of, store_definition
    from surveyapp.questionnaires.xlsform import read_xlsform, write_xlsform

    national = latest_version("citizen-satisfaction")
    assert national is not None
    book = openpyxl.load_workbook(io.BytesIO(write_xlsform(definition_of(national), "1")))
    book["settings"]["A2"] = code
    out = io.BytesIO()
    book.save(out)
    definition = read_xlsform(out.getvalue(), f"{code}.xlsx").definition
    stored = store_definition(definition, f"{code}.xlsx", owner_code=owner).questionnaire
    db.session.commit()
    return stored


def test_planners_choose_national_and_their_own_questionnaires_only(
    client: FlaskClient, questionnaires: None, make_user: Callable[..., Any]
) -> None:
    ours = _own_questionnaire("tromso-own", "5501")
    theirs = _own_questionnaire("oslo-own", "0301")
    national = latest_version("citizen-satisfaction")
    assert national is not None
    planner = _log_in(client, make_user("planner", municipalities=["5501"]).email)

    planner.get("/rounds/new")
    choices = planner.form("questionnaire")["options"]["questionnaire"]
    assert str(national.id) in choices and str(ours.id) in choices
    assert str(theirs.id) not in choices
    # Posting the other municipality's questionnaire anyway is refused by the form.
    refused = planner.submit(
        "/rounds/new",
        {
            "questionnaire": str(theirs.id),
            "municipalities": ["5501"],
            "title": "Ikke vår",
            "year": "2026",
            "target": "80",
            "opens_at": "2026-03-01T08:00",
            "closes_at": "2026-04-01T16:00",
            "access": "open",
            "language": "nb",
            "time_precision": "date",
        },
    )
    assert refused.status_code == 200 and "Not a valid choice" in planner.page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyRound)) == 0

    planner.get("/questionnaires")
    assert "tromso-own" in planner.page and "citizen-satisfaction" in planner.page
    assert "oslo-own" not in planner.page
    assert client.get(f"/questionnaires/{theirs.id}/preview").status_code == 403
    assert client.get(f"/questionnaires/{theirs.id}/download.xlsx").status_code == 403
    assert client.get(f"/questionnaires/{ours.id}/preview").status_code == 200


def test_admins_see_and_choose_every_municipality_s_questionnaire(
    client: FlaskClient, questionnaires: None, make_user: Callable[..., Any]
) -> None:
    theirs = _own_questionnaire("oslo-own", "0301")
    admin = _log_in(client, make_user("admin").email)
    admin.get("/rounds/new")
    assert str(theirs.id) in admin.form("questionnaire")["options"]["questionnaire"]
    admin.get("/questionnaires")
    assert "oslo-own" in admin.page and "Oslo" in admin.page
