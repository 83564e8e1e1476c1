"""E-mail invitations: the address list, personal links, who gets a message, its words.

These functions add and flush; the view or the CLI command commits.

Each address gets one personal link: an ``invitation`` row (channel ``e-mail``) whose
token is derived from a random value on the address's row with the app's key, so that a
reminder repeats the same link without the token itself being stored. The address
points to its invitation (reminders go only to unused links); nothing points from an
invitation to a response, so addresses can never be joined to answers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from babel.dates import format_date

from surveyapp.audit.operations import record
from surveyapp.catalogs import translator
from surveyapp.channels.addresses import AddressList
from surveyapp.channels.models import EmailRecipient, EmailSendLog
from surveyapp.extensions import db
from surveyapp.surveys.models import Invitation, SurveyRound
from surveyapp.surveys.tokens import TOKEN_BYTES, hash_token
from surveyapp.timeutil import utcnow

ENTITY = "survey_round"
LINK_CONTEXT = b"surveyapp.email-link.v1:"
LOCAL_ZONE_NAME = "Europe/Oslo"


class EmailError(Exception):
    """Why e-mails cannot be sent for a round now; ``reason`` is a stable key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def link_token(nonce: str, key: str | bytes) -> str:
    """The personal link's token: derived from the address row's random value and the key."""
    raw = key.encode("utf-8") if isinstance(key, str) else key
    digest = hmac.new(raw, LINK_CONTEXT + nonce.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:TOKEN_BYTES]).decode("ascii")


def closes_at(survey_round: SurveyRound) -> datetime | None:
    """When the round stops taking answers: its closing time, or when it was closed."""
    times = [t for t in (survey_round.closes_at, survey_round.closed_at) if t is not None]
    return min(times) if times else None


def check_can_send(survey_round: SurveyRound, now: datetime, kind: str) -> None:
    """Raise EmailError unless messages of ``kind`` may go out for the round now."""
    if survey_round.access != "invitation":
        raise EmailError("not_invitation_round")
    closing = closes_at(survey_round)
    if survey_round.status == "closed" or (closing is not None and now >= closing):
        raise EmailError("closed")
    if kind == "reminder" and survey_round.status != "open":
        raise EmailError("not_open")


# --------------------------------------------------------------------------- the list


def stored_addresses(round_id: int) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(EmailRecipient.address).where(EmailRecipient.round_id == round_id)
        )
    )


def add_addresses(user_id: int | None, survey_round: SurveyRound, parsed: AddressList) -> int:
    """Put the parsed addresses on the round's list; the number added."""
    if survey_round.access != "invitation":
        raise EmailError("not_invitation_round")
    if survey_round.status == "closed":
        raise EmailError("closed")
    for entry in parsed.entries:
        db.session.add(
            EmailRecipient(
                round_id=survey_round.id,
                municipality_code=entry.municipality_code,
                address=entry.address,
                status="pending",
                attempts=0,
                reminders=0,
            )
        )
    db.session.flush()
    # The audit trail counts; it never copies addresses (the list is deleted later).
    record(
        user_id,
        "add_email_addresses",
        ENTITY,
        survey_round.id,
        new={"added": len(parsed.entries), "merged": parsed.duplicates},
    )
    return len(parsed.entries)


@dataclass(frozen=True)
class ListCounts:
    addresses: int
    pending: int
    sent: int
    failed: int
    used: int  # links used to start answering (the invitation's flag)
    reminders: int  # reminders sent in all
    remindable: int  # addresses a reminder would go to now


def list_counts(survey_round: SurveyRound, max_reminders: int) -> ListCounts:
    """The address list in figures, in one grouped query."""
    used = sa.func.coalesce(Invitation.used, sa.false())
    row = db.session.execute(
        sa.select(
            sa.func.count(EmailRecipient.id),
            sa.func.count(EmailRecipient.id).filter(EmailRecipient.status == "pending"),
            sa.func.count(EmailRecipient.id).filter(EmailRecipient.status == "sent"),
            sa.func.count(EmailRecipient.id).filter(EmailRecipient.status == "failed"),
            sa.func.count(EmailRecipient.id).filter(used.is_(True)),
            sa.func.coalesce(sa.func.sum(EmailRecipient.reminders), 0),
            sa.func.count(EmailRecipient.id).filter(_remindable(max_reminders)),
        )
        .outerjoin(Invitation, Invitation.id == EmailRecipient.invitation_id)
        .where(EmailRecipient.round_id == survey_round.id)
    ).one()
    return ListCounts(*(int(value) for value in row))


def _remindable(max_reminders: int) -> sa.ColumnElement[bool]:
    return sa.and_(
        EmailRecipient.status == "sent",
        Invitation.used.is_(False),
        EmailRecipient.reminders < max_reminders,
    )


def recipients(survey_round: SurveyRound) -> list[EmailRecipient]:
    """The round's list with each address's send log, by address."""
    return list(
        db.session.scalars(
            sa.select(EmailRecipient)
            .options(sa.orm.selectinload(EmailRecipient.log))
            .where(EmailRecipient.round_id == survey_round.id)
            .order_by(EmailRecipient.address)
        )
    )


def used_flags(survey_round: SurveyRound) -> dict[int, bool]:
    """Whether each address's link has been used to start (by recipient id)."""
    return {
        recipient_id: bool(used)
        for recipient_id, used in db.session.execute(
            sa.select(EmailRecipient.id, Invitation.used)
            .join(Invitation, Invitation.id == EmailRecipient.invitation_id)
            .where(EmailRecipient.round_id == survey_round.id)
        )
    }


# --------------------------------------------------------------------------- who gets what


def to_send(round_id: int) -> list[EmailRecipient]:
    """Addresses whose invitation has not gone out yet, or failed (tried again)."""
    return list(
        db.session.scalars(
            sa.select(EmailRecipient)
            .where(
                EmailRecipient.round_id == round_id,
                EmailRecipient.status.in_(("pending", "failed")),
            )
            .order_by(EmailRecipient.id)
        )
    )


def to_remind(round_id: int, max_reminders: int) -> list[EmailRecipient]:
    """Addresses whose invitation went out and whose link is unused, reminded < N times."""
    return list(
        db.session.scalars(
            sa.select(EmailRecipient)
            .join(Invitation, Invitation.id == EmailRecipient.invitation_id)
            .where(EmailRecipient.round_id == round_id, _remindable(max_reminders))
            .order_by(EmailRecipient.id)
        )
    )


def make_links(survey_round: SurveyRound, pending: Sequence[EmailRecipient]) -> int:
    """Give every address without one its personal link (an invitation row); the number made."""
    missing = [r for r in pending if r.invitation_id is None]
    if not missing:
        return 0
    from flask import current_app

    key = str(current_app.config["SECRET_KEY"])
    today = utcnow().date()
    for recipient in missing:
        recipient.link_nonce = secrets.token_hex(16)
        invitation = Invitation(
            round_id=survey_round.id,
            municipality_code=recipient.municipality_code,
            token_hash=hash_token(link_token(recipient.link_nonce, key)),
            created_on=today,
            channel="e-mail",
        )
        db.session.add(invitation)
        db.session.flush()
        recipient.invitation_id = invitation.id
    db.session.flush()
    return len(missing)


def note_outcome(
    recipient_id: int, kind: str, outcome: str, attempt: int, reason: str | None
) -> None:
    """Log one try and update the address's status (the caller commits)."""
    reason = reason[:500] if reason else None
    db.session.add(
        EmailSendLog(
            recipient_id=recipient_id, kind=kind, outcome=outcome, attempt=attempt, reason=reason
        )
    )
    values: dict[str, object]
    if kind == "invitation":
        values = {
            "status": outcome,
            "attempts": EmailRecipient.attempts + 1,
            "error": reason if outcome == "failed" else None,
        }
    elif outcome == "sent":
        values = {"reminders": EmailRecipient.reminders + 1}
    else:
        values = {"error": reason}
    db.session.execute(
        sa.update(EmailRecipient).where(EmailRecipient.id == recipient_id).values(**values)
    )
    db.session.flush()


def delete_expired_lists(now: datetime, grace: timedelta) -> int:
    """Delete the address lists (and their logs) of rounds closed more than ``grace`` ago."""
    ended = db.session.scalars(
        sa.select(SurveyRound).where(
            sa.or_(SurveyRound.status == "closed", SurveyRound.closes_at <= now),
            sa.exists().where(EmailRecipient.round_id == SurveyRound.id),
        )
    )
    # Compared in Python: date arithmetic differs between SQLite and PostgreSQL.
    expired = [r.id for r in ended if (close := closes_at(r)) is not None and close + grace <= now]
    if not expired:
        return 0
    recipient_ids = sa.select(EmailRecipient.id).where(EmailRecipient.round_id.in_(expired))
    db.session.execute(sa.delete(EmailSendLog).where(EmailSendLog.recipient_id.in_(recipient_ids)))
    result = db.session.execute(
        sa.delete(EmailRecipient).where(EmailRecipient.round_id.in_(expired))
    )
    db.session.flush()
    return int(result.rowcount)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- the message


@dataclass(frozen=True)
class MessageText:
    """An e-mail's words in one language, with ``{link}`` where the link goes."""

    language: str
    subject: str
    body: str

    def for_link(self, link: str) -> str:
        return self.body.replace("{link}", link)


def message_text(
    kind: str,
    language: str,
    municipality_name: str,
    survey_title: str,
    closing: datetime | None,
) -> MessageText:
    """The invitation's or the reminder's subject and body (plain text) in ``language``."""
    from zoneinfo import ZoneInfo

    text = translator(language)
    sender = text("%(municipality)s municipality", municipality=municipality_name)
    if kind == "reminder":
        subject = text("Reminder: %(title)s", title=survey_title)
        opening = text(
            "A few days ago we asked what you think of the services of %(municipality)s"
            " municipality. If you have not answered yet, we would be glad to hear from you.",
            municipality=municipality_name,
        )
    else:
        subject = text(
            "%(title)s – a survey from %(municipality)s municipality",
            title=survey_title,
            municipality=municipality_name,
        )
        opening = text(
            "%(municipality)s municipality would like to know what you think of its"
            " services, so that we can make them better.",
            municipality=municipality_name,
        )
    paragraphs = [
        text("Hello,"),
        opening,
        text(
            "The survey is anonymous and takes only a few minutes. Your answers are not"
            " linked to you or to this e-mail."
        ),
        text("To answer, open this link. It is for you, and it can be used to answer once:")
        + "\n{link}",
        # One language for the whole list (docs/privacy.md: a language per address would
        # mark the few who chose another); the resident chooses on the page.
        text(
            "You can answer in Norwegian Bokmål, Nynorsk or English: choose the language"
            " at the top of the page."
        ),
    ]
    if closing is not None:
        day = format_date(closing.astimezone(ZoneInfo(LOCAL_ZONE_NAME)), "long", locale=language)
        paragraphs.append(text("You can answer until %(date)s.", date=day))
    paragraphs.append(text("Thank you for your help!") + "\n" + sender)
    return MessageText(language, subject, "\n\n".join(paragraphs) + "\n")
