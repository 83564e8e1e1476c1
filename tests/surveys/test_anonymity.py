"""A copy of the data cannot tie an answer to an invitation: not by value, id, order or log.

The threat (docs/privacy.md): someone holds the list of who got which invitation and a
copy of the database (the SQLite file with its -wal, a backup, a pg_dump) taken during
or after a round. They must match responses to invitations no better than chance.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from scipy.stats import spearmanr

from surveyapp.database import checkpoint
from surveyapp.extensions import db
from surveyapp.models import Answer, Invitation, Response, SurveyRound
from tests.surveys.conftest import form_state
from tests.surveys.test_public_flow import PAGE1, PAGE2, PAGE3

pytestmark = pytest.mark.storage
RESPONDENTS = 100
# Spearman's rho of two unrelated orders of 100 has a standard deviation of about 0.1:
# 0.45 is more than four of them, so chance alone fails this less than once in 10^5.
CHANCE = 0.45


def _answer(app: Any, slug: str, token: str, suggestion: str = "Lengre åpningstid") -> None:
    browser = app.test_client()
    browser.get(f"/i/{token}")
    browser.post(f"/s/{slug}/1", data=PAGE1)
    browser.post(f"/s/{slug}/2", data=PAGE2)
    done = browser.post(f"/s/{slug}/3", data={**PAGE3, "suggestion": suggestion})
    assert done.status_code == 302 and "/thanks" in done.headers["Location"], done.status_code


def _invitation_round(
    make_round: Callable[..., Any], make_invitations: Callable[..., list[str]], count: int
) -> tuple[SurveyRound, list[str]]:
    survey_round = make_round(access="invitation")
    return survey_round, make_invitations(survey_round, count)


def test_ids_and_row_order_of_responses_do_not_follow_the_invitations(
    app: Any,
    backend: str,
    make_round: Callable[..., Any],
    make_invitations: Callable[..., list[str]],
) -> None:
    # The worst case for the respondents: they answer exactly in the order their
    # invitations were made (letters sent street by street, answered the same day).
    survey_round, tokens = _invitation_round(make_round, make_invitations, RESPONDENTS)
    slug = survey_round.slug
    for number, token in enumerate(tokens):
        _answer(app, slug, token, suggestion=f"svar {number:03d}")
    by_text = dict(
        db.session.execute(
            sa.select(Answer.value_text, Answer.response_id).where(
                Answer.question_code == "suggestion"
            )
        ).all()
    )
    order = [by_text[f"svar {number:03d}"] for number in range(RESPONDENTS)]
    assert len(set(order)) == RESPONDENTS
    rho_ids = spearmanr(range(RESPONDENTS), order).statistic
    assert abs(rho_ids) < CHANCE, f"response ids follow the order of answering (rho={rho_ids})"
    answer_ids = dict(
        db.session.execute(
            sa.select(Answer.response_id, sa.func.min(Answer.id)).group_by(Answer.response_id)
        ).all()
    )
    rho_answers = spearmanr(range(RESPONDENTS), [answer_ids[r] for r in order]).statistic
    assert abs(rho_answers) < CHANCE, f"answer ids follow the order (rho={rho_answers})"
    if backend == "sqlite":  # rows are stored in id order: the table's order is random too
        stored = list(db.session.scalars(sa.text("SELECT id FROM response")))
        position = {response_id: index for index, response_id in enumerate(stored)}
        rho_rows = spearmanr(range(RESPONDENTS), [position[r] for r in order]).statistic
        assert abs(rho_rows) < CHANCE, f"row order follows the order (rho={rho_rows})"
    # Invitations keep no time, no counter, nothing in order of use.
    used = db.session.execute(sa.select(Invitation.__table__)).mappings().all()
    assert all(row["used"] for row in used)
    assert set(used[0]) == {
        "id",
        "round_id",
        "municipality_code",
        "token_hash",
        "created_on",
        "used",
        "claim_hash",
    }


def _pages_holding(app: Any, needle: bytes) -> tuple[set[int], set[int]]:
    """Page numbers that hold ``needle`` in the database file, and in the -wal's frames."""
    path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    main = path.read_bytes()
    page_size = int.from_bytes(main[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    in_main = {
        offset // page_size + 1 for offset in range(len(main)) if main.startswith(needle, offset)
    }
    wal_path = path.with_name(path.name + "-wal")
    wal = wal_path.read_bytes() if wal_path.exists() else b""
    in_wal = set()
    frame = 24 + page_size
    for start in range(32, len(wal) - frame + 1, frame):
        if needle in wal[start + 24 : start + frame]:
            in_wal.add(int.from_bytes(wal[start : start + 4], "big"))
    return in_main, in_wal


def _database_bytes(app: Any) -> bytes:
    path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    data = path.read_bytes()
    for suffix in ("-wal", "-journal"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            data += extra.read_bytes()
    return data


@pytest.mark.sqlite_only
def test_the_database_file_and_its_log_hold_each_answer_once_and_no_link(
    app: Any,
    client: FlaskClient,
    make_round: Callable[..., Any],
    make_invitations: Callable[..., list[str]],
) -> None:
    survey_round, tokens = _invitation_round(make_round, make_invitations, 3)
    slug = survey_round.slug
    unique = f"UNIK-{uuid.uuid4().hex}"
    browser = app.test_client()
    page1 = browser.get(f"/i/{tokens[0]}")
    secret_bearing_state = form_state(page1)
    browser.post(f"/s/{slug}/1", data=PAGE1)
    browser.post(f"/s/{slug}/2", data=PAGE2)
    browser.post(f"/s/{slug}/3", data={**PAGE3, "suggestion": unique})
    _answer(app, slug, tokens[1])  # a later write to the same pages
    db.session.rollback()
    data = _database_bytes(app)
    # The typed text is in the stored answer and nowhere else: no draft. The log holds
    # at most the newest image of the very page that stores the answer (the log is
    # copied into the file after every transaction and starts over at the next one).
    in_main, in_wal = _pages_holding(app, unique.encode())
    assert len(in_main) == 1 and in_wal <= in_main
    assert data.count(unique.encode()) == 1 + len(in_wal)
    # Neither the link nor the form's secret was ever written.
    from surveyapp.surveys.state import decode

    state = decode(secret_bearing_state, app.config["SECRET_KEY"], survey_round.id)
    assert state is not None
    for value in (tokens[0], state.secret):
        assert value.encode() not in data
    invitation = db.session.scalars(
        sa.select(Invitation).where(Invitation.claim_hash.is_not(None))
    ).first()
    assert invitation is not None
    keys = set(db.session.scalars(sa.select(Response.submission_key)))
    assert invitation.claim_hash not in keys
    # The application's own checkpoint (run by maintenance) leaves an empty log and
    # the answer exactly once.
    checkpoint(db.engine, truncate=True)
    path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    assert _database_bytes(app).count(unique.encode()) == 1


@pytest.mark.sqlite_only
def test_deleted_content_is_overwritten(app: Any) -> None:
    marker = f"SLETTET-{uuid.uuid4().hex}"
    with db.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE scratch (note TEXT)")
        connection.exec_driver_sql(f"INSERT INTO scratch VALUES ('{marker}')")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM scratch")
    checkpoint(db.engine, truncate=True)
    assert marker.encode() not in _database_bytes(app)


def test_closing_a_round_forgets_the_claims(
    app: Any,
    backend: str,
    make_round: Callable[..., Any],
    make_invitations: Callable[..., list[str]],
) -> None:
    from surveyapp.surveys import rounds

    survey_round, tokens = _invitation_round(make_round, make_invitations, 2)
    _answer(app, survey_round.slug, tokens[0])
    assert db.session.scalar(sa.select(sa.func.count(Invitation.claim_hash))) == 1
    rounds.change_status(None, db.session.get(SurveyRound, survey_round.id), "closed")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Invitation.claim_hash))) == 0
    assert db.session.scalar(sa.select(sa.func.count()).where(Invitation.used)) == 1


@pytest.mark.postgresql_only
def test_scrub_rewrites_a_closed_rounds_rows_in_random_order_in_one_transaction(
    app: Any,
    backend: str,
    runner: Any,
    make_round: Callable[..., Any],
    make_invitations: Callable[..., list[str]],
) -> None:
    # PostgreSQL stores rows in arrival order (ctid) and stamps each with its
    # transaction (xmin): scrubbing a closed round removes both as clues.
    survey_round, tokens = _invitation_round(make_round, make_invitations, 60)
    for number, token in enumerate(tokens):
        _answer(app, survey_round.slug, token, suggestion=f"svar {number:03d}")
    survey_round = db.session.get(SurveyRound, survey_round.id)
    assert survey_round is not None
    survey_round.status = "closed"
    db.session.commit()
    db.session.remove()
    result = runner.invoke(args=["privacy", "scrub"])
    assert result.exit_code == 0, result.output
    assert "responses rewritten in random order: 60" in result.output
    rows = db.session.execute(
        sa.text(
            "SELECT a.value_text, r.xmin::text FROM response r JOIN answer a "
            "ON a.response_id = r.id WHERE a.question_code = 'suggestion' ORDER BY r.ctid"
        )
    ).all()
    assert len({xmin for _text, xmin in rows}) == 1
    order = [int(text.split()[1]) for text, _xmin in rows]
    rho = spearmanr(range(len(order)), order).statistic
    assert abs(rho) < 0.55, f"physical order still follows the order of answering ({rho})"
    invitation_xmins = set(db.session.scalars(sa.text("SELECT xmin::text FROM invitation")))
    assert len(invitation_xmins) == 1
    assert db.session.scalar(sa.select(sa.func.count(Invitation.claim_hash))) == 0


def test_the_worker_keeps_the_log_empty_and_forgets_claims_of_rounds_past_their_close(
    app: Any,
    backend: str,
    make_round: Callable[..., Any],
    make_invitations: Callable[..., list[str]],
) -> None:
    from datetime import UTC, datetime, timedelta

    from surveyapp.jobs.registry import PERIODIC

    assert {"privacy.checkpoint_log", "privacy.forget_closed_claims"} <= set(PERIODIC)
    survey_round, tokens = _invitation_round(make_round, make_invitations, 1)
    _answer(app, survey_round.slug, tokens[0])
    stored = db.session.get(SurveyRound, survey_round.id)
    assert stored is not None
    stored.closes_at = datetime.now(UTC) - timedelta(minutes=1)  # closed by the clock
    db.session.commit()
    PERIODIC["privacy.forget_closed_claims"].run()
    db.session.commit()  # the worker commits after each task
    db.session.rollback()  # no reader holds the log back
    PERIODIC["privacy.checkpoint_log"].run()
    assert db.session.scalar(sa.select(sa.func.count(Invitation.claim_hash))) == 0
    if backend == "sqlite":  # every frame of the log is in the database file
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            _busy, frames, copied = connection.exec_driver_sql(
                "PRAGMA wal_checkpoint(PASSIVE)"
            ).one()
        assert frames == copied


@pytest.mark.sqlite_only
def test_scrub_on_sqlite_compacts_and_empties_the_log(
    app: Any,
    runner: Any,
    make_round: Callable[..., Any],
    make_invitations: Callable[..., list[str]],
) -> None:
    survey_round, tokens = _invitation_round(make_round, make_invitations, 2)
    _answer(app, survey_round.slug, tokens[0])
    stored = db.session.get(SurveyRound, survey_round.id)
    assert stored is not None
    stored.status = "closed"
    db.session.commit()
    db.session.remove()
    result = runner.invoke(args=["privacy", "scrub"])
    assert result.exit_code == 0, result.output
    assert "Closed rounds scrubbed: 1" in result.output
    path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1
