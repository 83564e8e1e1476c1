"""`questionnaires check|load` through the real command line, against files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.questionnaires.models import QuestionFingerprint, Questionnaire
from tests.conftest import PROJECT_ROOT, SHIPPED

BROKEN = sorted((Path(__file__).parent / "broken").glob("*.yaml"))
SHIPPED_FILES = sorted(SHIPPED.glob("*.yaml"))


def test_shipped_questionnaires_pass_check(runner: Any) -> None:
    result = runner.invoke(args=["questionnaires", "check", *map(str, SHIPPED_FILES)])
    assert result.exit_code == 0, result.output
    assert len(SHIPPED_FILES) == 4
    for path in SHIPPED_FILES:
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
    result = runner.invoke(args=["questionnaires", "check", *map(str, SHIPPED_FILES)])
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
    source = SHIPPED / "citizen-satisfaction.yaml"
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
    good = SHIPPED / "citizen-satisfaction.yaml"
    bad = BROKEN[0]
    result = runner.invoke(args=["questionnaires", "load", str(good), str(bad)])
    assert result.exit_code != 0
    assert "nothing loaded" in result.output and str(bad) in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Questionnaire)) == 0


@pytest.fixture
def app_config(
    app_config: dict[str, Any], request: pytest.FixtureRequest, tmp_path: Path
) -> dict[str, Any]:
    """With a parameter: SURVEYAPP_QUESTIONNAIRE_DIR is a "missing" or an "empty" folder."""
    kind = getattr(request, "param", None)
    if kind is None:
        return app_config
    folder = tmp_path / "definitions"
    if kind == "empty":
        folder.mkdir()
        (folder / "notes.txt").write_text("not a definition")
    return {**app_config, "SURVEYAPP_QUESTIONNAIRE_DIR": str(folder)}


@pytest.mark.parametrize(
    ("app_config", "expected"),
    [("missing", "definitions is not a folder"), ("empty", "no definition files (*.yaml) in")],
    indirect=["app_config"],
)
@pytest.mark.parametrize("command", ["load", "check"])
def test_nothing_found_says_where_it_looked_and_fails(
    runner: Any, register: None, app_config: dict[str, Any], command: str, expected: str
) -> None:
    result = runner.invoke(args=["questionnaires", command])
    assert result.exit_code == 1, result.output
    assert expected in result.output and "SURVEYAPP_QUESTIONNAIRE_DIR" in result.output
    assert app_config["SURVEYAPP_QUESTIONNAIRE_DIR"] in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Questionnaire)) == 0


def test_load_says_where_the_shipped_files_are(runner: Any, register: None) -> None:
    result = runner.invoke(args=["questionnaires", "load"])
    assert result.exit_code == 0, result.output
    assert f"4 definition files in {SHIPPED}" in result.stderr


def test_the_definitions_ship_inside_the_package(tmp_path: Path) -> None:
    """Built as pip builds it (setuptools build_py, from a copy of the project), then run
    from another folder: the installed app finds and checks its four definitions."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PROJECT_ROOT / name, project / name)
    shutil.copytree(
        PROJECT_ROOT / "surveyapp",
        project / "surveyapp",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    built = tmp_path / "site-packages"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import setuptools; setuptools.setup()",
            "-q",
            "build_py",
            "--build-lib",
            str(built),
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    shipped = sorted(p.name for p in (built / "surveyapp/questionnaires/definitions").glob("*"))
    assert shipped == sorted(["README.md", *(p.name for p in SHIPPED_FILES)])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEYAPP_")}
    env.update({"PYTHONPATH": str(built), "SURVEYAPP_DEMO": "1"})
    done = subprocess.run(
        [sys.executable, "-c", "import surveyapp; print(surveyapp.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.startswith(str(built)), done.stdout  # the built copy, not the checkout
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "surveyapp", "questionnaires", "check"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("ok  ") == 4
    assert str(built / "surveyapp/questionnaires/definitions") in done.stderr
