"""Files for analysts (SPSS and Stata, with labels; the raw-data right and the audit), the
council pack, and the command line's choices (peers, group, dialect, file permissions)."""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyreadstat
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner

from surveyapp.audit.models import AuditEntry
from surveyapp.extensions import db
from surveyapp.models import Municipality, SurveyRound
from surveyapp.results.models import PeerGroup
from tests.exports.conftest import open_workbook
from tests.results.conftest import satisfied


def _letter_hidden(add_round: Callable[..., SurveyRound]) -> None:
    """319 of 409 satisfied; a letter group of 3 (hidden, and in person with it)."""
    overall: list[int] = []
    channel: list[str] = []
    for name, k, n in (
        ("phone", 125, 160),
        ("email", 95, 120),
        ("web", 63, 80),
        ("in_person", 34, 46),
        ("letter", 2, 3),
    ):
        overall += satisfied(k, n)
        channel += [name] * n
    add_round("5501", 2026, overall, channel=channel)


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_answers_for_spss_and_stata_with_labels_in_the_users_language(
    client: FlaskClient,
    raw_planner: Any,
    add_round: Callable[..., SurveyRound],
    tmp_path: Path,
    fmt: str,
) -> None:
    _letter_hidden(add_round)
    add_round("5501", 2026, ["dont_know"] * 5)
    response = client.get(f"/exports/5501/answers.{fmt}?lang=nn")
    assert response.status_code == 200
    assert re.search(
        rf"-answers-\d{{4}}-\d{{2}}-\d{{2}}\.{fmt}\"$", response.headers["Content-Disposition"]
    )
    path = tmp_path / f"answers.{fmt}"
    path.write_bytes(response.data)
    read = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    frame, meta = read(str(path), user_missing=True)
    assert len(frame) == 409 + 5
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["overall"] == "Alt i alt, kor nøgd er du med servicen du fekk frå kommunen?"
    assert labels["response"] == "Svarnummer"
    assert meta.variable_value_labels["overall"][5] == "Svært nøgd"
    channel = meta.variable_value_labels["channel"]
    assert channel[1] == "Telefon"
    hidden_code, dont_know_code = (98, 99) if fmt == "sav" else ("b", "a")
    assert channel[hidden_code] == "(skjult gruppe)"
    assert meta.variable_value_labels["overall"][dont_know_code] == "Veit ikkje"
    # The hidden groups stay hidden: no row says letter or in person.
    codes = {code: label for code, label in channel.items()}
    shown = {codes.get(v) for v in frame["channel"].dropna()}
    assert "Brev" not in shown and "(skjult gruppe)" in shown
    assert (frame["channel"] == hidden_code).sum() == 49
    assert (frame["overall"] == dont_know_code).sum() == 5
    if fmt == "sav":
        assert {r["lo"] for r in meta.missing_ranges["overall"]} == {98.0, 99.0}
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "download")).one()
    assert entry.new_value is not None
    assert (entry.new_value["format"], entry.new_value["rows"]) == (fmt, "answers")


def test_analyst_files_need_the_raw_data_right(
    client: FlaskClient, planner: Any, add_round: Callable[..., SurveyRound]
) -> None:
    add_round("5501", 2026, satisfied(8, 10))
    for fmt in ("sav", "dta"):
        assert client.get(f"/exports/5501/answers.{fmt}").status_code == 403
    assert client.get("/exports/5501/answers.xls").status_code == 404
    downloads = sa.select(sa.func.count()).where(AuditEntry.action == "download")
    assert db.session.scalar(downloads) == 0


def test_the_council_pack_holds_the_report_the_workbook_the_charts_and_a_readme(
    client: FlaskClient, planner: Any, add_round: Callable[..., SurveyRound]
) -> None:
    add_round("5501", 2025, satisfied(70, 100), channel=["phone", "email"])
    add_round("5501", 2026, satisfied(80, 100), channel=["phone", "email"])
    add_round("1804", 2026, satisfied(90, 100))
    page = client.get("/results/5501?lang=nb&peers=county").get_data(as_text=True)
    (link,) = re.findall(r'href="(/exports/5501/council-pack.zip[^"]*)"', page)
    assert "peers=county" in link
    response = client.get("/exports/5501/council-pack.zip?lang=nb")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "council-pack" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    pdf = next(n for n in names if n.endswith(".pdf"))
    workbook = next(n for n in names if n.endswith(".xlsx"))
    assert archive.read(pdf).startswith(b"%PDF")
    book = open_workbook(archive.read(workbook))
    assert "Sammendrag" in book.sheetnames and "Svar" not in book.sheetnames  # no rows
    for chart in ("trend", "peers", "question-overall"):
        assert f"charts/{chart}.png" in names and f"charts/{chart}.svg" in names
    readme = archive.read("LES-MEG.txt").decode("utf-8")
    assert readme.startswith("Tromsø: Hva synes du om servicen i kommunen? 2026")
    assert pdf in readme and workbook in readme and "charts/" in readme
    assert "ingen svar rad for rad" in readme
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "download")).one()
    assert entry.new_value is not None and entry.new_value["content"] == "council-pack"


def test_cli_workbook_follows_peers_group_and_compare_like_the_web(
    runner: FlaskCliRunner,
    add_round: Callable[..., SurveyRound],
    make_user: Callable[..., Any],
    tmp_path: Path,
) -> None:
    add_round("5501", 2026, satisfied(80, 100))
    add_round("1804", 2026, satisfied(90, 100))  # Nordland
    add_round("0301", 2026, satisfied(60, 100))
    owner = make_user("planner", municipalities=["5501"])
    group = PeerGroup(owner_id=owner.id, name="Byer i nord")
    group.members = [db.session.get(Municipality, "1804")]
    db.session.add(group)
    db.session.commit()
    target = tmp_path / "tromso.xlsx"
    base = ["export", "xlsx", "--municipality", "5501", "--year", "2026", "--language", "en"]
    done = runner.invoke(
        args=[*base, "--group", str(group.id), "--compare", "1804", "--output", str(target)]
    )
    assert done.exit_code == 0, done.output
    book = open_workbook(target.read_bytes())
    summary = [c.value for row in book["Sammendrag"].iter_rows() for c in row]
    assert "the group “Byer i nord”" in summary  # not "Compare with –"
    peers = book["Kommuner"]
    assert peers["A1"].value == "Share satisfied in 2026 – the group “Byer i nord”"
    codes = [r[1] for r in peers.iter_rows(min_row=3, max_row=4, values_only=True)]
    assert codes == ["1804", "5501"]  # 0301 is not in the group
    rank = next(
        str(c.value)
        for row in peers.iter_rows()
        for c in row
        if str(c.value).startswith("Rank 2 of 2")
    )
    assert rank == "Rank 2 of 2 among the group “Byer i nord”."
    bodo = next(r for r in peers.iter_rows(min_row=3, values_only=True) if r[1] == "1804")
    assert bodo[6] == pytest.approx(-0.1)  # the difference, as with ?compare=1804
    done = runner.invoke(args=[*base, "--group", "999", "--output", str(target)])
    assert done.exit_code != 0 and "no peer group 999" in done.output


def test_cli_files_get_the_users_umask_and_the_dialect_asked_for(
    runner: FlaskCliRunner, add_round: Callable[..., SurveyRound], tmp_path: Path
) -> None:
    add_round("5501", 2026, satisfied(80, 100))
    previous = os.umask(0o022)
    try:
        target = tmp_path / "figures.csv"
        args = ["export", "csv", "--municipality", "5501", "--year", "2026", "--kind", "aggregates"]
        done = runner.invoke(args=[*args, "--output", str(target)])  # bokmål: Norwegian Excel
        assert done.exit_code == 0, done.output
        assert "(excel-no)" in done.output
        assert target.stat().st_mode & 0o777 == 0o644  # not 0600
        assert target.read_text(encoding="utf-8-sig").splitlines()[0].startswith('"Tabellkode";')
        done = runner.invoke(args=[*args, "--dialect", "standard", "--output", str(target)])
        assert target.read_text(encoding="utf-8-sig").splitlines()[0].startswith('"Tabellkode",')
        os.umask(0o027)
        done = runner.invoke(args=[*args, "--output", str(target)])
        assert target.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(previous)


def test_cli_writes_spss_stata_and_the_pack(
    runner: FlaskCliRunner, add_round: Callable[..., SurveyRound], tmp_path: Path
) -> None:
    add_round("5501", 2026, satisfied(8, 10), channel=["phone", "email"])
    base = ["--municipality", "5501", "--year", "2026"]
    for fmt in ("sav", "dta"):
        target = tmp_path / f"answers.{fmt}"
        done = runner.invoke(args=["export", fmt, *base, "--output", str(target)])
        assert done.exit_code == 0, done.output
        assert "10 responses" in done.output
        read = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
        frame, meta = read(str(target))
        assert len(frame) == 10 and meta.column_labels[0] == "Svarnummer"
    target = tmp_path / "pack.zip"
    done = runner.invoke(
        args=["export", "pack", *base, "--language", "en", "--output", str(target)]
    )
    assert done.exit_code == 0, done.output
    names = zipfile.ZipFile(target).namelist()
    assert "README.txt" in names and any(n.endswith(".pdf") for n in names)
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "download")).all()
    assert [(e.new_value or {}).get("format") for e in entries] == ["sav", "dta", "zip"]
