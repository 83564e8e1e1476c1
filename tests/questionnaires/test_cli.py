"""`questionnaires check|load` through the real command line, against files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.questionnaires.models import QuestionFingerprint, Questionnaire
from tests.conftest import PROJECT_ROOT

BROKEN = sorted((Path(__file__).parent / "broken").glob("*.yaml"))
SHIPPED = sorted((PROJECT_ROOT / "questionnaires").glob("*.yaml"))


def test_shipped_questionnaires_pass_check(runner: Any) -> None:
    result = runner.invoke(args=["questionnaires", "check", *map(str, SHIPPED)])
    assert result.exit_code == 0, result.output
    assert len(SHIPPED) == 4
    for path in SHIPPED:
        assert f"ok  {path}" in result.output


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_each_broken_file_is_rejected_naming_the_file(runner: Any, path: Path) -> None:
    result = runner.invoke(args=["questionnaires", "check", str(path)])
    assert result.exit_code == 1
    assert str(path) in result.output
    assert "ok  " not in result.output
    # Every problem line says where: a line number or a named place in the file.
    problem_lines = [line for line in result.output.splitlines() if line.startswith(str(path))]
    assert problem_lines
    for line in problem_lines:
        assert len(line) > len(str(path)) + 10


def test_check_does_not_touch_the_database(runner: Any, app: Any) -> None:
    result = runner.invoke(args=["questionnaires", "check", *map(str, SHIPPED)])
    assert result.exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Questionnaire)) == 0


def test_load_twice_changes_nothing(runner: Any, register: None) -> None:
    first = runner.invoke(args=["questionnaires", "load"])
    assert first.exit_code == 0, first.output
    assert first.output.count("stored") == 4
    second = runner.invoke(args=["questionnaires", "load"])
    assert second.exit_code == 0, second.output
    assert second.output.count("unchanged") == 4
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Questionnaire)) == 4


def test_changed_wording_gets_new_version_and_fingerprint(
    runner: Any, register: None, tmp_path: Path
) -> None:
    source = PROJECT_ROOT / "questionnaires" / "citizen-satisfaction.yaml"
    assert runner.invoke(args=["questionnaires", "load", str(source)]).exit_code == 0
    text = source.read_text(encoding="utf-8")
    changed = tmp_path / "citizen-satisfaction.yaml"
    # Reword the first option label of the shared satisfaction scale.
    import yaml

    data = yaml.safe_load(text)
    scale_name = next(iter(data["scales"]))
    data["scales"][scale_name][0]["label"]["nb"] += " (endret)"
    changed.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(args=["questionnaires", "load", str(changed)])
    assert result.exit_code == 0, result.output
    assert "v2" in result.output and "wording changed" in result.output
    versions = db.session.scalars(
        sa.select(Questionnaire)
        .where(Questionnaire.code == "citizen-satisfaction")
        .order_by(Questionnaire.version)
    ).all()
    assert [q.version for q in versions] == [1, 2]
    prints = {
        q.version: {
            f.code: f.fingerprint
            for f in db.session.scalars(
                sa.select(QuestionFingerprint).where(QuestionFingerprint.questionnaire_id == q.id)
            )
        }
        for q in versions
    }
    changed_codes = {c for c in prints[1] if prints[1][c] != prints[2][c]}
    unchanged_codes = set(prints[1]) - changed_codes
    assert changed_codes and unchanged_codes  # only the questions on that scale changed


def test_load_is_all_or_nothing(runner: Any, register: None) -> None:
    good = PROJECT_ROOT / "questionnaires" / "citizen-satisfaction.yaml"
    bad = BROKEN[0]
    result = runner.invoke(args=["questionnaires", "load", str(good), str(bad)])
    assert result.exit_code != 0
    assert "nothing loaded" in result.output and str(bad) in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Questionnaire)) == 0
