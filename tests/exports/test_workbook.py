"""The municipality workbook shows exactly the dashboard's numbers, in real Excel features."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from openpyxl.chart import BarChart, LineChart
from openpyxl.worksheet.worksheet import Worksheet

from surveyapp.audit.models import AuditEntry
from surveyapp.exports.workbook import sheet_name, write_municipality_workbook
from surveyapp.extensions import db
from surveyapp.models import Municipality, SurveyRound
from surveyapp.results import stats
from surveyapp.results.report import MunicipalityReport, build_report
from tests.exports.conftest import excel, open_workbook
from tests.results.conftest import satisfied


def _export(report: MunicipalityReport, **kw: Any) -> Any:
    out = io.BytesIO()
    kw.setdefault("language", "en")
    write_municipality_workbook(report, out, **kw)
    return open_workbook(out.getvalue())


def _row_of(ws: Worksheet, label: str) -> int:
    for row in ws.iter_rows(min_col=1, max_col=1):
        if row[0].value == label:
            return int(row[0].row)
    raise AssertionError(f"no row labelled {label!r} in {ws.title}")


def _fires(rule: Any, ws: Worksheet) -> bool:
    """Evaluate our target rules, AND(ISNUMBER(X),X>Y) or X<Y, on the sheet's values."""
    (formula,) = rule.formula
    found = re.fullmatch(
        r"AND\(ISNUMBER\((\$?[A-Z]+\$?\d+)\),\1([<>])(\$?[A-Z]+\$?\d+|[\d.]+)\)", formula
    )
    assert found, formula
    left = ws[found.group(1).replace("$", "")].value
    right_ref = found.group(3)
    right = float(right_ref) if right_ref[0].isdigit() else ws[right_ref.replace("$", "")].value
    if not isinstance(left, float):
        return False
    return bool(left > right if found.group(2) == ">" else left < right)


def test_summary_sheet_equals_the_report(
    in_english: Any, add_round: Callable[..., SurveyRound]
) -> None:
    add_round("5501", 2025, satisfied(280, 400))
    add_round("5501", 2026, satisfied(312, 400), channel=["phone", "email"])
    report = build_report("5501", "citizen-satisfaction", 2026)
    book = _export(report)

    assert book.sheetnames[:5] == ["Sammendrag", "Om tallene", "Kommuner", "Utvikling", "Grupper"]
    assert book.sheetnames[-2:] == ["Over tid", "Tall"]
    assert "Svar" not in book.sheetnames  # row-level answers only when asked for, with the right
    ws = book["Sammendrag"]
    assert ws.freeze_panes == "A4"
    p = report.headline.proportion
    assert p is not None
    assert excel(c.value for c in ws[4][:6]) == excel(
        ["Share satisfied", p.share, p.interval.low, p.interval.high, 400, report.target]
    )
    assert all(c.number_format == "0.0%" for c in (ws["B4"], ws["C4"], ws["D4"]))
    assert ws["F4"].number_format == "0%"  # the target as set: "80 %", as on the page
    assert ws["G4"].value.startswith("Not distinguishable from the target")
    at_or_above = _row_of(ws, "Share at or above the target")
    assert ws.cell(at_or_above, 2).value == "No"  # in words, not a bare FALSE
    assert "below the target of 80" in ws.cell(at_or_above, 7).value
    change = report.change
    assert change is not None
    row = _row_of(ws, "Change since the year before")
    assert excel(ws.cell(row, c).value for c in (2, 3, 4)) == excel(
        [change.estimate, change.interval.low, change.interval.high]
    )
    assert "percentage points since 2025" in ws.cell(row, 7).value
    assert ws.cell(_row_of(ws, "Responses"), 2).value == report.responses == 400
    source = ws.cell(_row_of(ws, "Data source"), 2).value
    assert source.startswith("surveyapp – ") and "Runde 2026" in source
    exported = ws.cell(_row_of(ws, "Exported"), 2)
    assert exported.is_date and ws.cell(exported.row, 4).value == "Europe/Oslo"
    assert ws["A2"].value is None  # not demo data
    assert ws.column_dimensions["G"].width > 40  # the verdict sentence fits


def test_headline_gets_more_decimals_only_where_rounding_would_mislead(
    in_english: Any, add_round: Callable[..., SurveyRound]
) -> None:
    add_round("5501", 2026, satisfied(80, 100))
    add_round("1804", 2026, satisfied(118, 136))  # low end just above 80 %: "80.0 %" would mislead
    tromso = _export(build_report("5501", "citizen-satisfaction", 2026))["Sammendrag"]
    assert tromso["C4"].number_format == "0.0%"
    bodo_report = build_report("1804", "citizen-satisfaction", 2026)
    assert bodo_report.comparison is not None
    decimals = stats.precision(bodo_report.comparison).interval
    assert decimals > 1
    bodo = _export(bodo_report)["Sammendrag"]
    assert bodo["C4"].number_format == "0." + "0" * decimals + "%"
    assert bodo["D4"].number_format == "0." + "0" * decimals + "%"
    assert bodo["B4"].number_format == "0.0%"  # 86.8 % needs no more to sit above 80 %


@pytest.mark.parametrize(
    ("k", "n", "green", "red"),
    [(900, 1000, True, False), (600, 1000, False, True), (80, 100, False, False)],
)
def test_conditional_formatting_follows_the_interval(
    in_english: Any, add_round: Callable[..., SurveyRound], k: int, n: int, green: bool, red: bool
) -> None:
    add_round("5501", 2026, satisfied(k, n))
    report = build_report("5501", "citizen-satisfaction", 2026)
    ws = _export(report)["Sammendrag"]
    rules = {
        rule.dxf.fill.fgColor.rgb: rule
        for formatting in ws.conditional_formatting
        for rule in formatting.rules
    }
    assert set(rules) == {"FFC6EFCE", "FFFFC7CE"}  # green and red fills
    ranges = {str(f.sqref) for f in ws.conditional_formatting}
    assert ranges == {"B4:D4"}
    assert _fires(rules["FFC6EFCE"], ws) is green
    assert _fires(rules["FFFFC7CE"], ws) is red
    assert report.comparison is not None
    assert green == (report.comparison.verdict.value == "above")
    assert red == (report.comparison.verdict.value == "below")


def test_peers_and_years_sheets_with_native_charts(
    in_english: Any, add_round: Callable[..., SurveyRound]
) -> None:
    for year, k in ((2024, 60), (2025, 70), (2026, 75)):
        add_round("5501", year, satisfied(k, 100))
    add_round("1804", 2026, satisfied(90, 100))
    add_round("0301", 2026, satisfied(3, 4))  # too few: hidden
    report = build_report("5501", "citizen-satisfaction", 2026, compare_with=["1804"])
    book = _export(report)

    peers = book["Kommuner"]
    assert peers.freeze_panes == "A3"
    rows = list(peers.iter_rows(min_row=3, max_row=2 + len(report.peers), values_only=True))
    assert [r[1] for r in rows] == [p.code for p in report.peers]
    for row, peer in zip(rows, report.peers, strict=True):
        shown = peer.share.proportion
        assert row[0] == peer.name
        if shown is None:
            assert row[2:6] == (None, None, None, "< 5")
            assert row[10] == "Hidden: fewer than 5 answers"
        else:
            assert excel(row[2:6]) == excel(
                [shown.share, shown.interval.low, shown.interval.high, peer.share.n]
            )
        if peer.difference is not None:
            d = peer.difference
            assert excel(row[6:10]) == excel(
                [d.estimate, d.interval.low, d.interval.high, d.p_value]
            )
    own = next(i for i, p in enumerate(report.peers) if p.is_own)
    assert rows[own][10] == "this municipality"
    assert peers.cell(3 + own, 1).font.bold
    summary = report.peer_summary
    assert summary is not None and summary.pooled is not None
    pooled = _row_of(peers, "Pooled")
    assert excel([peers.cell(pooled, 3).value]) == excel([summary.pooled.share])
    assert peers.cell(_row_of(peers, "Rank"), 3).value == summary.own_rank
    mean = peers.cell(_row_of(peers, "Mean of municipalities"), 3).value
    assert excel([mean]) == excel([summary.mean_share])
    (bar,) = peers._charts
    assert isinstance(bar, BarChart)
    # The chart draws the shown municipalities only; the hidden one follows them, by name.
    assert [p.code for p in report.peers][-1] == "0301"
    last = 2 + len(report.shown_peers)
    assert last == 2 + len(report.peers) - 1
    assert bar.series[0].val.numRef.f == f"'Kommuner'!$C$3:$C${last}"
    assert bar.series[0].cat.strRef.f == f"'Kommuner'!$A$3:$A${last}"

    years = book["Utvikling"]
    assert years.freeze_panes == "A3"
    table = list(years.iter_rows(min_row=3, max_row=5, values_only=True))
    for row, point in zip(table, report.trend, strict=True):
        shown = point.share.proportion
        assert shown is not None
        assert excel(row[:6]) == excel(
            [
                point.year,
                shown.share,
                shown.interval.low,
                shown.interval.high,
                point.share.n,
                report.target,
            ]
        )
    (line,) = years._charts
    assert isinstance(line, LineChart)
    assert [s.val.numRef.f for s in line.series] == [
        "'Utvikling'!$B$3:$B$5",
        "'Utvikling'!$F$3:$F$5",
    ]
    assert years["B3"].number_format == "0.0%"


def test_wording_break_is_noted_in_the_years(
    in_english: Any, add_round: Callable[..., SurveyRound], reworded: None
) -> None:
    from surveyapp.models import Questionnaire

    first = db.session.scalars(
        sa.select(Questionnaire).where(
            Questionnaire.code == "citizen-satisfaction", Questionnaire.version == 1
        )
    ).one()
    old = add_round("5501", 2025, satisfied(70, 100))
    old.questionnaire_id = first.id
    db.session.commit()
    add_round("5501", 2026, satisfied(80, 100))
    report = build_report("5501", "citizen-satisfaction", 2026)
    book = _export(report)
    notes = [row[6] for row in book["Utvikling"].iter_rows(min_row=3, max_row=4, values_only=True)]
    assert notes == ["Other wording than 2026", "Wording changed this year"]
    summary = book["Sammendrag"]
    row = _row_of(summary, "Change since the year before")
    assert summary.cell(row, 2).value is None
    assert "worded differently in 2025" in summary.cell(row, 7).value


def test_one_sheet_per_question_with_suppression_from_the_report(
    in_english: Any, add_round: Callable[..., SurveyRound]
) -> None:
    add_round("5501", 2026, [5, 5, 4, 2, 1, "dont_know", 4, 5], channel=["phone", "web"])
    report = build_report("5501", "citizen-satisfaction", 2026)
    book = _export(report)
    overall = next(q for q in report.questions if q.question.code == "overall")
    ws = book["overall"]
    assert ws["A1"].value.startswith("All in all, how satisfied")
    assert ws.freeze_panes == "A4"
    rows = list(ws.iter_rows(min_row=4, max_row=3 + len(overall.options), values_only=True))
    assert overall.n == 7 and overall.dont_know == 1  # the headline's denominator
    for row, option in zip(rows[:-1], overall.options[:-1], strict=True):
        shown = option.share.proportion
        assert shown is not None
        assert excel(row[1:7]) == excel(
            [
                option.count,
                shown.share,
                shown.interval.low,
                shown.interval.high,
                option.share.n,
                option.value,
            ]
        )
    assert rows[-1][0] == "Don't know"
    assert rows[-1][1:3] == (1, None) and rows[-1][7] == "Not part of n"
    assert ws["C4"].number_format == "0.0%"
    # Four answers each to channel (phone, web): fewer than five, so hidden.
    channel = next(q for q in report.questions if q.question.code == "channel")
    assert channel.n == 8 and not channel.suppressed
    courtesy = next(q for q in report.questions if q.question.code == "courtesy")
    assert courtesy.suppressed
    hidden = book["courtesy"]
    assert hidden["A4"].value == "Hidden: fewer than 5 answers"
    assert [c.value for c in hidden[4]][1:] in ([], [None] * (len(hidden[4]) - 1))


def test_small_headline_is_hidden_everywhere(
    in_english: Any, add_round: Callable[..., SurveyRound]
) -> None:
    add_round("5501", 2026, [5, 5, 4])
    report = build_report("5501", "citizen-satisfaction", 2026)
    assert report.headline.suppressed
    book = _export(report)
    ws = book["Sammendrag"]
    assert [c.value for c in ws[4][1:5]] == [None, None, None, "< 5"]
    assert ws["G4"].value.startswith("Hidden: fewer than 5 answers. Figures resting on so few")
    assert "overall" in book.sheetnames
    assert book["overall"]["A4"].value == "Hidden: fewer than 5 answers"
    assert book["Utvikling"]["G3"].value == "Hidden: fewer than 5 answers"


def test_demo_rounds_are_labelled_and_labels_follow_the_language(
    app: Any, add_round: Callable[..., SurveyRound]
) -> None:
    survey_round = add_round("5501", 2026, satisfied(80, 100))
    survey_round.is_demo = True
    db.session.commit()
    report = build_report("5501", "citizen-satisfaction", 2026)
    assert _export(report, language="en")["Sammendrag"]["A2"].value == (
        "Demo data – fictitious figures"
    )
    book = _export(report, language="nb")  # no request needed: the language is a parameter
    assert book["Sammendrag"]["A2"].value == "Demodata – fiktive tall"
    assert book["Sammendrag"]["A4"].value == "Andel fornøyde"
    assert book["Kommuner"]["A2"].value == "Kommune"


def test_labels_from_data_are_neutralised(
    in_english: Any, add_round: Callable[..., SurveyRound]
) -> None:
    place = db.session.get(Municipality, "5501")
    assert place is not None
    place.name = '=HYPERLINK("http://x")'
    db.session.commit()
    add_round("5501", 2026, satisfied(80, 100))
    report = build_report("5501", "citizen-satisfaction", 2026)
    peers = _export(report)["Kommuner"]
    cell = peers["A3"]
    assert cell.value == '=HYPERLINK("http://x")'  # text, typed as text: no apostrophe
    assert cell.data_type == "s"


@pytest.mark.parametrize(
    ("wanted", "taken", "expected"),
    [
        ("overall", set(), "overall"),
        ("a[b]:c*d?e/f\\g", set(), "a_b__c_d_e_f_g"),
        ("x" * 40, set(), "x" * 31),
        ("overall", {"overall"}, "overall (2)"),
        ("x" * 40, {"x" * 31}, "x" * 27 + " (2)"),
        ("Svar", set(), "Svar (2)"),
        ("SAMMENDRAG", set(), "SAMMENDRAG (2)"),
        ("svar 2", set(), "svar 2 (2)"),
    ],
)
def test_sheet_names_are_valid_and_unique(wanted: str, taken: set[str], expected: str) -> None:
    name = sheet_name(wanted, set(taken))
    assert name == expected
    assert len(name) <= 31 and not set(name) & set("[]:*?/\\")


def test_download_as_planner_is_audited_and_named(
    client: FlaskClient, planner: Any, add_round: Callable[..., SurveyRound]
) -> None:
    add_round("5501", 2026, satisfied(80, 100))
    response = client.get("/exports/5501/workbook.xlsx?lang=en", buffered=True)
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(
        r"attachment; filename=citizen-satisfaction-5501-tromso-2026-\d{4}-\d{2}-\d{2}\.xlsx",
        disposition,
    ), disposition
    assert response.headers["Cache-Control"] == "private, no-store"
    book = open_workbook(response.data)
    report = build_report("5501", "citizen-satisfaction", 2026)
    assert report.headline.proportion is not None
    assert excel([book["Sammendrag"]["B4"].value]) == excel([report.headline.proportion.share])
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "download")).one()
    assert (entry.action, entry.entity_type, entry.user_id) == ("download", "export", planner.id)
    assert entry.new_value == {
        "municipality": "5501",
        "questionnaire": "citizen-satisfaction",
        "year": 2026,
        "format": "xlsx",
        "content": "workbook",
        "responses": 0,  # no answers row by row without the raw-data right
    }


def test_workbook_follows_the_dashboards_choices(
    client: FlaskClient, planner: Any, add_round: Callable[..., SurveyRound]
) -> None:
    add_round("5501", 2025, satisfied(60, 100))
    add_round("5501", 2026, satisfied(80, 100))
    add_round("1804", 2025, satisfied(90, 100))
    data = client.get(
        "/exports/5501/workbook.xlsx?lang=en&year=2025&compare=1804", buffered=True
    ).data
    book = open_workbook(data)
    report = build_report("5501", "citizen-satisfaction", 2025, compare_with=["1804"])
    assert report.headline.proportion is not None
    assert book["Sammendrag"]["B4"].value == report.headline.proportion.share == 0.6
    bodo = next(p for p in report.peers if p.code == "1804")
    assert bodo.difference is not None
    row = next(r for r in book["Kommuner"].iter_rows(min_row=3, values_only=True) if r[1] == "1804")
    assert excel([row[6]]) == excel([bodo.difference.estimate])


def test_dashboard_offers_the_downloads_with_its_own_choices(
    client: FlaskClient, planner: Any, add_round: Callable[..., SurveyRound]
) -> None:
    add_round("5501", 2026, satisfied(80, 100))
    page = client.get("/results/5501?lang=en&year=2026&peers=county").get_data(as_text=True)
    for path, count in (("workbook.xlsx", 1), ("aggregates.csv", 2), ("council-pack.zip", 1)):
        links = re.findall(rf'href="(/exports/5501/{re.escape(path)}[^"]*)"', page)
        assert len(links) == count, path
        for link in links:
            assert "year=2026" in link and "peers=county" in link and "lang=en" in link
    csv_links = re.findall(r'href="(/exports/5501/aggregates.csv[^"]*)"', page)
    assert ["dialect=excel-no" in link for link in csv_links] == [True, False]
    assert "dialect=standard" in csv_links[1]
    assert "Excel workbook" in page
    # Row-level answers are offered only to holders of the raw-data right.
    assert "/exports/5501/raw" not in page and "answers.csv" not in page
    planner.raw_data = True
    db.session.commit()
    page = client.get("/results/5501?lang=en&year=2026&peers=county").get_data(as_text=True)
    (link,) = re.findall(r'href="(/exports/5501/raw[^"]*)"', page)
    assert "year=2026" in link and "peers=county" in link
