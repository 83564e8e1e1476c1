"""The dashboard shows answers per channel apart, small channels hidden as any breakdown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.extensions import db
from surveyapp.models import Response
from surveyapp.results.report import build_report
from tests.results.conftest import satisfied


def mark_channels(round_id: int, channels: list[str]) -> None:
    """Give the round's responses these channels, in turn."""
    ids = sorted(db.session.scalars(sa.select(Response.id).where(Response.round_id == round_id)))
    for index, response_id in enumerate(ids):
        db.session.execute(
            sa.update(Response)
            .where(Response.id == response_id)
            .values(channel=channels[index % len(channels)])
        )
    db.session.commit()


def test_channels_are_shown_apart_and_small_ones_hidden_with_a_protector(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    add_round: Callable[..., Any],
) -> None:
    login(make_user("planner", municipalities=["5501"]))
    survey_round = add_round("5501", 2026, satisfied(48, 60))
    # 40 web, 16 paper, 4 kiosk: the kiosk is small, and the smallest other is hidden
    # too, or it could be worked out from the total.
    mark_channels(survey_round.id, ["web"] * 10 + ["paper"] * 4 + ["kiosk"])
    report = build_report("5501", "citizen-satisfaction", 2026)
    assert report.channels is not None
    shown = {row.value: row.share for row in report.channels.rows}
    assert set(shown) == {"web", "paper", "kiosk"}
    assert shown["kiosk"].protected and shown["kiosk"].proportion is None
    assert shown["paper"].protected  # secondary suppression
    assert shown["web"].proportion is not None and shown["web"].n == 40
    page = client.get("/results/5501?lang=en").get_data(as_text=True)
    assert "Share satisfied by channel" in page
    assert "Paper form" in page and "Open link" in page


def test_one_channel_only_needs_no_breakdown(add_round: Callable[..., Any]) -> None:
    add_round("5501", 2026, satisfied(40, 50))
    assert build_report("5501", "citizen-satisfaction", 2026).channels is None


def test_the_workbook_the_figures_and_the_council_report_show_the_channels_as_the_page(
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    add_round: Callable[..., Any],
) -> None:
    """One figure, one set of digits: the channel table of the dashboard in the
    workbook's Grupper sheet, in the figures file and in the council's PDF, with the
    small channel and its protector hidden everywhere."""
    import csv
    import io

    from surveyapp import formatting
    from tests.exports.conftest import open_workbook
    from tests.results.test_report_pdf import pages_of

    login(make_user("planner", municipalities=["5501"]))
    survey_round = add_round("5501", 2026, satisfied(48, 60))
    mark_channels(survey_round.id, ["web"] * 10 + ["paper"] * 4 + ["kiosk"])
    report = build_report("5501", "citizen-satisfaction", 2026)
    assert report.channels is not None
    web = next(r.share for r in report.channels.rows if r.value == "web").proportion
    assert web is not None
    ends = (web.share, web.interval.low, web.interval.high)
    digits = [str(formatting.round_percent(v, 1)) for v in ends]

    book = open_workbook(client.get("/exports/5501/workbook.xlsx?lang=en", buffered=True).data)
    sheet = book["Grupper"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    title = next(i for i, row in enumerate(rows) if row[0] == "Share satisfied by channel")
    assert rows[title + 1][:2] == ["Channel", "Channel code"]
    table = {row[1]: row for row in rows[title + 2 : title + 5]}
    assert set(table) == {"web", "paper", "kiosk"}
    assert table["web"][5] == 40  # n
    assert [round(v * 100, 1) for v in table["web"][2:5]] == [float(d) for d in digits]
    assert table["kiosk"][2] is None and table["paper"][2] is None  # hidden, no share
    assert "Grupper_kanal" in sheet.tables

    data = client.get("/exports/5501/aggregates.csv?lang=en", buffered=True).data
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    figures = [dict(zip(lines[1], line, strict=True)) for line in lines[2:]]
    channel = {f["row_code"]: f for f in figures if f["table_code"] == "channel"}
    assert set(channel) == {"web", "paper", "kiosk"}
    assert [channel["web"][k] for k in ("value", "low", "high", "n")] == [*digits, "40"]
    assert channel["kiosk"]["value"] == channel["paper"]["value"] == ""
    assert channel["kiosk"]["count"] == channel["paper"]["count"] == ""

    text = " ".join(pages_of(client.get("/results/5501/report.pdf?lang=en").data))
    assert "Share satisfied by channel" in text
    assert f"{digits[0]} %" in text and "Open link" in text and "Paper form" in text
