"""`peers import` with old numbers: files them under today's municipalities, says so."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskCliRunner

from surveyapp.extensions import db
from surveyapp.results.models import PeerValue
from surveyapp.results.report import build_report
from tests.results.conftest import satisfied

HEADER = "municipality_code,year,indicator,value,n,source"


def write(tmp_path: Path, *lines: str) -> str:
    path = tmp_path / "peers-2019.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return str(path)


def stored() -> set[tuple[str, int, float]]:
    return {
        (code, year, value)
        for code, year, value in db.session.execute(
            sa.select(PeerValue.municipality_code, PeerValue.year, PeerValue.value)
        )
    }


def test_a_file_with_2019_numbers_is_filed_under_todays_municipalities(
    runner: FlaskCliRunner, municipality_history: None, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "1902,2019,satisfied_share,0.71,300,KS 2019",
        "1902,2018,satisfied_share,0.69,280,KS 2019",
        "0101,2019,satisfied_share,0.66,150,KS 2019",
        "0124,2019,satisfied_share,0.80,90,KS 2019",
        "1534,2019,satisfied_share,0.75,60,KS 2019",
        "0301,2019,satisfied_share,0.70,900,KS 2019",
    )
    result = runner.invoke(args=["peers", "import", path])
    assert result.exit_code == 0, result.output
    assert stored() == {
        ("5501", 2019, 0.71),
        ("5501", 2018, 0.69),
        ("3101", 2019, 0.66),
        ("0124", 2019, 0.80),  # Askim's own figure: merged since, never added to another's
        ("1534", 2019, 0.75),
        ("0301", 2019, 0.70),
    }
    lines = result.output.splitlines()
    assert "0101 Halden is now 3101 Halden: 1 row filed under 3101 Halden" in lines
    assert "1902 Tromsø is now 5501 Tromsø: 2 rows filed under 5501 Tromsø" in lines
    assert (
        "0124 Askim was merged or split into what is now 3118 Indre Østfold: 1 row kept as "
        "Askim's own figures, shown beside 3118 Indre Østfold as a predecessor's" in lines
    )
    assert lines[-1] == "6 added, 0 updated, 0 unchanged"
    again = runner.invoke(args=["peers", "import", path])
    assert again.output.splitlines()[-1] == "0 added, 0 updated, 6 unchanged"


def test_an_old_number_outside_its_years_or_twice_is_refused_whole(
    runner: FlaskCliRunner, municipality_history: None, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "1902,2019,satisfied_share,0.71,300,KS",
        "1507,2019,satisfied_share,0.70,300,KS",
        "1902,2021,satisfied_share,0.72,300,KS",
    )
    result = runner.invoke(args=["peers", "import", path])
    assert result.exit_code == 1
    assert "line 3: municipality code 1507 was in use 2020–2023, not in 2019" in result.output
    assert "line 4: municipality code 1902 was in use until 2019, not in 2021" in result.output
    assert stored() == set()
    path = write(
        tmp_path,
        "1902,2019,satisfied_share,0.71,300,KS",
        "5501,2019,satisfied_share,0.72,300,KS",
    )
    result = runner.invoke(args=["peers", "import", path])
    assert result.exit_code == 1
    assert (
        "line 3: 5501 in 2019 is 5501, and line 2 gives the same figure (as 1902)" in result.output
    )
    assert stored() == set()


def test_imported_old_numbers_show_under_today_and_as_predecessors(
    runner: FlaskCliRunner,
    municipality_history: None,
    add_round: Callable[..., Any],
    tmp_path: Path,
) -> None:
    add_round("1902", 2019, satisfied(70, 100))
    path = write(
        tmp_path,
        "1902,2019,satisfied_share,0.71,300,KS 2019",
        "0124,2019,satisfied_share,0.80,90,KS 2019",
    )
    assert runner.invoke(args=["peers", "import", path]).exit_code == 0
    report = build_report("5501", "citizen-satisfaction", 2019)
    rows = {r.code: r for r in report.references}
    assert set(rows) == {"5501", "0124"}
    assert rows["5501"].then is not None and rows["5501"].then.code == "1902"
    assert rows["0124"].part_of == ("3118 Indre Østfold",)
    county = build_report("5501", "citizen-satisfaction", 2019, peer_scope="county")
    assert [r.code for r in county.references] == ["5501"]  # Askim is in Østfold today
