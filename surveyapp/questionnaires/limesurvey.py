"""LimeSurvey structure exports (``.lss``) read into the app's definition.

The XML is parsed by defusedxml: a DTD, an entity declaration or an external
reference refuses the file before anything is expanded (no "billion laughs", no file
or network access). Both layouts are read: texts in the rows with a ``language``
(LimeSurvey 3) and texts in ``*_l10ns`` tables (LimeSurvey 4 and later).

Mapped: list (radio) ``L``/``!`` → single, multiple choice ``M`` → multiple, numerical
``N`` → number, short and long free text ``S``/``T``/``U`` → text, yes/no ``Y`` → yesno,
date ``D`` → date, array ``F`` (Likert) → one rating question per row of the array;
groups are pages; conditions (the ``conditions`` table, or ``relevance`` such as
``Q1 == "A1" or Q1 == "A2"``) become show-if where they name one earlier question.
Every other question type is refused by name, with the line of the question.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from surveyapp.questionnaires import types as question_types
from surveyapp.questionnaires.checks import LANGUAGES
from surveyapp.questionnaires.imported import MAX_UPLOAD_BYTES, Imported, Problems, validated
from surveyapp.questionnaires.problems import Count, Place
from surveyapp.questionnaires.types.base import N_
from surveyapp.questionnaires.yaml_source import Path

TYPE_NAMES = {
    "1": "Array dual scale",
    "5": "5 point choice",
    "A": "Array (5 point choice)",
    "B": "Array (10 point choice)",
    "C": "Array (Yes/No/Uncertain)",
    "E": "Array (Increase/Same/Decrease)",
    "G": "Gender",
    "H": "Array by column",
    "I": "Language switch",
    "K": "Multiple numerical input",
    "O": "List with comment",
    "P": "Multiple choice with comments",
    "Q": "Multiple short text",
    "R": "Ranking",
    "X": "Text display",
    ":": "Array (Numbers)",
    ";": "Array (Texts)",
    "*": "Equation",
    "|": "File upload",
}
_TAG_RE = re.compile(r"<[^>]*>")
_CODE_RE = re.compile(r"[a-z][a-z0-9_]*")
_VALUE_RE = re.compile(r"[a-z0-9_]+")
_TERM_RE = re.compile(
    r"""^\(*\s*([A-Za-z][A-Za-z0-9_]*)(?:\.NAOK)?\s*==\s*(?:"([^"]*)"|'([^']*)'|([0-9]+))\s*\)*$"""
)


def plain_text(value: str) -> str:
    """LimeSurvey's HTML texts as plain text."""
    text = _TAG_RE.sub(" ", value.replace("<br />", "\n").replace("<br>", "\n"))
    return " ".join(html.unescape(text).split())


@dataclass
class _Row:
    line: int
    values: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str:
        return self.values.get(key, "")


class _LineBuilder(TreeBuilder):
    """A tree builder that remembers the line each element starts on."""

    def __init__(self) -> None:
        super().__init__()
        self.expat: Any = None
        self.lines: dict[int, int] = {}

    def start(self, tag: Any, attrs: Any) -> Element:
        element = super().start(tag, attrs)
        if self.expat is not None:
            self.lines[id(element)] = self.expat.CurrentLineNumber
        return element


def parse_xml(data: bytes, problems: Problems) -> tuple[Element, dict[int, int]] | None:
    """The document's root with element lines; None (and a problem) when refused."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import DefusedXMLParser

    builder = _LineBuilder()
    parser = DefusedXMLParser(
        target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    builder.expat = parser.parser
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException:
        problems.add(
            None,
            N_(
                "the file declares a DTD, entities or external references, which are refused"
                " (a LimeSurvey export has none)"
            ),
        )
        return None
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        problems.add(
            Place(line=line) if line else None,
            N_("the file is not valid XML (is it cut short?): %(reason)s"),
            reason=str(exc)[:200],
        )
        return None
    return root, builder.lines


def read_limesurvey(data: bytes, filename: str) -> Imported:
    """Read a LimeSurvey ``.lss`` file into a validated definition (DefinitionError)."""
    problems = Problems(filename)
    if len(data) > MAX_UPLOAD_BYTES:
        problems.add(
            None,
            N_("the file is too large: %(size)s bytes; an uploaded file may have at most %(max)s"),
            size=Count(len(data)),
            max=Count(MAX_UPLOAD_BYTES),
        )
        raise problems.error()
    parsed = parse_xml(data, problems)
    if parsed is None:
        raise problems.error()
    root, lines = parsed
    if root.tag != "document" or (root.findtext("LimeSurveyDocType") or "").strip() != "Survey":
        problems.add(
            None,
            N_("the file is not a LimeSurvey survey structure (.lss) export"),
        )
        raise problems.error()
    reader = _Reader(root, lines, problems)
    return Imported(validated(reader.definition(), reader.cells, problems), "limesurvey")


class _Reader:
    def __init__(self, root: Element, lines: dict[int, int], problems: Problems) -> None:
        self.root = root
        self.lines = lines
        self.problems = problems
        self.cells: dict[Path, Place] = {}

    def table(self, name: str) -> list[_Row]:
        rows = []
        for row in self.root.findall(f"{name}/rows/row"):
            values = {child.tag: (child.text or "").strip() for child in row}
            rows.append(_Row(self.lines.get(id(row), 0), values))
        return rows

    def fail(self, row: _Row | None, msgid: str, **params: Any) -> None:
        self.problems.add(Place(line=row.line) if row else None, msgid, **params)

    def texts(self, rows: list[_Row], key: str) -> dict[str, str]:
        return {row.get("language"): plain_text(row.get(key)) for row in rows}

    def translation(self, texts: dict[str, str], row: _Row | None, what: str, path: Path) -> Any:
        place = Place(line=row.line) if row else None
        if place and path:
            self.cells[path] = place
        missing = [lang for lang in LANGUAGES if not texts.get(lang)]
        if missing:
            self.fail(
                row,
                N_("the %(what)s has no text in %(languages)s"),
                what=what,
                languages=", ".join(missing),
            )
        return {lang: texts.get(lang, "") for lang in LANGUAGES}

    # ------------------------------------------------------------------ the survey

    def definition(self) -> dict[str, Any]:
        surveys = self.table("surveys")
        survey = surveys[0] if surveys else _Row(0)
        sid = survey.get("sid") or "survey"
        settings = self.table("surveys_languagesettings")
        data: dict[str, Any] = {"format": 1, "code": f"limesurvey-{sid}".lower(), "kind": "survey"}
        self.cells[("code",)] = Place(line=survey.line or None)
        titles = {r.get("surveyls_language"): plain_text(r.get("surveyls_title")) for r in settings}
        data["title"] = self.translation(
            titles, settings[0] if settings else None, "title", ("title",)
        )
        descriptions = {
            r.get("surveyls_language"): plain_text(r.get("surveyls_description")) for r in settings
        }
        if any(descriptions.values()):
            data["description"] = self.translation(
                descriptions, settings[0], "description", ("description",)
            )
        self.group_texts = self.by_key(self.table("group_l10ns") or self.table("groups"), "gid")
        self.question_texts = self.by_key(
            self.table("question_l10ns") or self.table("questions") + self.table("subquestions"),
            "qid",
        )
        answers = self.table("answers")
        answer_texts = self.by_key(self.table("answer_l10ns"), "aid")
        self.answers: dict[str, list[tuple[_Row, dict[str, str]]]] = {}
        seen_answers: set[tuple[str, str, str]] = set()
        for row in sorted(answers, key=lambda r: _int(r.get("sortorder"))):
            if row.get("scale_id") not in ("", "0"):
                continue
            key = (row.get("qid"), row.get("code"), "")
            if key in seen_answers:
                continue
            seen_answers.add(key)
            same = [r for r in answers if (r.get("qid"), r.get("code")) == key[:2]]
            if row.get("aid"):
                texts = self.texts(answer_texts.get(row.get("aid"), []), "answer")
            else:
                texts = self.texts(same, "answer")
            self.answers.setdefault(row.get("qid"), []).append((row, texts))
        self.attributes: dict[str, dict[str, str]] = {}
        for row in self.table("question_attributes"):
            self.attributes.setdefault(row.get("qid"), {})[row.get("attribute")] = row.get("value")
        self.conditions: dict[str, list[_Row]] = {}
        for row in self.table("conditions"):
            self.conditions.setdefault(row.get("qid"), []).append(row)

        questions = self.unique(self.table("questions"), "qid")
        subquestions = self.unique(self.table("subquestions"), "qid")
        self.subs: dict[str, list[_Row]] = {}
        for row in sorted(
            subquestions + [q for q in questions if q.get("parent_qid") not in ("", "0")],
            key=lambda r: _int(r.get("question_order")),
        ):
            self.subs.setdefault(row.get("parent_qid"), []).append(row)
        top = [q for q in questions if q.get("parent_qid") in ("", "0")]
        groups = sorted(
            self.unique(self.table("groups"), "gid"), key=lambda r: _int(r.get("group_order"))
        )
        self.by_title: dict[str, tuple[dict[str, Any], _Row]] = {}
        self.codes: dict[str, int] = {}
        sections: list[dict[str, Any]] = []
        for group in groups:
            path: Path = ("sections", len(sections))
            self.cells[path] = Place(line=group.line)
            group_rows = self.group_texts.get(group.get("gid"), [])
            section: dict[str, Any] = {
                "code": f"g{group.get('gid')}",
                "title": self.translation(
                    self.texts(group_rows, "group_name"),
                    group_rows[0] if group_rows else group,
                    "group name",
                    (*path, "title"),
                ),
                "questions": [],
            }
            intro = self.texts(group_rows, "description")
            if any(intro.values()):
                section["intro"] = self.translation(
                    intro,
                    group_rows[0] if group_rows else group,
                    "group description",
                    (*path, "intro"),
                )
            members = sorted(
                (q for q in top if q.get("gid") == group.get("gid")),
                key=lambda r: _int(r.get("question_order")),
            )
            for question in members:
                for mapped in self.question(question, len(sections), len(section["questions"])):
                    section["questions"].append(mapped)
            sections.append(section)
        data["sections"] = sections
        return data

    def by_key(self, rows: list[_Row], key: str) -> dict[str, list[_Row]]:
        found: dict[str, list[_Row]] = {}
        for row in rows:
            found.setdefault(row.get(key), []).append(row)
        return found

    def unique(self, rows: list[_Row], key: str) -> list[_Row]:
        """One row per id (LimeSurvey 3 repeats a row per language)."""
        seen: dict[str, _Row] = {}
        for row in rows:
            seen.setdefault(row.get(key), row)
        return list(seen.values())

    # ------------------------------------------------------------------ questions

    def question(self, row: _Row, section: int, index: int) -> list[dict[str, Any]]:
        letter = row.get("type")
        title = row.get("title")
        matching = [t for t in question_types.REGISTRY.values() if letter in t.limesurvey_types]
        if not matching:
            self.fail(
                row,
                N_(
                    "the LimeSurvey question type '%(type)s' (%(name)s) of %(code)s is not"
                    " supported by the app"
                ),
                type=letter,
                name=TYPE_NAMES.get(letter, "unknown"),
                code=title,
            )
            return []
        question_type = matching[0]
        if row.get("other") == "Y":
            self.fail(row, N_("the option 'Other' of %(code)s is not supported"), code=title)
        code = self.code(row, title)
        texts = self.question_texts.get(row.get("qid"), [])
        text_row = texts[0] if texts else row
        text = self.texts([r for r in texts if r.get("language")], "question")
        help_texts = self.texts([r for r in texts if r.get("language")], "help")
        attributes = self.attributes.get(row.get("qid"), {})
        out: list[dict[str, Any]] = []
        path: Path = ("sections", section, "questions", index)
        base: dict[str, Any] = {"code": code, "type": question_type.name}
        if row.get("mandatory") == "Y":
            base["required"] = True
        if question_type.name == "rating":  # an array: one rating question per row
            options = self.options(row, numbered=True)
            for n, sub in enumerate(self.subs.get(row.get("qid"), [])):
                sub_path: Path = ("sections", section, "questions", index + n)
                sub_texts = self.texts(
                    [r for r in self.question_texts.get(sub.get("qid"), []) if r.get("language")],
                    "question",
                )
                combined = {
                    lang: f"{text.get(lang, '')} – {sub_texts.get(lang, '')}".strip(" –")
                    for lang in LANGUAGES
                }
                question = {
                    **base,
                    "code": self.code(sub, f"{title}_{sub.get('title')}"),
                    "text": self.translation(combined, sub, "question text", (*sub_path, "text")),
                    "options": options,
                }
                self.cells[sub_path] = Place(line=sub.line)
                self.register(question, row)
                out.append(question)
            if not out:
                self.fail(row, N_("the array %(code)s has no rows"), code=title)
            return out
        self.cells[path] = Place(line=row.line)
        question = {
            **base,
            "text": self.translation(text, text_row, "question text", (*path, "text")),
        }
        if any(help_texts.values()):
            question["help"] = self.translation(help_texts, text_row, "help", (*path, "help"))
        if question_type.name == "single":
            question["options"] = self.options(row, numbered=False)
        elif question_type.name == "multiple":
            question["options"] = self.sub_options(row)
            for key, attribute in (("min_choices", "min_answers"), ("max_choices", "max_answers")):
                if attributes.get(attribute, "").isdigit():
                    question[key] = int(attributes[attribute])
        elif question_type.name == "number":
            question["integer"] = attributes.get("num_value_int_only") == "1"
            for key, attribute in (("min", "min_num_value_n"), ("max", "max_num_value_n")):
                value = attributes.get(attribute, "")
                if re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value):
                    question[key] = float(value) if "." in value else int(value)
        elif question_type.name == "text":
            question["multiline"] = letter != "S"
            if attributes.get("maximum_chars", "").isdigit():
                question["max_length"] = int(attributes["maximum_chars"])
        elif question_type.name == "yesno":
            question["dont_know"] = row.get("mandatory") != "Y"
        condition = self.condition(row)
        if condition is not None:
            question["show_if"] = condition
            self.cells[(*path, "show_if")] = Place(line=row.line)
        self.register(question, row)
        return [question]

    def code(self, row: _Row, title: str) -> str:
        code = title.lower()
        if not _CODE_RE.fullmatch(code):
            self.fail(
                row,
                N_(
                    "the question code '%(code)s' cannot be used: the app's codes start with a"
                    " letter and have only letters a-z, digits and '_'"
                ),
                code=title,
            )
        return code

    def register(self, question: dict[str, Any], row: _Row) -> None:
        self.by_title[row.get("title")] = (question, row)

    def options(self, row: _Row, numbered: bool) -> list[dict[str, Any]]:
        answers = self.answers.get(row.get("qid"), [])
        if not answers:
            self.fail(row, N_("the question %(code)s has no answer options"), code=row.get("title"))
            return []
        codes = [a.get("code") for a, _texts in answers]
        numeric = all(re.fullmatch(r"-?[0-9]+", c) for c in codes)
        out = []
        for n, (answer, texts) in enumerate(answers, 1):
            value: int | str
            if numeric:
                value = int(answer.get("code"))
            elif numbered:
                value = n  # a rating's points: the options' order, worst first
            else:
                value = answer.get("code").lower()
                if not _VALUE_RE.fullmatch(value):
                    self.fail(
                        answer,
                        N_("the answer code '%(code)s' cannot be used as an option value"),
                        code=answer.get("code"),
                    )
            out.append({"value": value, "label": self.translation(texts, answer, "answer", ())})
        return out

    def sub_options(self, row: _Row) -> list[dict[str, Any]]:
        out = []
        for sub in self.subs.get(row.get("qid"), []):
            texts = self.texts(
                [r for r in self.question_texts.get(sub.get("qid"), []) if r.get("language")],
                "question",
            )
            value = sub.get("title").lower()
            if not _VALUE_RE.fullmatch(value):
                self.fail(
                    sub,
                    N_("the answer code '%(code)s' cannot be used as an option value"),
                    code=sub.get("title"),
                )
            out.append({"value": value, "label": self.translation(texts, sub, "answer", ())})
        if not out:
            self.fail(row, N_("the question %(code)s has no answer options"), code=row.get("title"))
        return out

    def condition(self, row: _Row) -> dict[str, Any] | None:
        """show_if from the conditions table or a simple relevance equation."""
        terms: list[tuple[str, str]] = []
        conditions = self.conditions.get(row.get("qid"), [])
        by_qid = {source.get("qid"): title for title, (_q, source) in self.by_title.items()}
        if conditions:
            for condition in conditions:
                if condition.get("method") not in ("==", ""):
                    return self.no_condition(row)
                title = by_qid.get(condition.get("cqid"))
                if title is None:
                    return self.no_condition(row)
                terms.append((title, condition.get("value")))
        else:
            relevance = " ".join(row.get("relevance").split())
            if relevance in ("", "1"):
                return None
            stripped = relevance
            while stripped.startswith("(") and stripped.endswith(")"):
                stripped = stripped[1:-1].strip()
            for part in re.split(r"\s+(?:or|\|\|)\s+", stripped):
                found = _TERM_RE.match(part.strip())
                if found is None:
                    return self.no_condition(row)
                value = next(g for g in found.groups()[1:] if g is not None)
                terms.append((found.group(1), value))
        values: list[Any] = []
        controller_title: str | None = None
        for name, value in terms:
            if name in self.by_title:
                controller_title, wanted = name, value
            else:  # Q2_SQ001 == "Y": a multiple-choice row ticked
                parent, _, sub = name.rpartition("_")
                if parent not in self.by_title or value != "Y":
                    return self.no_condition(row, name)
                controller_title, wanted = parent, sub
            controller = self.by_title[controller_title][0]
            allowed = {str(o["value"]): o["value"] for o in controller.get("options", [])}
            if controller["type"] == "yesno":
                allowed = {"Y": "yes", "N": "no"}
            key = wanted if controller["type"] == "yesno" else wanted.lower()
            if key not in allowed:
                return self.no_condition(row, name)
            values.append(allowed[key])
        controllers = {
            name.rpartition("_")[0] if name not in self.by_title else name for name, _value in terms
        }
        if len(controllers) != 1 or controller_title is None:
            return self.no_condition(row)
        code = self.by_title[controller_title][0]["code"]
        if len(values) == 1:
            return {"question": code, "equals": values[0]}
        return {"question": code, "in": values}

    def no_condition(self, row: _Row, name: str | None = None) -> dict[str, Any] | None:
        if name is not None and name not in self.by_title:
            self.fail(
                row,
                N_(
                    "the condition of %(code)s refers to %(name)s, which is not an earlier"
                    " question the app can compare"
                ),
                code=row.get("title"),
                name=name,
            )
            return None
        self.fail(
            row,
            N_(
                "the app has no equivalent of the condition of %(code)s: it reads conditions"
                " that compare one earlier question with its answer codes (==), joined with or"
            ),
            code=row.get("title"),
        )
        return None


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0
