"""XLSForm and LimeSurvey files: round trips, the test files, and bad files refused with
their place, in bounded time and memory, with nothing stored."""

from __future__ import annotations

import io
import resource
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from surveyapp.questionnaires.definition import load_file
from surveyapp.questionnaires.files import read_definition, read_path
from surveyapp.questionnaires.problems import DefinitionError
from surveyapp.questionnaires.xlsform import write_xlsform

DATA = Path(__file__).parents[1] / "data" / "questionnaires"
SHIPPED = Path(__file__).parents[2] / "surveyapp" / "questionnaires" / "definitions"
SURVEYS = ("citizen-satisfaction", "service-office-census", "service-office-checklist")


@pytest.mark.parametrize("code", SURVEYS)
def test_export_then_import_gives_the_same_questionnaire(code: str) -> None:
    original = load_file(SHIPPED / f"{code}.yaml")
    back = read_definition(write_xlsform(original, "7"), f"{code}.xlsx")
    assert back.source_version == "7"
    assert [(q.code, q.fingerprint) for q in back.definition.questions] == [
        (q.code, q.fingerprint) for q in original.questions
    ]
    assert back.definition.sections == original.sections
    assert (back.definition.title, back.definition.description) == (
        original.title,
        original.description,
    )
    assert back.definition.indicator == original.indicator


@pytest.mark.parametrize("code", SURVEYS)
def test_the_test_files_read_as_the_shipped_questionnaires(code: str) -> None:
    original = load_file(SHIPPED / f"{code}.yaml")
    assert read_path(DATA / f"{code}.xlsx").definition.sections == original.sections
    from_lss = read_path(DATA / f"{code}.lss").definition
    assert len(from_lss.sections) == len(original.sections)
    assert [s.title for s in from_lss.sections] == [s.title for s in original.sections]
    conditions = [q.show_if is not None for q in original.questions]
    assert [q.show_if is not None for q in from_lss.questions] == conditions


def test_a_form_in_pyxform_s_own_spelling_reads() -> None:
    definition = read_path(DATA / "pyxform-group.xlsx").definition
    assert definition.code == "pyxform-group"
    assert [(q.code, q.type) for q in definition.questions] == [
        ("family_name", "text"),
        ("age", "number"),
        ("good_day", "single"),
    ]
    assert definition.question("age").settings["integer"] is True
    assert definition.title == {"nb": "Gruppe", "nn": "Gruppe", "en": "Gruppe"}


def test_the_limesurvey_sample_maps_every_supported_type() -> None:
    definition = read_path(DATA / "limesurvey-sample.lss").definition
    types = {q.code: q.type for q in definition.questions}
    assert types == {
        "purpose": "single",
        "services": "multiple",
        "minutes": "number",
        "found": "yesno",
        "missing": "text",
        "rate_staff": "rating",
        "rate_opening": "rating",
        "comments": "text",
    }
    assert definition.question("missing").show_if is not None
    assert definition.question("missing").show_if.values == ("no",)
    assert definition.question("services").settings["max_choices"] == 2
    assert definition.question("minutes").settings["max"] == 600
    assert definition.description == {
        "nb": "Fem minutter om biblioteket.",
        "nn": "Fem minutt om biblioteket.",
        "en": "Five minutes about the library.",
    }


# --------------------------------------------------------------------------- bad files


def _census() -> openpyxl.Workbook:
    return openpyxl.load_workbook(DATA / "service-office-census.xlsx")


def _bytes(book: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _problems(data: bytes, name: str = "bad.xlsx") -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        read_definition(data, name)
    return [str(p) for p in caught.value.problems]


def test_unknown_column_is_refused_with_its_cell() -> None:
    book = _census()
    sheet = book["survey"]
    sheet.cell(row=1, column=20, value="constraint_message")
    sheet.cell(row=6, column=20, value="Too big")
    assert _problems(_bytes(book)) == [
        "bad.xlsx: sheet 'survey', cell T6: the column 'constraint_message' is not supported"
        " by the app, which cannot honour it; remove the column (or its values)"
    ]


def test_duplicate_names_are_refused_with_both_rows() -> None:
    book = _census()
    book["survey"]["B7"] = book["survey"]["B4"].value
    assert _problems(_bytes(book)) == [
        "bad.xlsx: sheet 'survey', cell B7: duplicate name 'respondent_role' (first in row 4)"
    ]


def test_relevant_on_a_later_or_unknown_question_is_refused() -> None:
    book = _census()
    sheet = book["survey"]
    sheet["J4"] = "${year_established} = '2000'"  # a later question
    sheet["J6"] = "${nowhere} = 'yes'"
    found = _problems(_bytes(book))
    assert [p.split(":")[1].strip() for p in found] == [
        "sheet 'survey', cell J4",
        "sheet 'survey', cell J6",
    ]
    assert "${year_established}, which is not an earlier question" in found[0]


def test_what_the_app_cannot_honour_is_refused_by_name() -> None:
    book = _census()
    book["survey"]["A4"] = "calculate"
    book["survey"]["L6"] = "minimal"
    found = _problems(_bytes(book))
    assert "cell A4: the question type 'calculate' is not supported by the app" in found[0]
    assert "cell L6: the appearance 'minimal' is not supported" in found[1]


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _zip_bomb() -> bytes:
    return _zip({"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": b"0" * 60_000_000})


def _macro_workbook() -> bytes:
    data = (DATA / "pyxform-group.xlsx").read_bytes()
    source = zipfile.ZipFile(io.BytesIO(data))
    members = {info.filename: source.read(info) for info in source.infolist()}
    members["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0macro"
    return _zip(members)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<document><LimeSurveyDocType>&lol3;</LimeSurveyDocType></document>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<document><LimeSurveyDocType>Survey</LimeSurveyDocType><x>&secret;</x></document>"""

BAD_FILES = {
    "truncated.xlsx": lambda: (DATA / "citizen-satisfaction.xlsx").read_bytes()[:4000],
    "not-a-zip.xlsx": lambda: b"this is not a workbook",
    "bomb.xlsx": _zip_bomb,
    "macros.xlsx": _macro_workbook,
    "macros.xlsm": lambda: (DATA / "pyxform-group.xlsx").read_bytes(),
    "huge.xlsx": lambda: b"PK" + b"\0" * (20 * 1024 * 1024),
    "laughs.lss": lambda: BILLION_LAUGHS,
    "external.lss": lambda: EXTERNAL_ENTITY,
    "truncated.lss": lambda: (DATA / "limesurvey-sample.lss").read_bytes()[:3000],
    "huge.lss": lambda: b"<document>" + b" " * (20 * 1024 * 1024),
}
EXPECTED = {
    "truncated.xlsx": "not a readable .xlsx workbook",
    "not-a-zip.xlsx": "not a readable .xlsx workbook",
    "bomb.xlsx": "unpacks to more than",
    "macros.xlsx": "contains macros",
    "macros.xlsm": "contains macros",
    "huge.xlsx": "the file is too large",
    "laughs.lss": "declares a DTD, entities or external references",
    "external.lss": "declares a DTD, entities or external references",
    "truncated.lss": "not valid XML",
    "huge.lss": "the file is too large",
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_are_refused_clearly_within_two_seconds(name: str) -> None:
    data = BAD_FILES[name]()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    found = _problems(data, name)
    elapsed = time.perf_counter() - started
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert len(found) == 1 and EXPECTED[name] in found[0], found
    assert elapsed < 2.0
    assert grown_mb < 200


def test_a_file_too_large_on_disk_is_named_with_its_whole_size(tmp_path: Path) -> None:
    huge = tmp_path / "huge.lss"
    huge.write_bytes(b"<document>" + b" " * (20 * 1024 * 1024))
    with pytest.raises(DefinitionError) as caught:
        read_path(huge)
    assert [p.message for p in caught.value.problems] == [
        f"the file is too large: {huge.stat().st_size:,} bytes;"
        f" an uploaded file may have at most {5 * 1024 * 1024:,}"
    ]


def test_a_validator_problem_reads_in_any_language_without_flask() -> None:
    from surveyapp.catalogs import translator

    book = _census()
    book["survey"]["J6"] = "${has_office} = 'maybe'"
    with pytest.raises(DefinitionError) as caught:
        read_definition(_bytes(book), "census.xlsx")
    (problem,) = caught.value.problems
    assert problem.location == "sheet 'survey', cell J6"
    assert problem.message.startswith("question 'plans_office': show_if value 'maybe'")
    assert problem.text(translator("nb")).startswith(
        "spørsmålet «plans_office»: verdien 'maybe' i vilkåret (show_if) er ikke"
    )
    assert problem.text(translator("nn")).startswith(
        "spørsmålet «plans_office»: verdien 'maybe' i vilkåret (show_if) er ikkje"
    )
    assert problem.text(translator("en")) == problem.message
