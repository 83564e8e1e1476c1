"""Service-desk kiosks: devices registered for a round, and what a kiosk shows.

These add and flush; the view commits.

A device's link carries a random secret; only its SHA-256 is stored. A kiosk shows one
page: the questionnaire's ``kiosk`` questions, or the whole questionnaire when it has at
most ``SHORT_ENOUGH`` questions. Each visitor's answer travels in a state of its own
(never in the session) that the server refuses after ``MAX_AGE_SECONDS``, so an answer
left idle is discarded and the next visitor starts clean. The response carries the
channel ``kiosk`` and, when the round asks for it, the device's place — never the device.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from surveyapp.audit.operations import record
from surveyapp.channels.models import KioskDevice
from surveyapp.extensions import db
from surveyapp.questionnaires.definition import Definition
from surveyapp.surveys.models import SurveyRound
from surveyapp.surveys.tokens import hash_token

ENTITY = "survey_round"
#: A questionnaire this short is shown whole on a kiosk when it names no kiosk questions.
SHORT_ENOUGH = 12
#: An unfinished kiosk answer is discarded after this long without a page being sent.
MAX_AGE_SECONDS = 180
#: The page warns this long before it starts again, and offers more time (WCAG 2.2.1).
WARN_BEFORE_SECONDS = 40
MAX_NAME = 80


class KioskError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def kiosk_questions(definition: Definition) -> tuple[str, ...] | None:
    """The question codes a kiosk shows; None when the questionnaire is too long for one."""
    if definition.kiosk:
        return definition.kiosk
    codes = tuple(q.code for q in definition.questions)
    return codes if len(codes) <= SHORT_ENOUGH else None


def register_device(
    user_id: int | None,
    survey_round: SurveyRound,
    definition: Definition,
    name: str,
    place: str,
    municipality_code: str,
) -> tuple[KioskDevice, str]:
    """A new device for the round and its secret (shown once; only the hash is kept)."""
    if survey_round.status == "closed":
        raise KioskError("closed")
    if kiosk_questions(definition) is None:
        raise KioskError("too_long")
    if municipality_code not in {m.code for m in survey_round.municipalities}:
        raise KioskError("unknown_municipality")
    secret = secrets.token_urlsafe(24)
    device = KioskDevice(
        round_id=survey_round.id,
        municipality_code=municipality_code,
        name=name.strip()[:MAX_NAME],
        place=place.strip()[:MAX_NAME],
        secret_hash=hash_token(secret),
        active=True,
    )
    db.session.add(device)
    db.session.flush()
    record(
        user_id,
        "register_kiosk",
        ENTITY,
        survey_round.id,
        new={"device": device.id, "name": device.name, "place": device.place},
    )
    return device, secret


def deactivate(user_id: int | None, device: KioskDevice) -> None:
    device.active = False
    db.session.flush()
    record(user_id, "deactivate_kiosk", ENTITY, device.round_id, new={"device": device.id})


def devices(round_id: int) -> list[KioskDevice]:
    return list(
        db.session.scalars(
            sa.select(KioskDevice).where(KioskDevice.round_id == round_id).order_by(KioskDevice.id)
        )
    )


@dataclass(frozen=True)
class FoundDevice:
    id: int
    round_id: int
    municipality_code: str
    place: str


def find_device(secret: str) -> FoundDevice | None:
    """The active device this secret belongs to."""
    row = db.session.execute(
        sa.select(
            KioskDevice.id, KioskDevice.round_id, KioskDevice.municipality_code, KioskDevice.place
        ).where(KioskDevice.secret_hash == hash_token(secret[:100]), KioskDevice.active.is_(True))
    ).one_or_none()
    return None if row is None else FoundDevice(*row)
