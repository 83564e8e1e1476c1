"""Survey rounds, invitations and anonymous responses.

Privacy by construction (see docs/privacy.md): a response carries no IP address, user
agent, cookie id, account or invitation; the submission time is truncated to the round's
precision; response and answer ids are random, so neither ids nor row order tell the
order of submission. An invitation is marked used by a flag on its own row (no time, no
new row) when the citizen starts answering, in a transaction of its own; answers in
progress are never stored on the server (they travel signed in the citizen's form).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.dbtypes import UTCDateTime
from surveyapp.extensions import db
from surveyapp.timeutil import utcnow

ACCESS_VALUES = ("open", "invitation")
STATUS_VALUES = ("draft", "open", "paused", "closed")
PRECISION_VALUES = ("date", "hour")
#: How a response reached us, derived from how its answering started (never from anything
#: identifying): an open link, a letter's link, an e-mail's link, a kiosk, staff keying
#: a paper form.
CHANNEL_VALUES = ("web", "invitation", "e-mail", "kiosk", "paper")
#: The channels a personal link is sent through.
INVITATION_CHANNELS = ("invitation", "e-mail")

round_municipality = sa.Table(
    "round_municipality",
    db.metadata,
    sa.Column("round_id", sa.ForeignKey("survey_round.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("municipality_code", sa.ForeignKey("municipality.code"), primary_key=True),
)


class SurveyRound(db.Model):  # type: ignore[name-defined]
    """One run of a questionnaire version in one or more municipalities for a period."""

    __tablename__ = "survey_round"
    __table_args__ = (
        sa.CheckConstraint("access IN ('open', 'invitation')", name="access_known"),
        sa.CheckConstraint("status IN ('draft', 'open', 'paused', 'closed')", name="status_known"),
        sa.CheckConstraint("time_precision IN ('date', 'hour')", name="precision_known"),
        sa.CheckConstraint("target > 0 AND target < 1", name="target_share"),
        sa.CheckConstraint("language IN ('nb', 'nn', 'en')", name="language_known"),
        sa.CheckConstraint(
            "closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at",
            name="closes_after_opens",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    #: The name staff know the round by; citizens see the public titles.
    title: Mapped[str] = mapped_column(sa.String(200))
    questionnaire_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaire.id"), index=True)
    year: Mapped[int] = mapped_column(sa.Integer, index=True)
    period: Mapped[str] = mapped_column(sa.String(40), default="")
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    access: Mapped[str] = mapped_column(sa.String(12), default="open")
    status: Mapped[str] = mapped_column(sa.String(10), default="draft")
    target: Mapped[float] = mapped_column(sa.Float, default=0.80)
    language: Mapped[str] = mapped_column(sa.String(2), default="nb")
    time_precision: Mapped[str] = mapped_column(sa.String(5), default="date")
    is_demo: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # What citizens see: a title per language (empty: another language's, marked with
    # ``lang``, else the questionnaire's), a contact line and the municipality's own
    # privacy statement (the survey's own privacy page is always linked).
    public_title_nb: Mapped[str | None] = mapped_column(sa.String(200))
    public_title_nn: Mapped[str | None] = mapped_column(sa.String(200))
    public_title_en: Mapped[str | None] = mapped_column(sa.String(200))
    contact: Mapped[str | None] = mapped_column(sa.String(300))
    privacy_url: Mapped[str | None] = mapped_column(sa.String(500))

    @property
    def public_titles(self) -> dict[str, str]:
        """The public titles that are set, by language."""
        found = {
            "nb": self.public_title_nb,
            "nn": self.public_title_nn,
            "en": self.public_title_en,
        }
        return {language: text for language, text in found.items() if text}

    # When staff closed it by hand (the e-mail address list's deletion counts from the
    # earlier of this and closes_at).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Kiosk answers carry the device's place (never the device) when this is set.
    kiosk_records_place: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, server_default=sa.false()
    )
    # Paper forms are keyed twice by different people and differences settled by a third.
    paper_double_keying: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, server_default=sa.false()
    )

    questionnaire = relationship("Questionnaire")
    municipalities = relationship(
        "Municipality", secondary=round_municipality, order_by="Municipality.code"
    )


def random_id() -> int:
    """A random positive 63-bit id: ids must not reveal the order rows were written in."""
    return secrets.randbelow(2**63 - 1) + 1


class Invitation(db.Model):  # type: ignore[name-defined]
    """A personal link; only the SHA-256 of its token is stored.

    ``used`` is set (without a time) when a citizen starts answering; ``claim_hash`` is
    the SHA-256 of a random secret held only in that citizen's form, so that the same
    form sent twice (a double click) is recognised. Neither value occurs in any response.
    """

    __tablename__ = "invitation"
    __table_args__ = (
        sa.CheckConstraint("channel IN ('invitation', 'e-mail')", name="channel_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_round.id", ondelete="CASCADE"), index=True
    )
    municipality_code: Mapped[str] = mapped_column(sa.ForeignKey("municipality.code"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_on: Mapped[date] = mapped_column(sa.Date, default=lambda: utcnow().date())
    used: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    claim_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # "invitation" (a letter) or "e-mail": the channel its answer is marked with.
    channel: Mapped[str] = mapped_column(
        sa.String(10), default="invitation", server_default="invitation"
    )


class Response(db.Model):  # type: ignore[name-defined]
    """One anonymous submitted questionnaire."""

    __tablename__ = "response"
    __table_args__ = (
        sa.Index("ix_response_round_municipality", "round_id", "municipality_code"),
        sa.CheckConstraint(
            "channel IN ('web', 'invitation', 'e-mail', 'kiosk', 'paper')", name="channel_known"
        ),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=False,
        default=random_id,
    )
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_round.id", ondelete="CASCADE"))
    municipality_code: Mapped[str] = mapped_column(sa.ForeignKey("municipality.code"))
    language: Mapped[str] = mapped_column(sa.String(2))
    submitted: Mapped[datetime] = mapped_column(UTCDateTime())
    # A keyed hash of the random secret in the citizen's form: makes sending twice
    # idempotent. Unrelated to any value stored with the invitation.
    submission_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    channel: Mapped[str] = mapped_column(sa.String(10), default="web", server_default="web")
    # A kiosk's place (never the device), when the round asks for it.
    place: Mapped[str | None] = mapped_column(sa.String(80))

    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class Answer(db.Model):  # type: ignore[name-defined]
    """One answer to one question: a row SQL can count and aggregate."""

    __tablename__ = "answer"
    __table_args__ = (
        sa.Index("ix_answer_round_question_option", "round_id", "question_code", "option"),
        sa.Index("ix_answer_response", "response_id"),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=False,
        default=random_id,
    )
    response_id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        sa.ForeignKey("response.id", ondelete="CASCADE"),
    )
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_round.id", ondelete="CASCADE"))
    municipality_code: Mapped[str] = mapped_column(sa.String(4))
    question_code: Mapped[str] = mapped_column(sa.String(80))
    option: Mapped[str | None] = mapped_column(sa.String(80))
    value_num: Mapped[float | None] = mapped_column(sa.Float)
    value_text: Mapped[str | None] = mapped_column(sa.Text)

    response: Mapped[Response] = relationship(back_populates="answers")


def truncate_time(moment: datetime, precision: str) -> datetime:
    """Round a submission time down to the round's stored precision."""
    if precision == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)
