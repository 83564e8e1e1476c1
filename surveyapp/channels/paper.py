"""Paper forms keyed by staff: stored at once, or keyed twice and settled by a third person.

These add and flush; the view commits.

Staff key a form through the citizen pages (the state carries ``channel = "paper"``,
the date received and, when the round keys twice, the form number). Without double
keying the response is stored at once. With it, each keying waits in ``paper_keying``
under its form number; when the second agrees with the first, the response is stored
and both keyings are deleted; when they differ, a third person chooses, per difference,
which keying is right. The form number is used only until then: a response never
carries it. The date received is stored as the response's time, at the round's
precision.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from surveyapp.channels.models import PaperKeying
from surveyapp.extensions import db
from surveyapp.questionnaires.definition import Definition
from surveyapp.surveys import flow, submission
from surveyapp.surveys.submission import PublicRound


class Window(StrEnum):
    """Whether paper forms can be keyed now."""

    OPEN = "open"  # the round takes answers
    LATE = "late"  # closed, but forms that came by post late may still be keyed
    NOT_YET = "not_yet"  # not open yet (or paused)
    ENDED = "ended"  # closed longer ago than the late days
    PUBLISHED = "published"  # closed and its results published (their counts are frozen)


def closed_moment(closes_at: datetime | None, closed_at: datetime | None) -> datetime | None:
    """When the round stopped taking answers: the earlier of its closing time and when
    staff closed it."""
    known = [moment for moment in (closes_at, closed_at) if moment is not None]
    return min(known) if known else None


def keying_window(
    availability: submission.Availability,
    closed: datetime | None,
    now: datetime,
    published: bool,
    late_days: int,
) -> tuple[Window, datetime | None]:
    """Whether forms can be keyed now, and until when when the round has closed.

    Forms posted before the closing arrive days later: they may be keyed for
    ``late_days`` after it, until the results are published (a publication freezes the
    counts; keying then would change figures already given out)."""
    if availability is submission.Availability.OPEN:
        return Window.OPEN, None
    if availability is not submission.Availability.CLOSED:
        return Window.NOT_YET, None
    if published:
        return Window.PUBLISHED, None
    if closed is None:  # closed by staff without a time: nothing to count from
        return Window.ENDED, None
    until = closed + timedelta(days=late_days)
    return (Window.LATE if now < until else Window.ENDED), until


#: How long before a round opens a paper form may have been received (forms handed out
#: early, letters sent ahead); anything earlier is a slip of the year or the month.
EARLY_DAYS = 31


def earliest_received(opens_at: datetime | None, created_at: datetime, zone: Any) -> date:
    """The earliest date a form of the round can have been received: a month before the
    round opened (or, without an opening time, before it was created)."""
    start = (opens_at or created_at).astimezone(zone).date()
    return start - timedelta(days=EARLY_DAYS)


def window_of(round_id: int, now: datetime, late_days: int) -> tuple[Window, datetime | None]:
    """``keying_window`` for a stored round."""
    from surveyapp.api.publishing import publication_of
    from surveyapp.surveys.models import SurveyRound

    survey_round = db.session.get(SurveyRound, round_id)
    if survey_round is None:
        return Window.ENDED, None
    return keying_window(
        submission.availability(survey_round, now),
        closed_moment(survey_round.closes_at, survey_round.closed_at),
        now,
        publication_of(survey_round) is not None,
        late_days,
    )


#: What besides the answers two keyings must agree on.
META_FIELDS = ("received", "municipality", "language")
MAX_FORM_NUMBER = 20


class PaperError(Exception):
    """A keying the rules do not allow; ``reason`` is a stable key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Outcome(StrEnum):
    STORED = "stored"  # a round keyed once: the response is stored
    FIRST = "first"  # the first of two keyings
    MATCHED = "matched"  # the second agreed: the response is stored
    DIFFERENT = "different"  # the second differs: a third person settles


@dataclass(frozen=True)
class KeyedForm:
    """One keying of one paper form, as the pages collected it."""

    municipality: str
    language: str
    received: date
    answers: flow.RawInputs
    form_number: str | None = None
    # The keying's own key (surveys.state.submission_key): the same keying sent twice
    # (a double click, the back button) stores once. None: a random one.
    submission_key: str | None = None


def clean_form_number(raw: str) -> str | None:
    """A form number as written on the form: 1–20 letters, digits or dashes."""
    value = raw.strip().upper()
    if not value or len(value) > MAX_FORM_NUMBER:
        return None
    if not all(c.isascii() and (c.isalnum() or c == "-") for c in value):
        return None
    return value


def normalised(definition: Definition, answers: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """The questionnaire's fields with what was typed (empty values dropped)."""
    names = {n for q in definition.questions for n in flow.field_names(q)}
    kept = {}
    for name, values in answers.items():
        if name not in names:
            continue
        typed = sorted(v.strip() for v in values if v.strip())
        if typed:
            kept[name] = typed
    return kept


def _fields(definition: Definition, keying: PaperKeying) -> dict[str, list[str]]:
    fields = normalised(definition, keying.answers)
    fields["received"] = [keying.received.isoformat()]
    fields["municipality"] = [keying.municipality_code]
    fields["language"] = [keying.language]
    return fields


def differences(definition: Definition, first: PaperKeying, second: PaperKeying) -> list[str]:
    """The fields (answers, date received, municipality, language) the keyings disagree on."""
    a, b = _fields(definition, first), _fields(definition, second)
    return sorted(name for name in set(a) | set(b) if a.get(name) != b.get(name))


def keyings(round_id: int, form_number: str | None = None) -> list[PaperKeying]:
    query = sa.select(PaperKeying).where(PaperKeying.round_id == round_id)
    if form_number is not None:
        query = query.where(PaperKeying.form_number == form_number)
    return list(db.session.scalars(query.order_by(PaperKeying.form_number, PaperKeying.keying)))


@dataclass(frozen=True)
class Waiting:
    form_number: str
    keyings: int
    differences: tuple[str, ...]


def waiting_forms(definition: Definition, round_id: int) -> list[Waiting]:
    """Forms keyed once (waiting for the second keying) or twice with differences."""
    by_number: dict[str, list[PaperKeying]] = {}
    for keying in keyings(round_id):
        by_number.setdefault(keying.form_number, []).append(keying)
    found = []
    for number, rows in sorted(by_number.items()):
        diff = differences(definition, rows[0], rows[1]) if len(rows) == 2 else []
        found.append(Waiting(number, len(rows), tuple(diff)))
    return found


def _store(
    survey_round: PublicRound,
    definition: Definition,
    form: KeyedForm | PaperKeying,
    key: str | None = None,
) -> None:
    """Store the form as a response; ``key``: the submission key of the keying that
    completed it (a keyed form's own by default; random when there is none)."""
    received = form.received
    municipality = form.municipality if isinstance(form, KeyedForm) else form.municipality_code
    if key is None and isinstance(form, KeyedForm):
        key = form.submission_key
    submission.submit(
        key or secrets.token_hex(32),
        municipality,
        dict(form.answers),
        definition,
        survey_round,
        form.language,
        datetime.combine(received, time(0), UTC),
        channel="paper",
    )


def record_keying(
    survey_round: PublicRound, definition: Definition, form: KeyedForm, user_id: int | None
) -> Outcome:
    """Store a keyed form, or keep it for the double keying; what happened.

    A keying sent again after it stored the form (a double click on the last page, the
    back button) finds the response under its own submission key and adds nothing: not
    a second response, and not a new first keying of a form already stored."""
    if form.submission_key is not None and submission.already_stored(form.submission_key):
        return Outcome.STORED if form.form_number is None else Outcome.MATCHED
    if form.form_number is None:
        _store(survey_round, definition, form)
        return Outcome.STORED
    existing = keyings(survey_round.id, form.form_number)
    if len(existing) >= 2:
        raise PaperError("already_keyed")
    if existing and existing[0].keyed_by == user_id:
        raise PaperError("same_person")
    keying = PaperKeying(
        round_id=survey_round.id,
        form_number=form.form_number,
        keying=len(existing) + 1,
        municipality_code=form.municipality,
        language=form.language,
        received=form.received,
        answers=dict(form.answers),
        keyed_by=user_id,
    )
    db.session.add(keying)
    db.session.flush()
    if not existing:
        return Outcome.FIRST
    if differences(definition, existing[0], keying):
        return Outcome.DIFFERENT
    # Stored under the completing keying's key, so that the same keying sent again is
    # recognised (above).
    _store(survey_round, definition, existing[0], key=form.submission_key)
    _forget(survey_round.id, form.form_number)
    return Outcome.MATCHED


def settle(
    survey_round: PublicRound,
    definition: Definition,
    form_number: str,
    choices: Mapping[str, int],
    user_id: int | None,
) -> None:
    """Store the form with, for each difference, the value of the keying chosen (1 or 2)."""
    rows = keyings(survey_round.id, form_number)
    if len(rows) != 2:
        raise PaperError("not_waiting")
    first, second = rows
    if user_id is not None and user_id in (first.keyed_by, second.keyed_by):
        raise PaperError("third_person")
    differing = differences(definition, first, second)
    if any(choices.get(name) not in (1, 2) for name in differing):
        raise PaperError("choose_all")
    a, b = _fields(definition, first), _fields(definition, second)
    merged = {name: a[name] for name in a if name not in differing}
    for name in differing:
        source = a if choices[name] == 1 else b
        if name in source:
            merged[name] = source[name]
    received = date.fromisoformat(merged.pop("received")[0])
    municipality = merged.pop("municipality")[0]
    language = merged.pop("language")[0]
    _store(
        survey_round,
        definition,
        KeyedForm(municipality, language, received, merged, form_number),
    )
    _forget(survey_round.id, form_number)


def _forget(round_id: int, form_number: str) -> None:
    """Once stored, the form number and its keyings go."""
    db.session.execute(
        sa.delete(PaperKeying).where(
            PaperKeying.round_id == round_id, PaperKeying.form_number == form_number
        )
    )
    db.session.flush()
