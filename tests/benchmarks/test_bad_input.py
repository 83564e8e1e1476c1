"""The bad-input corpus (benchmarks/perf/corpus/) through the real entry points, small.

Command line: ``flask questionnaires check FILE`` and ``flask peers import FILE`` must
exit 1 naming the file (and the line), with the database unchanged. Forms: Flask's
test client with CSRF on posts every case of ``form_posts.json``; no 500, the expected
status and message, nothing stored for invalid posts, hostile free text stored verbatim
and shown only escaped. ``make bench`` sends the same corpus to a running gunicorn.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from benchmarks.perf import bad_input, load
from surveyapp.extensions import db
from surveyapp.models import Municipality, SurveyRound
from surveyapp.questionnaires.store import latest_version
from tests.conftest import PROJECT_ROOT


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def open_round(app: Flask, questionnaires: None) -> SurveyRound:
    questionnaire = latest_version(load.QUESTIONNAIRE)
    assert questionnaire is not None
    now = datetime.now(UTC)
    survey_round = SurveyRound(
        slug=load.SLUG,
        title="Korpus",
        year=now.year,
        questionnaire_id=questionnaire.id,
        status="open",
        access="open",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
    )
    survey_round.municipalities = list(
        db.session.scalars(sa.select(Municipality).where(Municipality.code == load.MUNICIPALITY))
    )
    db.session.add(survey_round)
    db.session.commit()
    return survey_round


def _failures(outcomes: list[bad_input.Outcome]) -> dict[str, str]:
    return {f"{o.name}: {o.answer}": "; ".join(o.problems) for o in outcomes if not o.ok}


def test_questionnaire_corpus_is_refused_naming_each_file(app: Flask, tmp_path: Path) -> None:
    files = bad_input.questionnaire_files(tmp_path)
    assert len(files) >= 20
    outcomes = bad_input.check_questionnaires(app, files)
    assert _failures(outcomes) == {}
    assert all(o.answer.startswith("exit 1: ") for o in outcomes)


def test_peer_corpus_is_refused_naming_the_line_and_stores_nothing(
    app: Flask, register: None, tmp_path: Path
) -> None:
    files = bad_input.peer_files(tmp_path)
    assert len(files) >= 20
    outcomes = bad_input.import_peers(app, files)
    assert _failures(outcomes) == {}
    # The counting sees a good file change the database.
    result = app.test_cli_runner().invoke(
        args=["peers", "import", str(PROJECT_ROOT / "benchmarks/peers/example-fictitious.csv")]
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.text("SELECT count(*) FROM peer_value"))


def _run_cases(
    app: Flask, open_round: SurveyRound, database_url: str, names: set[str] | None, skip: set[str]
) -> list[bad_input.Outcome]:
    storage = bad_input.Storage(database_url, open_round.id)
    outcomes = []
    for case in bad_input.form_cases():
        if case["name"] in skip or (names is not None and case["name"] not in names):
            continue
        outcomes.append(
            bad_input.run_form_case(
                case,
                bad_input.FlaskBrowser(app),
                open_round.slug,
                storage,
                lambda: app.test_client().get("/healthz").status_code,
            )
        )
    return outcomes


def test_form_corpus_gets_clear_errors_and_stores_only_valid_posts(
    app: Flask, open_round: SurveyRound, database_url: str
) -> None:
    outcomes = _run_cases(app, open_round, database_url, None, set())
    assert len(outcomes) >= 20
    assert _failures(outcomes) == {}
    statuses = {o.name: int(o.answer.split()[0]) for o in outcomes}
    assert statuses["body of 3 MB (limit 2 MB)"] == 413
    assert statuses["forged state, session dropped"] == 200
    assert statuses["script in free text, submitted"] == 302
    assert max(statuses.values()) < 500
    # Hostile text is stored verbatim; the tables are all still there.
    texts = set(
        db.session.scalars(
            sa.text("SELECT value_text FROM answer WHERE question_code = 'suggestion'")
        )
    )
    assert "<script>alert(1)</script><img src=x onerror=alert(2)>" in texts
    assert "'; DROP TABLE answer; --" in texts
    checks = load.integrity(database_url, open_round.id)
    assert load.integrity_ok(checks), checks
