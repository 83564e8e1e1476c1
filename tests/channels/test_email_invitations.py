"""E-mail invitations through a real SMTP server: links, reminders, refusals, a server down."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.channels import email
from surveyapp.channels.maintenance import delete_address_lists
from surveyapp.extensions import db
from surveyapp.models import (
    EmailRecipient,
    EmailSendLog,
    Invitation,
    Response,
    SurveyRound,
)
from tests.channels.conftest import Handler
from tests.job_helpers import job_id_of, wait_for_job
from tests.surveys.test_public_flow import PAGE1, PAGE2, PAGE3

ADDRESSES = ["kari@example.no", "ola@example.no", "per@example.no"]


@pytest.fixture
def planner(
    questionnaires: None,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    worker: Any,
) -> FlaskClient:
    client = login(make_user("planner", municipalities=["5501"]))
    client.get("/language/en")
    return client


@pytest.fixture
def email_round(make_round: Callable[..., SurveyRound]) -> SurveyRound:
    return make_round(access="invitation", status="open")


def upload(client: FlaskClient, survey_round: SurveyRound, text: str) -> Any:
    return client.post(
        f"/rounds/{survey_round.id}/email/addresses",
        data={"file": (io.BytesIO(text.encode("utf-8")), "adresser.csv")},
        content_type="multipart/form-data",
    )


def run(client: FlaskClient, survey_round: SurveyRound, kind: str) -> Any:
    response = client.post(f"/rounds/{survey_round.id}/email/send", data={"kind": kind})
    return wait_for_job(job_id_of(response))


def recipients(survey_round: SurveyRound) -> dict[str, EmailRecipient]:
    db.session.rollback()
    return {
        r.address: r
        for r in db.session.scalars(
            sa.select(EmailRecipient).where(EmailRecipient.round_id == survey_round.id)
        )
    }


def log_of(address: str) -> list[tuple[str, str, int, str | None]]:
    db.session.rollback()
    return [
        (row.kind, row.outcome, row.attempt, row.reason)
        for row in db.session.scalars(
            sa.select(EmailSendLog)
            .join(EmailRecipient)
            .where(EmailRecipient.address == address)
            .order_by(EmailSendLog.id)
        )
    ]


def answer(app: Any, token: str, slug: str, finish: bool = True) -> None:
    citizen = app.test_client()
    assert citizen.get(f"/i/{token}").status_code == 200
    citizen.post(f"/s/{slug}/1", data=PAGE1)
    if finish:
        citizen.post(f"/s/{slug}/2", data=PAGE2)
        done = citizen.post(f"/s/{slug}/3", data=PAGE3)
        assert done.status_code == 302 and "/thanks" in done.headers["Location"]


def test_every_address_gets_exactly_one_distinct_working_link(
    app: Any, planner: FlaskClient, email_round: SurveyRound, smtp: Handler
) -> None:
    page = upload(planner, email_round, "e-post\n" + "\n".join(ADDRESSES) + "\nKARI@example.no\n")
    assert page.status_code == 302
    shown = planner.get(page.headers["Location"]).get_data(as_text=True)
    assert "3 addresses added; 1 duplicates merged." in shown
    job = run(planner, email_round, "invitation")
    assert job.status == "done", job.message
    assert sorted(m.to for m in smtp.messages) == sorted(ADDRESSES)
    tokens = {m.token for m in smtp.messages}
    assert len(tokens) == 3  # one distinct link each
    assert all(
        "Innbyggerundersøkelse" in m.subject or "kommune" in m.subject for m in smtp.messages
    )
    # One language for the whole list (the round's), and the way to another on the page
    # (docs/privacy.md: no language per address).
    assert all(
        "Du kan svare på bokmål, nynorsk eller engelsk: velg språk øverst på siden." in m.body
        for m in smtp.messages
    )
    # Only the links' hashes are stored, as e-mail invitations of the round.
    invitations = db.session.scalars(sa.select(Invitation)).all()
    assert {i.channel for i in invitations} == {"e-mail"}
    assert len(invitations) == 3
    for token in tokens:
        assert app.test_client().get(f"/i/{token}").status_code == 200  # each link works
    answer(app, smtp.messages[0].token, email_round.slug)
    stored = db.session.scalars(sa.select(Response)).one()
    assert stored.channel == "e-mail"
    # The log says who got what.
    assert {a: r.status for a, r in recipients(email_round).items()} == dict.fromkeys(
        ADDRESSES, "sent"
    )
    assert log_of("ola@example.no") == [("invitation", "sent", 1, None)]
    # Sending again sends nothing more.
    again = planner.post(f"/rounds/{email_round.id}/email/send", data={"kind": "invitation"})
    assert again.status_code == 302 and "/jobs/" not in again.headers["Location"]
    assert len(smtp.messages) == 3


def test_a_reminder_reaches_only_the_unused_links_at_most_n_times(
    app: Any, planner: FlaskClient, email_round: SurveyRound, smtp: Handler
) -> None:
    upload(planner, email_round, "\n".join(ADDRESSES))
    run(planner, email_round, "invitation")
    by_address = {m.to: m.token for m in smtp.messages}
    answer(app, by_address["kari@example.no"], email_round.slug)  # answered
    answer(app, by_address["ola@example.no"], email_round.slug, finish=False)  # started
    smtp.messages.clear()
    job = run(planner, email_round, "reminder")
    assert job.status == "done", job.message
    assert [m.to for m in smtp.messages] == ["per@example.no"]
    reminder = smtp.messages[0]
    assert reminder.subject.startswith("Påminnelse")
    assert reminder.token == by_address["per@example.no"]  # the same link again
    run(planner, email_round, "reminder")
    assert len(smtp.messages) == 2
    # At most N (2) reminders: a third is refused with nobody to send to.
    third = planner.post(f"/rounds/{email_round.id}/email/send", data={"kind": "reminder"})
    assert "/jobs/" not in third.headers["Location"]
    assert len(smtp.messages) == 2
    assert recipients(email_round)["per@example.no"].reminders == 2


def test_no_reminder_after_the_round_closes(
    app: Any, planner: FlaskClient, email_round: SurveyRound, smtp: Handler
) -> None:
    upload(planner, email_round, "\n".join(ADDRESSES))
    run(planner, email_round, "invitation")
    smtp.messages.clear()
    planner.post(f"/rounds/{email_round.id}/status", data={"status": "closed", "confirm": "y"})
    response = planner.post(f"/rounds/{email_round.id}/email/send", data={"kind": "reminder"})
    assert "/jobs/" not in response.headers["Location"]
    assert "The round has closed" in planner.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert smtp.messages == []


def test_a_refused_recipient_is_logged_and_retried(
    app: Any, planner: FlaskClient, email_round: SurveyRound, smtp: Handler
) -> None:
    smtp.refuse["per@example.no"] = "550 5.1.1 No such mailbox here"
    smtp.refuse_once["ola@example.no"] = "451 4.3.0 Try again later"
    upload(planner, email_round, "\n".join(ADDRESSES))
    job = run(planner, email_round, "invitation")
    assert job.status == "done"
    listed = recipients(email_round)
    assert listed["per@example.no"].status == "failed"
    assert listed["per@example.no"].error == "550 5.1.1 No such mailbox here"
    # A temporary refusal is tried again in the same run.
    assert log_of("ola@example.no") == [
        ("invitation", "failed", 1, "451 4.3.0 Try again later"),
        ("invitation", "sent", 2, None),
    ]
    assert listed["ola@example.no"].status == "sent"
    page = planner.get(f"/rounds/{email_round.id}/email").get_data(as_text=True)
    assert "550 5.1.1 No such mailbox here" in page and "retried" in page
    # The next "send" tries the failed address again, with the same link.
    del smtp.refuse["per@example.no"]
    job = run(planner, email_round, "invitation")
    assert job.status == "done"
    assert [m.to for m in smtp.messages].count("per@example.no") == 1
    assert log_of("per@example.no") == [
        ("invitation", "failed", 1, "550 5.1.1 No such mailbox here"),
        ("invitation", "sent", 1, None),
    ]
    assert recipients(email_round)["per@example.no"].attempts == 2
    assert len(smtp.messages) == 3  # nobody got the invitation twice


def test_a_server_that_is_down_is_reported_and_nothing_is_marked_sent(
    app: Any, planner: FlaskClient, email_round: SurveyRound
) -> None:
    # No `smtp` fixture: nothing listens on the configured port.
    upload(planner, email_round, "\n".join(ADDRESSES))
    job = run(planner, email_round, "invitation")
    assert job.status == "failed"
    assert job.message == "server_down"
    page = planner.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "The mail server could not be reached" in page
    assert {r.status for r in recipients(email_round).values()} == {"pending"}
    assert db.session.scalar(sa.select(sa.func.count(EmailSendLog.id))) == 0


def test_bad_rows_are_reported_by_line_and_nothing_is_added(
    planner: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    shared = make_round(access="invitation", status="open", municipalities=["5501"])
    page = upload(planner, shared, "kari@example.no\nikke-en-adresse\nola@example.no;0301\n")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Line 2: “ikke-en-adresse” is not an e-mail address." in text
    assert "Line 3: 0301 is not one of the round&#39;s municipalities." in text
    assert recipients(shared) == {}


def test_the_address_list_is_deleted_after_close_and_grace(
    app: Any, planner: FlaskClient, email_round: SurveyRound, smtp: Handler
) -> None:
    upload(planner, email_round, "\n".join(ADDRESSES))
    run(planner, email_round, "invitation")
    survey_round = db.session.get(SurveyRound, email_round.id)
    assert survey_round is not None
    survey_round.status = "closed"
    survey_round.closed_at = datetime.now(UTC) - timedelta(days=6)
    db.session.commit()
    delete_address_lists()  # grace 7 days: still kept
    db.session.commit()
    assert len(recipients(email_round)) == 3
    survey_round = db.session.get(SurveyRound, email_round.id)
    assert survey_round is not None
    survey_round.closed_at = datetime.now(UTC) - timedelta(days=8)
    db.session.commit()
    delete_address_lists()
    db.session.commit()
    assert recipients(email_round) == {}
    assert db.session.scalar(sa.select(sa.func.count(EmailSendLog.id))) == 0
    # The invitations stay: they count in the response rate.
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 3


def test_no_value_of_the_address_list_is_stored_with_a_response(
    app: Any, planner: FlaskClient, email_round: SurveyRound, smtp: Handler
) -> None:
    upload(planner, email_round, "\n".join(ADDRESSES))
    run(planner, email_round, "invitation")
    answer(app, smtp.messages[1].token, email_round.slug)
    db.session.rollback()
    response = db.session.scalars(sa.select(Response)).one()
    response_values = {str(getattr(response, c)) for c in Response.__table__.columns.keys()}
    listed_values = {
        str(getattr(recipient, column))
        for recipient in recipients(email_round).values()
        for column in EmailRecipient.__table__.columns.keys()
    }
    shared = response_values & listed_values
    # Only the round and the municipality (and small counters) may coincide.
    assert shared <= {str(email_round.id), "5501", "0", "1", "None"}
    assert not any(m.token in v for m in smtp.messages for v in response_values)


def test_cli_adds_sends_and_reminds_printing_counts(
    app: Any, runner: Any, email_round: SurveyRound, smtp: Handler, tmp_path: Any
) -> None:
    listing = tmp_path / "adresser.csv"
    listing.write_text("\n".join(ADDRESSES) + "\nola@example.no\n", encoding="utf-8")
    added = runner.invoke(args=["invitations", "add", "--round", str(email_round.id), str(listing)])
    assert added.exit_code == 0, added.output
    assert "Addresses added: 3; duplicates merged: 1." in added.output
    dry = runner.invoke(args=["invitations", "send", "--round", str(email_round.id), "--dry-run"])
    assert "E-mails to send: 3 (dry run: none sent)." in dry.output
    assert smtp.messages == []
    sent = runner.invoke(args=["invitations", "send", "--round", str(email_round.id)])
    assert sent.exit_code == 0, sent.output
    assert "E-mails sent: 3; failed: 0." in sent.output
    assert len(smtp.messages) == 3
    dry = runner.invoke(args=["invitations", "remind", "--round", str(email_round.id), "--dry-run"])
    assert "E-mails to send: 3 (dry run: none sent)." in dry.output
    reminded = runner.invoke(args=["invitations", "remind", "--round", str(email_round.id)])
    assert "E-mails sent: 3; failed: 0." in reminded.output
    assert len(smtp.messages) == 6
    bad = tmp_path / "bad.csv"
    bad.write_text("kari@example.no\nnot an address\n", encoding="utf-8")
    refused = runner.invoke(args=["invitations", "add", "--round", str(email_round.id), str(bad)])
    assert refused.exit_code == 1
    assert "line 2: 'not an address' is not an e-mail address" in refused.output


def test_cli_reports_a_server_that_is_down(
    app: Any, runner: Any, email_round: SurveyRound, tmp_path: Any
) -> None:
    listing = tmp_path / "adresser.csv"
    listing.write_text("\n".join(ADDRESSES), encoding="utf-8")
    runner.invoke(args=["invitations", "add", "--round", str(email_round.id), str(listing)])
    sent = runner.invoke(args=["invitations", "send", "--round", str(email_round.id)])
    assert sent.exit_code == 1
    assert "E-mails sent: 0; failed: 0." in sent.output
    assert "the mail server could not be reached" in sent.output


def test_links_are_derived_not_stored(app: Any) -> None:
    key = "k" * 40
    assert email.link_token("a" * 32, key) == email.link_token("a" * 32, key)
    assert email.link_token("a" * 32, key) != email.link_token("b" * 32, key)
    assert len(email.link_token("a" * 32, key)) == 24
