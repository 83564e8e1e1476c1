"""The answers row by row as SPSS (.sav) and Stata (.dta) files, with variable and value
labels in the user's language: what municipal analysts and other survey tools' users
open directly.

The rows are exactly those of the answers CSV and the "Svar" sheets (``raw.RawAnswers``
for a ``raw.RawSelection``): the same rounds, the same hidden groups, free text only
when chosen. The callers apply the same right and the same audit.

Coding:

* rating questions keep their value (1–5); single-choice and yes/no questions are
  numbered 1, 2, … in the questionnaire's order; every code has its label;
* "don't know" and a hidden group are missing values with a label: SPSS codes 99 and 98
  declared user-missing; Stata the extended missing values ``.a`` and ``.b``;
* a multiple-choice question becomes one 0/1 variable per option;
* numbers stay numbers; free text and dates written by the respondent stay text.

Needs the optional ``analysts`` extra (pyreadstat, pandas).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from surveyapp.catalogs import translator
from surveyapp.exports.raw import FIXED_COLUMNS, MULTIPLE_SEPARATOR, RawAnswers
from surveyapp.formatting import pick
from surveyapp.questionnaires.definition import Definition
from surveyapp.questionnaires.survey import Question
from surveyapp.results.queries import DONT_KNOW

FORMATS = {"sav": "application/x-spss-sav", "dta": "application/x-stata-dta"}
SPSS_DONT_KNOW, SPSS_HIDDEN = 99, 98
STATA_DONT_KNOW, STATA_HIDDEN = "a", "b"
NAME_LIMIT = 32  # Stata's limit; SPSS allows 64
LABEL_LIMIT = 80  # Stata's variable labels


class MissingExtra(RuntimeError):
    """pyreadstat (the ``analysts`` extra) is not installed."""


def available() -> bool:
    try:
        import pandas  # noqa: F401
        import pyreadstat  # noqa: F401
    except ImportError:
        return False
    return True


_NOT_IN_NAMES = re.compile(r"[^A-Za-z0-9_]")


def variable_name(code: str, taken: set[str]) -> str:
    """A name SPSS and Stata both accept: a letter first, letters, digits and _, ≤ 32."""
    name = _NOT_IN_NAMES.sub("_", code) or "v"
    if not name[0].isalpha():
        name = "v_" + name
    name = name[:NAME_LIMIT]
    base, number = name, 1
    while name.lower() in taken:
        number += 1
        suffix = f"_{number}"
        name = base[: NAME_LIMIT - len(suffix)] + suffix
    taken.add(name.lower())
    return name


@dataclass
class Variable:
    name: str
    label: str
    source: int  # position in the raw row
    kind: str  # number | coded | flag | text | date
    codes: dict[str, int] = field(default_factory=dict)  # coded: option value → code
    labels: dict[int, str] = field(default_factory=dict)
    option: str | None = None  # flag: the option it marks


def _variables(source: RawAnswers, definition: Definition, language: str) -> list[Variable]:
    text = translator(language)
    taken: set[str] = set()
    variables = [
        Variable(variable_name("response", taken), text("Response number"), 0, "number"),
        Variable(variable_name("submitted", taken), text("Submitted"), 1, "date"),
        Variable(variable_name("language", taken), text("Language"), 2, "text"),
    ]
    questions = {q.code: q for q in definition.questions}
    for position, column in enumerate(source.columns, FIXED_COLUMNS):
        question: Question | None = questions.get(column.question)
        wording = pick(question.text, language) if question else column.code
        if column.kind == "comment":
            wording = f"{wording} ({text('comment')})"
        label = wording[:LABEL_LIMIT]
        if question is None or column.kind in ("text", "comment", "any"):
            variables.append(Variable(variable_name(column.code, taken), label, position, "text"))
        elif column.kind == "multiple":
            for option in question.options:
                value = str(option.value)
                option_label = f"{wording}: {pick(option.label, language)}"[:LABEL_LIMIT]
                variables.append(
                    Variable(
                        variable_name(f"{column.code}_{value}", taken),
                        option_label,
                        position,
                        "flag",
                        labels={0: text("No"), 1: text("Yes")},
                        option=value,
                    )
                )
        elif column.kind in ("rating", "choice"):
            codes: dict[str, int] = {}
            labels: dict[int, str] = {}
            for number, option in enumerate(question.options, 1):
                value = str(option.value)
                code = int(option.value) if column.kind == "rating" else number
                codes[value] = code
                labels[code] = pick(option.label, language)
            variables.append(
                Variable(variable_name(column.code, taken), label, position, "coded", codes, labels)
            )
        else:
            variables.append(Variable(variable_name(column.code, taken), label, position, "number"))
    return variables


def _columns(
    rows: Iterable[list[Any]], variables: list[Variable], hidden: str, stata: bool
) -> dict[str, list[Any]]:
    dont_know: Any = STATA_DONT_KNOW if stata else SPSS_DONT_KNOW
    hidden_code: Any = STATA_HIDDEN if stata else SPSS_HIDDEN
    nan = float("nan")
    data: dict[str, list[Any]] = {v.name: [] for v in variables}
    for row in rows:
        for v in variables:
            value = row[v.source]
            out: Any
            if v.kind == "coded":
                if value is None:
                    out = nan
                elif value == DONT_KNOW:
                    out = dont_know
                elif value == hidden:
                    out = hidden_code
                else:
                    out = float(v.codes.get(str(value), nan))
            elif v.kind == "flag":
                chosen = str(value).split(MULTIPLE_SEPARATOR) if value is not None else None
                out = nan if chosen is None else float(v.option in chosen)
            elif v.kind == "number":
                out = float(value) if isinstance(value, int | float) else nan
            elif v.kind == "date":
                if isinstance(value, datetime):
                    out = value
                elif isinstance(value, date):
                    out = datetime(value.year, value.month, value.day)
                else:
                    out = None
            else:
                out = "" if value is None else str(value)
            data[v.name].append(out)
    return data


def write_answers(
    source: RawAnswers, definition: Definition, path: Path, fmt: str, language: str
) -> int:
    """Write the rows to ``path`` as .sav or .dta; returns the number of responses."""
    try:
        import pandas as pd
        import pyreadstat
    except ImportError as error:  # pragma: no cover - the extra is part of dev
        raise MissingExtra("pip install 'surveyapp[analysts]'") from error
    if fmt not in FORMATS:
        raise ValueError(f"format must be sav or dta, got {fmt!r}")
    stata = fmt == "dta"
    text = translator(language)
    variables = _variables(source, definition, language)
    hidden = source.hidden_value(language)
    data = _columns(source.rows(language), variables, hidden, stata)
    kinds = {v.name: v.kind for v in variables}
    frame = pd.DataFrame(
        {
            # Stata's missing codes are letters among the numbers: such a column is mixed.
            name: pd.array(values, dtype=object)
            if stata and kinds[name] == "coded" and any(isinstance(x, str) for x in values)
            else values
            for name, values in data.items()
        }
    )
    date_column = variables[1].name
    frame[date_column] = pd.to_datetime(frame[date_column])
    labels: dict[str, str | None] = {v.name: v.label for v in variables}
    value_labels: dict[str, dict[Any, str]] = {}
    missing: dict[str, list[Any]] = {}
    for v in variables:
        if v.kind not in ("coded", "flag"):
            continue
        current: dict[Any, str] = dict(v.labels)
        if v.kind == "coded":
            current[STATA_DONT_KNOW if stata else SPSS_DONT_KNOW] = text("Don't know")
            current[STATA_HIDDEN if stata else SPSS_HIDDEN] = hidden
            missing[v.name] = (
                [STATA_DONT_KNOW, STATA_HIDDEN] if stata else [SPSS_DONT_KNOW, SPSS_HIDDEN]
            )
        value_labels[v.name] = current
    file_label = text("Answers row by row")
    if stata:
        pyreadstat.write_dta(
            frame,
            str(path),
            file_label=file_label,
            column_labels=labels,
            variable_value_labels=value_labels,
            missing_user_values=missing,
        )
    else:
        pyreadstat.write_sav(
            frame,
            str(path),
            file_label=file_label,
            column_labels=labels,
            variable_value_labels=value_labels,
            missing_ranges=missing,
            variable_measure={
                v.name: {"coded": "ordinal", "flag": "nominal"}.get(v.kind, "scale")
                for v in variables
                if v.kind in ("coded", "flag", "number")
            },
        )
    return len(frame)
