"""Upload, review, store and download questionnaires in the browser, and the CLI."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.questionnaires.store import latest_version

DATA = Path(__file__).parents[1] / "data" / "questionnaires"


def _post_file(client: Any, data: bytes, name: str, owner: str = "national") -> Any:
    return client.post(
        "/questionnaires/upload",
        data={"file": (io.BytesIO(data), name), "owner": owner},
        content_type="multipart/form-data",
    )


def _versions(code: str) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).where(Questionnaire.code == code)) or 0)


def test_admin_uploads_an_xlsform_sees_problems_with_cells_and_nothing_is_stored(
    questionnaires: None, make_user: Any, login: Any
) -> None:
    client = login(make_user("admin"))
    client.get("/?lang=en")
    book = openpyxl.load_workbook(DATA / "service-office-census.xlsx")
    book["survey"]["B7"] = book["survey"]["B4"].value
    out = io.BytesIO()
    book.save(out)
    page = _post_file(client, out.getvalue(), "census.xlsx").get_data(as_text=True)
    assert "The file has 1 problem. Nothing is stored." in page
    assert "<td>B7</td>" in page
    assert "duplicate name" in page
    assert _versions("service-office-census") == 1


def test_problems_are_listed_in_the_user_s_language(
    questionnaires: None, make_user: Any, login: Any
) -> None:
    client = login(make_user("admin"))
    client.get("/?lang=nn")
    page = _post_file(client, b"not a workbook", "x.xlsx").get_data(as_text=True)
    assert "Fila har 1 problem. Ingenting er lagra." in page


def test_review_previews_three_languages_compares_and_stores(
    questionnaires: None, make_user: Any, login: Any
) -> None:
    client = login(make_user("admin"))
    client.get("/?lang=en")
    book = openpyxl.load_workbook(DATA / "citizen-satisfaction.xlsx")
    book["survey"]["E5"] = "What was your matter about, in a few words?"  # reworded
    out = io.BytesIO()
    book.save(out)
    page = _post_file(client, out.getvalue(), "citizen.xlsx").get_data(as_text=True)
    assert "Check before storing" in page
    for language in ("Norsk bokmål", "Norsk nynorsk", "English"):
        assert f"Preview in {language}" in page
    assert "1 question breaks the comparison with earlier years." in page
    assert "Breaks: earlier years are not compared with this one" in page
    assert _versions("citizen-satisfaction") == 1
    definition = page.split('name="definition" type="hidden" value="')[1].split('"')[0]
    import html

    response = client.post(
        "/questionnaires/store",
        data={
            "definition": html.unescape(definition),
            "owner": "national",
            "filename": "citizen.xlsx",
            "source_version": "1",
        },
    )
    assert response.status_code == 302
    stored = latest_version("citizen-satisfaction")
    assert stored is not None and stored.version == 2 and stored.source_version == "1"
    assert stored.owner_code is None


def test_an_unchanged_export_stores_nothing(
    questionnaires: None, make_user: Any, login: Any
) -> None:
    client = login(make_user("admin"))
    stored = latest_version("service-office-checklist")
    assert stored is not None
    exported = client.get(f"/questionnaires/{stored.id}/download.xlsx")
    assert exported.status_code == 200
    from surveyapp.questionnaires.store import store_definition
    from surveyapp.questionnaires.xlsform import read_xlsform

    imported = read_xlsform(exported.data, "checklist.xlsx")
    outcome = store_definition(imported.definition, "checklist.xlsx")
    assert outcome.created is False
    yaml_file = client.get(f"/questionnaires/{stored.id}/download.yaml")
    assert yaml_file.headers["Content-Disposition"].endswith('v1.yaml"')


def test_a_planner_uploads_for_their_municipality_but_not_over_a_national_one(
    questionnaires: None, make_user: Any, login: Any
) -> None:
    client = login(make_user("planner", municipalities=["5501"]))
    client.get("/?lang=en")
    data = (DATA / "citizen-satisfaction.xlsx").read_bytes()
    page = _post_file(client, data, "citizen.xlsx", owner="5501").get_data(as_text=True)
    assert "already belongs to someone else" in page
    for other in ("national", "0301"):  # not among the planner's choices: refused
        page = _post_file(client, data, "citizen.xlsx", owner=other).get_data(as_text=True)
        assert "Check before storing" not in page
    own = (DATA / "pyxform-group.xlsx").read_bytes()
    page = _post_file(client, own, "own.xlsx", owner="5501").get_data(as_text=True)
    assert "Check before storing" in page


def test_cli_checks_and_loads_xlsform_and_limesurvey(app: Any, register: None) -> None:
    runner = app.test_cli_runner()
    files = [str(DATA / "pyxform-group.xlsx"), str(DATA / "limesurvey-sample.lss")]
    checked = runner.invoke(args=["questionnaires", "check", *files])
    assert checked.exit_code == 0, checked.output
    assert "survey 'pyxform-group', 3 questions" in checked.output
    loaded = runner.invoke(args=["questionnaires", "load", *files])
    assert loaded.exit_code == 0, loaded.output
    assert "stored     limesurvey-9001 v1" in loaded.output
    bad = runner.invoke(args=["questionnaires", "check", str(DATA / "make_files.py")])
    assert bad.exit_code == 1


def _census_with_validator_problems() -> bytes:
    """The census workbook with a group name and a condition value the validator refuses."""
    book = openpyxl.load_workbook(DATA / "service-office-census.xlsx")
    book["survey"]["B3"] = "Office!"
    book["survey"]["J6"] = "${has_office} = 'maybe'"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_validator_s_problems_are_listed_in_the_user_s_language_with_their_cells(
    questionnaires: None, make_user: Any, login: Any
) -> None:
    import html

    client = login(make_user("admin"))
    pages = {}
    for language in ("nb", "nn", "en"):
        client.get(f"/?lang={language}")
        response = _post_file(client, _census_with_validator_problems(), "census.xlsx")
        pages[language] = html.unescape(response.get_data(as_text=True))
        assert "<td>B3</td>" in pages[language] and "<td>J6</td>" in pages[language]
    assert (
        "seksjonen «Office!»: seksjonskoden «Office!» er ikke gyldig: bruk små bokstaver a–z,"
        " sifre og «_»" in pages["nb"]
    )
    assert (
        "spørsmålet «plans_office»: verdien 'maybe' i vilkåret (show_if) er ikkje eit"
        " svaralternativ på spørsmålet «has_office» (verdiane er: yes, no)" in pages["nn"]
    )
    english = "show_if value 'maybe' is not an option of question 'has_office'"
    assert english in pages["en"]
    assert "is not valid" not in pages["nb"] and english not in pages["nn"]
    assert _versions("service-office-census") == 1


def test_a_yaml_upload_s_problems_are_in_the_user_s_language_too(
    questionnaires: None, make_user: Any, login: Any
) -> None:
    import html

    definitions = Path(__file__).parents[2] / "surveyapp" / "questionnaires" / "definitions"
    source = (definitions / "service-office-census.yaml").read_text(encoding="utf-8")
    broken = source.replace("code: services", "code: office", 1)
    assert broken != source
    client = login(make_user("admin"))
    client.get("/?lang=nn")
    page = html.unescape(_post_file(client, broken.encode(), "census.yaml").get_data(as_text=True))
    assert "seksjonskoden «office» finst to gonger (første gong på linje" in page
    assert "duplicate section code" not in page


def test_the_command_line_keeps_the_validator_s_problems_in_english(
    app: Any, tmp_path: Path
) -> None:
    path = tmp_path / "census.xlsx"
    path.write_bytes(_census_with_validator_problems())
    result = app.test_cli_runner().invoke(args=["questionnaires", "check", str(path)])
    assert result.exit_code == 1
    assert (
        "sheet 'survey', cell J6: question 'plans_office': show_if value 'maybe' is not an"
        " option of question 'has_office' (its values are: yes, no)" in result.output
    )
    assert "sheet 'survey', cell B3: section 'Office!': section code 'Office!' is not valid" in (
        result.output
    )
