"""docs/questionnaire-format.md, "XLSForm and LimeSurvey", says what the readers do.

The example workbook in the document is built from its tables and read; every question
type of the registry has its XLSForm and LimeSurvey mapping documented; what the
document says is refused is refused.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest

from surveyapp.questionnaires import types as question_types
from surveyapp.questionnaires.files import read_definition
from surveyapp.questionnaires.limesurvey import TYPE_NAMES
from surveyapp.questionnaires.problems import DefinitionError

DOC = Path(__file__).parents[2] / "docs" / "questionnaire-format.md"


def _section() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## XLSForm and LimeSurvey")
    return text[start : text.index("\n## ", start + 1)]


def _table_after(text: str, anchor: str) -> list[list[str]]:
    """The markdown table that follows ``anchor``: header and rows, cells stripped."""
    lines = text[text.index(anchor) :].splitlines()[1:]
    first = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[first:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip()[1:-1].split("|")]
        if not all(set(cell) <= {"-"} for cell in cells):
            rows.append(cells)
    return rows


def _workbook(sheets: dict[str, list[list[str]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append([cell or None for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _example() -> bytes:
    section = _section()
    example = section[section.index("#### Example") :]
    return _workbook(
        {
            name: _table_after(example, f"Sheet `{name}`:")
            for name in ("survey", "choices", "settings")
        }
    )


def test_the_documented_example_workbook_reads_as_the_document_says() -> None:
    imported = read_definition(_example(), "example.xlsx")
    definition = imported.definition
    assert (definition.code, definition.kind, imported.source_version) == (
        "visit-survey",
        "survey",
        "2026-1",
    )
    assert [(q.code, q.type) for q in definition.questions] == [
        ("overall", "rating"),
        ("got_help", "yesno"),
        ("visits", "number"),
        ("queue_time", "duration"),
        ("comments", "text"),
    ]
    overall = definition.question("overall")
    assert overall.required and overall.dont_know
    assert [o.value for o in overall.options] == [1, 2, 3, 4, 5]
    got_help = definition.question("got_help")
    assert got_help.settings["comment"] is True and not got_help.dont_know
    visits = definition.question("visits")
    assert (visits.settings["min"], visits.settings["max"]) == (1, 20)
    assert visits.settings["unit"] == {"nb": "ganger", "nn": "gonger", "en": "times"}
    assert visits.show_if is not None
    assert (visits.show_if.question, list(visits.show_if.values)) == ("got_help", ["no"])
    assert definition.question("queue_time").settings["max_minutes"] == 60
    comments = definition.question("comments").settings
    assert (comments["max_length"], comments["multiline"]) == (1000, True)
    assert definition.indicator is not None
    assert (definition.indicator.question, list(definition.indicator.satisfied)) == (
        "overall",
        [4, 5],
    )
    assert definition.raw["scales"].keys() == {"satisfaction5_dk"}


def test_every_question_type_has_its_xlsform_and_limesurvey_mapping_documented() -> None:
    section = _section()
    xlsform = {row[0].strip("`"): row for row in _table_after(section, "**Question types.**")}
    limesurvey = _table_after(section, "| LimeSurvey | becomes |")
    for name, question_type in question_types.REGISTRY.items():
        assert name in xlsform, f"{name} is not in the XLSForm table"
        row = " ".join(xlsform[name]).lower()
        for xls_type in question_type.xlsform_types:
            assert f"`{xls_type}" in row, (name, xls_type)
        for appearance in question_type.xlsform_appearances:
            assert f"`{appearance}" in row, (name, appearance)
        for letter in question_type.limesurvey_types:
            mapped = [r for r in limesurvey if re.search(rf"(^|, )`{re.escape(letter)}` ", r[0])]
            assert mapped and f"`{name}`" in mapped[0][1], (name, letter)


def test_every_refused_limesurvey_type_is_named_in_the_document() -> None:
    section = _section()
    refused = section[section.index("Refused, by name and line") :]
    for letter, name in TYPE_NAMES.items():
        assert f"`{letter}` {name}" in " ".join(refused.split()) or (
            f"`{letter}`" in refused and name.split(" (")[0] in " ".join(refused.split())
        ), (letter, name)


def _refused_row(starts: str) -> str:
    rows = _table_after(_section(), "#### Refused, and why")
    return next(row[0] for row in rows if row[0].startswith(starts))


def _one_question(kind: str, extra: dict[str, str] | None = None) -> bytes:
    labels = ["Spørsmål", "Spørsmål", "Question"]
    header = ["type", "name", "label::nb", "label::nn", "label::en", *(extra or {})]
    return _workbook(
        {
            "survey": [
                header,
                ["begin_group", "page", "Side", "Side", "Page"],
                ["text", "first", *labels],
                [kind, "asked", *labels, *(extra or {}).values()],
                ["end_group"],
            ],
            "settings": [["form_id", "form_title"], ["doc-check", "Skjema"]],
        }
    )


def _problems(data: bytes) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        read_definition(data, "doc-check.xlsx")
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize(
    "kind",
    re.findall(r"`([a-z_]+)`", _refused_row("types ")),
)
def test_the_types_the_document_lists_as_refused_are_refused(kind: str) -> None:
    data = _one_question(f"{kind} places.csv" if kind in ("select_one_from_file", "rank") else kind)
    found = _problems(data)
    assert any("cell A4" in p and "is not supported" in p for p in found), found


@pytest.mark.parametrize(
    "column",
    [c for c in re.findall(r"`([a-z_]+)`", _refused_row("columns ")) if c != "media"],
)
def test_the_columns_the_document_lists_as_refused_are_refused(column: str) -> None:
    found = _problems(_one_question("text", {column: "1"}))
    assert any("cell F4" in p and "not supported" in p for p in found), found
