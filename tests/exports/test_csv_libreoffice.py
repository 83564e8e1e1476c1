"""The CSV files opened as a planner opens them: in LibreOffice (standing in for Excel),
split on ';' as Norwegian Excel does and on ',' as English Excel does, with formulas
evaluated. No text field becomes a formula under either separator, and the figures
arrive in columns, as numbers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.extensions import db
from surveyapp.models import Answer, SurveyRound
from tests.exports.libreoffice import ENGLISH_US, NORWEGIAN_BOKMAL, convert, csv_filter
from tests.results.conftest import satisfied

PAYLOADS = [
    "Bra service;=2+5",  # the case: a ';' reader split it into a cell =2+5
    "Bra service,=3+5",
    '=HYPERLINK("http://evil.example","klikk")',
    "\r=1+3",
    "Takk\n=4+4",
    "@SUM(1+1)",
    "+5+5",
    "-6+6",
    "tab\t=7+7",
    'quote ";=8+8',
    "- bedre åpningstider",
]


def _formulas(path: Path) -> list[str]:
    book = openpyxl.load_workbook(path)
    return [
        f"{ws.title}!{cell.coordinate}={cell.value!r}"
        for ws in book.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


def _texts(path: Path) -> list[str]:
    book = openpyxl.load_workbook(path)
    return [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row]


@pytest.fixture
def answers_with_payloads(
    add_responses: Callable[..., SurveyRound], raw_planner: Any
) -> SurveyRound:
    made = add_responses(
        "citizen-satisfaction",
        [{"overall": ["5"], "suggestion": ["placeholder"]} for _ in PAYLOADS],
    )
    rows = db.session.scalars(
        sa.select(Answer).where(Answer.question_code == "suggestion").order_by(Answer.id)
    ).all()
    for answer, payload in zip(rows, PAYLOADS, strict=True):
        answer.value_text = payload
    db.session.commit()
    return made


def test_no_text_becomes_a_formula_under_either_separator(
    client: FlaskClient, answers_with_payloads: SurveyRound, tmp_path: Path
) -> None:
    files = []
    for dialect in ("standard", "excel-no"):
        for kind in ("answers", "aggregates"):
            url = f"/exports/5501/{kind}.csv?lang=nb&dialect={dialect}&free_text=1"
            response = client.get(url, buffered=True)
            assert response.status_code == 200
            path = tmp_path / f"{kind}-{dialect}.csv"
            path.write_bytes(response.data)
            files.append(path)
    # The harness can see a formula: an unquoted one in a file of our own becomes one.
    control = tmp_path / "control.csv"
    control.write_text("a;b,c\r\n=1+1;=2+2,x\r\n", encoding="utf-8")
    profile = tmp_path / "profile"
    for separator in (";", ","):
        out = tmp_path / f"split-{ord(separator)}"
        out.mkdir()
        converted = convert(
            [*files, control], "xlsx", out, profile, csv_filter(separator, NORWEGIAN_BOKMAL)
        )
        *exports, checked = converted
        assert _formulas(checked), "LibreOffice did not evaluate the control's formula"
        for path in exports:
            assert _formulas(path) == [], f"{path.name} split on {separator!r}"
    # Read with its own separator, every payload is one cell, whole (with the ' in front).
    answers = convert(
        [tmp_path / "answers-excel-no.csv"],
        "xlsx",
        tmp_path / "own",
        profile,
        csv_filter(";", NORWEGIAN_BOKMAL),
    )[0]
    cells = _texts(answers)
    assert "Bra service;'=2+5" in cells and '\'=HYPERLINK("http://evil.example","klikk")' in cells


def test_norwegian_excel_gets_columns_and_numbers(
    client: FlaskClient, planner: Any, add_round: Callable[..., SurveyRound], tmp_path: Path
) -> None:
    add_round("5501", 2026, satisfied(312, 400), channel=["phone", "email"])
    profile = tmp_path / "profile"
    for dialect, separator, language in (
        ("excel-no", ";", NORWEGIAN_BOKMAL),
        ("standard", ",", ENGLISH_US),
    ):
        path = tmp_path / f"figures-{dialect}.csv"
        path.write_bytes(
            client.get(
                f"/exports/5501/aggregates.csv?lang=nb&dialect={dialect}", buffered=True
            ).data
        )
        out = tmp_path / dialect
        out.mkdir()
        (book_path,) = convert([path], "xlsx", out, profile, csv_filter(separator, language))
        ws = openpyxl.load_workbook(book_path).active
        assert ws is not None
        header = [c.value for c in ws[1]]
        codes = [c.value for c in ws[2]]
        assert header[:2] == ["Tabellkode", "Tabell"] and len(header) == 15  # in columns
        assert codes[9] == "value"
        headline = [c.value for c in ws[3]]
        assert headline[0] == "headline"
        # 312 of 400: 78.0 % (73.7 % – 81.8 %), as numbers, not text.
        assert headline[9:13] == [78, 73.7, 81.8, 400]
        assert all(isinstance(v, int | float) for v in headline[9:13])
