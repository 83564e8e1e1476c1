"""Scoring, ranking and grading of a service-test (mystery-shopper) round.

Plain data in, plain data out: the protocol is the typed, frozen object read
from a ``kind: protocol`` questionnaire file (``surveyapp.questionnaires.protocol``,
defaults filled in), contacts are the dataclasses below. Every number of the rubric
(points, speed table, cut-offs, attempts, waiting limit, weights, bands) comes
from the protocol; nothing here knows a particular year's rules.

Explanations are machine-readable ``Reason(code, params)`` values, so the UI
can phrase them in bokmål, nynorsk and English.

Aggregation (all scores 0–100, full precision; rounding only for display,
banding and ranking):

* contact score = points / maximum points (0–1);
* channel score = mean of the municipality's counted contact scores in the
  channel × 100;
* sector score = the sector's contacts' channel scores combined with the
  channel weights, re-normalised over the channels the sector has;
* municipality score = sector-weighted mean of its sector scores (the
  protocol's sector weights, as Forbrukerrådet weighted sectors in 2016),
  re-normalised over the sectors present (a municipality without contacts in
  a sector is scored on the others, each weight divided by their sum).

Counted contacts: scored and unreached contacts always; missing contacts
(not carried out) when ``missing_contacts`` is ``zero`` (as 0). A web item
awaiting a decision (testers disagree, or not all have checked it) is never
scored as if found: it counts as not found (0) until decided, and each
municipality's best case (every pending item found with full quality) and the
places it could reach are reported beside its score.

Printed scores: a score is printed, banded, passed and ranked at one decimal by
``formatting.round_half_up`` (the rule every output uses), so two municipalities
share a place exactly when their printed scores are equal.

Record conventions (where the protocol is silent):

* phone: attempts are taken in time order and only the first
  ``max_attempts`` count; an attempt reached with no waiting time recorded
  counts as within ``max_wait_seconds``; ``answered_first_contact`` None
  counts as no; ``referred_correctly`` None means nobody was referred, which
  keeps the referral points when the first person answered and earns none
  otherwise; ``courtesy`` None earns no courtesy points;
* e-mail: reply time in working days per ``workdays.working_days_between``,
  with the optional channel setting ``send_cutoff: "HH:MM"`` (not in the
  format doc; mails sent at or after it count from the next working day);
* web: an item found with no time recorded counts as found in time; a
  quality of None counts as 0; a web record without checks is a missing
  contact, one with fewer checks than ``testers`` is awaiting.

KKiK-style indicators (``Share`` = numerator of denominator, per municipality
and nationally): e-mails answered within 1 and within 2 working days, of
e-mails sent; calls with a direct answer (``answered_first_contact``), of
phone contacts carried out, an unreached call counting as no direct answer;
courtesy as the sum of ratings of 3 × the rated contacts that took place
(phone reached, e-mail answered); checkpoints answered, of checkpoints in
phone and e-mail contacts carried out. Contacts not carried out are in no
indicator.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from math import gcd
from types import MappingProxyType
from typing import Any, NamedTuple

from surveyapp.formatting import round_half_up, round_percent
from surveyapp.questionnaires.protocol import (
    Channel,
    EmailChannel,
    PhoneChannel,
    Protocol,
    Scenario,
    WebChannel,
)
from surveyapp.servicetest.workdays import working_days_between

CHANNELS = ("phone", "email", "web")

SCORED = "scored"
MISSING = "missing"
AWAITING = "awaiting_decision"
UNREACHED = "unreached"

TOP = "top"
MIDDLE = "middle"
BOTTOM = "bottom"

COURTESY_MAX = 3
QUALITY_MAX = 3

# Indicator codes (KKiK-style) in MunicipalityScore.indicators and RoundResult.indicators.
EMAIL_WITHIN_1 = "email_within_1"
EMAIL_WITHIN_2 = "email_within_2"
PHONE_DIRECT_ANSWER = "phone_direct_answer"
COURTESY = "courtesy"
CHECKPOINTS_ANSWERED = "checkpoints_answered"
INDICATORS = (EMAIL_WITHIN_1, EMAIL_WITHIN_2, PHONE_DIRECT_ANSWER, COURTESY, CHECKPOINTS_ANSWERED)


# --------------------------------------------------------------------------- records


class Reason(NamedTuple):
    """Why a contact got its points: a reason code and its parameters (for translation).

    A plain tuple, so ``Reason("no_reply", {}) == ("no_reply", {})``.
    """

    code: str
    params: Mapping[str, Any] = MappingProxyType({})


def _check_rating(name: str, value: int | None, top: int) -> None:
    if value is not None and not 0 <= value <= top:
        raise ValueError(f"{name} must be between 0 and {top}, got {value}")


@dataclass(frozen=True, slots=True)
class PhoneAttempt:
    """One call: when, whether someone answered, and how long the caller waited."""

    at: datetime
    reached: bool
    waiting_seconds: int | None = None


@dataclass(slots=True)
class PhoneRecord:
    """What the caller recorded for one phone contact.

    ``referred_correctly`` is None when no referral happened; ``courtesy`` is
    rated 0–3 (None: not rated, scores 0 and is left out of the courtesy share).
    """

    attempts: list[PhoneAttempt]
    answered_first_contact: bool | None = None
    checkpoints_covered: set[str] = field(default_factory=set)
    referred_correctly: bool | None = None
    courtesy: int | None = None

    def __post_init__(self) -> None:
        _check_rating("courtesy", self.courtesy, COURTESY_MAX)


@dataclass(slots=True)
class EmailRecord:
    """One e-mail: when it was sent, when (if ever) it was answered, and how well."""

    sent_at: datetime
    replied_at: datetime | None
    checkpoints_covered: set[str] = field(default_factory=set)
    courtesy: int | None = None

    def __post_init__(self) -> None:
        _check_rating("courtesy", self.courtesy, COURTESY_MAX)


@dataclass(frozen=True, slots=True)
class WebCheck:
    """One tester's search for a web item: found or not, time taken, quality 0–3."""

    found: bool
    seconds: int | None = None
    quality: int | None = None

    def __post_init__(self) -> None:
        _check_rating("quality", self.quality, QUALITY_MAX)


@dataclass(slots=True)
class WebRecord:
    """The independent testers' checks, and the deciding tester's check if they disagreed."""

    checks: list[WebCheck]
    decision: WebCheck | None = None


Record = PhoneRecord | EmailRecord | WebRecord


@dataclass(slots=True)
class Contact:
    """One planned contact; ``record`` None means it was not carried out."""

    municipality: str
    scenario: str
    sector: str
    channel: str
    record: Record | None
    unit: str = ""  # a test unit below the municipality (an Oslo district), or ""


@dataclass(slots=True)
class ContactScore:
    """The outcome of one contact.

    ``included`` says whether the score enters the averages. The remaining
    fields are the facts the KKiK indicators and headlines are counted from:
    checkpoints asked and answered, reply time in working days (e-mail),
    direct answer (phone) and the courtesy rating of a contact that took place.
    """

    points: float
    max_points: float
    score: float
    reasons: list[Reason]
    status: str
    included: bool = True
    checkpoints_asked: int = 0
    checkpoints_answered: int = 0
    reply_working_days: int | None = None
    direct_answer: bool | None = None
    courtesy: int | None = None


# --------------------------------------------------------------------------- protocol access


@dataclass(frozen=True, slots=True)
class _Rubric:
    """The protocol's rules for one scenario in one channel, read once."""

    scenario: str
    sector: str
    channel: str
    settings: Channel
    checkpoints: tuple[str, ...]
    maximum: float
    missing_rule: str
    closed: tuple[tuple[int, int], ...] = ()


def _rubric(protocol: Protocol, scenario: Scenario, channel: str) -> _Rubric:
    try:
        settings = protocol.channels[channel]
    except KeyError:
        raise ValueError(f"channel {channel!r} is not defined in the protocol") from None
    if channel not in scenario.channels:
        raise ValueError(f"scenario {scenario.code!r} is not tested by {channel}")
    checkpoints = scenario.checkpoint_codes
    maximum = float(settings.maximum(len(checkpoints)))
    if maximum <= 0:
        raise ValueError(f"the protocol gives no points for {channel} in {scenario.code!r}")
    return _Rubric(
        scenario=scenario.code,
        sector=scenario.sector,
        channel=channel,
        settings=settings,
        checkpoints=checkpoints,
        maximum=maximum,
        missing_rule=protocol.missing_contacts,
        closed=protocol.non_working_days,
    )


def max_points(protocol: Protocol, scenario: Scenario, channel: str) -> float:
    """The most points a contact in this scenario and channel can get."""
    return _rubric(protocol, scenario, channel).maximum


# --------------------------------------------------------------------------- one contact


def score_contact(protocol: Protocol, scenario: Scenario, contact: Contact) -> ContactScore:
    """Score one contact against the protocol's rubric for its channel.

    Raises ValueError when the contact does not fit the protocol: unknown
    channel, channel not used by the scenario, sector differing from the
    scenario's, a record of the wrong kind, a covered checkpoint code the
    scenario does not have, or more web checks than the protocol's testers.
    """
    return _score(_rubric(protocol, scenario, contact.channel), contact)


_RECORD_TYPES: dict[str, type] = {"phone": PhoneRecord, "email": EmailRecord, "web": WebRecord}


def _score(rubric: _Rubric, contact: Contact) -> ContactScore:
    if contact.sector != rubric.sector:
        raise ValueError(
            f"contact sector {contact.sector!r} differs from scenario "
            f"{rubric.scenario!r} sector {rubric.sector!r}"
        )
    record = contact.record
    if record is None or (isinstance(record, WebRecord) and not record.checks):
        rule = rubric.missing_rule
        return ContactScore(
            0.0, rubric.maximum, 0.0, [Reason("missing", {"rule": rule})], MISSING, rule == "zero"
        )
    expected = _RECORD_TYPES[rubric.channel]
    if not isinstance(record, expected):
        raise ValueError(f"a {rubric.channel} contact needs a {expected.__name__}")
    settings = rubric.settings
    if isinstance(record, PhoneRecord) and isinstance(settings, PhoneChannel):
        return _score_phone(rubric, settings, record)
    if isinstance(record, EmailRecord) and isinstance(settings, EmailChannel):
        return _score_email(rubric, settings, record)
    assert isinstance(record, WebRecord) and isinstance(settings, WebChannel)
    return _score_web(rubric, settings, record)


def _score_checkpoints(
    rubric: _Rubric, per_checkpoint: float, covered: set[str], reasons: list[Reason]
) -> tuple[float, int]:
    codes = rubric.checkpoints
    if not covered.issubset(codes):
        unknown = ", ".join(sorted(covered.difference(codes)))
        raise ValueError(f"checkpoint(s) {unknown} are not in scenario {rubric.scenario!r}")
    answered = 0
    for code in codes:
        hit = code in covered
        answered += hit
        reasons.append(
            Reason("checkpoint", {"code": code, "covered": hit, "points": per_checkpoint * hit})
        )
    return per_checkpoint * answered, answered


def _score_courtesy(full: float, rating: int | None, reasons: list[Reason]) -> float:
    points = 0.0 if rating is None else rating / COURTESY_MAX * full
    reasons.append(Reason("courtesy", {"rating": rating, "points": points}))
    return points


def _score_phone(rubric: _Rubric, settings: PhoneChannel, record: PhoneRecord) -> ContactScore:
    """Phone rubric: call-back rule first, then the conversation's points."""
    max_attempts = settings.max_attempts
    max_wait = settings.max_wait_seconds
    attempts = sorted(record.attempts, key=lambda attempt: attempt.at)
    counted, ignored = attempts[:max_attempts], attempts[max_attempts:]
    reasons: list[Reason] = []
    reached = False
    for number, attempt in enumerate(counted, start=1):
        if not attempt.reached:
            reasons.append(Reason("attempt_no_answer", {"attempt": number}))
        elif attempt.waiting_seconds is not None and attempt.waiting_seconds > max_wait:
            reasons.append(
                Reason(
                    "attempt_wait_too_long",
                    {
                        "attempt": number,
                        "waiting_seconds": attempt.waiting_seconds,
                        "limit_seconds": max_wait,
                    },
                )
            )
        else:
            reasons.append(Reason("reached", {"attempt": number}))
            reached = True
            break
    if ignored:
        reasons.append(
            Reason("attempts_ignored", {"count": len(ignored), "max_attempts": max_attempts})
        )
    maximum = rubric.maximum
    n_checkpoints = len(rubric.checkpoints)
    if not reached:
        reasons.append(Reason("no_contact_after_attempts", {"attempts": len(counted)}))
        return ContactScore(
            0.0,
            maximum,
            0.0,
            reasons,
            UNREACHED,
            checkpoints_asked=n_checkpoints,
            direct_answer=False,
        )

    direct = bool(record.answered_first_contact)
    points = settings.points
    first = float(points.answered_first_contact) if direct else 0.0
    reasons.append(
        Reason("answered_first_contact", {"value": record.answered_first_contact, "points": first})
    )
    checkpoint_points, answered = _score_checkpoints(
        rubric, float(points.checkpoint), record.checkpoints_covered, reasons
    )
    referral_full = float(points.referred_correctly)
    if record.referred_correctly is None and direct:
        # Answered by the first person: nobody needed referring, so no points are lost.
        referral = referral_full
        reasons.append(Reason("referral_not_needed", {"points": referral}))
    else:
        referral = referral_full if record.referred_correctly else 0.0
        reasons.append(
            Reason("referred_correctly", {"value": record.referred_correctly, "points": referral})
        )
    courtesy = _score_courtesy(float(points.courtesy), record.courtesy, reasons)
    total = first + checkpoint_points + referral + courtesy
    return ContactScore(
        total,
        maximum,
        total / maximum,
        reasons,
        SCORED,
        checkpoints_asked=n_checkpoints,
        checkpoints_answered=answered,
        direct_answer=direct,
        courtesy=record.courtesy,
    )


def _score_email(rubric: _Rubric, settings: EmailChannel, record: EmailRecord) -> ContactScore:
    """E-mail rubric: speed points from the table, quality points up to the cut-off."""
    maximum = rubric.maximum
    n_checkpoints = len(rubric.checkpoints)
    reasons: list[Reason] = []
    if record.replied_at is None:
        reasons.append(Reason("no_reply", {}))
        return ContactScore(0.0, maximum, 0.0, reasons, SCORED, checkpoints_asked=n_checkpoints)
    days = working_days_between(
        record.sent_at, record.replied_at, settings.send_cutoff, rubric.closed
    )
    reasons.append(Reason("reply_working_days", {"days": days}))
    cutoff_days = settings.quality_cutoff_days
    if days > cutoff_days:
        reasons.append(Reason("after_quality_cutoff", {"days": days, "cutoff_days": cutoff_days}))
        return ContactScore(
            0.0,
            maximum,
            0.0,
            reasons,
            SCORED,
            checkpoints_asked=n_checkpoints,
            reply_working_days=days,
            courtesy=record.courtesy,
        )
    speed = 0.0
    within: int | None = None
    for row in settings.speed:
        if days <= row.within_days:
            speed, within = float(row.points), row.within_days
            break
    reasons.append(Reason("email_speed", {"days": days, "within_days": within, "points": speed}))
    checkpoint_points, answered = _score_checkpoints(
        rubric, float(settings.points.checkpoint), record.checkpoints_covered, reasons
    )
    courtesy = _score_courtesy(float(settings.points.courtesy), record.courtesy, reasons)
    points = speed + checkpoint_points + courtesy
    return ContactScore(
        points,
        maximum,
        points / maximum,
        reasons,
        SCORED,
        checkpoints_asked=n_checkpoints,
        checkpoints_answered=answered,
        reply_working_days=days,
        courtesy=record.courtesy,
    )


def _found_in_time(check: WebCheck, limit: int) -> bool:
    # A found item without a recorded time is taken to be within the limit.
    if not check.found:
        return False
    return check.seconds is None or check.seconds <= limit


def _pending(maximum: float, reasons: list[Reason]) -> ContactScore:
    """An undecided web item: never scored as found; 0 until decided (the worst case)."""
    reasons.append(Reason("pending_counts_as_not_found", {}))
    return ContactScore(0.0, maximum, 0.0, reasons, AWAITING)


def _score_web(rubric: _Rubric, settings: WebChannel, record: WebRecord) -> ContactScore:
    """Web rubric: independent testers; a deciding tester settles disagreement."""
    maximum = rubric.maximum
    testers = settings.testers
    limit = settings.time_limit_seconds
    checks = record.checks
    if len(checks) > testers:
        raise ValueError(f"{len(checks)} web checks recorded; the protocol has {testers} testers")
    reasons: list[Reason] = []
    found_flags: list[bool] = []
    qualities: list[int] = []
    for tester, check in enumerate(checks, start=1):
        in_time = _found_in_time(check, limit)
        found_flags.append(in_time)
        qualities.append(check.quality or 0)
        reasons.append(
            Reason(
                "web_check",
                {
                    "tester": tester,
                    "found": check.found,
                    "seconds": check.seconds,
                    "in_time": in_time,
                    "quality": check.quality,
                },
            )
        )
    if len(checks) < testers:
        reasons.append(Reason("checks_incomplete", {"checks": len(checks), "testers": testers}))
        return _pending(maximum, reasons)

    disagreement: str | None = None
    if len(set(found_flags)) > 1:
        disagreement = "found"
    elif found_flags[0] and max(qualities) - min(qualities) >= 2:
        disagreement = "quality"

    if disagreement is None:
        found = found_flags[0]
        quality = sum(qualities) / len(qualities)
        reasons.append(Reason("testers_agree", {}))
    elif record.decision is None:
        reasons.append(Reason("awaiting_decision", {"on": disagreement}))
        return _pending(maximum, reasons)
    else:
        found = _found_in_time(record.decision, limit)
        quality = float(record.decision.quality or 0)
        reasons.append(
            Reason(
                "decided",
                {
                    "on": disagreement,
                    "found": record.decision.found,
                    "seconds": record.decision.seconds,
                    "in_time": found,
                    "quality": record.decision.quality,
                },
            )
        )
    found_points = float(settings.points.found) if found else 0.0
    reasons.append(Reason("web_found", {"found": found, "points": found_points}))
    quality_points = 0.0
    if found:
        quality_points = quality / QUALITY_MAX * float(settings.points.quality)
        reasons.append(Reason("web_quality", {"rating": quality, "points": quality_points}))
    points = found_points + quality_points
    return ContactScore(points, maximum, points / maximum, reasons, SCORED)


# --------------------------------------------------------------------------- bands and ranks


@dataclass(frozen=True, slots=True)
class Band:
    """A grade band: position in the protocol's list (0 = best), lower bound, label map."""

    index: int
    min: float
    label: Mapping[str, str]


def round_score(score: float) -> float:
    """The score as printed: one decimal by ``formatting``'s rule (Excel's: 15 significant
    digits, halves away from zero), so 80.95 → 81.0 and 80.9499999999 → 80.9."""
    return float(round_half_up(score, 1))


def is_passed(score: float, pass_mark: float) -> bool:
    """ "Godkjent": the score as printed reaches the pass mark (74.95 prints 75.0 and passes)."""
    return round_score(score) >= pass_mark


def printed_percent(share: float) -> float:
    """A share as its printed percentage (one decimal), for ranking indicators."""
    return float(round_percent(share, 1))


def grade_bands(protocol: Protocol) -> list[Band]:
    """The protocol's grade bands, highest ``min`` first (as the protocol lists them)."""
    return [Band(i, float(band.min), band.label) for i, band in enumerate(protocol.grade_bands)]


def band_for(bands: Sequence[Band], score: float) -> Band:
    """The first band whose ``min`` the score, rounded to one decimal, reaches."""
    return _band_of_printed(bands, round_score(score))


def _band_of_printed(bands: Sequence[Band], rounded: float) -> Band:
    for band in bands:
        if rounded >= band.min:
            return band
    raise ValueError(f"score {rounded} is below the lowest grade band")


def competition_ranks(
    scores: Mapping[str, float], printed: Callable[[float], float] = round_score
) -> dict[str, int]:
    """Standard competition ranks ("1, 2, 2, 4"), highest first, on the printed values:
    equal printed scores share a place, different ones never do."""
    shown = {key: printed(value) for key, value in scores.items()}
    ordered = sorted(shown, key=lambda key: (-shown[key], key))
    ranks: dict[str, int] = {}
    previous: float | None = None
    rank = 0
    for position, key in enumerate(ordered, start=1):
        rounded = shown[key]
        if rounded != previous:
            rank, previous = position, rounded
        ranks[key] = rank
    return ranks


def quartile_bands(
    scores: Mapping[str, float], printed: Callable[[float], float] = round_score
) -> dict[str, str]:
    """KKiK-style bands by rank position: ``top`` best 25 %, ``bottom`` worst 25 %.

    With n scores, a municipality is ``top`` when its competition rank r (from
    the best, on rounded scores) satisfies r ≤ n/4, and ``bottom`` when its rank
    counted from the worst satisfies the same. Tied municipalities share a rank
    and so always share a band; a tie straddling a boundary goes to the outer
    band. A tie group wide enough to be both (more than half of all, e.g. all
    equal) is ``middle``, and so is everyone when n < 4.
    """
    n = len(scores)
    ranks = competition_ranks(scores, printed)
    group_size: dict[int, int] = {}
    for rank in ranks.values():
        group_size[rank] = group_size.get(rank, 0) + 1
    bands: dict[str, str] = {}
    for key, rank in ranks.items():
        rank_from_bottom = n - (rank - 1) - group_size[rank] + 1
        top = 4 * rank <= n
        bottom = 4 * rank_from_bottom <= n
        bands[key] = TOP if top and not bottom else BOTTOM if bottom and not top else MIDDLE
    return bands


# --------------------------------------------------------------------------- a whole round


@dataclass(frozen=True, slots=True)
class Share:
    """A counted share: numerator of denominator (value None when nothing was counted)."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True, slots=True)
class IndicatorSummary:
    """One indicator over all municipalities.

    ``mean`` is the unweighted mean of the municipalities' values (as Kolada
    does for groups); ``pooled`` counts all contacts together; ``best`` and
    ``worst`` are the extreme municipal values.
    """

    mean: float | None
    pooled: Share
    best: float | None
    worst: float | None
    municipalities: int


@dataclass(slots=True)
class MunicipalityScore:
    """One municipality's (or test unit's) result in a round (scores 0–100, full precision).

    ``score`` counts items awaiting a decision as not found; ``best_score`` counts them
    found with full quality (equal to ``score`` when nothing is pending). ``best_place``
    and ``worst_place`` bound the place once every pending decision in the round is
    made: the best with this municipality's items found and everyone else's not, the
    worst the other way round.
    """

    municipality: str
    score: float | None
    channel_scores: dict[str, float | None]
    sector_scores: dict[str, float | None]
    contacts: int
    missing: int
    awaiting: int
    band: Band | None
    unreached: int = 0
    rank: int | None = None
    quartile: str | None = None
    indicators: dict[str, Share] = field(default_factory=dict)
    unit: str = ""  # a test unit below the municipality (an Oslo district), or ""
    passed: bool | None = None  # printed score at or above the protocol's pass mark
    best_score: float | None = None
    best_place: int | None = None
    worst_place: int | None = None
    indicator_quartiles: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The ranked unit's code: the test unit's, else the municipality's."""
        return self.unit or self.municipality

    printed: float | None = None  # the score as printed (one decimal), set once

    @property
    def display_score(self) -> float | None:
        """The score rounded to one decimal, as shown, banded and ranked."""
        if self.printed is not None or self.score is None:
            return self.printed
        return round_score(self.score)

    @property
    def places_open(self) -> bool:
        """Whether pending decisions could still change this place."""
        return self.best_place != self.worst_place


@dataclass(frozen=True, slots=True)
class NotTested:
    """A municipality in the round with no contact to score, and why.

    Reasons: ``all_cancelled`` (every planned contact was cancelled) and
    ``no_contacts`` (none was planned).
    """

    municipality: str
    reason: str
    cancelled: int = 0
    unit: str = ""


@dataclass(slots=True)
class RoundResult:
    """Everything computed for a round; ``municipalities`` are in rank order."""

    municipalities: list[MunicipalityScore]
    national_average: float | None
    national_channel_scores: dict[str, float | None]
    national_sector_scores: dict[str, float | None]
    indicators: dict[str, IndicatorSummary]
    sector_checkpoints: dict[str, Share]
    bands: list[Band]
    contact_scores: list[tuple[Contact, ContactScore]]
    awaiting_decision: list[Contact]
    missing: int
    missing_excluded: int
    pass_mark: float = 75.0
    not_tested: list[NotTested] = field(default_factory=list)

    def municipality(self, code: str, unit: str = "") -> MunicipalityScore:
        for item in self.municipalities:
            if item.municipality == code and item.unit == unit:
                return item
        raise KeyError(code if not unit else f"{code}/{unit}")

    @property
    def ranked(self) -> int:
        return sum(1 for m in self.municipalities if m.rank is not None)

    @property
    def pass_mark_decimals(self) -> int:
        """Decimals that print the pass mark as set (75, 74.5)."""
        return 0 if float(self.pass_mark).is_integer() else 1

    @property
    def passed(self) -> int:
        return sum(1 for m in self.municipalities if m.passed)

    @property
    def open_places(self) -> list[MunicipalityScore]:
        """Municipalities whose place pending decisions could still change, best first."""
        return [m for m in self.municipalities if m.rank is not None and m.places_open]


class _Tally:
    """Running sums for one municipality (one pass over the contacts)."""

    __slots__ = (
        "contacts",
        "missing",
        "awaiting",
        "unreached",
        "channel",
        "sector_channel",
        "pending_channel",
        "pending_sector_channel",
        "counts",
        "sector_checkpoints",
    )

    def __init__(self) -> None:
        self.contacts = 0
        self.missing = 0
        self.awaiting = 0
        self.unreached = 0
        self.channel: dict[str, list[float]] = {}  # channel → [sum of scores, n]
        self.sector_channel: dict[tuple[str, str], list[float]] = {}
        self.pending_channel: dict[str, int] = {}  # items awaiting a decision (scored 0)
        self.pending_sector_channel: dict[tuple[str, str], int] = {}
        self.counts: dict[str, list[int]] = {code: [0, 0] for code in INDICATORS}
        self.sector_checkpoints: dict[str, list[int]] = {}

    def add(self, contact: Contact, result: ContactScore) -> None:
        self.contacts += 1
        self.missing += result.status == MISSING
        self.unreached += result.status == UNREACHED
        if result.status == AWAITING:
            self.awaiting += 1
            pending_key = (contact.sector, contact.channel)
            self.pending_channel[contact.channel] = self.pending_channel.get(contact.channel, 0) + 1
            self.pending_sector_channel[pending_key] = (
                self.pending_sector_channel.get(pending_key, 0) + 1
            )
        if result.included:
            acc = self.channel.get(contact.channel)
            if acc is None:
                acc = self.channel[contact.channel] = [0.0, 0]
            acc[0] += result.score
            acc[1] += 1
            key = (contact.sector, contact.channel)
            acc = self.sector_channel.get(key)
            if acc is None:
                acc = self.sector_channel[key] = [0.0, 0]
            acc[0] += result.score
            acc[1] += 1
        if contact.record is None or result.status == AWAITING:
            return  # not carried out, or not decided: in no indicator
        counts = self.counts
        if contact.channel == "email":
            days = result.reply_working_days
            counts[EMAIL_WITHIN_1][0] += days is not None and days <= 1
            counts[EMAIL_WITHIN_1][1] += 1
            counts[EMAIL_WITHIN_2][0] += days is not None and days <= 2
            counts[EMAIL_WITHIN_2][1] += 1
        elif contact.channel == "phone":
            counts[PHONE_DIRECT_ANSWER][0] += bool(result.direct_answer)
            counts[PHONE_DIRECT_ANSWER][1] += 1
        if result.courtesy is not None:
            counts[COURTESY][0] += result.courtesy
            counts[COURTESY][1] += COURTESY_MAX
        if result.checkpoints_asked:
            counts[CHECKPOINTS_ANSWERED][0] += result.checkpoints_answered
            counts[CHECKPOINTS_ANSWERED][1] += result.checkpoints_asked
            sector = self.sector_checkpoints.setdefault(contact.sector, [0, 0])
            sector[0] += result.checkpoints_answered
            sector[1] += result.checkpoints_asked

    def scores(
        self,
        channel_order: Sequence[str],
        sector_order: Sequence[str],
        weights: Mapping[str, float],
        sector_weights: Mapping[str, float],
        pending_found: bool = False,
    ) -> tuple[dict[str, float | None], dict[str, float | None], float | None]:
        """Channel, sector and total scores; ``pending_found``: the best case, every
        item awaiting a decision found with full quality (score 1 instead of 0)."""

        def mean(acc: list[float] | None, pending: int) -> float | None:
            if not acc:
                return None
            found = pending if pending_found else 0
            return (acc[0] + found) / acc[1] * 100

        channel_scores: dict[str, float | None] = {
            channel: mean(self.channel.get(channel), self.pending_channel.get(channel, 0))
            for channel in channel_order
        }
        sector_scores: dict[str, float | None] = {}
        for sector in sector_order:
            in_sector: dict[str, float] = {}
            for channel in channel_order:
                key = (sector, channel)
                value = mean(self.sector_channel.get(key), self.pending_sector_channel.get(key, 0))
                if value is not None:
                    in_sector[channel] = value
            sector_scores[sector] = _weighted_mean(in_sector, weights)
        present = {k: v for k, v in sector_scores.items() if v is not None}
        return channel_scores, sector_scores, _weighted_mean(present, sector_weights)


def _weighted_mean(values: Mapping[str, float], weights: Mapping[str, float]) -> float | None:
    total_weight = sum(weights[key] for key in values)
    if not values or total_weight <= 0:
        return None
    return sum(values[key] * weights[key] for key in values) / total_weight


def _mean(values: Iterable[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return sum(present) / len(present) if present else None


def score_round(
    protocol: Protocol,
    contacts: Iterable[Contact],
    not_tested: Iterable[NotTested] = (),
    *,
    roll_up: bool = False,
) -> RoundResult:
    """Score every contact, then each municipality, rank them and sum up the round.

    One pass over the contacts plus sorts of the municipalities: linear in the number
    of contacts (and n log n in municipalities). Test units below a municipality are
    scored and ranked on their own, or with ``roll_up`` pooled into their municipality.
    ``not_tested`` lists municipalities of the round without a contact (reported, not
    ranked). Raises ValueError for a contact whose scenario the protocol does not have
    (and anything ``score_contact`` rejects).
    """
    return summarise_round(
        protocol, score_contacts(protocol, contacts), not_tested, roll_up=roll_up
    )


def score_contacts(
    protocol: Protocol, contacts: Iterable[Contact]
) -> list[tuple[Contact, ContactScore]]:
    """Each contact with its score (the rubric of each scenario and channel read once).

    Raises ValueError for a contact whose scenario the protocol does not have (and
    anything ``score_contact`` rejects)."""
    scenarios = {scenario.code: scenario for scenario in protocol.scenarios}
    rubrics: dict[tuple[str, str], _Rubric] = {}
    scored: list[tuple[Contact, ContactScore]] = []
    for contact in contacts:
        rubric = rubrics.get((contact.scenario, contact.channel))
        if rubric is None:
            scenario = scenarios.get(contact.scenario)
            if scenario is None:
                raise ValueError(f"scenario {contact.scenario!r} is not in the protocol")
            rubric = rubrics[contact.scenario, contact.channel] = _rubric(
                protocol, scenario, contact.channel
            )
        scored.append((contact, _score(rubric, contact)))
    return scored


def summarise_round(
    protocol: Protocol,
    scored: Sequence[tuple[Contact, ContactScore]],
    not_tested: Iterable[NotTested] = (),
    *,
    roll_up: bool = False,
) -> RoundResult:
    """Municipalities (or units), ranks, places, quartiles and national figures from the
    scored contacts (``score_contacts``; a caller may keep those it scored before)."""
    return _score_round(protocol, scored, list(not_tested), roll_up)


def _as_printed(value: float) -> float:
    """For values already rounded as printed."""
    return value


def _places(municipalities: Sequence[MunicipalityScore]) -> None:
    """Best and worst place of each ranked municipality once pending decisions are made.

    Best: its pending items found, everyone else's not (their scores as they are);
    worst: its pending items not found, everyone else's found. Places are shared on
    printed scores, like the ranks.
    """
    ranked = [m for m in municipalities if m.score is not None]
    printed_best = {
        m.key: m.display_score if m.best_score == m.score else round_score(m.best_score or 0.0)
        for m in ranked
    }
    worst = sorted(m.display_score or 0.0 for m in ranked)
    best = sorted(value or 0.0 for value in printed_best.values())
    n = len(ranked)
    for m in ranked:
        own_worst, own_best = m.display_score or 0.0, printed_best[m.key] or 0.0
        # others strictly above its best (others at their worst); itself is never above
        m.best_place = 1 + n - bisect_right(worst, own_best)
        # others strictly above its worst (others at their best), less itself if counted
        above = n - bisect_right(best, own_worst) - (own_best > own_worst)
        m.worst_place = 1 + above


def _score_round(
    protocol: Protocol,
    scored: Sequence[tuple[Contact, ContactScore]],
    not_tested: list[NotTested],
    roll_up: bool,
) -> RoundResult:
    channel_order: list[str] = list(protocol.channels.names)
    weights: dict[str, float] = {
        name: float(channel.weight) for name, channel in protocol.channels.items()
    }
    sector_order = list(protocol.sectors)
    sector_weights = {code: float(sector.weight) for code, sector in protocol.sectors.items()}
    bands = grade_bands(protocol)
    pass_mark = float(protocol.pass_mark)

    tallies: dict[tuple[str, str], _Tally] = {}
    awaiting: list[Contact] = []
    missing = missing_excluded = 0
    for contact, result in scored:
        if result.status == AWAITING:
            awaiting.append(contact)
        elif result.status == MISSING:
            missing += 1
            missing_excluded += not result.included
        key = (contact.municipality, "" if roll_up else contact.unit)
        tally = tallies.get(key)
        if tally is None:
            tally = tallies[key] = _Tally()
        tally.add(contact, result)

    municipalities: list[MunicipalityScore] = []
    for (code, unit), tally in tallies.items():
        channel_scores, sector_scores, score = tally.scores(
            channel_order, sector_order, weights, sector_weights
        )
        best_score = score
        if tally.awaiting:
            best_score = tally.scores(
                channel_order, sector_order, weights, sector_weights, pending_found=True
            )[2]
        printed = None if score is None else round_score(score)
        municipalities.append(
            MunicipalityScore(
                municipality=code,
                unit=unit,
                score=score,
                printed=printed,
                best_score=best_score,
                channel_scores=channel_scores,
                sector_scores=sector_scores,
                contacts=tally.contacts,
                missing=tally.missing,
                awaiting=tally.awaiting,
                band=None if printed is None else _band_of_printed(bands, printed),
                passed=None if printed is None else printed >= pass_mark,
                unreached=tally.unreached,
                indicators={key: Share(n, d) for key, (n, d) in tally.counts.items()},
            )
        )

    ranked = {m.key: m.printed for m in municipalities if m.printed is not None}
    ranks = competition_ranks(ranked, _as_printed)
    quartiles = quartile_bands(ranked, _as_printed)
    by_indicator: dict[str, dict[str, str]] = {}
    for indicator in INDICATORS:
        indicator_values = {
            m.key: value
            for m in municipalities
            if (value := m.indicators[indicator].value) is not None
        }
        by_indicator[indicator] = quartile_bands(indicator_values, printed_percent)
    for item in municipalities:
        item.rank = ranks.get(item.key)
        item.quartile = quartiles.get(item.key)
        item.indicator_quartiles = {
            indicator: band
            for indicator, bands_of in by_indicator.items()
            if (band := bands_of.get(item.key)) is not None
        }
    _places(municipalities)
    municipalities.sort(key=lambda m: (m.rank is None, m.rank or 0, m.municipality, m.unit))

    indicators: dict[str, IndicatorSummary] = {}
    for code in INDICATORS:
        shares = [m.indicators[code] for m in municipalities]
        values = [v for share in shares if (v := share.value) is not None]
        indicators[code] = IndicatorSummary(
            mean=sum(values) / len(values) if values else None,
            pooled=Share(sum(s.numerator for s in shares), sum(s.denominator for s in shares)),
            best=max(values, default=None),
            worst=min(values, default=None),
            municipalities=len(values),
        )
    sector_checkpoints: dict[str, Share] = {}
    for sector in sector_order:
        pairs = [t.sector_checkpoints.get(sector, [0, 0]) for t in tallies.values()]
        sector_checkpoints[sector] = Share(sum(p[0] for p in pairs), sum(p[1] for p in pairs))

    tested = {(m.municipality, m.unit) for m in municipalities}
    gone: dict[tuple[str, str], NotTested] = {}
    for absent in not_tested:
        if roll_up and absent.unit:  # a unit counts for its municipality
            absent = NotTested(absent.municipality, absent.reason, absent.cancelled)
        where = (absent.municipality, absent.unit)
        if where in tested:
            continue
        if where in gone:  # two units of one untested municipality, rolled up
            total = gone[where].cancelled + absent.cancelled
            absent = NotTested(absent.municipality, absent.reason, total)
        gone[where] = absent
    untested = [gone[where] for where in sorted(gone)]
    return RoundResult(
        municipalities=municipalities,
        national_average=_mean(m.score for m in municipalities),
        national_channel_scores={
            channel: _mean(m.channel_scores[channel] for m in municipalities)
            for channel in channel_order
        },
        national_sector_scores={
            sector: _mean(m.sector_scores[sector] for m in municipalities)
            for sector in sector_order
        },
        indicators=indicators,
        sector_checkpoints=sector_checkpoints,
        bands=bands,
        contact_scores=list(scored),
        awaiting_decision=awaiting,
        missing=missing,
        missing_excluded=missing_excluded,
        pass_mark=pass_mark,
        not_tested=untested,
    )


# --------------------------------------------------------------------------- headlines


@dataclass(frozen=True, slots=True)
class Headline:
    """A fact for the press page: ``numerator`` of ``denominator``, with parameters.

    Codes and parameters:

    * ``passed`` — municipalities whose printed score reaches ``pass_mark``
      ("godkjent"), of all scored municipalities;
    * ``score_under`` — municipalities whose rounded score is under
      ``threshold``, of all scored municipalities;
    * ``grade_band`` — municipalities in a band (``band`` index, ``min``,
      ``label``), of all scored municipalities; one per band, best first;
    * ``checkpoints_answered`` — checkpoints (questions) answered, of all
      checkpoints in phone and e-mail contacts carried out (an unreached call
      or an unanswered e-mail answers none);
    * ``checkpoints_answered_sector`` — the same for one ``sector``;
    * ``sector_pass`` — municipalities whose rounded ``sector`` score reaches
      ``pass_mark``, of those with a score in the sector;
    * ``best_sector`` / ``worst_sector`` — the sector with the highest / lowest
      national sector score (``score``, rounded), with its ``sector_pass``
      counts as numerator and denominator.
    """

    code: str
    numerator: int
    denominator: int
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


def headlines(
    result: RoundResult, low_threshold: float = 40.0, pass_mark: float | None = None
) -> list[Headline]:
    """Headline facts of a round, as data for the UI to phrase.

    ``pass_mark`` defaults to the protocol's (``RoundResult.pass_mark``, "godkjent").
    """
    scored = [m for m in result.municipalities if m.score is not None]
    n = len(scored)
    if pass_mark is None:
        pass_mark = result.pass_mark
    out: list[Headline] = [
        Headline(
            "passed",
            sum(1 for m in scored if (m.display_score or 0.0) >= pass_mark),
            n,
            {"pass_mark": pass_mark},
        ),
        Headline(
            "score_under",
            sum(1 for m in scored if (m.display_score or 0.0) < low_threshold),
            n,
            {"threshold": low_threshold},
        ),
    ]
    for band in result.bands:
        out.append(
            Headline(
                "grade_band",
                sum(1 for m in scored if m.band is not None and m.band.index == band.index),
                n,
                {"band": band.index, "min": band.min, "label": dict(band.label)},
            )
        )
    pooled = result.indicators[CHECKPOINTS_ANSWERED].pooled
    out.append(Headline("checkpoints_answered", pooled.numerator, pooled.denominator, {}))
    for sector, share in result.sector_checkpoints.items():
        if share.denominator:
            out.append(
                Headline(
                    "checkpoints_answered_sector",
                    share.numerator,
                    share.denominator,
                    {"sector": sector},
                )
            )
    passes: dict[str, Headline] = {}
    for sector in result.national_sector_scores:
        values = [s for m in scored if (s := m.sector_scores.get(sector)) is not None]
        if values:
            passes[sector] = Headline(
                "sector_pass",
                sum(1 for value in values if round_score(value) >= pass_mark),
                len(values),
                {"sector": sector, "pass_mark": pass_mark},
            )
    out.extend(passes.values())
    national = {
        sector: score
        for sector, score in result.national_sector_scores.items()
        if score is not None
    }
    if national:
        ordered = sorted(national, key=lambda key: (-national[key], key))
        for code, sector in (("best_sector", ordered[0]), ("worst_sector", ordered[-1])):
            counts = passes[sector]
            out.append(
                Headline(
                    code,
                    counts.numerator,
                    counts.denominator,
                    {
                        "sector": sector,
                        "score": round_score(national[sector]),
                        "pass_mark": pass_mark,
                    },
                )
            )
    return out


# --------------------------------------------------------------------------- the press summary


@dataclass(frozen=True, slots=True)
class SectorNote:
    """A sector's printed score for one municipality."""

    sector: str
    score: float


@dataclass(frozen=True, slots=True)
class Standing:
    """A municipality at the top or the bottom, with its sector highlights.

    ``full_marks`` are its sectors printed 100; ``lowest`` its weakest sector when that
    is below its own score (the "but only 60 on ..." of a press list).
    """

    municipality: str
    unit: str
    score: float
    full_marks: tuple[str, ...]
    best: SectorNote | None
    lowest: SectorNote | None


@dataclass(frozen=True, slots=True)
class PressFacts:
    """The facts a press summary states, all computed from the round."""

    average: float | None
    passed: int
    scored: int
    pass_mark: float
    winners: tuple[Standing, ...]  # all sharing first place
    last: tuple[Standing, ...]  # all sharing the last place
    pending: int  # items awaiting a decision (the list is provisional while > 0)
    not_tested: int


def _standing(m: MunicipalityScore, sector_order: Sequence[str]) -> Standing:
    sectors = [
        SectorNote(sector, round_score(value))
        for sector in sector_order
        if (value := m.sector_scores.get(sector)) is not None
    ]
    own = round_score(m.score or 0.0)
    full = tuple(note.sector for note in sectors if note.score >= 100.0)
    best = max(sectors, key=lambda note: note.score, default=None)
    lowest = min(sectors, key=lambda note: note.score, default=None)
    if lowest is not None and lowest.score >= own:
        lowest = None
    if best is not None and (best.score <= own or best.sector in full):
        best = None
    return Standing(m.municipality, m.unit, own, full, best, lowest)


def press_facts(result: RoundResult, sector_order: Sequence[str]) -> PressFacts:
    """National average, how many passed, and the first and last with their sectors."""
    ranked = [m for m in result.municipalities if m.rank is not None]
    winners = tuple(_standing(m, sector_order) for m in ranked if m.rank == 1)
    last_rank = max((m.rank or 0 for m in ranked), default=0)
    last = tuple(
        _standing(m, sector_order) for m in ranked if m.rank == last_rank and last_rank > 1
    )
    return PressFacts(
        average=None if result.national_average is None else round_score(result.national_average),
        passed=result.passed,
        scored=len(ranked),
        pass_mark=result.pass_mark,
        winners=winners,
        last=last,
        pending=len(result.awaiting_decision),
        not_tested=len(result.not_tested),
    )


def as_fraction_phrase(numerator: int, denominator: int) -> tuple[int, int]:
    """A simple fraction close to numerator/denominator, for "one in eight" phrasing.

    Candidates are a/b with b ≤ 5, tenths, "one in N" and "N−1 of N" (N from
    the share itself); the closest wins, the smaller denominator on a tie.
    None of some is never "none" (0, 1) and not all is never "all" (1, 1):
    45/357 → (1, 8), 2/3 → (2, 3), 1/357 → (1, 357).
    """
    if denominator <= 0 or not 0 <= numerator <= denominator:
        raise ValueError(f"not a share: {numerator}/{denominator}")
    if numerator == 0:
        return (0, 1)
    if numerator == denominator:
        return (1, 1)
    share = numerator / denominator
    raw: set[tuple[int, int]] = {(a, b) for b in range(2, 6) for a in range(1, b)}
    raw.update((a, 10) for a in range(1, 10))
    one_in = round(1 / share)
    raw.update((1, m) for m in (one_in - 1, one_in, one_in + 1) if m >= 2)
    all_but = round(1 / (1 - share))
    raw.update((m - 1, m) for m in (all_but - 1, all_but, all_but + 1) if m >= 2)
    candidates = {(a // gcd(a, b), b // gcd(a, b)) for a, b in raw}
    return min(candidates, key=lambda f: (abs(f[0] / f[1] - share), f[1]))
