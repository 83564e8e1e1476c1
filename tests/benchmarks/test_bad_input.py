"""The bad-input corpus (benchmarks/perf/corpus/) through the real entry points, small.

Command line: ``flask questionnaires check FILE`` and ``flask peers import FILE`` must
exit 1 naming the file (and the line), with the database unchanged; the YAML
amplification files and the 1,000,001-row peer file also alone in a fresh process,
within their time and memory bounds. Forms: Flask's test client with CSRF on posts
every case of ``form_posts.json``; no 500, the expected status and message, nothing
stored for invalid posts, hostile free text stored verbatim and shown only escaped.
Staff URLs: huge ids and query numbers, logged in as an administrator. ``make bench``
sends the same corpus to a running gunicorn; the last test here does that too.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
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
    assert {"merge-chain-690-bytes.yaml", "text-anchor-1mb-x3000.yaml"} <= {f.name for f in files}
    outcomes = bad_input.check_questionnaires(app, files)
    assert _failures(outcomes) == {}
    assert all(o.answer.startswith("exit 1: ") for o in outcomes)


def test_yaml_amplification_is_refused_within_two_seconds_and_200_mb(tmp_path: Path) -> None:
    files = bad_input.amplification_files(tmp_path)
    outcomes = bad_input.questionnaire_bounds(files)
    assert len(outcomes) == 3
    assert _failures(outcomes) == {}
    assert all("too large" in o.answer for o in outcomes)


def test_a_million_row_peer_file_is_refused_from_its_size(
    app: Flask, register: None, tmp_path: Path, database_url: str
) -> None:
    path = bad_input.huge_peer_file(tmp_path)
    assert path.stat().st_size > 30_000_000
    outcome = bad_input.peer_bounds(path, load.server_env(database_url, load.new_secret_key()))
    assert outcome.ok, (outcome.answer, outcome.problems)
    assert "the file is 36,260,825 bytes; at most 10,485,760 bytes" in outcome.answer


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
    assert statuses["chunked body of 3 MB (limit 2 MB)"] == 413
    assert statuses["chunked body of 1.9 MB, form state last, submitted"] == 302
    assert statuses["script in free text, submitted"] == 302
    assert statuses["page number of 2^63 posted"] == 404
    assert statuses["waiting time of 5,000 digits"] == 200
    assert statuses["back keeps an unchecked waiting time; the last page leads to it"] == 302
    assert max(statuses.values()) < 500
    # Hostile text is stored verbatim; the tables are all still there.
    texts = set(
        db.session.scalars(
            sa.text("SELECT value_text FROM answer WHERE question_code = 'suggestion'")
        )
    )
    assert "<script>alert(1)</script><img src=x onerror=alert(2)>" in texts
    assert "'; DROP TABLE answer; --" in texts
    assert "Korpus: sendt i biter" in texts  # the chunked post arrived whole
    checks = load.integrity(database_url, open_round.id)
    assert load.integrity_ok(checks), checks


def test_staff_urls_with_huge_numbers_are_404_or_a_page(
    app: Flask, open_round: SurveyRound, make_user: Callable[..., Any]
) -> None:
    make_user("admin", email=bad_input.ADMIN_EMAIL, password=bad_input.ADMIN_PASSWORD)
    routes = bad_input.id_routes(app)
    assert len(routes) >= 25
    outcomes = bad_input.staff_outcomes(
        bad_input.FlaskBrowser(app),
        routes,
        bad_input.query_urls(open_round.id),
        lambda: app.test_client().get("/healthz").status_code,
    )
    assert _failures(outcomes) == {}
    assert len(outcomes) == len(routes) + len(bad_input.query_urls(open_round.id)) + 1
    # In-process there is no gunicorn to refuse long request lines: the app says 404.
    assert all("404 for 5,000 digits" in o.answer for o in outcomes[: len(routes)])


def test_the_http_corpus_against_gunicorn(tmp_path: Path) -> None:
    """What ``make bench`` runs: every form case and the staff checks through a real
    gunicorn on 127.0.0.1; no server error in its log, the server still up."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((load.HOST, 0))
    except OSError as err:
        pytest.skip(f"cannot bind a port on {load.HOST}: {err}")
    run = bad_input.bad_input_run(
        f"sqlite:///{tmp_path / 'bad.db'}", "SQLite", http=True, cli=False, log=lambda _: None
    )
    text, ok = bad_input.markdown(run)
    assert run.server_errors == 0, text
    assert _failures(run.outcomes) == {}, text
    assert ok and len(run.outcomes) > 60
