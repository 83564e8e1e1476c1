"""The service-test protocol of a ``kind: protocol`` file, as one typed, frozen object.

The protocol's parts are pydantic models: their fields state each default once (the
testers per web item, the phone hours, the attempts...), and their validators hold the
rules between fields (weights adding up to 1, bands in order, scenarios using defined
sectors and channels). :func:`read_protocol` validates the YAML once; pydantic's errors
are turned into problems with the line and the place (channel, sector, scenario...) of
the value concerned, in the words the rest of the file's checks use.
"""

from __future__ import annotations

import hashlib
import json
import re
import types
from abc import abstractmethod
from collections.abc import Callable, Iterable, Mapping
from datetime import time
from typing import (
    Annotated,
    Any,
    Literal,
    NamedTuple,
    NoReturn,
    TypeAlias,
    Union,
    get_args,
    get_origin,
)

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PlainValidator,
    PrivateAttr,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from surveyapp.questionnaires.checks import fmt, is_int, is_number, suggest, translation_problems
from surveyapp.questionnaires.problems import N_, Msg, Report, msg
from surveyapp.questionnaires.problems import Text as Message
from surveyapp.questionnaires.yaml_source import (
    Map,
    Path,
    describe,
    first_at_line,
    number_hint,
    plain,
    positions,
    text_hint,
)

__all__ = [
    "CHANNELS",
    "PROTOCOL_KEYS",
    "PROTOCOL_REQUIRED",
    "Channel",
    "ChannelName",
    "Channels",
    "Checkpoint",
    "EmailChannel",
    "GradeBand",
    "PhoneChannel",
    "PhoneHours",
    "Protocol",
    "Scenario",
    "Sector",
    "SpeedRow",
    "WebChannel",
    "read_protocol",
]

CHANNELS = ("phone", "email", "web")
ChannelName: TypeAlias = Literal["phone", "email", "web"]
WEIGHT_TOLERANCE = 0.001

#: The top-level keys of a protocol, and those it must have.
PROTOCOL_KEYS = (
    "channels",
    "sectors",
    "scenarios",
    "grade_bands",
    "missing_contacts",
    "phone_hours",
    "pass_mark",
    "non_working_days",
)
PROTOCOL_REQUIRED = ("channels", "sectors", "scenarios", "grade_bands")

# Sector, scenario and checkpoint codes (the format leaves their spelling open).
_ITEM_CODE_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")
_ITEM_CODE_RULE = msg(N_("use lower-case letters a-z, digits, '_' and '-'"))
_TIME_RE = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")
_DAY_RE = re.compile(r"(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")
_CHECKPOINT_CHANNELS = ("phone", "email")


# --------------------------------------------------------------------------- rule errors


class _Issue(NamedTuple):
    """A broken rule: where (relative to the value validated), and what is wrong."""

    path: Path
    message: Message
    first: Path | None = None  # an earlier value it repeats: "(first at line N)"


def _fail(*issues: _Issue) -> NoReturn:
    """Stop validating this value; the translator reports each issue at its own line."""
    summary = "; ".join(str(issue.message) for issue in issues)
    raise PydanticCustomError("protocol_rule", "{summary}", {"summary": summary, "issues": issues})


def _check(issues: list[_Issue]) -> None:
    if issues:
        _fail(*issues)


# --------------------------------------------------------------------------- value types


def _number(value: Any) -> float:
    if not is_number(value):
        raise PydanticCustomError("number", "not a number")
    number: float = value  # as written: 5 points stay 5, not 5.0
    return number


def _not_negative(value: float, info: ValidationInfo) -> float:
    if value < 0:
        _fail(
            _Issue(
                (),
                msg(
                    N_("'%(key)s' must not be negative (%(value)s)"),
                    key=info.field_name,
                    value=fmt(value),
                ),
            )
        )
    return value


def _at_least(minimum: int) -> Callable[[int, ValidationInfo], int]:
    def check(value: int, info: ValidationInfo) -> int:
        if value < minimum:
            _fail(
                _Issue(
                    (),
                    msg(
                        N_("'%(key)s' must be at least %(min)s, not %(value)s"),
                        key=info.field_name,
                        min=minimum,
                        value=value,
                    ),
                )
            )
        return value

    return check


def _percentage(value: float, info: ValidationInfo) -> float:
    if not 0 <= value <= 100:
        _fail(
            _Issue(
                (),
                msg(
                    N_("'%(key)s' must be between 0 and 100, not %(value)s"),
                    key=info.field_name,
                    value=fmt(value),
                ),
            )
        )
    return value


def _not_empty(value: str, info: ValidationInfo) -> str:
    if not value.strip():
        _fail(_Issue((), msg(N_("'%(key)s' is empty"), key=info.field_name)))
    return value


def _code(what: Msg) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not _ITEM_CODE_RE.fullmatch(value):
            _fail(
                _Issue(
                    (),
                    msg(
                        N_("%(what)s '%(value)s' is not valid: %(rule)s"),
                        what=what,
                        value=value,
                        rule=_ITEM_CODE_RULE,
                    ),
                )
            )
        return value

    return check


def _translation(value: Any, info: ValidationInfo) -> dict[str, str]:
    texts, problems = translation_problems(info.field_name or "text", value)
    if texts is None:
        _fail(*(_Issue(() if lang is None else (lang,), m) for lang, m in problems))
    return texts


def _clock(value: Any, info: ValidationInfo) -> time:
    """A time written "HH:MM" (in quotes: YAML reads 15:00 unquoted as the number 900)."""
    key = info.field_name
    if isinstance(value, time):
        return value
    if isinstance(value, str) and _TIME_RE.fullmatch(value):
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    message: Msg
    if isinstance(value, str):
        message = msg(
            N_("'%(key)s' must be a time as HH:MM (e.g. \"09:30\"), not '%(value)s'"),
            key=key,
            value=value,
        )
    elif is_int(value):
        message = msg(
            N_(
                "'%(key)s' must be a time in quotes, e.g. \"15:00\" (unquoted, YAML reads"
                " a time like 15:00 as the number 900; here it read %(value)s)"
            ),
            key=key,
            value=value,
        )
    else:
        message = msg(
            N_("'%(key)s' must be a time as \"HH:MM\", not %(got)s"), key=key, got=describe(value)
        )
    _fail(_Issue((), message))


def _month_day(value: Any) -> tuple[int, int]:
    """A day of every year written "MM-DD" (in quotes), e.g. "12-24" for Christmas Eve."""
    if isinstance(value, tuple):
        return value
    if isinstance(value, str) and (match := _DAY_RE.fullmatch(value)):
        month, day = int(match.group(1)), int(match.group(2))
        if day <= (29 if month == 2 else 30 if month in (4, 6, 9, 11) else 31):
            return (month, day)
        _fail(
            _Issue(
                (),
                msg(
                    N_("'%(value)s' is not a day of the year (no day %(day)s in month %(month)s)"),
                    value=value,
                    day=day,
                    month=month,
                ),
            )
        )
    if isinstance(value, str):
        message = msg(
            N_('a non-working day must be written as "MM-DD" (e.g. "12-24"), not \'%(value)s\''),
            value=value,
        )
    else:
        message = msg(
            N_(
                'a non-working day must be written in quotes as "MM-DD" (e.g. "12-24"), not %(got)s'
            ),
            got=describe(value),
        )
    _fail(_Issue((), message))


def _channel_name(value: Any) -> str:
    if not isinstance(value, str):
        _fail(_Issue((), msg(N_("a channel name must be text, not %(got)s"), got=describe(value))))
    if value not in CHANNELS:
        _fail(_Issue((), _unknown_channel(value)))
    return value


def _unknown_channel(name: str) -> Msg:
    return msg(
        N_("unknown channel '%(name)s' (expected one of: %(choices)s)"),
        name=name,
        choices=", ".join(CHANNELS),
    )


def _not_null(value: Any) -> Any:
    """Leaving a key's value empty is not the same as leaving the key out."""
    if value is None:
        raise PydanticCustomError("null", "an empty value")
    return value


Number = Annotated[float, PlainValidator(_number)]
NonNegative = Annotated[float, PlainValidator(_number), AfterValidator(_not_negative)]
Count = Annotated[int, Strict(), AfterValidator(_at_least(1))]
Text = Annotated[str, Strict(), AfterValidator(_not_empty)]
Translation = Annotated[dict[str, str], BeforeValidator(_translation)]
OptionalTranslation = Annotated[dict[str, str] | None, BeforeValidator(_translation)]
Clock = Annotated[time, BeforeValidator(_clock)]
OptionalClock = Annotated[time | None, BeforeValidator(_clock)]
SectorCode = Annotated[str, AfterValidator(_code(msg(N_("sector code"))))]
ScenarioCode = Annotated[
    str, Strict(), AfterValidator(_not_empty), AfterValidator(_code(msg(N_("scenario code"))))
]
CheckpointCode = Annotated[
    str, Strict(), AfterValidator(_not_empty), AfterValidator(_code(msg(N_("checkpoint code"))))
]
ScenarioChannel = Annotated[ChannelName, PlainValidator(_channel_name)]
MonthDay = Annotated[tuple[int, int], PlainValidator(_month_day)]


def _distinct_days(days: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    issues = []
    for n, day in enumerate(days):
        if day in days[:n]:
            issues.append(
                _Issue(
                    (n,),
                    msg(N_('the day "%(day)s" is listed twice'), day=f"{day[0]:02d}-{day[1]:02d}"),
                )
            )
    _check(issues)
    return days


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- channels


class SpeedRow(_Part):
    """E-mail: a reply within ``within_days`` working days earns ``points``."""

    within_days: Annotated[int, Strict(), AfterValidator(_at_least(0))]
    points: NonNegative


class PhonePoints(_Part):
    answered_first_contact: NonNegative
    checkpoint: NonNegative  # per checkpoint of the scenario covered
    referred_correctly: NonNegative
    courtesy: NonNegative  # courtesy is rated 0–3; scaled to this many points


class EmailPoints(_Part):
    checkpoint: NonNegative
    courtesy: NonNegative


class WebPoints(_Part):
    found: NonNegative
    quality: NonNegative  # information quality rated 0–3; scaled to this many points


class _ChannelRules(_Part):
    """What every channel has: the most points a contact can get must be more than 0."""

    @model_validator(mode="after")
    def _some_points(self) -> _ChannelRules:
        if self.maximum(1) <= 0:
            message = msg(N_("all points are 0; a contact's maximum score must be more than 0"))
            _fail(_Issue(("points",), message))
        return self

    @abstractmethod
    def maximum(self, checkpoints: int) -> float:
        """The most points a contact can get in a scenario with this many checkpoints
        (each channel has its own)."""


class PhoneChannel(_ChannelRules):
    weight: NonNegative
    points: PhonePoints
    max_attempts: Count = 2  # one call-back if nobody answered
    max_wait_seconds: Count = 240  # waiting longer counts as not reached for that attempt
    # Field work: a call-back is due this long after an attempt (the same working day when
    # that is inside the phone hours, else the next working day at the same time of day).
    callback_after_minutes: Count = 120
    # The schedule: one call per caller per slot of this length; at most this many test
    # calls to one municipality on one day (switchboards notice more).
    slot_minutes: Count = 15
    calls_per_municipality_per_day: Count = 1

    def maximum(self, checkpoints: int) -> float:
        p = self.points
        return (
            p.answered_first_contact
            + p.checkpoint * checkpoints
            + p.referred_correctly
            + p.courtesy
        )


class EmailChannel(_ChannelRules):
    weight: NonNegative
    points: EmailPoints
    speed: Annotated[tuple[SpeedRow, ...], Field(min_length=1)]  # first matching row wins
    quality_cutoff_days: Count = 10  # replies later than this get no points at all
    send_cutoff: OptionalClock = None  # mails sent at or after it count from the next day

    @field_validator("speed")
    @classmethod
    def _ascending(cls, rows: tuple[SpeedRow, ...]) -> tuple[SpeedRow, ...]:
        issues = []
        for n in range(1, len(rows)):
            days, previous = rows[n].within_days, rows[n - 1].within_days
            if days <= previous:
                issues.append(
                    _Issue(
                        (n, "within_days"),
                        msg(
                            N_(
                                "speed rows must be in ascending order of within_days:"
                                " %(value)s comes after %(previous)s"
                            ),
                            value=days,
                            previous=previous,
                        ),
                    )
                )
        _check(issues)
        return rows

    @property
    def best_speed_points(self) -> float:
        return max(row.points for row in self.speed)

    def maximum(self, checkpoints: int) -> float:
        p = self.points
        return self.best_speed_points + p.checkpoint * checkpoints + p.courtesy


class WebChannel(_ChannelRules):
    weight: NonNegative
    points: WebPoints
    time_limit_seconds: Count = 120  # not found within the limit = 0
    testers: Count = 2  # independent testers; a third decides when they disagree

    def maximum(self, checkpoints: int) -> float:
        return self.points.found + self.points.quality


Channel: TypeAlias = PhoneChannel | EmailChannel | WebChannel


def _weights(what: str, weights: Mapping[str, float]) -> list[_Issue]:
    """The weights of channels or sectors must add up to 1."""
    total = sum(weights.values())
    if abs(total - 1) <= WEIGHT_TOLERANCE:
        return []
    parts = " + ".join(f"{name} {fmt(w)}" for name, w in weights.items())
    message = (
        N_("the channel weights add up to %(total)s, not 1 (%(parts)s)")
        if what == "channel"
        else N_("the sector weights add up to %(total)s, not 1 (%(parts)s)")
    )
    return [_Issue((), msg(message, total=f"{total:.4g}", parts=parts))]


class Channels(_Part):
    """The channels a protocol tests, each with its settings, in the file's order."""

    phone: Annotated[PhoneChannel | None, BeforeValidator(_not_null)] = None
    email: Annotated[EmailChannel | None, BeforeValidator(_not_null)] = None
    web: Annotated[WebChannel | None, BeforeValidator(_not_null)] = None
    _names: tuple[ChannelName, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _in_file_order(cls, data: Any, handler: ModelWrapValidatorHandler[Channels]) -> Channels:
        """Remember the file's order (the ranking's columns follow it); weights add up to 1."""
        channels = handler(data)
        if isinstance(data, Mapping):
            channels._names = tuple(name for name in data if name in CHANNELS)
        if not channels.names:
            _fail(_Issue((), msg(N_("at least one channel is needed"))))
        _check(_weights("channel", {name: channels[name].weight for name in channels.names}))
        return channels

    @property
    def names(self) -> tuple[ChannelName, ...]:
        """The channels defined, in the file's order."""
        return self._names

    def __getitem__(self, name: str) -> Channel:
        channel = getattr(self, name, None) if name in CHANNELS else None
        if channel is None:
            raise KeyError(name)
        found: Channel = channel
        return found

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def get(self, name: str) -> Channel | None:
        return self[name] if name in self else None

    def items(self) -> list[tuple[ChannelName, Channel]]:
        return [(name, self[name]) for name in self.names]


# --------------------------------------------------------------------------- sectors, scenarios


class Sector(_Part):
    title: Translation
    weight: NonNegative


def _sector_rules(sectors: Mapping[str, Sector]) -> Mapping[str, Sector]:
    if not sectors:
        _fail(_Issue((), msg(N_("at least one sector is needed"))))
    _check(_weights("sector", {code: sector.weight for code, sector in sectors.items()}))
    return sectors


class Checkpoint(_Part):
    """What a correct answer must contain."""

    code: CheckpointCode
    text: Translation


class Scenario(_Part):
    code: ScenarioCode
    sector: Text
    channels: Annotated[tuple[ScenarioChannel, ...], Field(min_length=1)]
    question: Translation  # the question asked, or for web the item to find
    persona: OptionalTranslation = None  # who the tester pretends to be
    script: OptionalTranslation = None  # what to say or write
    checkpoints: Annotated[tuple[Checkpoint, ...], Field(min_length=1)] = ()

    @model_validator(mode="after")
    def _own_rules(self) -> Scenario:
        issues = []
        for n, name in enumerate(self.channels):
            if name in self.channels[:n]:
                issues.append(
                    _Issue(
                        ("channels", n), msg(N_("channel '%(name)s' is listed twice"), name=name)
                    )
                )
        first: dict[str, int] = {}
        for n, checkpoint in enumerate(self.checkpoints):
            if checkpoint.code in first:
                issues.append(
                    _Issue(
                        ("checkpoints", n, "code"),
                        msg(N_("duplicate checkpoint code '%(code)s'"), code=checkpoint.code),
                        ("checkpoints", first[checkpoint.code], "code"),
                    )
                )
            else:
                first[checkpoint.code] = n
        needs = [c for c in dict.fromkeys(self.channels) if c in _CHECKPOINT_CHANNELS]
        if needs and "checkpoints" not in self.model_fields_set:
            issues.append(
                _Issue(
                    (),
                    msg(
                        N_("a scenario for %(channels)s needs at least one checkpoint"),
                        channels=(
                            msg(N_("%(first)s and %(second)s"), first=needs[0], second=needs[1])
                            if len(needs) == 2
                            else ", ".join(needs)
                        ),
                    ),
                )
            )
        _check(issues)
        return self

    @property
    def checkpoint_codes(self) -> tuple[str, ...]:
        return tuple(checkpoint.code for checkpoint in self.checkpoints)


class GradeBand(_Part):
    min: Annotated[float, PlainValidator(_number), AfterValidator(_percentage)]
    label: Translation


def _band_rules(bands: tuple[GradeBand, ...]) -> tuple[GradeBand, ...]:
    issues = []
    for n in range(1, len(bands)):
        low, previous = bands[n].min, bands[n - 1].min
        if low >= previous:
            issues.append(
                _Issue(
                    (n, "min"),
                    msg(
                        N_(
                            "grade bands must be listed highest 'min' first (descending):"
                            " %(value)s comes after %(previous)s"
                        ),
                        value=fmt(low),
                        previous=fmt(previous),
                    ),
                )
            )
    if bands and bands[-1].min != 0:
        issues.append(
            _Issue(
                (len(bands) - 1,),
                msg(
                    N_("the lowest grade band must have min 0, not %(value)s"),
                    value=fmt(bands[-1].min),
                ),
            )
        )
    _check(issues)
    return bands


class PhoneHours(_Part):
    """When phone contacts are made (working days, Norwegian time)."""

    start: Clock = time(9, 30)
    end: Clock = time(15, 0)

    @model_validator(mode="after")
    def _in_order(self) -> PhoneHours:
        if self.start >= self.end:
            start, end = self.start.strftime("%H:%M"), self.end.strftime("%H:%M")
            _fail(
                _Issue(
                    (),
                    msg(
                        N_("'start' (%(start)s) must be before 'end' (%(end)s)"),
                        start=str(start),
                        end=str(end),
                    ),
                )
            )
        return self


# --------------------------------------------------------------------------- the protocol


class Protocol(_Part):
    """A service test: channels, sectors, scenarios, grade bands and the rules between them."""

    channels: Channels
    sectors: Annotated[Mapping[SectorCode, Sector], AfterValidator(_sector_rules)]
    scenarios: Annotated[tuple[Scenario, ...], Field(min_length=1)]
    grade_bands: Annotated[tuple[GradeBand, ...], Field(min_length=1), AfterValidator(_band_rules)]
    missing_contacts: Literal["zero", "exclude"] = (
        "zero"  # a contact not carried out: 0, or left out
    )
    phone_hours: PhoneHours = PhoneHours()
    # The score from which a municipality is "godkjent" (passed): Forbrukerrådet's 75 of 100
    # (DOMAIN.md §3); compared with the score as printed (one decimal).
    pass_mark: Annotated[float, PlainValidator(_number), AfterValidator(_percentage)] = 75.0
    # Days of every year that count as closed ("12-24", "12-31") besides the public
    # holidays; none by default: the legal calendar.
    non_working_days: Annotated[tuple[MonthDay, ...], AfterValidator(_distinct_days)] = ()

    @model_validator(mode="after")
    def _slots_fit_the_phone_hours(self) -> Protocol:
        phone = self.channels.phone
        start, end = self.phone_hours.start, self.phone_hours.end
        window = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        if phone is not None and phone.slot_minutes > window:
            hours = f"{start.strftime('%H:%M')}–{end.strftime('%H:%M')}"
            _fail(
                _Issue(
                    ("channels", "phone", "slot_minutes"),
                    msg(
                        N_(
                            "'slot_minutes' (%(slot)s) is longer than the phone hours"
                            " (%(hours)s, %(minutes)s minutes)"
                        ),
                        slot=phone.slot_minutes,
                        hours=hours,
                        minutes=window,
                    ),
                )
            )
        return self

    @field_validator("scenarios")
    @classmethod
    def _refer_to_what_is_defined(
        cls, scenarios: tuple[Scenario, ...], info: ValidationInfo
    ) -> tuple[Scenario, ...]:
        channels: Channels | None = info.data.get("channels")
        sectors: Mapping[str, Sector] | None = info.data.get("sectors")
        issues = []
        first: dict[str, int] = {}
        for n, scenario in enumerate(scenarios):
            if scenario.code in first:
                issues.append(
                    _Issue(
                        (n, "code"),
                        msg(N_("duplicate scenario code '%(code)s'"), code=scenario.code),
                        (first[scenario.code], "code"),
                    )
                )
            else:
                first[scenario.code] = n
            if sectors is not None and scenario.sector not in sectors:
                issues.append(
                    _Issue(
                        (n, "sector"),
                        msg(
                            N_("unknown sector '%(sector)s' (sectors defined: %(known)s)"),
                            sector=scenario.sector,
                            known=", ".join(sectors) or msg(N_("none")),
                        ),
                    )
                )
            for k, name in enumerate(scenario.channels):
                if (
                    channels is not None
                    and name not in channels
                    and name not in scenario.channels[:k]
                ):
                    issues.append(
                        _Issue(
                            (n, "channels", k),
                            msg(
                                N_("channel '%(name)s' is not defined in the top-level 'channels'"),
                                name=name,
                            ),
                        )
                    )
        _check(issues)
        return scenarios

    @property
    def scoring_fingerprint(self) -> str:
        """A short hash of everything that decides a score, and nothing else.

        Channels (weights, points, limits), sector weights, the scenarios' sectors,
        channels and checkpoint codes, how missing contacts count and the non-working
        days; not texts, bands or the pass mark. Two rounds whose protocols have the
        same fingerprint have comparable scores (like a survey question's fingerprint).
        """
        rules = {
            "channels": {
                name: channel.model_dump(mode="json") for name, channel in self.channels.items()
            },
            "sectors": {code: sector.weight for code, sector in self.sectors.items()},
            "scenarios": [
                [s.code, s.sector, list(s.channels), list(s.checkpoint_codes)]
                for s in self.scenarios
            ],
            "missing_contacts": self.missing_contacts,
            "non_working_days": sorted(self.non_working_days),
        }
        text = json.dumps(rules, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def scenario(self, code: str) -> Scenario:
        """The scenario with this code; ``KeyError`` if there is none."""
        for scenario in self.scenarios:
            if scenario.code == code:
                return scenario
        raise KeyError(code)


# --------------------------------------------------------------------------- reading


def read_protocol(root: Map, report: Report) -> Protocol | None:
    """The protocol in a file's top mapping; None if anything is wrong (see ``report``).

    Only the protocol's keys present are read; the top-level keys (required, unknown,
    misplaced) are checked with the file's kind in mind before this.
    """
    data = {key: plain(root.entries[key].value) for key in PROTOCOL_KEYS if key in root.entries}
    try:
        return Protocol.model_validate(data)
    except ValidationError as error:
        _Translator(data, positions(root), report).report_all(error.errors())
        return None


# How a value must be written, for the message when it is not; "*" is any name, "#" any
# position. An item's own sentence (``_ITEM_SHAPES``) names the item by its number.
_SHAPES: dict[tuple[str, ...], str] = {
    ("channels",): N_("a mapping of channel names to settings"),
    ("channels", "*"): N_("a mapping of channel settings"),
    ("channels", "*", "points"): N_("a mapping of point names to numbers"),
    ("channels", "*", "speed"): N_("a list of {within_days, points} rows"),
    ("sectors",): N_("a mapping of sector codes to {title, weight}"),
    ("sectors", "*"): N_("a mapping {title, weight}"),
    ("scenarios",): N_("a list of scenarios"),
    ("scenarios", "#", "channels"): N_("a list of channel names"),
    ("scenarios", "#", "checkpoints"): N_("a list of {code, text} items"),
    ("grade_bands",): N_("a list of {min, label} bands"),
    ("phone_hours",): N_('a mapping {start: "09:30", end: "15:00"}'),
    ("non_working_days",): N_('a list of days written "MM-DD", e.g. ["12-24", "12-31"]'),
}
# Each with the value it got (``got``) and the item's number (``n``).
_ITEM_SHAPES: dict[tuple[str, ...], str] = {
    ("channels", "*", "speed", "#"): N_(
        "a speed row must be a mapping {within_days, points}, not %(got)s"
    ),
    ("scenarios", "#"): N_("scenario %(n)s must be a mapping, not %(got)s"),
    ("scenarios", "#", "checkpoints", "#"): N_(
        "checkpoint %(n)s must be a mapping {code, text}, not %(got)s"
    ),
    ("grade_bands", "#"): N_("a grade band must be a mapping {min, label}, not %(got)s"),
}
_SHAPE_ERRORS = ("model_type", "dict_type", "tuple_type", "null")


def _pattern(path: Path) -> tuple[str, ...]:
    return tuple("#" if isinstance(step, int) else step for step in path)


def _shape(table: Mapping[tuple[str, ...], str], path: Path) -> str | None:
    steps = _pattern(path)
    for pattern, shape in table.items():
        if len(pattern) == len(steps) and all(
            p == s or (p == "*" and isinstance(s, str) and s != "#")
            for p, s in zip(pattern, steps, strict=True)
        ):
            return shape
    return None


class _Translator:
    """Turns pydantic's errors into problems with a line and a place, in plain words."""

    def __init__(self, data: Mapping[str, Any], lines: Mapping[Path, int], report: Report) -> None:
        self.data = data
        self.lines = lines
        self.report = report

    def report_all(self, errors: Iterable[ErrorDetails]) -> None:
        for error in errors:
            path: Path = tuple(step for step in error["loc"] if step != "[key]")
            self.one(error, path)

    def add(self, path: Path, where: Path, message: Message, english: str | None = None) -> None:
        self.report.add(self.line(path), self.place(where), message, english)

    def line(self, path: Path) -> int | None:
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path)

    def one(self, error: ErrorDetails, path: Path) -> None:
        kind = error["type"]
        key = str(path[-1]) if path else ""
        parent = path[:-1]
        got = describe(error["input"])
        if kind == "protocol_rule":
            for issue in (error.get("ctx") or {})["issues"]:
                at = path + issue.path
                message: Message = issue.message
                if issue.first is not None:
                    first = first_at_line(self.line(path + issue.first) or 0)
                    message = msg(N_("%(message)s%(first)s"), message=message, first=first)
                self.add(at, at, message)
        elif kind == "missing":
            if parent:  # a missing top-level key is reported with the file's kind in mind
                self.add(parent, parent, msg(N_("missing required key '%(key)s'"), key=key))
        elif kind == "extra_forbidden":
            self.add(path, parent, self.unknown_key(parent, key))
        elif kind in _SHAPE_ERRORS:
            item = _shape(_ITEM_SHAPES, path)
            if item is not None:
                self.add(path, parent, msg(item, n=int(path[-1]) + 1, got=got))
            else:
                shape = _shape(_SHAPES, path)
                what = msg(shape or N_("a mapping (key: value pairs)"))
                self.add(path, parent, _must_be(key, what, got))
        elif kind == "number":
            what = msg(N_("a number"))
            self.add(path, parent, _must_be(key, what, got, number_hint(error["input"])))
        elif kind == "int_type":
            what = msg(N_("a whole number"))
            self.add(path, parent, _must_be(key, what, got, number_hint(error["input"])))
        elif kind == "string_type":
            what = msg(N_("text"))
            self.add(path, parent, _must_be(key, what, got, text_hint(error["input"])))
        elif kind == "literal_error":
            # pydantic's "'zero' or 'exclude'" is English: the page lists the choices.
            expected = (error.get("ctx") or {}).get("expected", "")
            choices = msg(N_("one of %(choices)s"), choices=expected.replace(" or ", ", "))
            english = f"'{key}' must be {expected}, not {got}"
            self.add(path, parent, _must_be(key, choices, got), english)
        elif kind == "too_short":
            if not error["input"]:  # not when it is short of the items that failed
                self.add(path, path, msg(N_("'%(key)s' is an empty list"), key=key))
        else:  # pragma: no cover - every error the models raise is worded above
            english = f"'{key}' is not valid: {error['msg']}"
            self.add(path, parent, msg(N_("'%(key)s' is not valid"), key=key), english)

    def unknown_key(self, parent: Path, key: str) -> Message:
        if parent == ("channels",):
            return _unknown_channel(key)
        model = _model_at(parent)
        allowed = list(model.model_fields) if model is not None else []
        return msg(N_("unknown key '%(key)s'%(hint)s"), key=key, hint=suggest(key, allowed))

    def place(self, path: Path) -> Message:
        """Where a value is, as messages name it: "channel 'web'", "scenario 'x'"..."""
        if not path:
            return ""
        head = str(path[0])
        if head == "channels" and len(path) > 1:
            return msg(N_("channel '%(name)s'"), name=path[1])
        if head == "sectors" and len(path) > 1:
            return msg(N_("sector '%(name)s'"), name=path[1])
        if head == "scenarios" and len(path) > 1 and isinstance(path[1], int):
            scenario = _at(self.data, path[:2])
            code = scenario.get("code") if isinstance(scenario, dict) else None
            where = (
                msg(N_("scenario '%(code)s'"), code=code)
                if isinstance(code, str)
                else msg(N_("scenario %(n)s"), n=path[1] + 1)
            )
            if len(path) > 3 and path[2] == "checkpoints":
                checkpoint = _at(self.data, path[:4])
                code = checkpoint.get("code") if isinstance(checkpoint, dict) else None
                if isinstance(code, str):
                    return msg(N_("%(scenario)s, checkpoint '%(code)s'"), scenario=where, code=code)
            return where
        return head


def _must_be(key: str, what: Message, got: Message, hint: Message = "") -> Msg:
    return msg(
        N_("'%(key)s' must be %(what)s, not %(got)s%(hint)s"),
        key=key,
        what=what,
        got=got,
        hint=hint,
    )


def _at(data: Any, path: Path) -> Any:
    for step in path:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _unwrap(annotation: Any) -> Any:
    """The type inside ``Annotated[...]`` and ``X | None``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            others = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(others) != 1:
                return annotation
            annotation = others[0]
        else:
            return annotation


def _model_at(path: Path) -> type[BaseModel] | None:
    """The model that validates the value at ``path`` (for the keys it allows)."""
    current: Any = Protocol
    for step in path:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(step))
            if field is None:
                return None
            current = field.annotation
        elif get_origin(current) is tuple:
            current = get_args(current)[0]
        elif get_origin(current) in (dict, Mapping):
            current = get_args(current)[1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None
