"""Exactly-once storage under concurrent submission, and nothing identifying stored."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.database import write_turn_is_free
from surveyapp.extensions import db
from surveyapp.models import Answer, InvitationUse, Response, SurveyDraft
from tests.surveys.test_public_flow import PAGE1, PAGE2, PAGE3

pytestmark = pytest.mark.storage
PARALLEL = 20


def _all_at_once(clients: list[FlaskClient], send: Callable[[int, FlaskClient], int]) -> list[int]:
    """Run ``send(index, client)`` for every client at the same moment; the statuses."""
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(index: int, client: FlaskClient) -> None:
        try:
            barrier.wait(timeout=30)
            status = send(index, client)
            with lock:
                statuses.append(status)
        except BaseException as error:  # noqa: BLE001  (reported below)
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    db.session.rollback()  # end the test's own read snapshot before counting
    return statuses


def _fire_together(clients: list[FlaskClient], url: str, data: dict[str, str]) -> list[int]:
    return _all_at_once(clients, lambda _i, client: client.post(url, data=data).status_code)


def _tabs_of(app: Any, browser: FlaskClient, count: int = PARALLEL) -> list[FlaskClient]:
    """Clients sharing ``browser``'s session cookie: tabs of one browser."""
    cookie = browser.get_cookie("session")
    assert cookie is not None
    tabs = []
    for _ in range(count):
        tab = app.test_client()
        tab.set_cookie("session", cookie.value, domain=cookie.domain or "localhost")
        tabs.append(tab)
    return tabs


def test_one_invitation_submitted_from_20_browsers_at_once_stores_one_response(
    app: Any,
    backend: str,
    make_round: Callable[..., Any],
    make_invitations: Callable[..., list[str]],
) -> None:
    survey_round = make_round(access="invitation")
    (token,) = make_invitations(survey_round, 1)
    clients = [app.test_client() for _ in range(PARALLEL)]
    for client in clients:
        assert client.get(f"/i/{token}").status_code == 302
        client.post(f"/s/{survey_round.slug}/1", data=PAGE1)
        client.post(f"/s/{survey_round.slug}/2", data=PAGE2)
    statuses = _fire_together(clients, f"/s/{survey_round.slug}/3", PAGE3)
    assert len(statuses) == PARALLEL and 500 not in statuses
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InvitationUse)) == 1
    answers = db.session.scalar(sa.select(sa.func.count()).select_from(Answer))
    assert answers == len(PAGE1) + len(PAGE2) - 2 + len(PAGE3)  # wait_time hidden: 2 fields
    # 19 of them rolled back on the used invitation: every turn to write was handed back.
    assert write_turn_is_free(db.engine)


def test_double_click_20_times_from_one_browser_stores_one_response(
    app: Any, backend: str, make_round: Callable[..., Any]
) -> None:
    survey_round = make_round()
    first = app.test_client()
    first.get(f"/s/{survey_round.slug}")
    first.post(f"/s/{survey_round.slug}/1", data=PAGE1)
    first.post(f"/s/{survey_round.slug}/2", data=PAGE2)
    statuses = _fire_together(_tabs_of(app, first), f"/s/{survey_round.slug}/3", PAGE3)
    assert statuses == [302] * PARALLEL
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyDraft)) == 0


def test_nothing_identifying_is_stored_with_a_response(
    app: Any,
    backend: str,
    make_round: Callable[..., Any],
    make_invitations: Callable[..., list[str]],
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    client: FlaskClient,
) -> None:
    # Even a logged-in staff member answering leaves no account on the response.
    login(make_user("planner", municipalities=["5501"]))
    survey_round = make_round(access="invitation")
    (token,) = make_invitations(survey_round, 1)
    client.get(
        f"/i/{token}",
        headers={"User-Agent": "Mozilla/5.0 TestBrowser/1.0"},
        environ_base={"REMOTE_ADDR": "203.0.113.77"},
    )
    for page, data in ((1, PAGE1), (2, PAGE2), (3, PAGE3)):
        client.post(
            f"/s/{survey_round.slug}/{page}",
            data=data,
            headers={"User-Agent": "Mozilla/5.0 TestBrowser/1.0"},
            environ_base={"REMOTE_ADDR": "203.0.113.77"},
        )
    response = db.session.scalars(sa.select(Response)).one()
    stored = {c.name: getattr(response, c.name) for c in Response.__table__.columns}
    assert set(stored) == {
        "id",
        "round_id",
        "municipality_code",
        "language",
        "submitted",
        "submission_key",
    }
    dump = repr(stored) + repr(db.session.execute(sa.select(Answer.__table__)).all())
    assert "203.0.113.77" not in dump and "TestBrowser" not in dump
    assert token not in dump
    use = db.session.scalars(sa.select(InvitationUse)).one()
    assert {c.name for c in InvitationUse.__table__.columns} == {"invitation_id", "used_on"}
    assert use.used_on == response.submitted.date()  # a day, not a moment to match on
    # The session cookie no longer points at the (deleted) draft.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyDraft)) == 0


def test_20_citizens_opening_the_survey_at_once_all_get_a_form(
    app: Any, backend: str, make_round: Callable[..., Any]
) -> None:
    # The first visit writes (a new draft): it must wait for the write lock, not fail.
    slug = make_round().slug
    clients = [app.test_client() for _ in range(PARALLEL)]
    barrier = threading.Barrier(PARALLEL)
    statuses: list[int] = []

    def visit(client: FlaskClient) -> None:
        barrier.wait(timeout=30)
        statuses.append(client.get(f"/s/{slug}").status_code)

    threads = [threading.Thread(target=visit, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    db.session.rollback()
    assert statuses == [302] * PARALLEL
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyDraft)) == PARALLEL


def test_control_characters_in_free_text_are_dropped_not_fatal(
    app: Any, backend: str, client: FlaskClient, make_round: Callable[..., Any]
) -> None:
    survey_round = make_round()
    client.get(f"/s/{survey_round.slug}")
    client.post(f"/s/{survey_round.slug}/1", data=PAGE1)
    client.post(f"/s/{survey_round.slug}/2", data=PAGE2)
    done = client.post(
        f"/s/{survey_round.slug}/3", data={**PAGE3, "suggestion": "Bedre\x00 svar\x07\nTakk"}
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/thanks")
    text = db.session.scalar(
        sa.select(Answer.value_text).where(Answer.question_code == "suggestion")
    )
    assert text == "Bedre svar\nTakk"


def test_pages_sent_at_once_from_two_tabs_are_both_kept(
    app: Any, backend: str, make_round: Callable[..., Any]
) -> None:
    # Each page is merged into the draft by compare-and-set: a page sent from one tab
    # never overwrites a page sent at the same moment from another tab.
    slug = make_round().slug
    first = app.test_client()
    first.get(f"/s/{slug}")

    def send(index: int, tab: FlaskClient) -> int:
        page, data = (1, PAGE1) if index % 2 else (2, PAGE2)
        return tab.post(f"/s/{slug}/{page}", data=data).status_code

    assert _all_at_once(_tabs_of(app, first), send) == [302] * PARALLEL
    answers = db.session.scalars(sa.select(SurveyDraft.answers)).one()
    for field, value in {**PAGE1, **PAGE2}.items():
        assert answers[field] == [value], field
    done = first.post(f"/s/{slug}/3", data=PAGE3)
    assert done.headers["Location"].endswith("/thanks")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1


@pytest.mark.sqlite_only
def test_sqlite_citizen_pages_read_without_the_write_lock_and_writes_wait_for_it(
    app: Any, client: FlaskClient, make_round: Callable[..., Any]
) -> None:
    # SQLite has one write lock. The citizen pages read without it and take it only
    # for their writes, so another writer slows a page that writes, never one that
    # only reads, and a page that writes waits for the lock instead of failing.
    import sqlite3
    import time

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    assert url.startswith("sqlite:///")
    survey_round = make_round()
    slug = survey_round.slug
    client.get(f"/s/{slug}")
    db.session.rollback()
    other = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None, timeout=30)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        started = time.perf_counter()
        page = client.get(f"/s/{slug}/1")
        assert page.status_code == 200
        assert time.perf_counter() - started < 5  # did not wait for the lock

        result: list[int] = []
        sender = threading.Thread(
            target=lambda: result.append(client.post(f"/s/{slug}/1", data=PAGE1).status_code)
        )
        sender.start()
        sender.join(timeout=1.0)
        assert sender.is_alive() and not result  # waits for the lock, does not fail
    finally:
        other.execute("COMMIT")
        other.close()
    sender.join(timeout=30)
    assert result == [302]
    db.session.rollback()
    answers = db.session.scalars(sa.select(SurveyDraft.answers)).one()
    assert answers["service_area"] == [PAGE1["service_area"]]


def test_a_draft_read_before_another_change_writes_nothing(
    app: Any, backend: str, make_round: Callable[..., Any]
) -> None:
    # Compare-and-set: a save or a submission made from a stale read of the draft
    # matches no row and changes nothing; the caller reads again.
    from datetime import UTC, datetime

    from surveyapp.questionnaires.store import definition_for
    from surveyapp.surveys import submission

    slug = make_round().slug
    survey_round, _ = submission.find_round_and_draft(slug, None)
    assert survey_round is not None
    new = submission.start_draft(survey_round)
    db.session.commit()
    stale = submission.find_draft(new.token, survey_round)
    assert stale is not None and stale.version == 1
    assert submission.save_inputs(stale, {"service_area": ["technical"]})
    db.session.commit()

    assert not submission.save_inputs(stale, {"service_area": ["health"]})
    definition = definition_for(survey_round.questionnaire_id, survey_round.questionnaire_hash)
    now = datetime.now(UTC)
    assert not submission.submit(stale, stale.answers, definition, survey_round, "nb", now)
    db.session.commit()
    fresh = submission.find_draft(new.token, survey_round)
    assert fresh is not None and fresh.version == 2
    assert fresh.answers == {"service_area": ["technical"]}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0

    assert submission.submit(fresh, fresh.answers, definition, survey_round, "nb", now)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1
    assert submission.find_draft(new.token, survey_round) is None


def test_drafts_abandoned_for_14_days_are_cleared_when_citizens_start(
    app: Any, backend: str, make_round: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta

    from surveyapp.surveys import submission

    survey_round = make_round()
    slug, round_id = survey_round.slug, survey_round.id
    now = datetime.now(UTC)

    def old_draft(name: str, age: timedelta) -> None:
        db.session.add(
            SurveyDraft(
                id=name,
                round_id=round_id,
                municipality_code="5501",
                answers={"service_area": ["technical"]},
                submission_key=name + "-key",
                updated_at=now - age,
            )
        )
        db.session.commit()

    old_draft("abandoned", timedelta(days=15))
    old_draft("recent", timedelta(days=13))
    monkeypatch.setattr(submission._Cleanup, "due", None)
    assert app.test_client().get(f"/s/{slug}").status_code == 302
    db.session.rollback()
    left = set(db.session.scalars(sa.select(SurveyDraft.id)))
    assert "abandoned" not in left and "recent" in left and len(left) == 2
    # Within the interval, the next start does not run the delete again.
    old_draft("abandoned-later", timedelta(days=20))
    assert app.test_client().get(f"/s/{slug}").status_code == 302
    db.session.rollback()
    assert "abandoned-later" in set(db.session.scalars(sa.select(SurveyDraft.id)))
