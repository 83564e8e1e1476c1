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
from surveyapp.models import Answer, Invitation, Response
from tests.surveys.conftest import WriteCounter, form_state
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


def _count(model: Any) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)))


def _is_thanks(status: int, location: str | None) -> bool:
    return status == 302 and location is not None and "/thanks" in location


def test_one_invitation_opened_in_20_browsers_stores_one_response(
    app: Any,
    backend: str,
    make_round: Callable[..., Any],
    make_invitations: Callable[..., list[str]],
) -> None:
    survey_round = make_round(access="invitation")
    (token,) = make_invitations(survey_round, 1)
    clients = [app.test_client() for _ in range(PARALLEL)]
    for client in clients:
        assert client.get(f"/i/{token}").status_code == 200  # opening claims nothing
    pages: list[str] = []
    slug = survey_round.slug

    def send(_index: int, client: FlaskClient) -> int:
        response = client.post(f"/s/{slug}/1?lang=en", data=PAGE1)
        pages.append(response.get_data(as_text=True))
        return response.status_code

    statuses = _all_at_once(clients, send)
    # The first page sent claims the link for that browser; the others are told it is used.
    assert sorted(statuses) == [200] * (PARALLEL - 1) + [302]
    assert sum("This link has already been used" in page for page in pages) == PARALLEL - 1
    stored = 0  # every browser tries to finish: only the one that claimed the link can
    for client in clients:
        client.post(f"/s/{survey_round.slug}/2", data=PAGE2)
        done = client.post(f"/s/{survey_round.slug}/3", data=PAGE3)
        stored += _is_thanks(done.status_code, done.headers.get("Location"))
    assert stored == 1
    assert _count(Response) == 1
    assert db.session.scalars(sa.select(Invitation)).one().used is True
    answers = _count(Answer)
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
    assert _count(Response) == 1


def test_double_click_on_a_personal_links_first_page_keeps_the_link(
    app: Any, backend: str, make_round: Callable[..., Any], make_invitations: Callable[..., Any]
) -> None:
    # A browser without cookies: everything travels in the form. The same first page
    # sent twice (a double click, a retry) is the same claim; another browser's is not.
    survey_round = make_round(access="invitation")
    (token,) = make_invitations(survey_round, 1)
    browser = app.test_client(use_cookies=False)
    state = form_state(browser.get(f"/i/{token}"))
    url = f"/s/{survey_round.slug}/1"
    first = browser.post(url, data={**PAGE1, "state": state})
    second = browser.post(url, data={**PAGE1, "state": state})
    for response in (first, second):
        assert response.status_code == 200
        assert 'name="courtesy"' in response.get_data(as_text=True)  # page 2
    other = app.test_client(use_cookies=False)
    refused = other.get(f"/i/{token}?lang=en")
    assert "This link has already been used" in refused.get_data(as_text=True)
    page3 = browser.post(f"/s/{survey_round.slug}/2", data={**PAGE2, "state": form_state(second)})
    done = browser.post(f"/s/{survey_round.slug}/3", data={**PAGE3, "state": form_state(page3)})
    assert _is_thanks(done.status_code, done.headers.get("Location"))
    assert _count(Response) == 1


def test_the_same_browser_opening_its_link_again_goes_on(
    app: Any, backend: str, make_round: Callable[..., Any], make_invitations: Callable[..., Any]
) -> None:
    survey_round = make_round(access="invitation")
    (token,) = make_invitations(survey_round, 1)
    browser = app.test_client()
    browser.get(f"/i/{token}")
    browser.post(f"/s/{survey_round.slug}/1", data=PAGE1)  # claimed
    again = browser.get(f"/i/{token}")  # e.g. the tab was closed; the letter's link again
    text = " ".join(again.get_data(as_text=True).split())
    assert again.status_code == 200 and 'value="email" checked' in text
    browser.post(f"/s/{survey_round.slug}/1", data=PAGE1)
    browser.post(f"/s/{survey_round.slug}/2", data=PAGE2)
    done = browser.post(f"/s/{survey_round.slug}/3", data=PAGE3)
    assert _is_thanks(done.status_code, done.headers.get("Location"))
    assert "already been used" in app.test_client().get(f"/i/{token}?lang=en").get_data(
        as_text=True
    )


def test_an_invitation_answers_only_for_its_own_municipality(
    app: Any, backend: str, make_round: Callable[..., Any], make_invitations: Callable[..., Any]
) -> None:
    survey_round = make_round(access="invitation", municipalities=["1804", "5501"])
    (token,) = make_invitations(survey_round, 1)  # for 1804, the round's first municipality
    browser = app.test_client()
    browser.get(f"/i/{token}")
    browser.post(f"/s/{survey_round.slug}/1", data=PAGE1)
    moved = browser.post(f"/s/{survey_round.slug}/where", data={"municipality": "5501"})
    assert moved.status_code == 302 and moved.headers["Location"].endswith("/1")
    browser.post(f"/s/{survey_round.slug}/1", data=PAGE1)
    browser.post(f"/s/{survey_round.slug}/2", data=PAGE2)
    browser.post(f"/s/{survey_round.slug}/3", data=PAGE3)
    assert db.session.scalars(sa.select(Response)).one().municipality_code == "1804"


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
        "channel",  # how answering started (here a letter's link): never who
        "place",  # a kiosk's place, when the round asks for it
    }
    assert stored["channel"] == "invitation" and stored["place"] is None
    dump = repr(stored) + repr(db.session.execute(sa.select(Answer.__table__)).all())
    assert "203.0.113.77" not in dump and "TestBrowser" not in dump
    assert token not in dump
    # The invitation and the response share no value but the round and municipality.
    invitation = db.session.execute(sa.select(Invitation.__table__)).one()._asdict()
    assert invitation["used"] is True
    shared = {str(v) for v in invitation.values() if v is not None} & {
        str(v) for v in stored.values()
    }
    # ... and the channel, which every letter invitation of the round shares.
    assert shared <= {str(survey_round.id), "5501", "invitation"}
    assert not {invitation["claim_hash"], invitation["token_hash"]} & {
        str(v) for row in db.session.execute(sa.select(Answer.__table__)) for v in row
    }


def test_opening_and_paging_write_nothing_until_the_last_page(
    app: Any,
    backend: str,
    client: FlaskClient,
    make_round: Callable[..., Any],
    count_writes: WriteCounter,
) -> None:
    slug = make_round().slug
    count_writes.statements.clear()
    for _ in range(5):
        assert app.test_client().get(f"/s/{slug}").status_code == 302
    client.get(f"/s/{slug}")
    client.get(f"/s/{slug}/1")
    client.post(f"/s/{slug}/1", data=PAGE1)
    client.post(f"/s/{slug}/2", data={**PAGE2, "action": "back"})
    client.post(f"/s/{slug}/1", data={**PAGE1, "action": "lang:nn"})
    client.post(f"/s/{slug}/1", data=PAGE1)
    client.post(f"/s/{slug}/2", data=PAGE2)
    assert count_writes.statements == []
    client.post(f"/s/{slug}/3", data=PAGE3)
    assert [s.split()[2] for s in count_writes.statements] == ["response", "answer"]


def test_20_citizens_opening_the_survey_at_once_all_get_a_form(
    app: Any, backend: str, make_round: Callable[..., Any], count_writes: WriteCounter
) -> None:
    slug = make_round().slug
    count_writes.statements.clear()
    clients = [app.test_client() for _ in range(PARALLEL)]
    statuses = _all_at_once(clients, lambda _i, c: c.get(f"/s/{slug}/1").status_code)
    assert statuses == [200] * PARALLEL
    assert count_writes.statements == []


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
    assert _is_thanks(done.status_code, done.headers.get("Location"))
    text = db.session.scalar(
        sa.select(Answer.value_text).where(Answer.question_code == "suggestion")
    )
    assert text == "Bedre svar\nTakk"


def test_a_dropped_session_cookie_loses_no_answer(
    app: Any, backend: str, client: FlaskClient, make_round: Callable[..., Any]
) -> None:
    # A phone that drops the session cookie, or a form left open for days: the form
    # itself carries every earlier answer, so "Next" goes on as if nothing happened.
    slug = make_round().slug
    client.get(f"/s/{slug}")
    client.post(f"/s/{slug}/1", data=PAGE1)
    page2 = client.get(f"/s/{slug}/2")
    client.delete_cookie("session")
    after = client.post(f"/s/{slug}/2", data={**PAGE2, "state": form_state(page2)})
    assert after.status_code == 200  # shown at once: this browser kept no session
    text = after.get_data(as_text=True)
    assert 'name="overall"' in text and "There is a problem" not in text
    done = client.post(f"/s/{slug}/3", data={**PAGE3, "state": form_state(after)})
    assert _is_thanks(done.status_code, done.headers.get("Location"))
    response = db.session.scalars(sa.select(Response)).one()
    stored = set(
        db.session.scalars(sa.select(Answer.question_code).where(Answer.response_id == response.id))
    )
    assert {"service_area", "channel", "courtesy", "overall"} <= stored


def test_an_altered_state_keeps_the_page_and_says_so(
    app: Any, backend: str, make_round: Callable[..., Any]
) -> None:
    slug = make_round().slug
    browser = app.test_client(use_cookies=False)
    page1 = browser.get(f"/s/{slug}/1?lang=en")
    state = form_state(page1)
    forged = state[:-4] + ("AAAA" if not state.endswith("AAAA") else "BBBB")
    shown = browser.post(f"/s/{slug}/1?lang=en", data={**PAGE1, "state": forged})
    text = " ".join(shown.get_data(as_text=True).split())
    assert shown.status_code == 200
    assert "We could not read your answers from the earlier pages" in text
    assert 'value="email" checked' in text and 'value="technical" checked' in text
    assert _count(Response) == 0


def test_a_browser_without_cookies_answers_the_whole_survey(
    app: Any, backend: str, make_round: Callable[..., Any]
) -> None:
    slug = make_round(municipalities=["5501", "1804"]).slug
    browser = app.test_client(use_cookies=False)
    assert browser.get(f"/s/{slug}").headers["Location"].endswith("/where")
    where = browser.get(f"/s/{slug}/where")
    page1 = browser.post(
        f"/s/{slug}/where", data={"municipality": "1804", "state": form_state(where)}
    )
    page2 = browser.post(f"/s/{slug}/1", data={**PAGE1, "state": form_state(page1)})
    switched = browser.post(
        f"/s/{slug}/2", data={**PAGE2, "action": "lang:nn", "state": form_state(page2)}
    )
    assert '<html lang="nn">' in switched.get_data(as_text=True)
    page3 = browser.post(f"/s/{slug}/2", data={**PAGE2, "state": form_state(switched)})
    assert '<html lang="nn">' in page3.get_data(as_text=True)
    done = browser.post(f"/s/{slug}/3", data={**PAGE3, "state": form_state(page3)})
    assert _is_thanks(done.status_code, done.headers.get("Location"))
    thanks = browser.get(done.headers["Location"])
    assert thanks.status_code == 200 and "Takk" in thanks.get_data(as_text=True)
    response = db.session.scalars(sa.select(Response)).one()
    assert (response.municipality_code, response.language) == ("1804", "nn")


@pytest.mark.sqlite_only
def test_sqlite_citizen_pages_read_without_the_write_lock_and_writes_wait_for_it(
    app: Any, client: FlaskClient, make_round: Callable[..., Any]
) -> None:
    # SQLite has one write lock. The citizen pages read without it and take it only
    # to store the response, so another writer never slows a page that only reads, and
    # the last page waits for the lock instead of failing.
    import sqlite3
    import time

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    assert url.startswith("sqlite:///")
    slug = make_round().slug
    client.get(f"/s/{slug}")
    db.session.rollback()
    other = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None, timeout=30)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        started = time.perf_counter()
        assert client.get(f"/s/{slug}/1").status_code == 200
        assert client.post(f"/s/{slug}/1", data=PAGE1).status_code == 302
        assert client.post(f"/s/{slug}/2", data=PAGE2).status_code == 302
        assert time.perf_counter() - started < 5  # did not wait for the lock

        result: list[int] = []
        sender = threading.Thread(
            target=lambda: result.append(client.post(f"/s/{slug}/3", data=PAGE3).status_code)
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
    assert _count(Response) == 1
