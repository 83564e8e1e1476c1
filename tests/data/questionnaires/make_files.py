"""Writes the XLSForm and LimeSurvey test files in this folder (run from the project root).

    .venv/bin/python -m tests.data.questionnaires.make_files

- ``<code>.xlsx``: the three shipped survey questionnaires as XLSForm (the app's writer).
- ``<code>.lss``: the same as LimeSurvey 4+ structure exports, written below from the
  format's tables (independent of the app's reader).
- ``pyxform-group.xlsx``: modelled on pyxform's own test forms (tests/example_xls
  group and yes_or_no_question): a top-level question moved into a group, "begin group"
  and "end group" spelt with spaces, "select one from LIST", a "list name" header and
  single-colon language columns; our own texts in three languages.
- ``limesurvey-sample.lss``: a small survey in LimeSurvey 3's layout (texts in the rows,
  a ``conditions`` table), rebuilt by hand from the format: list, multiple choice,
  numerical, short and long text, yes/no and an array.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import openpyxl

from surveyapp.questionnaires.definition import Definition, load_file
from surveyapp.questionnaires.xlsform import write_xlsform

HERE = Path(__file__).parent
SHIPPED = HERE.parents[2] / "surveyapp" / "questionnaires" / "definitions"
SURVEYS = ("citizen-satisfaction", "service-office-census", "service-office-checklist")
LANGS = ("nb", "nn", "en")


def _table(root: ET.Element, name: str, rows: list[dict[str, Any]]) -> None:
    table = ET.SubElement(root, name)
    fields = ET.SubElement(table, "fields")
    names = list(dict.fromkeys(k for row in rows for k in row))
    for key in names:
        ET.SubElement(fields, "fieldname").text = key
    body = ET.SubElement(table, "rows")
    for row in rows:
        element = ET.SubElement(body, "row")
        for key, value in row.items():
            ET.SubElement(element, key).text = str(value)


def lss(definition: Definition, sid: int) -> bytes:
    """A LimeSurvey 4+ structure export of a definition (what LimeSurvey would write)."""
    root = ET.Element("document")
    ET.SubElement(root, "LimeSurveyDocType").text = "Survey"
    ET.SubElement(root, "DBVersion").text = "600"
    languages = ET.SubElement(root, "languages")
    for lang in LANGS:
        ET.SubElement(languages, "language").text = lang
    groups, group_l10ns, questions, subquestions, question_l10ns = [], [], [], [], []
    answers, answer_l10ns, attributes = [], [], []
    ids = iter(range(1, 100_000))
    titles: dict[str, str] = {}
    for order, section in enumerate(definition.sections):
        gid = next(ids)
        groups.append({"gid": gid, "sid": sid, "group_order": order, "grelevance": "1"})
        for lang in LANGS:
            group_l10ns.append(
                {
                    "id": next(ids),
                    "gid": gid,
                    "group_name": section.title[lang],
                    "description": (section.intro or {}).get(lang, ""),
                    "language": lang,
                }
            )
        for qorder, q in enumerate(section.questions):
            qid = next(ids)
            letter = {
                "rating": "F",
                "single": "L",
                "multiple": "M",
                "yesno": "Y",
                "number": "N",
                "duration": "N",
                "date": "D",
            }.get(q.type, "T")
            if q.type == "text" and not q.settings.get("multiline", True):
                letter = "S"
            relevance = "1"
            if q.show_if is not None:
                controller = definition.question(q.show_if.question)
                terms = []
                for value in q.show_if.values:
                    if controller.type == "multiple":
                        terms.append(f'{titles[controller.code]}_{value} == "Y"')
                    elif controller.type == "yesno":
                        terms.append(
                            f'{controller.code}.NAOK == "{"Y" if value == "yes" else "N"}"'
                        )
                    else:
                        terms.append(f'{controller.code}.NAOK == "{value}"')
                relevance = "(" + " or ".join(terms) + ")"
            titles[q.code] = q.code
            questions.append(
                {
                    "qid": qid,
                    "parent_qid": 0,
                    "sid": sid,
                    "gid": gid,
                    "type": letter,
                    "title": q.code,
                    "other": "N",
                    "mandatory": "Y" if q.required else "N",
                    "question_order": qorder,
                    "scale_id": 0,
                    "relevance": relevance,
                }
            )
            for lang in LANGS:
                question_l10ns.append(
                    {
                        "id": next(ids),
                        "qid": qid,
                        "question": q.text[lang],
                        "help": (q.help or {}).get(lang, ""),
                        "language": lang,
                    }
                )
            rows = [("r", {lang: "" for lang in LANGS})] if q.type == "rating" else []
            if q.type == "multiple":
                rows = [(str(o.value), o.label) for o in q.options]
            for sorder, (title, label) in enumerate(rows):
                sub = next(ids)
                subquestions.append(
                    {
                        "qid": sub,
                        "parent_qid": qid,
                        "sid": sid,
                        "gid": gid,
                        "type": "T",
                        "title": title,
                        "question_order": sorder,
                        "scale_id": 0,
                    }
                )
                for lang in LANGS:
                    question_l10ns.append(
                        {
                            "id": next(ids),
                            "qid": sub,
                            "question": label.get(lang, ""),
                            "help": "",
                            "language": lang,
                        }
                    )
            if q.type in ("rating", "single"):
                for aorder, option in enumerate(q.options):
                    aid = next(ids)
                    answers.append(
                        {
                            "aid": aid,
                            "qid": qid,
                            "code": option.value,
                            "sortorder": aorder,
                            "scale_id": 0,
                        }
                    )
                    for lang in LANGS:
                        answer_l10ns.append(
                            {
                                "id": next(ids),
                                "aid": aid,
                                "answer": option.label[lang],
                                "language": lang,
                            }
                        )
            settings = q.settings
            if q.type == "number":
                attributes.append(
                    {
                        "qid": qid,
                        "attribute": "num_value_int_only",
                        "value": "1" if settings.get("integer", True) else "0",
                    }
                )
                for key, attribute in (("min", "min_num_value_n"), ("max", "max_num_value_n")):
                    if settings.get(key) is not None:
                        attributes.append(
                            {"qid": qid, "attribute": attribute, "value": f"{settings[key]:g}"}
                        )
            if q.type == "text":
                attributes.append(
                    {
                        "qid": qid,
                        "attribute": "maximum_chars",
                        "value": settings.get("max_length") or 2000,
                    }
                )
            if q.type == "multiple":
                for key, attribute in (
                    ("min_choices", "min_answers"),
                    ("max_choices", "max_answers"),
                ):
                    if settings.get(key) is not None:
                        attributes.append(
                            {"qid": qid, "attribute": attribute, "value": settings[key]}
                        )
    _table(root, "answers", answers)
    _table(root, "answer_l10ns", answer_l10ns)
    _table(root, "groups", groups)
    _table(root, "group_l10ns", group_l10ns)
    _table(root, "questions", questions)
    _table(root, "subquestions", subquestions)
    _table(root, "question_l10ns", question_l10ns)
    _table(root, "question_attributes", attributes)
    _table(root, "surveys", [{"sid": sid, "language": "nb", "additional_languages": "nn en"}])
    _table(
        root,
        "surveys_languagesettings",
        [
            {
                "surveyls_survey_id": sid,
                "surveyls_language": lang,
                "surveyls_title": definition.title[lang],
                "surveyls_description": (definition.description or {}).get(lang, ""),
            }
            for lang in LANGS
        ],
    )
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")


def pyxform_group() -> bytes:
    book = openpyxl.Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    head = [
        "type",
        "name",
        "label:Norsk bokmål (nb)",
        "label:Norsk nynorsk (nn)",
        "label:English (en)",
    ]
    survey.append(head)
    survey.append(["begin group", "family", "Familie", "Familie", "Family"])
    survey.append(
        [
            "text",
            "family_name",
            "Hva er etternavnet ditt?",
            "Kva er etternamnet ditt?",
            "What is your family name?",
        ]
    )
    survey.append(["end group"])
    survey.append(["begin group", "father", "Far", "Far", "Father"])
    survey.append(
        [
            "integer",
            "age",
            "Hvor gammel er faren din?",
            "Kor gammal er far din?",
            "How old is your father?",
        ]
    )
    survey.append(
        [
            "select one from yes_or_no",
            "good_day",
            "Har du hatt en god dag i dag?",
            "Har du hatt ein god dag i dag?",
            "Have you had a good day today?",
        ]
    )
    survey.append(["end group"])
    choices = book.create_sheet("choices")
    choices.append(
        [
            "list name",
            "name",
            "label:Norsk bokmål (nb)",
            "label:Norsk nynorsk (nn)",
            "label:English (en)",
        ]
    )
    choices.append(["yes_or_no", "yes", "ja", "ja", "yes"])
    choices.append(["yes_or_no", "no", "nei", "nei", "no"])
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id"])
    settings.append(["Gruppe", "pyxform-group"])
    path = HERE / "_tmp.xlsx"
    book.save(path)
    data = path.read_bytes()
    path.unlink()
    return data


def main() -> None:
    for sid, code in enumerate(SURVEYS, 101):
        definition = load_file(SHIPPED / f"{code}.yaml")
        (HERE / f"{code}.xlsx").write_bytes(write_xlsform(definition, "1"))
        (HERE / f"{code}.lss").write_bytes(lss(definition, sid))
    (HERE / "pyxform-group.xlsx").write_bytes(pyxform_group())


if __name__ == "__main__":
    main()
