"""Which questions show, and what a set of raw page inputs stores. Plain data, no Flask.

Raw inputs are what the pages posted, kept per field name as lists of strings:
``{"overall": ["4"], "channel": ["phone"], "wait__min": ["3"], "wait__sec": ["30"]}``.
Answer rows are what the database stores, one per answer (see docs/questionnaire-format.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from surveyapp import typed_numbers
from surveyapp.plaintext import strip_controls
from surveyapp.questionnaires.definition import Definition
from surveyapp.questionnaires.survey import Question

RawInputs = dict[str, list[str]]

COMMENT_SUFFIX = "__comment"
MINUTES_SUFFIX = "__min"
SECONDS_SUFFIX = "__sec"
DONT_KNOW = "dont_know"
#: Minutes a duration may have when its question names no ``max_minutes``.
DEFAULT_MAX_MINUTES = 99_999


@dataclass(frozen=True)
class AnswerRow:
    question_code: str
    option: str | None
    value_num: float | None
    value_text: str | None


def field_names(question: Question) -> list[str]:
    """The form field names a question posts."""
    if question.type == "duration":
        return [question.code + MINUTES_SUFFIX, question.code + SECONDS_SUFFIX]
    if question.type == "yesno" and question.settings.get("comment"):
        return [question.code, question.code + COMMENT_SUFFIX]
    return [question.code]


def chosen_values(question: Question, raw: RawInputs) -> list[str]:
    return [v for v in raw.get(question.code, []) if v != ""]


def is_shown(definition: Definition, question: Question, raw: RawInputs) -> bool:
    """A question shows when its condition holds on the answers given (and the
    controlling question is itself shown)."""
    condition = question.show_if
    if condition is None:
        return True
    controller = definition.question(condition.question)
    if not is_shown(definition, controller, raw):
        return False
    wanted = {str(v) for v in condition.values}
    return any(v in wanted for v in chosen_values(controller, raw))


def parse_number(text: str) -> float | None:
    """A finite number as people type it: "2,5", "2.5", "1 200", "1 200" (ASCII digits)."""
    return typed_numbers.parse_number(text)


def read_number_answer(question: Question, text: str) -> tuple[float | None, str | None]:
    """A number question's answer checked against its settings (see ``typed_numbers``)."""
    settings = question.settings
    return typed_numbers.read_number(
        text,
        low=settings.get("min"),
        high=settings.get("max"),
        integer=bool(settings.get("integer", True)),
    )


def max_minutes(question: Question) -> int:
    """The most minutes a duration question takes."""
    return int(question.settings.get("max_minutes") or DEFAULT_MAX_MINUTES)


def read_duration_part(question: Question, part: str, text: str) -> tuple[int | None, str | None]:
    """Minutes (``part`` "min", up to the question's maximum) or seconds ("sec", 0–59)."""
    return typed_numbers.read_whole(text, 59 if part == "sec" else max_minutes(question))


def duration_seconds(question: Question, minutes: str, seconds: str) -> int | None:
    """The duration in seconds when both parts are valid (an empty part counts as 0)."""
    total = 0
    for part, text, factor in (("min", minutes, 60), ("sec", seconds, 1)):
        if not text.strip():
            continue
        value, _problem = read_duration_part(question, part, text)
        if value is None:
            return None
        total += value * factor
    return total


def parse_date(text: str) -> date | None:
    """ISO (from date inputs) or Norwegian dd.mm.yyyy (typed by hand)."""
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def parse_datetime(text: str) -> datetime | None:
    text = text.strip()
    for pattern in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def _first(raw: RawInputs, name: str) -> str:
    values = raw.get(name) or [""]
    return values[0].strip()


def _rows_for(question: Question, raw: RawInputs) -> list[AnswerRow]:
    code = question.code
    values = chosen_values(question, raw)
    if question.type in ("rating", "single", "multiple", "yesno"):
        # Only the question's own options: a value saved unchecked (the back button keeps
        # what was typed) is never stored.
        allowed = _allowed_values(question)
        values = [v for v in values if v in allowed]
    if question.type in ("rating", "single", "multiple"):
        numeric = question.type == "rating"
        return [
            AnswerRow(code, v, float(v) if numeric and v != DONT_KNOW else None, None)
            for v in (values if question.type == "multiple" else values[:1])
        ]
    if question.type == "yesno":
        if not values:
            return []
        comment = _first(raw, code + COMMENT_SUFFIX) or None
        return [AnswerRow(code, values[0], {"yes": 1.0, "no": 0.0}.get(values[0]), comment)]
    if question.type == "number":
        number, _problem = read_number_answer(question, _first(raw, code))
        return [] if number is None else [AnswerRow(code, None, number, None)]
    if question.type == "duration":
        minutes, seconds = _first(raw, code + MINUTES_SUFFIX), _first(raw, code + SECONDS_SUFFIX)
        if not minutes and not seconds:
            return []
        total = duration_seconds(question, minutes, seconds)
        return [] if total is None else [AnswerRow(code, None, float(total), None)]
    if question.type == "date":
        day = parse_date(_first(raw, code))
        return [] if day is None else [AnswerRow(code, None, None, day.isoformat())]
    if question.type == "datetime":
        moment = parse_datetime(_first(raw, code))
        text = None if moment is None else moment.strftime("%Y-%m-%dT%H:%M")
        return [] if text is None else [AnswerRow(code, None, None, text)]
    text = (raw.get(code) or [""])[0].strip()
    return [AnswerRow(code, None, None, text)] if text else []


def _allowed_values(question: Question) -> set[str]:
    if question.type == "yesno":
        allowed = {"yes", "no"}
    else:
        allowed = {str(option.value) for option in question.options}
    if question.dont_know:
        allowed.add(DONT_KNOW)
    return allowed


def answer_rows(definition: Definition, raw: RawInputs) -> list[AnswerRow]:
    """The rows to store: shown questions only; hidden questions' answers are dropped."""
    rows: list[AnswerRow] = []
    for question in definition.questions:
        if is_shown(definition, question, raw):
            rows.extend(_rows_for(question, raw))
    return rows


def clean_text(value: str) -> str:
    """Drop control characters (NUL cannot be stored in PostgreSQL text); keep tab and newlines."""
    return strip_controls(value)


def page_inputs(definition: Definition, section_index: int, posted: RawInputs) -> RawInputs:
    """The raw inputs of one page, from everything that was posted."""
    section = definition.sections[section_index]
    names = [name for q in section.questions for name in field_names(q)]
    return {name: [clean_text(v[:10_000]) for v in posted.get(name, [])][:100] for name in names}
