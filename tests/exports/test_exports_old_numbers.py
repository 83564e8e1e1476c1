"""Exports show a municipality's earlier years under today's number, saying the one then."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner

from surveyapp.exports import figures
from surveyapp.exports.report_pdf import render_html
from surveyapp.exports.workbook import rounds_of, write_municipality_workbook
from surveyapp.results.report import as_dict, build_report
from tests.exports.conftest import open_workbook
from tests.results.conftest import satisfied
from tests.results.test_report_pdf import pages_of

INDRE = ("0122", "0123", "0124", "0125", "0138")  # Trøgstad, Spydeberg, Askim, Eidsberg, Hobøl


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


@pytest.fixture
def indre_ostfold(municipality_history: None, add_round: Callable[..., Any]) -> None:
    """The five predecessors asked in 2019, Indre Østfold itself in 2021 and 2025."""
    for i, code in enumerate(INDRE):
        add_round(code, 2019, satisfied(10 + i, 20))
    add_round("3014", 2021, satisfied(70, 100))
    add_round("3118", 2025, satisfied(75, 100))


def test_the_figures_csv_notes_the_number_each_year_had(
    client: FlaskClient, planner: Any, tromso: None
) -> None:
    data = client.get("/exports/5501/aggregates.csv?lang=en", buffered=True).data
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    rows = [dict(zip(table[1], row, strict=True)) for row in table[2:]]
    years = [r for r in rows if r["table_code"] == "years"]
    assert [(r["row_code"], r["note"]) for r in years if r["row_code"].isdigit()] == [
        ("2019", "Then number 1902, Tromsø"),
        ("2022", "Then number 5401, Tromsø"),
        ("2025", ""),
    ]
    (history,) = [r for r in years if r["row_code"] == "continuity"]
    assert history["note"].startswith("Earlier numbers and names: 1902 Tromsø (until 2019)")


def test_the_workbook_over_the_years_says_which_number_a_year_had(
    in_english: Any, tromso: None
) -> None:
    out = io.BytesIO()
    write_municipality_workbook(
        build_report("5501", "citizen-satisfaction", 2025), out, language="en"
    )
    sheet = open_workbook(out.getvalue())["Over tid"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    notes = {(row[2], row[10]) for row in rows if row[0] == "overall" and row[3] == "5"}
    assert notes == {
        (2019, "Then number 1902, Tromsø"),
        (2022, "Then number 5401, Tromsø"),
        (2025, None),
    }


def test_a_merger_is_a_break_in_the_figures_and_the_printed_report(
    in_english: Any, indre_ostfold: None
) -> None:
    report = build_report("3118", "citizen-satisfaction", 2025)
    years = [f for f in figures.figure_rows(report, "en") if f.table_code == "years"]
    before = next(f for f in years if f.row_code == "2019")
    assert before.value is None and before.n is None
    assert before.note == (
        "Before Indre Østfold was formed: only its predecessors' figures, not added together"
    )
    assert [f.row_code for f in years] == ["2019", "2021", "2025", "continuity"]
    html = render_html(report, "en")
    table = html.split("Share satisfied per year</caption>")[1].split("</table>")[0]
    assert '<th scope="row">2019</th><td colspan="4">Before Indre Østfold was formed' in table
    assert "The years before 2020 belong to the predecessors and are shown apart" in html


def test_the_figures_name_peers_of_an_earlier_year_as_they_were(
    in_english: Any, tromso: None, indre_ostfold: None
) -> None:
    report = build_report("5501", "citizen-satisfaction", 2019)
    peers = {
        f.row_code: f.row for f in figures.figure_rows(report, "en") if f.table_code == "peers"
    }
    assert peers["5501"] == "Tromsø (1902 in 2019)"
    assert peers["0124"] == "Askim (0124 in 2019, now part of 3118 Indre Østfold)"
