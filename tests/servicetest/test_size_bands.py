"""Size bands for the stratified sample: loaded from a file, used by the planner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.municipalities.models import Municipality
from surveyapp.servicetest import operations


def test_bands_load_and_give_a_repeatable_stratified_sample(
    runner: Any, register: None, tmp_path: Path
) -> None:
    codes = list(db.session.scalars(sa.select(Municipality.code).order_by(Municipality.code)))
    lines = ["code,band"] + [f"{c},{'small' if i % 3 else 'large'}" for i, c in enumerate(codes)]
    path = tmp_path / "bands.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(args=["municipalities", "bands", str(path)])
    assert result.exit_code == 0, result.output
    assert "357 municipalities in 2 bands" in result.output
    first = operations.select_municipalities("sample", per_band=5, seed=3)
    again = operations.select_municipalities("sample", per_band=5, seed=3)
    other = operations.select_municipalities("sample", per_band=5, seed=4)
    assert first == again and first != other and len(first) == 10
    bands = {
        code: band
        for code, band in db.session.execute(
            sa.select(Municipality.code, Municipality.population_band)
        )
    }
    assert sorted(bands[c] for c in first) == ["large"] * 5 + ["small"] * 5


def test_bad_band_file_changes_nothing(runner: Any, register: None, tmp_path: Path) -> None:
    path = tmp_path / "bands.csv"
    path.write_text("code,band\n5501,large\n9999,small\n5501,small\n1804,\n", encoding="utf-8")
    result = runner.invoke(args=["municipalities", "bands", str(path)])
    assert result.exit_code != 0
    for fragment in (
        "line 3: '9999' is not a municipality",
        "line 4: municipality 5501 appears",
        "line 5: band ''",
    ):
        assert fragment in result.output
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Municipality)
            .where(Municipality.population_band.is_not(None))
        )
        == 0
    )
