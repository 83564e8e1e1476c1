"""The test caller's recording forms, and their conversion to and from result records.

One form per channel. The forms only collect what was typed; the functions
``phone_record``, ``email_record`` and ``web_record`` check it against the
protocol and the round (adding messages to the fields) and build exactly the
JSON shapes of ``surveyapp.servicetest.records``. The ``*_initial`` functions
turn a stored record back into form data, so an existing result is pre-filled.

Times are typed the Norwegian way as wall-clock time in Europe/Oslo (``08.04.2026
10:30``, a text input: ``datetime-local`` would follow the browser's locale) and stored
as ISO 8601 with the UTC offset (``2026-04-01T10:00:00+02:00``).

Decisions where the protocol leaves room:

* every typed time (call attempt, e-mail sent) must lie inside the round's
  test window, from ``starts_on`` 00:00 to ``ends_on`` 23:59 Oslo time; the
  reply time of an e-mail is only checked against the sending time, because a
  municipality may answer after the last test day and late replies still
  count (with fewer or no points);
* a call outside the protocol's phone hours, or on a day that is not a
  Norwegian working day, is **saved with a warning** (``phone_hour_warnings``):
  the call really happened and its outcome is a fact about the municipality,
  so refusing it would lose data; the warning stays on the call sheet for as
  long as the record has such an attempt, so the organiser can see it;
* the call-back rule: attempt *n* + 1 may only be filled in when attempt *n*
  reached nobody, or someone answered only after more than the protocol's
  ``max_wait_seconds`` (which the scoring counts as not reached);
* when no attempt reached anybody, the conversation fields (first-contact
  answer, checkpoints, referral, courtesy) are ignored and stored empty; when
  someone was reached, first-contact answer, referral and courtesy are
  required (an unrated call would silently cost the municipality points);
* e-mail: checkpoints and courtesy are stored only for a replied e-mail, and
  courtesy is then required;
* web: the time may be typed as seconds (``95``) or minutes:seconds
  (``1:35``); the quality rating is required when the item was found and
  stored as null when it was not; "found within the time limit: yes" with a time over
  the protocol's ``time_limit_seconds`` is refused (it would silently score 0);
* every sheet also keeps a note and the URLs visited (one a line, ``http(s)://``), an
  e-mail sheet the text sent and the reply received (``evidence_texts``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    Field,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import Optional

from surveyapp import typed_numbers
from surveyapp.questionnaires.protocol import Protocol, Scenario
from surveyapp.servicetest.evidence import MAX_TEXT
from surveyapp.servicetest.workdays import is_working_day
from surveyapp.web.date_fields import NorwegianDateTimeField
from surveyapp.web.forms import StaffForm

OSLO = ZoneInfo("Europe/Oslo")
#: The longest waiting time or web check a caller can record: anything longer is a typo.
MAX_RECORDED_MINUTES = 24 * 60

YES_NO = [SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))]
REFERRAL_CHOICES = [
    SelectChoice("yes", _l("Yes")),
    SelectChoice("no", _l("No")),
    SelectChoice("not_needed", _l("Not needed (the first person answered)")),
]
# The KKiK courtesy scale: 0 poor, 1 fair, 2 good, 3 very good.
RATING_CHOICES = [
    SelectChoice("0", _l("0 – poor")),
    SelectChoice("1", _l("1 – fair")),
    SelectChoice("2", _l("2 – good")),
    SelectChoice("3", _l("3 – very good")),
]


def _moment_field(label: Any, description: Any = None) -> NorwegianDateTimeField:
    return NorwegianDateTimeField(label, description=description, validators=[Optional()])


def _yes_no_field(label: Any, choices: Sequence[SelectChoice] = YES_NO) -> RadioField:
    return RadioField(
        label,
        choices=list(choices),
        validators=[Optional()],
        invalid_choice_message=_l("Choose one of the answers."),
    )


def _rating_field(label: Any) -> RadioField:
    return RadioField(
        label,
        choices=RATING_CHOICES,
        validators=[Optional()],
        invalid_choice_message=_l("Choose a rating from 0 to 3."),
    )


def _checkpoints_field() -> SelectMultipleField:
    # Codes are checked by hand (check_checkpoints) to give a clear message for a forged post.
    return SelectMultipleField(
        _l("What the answer covered"),
        choices=[],
        validate_choice=False,
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )


class SheetForm(StaffForm):
    """A recording form; ``summary_labels`` names fields in the error summary.

    Every channel's sheet keeps the caller's note and the URLs visited beside the record.
    """

    summary_labels: dict[str, Any] = {}
    note = TextAreaField(
        _l("Note"),
        description=_l(
            "Who answered, which department, why a call was made out of hours: anything the "
            "organiser should know."
        ),
    )
    urls = TextAreaField(
        _l("Web addresses visited"), description=_l("One address a line, starting with https://.")
    )

    def problems(self) -> list[tuple[str, str, str]]:
        """(anchor id, field name for the summary, message) for every error, in form order."""
        out: list[tuple[str, str, str]] = []
        for field in self:
            if field.name == "csrf_token":
                for message in field.errors:
                    out.append(("", "", str(message)))
                continue
            anchor = field.id
            if isinstance(field, RadioField | SelectMultipleField):
                anchor = f"{field.id}-0"
            label = self.summary_labels.get(field.name, field.label.text)
            for message in field.errors:
                out.append((anchor, str(label), str(message)))
        return out


def add_error(field: Field, message: str) -> None:
    field.errors = [*field.errors, message]


class PhoneForm(SheetForm):
    """Built by ``phone_form`` with one group of fields per allowed attempt."""

    max_attempts: int
    answered_first_contact: RadioField
    checkpoints: SelectMultipleField
    referred: RadioField
    courtesy: RadioField


def phone_form(
    max_attempts: int, checkpoint_choices: Sequence[SelectChoice], **kwargs: Any
) -> PhoneForm:
    """A phone form with ``max_attempts`` attempts (the protocol's number)."""
    attrs: dict[str, Any] = {"max_attempts": max_attempts, "summary_labels": {}}
    for n in range(1, max_attempts + 1):
        attrs[f"attempt{n}_at"] = _moment_field(_l("Date and time"))
        attrs[f"attempt{n}_reached"] = _yes_no_field(_l("Did someone answer?"))
        # Checked by waiting_seconds, which names the allowed range for any length typed.
        attrs[f"attempt{n}_wait_min"] = StringField(_l("Minutes"))
        attrs[f"attempt{n}_wait_sec"] = StringField(_l("Seconds"))
        attrs["summary_labels"].update(
            {
                f"attempt{n}_at": _l("Attempt %(n)s: date and time", n=n),
                f"attempt{n}_reached": _l("Attempt %(n)s: did someone answer?", n=n),
                f"attempt{n}_wait_min": _l("Attempt %(n)s: waiting time, minutes", n=n),
                f"attempt{n}_wait_sec": _l("Attempt %(n)s: waiting time, seconds", n=n),
            }
        )
    attrs["answered_first_contact"] = _yes_no_field(
        _l("Did the first person you spoke to answer the question?")
    )
    attrs["checkpoints"] = _checkpoints_field()
    attrs["referred"] = _yes_no_field(
        _l("Were you referred to the right person?"), REFERRAL_CHOICES
    )
    attrs["courtesy"] = _rating_field(_l("Courtesy"))
    form_class = type(f"PhoneForm{max_attempts}", (PhoneForm,), attrs)
    form: PhoneForm = form_class(**kwargs)
    form.checkpoints.choices = list(checkpoint_choices)
    return form


class EmailForm(SheetForm):
    email_sent = TextAreaField(
        _l("The e-mail you sent"), description=_l("Paste the text as it was sent.")
    )
    email_reply = TextAreaField(
        _l("The reply received"), description=_l("Paste the reply when it comes.")
    )
    sent_at = _moment_field(_l("Sent at"))
    replied_at = _moment_field(_l("Reply received at"))
    no_reply = BooleanField(_l("No reply (yet)"))
    checkpoints = _checkpoints_field()
    courtesy = _rating_field(_l("Courtesy"))


class WebForm(SheetForm):
    found = _yes_no_field(_l("Did you find it within the time limit?"))
    time_used = StringField(
        _l("Time used"),
        description=_l("Seconds (95) or minutes:seconds (1:35)."),
    )  # checked by parse_duration, which names the allowed range for any length typed
    quality = _rating_field(_l("Quality of the information"))


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class SheetRules:
    """What the checks need from the protocol, the scenario and the round."""

    checkpoints: tuple[str, ...]
    starts_on: date
    ends_on: date
    max_attempts: int  # 0 when the protocol has no phone channel
    max_wait_seconds: int | None  # None when the protocol has no phone channel
    phone_start: time
    phone_end: time
    web_time_limit: int | None = None  # seconds; None when the protocol has no web channel
    closed: tuple[tuple[int, int], ...] = ()  # the protocol's closed days (month, day)

    @property
    def wait_limit(self) -> str | None:
        """The waiting limit in minutes as written in the call-back rule ("4", "4:30")."""
        return None if self.max_wait_seconds is None else _minutes(self.max_wait_seconds)


def rules_for(protocol: Protocol, scenario: Scenario, starts_on: date, ends_on: date) -> SheetRules:
    phone = protocol.channels.phone
    return SheetRules(
        checkpoints=scenario.checkpoint_codes,
        starts_on=starts_on,
        ends_on=ends_on,
        max_attempts=phone.max_attempts if phone is not None else 0,
        max_wait_seconds=phone.max_wait_seconds if phone is not None else None,
        phone_start=protocol.phone_hours.start,
        phone_end=protocol.phone_hours.end,
        web_time_limit=protocol.channels.web.time_limit_seconds
        if protocol.channels.web is not None
        else None,
        closed=protocol.non_working_days,
    )


def _oslo(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=OSLO)
    return moment.astimezone(OSLO)


def check_window(field: Field, rules: SheetRules) -> None:
    """An error when the typed time is outside the round's test window."""
    moment: datetime | None = field.data
    if moment is None:
        return
    day = _oslo(moment).date()
    if day < rules.starts_on or day > rules.ends_on:
        add_error(
            field,
            _(
                "The time must be within the test round, from %(start)s to %(end)s.",
                start=format_date(rules.starts_on, "long"),
                end=format_date(rules.ends_on, "long"),
            ),
        )


def check_checkpoints(field: SelectMultipleField, rules: SheetRules) -> list[str]:
    """The covered checkpoints in scenario order; an error for codes the scenario lacks."""
    chosen = [str(code) for code in (field.data or [])]
    unknown = sorted(set(chosen) - set(rules.checkpoints))
    if unknown:
        add_error(
            field,
            _(
                "Unknown checkpoint: %(codes)s. Reload the page and try again.",
                codes=", ".join(unknown),
            ),
        )
    return [code for code in rules.checkpoints if code in chosen]


def _whole_number(field: Field, what: str, high: int) -> int | None:
    """A whole number from 0 to ``high`` typed in a text field; None when empty."""
    raw = (field.data or "").strip()
    if not raw:
        return None
    value, problem = typed_numbers.read_whole(raw, high)
    if problem == typed_numbers.TOO_LOW:
        add_error(field, _("The waiting time cannot be negative."))
    elif problem == typed_numbers.TOO_HIGH and high == 59:
        add_error(field, _("Seconds must be from 0 to 59."))
    elif problem == typed_numbers.TOO_HIGH:
        add_error(
            field, _("The waiting time can be at most %(max)s minutes.", max=MAX_RECORDED_MINUTES)
        )
    elif problem is not None:
        add_error(field, _("Enter the %(what)s as a whole number, for example 3.", what=what))
    return value


def waiting_seconds(minutes_field: Field, seconds_field: Field) -> tuple[int | None, bool]:
    """(seconds waited or None when both fields are empty, whether the input was valid)."""
    errors_before = len(minutes_field.errors) + len(seconds_field.errors)
    minutes = _whole_number(minutes_field, _("minutes"), MAX_RECORDED_MINUTES)
    seconds = _whole_number(seconds_field, _("seconds"), 59)
    valid = len(minutes_field.errors) + len(seconds_field.errors) == errors_before
    if not valid or (minutes is None and seconds is None):
        return None, valid
    return (minutes or 0) * 60 + (seconds or 0), True


def _bool(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def _typed(field: Field) -> bool:
    """Whether anything was typed or chosen in the field."""
    return any(str(value).strip() for value in (field.raw_data or []))


def _minutes(seconds: int) -> str:
    return f"{seconds // 60}" if seconds % 60 == 0 else f"{seconds // 60}:{seconds % 60:02d}"


# --------------------------------------------------------------------------- phone


def phone_record(form: PhoneForm, rules: SheetRules) -> dict[str, Any] | None:
    """The phone record, or None after adding messages to the fields."""
    attempts: list[dict[str, Any]] = []
    callback_allowed = True
    previous_at: datetime | None = None
    gap_at: int | None = None
    for n in range(1, form.max_attempts + 1):
        at_field, reached_field = form[f"attempt{n}_at"], form[f"attempt{n}_reached"]
        min_field, sec_field = form[f"attempt{n}_wait_min"], form[f"attempt{n}_wait_sec"]
        filled = any(_typed(f) for f in (at_field, reached_field, min_field, sec_field))
        if not filled:
            if n == 1:
                add_error(at_field, _("Enter when you made the first call."))
                add_error(reached_field, _("Say whether someone answered."))
            gap_at = gap_at or n
            continue
        if gap_at is not None:
            add_error(at_field, _("Fill in attempt %(n)s first.", n=gap_at))
            return None
        if n > 1 and not callback_allowed:
            wait = rules.max_wait_seconds
            if wait is None:
                message = _(
                    "Call back only if nobody answered at attempt %(n)s. Leave this attempt empty.",
                    n=n - 1,
                )
            else:
                message = _(
                    "Call back only if nobody answered, or the wait was over "
                    "%(minutes)s minutes, at attempt %(n)s. Leave this attempt empty.",
                    minutes=_minutes(wait),
                    n=n - 1,
                )
            add_error(at_field, message)
        if at_field.data is None and not at_field.errors:
            add_error(at_field, _("Enter when you made the call."))
        check_window(at_field, rules)
        at = at_field.data
        if at is not None and previous_at is not None and at <= previous_at and not at_field.errors:
            add_error(at_field, _("This attempt must come after attempt %(n)s.", n=n - 1))
        reached = _bool(reached_field.data)
        if reached is None and not reached_field.errors:
            add_error(reached_field, _("Say whether someone answered."))
        waited, _valid = waiting_seconds(min_field, sec_field)
        if at is not None:
            attempts.append(
                {"at": _oslo(at).isoformat(), "reached": bool(reached), "waiting_seconds": waited}
            )
            previous_at = at
        over_limit = (
            rules.max_wait_seconds is not None
            and waited is not None
            and waited > rules.max_wait_seconds
        )
        callback_allowed = reached is False or over_limit

    someone_answered = any(a["reached"] for a in attempts)
    answered = _bool(form.answered_first_contact.data)
    covered = check_checkpoints(form.checkpoints, rules)
    referred_choice = form.referred.data
    courtesy = None if form.courtesy.data in (None, "") else int(form.courtesy.data)
    if someone_answered:
        if answered is None and not form.answered_first_contact.errors:
            add_error(form.answered_first_contact, _("Choose yes or no."))
        if not referred_choice and not form.referred.errors:
            add_error(form.referred, _("Choose yes, no or not needed."))
        if courtesy is None and not form.courtesy.errors:
            add_error(form.courtesy, _("Rate the courtesy from 0 to 3."))
    if any(field.errors for field in form):
        return None
    if not someone_answered:
        return {
            "attempts": attempts,
            "answered_first_contact": None,
            "checkpoints_covered": [],
            "referred_correctly": None,
            "courtesy": None,
        }
    return {
        "attempts": attempts,
        "answered_first_contact": answered,
        "checkpoints_covered": covered,
        "referred_correctly": _bool(referred_choice),
        "courtesy": courtesy,
    }


def _local_input(value: Any) -> datetime | None:
    """A stored ISO time as an aware Oslo datetime for a form field."""
    if not value:
        return None
    return _oslo(datetime.fromisoformat(str(value)))


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def phone_initial(record: Mapping[str, Any] | None) -> dict[str, Any]:
    if not record:
        return {}
    data: dict[str, Any] = {}
    for n, attempt in enumerate(record.get("attempts", []), start=1):
        data[f"attempt{n}_at"] = _local_input(attempt.get("at"))
        data[f"attempt{n}_reached"] = _yes_no(attempt.get("reached"))
        waited = attempt.get("waiting_seconds")
        if waited is not None:
            data[f"attempt{n}_wait_min"] = str(int(waited) // 60)
            data[f"attempt{n}_wait_sec"] = str(int(waited) % 60)
    referred = record.get("referred_correctly")
    data["answered_first_contact"] = _yes_no(record.get("answered_first_contact"))
    data["checkpoints"] = list(record.get("checkpoints_covered", []))
    if any(a.get("reached") for a in record.get("attempts", [])):
        data["referred"] = "not_needed" if referred is None else _yes_no(referred)
    courtesy = record.get("courtesy")
    data["courtesy"] = None if courtesy is None else str(courtesy)
    return data


def phone_hour_warnings(record: Mapping[str, Any], rules: SheetRules) -> list[str]:
    """Attempts outside the phone hours or on a non-working day (saved, but flagged)."""
    warnings: list[str] = []
    for n, attempt in enumerate(record.get("attempts", []), start=1):
        moment = _local_input(attempt.get("at"))
        if moment is None:
            continue
        clock = moment.time().replace(tzinfo=None)
        if not is_working_day(moment.date(), rules.closed):
            warnings.append(
                _(
                    "Attempt %(n)s was made on %(day)s, which is not a working day. Calls belong "
                    "on working days between %(start)s and %(end)s.",
                    n=n,
                    day=format_date(moment.date(), "long"),
                    start=rules.phone_start.strftime("%H:%M"),
                    end=rules.phone_end.strftime("%H:%M"),
                )
            )
        elif clock < rules.phone_start or clock > rules.phone_end:
            warnings.append(
                _(
                    "Attempt %(n)s was made at %(time)s, outside the allowed phone hours "
                    "(%(start)s–%(end)s). It is saved; tell the test organiser why.",
                    n=n,
                    time=moment.strftime("%H:%M"),
                    start=rules.phone_start.strftime("%H:%M"),
                    end=rules.phone_end.strftime("%H:%M"),
                )
            )
    return warnings


# --------------------------------------------------------------------------- e-mail


def email_record(form: EmailForm, rules: SheetRules) -> dict[str, Any] | None:
    """The e-mail record, or None after adding messages to the fields."""
    sent, replied = form.sent_at.data, form.replied_at.data
    if sent is None and not form.sent_at.errors:
        add_error(form.sent_at, _("Enter when you sent the e-mail."))
    check_window(form.sent_at, rules)
    no_reply = bool(form.no_reply.data)
    if no_reply and _typed(form.replied_at):
        add_error(form.replied_at, _("Enter the reply time or tick “No reply (yet)”, not both."))
    elif not no_reply and replied is None and not form.replied_at.errors:
        add_error(form.replied_at, _("Enter when the reply came, or tick “No reply (yet)”."))
    if sent is not None and replied is not None and replied < sent:
        add_error(form.replied_at, _("The reply cannot come before the e-mail was sent."))
    covered = check_checkpoints(form.checkpoints, rules)
    courtesy = None if form.courtesy.data in (None, "") else int(form.courtesy.data)
    if replied is not None and not no_reply and courtesy is None and not form.courtesy.errors:
        add_error(form.courtesy, _("Rate the courtesy from 0 to 3."))
    if any(field.errors for field in form) or sent is None:
        return None
    if no_reply or replied is None:
        return {
            "sent_at": _oslo(sent).isoformat(),
            "replied_at": None,
            "checkpoints_covered": [],
            "courtesy": None,
        }
    return {
        "sent_at": _oslo(sent).isoformat(),
        "replied_at": _oslo(replied).isoformat(),
        "checkpoints_covered": covered,
        "courtesy": courtesy,
    }


def email_initial(record: Mapping[str, Any] | None) -> dict[str, Any]:
    if not record:
        return {}
    courtesy = record.get("courtesy")
    return {
        "sent_at": _local_input(record.get("sent_at")),
        "replied_at": _local_input(record.get("replied_at")),
        "no_reply": not record.get("replied_at"),
        "checkpoints": list(record.get("checkpoints_covered", [])),
        "courtesy": None if courtesy is None else str(courtesy),
    }


# --------------------------------------------------------------------------- web


def parse_duration(text: str) -> int:
    """Seconds from ``95`` or ``1:35`` (ASCII digits, at most a day); ValueError with a
    message key ("format", "negative", "seconds" or "too_long") otherwise."""
    raw = text.strip()
    limit = MAX_RECORDED_MINUTES * 60
    if ":" in raw:
        minutes_text, seconds_text = raw.split(":", 1)
        minutes, minutes_problem = typed_numbers.read_whole(minutes_text, MAX_RECORDED_MINUTES)
        seconds, seconds_problem = typed_numbers.read_whole(seconds_text, 59)
        if seconds_problem == typed_numbers.TOO_HIGH:
            raise ValueError("seconds")
        if minutes_problem == typed_numbers.TOO_HIGH:
            raise ValueError("too_long")
        if minutes is None or seconds is None:
            raise ValueError("format")
        if minutes * 60 + seconds > limit:
            raise ValueError("too_long")
        return minutes * 60 + seconds
    value, problem = typed_numbers.read_whole(raw, limit)
    if problem == typed_numbers.TOO_LOW:
        raise ValueError("negative")
    if problem == typed_numbers.TOO_HIGH:
        raise ValueError("too_long")
    if value is None:
        raise ValueError("format")
    return value


def web_record(form: WebForm, rules: SheetRules | None = None) -> dict[str, Any] | None:
    """The web record (one tester's check or the deciding tester's), or None with messages."""
    found = _bool(form.found.data)
    if found is None and not form.found.errors:
        add_error(form.found, _("Choose yes or no."))
    seconds: int | None = None
    raw = (form.time_used.data or "").strip()
    if raw:
        try:
            seconds = parse_duration(raw)
        except ValueError as error:
            messages = {
                "negative": _("The time cannot be negative."),
                "seconds": _("Seconds must be from 0 to 59."),
                "too_long": _("The time can be at most %(hours)s hours.", hours=24),
            }
            add_error(
                form.time_used,
                messages.get(
                    str(error), _("Enter the time as seconds (95) or minutes:seconds (1:35).")
                ),
            )
    quality = None if form.quality.data in (None, "") else int(form.quality.data)
    if found and quality is None and not form.quality.errors:
        add_error(form.quality, _("Rate the quality from 0 to 3."))
    limit = rules.web_time_limit if rules is not None else None
    if found and seconds is not None and limit is not None and seconds > limit:
        add_error(
            form.found,
            _(
                "You recorded %(time)s, over the time limit of %(limit)s: the item was not "
                "found within the time limit. Choose “No”, or correct the time.",
                time=_clock(seconds),
                limit=_clock(limit),
            ),
        )
    if any(field.errors for field in form) or found is None:
        return None
    return {"found": found, "seconds": seconds, "quality": quality if found else None}


def _clock(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


# --------------------------------------------------------------------------- evidence


def evidence_texts(form: SheetForm) -> dict[str, str] | None:
    """The note, the URLs (and for e-mail the texts), or None after adding messages."""
    texts = {"note": form.note.data or "", "urls": form.urls.data or ""}
    if isinstance(form, EmailForm):
        texts["email_sent"] = form.email_sent.data or ""
        texts["email_reply"] = form.email_reply.data or ""
    for name, text in texts.items():
        if len(text) > MAX_TEXT:
            add_error(
                form[name], _("At most %(n)s characters.", n=f"{MAX_TEXT:,}".replace(",", " "))
            )
    bad = [line.strip() for line in texts["urls"].splitlines() if line.strip()]
    bad = [line for line in bad if not _is_web_address(line)]
    if bad:
        add_error(
            form.urls,
            _(
                "Not a web address: %(lines)s. Write one address a line, starting with "
                "https:// or http://.",
                lines=", ".join(bad[:3]),
            ),
        )
    if any(form[name].errors for name in texts):
        return None
    return texts


def _is_web_address(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in text


def evidence_initial(evidence: Any) -> dict[str, Any]:
    if evidence is None:
        return {}
    return {
        "note": evidence.note,
        "urls": evidence.urls,
        "email_sent": evidence.email_sent,
        "email_reply": evidence.email_reply,
    }


def web_initial(record: Mapping[str, Any] | None) -> dict[str, Any]:
    if not record:
        return {}
    seconds = record.get("seconds")
    quality = record.get("quality")
    return {
        "found": _yes_no(record.get("found")),
        "time_used": "" if seconds is None else f"{int(seconds) // 60}:{int(seconds) % 60:02d}",
        "quality": None if quality is None else str(quality),
    }


class AttachmentForm(StaffForm):
    """An attachment upload (and the remove button): the file is read and checked in
    ``attachments.check_file``, by its content, while it streams in."""

    file = FileField(_l("Attach a file"), description=_l("PNG, JPEG or PDF, at most 5 MB."))
