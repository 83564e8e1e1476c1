"""Sending e-mail invitations and reminders as a background job, paced, with a log.

``prepare`` reads who gets a message and words it in the round's language. ``build``
connects to the SMTP server (Flask-Mail, the ``MAIL_*`` settings) and sends one message
at a time, at most ``SURVEYAPP_MAIL_RATE`` a minute; each outcome (sent, or failed with
the server's reason) is written at once in a short transaction of its own, so the log
is right however far the job gets. A temporary refusal (4xx) is tried again at the end,
up to ``SURVEYAPP_MAIL_RETRIES`` times; a permanent one stays failed and is tried again
by the next "send". A server that cannot be reached fails the job and marks nothing
sent. No message goes out once the round has closed.
"""

from __future__ import annotations

import smtplib
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_mail import Message

from surveyapp.channels import email
from surveyapp.database import write_transaction
from surveyapp.extensions import db, mail
from surveyapp.jobs import JobError, JobKind, JobOutput, JobRun, register_kind
from surveyapp.questionnaires.store import definition_of
from surveyapp.surveys.models import SurveyRound
from surveyapp.timeutil import utcnow
from surveyapp.web.i18n import pick

KIND = "email"
KINDS = ("invitation", "reminder")


@dataclass(frozen=True)
class Outgoing:
    recipient_id: int
    address: str
    link: str
    subject: str
    body: str


@dataclass(frozen=True)
class Plan:
    round_id: int
    kind: str
    sender: str
    messages: tuple[Outgoing, ...]


@dataclass
class Tally:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    stopped_by_closing: bool = False
    retry: list[tuple[Outgoing, int]] = field(default_factory=list)


def params(survey_round: SurveyRound, kind: str) -> dict[str, object]:
    return {"round_id": survey_round.id, "kind": kind}


def _link_prefix() -> str:
    base = str(current_app.config["SURVEYAPP_BASE_URL"]).rstrip("/")
    path = current_app.url_map.bind("localhost").build("surveys.invitation", {"token": "T"})
    return base + path.removesuffix("T")


def plan_messages(survey_round: SurveyRound, kind: str) -> list[Outgoing]:
    """Who gets a message now, and its words (links made for addresses without one)."""
    max_reminders = int(current_app.config["SURVEYAPP_MAIL_REMINDERS"])
    chosen = (
        email.to_send(survey_round.id)
        if kind == "invitation"
        else email.to_remind(survey_round.id, max_reminders)
    )
    definition = definition_of(survey_round.questionnaire)
    language = survey_round.language
    title = pick(definition.title, language)
    names = {m.code: m.name for m in survey_round.municipalities}
    key = str(current_app.config["SECRET_KEY"])
    prefix = _link_prefix()
    texts: dict[str, email.MessageText] = {}
    messages = []
    for recipient in chosen:
        if recipient.link_nonce is None:
            continue  # no link yet: made when the invitations are sent (make_links)
        code = recipient.municipality_code
        if code not in texts:
            texts[code] = email.message_text(
                kind, language, names.get(code, code), title, email.closes_at(survey_round)
            )
        link = prefix + email.link_token(recipient.link_nonce, key)
        messages.append(
            Outgoing(
                recipient.id,
                recipient.address,
                link,
                texts[code].subject,
                texts[code].for_link(link),
            )
        )
    return messages


def _round(round_id: int) -> SurveyRound:
    survey_round = db.session.get(SurveyRound, round_id)
    if survey_round is None:
        raise JobError("round_gone")
    return survey_round


def prepare(run: JobRun) -> Plan:
    kind = str(run.params["kind"])
    survey_round = _round(int(run.params["round_id"]))
    try:
        email.check_can_send(survey_round, utcnow(), kind)
    except email.EmailError as err:
        raise JobError(err.reason) from err
    sender = str(current_app.config["MAIL_DEFAULT_SENDER"] or "")
    if not sender:
        raise JobError("no_sender")
    return Plan(survey_round.id, kind, sender, tuple(plan_messages(survey_round, kind)))


def _note(out: Outgoing, kind: str, outcome: str, attempt: int, reason: str | None) -> None:
    with write_transaction():
        email.note_outcome(out.recipient_id, kind, outcome, attempt, reason)
        db.session.commit()


def _still_open(round_id: int) -> bool:
    closing = db.session.execute(
        sa.select(SurveyRound.status, SurveyRound.closes_at, SurveyRound.closed_at).where(
            SurveyRound.id == round_id
        )
    ).one_or_none()
    db.session.commit()
    if closing is None or closing.status == "closed":
        return False
    return closing.closes_at is None or utcnow() < closing.closes_at


def _reason(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {words}".strip()


def _send_one(connection: object, plan: Plan, out: Outgoing, attempt: int, tally: Tally) -> None:
    message = Message(
        subject=out.subject, recipients=[out.address], body=out.body, sender=plan.sender
    )
    try:
        connection.send(message)  # type: ignore[attr-defined]
    except smtplib.SMTPRecipientsRefused as refused:
        code, text = next(iter(refused.recipients.values()))
        _note(out, plan.kind, "failed", attempt, _reason(code, text))
        tally.failed += 1
        if 400 <= code < 500:
            tally.retry.append((out, attempt + 1))
        return
    except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as err:
        _note(out, plan.kind, "failed", attempt, _reason(err.smtp_code, err.smtp_error))
        tally.failed += 1
        if 400 <= err.smtp_code < 500:
            tally.retry.append((out, attempt + 1))
        return
    _note(out, plan.kind, "sent", attempt, None)
    tally.sent += 1


def build(run: JobRun, plan: Plan) -> Tally:
    interval = 60.0 / float(current_app.config["SURVEYAPP_MAIL_RATE"])
    retries = int(current_app.config["SURVEYAPP_MAIL_RETRIES"])
    total = len(plan.messages)
    tally = Tally()
    run.progress(0, total)
    if not plan.messages:
        return tally
    next_at = time.monotonic()
    try:
        with mail.connect() as connection:
            queue: list[tuple[Outgoing, int]] = [(out, 1) for out in plan.messages]
            done = 0
            while queue:
                out, attempt = queue.pop(0)
                if not _still_open(plan.round_id):
                    tally.stopped_by_closing = True
                    break
                time.sleep(max(0.0, next_at - time.monotonic()))
                next_at = time.monotonic() + interval
                _send_one(connection, plan, out, attempt, tally)
                if attempt > 1:
                    tally.retried += 1
                else:
                    done += 1
                    run.progress(done, total)
                if not queue and tally.retry:
                    queue = [(o, a) for o, a in tally.retry if a <= retries + 1]
                    tally.retry = []
    except (OSError, smtplib.SMTPException) as err:
        current_app.logger.warning("E-mail job %s: the SMTP server failed: %s", run.job_id, err)
        raise JobError("server_down") from err
    return tally


def store(run: JobRun, tally: Tally) -> JobOutput | None:
    from surveyapp.audit.operations import record

    record(
        run.owner_id,
        "send_emails" if run.params["kind"] == "invitation" else "send_reminders",
        email.ENTITY,
        run.params["round_id"],
        new={"sent": tally.sent, "failed": tally.failed, "retried": tally.retried},
    )
    return None


def _progress(done: str, total: str) -> str:
    return _("%(done)s of %(total)s e-mails sent", done=done, total=total)


register_kind(
    JobKind(
        name=KIND,
        prepare=prepare,
        build=build,
        store=store,
        title=_l("E-mail invitations"),
        progress_text=_progress,
        messages={
            "round_gone": _l("The round no longer exists."),
            "not_invitation_round": _l(
                "This round is answered through an open link, not invitations."
            ),
            "closed": _l("The round has closed: no more e-mails are sent."),
            "not_open": _l("Reminders are sent only while the round is open."),
            "no_sender": _l("No sender address is set up (MAIL_DEFAULT_SENDER)."),
            "server_down": _l(
                "The mail server could not be reached. Nothing more was sent; try again later."
            ),
        },
    )
)
