"""Answers row by row: a separate right, audited, never for small rounds, hidden groups kept
hidden, free text only when chosen."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner

from surveyapp.accounts.models import User
from surveyapp.audit.models import AuditEntry
from surveyapp.extensions import db
from surveyapp.models import SurveyRound
from tests.exports.conftest import open_workbook
from tests.results.conftest import satisfied

ROW_LEVEL = [
    "/exports/5501/answers.csv",
    "/exports/5501/workbook.xlsx?answers=1",
    "/exports/5501/raw",
]


def _csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _downloads() -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "download").order_by(AuditEntry.id)
        )
    )


@pytest.mark.parametrize("url", ROW_LEVEL)
def test_planners_have_no_row_level_data_by_default(
    client: FlaskClient, planner: Any, add_round: Callable[..., SurveyRound], url: str
) -> None:
    add_round("5501", 2026, satisfied(80, 100), channel=["phone", "email"])
    response = client.get(f"{url}{'&' if '?' in url else '?'}lang=en")
    assert response.status_code == 403
    assert "raw-data right" in response.get_data(as_text=True)
    assert _downloads() == []


def test_without_the_right_the_workbook_has_every_aggregate_and_no_row_sheet(
    client: FlaskClient, planner: Any, add_round: Callable[..., SurveyRound]
) -> None:
    add_round("5501", 2026, satisfied(80, 100), channel=["phone", "email"])
    book = open_workbook(client.get("/exports/5501/workbook.xlsx?lang=en", buffered=True).data)
    assert book.sheetnames[:4] == ["Sammendrag", "Om tallene", "Kommuner", "Utvikling"]
    assert "overall" in book.sheetnames and "channel" in book.sheetnames
    assert not [name for name in book.sheetnames if name.startswith("Svar")]
    summary = [c.value for row in book["Sammendrag"].iter_rows() for c in row]
    assert "Answers row by row are not in this workbook." in summary


def test_an_admin_grants_the_right_on_the_user_form_and_it_is_audited(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    add_round: Callable[..., SurveyRound],
) -> None:
    add_round("5501", 2026, satisfied(80, 100))
    planner = make_user("planner", municipalities=["5501"])
    assert planner.raw_data is False
    admin = make_user("admin")
    login(admin)
    form = client.get(f"/admin/users/{planner.id}?lang=en").get_data(as_text=True)
    assert "May download answers row by row (raw data)" in form
    assert "every such download is recorded in the audit trail" in form
    response = client.post(
        f"/admin/users/{planner.id}",
        data={
            "name": planner.name,
            "role": "planner",
            "municipalities": ["5501"],
            "active": "y",
            "raw_data": "y",
            "password": "",
        },
    )
    assert response.status_code == 302
    assert db.session.get(User, planner.id).raw_data is True  # type: ignore[union-attr]
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "user", AuditEntry.action == "update")
    ).one()
    assert (entry.user_id, entry.old_value, entry.new_value) == (
        admin.id,
        {"raw_data": False},
        {"raw_data": True},
    )
    client.post("/logout")
    login(planner)
    assert client.get("/exports/5501/answers.csv", buffered=True).status_code == 200


def test_every_raw_download_is_audited_with_what_it_held(
    client: FlaskClient, raw_planner: Any, add_round: Callable[..., SurveyRound]
) -> None:
    survey_round = add_round("5501", 2026, satisfied(8, 10))
    client.get("/exports/5501/answers.csv", buffered=True)
    client.get("/exports/5501/workbook.xlsx?answers=1&free_text=1", buffered=True)
    csv_entry, book_entry = _downloads()
    assert csv_entry.user_id == raw_planner.id
    assert csv_entry.new_value is not None and book_entry.new_value is not None
    assert csv_entry.new_value["content"] == "answers"
    assert (csv_entry.new_value["free_text"], book_entry.new_value["free_text"]) == (False, True)
    assert csv_entry.new_value["rounds"] == [survey_round.id]
    assert book_entry.new_value["responses"] == 10


def test_never_for_a_round_with_fewer_than_five_responses(
    client: FlaskClient, raw_planner: Any, add_round: Callable[..., SurveyRound]
) -> None:
    add_round("5501", 2026, satisfied(3, 4))
    for url in ROW_LEVEL:
        response = client.get(f"{url}{'&' if '?' in url else '?'}lang=en")
        assert response.status_code == 403, url
        assert "fewer than 5 responses" in response.get_data(as_text=True)
    assert _downloads() == []


def test_a_small_round_beside_a_large_one_is_left_out_and_said_so(
    client: FlaskClient, raw_planner: Any, add_round: Callable[..., SurveyRound]
) -> None:
    add_round("5501", 2026, satisfied(8, 10))
    small = add_round("5501", 2026, satisfied(2, 3))
    table = _csv(client.get("/exports/5501/answers.csv", buffered=True).data)
    assert len(table) == 1 + 10  # the three rows of the small round are not there
    page = client.get("/exports/5501/raw?lang=en").get_data(as_text=True)
    assert f"{small.title} – 3" in page and "are left out" in page
    book = open_workbook(
        client.get("/exports/5501/workbook.xlsx?answers=1&lang=en", buffered=True).data
    )
    summary = [c.value for row in book["Sammendrag"].iter_rows() for c in row]
    assert any(isinstance(v, str) and "are left out: Runde 2026 (3)" in v for v in summary)
    assert book["Svar"].max_row == 1 + 10


def test_free_text_only_when_chosen_and_with_a_warning(
    client: FlaskClient, raw_planner: Any, add_responses: Callable[..., SurveyRound]
) -> None:
    add_responses(
        "citizen-satisfaction",
        [{"overall": ["5"], "channel": ["phone"], "suggestion": ["Ring meg, Kari Nordmann"]}] * 6,
    )
    page = client.get("/exports/5501/raw?lang=en").get_data(as_text=True)
    assert "Include free-text answers" in page and "Warning:" in page
    plain = _csv(client.get("/exports/5501/answers.csv", buffered=True).data)
    assert "suggestion" not in plain[0]
    assert not any("Kari" in cell for row in plain for cell in row)
    chosen = _csv(client.get("/exports/5501/answers.csv?free_text=1", buffered=True).data)
    assert chosen[1][chosen[0].index("suggestion")] == "Ring meg, Kari Nordmann"
    book = open_workbook(client.get("/exports/5501/workbook.xlsx?answers=1", buffered=True).data)
    assert "suggestion" not in [c.value for c in book["Svar"][1]]


def test_hidden_groups_stay_hidden_in_the_rows(
    client: FlaskClient, raw_planner: Any, add_responses: Callable[..., SurveyRound]
) -> None:
    """Letter has 3 answers: hidden, and in-person (the next smallest) with it. Their rows
    read the same, and the waiting time (asked of phone and in-person only) is blank in
    them, or it would tell the in-person rows from the letter ones."""
    waited = {"wait_time__min": ["2"], "wait_time__sec": ["0"]}
    inputs = (
        [{"overall": ["5"], "channel": ["phone"], **waited}] * 20
        + [{"overall": ["4"], "channel": ["email"]}] * 15
        + [{"overall": ["2"], "channel": ["web"]}] * 12
        + [{"overall": ["5"], "channel": ["in_person"], **waited}] * 6
        + [{"overall": ["1"], "channel": ["letter"]}] * 3
    )
    add_responses("citizen-satisfaction", inputs)
    table = _csv(client.get("/exports/5501/answers.csv?lang=en", buffered=True).data)
    header = table[0]
    channels = [row[header.index("channel")] for row in table[1:]]
    assert channels.count("(hidden group)") == 9
    assert "letter" not in channels and "in_person" not in channels
    waits = [row[header.index("wait_time")] for row in table[1:]]
    assert [w for c, w in zip(channels, waits, strict=True) if c == "(hidden group)"] == [""] * 9
    assert [w for c, w in zip(channels, waits, strict=True) if c == "phone"] == ["120"] * 20
    page = client.get("/results/5501?lang=en").get_data(as_text=True)
    assert 'id="question-wait_time"' in page
    wait_section = page.split('id="question-wait_time"')[1].split("<h3")[0]
    assert "Hidden to protect respondents" in wait_section


def test_cli_applies_the_same_rules(
    runner: FlaskCliRunner, add_round: Callable[..., SurveyRound], tmp_path: Path
) -> None:
    add_round("5501", 2026, satisfied(3, 4))
    target = tmp_path / "answers.csv"
    args = ["export", "csv", "--municipality", "5501", "--year", "2026", "--kind", "answers"]
    done = runner.invoke(args=[*args, "--output", str(target)])
    assert done.exit_code != 0
    assert "fewer than 5" in done.output and not target.exists()
    add_round("5501", 2026, satisfied(8, 10))
    done = runner.invoke(args=[*args, "--free-text", "--output", str(target)])
    assert done.exit_code == 0, done.output
    assert "Left out: Runde 2026 (4 responses" in done.output
    assert "Warning: free-text answers may name people" in done.output
    assert len(_csv(target.read_bytes())) == 1 + 10
    (entry,) = _downloads()
    assert entry.new_value is not None and entry.new_value["free_text"] is True
    workbook = tmp_path / "book.xlsx"
    done = runner.invoke(
        args=[
            "export",
            "xlsx",
            "--municipality",
            "5501",
            "--year",
            "2026",
            "--output",
            str(workbook),
        ]
    )
    assert done.exit_code == 0 and "0 responses" in done.output  # aggregates only by default
