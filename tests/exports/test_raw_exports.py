"""Raw answers (the "Svar" sheets and CSV), the figures as CSV, access, audit and the CLI."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from surveyapp import formatting
from surveyapp.audit.models import AuditEntry
from surveyapp.exports import raw
from surveyapp.exports.safe import neutralise
from surveyapp.exports.workbook import rounds_of, write_municipality_workbook
from surveyapp.extensions import db
from surveyapp.models import Answer, SurveyRound
from surveyapp.results.report import build_report
from tests.exports.conftest import open_workbook
from tests.results.conftest import satisfied

FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]


def _svar_rows(book: Any) -> list[tuple[Any, ...]]:
    """Data rows of Svar, Svar 2, … in order (each sheet repeats the header)."""
    rows: list[tuple[Any, ...]] = []
    for name in book.sheetnames:
        if name == "Svar" or re.fullmatch(r"Svar \d+", name):
            rows.extend(book[name].iter_rows(min_row=2, values_only=True))
    return rows


def _with_answers(report: Any, free_text: bool = True) -> raw.RawSelection:
    """Every round of the report's year, rows and free text (the format tests)."""
    return raw.RawSelection(tuple(r.id for r in rounds_of(report)), free_text=free_text)


def _csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark, for Excel
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_neutralise_each_formula_start(start: str) -> None:
    assert neutralise(start + "cmd|' /C calc'!A0") == "'" + start + "cmd|' /C calc'!A0"


@pytest.mark.parametrize("harmless", ["", "Takk!", "'quoted", " =not first", "80 %", "ja=nei"])
def test_neutralise_leaves_harmless_text(harmless: str) -> None:
    assert neutralise(harmless) == harmless


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_free_text_cannot_run_as_a_formula_in_svar_and_csv(
    client: FlaskClient,
    raw_planner: Any,
    add_responses: Callable[..., SurveyRound],
    start: str,
) -> None:
    payload = start + 'HYPERLINK("http://evil.example","klikk")'
    add_responses(
        "citizen-satisfaction", [{"overall": ["5"], "suggestion": ["placeholder"]}] + [{}] * 4
    )
    # Stored as is (the form strips tabs and line breaks at the ends; an import might not).
    db.session.execute(
        sa.update(Answer).where(Answer.question_code == "suggestion").values(value_text=payload)
    )
    db.session.commit()
    chosen = "answers=1&free_text=1"
    book = open_workbook(client.get(f"/exports/5501/workbook.xlsx?{chosen}", buffered=True).data)
    header = [c.value for c in book["Svar"][1]]
    column = header.index("suggestion") + 1
    (cells,) = book["Svar"].iter_cols(column, column, 2)
    (cell,) = [c for c in cells if c.value is not None]
    assert cell.value == payload  # typed as text: no visible apostrophe in a workbook
    assert cell.data_type == "s"
    table = _csv(
        client.get(f"/exports/5501/answers.csv?{chosen}&dialect=standard", buffered=True).data
    )
    (written,) = [row[table[0].index("suggestion")] for row in table[1:] if row[-1]]
    assert written == "'" + payload


def test_svar_has_one_row_per_response_in_order_with_a_running_number(
    app: Flask,
    in_english: Any,
    add_round: Callable[..., SurveyRound],
    add_responses: Callable[..., SurveyRound],
) -> None:
    add_round("1804", 2026, satisfied(3, 5))  # other ids first: numbers are not database ids
    add_responses(
        "all-types",
        [
            {
                "rating_q": ["4"],
                "single_q": ["b"],
                "multiple_q": ["x", "z"],
                "yesno_q": ["no"],
                "yesno_q__comment": ["@SUM(1)"],
                "why_no": ["Fordi"],
                "number_q": ["2,5"],
                "duration_q__min": ["1"],
                "duration_q__sec": ["30"],
                "date_q": ["2026-02-03"],
                "datetime_q": ["2026-02-03T10:30"],
                "text_q": ["  mellomrom  "],
                "only_b": ["2"],
            },
            {"rating_q": ["dont_know"], "single_q": ["a"], "yesno_q": ["yes"]},
            {},
        ],
        precision="hour",
    )
    report = build_report("5501", "all-types", 2026)
    out = io.BytesIO()
    result = write_municipality_workbook(report, out, language="en", answers=_with_answers(report))
    assert result.responses == 3
    book = open_workbook(out.getvalue())
    svar = book["Svar"]
    assert svar.freeze_panes == "A2"
    header = [c.value for c in svar[1]]
    assert header == [
        "Response number",
        "Submitted",
        "Language",
        "rating_q",
        "single_q",
        "multiple_q",
        "yesno_q",
        "yesno_q__comment",
        "why_no",
        "number_q",
        "duration_q",
        "date_q",
        "datetime_q",
        "text_q",
        "only_b",
    ]
    assert svar["A1"].font.bold
    rows = [dict(zip(header, row, strict=True)) for row in _svar_rows(book)]
    # Numbered 1, 2, 3 down the sheet, in the order of the random ids, not of sending.
    assert [row["Response number"] for row in rows] == [1, 2, 3]
    by_rating = {row["rating_q"]: row for row in rows}
    first, second, third = by_rating[4], by_rating["dont_know"], by_rating[None]
    assert {**first, "Response number": 1} == {
        "Response number": 1,
        "Submitted": datetime(2026, 3, 1, 15, 0),  # 14:00 UTC is 15:00 in Oslo (hour precision)
        "Language": "nb",
        "rating_q": 4,
        "single_q": "b",
        "multiple_q": "x; z",
        "yesno_q": "no",
        "yesno_q__comment": "@SUM(1)",  # a text cell: it never runs
        "why_no": "Fordi",
        "number_q": 2.5,
        "duration_q": 90,
        "date_q": "2026-02-03",
        "datetime_q": "2026-02-03T10:30",
        "text_q": "mellomrom",  # the form strips it; kept as stored
        "only_b": 2,
    }
    assert svar["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert (second["single_q"], second["yesno_q"]) == ("a", "yes")
    assert third["single_q"] is None and third["yesno_q"] is None  # no answers at all


def test_rows_overflow_into_more_svar_sheets_and_none_is_lost(
    add_round: Callable[..., SurveyRound], in_english: Any
) -> None:
    survey_round = add_round("5501", 2026, satisfied(15, 23))
    report = build_report("5501", "citizen-satisfaction", 2026)
    out = io.BytesIO()
    result = write_municipality_workbook(
        report, out, language="en", answers=_with_answers(report), max_rows=10
    )
    book = open_workbook(out.getvalue())
    assert [n for n in book.sheetnames if n.startswith("Svar")] == ["Svar", "Svar 2", "Svar 3"]
    # 1 header + 8 rows + "Continues on the sheet …" on a full sheet; the last one 1 + 7.
    assert [book[n].max_row for n in ("Svar", "Svar 2", "Svar 3")] == [10, 10, 8]
    assert all(book[n]["A1"].value == "Response number" for n in ("Svar", "Svar 2", "Svar 3"))
    assert book["Svar"]["A10"].value == "Continues on the sheet “Svar 2”."
    assert book["Svar 2"]["A10"].value == "Continues on the sheet “Svar 3”."
    # Each sheet's rows are an Excel table (with filters) that leaves the note out.
    assert [book[n].tables.items() for n in ("Svar", "Svar 2", "Svar 3")] == [
        [("Svar", "A1:N9")],
        [("Svar_2", "A1:N9")],
        [("Svar_3", "A1:N8")],
    ]
    assert all(book[n].print_title_rows == "$1:$1" for n in ("Svar", "Svar 2", "Svar 3"))
    rows = [row for row in _svar_rows(book) if not str(row[0]).startswith("Continues")]
    assert [row[0] for row in rows] == list(range(1, 24)) and result.responses == 23
    header = [c.value for c in book["Svar"][1]]
    overall = [row[header.index("overall")] for row in rows]
    assert sorted(overall) == [2] * 8 + [5] * 15  # every response, in the random ids' order
    assert all(row[1] == datetime(2026, 3, 1) for row in rows)  # date precision
    assert survey_round.time_precision == "date"


def test_exactly_full_sheet_needs_no_second_sheet(
    add_round: Callable[..., SurveyRound], in_english: Any
) -> None:
    add_round("5501", 2026, satisfied(5, 9))
    out = io.BytesIO()
    report = build_report("5501", "citizen-satisfaction", 2026)
    write_municipality_workbook(
        report, out, language="en", answers=_with_answers(report), max_rows=10
    )
    book = open_workbook(out.getvalue())
    assert [n for n in book.sheetnames if n.startswith("Svar")] == ["Svar"]
    assert book["Svar"].max_row == 10


def test_sheet_writer_escapes_xml_and_strips_control_characters(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    styles = raw.register_styles(book.create_sheet("Svar"))
    path = tmp_path / "sheet.xml"
    with path.open("w", encoding="utf-8") as out:
        sheet = raw.SheetWriter(out, [10.0] * 6, styles)
        sheet.append(
            [
                "<b>&amp;</b>",
                raw.clean_text("a\x00b\x1fc"),
                1.5,
                date(2026, 1, 2),
                "  spaces  ",
                "line\r\nbreak",
            ]
        )
        sheet.close()
    saved = tmp_path / "book.xlsx"
    book.save(saved)
    final = tmp_path / "final.xlsx"
    with final.open("wb") as target:
        raw.replace_sheets(saved, {"Svar": path}, target)
    loaded = openpyxl.load_workbook(final)["Svar"]
    assert [c.value for c in loaded[1]] == [
        "<b>&amp;</b>",
        "abc",
        1.5,
        datetime(2026, 1, 2),
        "  spaces  ",
        "line\r\nbreak",
    ]


def test_answers_csv_has_a_bom_and_one_row_per_response(
    client: FlaskClient, raw_planner: Any, add_round: Callable[..., SurveyRound]
) -> None:
    add_round("5501", 2026, satisfied(8, 12), channel=["phone", "email"])
    response = client.get("/exports/5501/answers.csv?lang=en", buffered=True)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # once
    assert re.fullmatch(
        r'attachment; filename="citizen-satisfaction-5501-tromso-2026-answers-standard-'
        r'\d{4}-\d{2}-\d{2}\.csv"',
        response.headers["Content-Disposition"],
    )
    table = _csv(response.data)
    header = table[0]
    assert header[:3] == ["Response number", "Submitted", "Language"]
    assert len(table) == 1 + 12
    assert [row[0] for row in table[1:]] == [str(i) for i in range(1, 13)]
    rows = sorted(table[1:], key=lambda row: row[header.index("overall")], reverse=True)
    assert [row[header.index("overall")] for row in rows] == ["5"] * 8 + ["2"] * 4
    channels = sorted(row[header.index("channel")] for row in table[1:])
    assert channels == ["email"] * 6 + ["phone"] * 6
    assert table[1][1] == "2026-03-01"


def test_aggregates_csv_equals_the_report_with_small_groups_hidden(
    client: FlaskClient, planner: Any, add_round: Callable[..., SurveyRound]
) -> None:
    add_round("5501", 2026, [5, 5, 4, 2, 1, "dont_know", 4, 5], channel=["phone"])
    response = client.get("/exports/5501/aggregates.csv?lang=en", buffered=True)
    assert "figures-standard" in response.headers["Content-Disposition"]
    table = _csv(response.data)
    # Headers in the user's language, the codes in a second header row.
    assert table[0][:7] == [
        "Table code",
        "Table",
        "Question code",
        "Question",
        "Row code",
        "Row",
        "Year",
    ]
    assert table[1] == [
        "table_code", "table", "question_code", "question", "row_code", "row", "year", "unit",
        "count", "value", "low", "high", "n", "p", "note",
    ]  # fmt: skip
    rows = [dict(zip(table[1], row, strict=True)) for row in table[2:]]
    report = build_report("5501", "citizen-satisfaction", 2026)
    headline = rows[0]
    assert (headline["table_code"], headline["row"], headline["count"]) == (
        "headline",
        "Share satisfied",
        str(report.headline.k),
    )
    # 5 of 7: fewer than 30 answers, so the exact (Clopper–Pearson) interval, as on the
    # page: 71.4 % (29.0 % – 96.3 %), rounded as everywhere, not as long fractions.
    assert [headline[k] for k in ("unit", "value", "low", "high", "n")] == [
        "%", "71.4", "29.0", "96.3", "7",
    ]  # fmt: skip
    assert headline["note"].startswith("Not distinguishable from the target")
    overall = next(q for q in report.questions if q.question.code == "overall")
    options = [r for r in rows if r["table_code"] == "question" and r["question_code"] == "overall"]
    values = [r for r in options if r["unit"] == "%"]
    assert [r["row_code"] for r in values] == [o.value for o in overall.options]
    for row, option in zip(values[:-1], overall.options[:-1], strict=True):
        shown = option.share.proportion
        assert shown is not None
        assert [row["value"], row["low"], row["high"]] == [
            str(formatting.round_percent(v, 1))
            for v in (shown.share, shown.interval.low, shown.interval.high)
        ]
        assert (int(row["count"]), int(row["n"])) == (option.count, option.share.n)
    dont_know = values[-1]
    assert [dont_know[k] for k in ("row_code", "row", "count")] == ["dont_know", "Don't know", "1"]
    assert [dont_know[k] for k in ("value", "low", "high", "n")] == ["", "", "", ""]
    assert dont_know["note"] == "Not part of n"
    mean = next(r for r in options if r["row_code"] == "mean")
    assert mean["value"] == str(formatting.round_half_up(overall.mean.mean, 2))  # type: ignore[union-attr]
    courtesy = [r for r in rows if r["question_code"] == "courtesy"]
    assert [(r["value"], r["n"], r["note"]) for r in courtesy] == [
        ("", "", "Hidden: fewer than 5 answers")
    ]
    # Every table of the dashboard is there.
    assert {r["table_code"] for r in rows} >= {
        "headline", "change", "years", "peers", "group:channel", "question",
    }  # fmt: skip


@pytest.mark.parametrize(
    "url",
    ["/exports/5501/workbook.xlsx", "/exports/5501/answers.csv", "/exports/5501/aggregates.csv"],
)
def test_planner_of_another_municipality_and_callers_are_refused(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    add_round: Callable[..., SurveyRound],
    url: str,
) -> None:
    add_round("5501", 2026, satisfied(8, 10))
    assert client.get(url).status_code == 302  # anonymous: to the log-in
    login(make_user("planner", municipalities=["1804"]))
    assert client.get(url).status_code == 403
    client.post("/logout")
    login(make_user("caller"))
    assert client.get(url).status_code == 403
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "download")
        )
        == 0
    )


def test_admin_may_download_any_municipality_and_each_download_is_audited(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    add_round: Callable[..., SurveyRound],
) -> None:
    admin = make_user("admin", raw_data=True)
    login(admin)
    add_round("1804", 2026, satisfied(8, 10))
    for url in (
        "/exports/1804/workbook.xlsx",
        "/exports/1804/answers.csv",
        "/exports/1804/aggregates.csv",
    ):
        assert client.get(url, buffered=True).status_code == 200, url
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "download").order_by(AuditEntry.id)
    ).all()
    assert [(e.entity_type, e.entity_id, e.user_id) for e in entries] == [
        ("export", "1804/citizen-satisfaction/2026", admin.id)
    ] * 3
    assert [(e.new_value or {}).get("format") for e in entries] == ["xlsx", "csv", "csv"]
    assert [(e.new_value or {}).get("content") for e in entries] == [
        "workbook",
        "answers",
        "aggregates",
    ]
    assert all((e.new_value or {}).get("municipality") == "1804" for e in entries)


def test_cli_writes_the_workbook_and_the_csv_files(
    runner: FlaskCliRunner, add_round: Callable[..., SurveyRound], tmp_path: Path
) -> None:
    add_round("5501", 2026, satisfied(8, 10))
    target = tmp_path / "tromso.xlsx"
    done = runner.invoke(
        args=[
            "export",
            "xlsx",
            "--municipality",
            "5501",
            "--year",
            "2026",
            "--answers",
            "--output",
            str(target),
        ]
    )
    assert done.exit_code == 0, done.output
    assert "10 responses" in done.output
    book = openpyxl.load_workbook(target)
    assert book["Sammendrag"]["B4"].value == 0.8
    assert book["Sammendrag"]["A4"].value == "Andel fornøyde"  # bokmål unless told
    answers = tmp_path / "answers.csv"
    figures = tmp_path / "figures.csv"
    for kind, path in (("answers", answers), ("aggregates", figures)):
        done = runner.invoke(
            args=[
                "export",
                "csv",
                "--municipality",
                "5501",
                "--year",
                "2026",
                "--kind",
                kind,
                "--language",
                "en",
                "--output",
                str(path),
            ]
        )
        assert done.exit_code == 0, done.output
    assert len(_csv(answers.read_bytes())) == 11
    assert _csv(figures.read_bytes())[0][0] == "Table code"
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "download")).all()
    assert [(e.new_value or {}).get("via") for e in entries] == ["cli"] * 3


def test_cli_refuses_unknown_results_without_leaving_a_file(
    runner: FlaskCliRunner, questionnaires: None, tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "none.xlsx"
    done = runner.invoke(
        args=["export", "xlsx", "--municipality", "5501", "--year", "1999", "--output", str(target)]
    )
    assert done.exit_code != 0
    assert "no citizen-satisfaction results" in done.output
    assert list(folder.iterdir()) == []


def test_answers_csv_is_streamed(
    app: Flask, make_user: Callable[..., Any], add_round: Callable[..., SurveyRound]
) -> None:
    """Read unbuffered, as a server does (a plain client: requests share this context)."""
    from flask.testing import FlaskClient as PlainClient

    from tests.conftest import TEST_PASSWORD

    add_round("5501", 2026, satisfied(4, 6))
    user = make_user("planner", municipalities=["5501"], raw_data=True)
    plain = PlainClient(app, app.response_class, use_cookies=True)
    plain.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    with plain.get("/exports/5501/answers.csv") as response:
        assert response.status_code == 200
        assert response.is_streamed
        pieces = list(response.response)
    data = b"".join(p if isinstance(p, bytes) else p.encode() for p in pieces)
    assert len(_csv(data)) == 7
