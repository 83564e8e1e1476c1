"""The service-test workbook: ranking, KKiK indicators, every contact with points and why."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_babel import refresh

from surveyapp.audit.models import AuditEntry
from surveyapp.extensions import db
from surveyapp.models import TestRound
from surveyapp.servicetest import cache, operations
from surveyapp.servicetest.phrases import reason_text
from tests.exports.conftest import excel, open_workbook


def _download(client: FlaskClient, test_round: TestRound) -> Any:
    response = client.get(
        f"/exports/servicetest/{test_round.id}/workbook.xlsx?lang=en", buffered=True
    )
    assert response.status_code == 200
    return response


def test_admin_gets_every_municipality_and_every_contact(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    scored_round: TestRound,
) -> None:
    admin = make_user("admin")
    login(admin)
    response = _download(client, scored_round)
    assert re.fullmatch(
        rf"attachment; filename=servicetest-{scored_round.id}-servicetest-2026-"
        r"\d{4}-\d{2}-\d{2}\.xlsx",
        response.headers["Content-Disposition"],
    )
    book = open_workbook(response.data)
    assert book.sheetnames == [
        "Rangering",
        "KKiK",
        "Kontakter",
        "Bevis",
        "Metode",
        "Testere",
        "Samsvar",
    ]
    result = cache.scored_round(scored_round)

    ranking = book["Rangering"]
    assert ranking.freeze_panes == "D4"
    header = [c.value for c in ranking[3]]
    assert header[:6] == [
        "Rank",
        "Municipality number",
        "Municipality",
        "Score",
        "Grade",
        "Quartile",
    ]
    rows = list(
        ranking.iter_rows(min_row=4, max_row=3 + len(result.municipalities), values_only=True)
    )
    assert [(r[0], r[1]) for r in rows] == [(m.rank, m.municipality) for m in result.municipalities]
    assert [r[2] for r in rows][:1] == ["Tromsø"]
    assert excel(r[3] for r in rows) == excel(m.score for m in result.municipalities)
    assert ranking.cell(4, 4).number_format == "0.0"
    phone = header.index("Phone")
    assert excel(r[phone] for r in rows) == excel(
        m.channel_scores.get("phone") for m in result.municipalities
    )
    national = next(
        r for r in ranking.iter_rows(min_row=4, values_only=True) if r[2] == "National average"
    )
    assert excel([national[3]]) == excel([result.national_average])

    indicators = book["KKiK"]
    table = list(
        indicators.iter_rows(min_row=4, max_row=3 + len(result.indicators), values_only=True)
    )
    for row, summary in zip(table, result.indicators.values(), strict=True):
        assert (row[2], row[3]) == (summary.pooled.numerator, summary.pooled.denominator)
        assert excel([row[1], row[4]]) == excel([summary.pooled.value, summary.mean])
    assert table[0][0] == "E-mails answered within 1 working day"

    contacts = book["Kontakter"]
    header = [c.value for c in contacts[3]]
    assert header == [
        "Municipality number",
        "Municipality",
        "Sector",
        "Scenario",
        "Channel",
        "Points",
        "Maximum points",
        "Score",
        "Status",
        "Counted",
        "Why",
    ]
    rows = list(contacts.iter_rows(min_row=4, values_only=True))
    assert len(rows) == len(result.contact_scores)
    assert {r[0] for r in rows} == {"5501", "1804", "0301"}
    first_contact, first_score = min(
        result.contact_scores,
        key=lambda item: (item[0].municipality, item[0].sector, item[0].scenario, item[0].channel),
    )
    first = rows[0]
    assert first[0] == first_contact.municipality
    assert (first[5], first[6]) == (first_score.points, first_score.max_points)
    assert first[9] is first_score.included
    with app.test_request_context("/?lang=en"):
        refresh()  # the test's app context would keep an earlier request's language
        scenario = operations.protocol_of(scored_round).scenario(first_contact.scenario)
        titles = {c.code: c.text["en"] for c in scenario.checkpoints}
        assert first[10] == "\n".join(reason_text(r, titles) for r in first_score.reasons)
    assert all(r[10] for r in rows)  # every contact says why
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "download")).one()
    assert (entry.entity_type, entry.entity_id) == ("export", f"servicetest/{scored_round.id}")
    assert (entry.new_value or {})["municipalities"] == "all"


def test_reasons_are_the_pages_sentences_in_the_chosen_language(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    scored_round: TestRound,
) -> None:
    login(make_user("admin"))
    english = open_workbook(_download(client, scored_round).data)["Kontakter"]
    norwegian = open_workbook(
        client.get(
            f"/exports/servicetest/{scored_round.id}/workbook.xlsx?lang=nb", buffered=True
        ).data
    )["Kontakter"]
    english_reasons = "\n".join(
        str(r[0]) for r in english.iter_rows(min_row=4, min_col=11, values_only=True)
    )
    norwegian_reasons = "\n".join(
        str(r[0]) for r in norwegian.iter_rows(min_row=4, min_col=11, values_only=True)
    )
    assert "Reached at attempt 1." in english_reasons
    assert "Reached at attempt 1." not in norwegian_reasons
    assert norwegian["A3"].value == "Kommunenummer"


def test_planner_sees_own_rows_and_the_national_figures_only(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    scored_round: TestRound,
) -> None:
    login(make_user("planner", municipalities=["1804"]))
    book = open_workbook(_download(client, scored_round).data)
    result = cache.scored_round(scored_round)
    ranking = [r for r in book["Rangering"].iter_rows(min_row=4, values_only=True) if r[1]]
    assert [r[1] for r in ranking] == ["1804"]
    national = next(
        r
        for r in book["Rangering"].iter_rows(min_row=4, values_only=True)
        if r[2] == "National average"
    )
    assert excel([national[3]]) == excel([result.national_average])
    contacts = list(book["Kontakter"].iter_rows(min_row=4, values_only=True))
    assert contacts and {r[0] for r in contacts} == {"1804"}
    kkik = list(
        book["KKiK"].iter_rows(min_row=4, max_row=3 + len(result.indicators), values_only=True)
    )
    assert [r[3] for r in kkik] == [s.pooled.denominator for s in result.indicators.values()]
    per_municipality = [
        r for r in book["KKiK"].iter_rows(min_row=5 + len(result.indicators), values_only=True)
    ]
    assert [r[0] for r in per_municipality[1:]] == ["1804"]
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "download")).one()
    assert (entry.new_value or {})["municipalities"] == ["1804"]


def test_callers_are_refused(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    scored_round: TestRound,
) -> None:
    url = f"/exports/servicetest/{scored_round.id}/workbook.xlsx"
    assert client.get(url).status_code == 302
    login(make_user("caller"))
    assert client.get(url).status_code == 403


def test_ranking_page_links_to_the_workbook(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    scored_round: TestRound,
) -> None:
    login(make_user("admin"))
    page = client.get(f"/servicetest/{scored_round.id}/ranking?lang=en").get_data(as_text=True)
    assert f'href="/exports/servicetest/{scored_round.id}/workbook.xlsx"' in page


def test_cli_writes_the_service_test_workbook(
    runner: FlaskCliRunner, scored_round: TestRound, tmp_path: Path
) -> None:
    target = tmp_path / "servicetest.xlsx"
    done = runner.invoke(
        args=["export", "servicetest", "--round", str(scored_round.id), "--output", str(target)]
    )
    assert done.exit_code == 0, done.output
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == [
        "Rangering",
        "KKiK",
        "Kontakter",
        "Bevis",
        "Metode",
        "Testere",
        "Samsvar",
    ]
    assert book["Rangering"]["A3"].value == "Plassering"
    missing = runner.invoke(
        args=["export", "servicetest", "--round", "999", "--output", str(target)]
    )
    assert missing.exit_code != 0 and "no service-test round 999" in missing.output
