"""Exports show a municipality's earlier years under today's number, saying the one then."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner

from surveyapp.exports.workbook import rounds_of, write_municipality_workbook
from surveyapp.results.report import as_dict, build_report
from tests.exports.conftest import open_workbook
from tests.results.conftest import satisfied
from tests.results.test_report_pdf import pages_of


@pytest.fixture
def tromso(municipality_history: None, add_round: Callable[..., Any]) -> None:
    add_round("1902", 2019, satisfied(64, 100))
    add_round("5401", 2022, satisfied(70, 100))
    add_round("5501", 2025, satisfied(76, 100))


def test_the_workbook_notes_the_number_each_year_had(in_english: Any, tromso: None) -> None:
    report = build_report("5501", "citizen-satisfaction", 2025)
    out = io.BytesIO()
    write_municipality_workbook(report, out, language="en")
    years = open_workbook(out.getvalue())["Utvikling"]
    rows = list(years.iter_rows(min_row=3, max_row=5, values_only=True))
    assert [(r[0], r[6]) for r in rows] == [
        (2019, "Then number 1902, Tromsø"),
        (2022, "Then number 5401, Tromsø"),
        (2025, None),
    ]
    text = [c for row in years.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any(t.startswith("Earlier numbers and names: 1902 Tromsø (until 2019)") for t in text)


def test_an_earlier_year_exports_the_rounds_held_under_the_number_then(
    client: FlaskClient, raw_planner: Any, tromso: None
) -> None:
    report = build_report("5501", "citizen-satisfaction", 2019)
    assert report.data_codes == ("1902",)
    assert [r.year for r in rounds_of(report)] == [2019]
    data = client.get("/exports/5501/answers.csv?year=2019", buffered=True).data
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert len(table) == 1 + 100
    book = open_workbook(
        client.get("/exports/5501/workbook.xlsx?year=2019&lang=en", buffered=True).data
    )
    assert book["Utvikling"].cell(3, 7).value == "Then number 1902, Tromsø"


def test_the_printed_report_says_which_number_a_year_had(
    client: FlaskClient, planner: Any, tromso: None
) -> None:
    response = client.get("/results/5501/report.pdf?lang=en", buffered=True)
    assert response.status_code == 200
    text = " ".join(pages_of(response.data))
    assert "Then number 1902, Tromsø" in text and "Then number 5401, Tromsø" in text


def test_the_command_line_takes_an_old_number_and_says_what_it_is_now(
    runner: FlaskCliRunner, tromso: None, tmp_path: Path
) -> None:
    target = tmp_path / "t.xlsx"
    result = runner.invoke(
        args=["export", "xlsx", "--municipality", "1902", "--year", "2019", "--output",
              str(target)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1902 is now 5501 Tromsø. Exporting 5501 Tromsø." in result.output
    assert open_workbook(target.read_bytes())["Utvikling"].cell(3, 1).value == 2019
    refused = runner.invoke(
        args=["export", "xlsx", "--municipality", "0124", "--year", "2019", "--output",
              str(target)],
    )  # fmt: skip
    assert refused.exit_code == 1
    assert "0124 Askim was merged in 2020 into what is now 3118 Indre Østfold." in (refused.output)


def test_the_report_as_data_names_the_number_of_each_year(tromso: None) -> None:
    data = as_dict(build_report("5501", "citizen-satisfaction", 2025))
    assert [(y["year"], y["number"], y["name"]) for y in data["years"]] == [
        (2019, "1902", "Tromsø"),
        (2022, "5401", "Tromsø"),
        (2025, "5501", "Tromsø"),
    ]
