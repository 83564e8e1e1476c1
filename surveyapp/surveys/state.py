"""A citizen's answers in progress, carried signed in their own form. No Flask here.

Nothing a citizen types is written to the database before they send the last page:
the pages carry the answers so far in a hidden field, signed with the app's secret key
(itsdangerous, the library Flask itself signs sessions with), so they survive a
dropped session cookie, a stale tab or a browser that keeps no cookies, and nothing of
an unfinished answer is ever left on the server.

The state holds a random *start secret* made when the citizen opens the survey. Two
one-way values are derived from it, and nothing else links them:

- the invitation's ``claim_hash`` (SHA-256 of the secret), stored when an invitation is
  claimed, so that the same form sent twice (a double click) is recognised;
- the response's ``submission_key`` (HMAC-SHA-256 of the secret under the app's key),
  unique, so that sending the last page twice stores one response.

Someone holding the database and the app's key still cannot tell which claim hash
belongs to which submission key without the secret, which only the citizen's page holds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field, replace
from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer

from surveyapp.surveys.flow import RawInputs

#: As surveys.models.CHANNEL_VALUES (kept here so that this module imports no models).
CHANNEL_VALUES = ("web", "invitation", "e-mail", "kiosk", "paper")

SALT = "surveyapp.survey-state.v1"
SUBMISSION_CONTEXT = b"surveyapp.submission-key.v1:"
SECRET_BYTES = 18
#: Largest state kept in the session cookie as well as the form (browsers keep 4 KB).
COOKIE_LIMIT = 3000
#: A state older than this is refused (no round runs this long without a new start).
MAX_AGE_SECONDS = 120 * 24 * 3600
MAX_FIELDS = 400
MAX_VALUES = 100
MAX_VALUE_LENGTH = 10_000


@dataclass(frozen=True)
class SurveyState:
    """What a citizen's form carries between pages."""

    round_id: int
    secret: str
    municipality: str | None = None
    # An invitation token not yet claimed (the first page of a personal link) ...
    invitation: str | None = None
    # ... and, once claimed, that this state may answer an invitation round.
    entitled: bool = False
    # The first 16 hex digits of the invitation token's SHA-256, to recognise the same
    # link opened again in the same browser. Never stored on the server.
    invitation_mark: str | None = None
    language: str | None = None
    answers: RawInputs = field(default_factory=dict)
    # How this answering started (surveys.models.CHANNEL_VALUES): stored with the response.
    channel: str = "web"
    # A kiosk's device id: to rate-limit the device and look up its place. Never stored.
    device: int | None = None
    # A paper form keyed by staff: the date it was received (ISO) and its form number
    # (for the double keying; never stored with the response).
    received: str | None = None
    form_number: str | None = None

    def with_answers(self, page_inputs: RawInputs) -> SurveyState:
        return replace(self, answers={**self.answers, **page_inputs})


def new_state(round_id: int, **values: Any) -> SurveyState:
    return SurveyState(round_id=round_id, secret=secrets.token_urlsafe(SECRET_BYTES), **values)


def _serializer(key: str | bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt=SALT)


def encode(state: SurveyState, key: str | bytes) -> str:
    payload = {
        "r": state.round_id,
        "s": state.secret,
        "m": state.municipality,
        "i": state.invitation,
        "e": 1 if state.entitled else 0,
        "k": state.invitation_mark,
        "l": state.language,
        "a": state.answers,
        "c": state.channel,
        "d": state.device,
        "pr": state.received,
        "pf": state.form_number,
    }
    return str(_serializer(key).dumps(payload))


def _valid_answers(raw: Any) -> RawInputs | None:
    if not isinstance(raw, dict) or len(raw) > MAX_FIELDS:
        return None
    answers: RawInputs = {}
    for name, values in raw.items():
        if not isinstance(name, str) or not isinstance(values, list) or len(values) > MAX_VALUES:
            return None
        if not all(isinstance(v, str) and len(v) <= MAX_VALUE_LENGTH for v in values):
            return None
        answers[name] = list(values)
    return answers


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def decode(
    text: str | None, key: str | bytes, round_id: int, max_age: int = MAX_AGE_SECONDS
) -> SurveyState | None:
    """The state a form carried, or None when it is missing, altered, older than
    ``max_age`` seconds (a kiosk's is short) or belongs to another round."""
    if not text or len(text) > 2_000_000:
        return None
    try:
        payload = _serializer(key).loads(text, max_age=max_age)
    except (BadData, ValueError, TypeError, OverflowError):
        return None
    if not isinstance(payload, dict) or payload.get("r") != round_id:
        return None
    secret = payload.get("s")
    answers = _valid_answers(payload.get("a", {}))
    if not isinstance(secret, str) or len(secret) < 16 or answers is None:
        return None
    channel = payload.get("c", "web")
    device = payload.get("d")
    if channel not in CHANNEL_VALUES or not (device is None or type(device) is int):
        return None
    return SurveyState(
        round_id=round_id,
        secret=secret,
        municipality=_optional_str(payload.get("m")),
        invitation=_optional_str(payload.get("i")),
        entitled=payload.get("e") == 1,
        invitation_mark=_optional_str(payload.get("k")),
        language=_optional_str(payload.get("l")),
        answers=answers,
        channel=channel,
        device=device,
        received=_optional_str(payload.get("pr")),
        form_number=_optional_str(payload.get("pf")),
    )


def claim_hash(state: SurveyState) -> str:
    """What an invitation row keeps of the form that claimed it."""
    return hashlib.sha256(state.secret.encode("utf-8")).hexdigest()


def submission_key(state: SurveyState, key: str | bytes) -> str:
    """The response's unique key: the same form sent twice stores once."""
    raw = key.encode("utf-8") if isinstance(key, str) else key
    return hmac.new(raw, SUBMISSION_CONTEXT + state.secret.encode("utf-8"), "sha256").hexdigest()


def invitation_mark(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]
