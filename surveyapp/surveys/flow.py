"""Which questions show, and what a set of raw page inputs stores. Plain data, no Flask.

Raw inputs are what the pages posted, kept per field name as lists of strings:
``{"overall": ["4"], "channel": ["phone"], "wait__min": ["3"], "wait__sec": ["30"]}``.
Answer rows are what the database stores, one per answer (see docs/questionnaire-format.md).
What a question posts and stores is its type's business
(:mod:`surveyapp.questionnaires.types`); this module walks the questions.
"""

from __future__ import annotations

from surveyapp import typed_numbers
from surveyapp.plaintext import strip_controls
from surveyapp.questionnaires import types as question_types
from surveyapp.questionnaires.definition import Definition
from surveyapp.questionnaires.survey import Question
from surveyapp.questionnaires.types import duration as _duration
from surveyapp.questionnaires.types.base import COMMENT_SUFFIX, DONT_KNOW, AnswerRow, RawInputs
from surveyapp.questionnaires.types.dates import parse_date, parse_datetime
from surveyapp.questionnaires.types.number import read_number_answer

__all__ = [
    "COMMENT_SUFFIX",
    "DONT_KNOW",
    "MINUTES_SUFFIX",
    "SECONDS_SUFFIX",
    "AnswerRow",
    "RawInputs",
    "answer_rows",
    "field_names",
    "is_shown",
    "page_inputs",
    "parse_date",
    "parse_datetime",
    "read_number_answer",
]

MINUTES_SUFFIX = _duration.MINUTES_SUFFIX
SECONDS_SUFFIX = _duration.SECONDS_SUFFIX
DEFAULT_MAX_MINUTES = _duration.DEFAULT_MAX_MINUTES
max_minutes = _duration.max_minutes
read_duration_part = _duration.read_part
duration_seconds = _duration.seconds


def field_names(question: Question) -> list[str]:
    """The form field names a question posts."""
    return question_types.get(question.type).field_names(question)


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
    """A finite number as people type it: "2,5", "2.5", "1 200", "1 200" (ASCII digits)."""
    return typed_numbers.parse_number(text)


def answer_rows(definition: Definition, raw: RawInputs) -> list[AnswerRow]:
    """The rows to store: shown questions only; hidden questions' answers are dropped."""
    rows: list[AnswerRow] = []
    for question in definition.questions:
        if is_shown(definition, question, raw):
            rows.extend(question_types.get(question.type).answer_rows(question, raw))
    return rows


def clean_text(value: str) -> str:
    """Drop control characters (NUL cannot be stored in PostgreSQL text); keep tab and newlines."""
    return strip_controls(value)


def page_inputs(definition: Definition, section_index: int, posted: RawInputs) -> RawInputs:
    """The raw inputs of one page, from everything that was posted."""
    section = definition.sections[section_index]
    names = [name for q in section.questions for name in field_names(q)]
    return {name: [clean_text(v[:10_000]) for v in posted.get(name, [])][:100] for name in names}
