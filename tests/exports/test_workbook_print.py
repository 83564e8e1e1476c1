"""The workbook a planner prints and passes on: print setup on every sheet, the summary on
one page, Excel tables, the sheet that explains the figures, native charts that say what
they show, verdicts in words beside every coloured cell, and document properties."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl.chart import BarChart, LineChart
from openpyxl.workbook.workbook import Workbook

from surveyapp.exports import figures
from surveyapp.exports.workbook import write_municipality_workbook
from surveyapp.models import SurveyRound
from surveyapp.results.report import MunicipalityReport, build_report
from tests.exports.conftest import open_workbook
from tests.exports.libreoffice import convert, tool
from tests.results.conftest import satisfied


@pytest.fixture
def report(in_english: Any, add_round: Callable[..., SurveyRound]) -> MunicipalityReport:
    """Three years in Tromsø with channels, four other municipalities (one hidden)."""
    for year, k in ((2024, 250), (2025, 280)):
        add_round("5501", year, satisfied(k, 400), channel=["phone", "email", "web"])
    add_round("5501", 2026, satisfied(312, 400), channel=["phone", "email", "web", "letter"])
    for code, k in (("1804", 90), ("1806", 70), ("0301", 60)):
        add_round(code, 2026, satisfied(k, 100))
    add_round("1820", 2026, satisfied(3, 4))
    return build_report("5501", "citizen-satisfaction", 2026, compare_with=["1804"])


def _book(report: MunicipalityReport, language: str = "en") -> Workbook:
    out = io.BytesIO()
    write_municipality_workbook(report, out, language=language)
    return open_workbook(out.getvalue())


def _column(ws: Any, header_row: int, header: str) -> int:
    for cell in ws[header_row]:
        if cell.value == header:
            return int(cell.column)
    raise AssertionError(f"no column {header!r} in {ws.title}")


def test_every_sheet_prints_on_a4_fitted_to_the_width_with_page_numbers(
    report: MunicipalityReport,
) -> None:
    book = _book(report)
    for ws in book.worksheets:
        setup = ws.page_setup
        assert int(setup.paperSize) == int(ws.PAPERSIZE_A4), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert int(setup.fitToWidth) == 1, ws.title
        assert setup.orientation in ("portrait", "landscape"), ws.title
        assert ws.oddFooter.right.text == "Page &P of &N", ws.title
        assert ws.oddHeader.right.text == "&A", ws.title
        assert "Tromsø (5501)" in ws.oddHeader.left.text, ws.title
    summary = book["Sammendrag"]
    assert int(summary.page_setup.fitToHeight) == 1  # the summary on one page
    assert summary.page_setup.orientation == "portrait"
    assert book["Kommuner"].print_title_rows == "$2:$2"  # the header on every page
    assert book["Tall"].print_title_rows == "$2:$2"
    # Column B holds numbers and is no longer 90 characters wide.
    assert summary.column_dimensions["B"].width <= 12


def test_the_summary_prints_on_one_page_in_libreoffice(
    report: MunicipalityReport, tmp_path: Path
) -> None:
    path = tmp_path / "workbook.xlsx"
    with path.open("wb") as out:
        write_municipality_workbook(report, out, language="nb")
    pdfinfo, pdftotext = tool("pdfinfo"), tool("pdftotext")  # poppler-utils
    (pdf,) = convert([path], "pdf", tmp_path, tmp_path / "profile")
    pages = int(
        next(
            line.split()[-1]
            for line in subprocess.run(
                [pdfinfo, str(pdf)], capture_output=True, text=True, check=True
            ).stdout.splitlines()
            if line.startswith("Pages:")
        )
    )

    def page(number: int) -> str:
        return subprocess.run(
            [pdftotext, "-f", str(number), "-l", str(number), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    first, second = page(1), page(2)
    assert "Sammendrag" in first and "Andel fornøyde" in first and "78,0" in first.replace(".", ",")
    assert "Slik er tallene beregnet" in first  # the method, at the end of the sheet
    assert "Om tallene" in second  # the next sheet starts on page 2
    assert pages < 40  # was 87 portrait pages


def test_document_properties_name_the_app_and_the_report(report: MunicipalityReport) -> None:
    props = _book(report).properties
    assert props.creator == "surveyapp" and props.lastModifiedBy == "surveyapp"
    assert props.title == "Tromsø: What do you think of the municipality's service? 2026"
    assert props.language == "en"


def test_data_are_excel_tables_with_filters(report: MunicipalityReport) -> None:
    book = _book(report)
    peers = book["Kommuner"]
    ((name, ref),) = peers.tables.items()
    assert (name, ref) == ("Kommuner", f"A2:M{2 + len(report.peers)}")
    years = book["Utvikling"]
    assert dict(years.tables.items()) == {"Utvikling": f"A2:H{2 + len(report.trend)}"}
    rows = list(figures.figure_rows(report, "en"))
    assert dict(book["Tall"].tables.items()) == {"Tall": f"A2:O{2 + len(rows)}"}
    assert "Kodebok" in book["Om tallene"].tables
    assert set(book["overall"].tables) == {"Q_overall"}
    assert "Grupper_channel" in book["Grupper"].tables
    for ws in book.worksheets:
        for table in ws.tables.values():
            first = ws[table.ref.split(":")[0]]
            header = [c.value for c in ws[first.row]][first.column - 1 :][: len(table.tableColumns)]
            assert [c.name for c in table.tableColumns] == header, (ws.title, table.name)


def test_the_figures_sheet_is_the_long_list_with_labels(report: MunicipalityReport) -> None:
    ws = _book(report)["Tall"]
    rows = list(figures.figure_rows(report, "en"))
    assert [c.value for c in ws[2]] == figures.header("en")
    values = list(ws.iter_rows(min_row=3, values_only=True))
    assert [r[0] for r in values] == [f.table_code for f in rows]
    headline = values[0]
    assert headline[:2] == ("headline", "Share satisfied") and headline[7] == "%"
    assert ws["J3"].value == pytest.approx(0.78) and ws["J3"].number_format == "0.0%"
    assert ws["A3"].data_type == "s"


def test_the_about_sheet_explains_the_figures_with_a_codebook(
    report: MunicipalityReport,
) -> None:
    ws = _book(report)["Om tallene"]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert texts[0] == "About the figures"
    assert any(t.startswith("Exported ") and "(Europe/Oslo)" in t for t in texts)
    assert any("Figures resting on fewer than 5 answers are hidden." in t for t in texts)
    assert any("Wilson" in t for t in texts)
    assert "Runde 2026" in texts  # the rounds behind the figures
    table = ws.tables["Kodebok"]
    first_row = int(table.ref.split(":")[0][1:])
    codebook = [r for r in ws.iter_rows(min_row=first_row + 1, values_only=True) if r[0]]
    overall = [r for r in codebook if r[0] == "overall"]
    assert [(r[3], r[4]) for r in overall][:2] == [
        ("1", "Very dissatisfied"),
        ("2", "Dissatisfied"),
    ]
    assert overall[-1][3:5] == ("dont_know", "Don't know")
    assert overall[0][5] == "overall"  # the sheet with its figures


def test_colour_is_never_the_only_sign(report: MunicipalityReport) -> None:
    book = _book(report)
    peers = book["Kommuner"]
    verdicts = {
        row[1]: row[11]
        for row in peers.iter_rows(min_row=3, max_row=2 + len(report.peers), values_only=True)
    }
    assert verdicts["1804"] == "Above the target"  # 90 of 100
    assert verdicts["0301"] == "Below the target"  # 60 of 100
    assert verdicts["5501"] == "Not distinguishable from the target"
    assert verdicts["1820"] is None  # hidden: its note says so
    years = book["Utvikling"]
    column = _column(years, 2, "Verdict")
    assert [years.cell(r, column).value for r in (3, 4, 5)] == [
        "Below the target",
        "Below the target",
        "Not distinguishable from the target",
    ]
    summary = book["Sammendrag"]
    assert summary["G4"].value.startswith("Not distinguishable from the target")


def test_native_charts_say_what_they_show(report: MunicipalityReport) -> None:
    book = _book(report)
    (peers_chart,) = book["Kommuner"]._charts
    assert isinstance(peers_chart, BarChart) and peers_chart.type == "col"
    bars = peers_chart.series[0]
    own = next(i for i, p in enumerate(report.shown_peers) if p.is_own)
    (point,) = bars.dPt
    assert point.idx == own and point.spPr.pattFill is not None  # hatched, not colour alone
    (line,) = [c for c in peers_chart._charts if isinstance(c, LineChart)]
    assert line.series[0].val.numRef.f.endswith(f"$M$3:$M${2 + len(report.shown_peers)}")
    assert peers_chart.legend is not None
    assert peers_chart.anchor._from.col == 14  # O: beside the table, on its first page

    (trend,) = book["Utvikling"]._charts
    share, target = trend.series
    assert share.smooth is False and target.smooth is False
    assert share.marker.symbol == "circle"
    bars_of_interval = share.errBars
    assert bars_of_interval is not None and bars_of_interval.errValType == "cust"
    assert bars_of_interval.minus.numRef.f == "'Utvikling'!$AA$3:$AA$5"
    assert book["Utvikling"].column_dimensions["AA"].hidden
    low, high = (book["Utvikling"][f"{c}5"].value for c in ("AA", "AB"))
    p = report.headline.proportion
    assert p is not None
    assert (low, high) == (
        pytest.approx(p.share - p.interval.low),
        pytest.approx(p.interval.high - p.share),
    )
    assert "What do you think" in trend.title.tx.rich.p[0].r[0].t  # the questionnaire

    (question,) = book["overall"]._charts  # one chart per question
    assert question.series[0].dLbls.showVal


def test_groups_and_questions_over_the_years(report: MunicipalityReport) -> None:
    book = _book(report)
    groups = book["Grupper"]
    texts = [c.value for row in groups.iter_rows() for c in row if isinstance(c.value, str)]
    assert "Share satisfied by answer to “How did you get in touch?”" in texts
    channel = next(b for b in report.breakdowns if b.question.code == "channel")
    ref = groups.tables["Grupper_channel"].ref
    first, last = (int(part[1:]) for part in ref.split(":"))
    table = list(groups.iter_rows(min_row=first + 1, max_row=last, values_only=True))
    assert [r[1] for r in table] == [r.value for r in channel.rows]
    for cells, row in zip(table, channel.rows, strict=True):
        p = row.share.proportion
        assert cells[2] == (pytest.approx(p.share) if p else None)
    over_time = book["Over tid"]
    rows = [r for r in over_time.iter_rows(min_row=3, values_only=True) if r[0] == "overall"]
    assert sorted({r[2] for r in rows}) == [2024, 2025, 2026]
    very = {r[2]: r[6] for r in rows if r[3] == "5"}
    assert very == {2024: pytest.approx(0.625), 2025: pytest.approx(0.7), 2026: pytest.approx(0.78)}
